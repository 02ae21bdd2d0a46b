"""``torch.library`` extras against PyTorch: ``opcheck`` (each test's verdict and the exception
it reports), ``get_ctx``, ``impl_abstract``, ``get_kernel``, ``register_autocast`` and
``register_vmap``. Each case runs the same program on both libraries and logs what it sees:
values, dtypes, verdicts, warning categories, error types and the first part of messages."""

import itertools
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

_N = {}


def _fresh(prefix):
    n = _N.setdefault(prefix, itertools.count())
    return f"tkxdiff::{prefix}{next(n)}"


def _run(M, case):
    _N.clear()
    log = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            case(M, log)
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        log.append(("E", type(e).__name__, str(e).split("\n")[0][:100]))
    return log


def _verdicts(result):
    """opcheck's dict as (test, "SUCCESS" or (exception type, message start))."""
    return [(k, v if isinstance(v, str) else (type(v).__name__, str(v)[:100]))
            for k, v in result.items()]


def _op(M, name):
    ns, op = name.split("::")
    return getattr(getattr(M.ops, ns), op)


# -- opcheck on custom_op ops -------------------------------------------------------------------
def c_opcheck_good(M, log):
    @M.library.custom_op(_fresh("good"), mutates_args=())
    def good(x: M.Tensor) -> M.Tensor:
        return x.sin()

    @good.register_fake
    def _(x):
        return M.empty_like(x)

    def setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def bwd(ctx, g):
        x, = ctx.saved_tensors
        return g * x.cos()
    good.register_autograd(bwd, setup_context=setup)
    x = M.randn(3, requires_grad=True)
    log.append(_verdicts(M.library.opcheck(good, (x,))))
    log.append(_verdicts(M.library.opcheck(good, (x,), test_utils="ALL")))
    log.append(_verdicts(M.library.opcheck(_op(M, good._qualname if hasattr(good, "_qualname")
                                                else "tkxdiff::good0"), (M.randn(2),))))
    log.append(_verdicts(M.library.opcheck(good, (x,), test_utils=["test_faketensor"],
                                           atol=1e-3, rtol=1e-3)))
    log.append((x.grad is None, x._version))


def c_opcheck_no_fake(M, log):
    @M.library.custom_op(_fresh("nofake"), mutates_args=())
    def nofake(x: M.Tensor) -> M.Tensor:
        return x.sin()
    log.append(_verdicts(M.library.opcheck(nofake, (M.randn(3),), raise_exception=False)))
    try:
        M.library.opcheck(nofake, (M.randn(3),))
    except Exception as e:  # noqa: BLE001
        log.append((type(e).__name__, str(e)[:120], type(e.__cause__).__name__,
                    isinstance(e, Exception)))


def c_opcheck_fake_mismatches(M, log):
    fakes = {
        "shape": lambda x: x.new_empty(x.shape[0] + 1, x.shape[1]),
        "dtype": lambda x: x.new_empty(x.shape, dtype=M.float64),
        "stride": lambda x: x.new_empty(x.shape[::-1]).t(),
        "alias": lambda x: x,
    }
    for what, fake in fakes.items():
        @M.library.custom_op(_fresh(what), mutates_args=())
        def op(x: M.Tensor) -> M.Tensor:
            return x.sin()
        op.register_fake(fake)
        log.append((what, _verdicts(M.library.opcheck(op, (M.randn(3, 2),),
                                                      test_utils="test_faketensor",
                                                      raise_exception=False))))


def c_opcheck_two_outputs_fake(M, log):
    @M.library.custom_op(_fresh("pair"), mutates_args=())
    def pair(x: M.Tensor) -> tuple[M.Tensor, M.Tensor]:
        return x.sin(), x.sum(0)

    @pair.register_fake
    def _(x):
        return M.empty_like(x), x.new_empty(x.shape[0] + 5)
    log.append(_verdicts(M.library.opcheck(pair, (M.randn(3),), test_utils="test_faketensor",
                                           raise_exception=False)))


def c_opcheck_dynamic_size(M, log):
    log.append(M.library.get_ctx())

    @M.library.custom_op(_fresh("nz"), mutates_args=())
    def nz(x: M.Tensor) -> M.Tensor:
        return x.nonzero()

    @nz.register_fake
    def _(x):
        ctx = M.library.get_ctx()
        log.append(ctx is not None)
        try:
            ctx.new_dynamic_size(min=-1)
        except ValueError as e:
            log.append(str(e))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            n = ctx.create_unbacked_symint()
        log.append([(x.category.__name__, str(x.message)) for x in w])
        return x.new_empty(n, x.dim(), dtype=M.int64)
    log.append(_verdicts(M.library.opcheck(nz, (M.tensor([0., 1., 2.]),),
                                           test_utils="test_faketensor")))
    log.append(M.library.get_ctx())


def c_opcheck_mutation(M, log):
    @M.library.custom_op(_fresh("undeclared"), mutates_args=())
    def undeclared(x: M.Tensor) -> M.Tensor:
        x.add_(1)
        return x.clone()
    undeclared.register_fake(lambda x: M.empty_like(x))

    @M.library.custom_op(_fresh("declared"), mutates_args=("x",))
    def declared(x: M.Tensor) -> None:
        x.add_(1)

    @M.library.custom_op(_fresh("over"), mutates_args=("x",))
    def over(x: M.Tensor) -> None:
        pass
    a = M.zeros(3)
    for op in (undeclared, declared, over):
        log.append(_verdicts(M.library.opcheck(op, (a,), raise_exception=False)))
    log.append((a.tolist(), a._version))


def c_opcheck_library_ops(M, log):
    lib = M.library.Library(_fresh("ns").split("::")[1], "FRAGMENT")
    ns = lib.ns
    lib.define("plain(Tensor x) -> Tensor")
    lib.impl("plain", lambda x: x * 2, "CPU")
    lib.define("np(Tensor x) -> Tensor")
    lib.impl("np", lambda x: M.from_numpy(x.detach().numpy() * 2), "CPU")
    lib.define("alias(Tensor x) -> Tensor")
    lib.impl("alias", lambda x: x.view(-1), "CPU")
    lib.define("view(Tensor(a) x) -> Tensor(a)")
    lib.impl("view", lambda x: x.view(-1), "CPU")
    lib.define("two(Tensor x) -> (Tensor, Tensor)")
    lib.impl("two", lambda x: (lambda y: (y, y[:1]))(x * 2), "CPU")
    lib.define("mut(Tensor x) -> ()")
    lib.impl("mut", lambda x: (x.mul_(2), None)[1], "CPU")
    lib.define("ret(Tensor(a) x) -> Tensor(a)")
    lib.impl("ret", lambda x: x, "CPU")
    lib.define("withmeta(Tensor x) -> Tensor")
    lib.impl("withmeta", lambda x: x * 2, "CPU")
    lib.impl("withmeta", lambda x: x.new_empty(x.shape[0] + 2), "Meta")
    lib.define("withfake(Tensor x) -> Tensor")
    lib.impl("withfake", lambda x: x * 2, "CPU")
    M.library.register_fake(f"{ns}::withfake", lambda x: M.empty_like(x), lib=lib)
    lib.define("cia(Tensor x) -> Tensor")
    lib.impl("cia", lambda x: (x.add_(1), x * 2)[1], "CompositeImplicitAutograd")
    pkt = getattr(M.ops, ns)
    for name in ("plain", "np", "alias", "view", "two", "mut", "ret", "withmeta", "withfake",
                 "cia"):
        for rg in (False, True):
            if rg and name in ("mut", "cia"):
                continue
            x = M.randn(3, requires_grad=rg)
            log.append((name, rg, _verdicts(M.library.opcheck(getattr(pkt, name), (x,),
                                                              raise_exception=False))))


def c_opcheck_aot(M, log):
    lib = M.library.Library(_fresh("aot").split("::")[1], "FRAGMENT")
    ns = lib.ns
    lib.define("rnd(Tensor x) -> Tensor")
    lib.impl("rnd", lambda x: x + M.from_numpy(np.random.rand(3).astype("float32")), "CPU")
    M.library.register_fake(f"{ns}::rnd", lambda x: M.empty_like(x), lib=lib)
    lib.define("trnd(Tensor x) -> Tensor")
    lib.impl("trnd", lambda x: x + M.rand(3), "CPU")
    M.library.register_fake(f"{ns}::trnd", lambda x: M.empty_like(x), lib=lib)
    pkt = getattr(M.ops, ns)
    for name in ("rnd", "trnd"):
        log.append(_verdicts(M.library.opcheck(getattr(pkt, name), (M.randn(3),),
                                               raise_exception=False)))

    @M.library.custom_op(_fresh("changing"), mutates_args=())
    def changing(x: M.Tensor) -> M.Tensor:
        return x * 2
    changing.register_fake(lambda x: M.empty_like(x))
    count = [0]

    def bwd(ctx, g):
        count[0] += 1
        return g * count[0]
    changing.register_autograd(bwd)
    log.append(_verdicts(M.library.opcheck(changing, (M.randn(3, requires_grad=True),),
                                           raise_exception=False)))

    @M.library.custom_op(_fresh("nobwd"), mutates_args=())
    def nobwd(x: M.Tensor) -> M.Tensor:
        return x * 2
    nobwd.register_fake(lambda x: M.empty_like(x))
    log.append(_verdicts(M.library.opcheck(nobwd, (M.randn(3, requires_grad=True),),
                                           raise_exception=False)))
    log.append(_verdicts(M.library.opcheck(nobwd, (M.randn(3),), raise_exception=False)))


def c_opcheck_bad_arguments(M, log):
    lib = M.library.Library(_fresh("args").split("::")[1], "FRAGMENT")
    lib.define("f(Tensor x) -> Tensor")
    lib.define("f.two(Tensor x, Tensor y) -> Tensor")
    lib.define("g(Tensor x) -> Tensor")
    lib.impl("g", lambda x: x * 2, "CPU")
    pkt = getattr(M.ops, lib.ns)
    calls = [((pkt.f, (M.ones(1),)), {}),
             ((pkt.g, (M.ones(1),)), {"rtol": 1e-3}),
             ((pkt.g, (M.ones(1),)), {"atol": 1.0}),
             ((pkt.g, (M.ones(1),)), {"test_utils": "nope"}),
             ((pkt.g, (M.ones(1),)), {"test_utils": ["test_schema", "x"]}),
             ((pkt.g, (M.ones(1),)), {"test_utils": 5}),
             ((f"{lib.ns}::g", (M.ones(1),)), {})]
    for a, kw in calls:
        try:
            M.library.opcheck(*a, **kw)
        except Exception as e:  # noqa: BLE001
            log.append((type(e).__name__, str(e)[:110]))


# -- get_kernel, impl_abstract --------------------------------------------------------------------
def c_get_kernel(M, log):
    ks = M._C.DispatchKeySet("CPU") if M is torch else M.DispatchKeySet("CPU")

    @M.library.custom_op(_fresh("k"), mutates_args=())
    def f(x: M.Tensor) -> M.Tensor:
        return x * 2
    name = "tkxdiff::k0"
    for op, key in [(name, "CPU"), (name, "Nope"), (123, "CPU"), (f, "CPU"),
                    ("aten::nope", "CPU"), (name, "Autograd"),
                    (name, "CompositeImplicitAutograd"), ("aten::sin", "CPU"),
                    (M.ops.aten.sin.default, "CPU"), (M.ops.aten.sin, "CPU"),
                    (name, "AutogradCPU"), ("aten::add", "CPU")]:
        try:
            k = M.library.get_kernel(op, key)
            log.append(("ok", type(k).__name__.lstrip("_"), repr(k)[:30],
                        [round(v, 6) for v in k.call_boxed(ks, M.ones(2)).tolist()]))
        except Exception as e:  # noqa: BLE001
            # (the message ends with the type of op, whose module differs)
            log.append((type(e).__name__, str(e).split("<class")[0][:60]))
    k = M.library.get_kernel("aten::add.Tensor", "CPU")
    log.append(k.call_boxed(ks, M.ones(2), M.ones(2), alpha=2).tolist())
    x = M.ones(2, requires_grad=True)
    log.append(k.call_boxed(ks, x, x).requires_grad)
    for bad in (lambda: k(M.ones(2)), lambda: k.call_boxed(ks, M.ones(2)),
                lambda: k.call_boxed("CPU", M.ones(2), M.ones(2))):
        try:
            bad()
        except Exception as e:  # noqa: BLE001
            # (a TypeError names the class: ours is not in a module called torch._C)
            log.append((type(e).__name__, str(e)[:20] if type(e) is not TypeError else ""))


def c_get_kernel_wraps_a_builtin(M, log):
    orig = M.library.get_kernel("aten::sin", "CPU")
    lib = M.library.Library("aten", "IMPL")

    def cond_sin(keys, x):
        if (x < 0).any():
            return orig.call_boxed(keys, x)
        return M.zeros_like(x)
    try:
        lib.impl("sin", cond_sin, "CPU", with_keyset=True)
        log.append(M.sin(M.tensor([1.0, 2.0])).tolist())
        log.append([round(v, 6) for v in M.sin(M.tensor([-1.0, 2.0])).tolist()])
    finally:
        lib._destroy()
    log.append([round(v, 6) for v in M.sin(M.tensor([1.0])).tolist()])


def c_impl_abstract(M, log):
    name = _fresh("ab")
    M.library.define(name, "(Tensor x) -> Tensor")
    M.library.impl(name, "cpu", lambda x: x + 1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        M.library.impl_abstract(name)(lambda x: M.empty_like(x))
        log.append([(x.category.__name__, str(x.message), x.filename == __file__) for x in w])
    log.append(_verdicts(M.library.opcheck(_op(M, name), (M.ones(2),))))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f2 = lambda x: M.empty_like(x)[:1]  # noqa: E731
        log.append(M.library.impl_abstract(name, f2) is f2)
        log.append([x.category.__name__ for x in w])
    log.append(_verdicts(M.library.opcheck(_op(M, name), (M.ones(2),),
                                           test_utils="test_faketensor",
                                           raise_exception=False)))


# -- register_autocast, register_vmap ----------------------------------------------------------
def c_register_autocast(M, log):
    @M.library.custom_op(_fresh("mm"), mutates_args=())
    def my_mm(x: M.Tensor, y: M.Tensor) -> M.Tensor:
        log.append((str(x.dtype), str(y.dtype), M.is_autocast_enabled("cpu")))
        return x @ y
    log.append(callable(my_mm.register_autocast("cpu", M.float16)))
    x = M.ones(2, 2, requires_grad=True)
    y = M.ones(2, 2, dtype=M.float64)
    with M.autocast("cpu", dtype=M.float16):
        out = my_mm(x, x)
        out2 = my_mm(y, y)
        out3 = my_mm(x.int(), x.int())
    log.append((str(out.dtype), str(out2.dtype), str(out3.dtype), out.requires_grad))
    log.append(str(my_mm(x, x).dtype))
    my_mm.register_autocast("cpu", M.float64)          # the first registration stays
    with M.autocast("cpu", dtype=M.float16):
        log.append(str(my_mm(x, x).dtype))
    my_mm.register_autocast("cuda", M.float16)
    for bad in [("meta", M.float16), ("foo", M.float16), (1, M.float16)]:
        try:
            my_mm.register_autocast(*bad)
        except Exception as e:  # noqa: BLE001
            log.append((type(e).__name__, str(e)[:60]))
    lib = M.library.Library(_fresh("ac").split("::")[1], "FRAGMENT")
    lib.define("add2(Tensor x, Tensor y) -> Tensor")
    lib.impl("add2", lambda x, y: x + y, "CPU")
    M.library.register_autocast(f"{lib.ns}::add2", "cpu", M.float16, lib=lib)
    add2 = getattr(M.ops, lib.ns).add2
    with M.autocast("cpu", dtype=M.float16):
        log.append(str(add2(M.ones(2), M.ones(2)).dtype))
    log.append(str(add2(M.ones(2), M.ones(2)).dtype))
    for bad in [(123, "cpu", M.float16), (f"{lib.ns}::add2", "meta", M.float16)]:
        try:
            M.library.register_autocast(*bad)
        except Exception as e:  # noqa: BLE001
            log.append((type(e).__name__, str(e)[:40]))


def c_register_vmap(M, log):
    @M.library.custom_op(_fresh("npmul"), mutates_args=())
    def npmul(x: M.Tensor, y: M.Tensor) -> M.Tensor:
        log.append(("kernel", tuple(x.shape), tuple(y.shape)))
        return M.from_numpy(x.numpy() * y.numpy())

    @npmul.register_vmap
    def _(info, in_dims, x, y):
        log.append(("rule", info.batch_size, info.randomness, in_dims, type(info).__name__))
        xb, yb = in_dims
        x = x.movedim(xb, -1) if xb is not None else x.unsqueeze(-1)
        y = y.movedim(yb, -1) if yb is not None else y.unsqueeze(-1)
        return (x * y).movedim(-1, 0), 0
    x = M.arange(6.).reshape(3, 2)
    y = M.arange(2.) + 1
    log.append(M.vmap(npmul)(x, x).tolist())
    log.append(M.vmap(npmul, in_dims=(0, None))(x, y).tolist())
    log.append(M.vmap(lambda a: npmul(a, y), randomness="same")(x).tolist())
    log.append(M.vmap(npmul, in_dims=(1, None))(x, M.ones(3)).tolist())
    log.append(npmul(x, x).tolist())

    @M.library.custom_op(_fresh("two"), mutates_args=())
    def two(x: M.Tensor) -> tuple[M.Tensor, M.Tensor]:
        return x.clone(), x.sum(0, keepdim=True)

    @two.register_vmap
    def _(info, in_dims, x):
        log.append("rule2")
        return (x.clone(), x.sum(1, keepdim=True)), (in_dims[0], 0)
    a, b = M.vmap(two)(x)
    log.append((a.tolist(), b.tolist()))

    for bad_rule in (lambda info, in_dims, x: x, lambda info, in_dims, x: (x, 0, 0)):
        @M.library.custom_op(_fresh("bad"), mutates_args=())
        def bad(x: M.Tensor) -> M.Tensor:
            return x.clone()
        bad.register_vmap(bad_rule)
        try:
            M.vmap(bad)(x)
        except Exception as e:  # noqa: BLE001
            log.append((type(e).__name__, str(e)[:130]))


def c_register_vmap_library_op(M, log):
    lib = M.library.Library(_fresh("vm").split("::")[1], "FRAGMENT")
    lib.define("cube(Tensor x) -> Tensor")
    lib.impl("cube", lambda x: M.from_numpy(x.numpy() ** 3), "CPU")
    cube = getattr(M.ops, lib.ns).cube

    def cube_vmap(info, in_dims, x):
        log.append(("rule", in_dims, info.batch_size))
        return cube(x), in_dims[0]
    M.library.register_vmap(f"{lib.ns}::cube", cube_vmap, lib=lib)
    log.append(M.vmap(cube)(M.arange(6.).reshape(3, 2)).tolist())
    log.append(M.vmap(cube, in_dims=1)(M.arange(6.).reshape(3, 2)).tolist())
    lib.define("kw(Tensor x, *, Tensor y) -> Tensor")
    for bad in [lambda: M.library.register_vmap(123, None),
                lambda: M.library.register_vmap(f"{lib.ns}::kw", lambda *a: a)]:
        try:
            bad()
        except Exception as e:  # noqa: BLE001
            log.append((type(e).__name__, str(e)[:60]))


CASES = {f.__name__: f for f in (
    c_opcheck_good, c_opcheck_no_fake, c_opcheck_fake_mismatches, c_opcheck_two_outputs_fake,
    c_opcheck_dynamic_size, c_opcheck_mutation, c_opcheck_library_ops, c_opcheck_aot,
    c_opcheck_bad_arguments, c_get_kernel, c_get_kernel_wraps_a_builtin, c_impl_abstract,
    c_register_autocast, c_register_vmap, c_register_vmap_library_op)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_library_extra_matches_torch(name):
    assert _run(tk, CASES[name]) == _run(torch, CASES[name])
