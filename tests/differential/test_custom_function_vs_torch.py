"""The same custom Functions run on real PyTorch and on tensorkeys (skipped without torch).

Each scenario is written once against a ``lib`` (the torch module or ours) and returns a list of
observations: values, gradients, flags, versions, creation metas, and errors as
``("error", type, message)``. Both lists must agree; an error agrees when the types match and
our message starts with the first sentence of torch's (we append hints, PyTorch's own
continuation may differ). The few places where tensorkeys deliberately does better than
PyTorch are separate tests that state the difference.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, strategies as st

torch = pytest.importorskip("torch")

import tensor  # noqa: E402
from tensor.autograd.function import once_differentiable as our_once  # noqa: E402

pytestmark = pytest.mark.differential

LIBS = {
    "torch": SimpleNamespace(
        t=torch, Function=torch.autograd.Function,
        once=torch.autograd.function.once_differentiable,
        meta=lambda x: (str(torch._C._autograd._get_creation_meta(x)).split(".")[-1]
                        if x._is_view() else None)),
    "ours": SimpleNamespace(
        t=tensor, Function=tensor.autograd.Function, once=our_once,
        meta=lambda x: x._view.creation_meta if (x._view is not None and x._base is not None)
        else None),
}


def first_sentence(msg: str) -> str:
    m = re.search(r"\.(\s|$)", msg)
    return msg[: m.start() + 1] if m else msg


def observe(fn):
    try:
        return fn()
    except Exception as e:      # noqa: BLE001 - errors are observations here
        kind = "RuntimeError" if isinstance(e, RuntimeError) else type(e).__name__
        return ("error", kind, str(e))


def same(a, b) -> bool:
    if isinstance(a, tuple) and a[:1] == ("error",) and isinstance(b, tuple) and \
            b[:1] == ("error",):
        return a[1] == b[1] and a[2].startswith(first_sentence(b[2]))
    if isinstance(a, float) and isinstance(b, float):
        return np.isclose(a, b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def compare(scenario, *args):
    ours = scenario(LIBS["ours"], *args)
    theirs = scenario(LIBS["torch"], *args)
    assert len(ours) == len(theirs)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert same(o, t), f"observation {i}: ours {o!r} != torch {t!r}"


def vals(x):
    return None if x is None else x.tolist()


def name(fn):
    return None if fn is None else type(fn).__name__


def flags(x):
    return (x.requires_grad, x.is_leaf, name(x.grad_fn), x.is_inference())


# -- Function factories (one class per lib) -------------------------------------------------
def cube(lib):
    class Cube(lib.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x ** 2
    return Cube


def probe(lib, log):
    T = lib.t

    class Probe(lib.Function):
        @staticmethod
        def forward(ctx, x, k):
            log.append(("fwd", T.is_grad_enabled(), T.is_inference_mode_enabled(),
                        ctx.needs_input_grad))
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            log.append(("bwd", T.is_grad_enabled(), ctx.needs_input_grad))
            return g * ctx.k, None
    return Probe


def inc(lib):
    class Inc(lib.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3
    return Inc


def ident(lib):
    class Id(lib.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    return Id


def head(lib):
    T = lib.t

    class Head(lib.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.n = x.shape[0]
            return x[:2]

        @staticmethod
        def backward(ctx, g):
            return T.cat([g, T.zeros(ctx.n - 2, dtype=g.dtype)])
    return Head


def halves(lib):
    T = lib.t

    class Halves(lib.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:2], x[2:]

        @staticmethod
        def backward(ctx, g, h):
            return T.cat([g, h])
    return Halves


def ret(lib, grads):
    class Ret(lib.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return grads(lib.t, g)
    return Ret


def rg(lib, *v):
    return lib.t.tensor(list(v), dtype=lib.t.float64, requires_grad=True)


# -- scenarios -------------------------------------------------------------------------------
def sc_basics(lib):
    T, obs, log = lib.t, [], []
    P, C = probe(lib, log), cube(lib)
    x = rg(lib, 1.0, 2.0)
    y = P.apply(x, 3.0)
    obs += [flags(y), vals(y), y.grad_fn.k]
    y.sum().backward()
    obs += [vals(x.grad), log]
    x.grad = None
    y = C.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    obs.append(vals(x.grad))
    z = C.apply(x)
    z.sum().backward()
    obs.append(observe(lambda: z.grad_fn.saved_tensors))
    obs.append(observe(lambda: z.sum().backward()))
    return obs


@pytest.mark.parametrize("mode", ["grad", "no_grad", "inference", "inference+enable_grad",
                                  "inference(False)", "no_grad+enable_grad"])
def test_modes(mode):
    def sc(lib):
        T, log = lib.t, []
        P = probe(lib, log)
        x = rg(lib, 1.0, 2.0)
        guards = {
            "grad": [], "no_grad": [T.no_grad()], "inference": [T.inference_mode()],
            "inference+enable_grad": [T.inference_mode(), T.enable_grad()],
            "inference(False)": [T.inference_mode(), T.inference_mode(False)],
            "no_grad+enable_grad": [T.no_grad(), T.enable_grad()],
        }[mode]
        for g in guards:
            g.__enter__()
        try:
            y = P.apply(x, 2.0)
            t = T.ones(2)
            z = P.apply(t, 2.0)
        finally:
            for g in reversed(guards):
                g.__exit__(None, None, None)
        return [flags(y), flags(z), log, observe(lambda: vals(y.sum().backward() or x.grad))]
    compare(sc)


def test_basics():
    compare(sc_basics)


def test_saving():
    def sc(lib):
        T = lib.t

        class S(lib.Function):
            @staticmethod
            def forward(ctx, x, t):
                ctx.save_for_backward(None, x, t)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                n, x, t = ctx.saved_tensors
                return g * (n is None), None

        class Bad(lib.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, "s")
                return x * 2

        with T.inference_mode():
            ti = T.ones(2)
        x = rg(lib, 1.0, 2.0)
        obs = [observe(lambda: S.apply(x, ti)), observe(lambda: Bad.apply(x))]
        with T.no_grad():
            obs += [vals(S.apply(x, ti)), vals(Bad.apply(x))]
        y = x * 1
        out = S.apply(y, T.ones(2))
        with T.no_grad():
            y.add_(1)
        obs.append(observe(lambda: out.sum().backward()))
        return obs
    compare(sc)


def test_setup_context_and_non_tensors():
    def sc(lib):
        T, got = lib.t, []

        class M(lib.Function):
            @staticmethod
            def forward(x, k):
                return x * k, "meta", None

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.k = inputs[1]
                got.append((T.is_grad_enabled(), ctx.needs_input_grad))

            @staticmethod
            def backward(ctx, g, s, n):
                got.append((vals(g), s, n))
                return g * ctx.k, None

        x = rg(lib, 1.0, 2.0)
        y, s, n = M.apply(x, k=3.0)
        y.sum().backward()
        return [flags(y), s, n, got, vals(x.grad)]
    compare(sc)


def test_mark_dirty():
    def sc(lib):
        T, obs = lib.t, []
        I = inc(lib)
        a = T.ones(2)
        obs += [I.apply(a) is a, a._version, flags(a)]
        x = rg(lib, 1.0, 1.0)
        y = x * 1
        obs += [I.apply(y) is y, y._version, flags(y)]
        y.sum().backward()
        obs.append(vals(x.grad))
        obs.append(observe(lambda: I.apply(rg(lib, 1.0))))
        leaf = rg(lib, 1.0)
        with T.no_grad():
            r = I.apply(leaf)
        obs += [r is leaf, flags(r), leaf.is_leaf, r._base is None]
        x = rg(lib, 1.0, 1.0, 1.0, 1.0)
        y = x * 2
        v = y[1:3]
        I.apply(v)
        obs += [name(y.grad_fn), name(v.grad_fn)]
        y.sum().backward()
        obs.append(vals(x.grad))
        y = x * 1
        z = y * y
        I.apply(y)
        obs.append(observe(lambda: z.sum().backward()))
        obs.append(observe(lambda: I.apply(x[1:])))

        class NotRet(lib.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.mark_dirty(t)
                return t * 2

        obs.append(observe(lambda: NotRet.apply(T.ones(1))))
        with T.inference_mode():
            t = T.ones(2)
            obs.append(I.apply(t) is t)
        obs.append(observe(lambda: I.apply(t)))
        return obs
    compare(sc)


def test_non_differentiable_and_materialize():
    def sc(lib):
        T, got = lib.t, []

        class Sort(lib.Function):
            @staticmethod
            def forward(ctx, x, mat):
                ctx.set_materialize_grads(mat)
                idx = T.arange(2)
                m = x * 3
                ctx.mark_non_differentiable(idx, m)
                return x * 2, idx, m, x * 4

            @staticmethod
            def backward(ctx, g, gi, gm, g4):
                got.append([None if v is None else (str(v.dtype).split(".")[-1], vals(v))
                            for v in (g, gi, gm, g4)])
                return g * 2 + (0 if g4 is None else g4 * 4), None

        x = rg(lib, 1.0, 2.0)
        obs = []
        for mat in (True, False):
            a, i, m, d = Sort.apply(x, mat)
            obs += [flags(a), flags(i), flags(m)]
            a.sum().backward()
            obs.append(observe(lambda: m.sum().backward()))
        obs += [got, vals(x.grad)]
        return obs
    compare(sc)


def test_views():
    def sc(lib):
        T, obs = lib.t, []
        Id, H, Hv = ident(lib), head(lib), halves(lib)
        x = rg(lib, 1.0, 2.0, 3.0, 4.0)
        y = Id.apply(x)
        obs += [y is x, y._base is x, lib.meta(y), flags(y), observe(lambda: y.add_(1))]
        p = T.ones(4)
        with T.no_grad():
            a, b = Id.apply(x), Id.apply(p)
        obs += [a._base is None, flags(a), b._base is p, lib.meta(b)]
        with T.inference_mode():
            a, b = Id.apply(x), Id.apply(p)
        obs += [a._base is None, flags(a), b._base is p, lib.meta(b)]
        y = x * 1
        v = H.apply(y)
        obs += [lib.meta(v), flags(v), observe(lambda: v.mul_(2))]
        with T.no_grad():
            v.mul_(2)
        v = H.apply(y)
        with T.no_grad():
            y.add_(1)
        obs += [observe(lambda: v.grad_fn), observe(lambda: v * 2)]
        v = H.apply(p)
        v.add_(1)
        obs += [vals(p), observe(lambda: H.apply(p).add_(x[:2]))]
        vv = H.apply(x * 1)[:1]
        obs += [lib.meta(vv), observe(lambda: vv.add_(1))]
        a, b = Hv.apply(x * 1)
        obs += [lib.meta(a), lib.meta(b), a.output_nr, b.output_nr,
                observe(lambda: b.add_(1))]
        return obs
    compare(sc)


def test_backward_results():
    def sc(lib):
        T, obs = lib.t, []
        cases = [
            lambda T, g: (g, g), lambda T, g: (g, None, None), lambda T, g: T.ones(3),
            lambda T, g: T.ones(1), lambda T, g: T.ones(3, 2, dtype=T.float64),
            lambda T, g: T.ones(2, 1), lambda T, g: T.ones(2, dtype=T.int64),
            lambda T, g: g.float(), lambda T, g: 3, lambda T, g: [g], lambda T, g: None,
        ]
        for c in cases:
            x = rg(lib, 1.0, 2.0)
            obs.append(observe(lambda: ret(lib, c).apply(x).sum().backward()))
            obs.append(None if x.grad is None else (str(x.grad.dtype), vals(x.grad)))

        class NV(lib.Function):
            @staticmethod
            def forward(ctx, x, k, t):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, g, T.ones(7)

        obs.append(observe(lambda: NV.apply(rg(lib, 1.0), 2, T.ones(1)).sum().backward()))
        obs.append(observe(lambda: NV.apply(rg(lib, 1.0), 3.0, T.ones(1)).sum().backward()))
        return obs
    compare(sc)


def test_higher_order():
    def sc(lib):
        T, obs = lib.t, []
        C = cube(lib)

        class Once(lib.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            @lib.once
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * 3 * x ** 2

        x = rg(lib, 1.0, 2.0)
        g, = T.autograd.grad(C.apply(x).sum(), x, create_graph=True)
        g2, = T.autograd.grad(g.sum(), x)
        obs += [vals(g), vals(g2)]
        g, = T.autograd.grad(Once.apply(x).sum(), x, create_graph=True)
        obs += [flags(g), observe(lambda: g.sum().backward())]
        y = Once.apply(x)
        g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
        obs += [g.requires_grad, name(g.grad_fn), observe(lambda: g.sum().backward())]
        return obs
    compare(sc)


@given(used=st.lists(st.booleans(), min_size=3, max_size=3), materialize=st.booleans(),
       nondiff=st.booleans())
def test_property_used_outputs(used, materialize, nondiff):
    def sc(lib):
        T, got = lib.t, []

        class Three(lib.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                outs = (x * 2, x * x, x * 5)
                if nondiff:
                    ctx.mark_non_differentiable(outs[2])
                ctx.save_for_backward(x)
                return outs

            @staticmethod
            def backward(ctx, *gs):
                x, = ctx.saved_tensors
                got.append([vals(g) for g in gs])
                r = T.zeros_like(x)
                for k, g in zip((2, None, 5), gs):
                    if g is not None:
                        r = r + (g * k if k is not None else g * 2 * x)
                return r

        x = rg(lib, 1.0, -2.0)
        outs = Three.apply(x)
        terms = [o.sum() * (i + 1) for i, o in enumerate(outs) if used[i]]
        res = observe(lambda: sum(terms[1:], terms[0]).backward()) if terms else None
        return [[flags(o) for o in outs], res, got, vals(x.grad)]
    compare(sc)


# -- where tensorkeys deliberately differs -------------------------------------------------
def test_dirty_leaf_refused_without_the_extra_bump():
    for lib, bump in ((LIBS["torch"], 2), (LIBS["ours"], 1)):
        x = rg(lib, 1.0)
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad has been "
                                               "used in an in-place operation."):
            inc(lib).apply(x)
        assert x.tolist() == [2.0] and x._version == bump   # both: forward's write stays


def test_dirty_view_in_second_position():
    def sc(lib):
        class IncSecond(lib.Function):
            @staticmethod
            def forward(ctx, w, x):
                x.add_(w)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 5, g * 3

        x, w = rg(lib, 1.0, 1.0, 1.0, 1.0), rg(lib, 1.0, 1.0)
        y = x * 2
        IncSecond.apply(w, y[1:3])
        y.sum().backward()
        return vals(x.grad), vals(w.grad)

    assert sc(LIBS["ours"]) == ([2.0, 6.0, 6.0, 2.0], [5.0, 5.0])     # the correct gradients
    assert sc(LIBS["torch"]) == ([2.0, 16.0, 16.0, 2.0], None)          # torch's mix-up
