"""torch.autocast on the CPU (float16) and torch.amp.GradScaler, side by side with PyTorch
(skipped without torch): result dtypes and values, the recorded graph (the casts are
ToCopyBackward0 nodes, a weight used twice is cast once), gradients, the state functions,
warnings and errors, and GradScaler's scale over a run with overflowing steps."""

import warnings

import numpy as np
import pytest

import tensor as tk

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.differential

DTYPES = ["float16", "float32", "float64"]

# op name -> (build the inputs from dtypes (d0, d1, d2), call)
def _t(M, shape, dt, seed, rg=False):
    rng = np.random.default_rng(seed)
    x = M.tensor(rng.uniform(0.5, 1.5, shape).astype(np.float64), dtype=getattr(M, dt))
    return x.requires_grad_() if rg else x


CASES = {
    "mm": lambda M, d: M.mm(_t(M, (2, 3), d[0], 0, True), _t(M, (3, 4), d[1], 1, True)),
    "matmul": lambda M, d: M.matmul(_t(M, (2, 3), d[0], 0, True), _t(M, (3,), d[1], 1, True)),
    "bmm": lambda M, d: M.bmm(_t(M, (2, 2, 3), d[0], 0, True), _t(M, (2, 3, 2), d[1], 1)),
    "addmm": lambda M, d: M.addmm(_t(M, (2, 4), d[2], 2, True), _t(M, (2, 3), d[0], 0),
                                 _t(M, (3, 4), d[1], 1, True)),
    "baddbmm": lambda M, d: M.baddbmm(_t(M, (2, 2, 2), d[2], 2), _t(M, (2, 2, 3), d[0], 0),
                                     _t(M, (2, 3, 2), d[1], 1, True)),
    "linear2d": lambda M, d: M.nn.functional.linear(_t(M, (2, 3), d[0], 0, True),
                                                   _t(M, (4, 3), d[1], 1, True),
                                                   _t(M, (4,), d[2], 2, True)),
    "linear3d": lambda M, d: M.nn.functional.linear(_t(M, (2, 2, 3), d[0], 0, True),
                                                   _t(M, (4, 3), d[1], 1, True),
                                                   _t(M, (4,), d[2], 2, True)),
    "conv2d": lambda M, d: M.nn.functional.conv2d(_t(M, (1, 2, 4, 4), d[0], 0, True),
                                                 _t(M, (3, 2, 2, 2), d[1], 1, True),
                                                 _t(M, (3,), d[2], 2)),
    "prelu": lambda M, d: M.nn.functional.prelu(_t(M, (2, 3), d[0], 0, True) - 1,
                                               _t(M, (1,), d[1], 1)),
    "mse_loss": lambda M, d: M.nn.functional.mse_loss(_t(M, (2, 3), d[0], 0, True),
                                                     _t(M, (2, 3), d[1], 1)),
    "prod": lambda M, d: _t(M, (2, 3), d[0], 0, True).prod(1),
    "l1_loss": lambda M, d: M.nn.functional.l1_loss(_t(M, (3,), d[0], 0, True),
                                                   _t(M, (3,), d[1], 1)),
    "cat": lambda M, d: M.cat([_t(M, (2,), d[0], 0, True), _t(M, (2,), d[1], 1)]),
    "stack": lambda M, d: M.stack([_t(M, (2,), d[0], 0), _t(M, (2,), d[1], 1, True)]),
    "index_copy": lambda M, d: _t(M, (3,), d[0], 0).index_copy(
        0, M.tensor([0, 2]), _t(M, (2,), d[1], 1, True)),
    "add (not listed)": lambda M, d: _t(M, (2,), d[0], 0, True) + _t(M, (2,), d[1], 1),
    "softmax (not listed)": lambda M, d: M.softmax(_t(M, (2, 3), d[0], 0, True), 1),
    "inverse": lambda M, d: M.inverse(M.eye(2, dtype=getattr(M, d[0])) * 2),
}


def _outcome(M, name, dts):
    try:
        with M.autocast("cpu", dtype=M.float16):
            y = CASES[name](M, dts)
            graph = (type(y.grad_fn).__name__ if y.grad_fn is not None else None,
                     sorted(type(f).__name__ for f, _ in (y.grad_fn.next_functions
                                                            if y.grad_fn is not None else ())
                            if f is not None))
        grads = []
        if y.requires_grad:
            leaves = []
            fn_stack = [y.grad_fn]
            while fn_stack:
                fn = fn_stack.pop()
                if fn is None:
                    continue
                if type(fn).__name__ == "AccumulateGrad":
                    leaves.append(fn.variable)
                fn_stack.extend(f for f, _ in fn.next_functions)
            y.float().sum().backward()
            grads = sorted((str(v.grad.dtype), round(float(v.grad.double().sum()), 2))
                           for v in leaves)
        return ("ok", str(y.dtype), graph, y.detach().double().numpy().round(2).tolist(), grads)
    except Exception as e:
        return (type(e).__name__, str(e).split("\n")[0][:60])


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dts", [("float32", "float32", "float32"),
                                 ("float16", "float32", "float64"),
                                 ("float64", "float64", "float32"),
                                 ("float16", "float16", "float16")])
def test_autocast_op_as_torch(name, dts):
    ours, theirs = _outcome(tk, name, dts), _outcome(torch, name, dts)
    if ours[0] != "ok" or theirs[0] != "ok":
        assert ours[0] == theirs[0]          # both refuse (the dtype mismatch texts differ)
    else:
        assert ours == theirs


def test_weight_cast_once_per_region_as_torch():
    """A float32 leaf that requires grad is cast once per autocast region (the same
    ToCopyBackward0 node serves every use), a non-leaf is cast per use, and a new region
    casts again."""
    def probe(M):
        w = M.ones(3, 3, requires_grad=True)
        h = M.ones(3, 3, requires_grad=True) * 2
        with M.autocast("cpu", dtype=M.float16):
            a, b = w @ w, h @ h
            same_leaf = a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[1][0]
            wa = a.grad_fn.next_functions[0][0] is a.grad_fn.next_functions[1][0]
            hb = b.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[1][0]
        with M.autocast("cpu", dtype=M.float16):
            c = w @ w
        again = c.grad_fn.next_functions[0][0] is a.grad_fn.next_functions[0][0]
        with M.autocast("cpu", dtype=M.float16, cache_enabled=False):
            d = w @ w
            nocache = d.grad_fn.next_functions[0][0] is d.grad_fn.next_functions[1][0]
        return same_leaf, wa, hb, again, nocache
    assert probe(tk) == probe(torch)


def test_state_functions_as_torch():
    def probe(M):
        out = [M.is_autocast_enabled("cpu"), M.is_autocast_enabled(), M.is_autocast_cache_enabled()]
        with M.autocast("cpu", dtype=M.float16, cache_enabled=False):
            out += [M.is_autocast_enabled("cpu"), str(M.get_autocast_dtype("cpu")),
                    M.is_autocast_cache_enabled()]
            with M.autocast("cpu", enabled=False):
                out += [M.is_autocast_enabled("cpu"), str(M.get_autocast_dtype("cpu"))]
            out.append(M.is_autocast_enabled("cpu"))
        out += [M.is_autocast_enabled("cpu"), M.is_autocast_cache_enabled(),
                str(M.get_autocast_dtype("cuda"))]
        M.set_autocast_enabled("cuda", True)
        out.append(M.is_autocast_enabled())
        M.set_autocast_enabled("cuda", False)
        out += [M.autocast_increment_nesting(), M.autocast_decrement_nesting()]

        @M.autocast("cpu", dtype=M.float16)
        def f(x):
            return (x @ x).dtype, M.is_autocast_enabled("cpu")
        out += [str(f(M.ones(2, 2))), M.is_autocast_enabled("cpu")]
        return out
    assert probe(tk) == probe(torch)


@pytest.mark.parametrize("args, kwargs", [(("cuda",), {}), (("cpu",), {"dtype": "float32"}),
                                          (("cpu",), {"dtype": "float64"}), ((3,), {}),
                                          (("foo",), {}), (("cpu",), {"dtype": "float16"})])
def test_guard_warnings_and_errors_as_torch(args, kwargs):
    def probe(M):
        kw = {k: getattr(M, v) for k, v in kwargs.items()}
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                with M.autocast(*args, **kw):
                    on = M.is_autocast_enabled("cpu")
            except Exception as e:
                return type(e).__name__, str(e)
        return on, [(x.category.__name__, str(x.message).split(" Hint:")[0]) for x in w]
    assert probe(tk) == probe(torch)


def _scaler_run(M, device, overflow_at=(2,), steps=6, **kw):
    M.manual_seed(0)
    w = M.tensor([[0.5, -0.25], [0.125, 1.0]], requires_grad=True)
    opt = M.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaler = M.amp.GradScaler(device, init_scale=8.0, growth_interval=2, **kw)
    trace = [scaler.is_enabled()]
    for i in range(steps):
        opt.zero_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with M.autocast(device, dtype=M.float16):
                loss = (M.tensor([[1.0, 2.0]]) @ w).float().sum()
        scaled = scaler.scale(loss)
        scaled.backward()
        if i in overflow_at:
            with M.no_grad():
                w.grad[0, 0] = float("inf")
        if i == 3:
            scaler.unscale_(opt)
            trace.append(w.grad.tolist())
        scaler.step(opt)
        scaler.update()
        trace.append((round(float(scaled), 4), scaler.get_scale(), scaler._get_growth_tracker(),
                      w.detach().tolist()))
    trace.append(scaler.state_dict())
    return trace


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_grad_scaler_run_as_torch(device):
    """Scale, skipped steps on overflow, backoff and growth, unscale_ before step, and the
    state dict; a "cuda" scaler is disabled (no CUDA) and steps plainly."""
    assert _scaler_run(tk, device) == _scaler_run(torch, device)


def test_grad_scaler_misuse_as_torch():
    def probe(M):
        out = []
        w = M.ones(2, requires_grad=True)
        opt = M.optim.SGD([w], lr=0.1)
        s = M.amp.GradScaler("cpu")
        for call in (lambda: s.step(opt), lambda: s.update()):
            try:
                call()
            except Exception as e:
                out.append((type(e).__name__, str(e)))
        s.scale(w.sum()).backward()
        s.unscale_(opt)
        for call in (lambda: s.unscale_(opt),
                     lambda: s.step(opt, closure=lambda: None),
                     lambda: (s.step(opt), s.step(opt)),
                     lambda: M.amp.GradScaler("cpu", growth_factor=0.5),
                     lambda: M.amp.GradScaler("cpu").load_state_dict({})):
            try:
                call()
                out.append("ok")
            except Exception as e:
                out.append((type(e).__name__, str(e)))
        return out
    assert probe(tk) == probe(torch)


@pytest.mark.parametrize("spelling", ["cpu_autocast", "cuda_autocast", "cuda_scaler"])
def test_deprecated_spellings_warn_as_torch(spelling):
    def probe(M):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            if spelling == "cpu_autocast":
                with M.cpu.amp.autocast(dtype=M.float16):
                    on = M.is_autocast_enabled("cpu")
            elif spelling == "cuda_autocast":
                with M.cuda.amp.autocast():
                    on = M.is_autocast_enabled("cpu")
            else:
                on = M.cuda.amp.GradScaler().is_enabled()
        return on, sorted({(x.category.__name__, str(x.message)) for x in w})
    assert probe(tk) == probe(torch)


HALF_CASES = {
    "addmm": lambda M, mk: M.addmm(mk(4), mk(4, 8), mk(8, 4)),
    "addmm alpha beta": lambda M, mk: M.addmm(mk(4), mk(4, 8), mk(8, 4), alpha=0.3, beta=1.7),
    "baddbmm": lambda M, mk: M.baddbmm(mk(2, 4, 4), mk(2, 4, 8), mk(2, 8, 4), alpha=0.3,
                                      beta=1.7),
    "addbmm": lambda M, mk: M.addbmm(mk(4, 4), mk(3, 4, 8), mk(3, 8, 4)),
    "addbmm alpha beta": lambda M, mk: M.addbmm(mk(4, 4), mk(3, 4, 8), mk(3, 8, 4), alpha=0.3,
                                               beta=1.7),
    "addmv": lambda M, mk: M.addmv(mk(4), mk(4, 8), mk(8), alpha=0.3, beta=1.7),
    "conv2d": lambda M, mk: M.nn.functional.conv2d(mk(1, 3, 5, 5), mk(2, 3, 3, 3), mk(2)),
    "linear": lambda M, mk: M.nn.functional.linear(mk(3, 2, 8), mk(4, 8), mk(4)),
}


@pytest.mark.parametrize("name", sorted(HALF_CASES))
@pytest.mark.parametrize("seed", range(3))
def test_half_products_round_as_torch(name, seed):
    """The products autocast sends to float16 give PyTorch's bits: the sum (and the added
    bias or self) is formed in float and rounded once, or per batch for addbmm."""
    out = []
    for M in (tk, torch):
        rng = np.random.default_rng(seed)
        out.append(HALF_CASES[name](
            M, lambda *s: M.from_numpy(rng.uniform(-1.5, 1.5, s).astype(np.float16))).numpy())
    np.testing.assert_array_equal(out[0], out[1])
