"""Lazy modules side by side with PyTorch (skipped without torch): the same construction and
calls on both must agree on types, reprs, parameter and buffer names and shapes, warnings,
error types and texts, state-dict behaviour, and — after copying PyTorch's materialized
weights into ours — on outputs and running statistics."""

from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

LIBS = {"torch": torch, "tk": tk}


def both(fn):
    """``fn(lib)`` on both libraries -> (torch result, ours)."""
    return fn(torch), fn(tk)


def outcome(fn):
    """What a call did: ('ok', value) or ('raise', type name, message)."""
    try:
        return ("ok", fn())
    except Exception as e:      # noqa: BLE001 - the type is what we compare
        return ("raise", type(e).__name__, str(e))


def _addr_free(msg):
    return re.sub(r" at 0x[0-9a-f]+", " at 0x?", msg)


def same_error(fn, full=True):
    t, k = outcome(lambda: fn(torch)), outcome(lambda: fn(tk))
    assert t[0] == k[0] == "raise", (t, k)
    assert t[1] == k[1], (t, k)
    if full:
        assert _addr_free(t[2]) == _addr_free(k[2])
    else:                       # the text around the function's description
        head = lambda m: m.split(" in ", 1)[0]                     # noqa: E731
        tail = lambda m: m.split(". This error happens", 1)[-1]    # noqa: E731
        assert head(t[2]) == head(k[2]) and tail(t[2]) == tail(k[2])
    return t, k


def arr(t):
    return t.detach().numpy()


def copy_params(src, dst):
    """PyTorch module's state into ours (through numpy), same names."""
    sd = {n: tk.tensor(v.detach().numpy().copy()) for n, v in src.state_dict().items()}
    dst.load_state_dict(sd)


LAZY = [
    ("LazyLinear", (3,), {}, (2, 5)),
    ("LazyLinear", (4,), {"bias": False}, (2, 3, 6)),
    ("LazyConv1d", (4, 2), {"stride": 2}, (2, 3, 7)),
    ("LazyConv1d", (4, 3), {"padding": 1, "padding_mode": "circular"}, (3, 6)),
    ("LazyConv2d", (4, 3), {"padding": 1, "groups": 2}, (1, 2, 5, 5)),
    ("LazyConv3d", (2, 2), {"bias": False}, (1, 3, 3, 3, 3)),
    ("LazyConvTranspose1d", (3, 2), {}, (1, 2, 4)),
    ("LazyConvTranspose2d", (2, 3), {"stride": 2, "output_padding": 1}, (1, 3, 3, 3)),
    ("LazyConvTranspose3d", (2, 2), {"groups": 1}, (1, 1, 2, 2, 2)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"bias": False, "momentum": None}, (4, 3, 2)),
    ("LazyBatchNorm2d", (), {}, (2, 3, 2, 2)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
]
IDS = [f"{n}-{i}" for i, (n, *_r) in enumerate(LAZY)]


def build(lib, name, args, kwargs):
    return getattr(lib.nn, name)(*args, **kwargs)


def names_and_types(m):
    return ([(n, type(p).__name__) for n, p in m.named_parameters()],
            [(n, type(b).__name__) for n, b in m.named_buffers()])


@pytest.mark.parametrize("name,args,kwargs,x_shape", LAZY, ids=IDS)
def test_construction_matches(name, args, kwargs, x_shape):
    """Type, repr, parameter/buffer names and types, warnings and has_uninitialized_params."""
    out = {}
    for key, lib in LIBS.items():
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = build(lib, name, args, kwargs)
        out[key] = (type(m).__name__, repr(m), names_and_types(m),
                    m.has_uninitialized_params(), [str(x.message) for x in w])
    assert out["torch"] == out["tk"]


@pytest.mark.parametrize("name,args,kwargs,x_shape", LAZY, ids=IDS)
def test_first_call_matches_after_copying_weights(name, args, kwargs, x_shape):
    """After the first call: the plain class, repr and shapes agree; with PyTorch's
    weights copied in, outputs (and, in training, running stats) agree."""
    x = np.random.default_rng(5).standard_normal(x_shape).astype(np.float32)
    tm, km = build(torch, name, args, kwargs), build(tk, name, args, kwargs)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        ty = tm(torch.tensor(x))
    with warnings.catch_warnings(record=True) as kw:
        warnings.simplefilter("always")
        km(tk.tensor(x))
    assert [str(w.message) for w in tw] == [str(w.message) for w in kw]
    assert type(tm).__name__ == type(km).__name__ and repr(tm) == repr(km)
    assert {n: tuple(v.shape) for n, v in tm.state_dict().items()} == \
        {n: tuple(v.shape) for n, v in km.state_dict().items()}
    assert names_and_types(tm) == names_and_types(km)
    # the first call ran in training mode: start both from PyTorch's state after it
    copy_params(tm, km)
    for _ in range(2):
        ty = tm(torch.tensor(x))
        ky = km(tk.tensor(x))
        np.testing.assert_allclose(arr(ky), arr(ty), rtol=1e-5, atol=1e-5)
    for (n, tv), kv in zip(tm.state_dict().items(), km.state_dict().values()):
        np.testing.assert_allclose(arr(kv), arr(tv), rtol=1e-5, atol=1e-6, err_msg=n)


@pytest.mark.parametrize("name,args,kwargs,x_shape", LAZY, ids=IDS)
def test_same_seed_property_holds_in_both(name, args, kwargs, x_shape):
    """In each library, seeding before the first call gives the plain module's init: the
    rule our own tests rely on holds in PyTorch too."""
    x = np.random.default_rng(1).standard_normal(x_shape).astype(np.float32)
    for lib in LIBS.values():
        m = build(lib, name, args, kwargs)
        lib.manual_seed(4)
        m(lib.tensor(x))
        plain_kwargs = {k: v for k, v in kwargs.items()}
        cls = type(m)
        lib.manual_seed(4)
        if name.startswith("LazyLinear"):
            plain = cls(x_shape[-1], *args, **plain_kwargs)
        elif "Conv" in name:
            cin = x_shape[1] if len(x_shape) == int(name[-2]) + 2 else x_shape[0]
            plain = cls(cin, *args, **plain_kwargs)
        else:
            defaults = {"affine": True, "track_running_stats": True}
            plain = cls(x_shape[1], **{**defaults, **plain_kwargs})
        plain(lib.tensor(x))        # the lazy one's first call also updated running stats
        for a, b in zip(m.state_dict().values(), plain.state_dict().values()):
            np.testing.assert_array_equal(arr(a), arr(b))


@pytest.mark.parametrize("expr", [
    "p.sum()", "p.numel()", "p.nelement()", "p.dim()", "p + 1", "p * 2", "p.detach()",
    "p.clone()", "p.view(-1)", "p.zero_()", "p.fill_(1)", "p.requires_grad_(False)",
    "p.tolist()", "p.item()", "p.stride()", "p.is_contiguous()", "p.data_ptr()",
    "p.element_size()", "p.numpy()", "p[0]", "bool(p)", "iter(p)", "len(p)", "p.shape",
    "p.share_memory_()", "p.storage_offset()", "float(p)", "p.exp()", "p.sum(0)",
])
@pytest.mark.parametrize("cls", ["UninitializedParameter", "UninitializedBuffer"])
def test_uninitialized_use_errors_match(expr, cls):
    """Same exception type and text (function addresses aside)."""
    same_error(lambda lib: eval(expr, {"p": getattr(lib.nn, cls)()}))


@pytest.mark.parametrize("expr", ["lib.add(p, 1)", "lib.exp(p)", "lib.cat([p, p])",
                                  "lib.nn.functional.linear(lib.ones(2, 3), p)",
                                  "lib.nn.LazyConv2d(2, 3).to_empty(device='cpu')"])
def test_function_errors_match_around_the_function_name(expr):
    """PyTorch names the builtin function; we name the method: the rest is the same."""
    same_error(lambda lib: eval(expr, {"lib": lib, "p": lib.nn.UninitializedParameter()}),
               full=False)


@pytest.mark.parametrize("expr", [
    "repr(p)", "str(p)", "tuple(p.size())", "p.ndim", "p.dtype == lib.float64",
    "p.requires_grad", "p.is_leaf", "p.grad is None", "p.is_floating_point()",
    "p.is_complex()", "type(p.cpu()).__name__", "type(p.double()).__name__",
    "p.double().dtype == lib.float64", "type(p.to(lib.float16)).__name__",
    "type(p.data).__name__", "tuple(p.data.shape)", "p._version",
    "isinstance(p, lib.nn.Parameter)", "lib.nn.parameter.is_lazy(p)",
    "isinstance(p, lib.nn.Buffer)", "getattr(p, 'persistent', None)",
])
@pytest.mark.parametrize("cls,kw", [("UninitializedParameter", {}),
                                    ("UninitializedParameter", {"requires_grad": False}),
                                    ("UninitializedBuffer", {"persistent": False})])
def test_allowed_uses_match(expr, cls, kw):
    t, k = both(lambda lib: outcome(lambda: eval(
        expr, {"lib": lib, "p": getattr(lib.nn, cls)(dtype=lib.float64, **kw)})))
    assert t == k


def test_materialize_matches():
    for lib in LIBS.values():
        p = lib.nn.UninitializedParameter(requires_grad=False, dtype=lib.float64)
        p.materialize((2, 3))
        assert type(p).__name__ == "Parameter" and tuple(p.shape) == (2, 3)
        assert p.dtype == lib.float64 and p.requires_grad is False
        b = lib.nn.UninitializedBuffer()
        b.materialize((4,))
        assert type(b).__name__ == "Tensor" and tuple(b.shape) == (4,)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.LazyConv2d(4, 3)(lib.ones(3, 5)),
    lambda lib: lib.nn.LazyConv1d(4, 3)(lib.ones(1, 2, 3, 5)),
    lambda lib: lib.nn.LazyConvTranspose3d(4, 1)(lib.ones(2, 2)),
    lambda lib: lib.nn.LazyConv2d(4, 3, groups=2)(lib.ones(1, 3, 5, 5)),
    lambda lib: lib.nn.LazyConvTranspose2d(2, 3, padding_mode="reflect"),
    lambda lib: lib.nn.LazyInstanceNorm1d()(lib.ones(3, 7)),
    lambda lib: lib.nn.LazyBatchNorm2d()(lib.ones(3, 7)),
    lambda lib: lib.nn.LazyLinear(3).requires_grad_(False),
    lambda lib: lib.nn.LazyLinear(3).share_memory(),
    lambda lib: lib.nn.utils.parameters_to_vector(lib.nn.LazyLinear(3).parameters()),
    lambda lib: copy.deepcopy(lib.nn.LazyBatchNorm1d()),
    lambda lib: lib.nn.Linear(4, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict()),
    lambda lib: lib.nn.LazyLinear(3).load_state_dict({"weight": lib.zeros(3, 4)}),
])
def test_module_errors_match(fn):
    same_error(fn)


def test_dtype_mismatch_after_materializing_matches():
    """The parameters take the module's dtype, not the input's: linear then refuses (our
    message adds a hint sentence after PyTorch's)."""
    t, k = both(lambda lib: outcome(
        lambda: lib.nn.LazyLinear(3)(lib.ones(2, 4, dtype=lib.float64))))
    assert t[:2] == k[:2] == ("raise", "RuntimeError") and k[2].startswith(t[2])


def test_loaded_lazy_linear_size_check_matches():
    def run(lib):
        m = lib.nn.LazyLinear(3)
        m.load_state_dict(lib.nn.Linear(5, 3).state_dict())
        return m(lib.ones(2, 4))
    same_error(run)


def test_mixin_errors_match():
    def make(lib, with_init):
        class M(lib.nn.modules.lazy.LazyModuleMixin, lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.UninitializedParameter()

            def forward(self, x):
                return x
        if with_init:
            class M(M):     # noqa: F811
                def initialize_parameters(self, x):
                    pass
        return M()
    same_error(lambda lib: make(lib, False)(lib.ones(1)))
    same_error(lambda lib: make(lib, True)(lib.ones(1)))


def test_state_dict_and_loading_match():
    """Keys and entry types before, after loading a full, lazy or plain dict."""
    def run(lib):
        res = []
        m = lib.nn.LazyLinear(3)
        res.append([(k, type(v).__name__) for k, v in m.state_dict().items()])
        res.append([(k, type(v).__name__) for k, v in m.state_dict(keep_vars=True).items()])
        res.append(repr(m.load_state_dict(lib.nn.LazyLinear(3).state_dict())))
        res.append(m.has_uninitialized_params())
        res.append(repr(m.load_state_dict(lib.nn.Linear(5, 3).state_dict())))
        res.append((type(m).__name__, repr(m), type(m.weight).__name__,
                    tuple(m.weight.shape), m.has_uninitialized_params()))
        m(lib.ones(1, 5))
        res.append((type(m).__name__, repr(m)))
        n = lib.nn.LazyLinear(3)
        res.append(repr(n.load_state_dict({"weight": lib.zeros(3, 4)}, strict=False)))
        res.append((type(n.weight).__name__, type(n.bias).__name__))
        b = lib.nn.LazyBatchNorm1d()
        res.append(repr(b.load_state_dict(lib.nn.BatchNorm1d(4).state_dict())))
        res.append(names_and_types(b))
        return res
    t, k = both(run)
    assert t == k


def test_loading_copies_values():
    tsrc = torch.nn.Linear(5, 3)
    km = tk.nn.LazyLinear(3)
    copy_params(tsrc, km)
    x = np.ones((2, 5), np.float32)
    np.testing.assert_allclose(arr(km(tk.tensor(x))), arr(tsrc(torch.tensor(x))),
                               rtol=1e-6, atol=1e-6)


def test_optimizer_and_casts_match():
    """Optimizers accept uninitialized parameters; module casts keep them uninitialized."""
    def run(lib):
        m = lib.nn.LazyLinear(2)
        opt = lib.optim.SGD(m.parameters(), lr=0.5)
        res = [len(opt.param_groups[0]["params"])]
        m.double()
        res.append((type(m.weight).__name__, str(m.weight.dtype).split(".")[-1]))
        b = lib.nn.LazyBatchNorm1d().double()
        res.append((type(b.running_mean).__name__, str(b.running_var.dtype).split(".")[-1]))
        y = m(lib.ones(1, 3, dtype=lib.float64))
        y.sum().backward()
        opt.step()
        res.append((opt.param_groups[0]["params"][0] is m.weight, type(m).__name__,
                    str(m.weight.dtype).split(".")[-1], m.weight.requires_grad))
        return res
    t, k = both(run)
    assert t == k


def test_deepcopy_matches():
    def run(lib):
        m = lib.nn.LazyLinear(3)
        c = copy.deepcopy(m)
        res = [type(c.weight).__name__, c.weight is m.weight]
        c(lib.ones(2, 4))
        res.append((type(c).__name__, type(m).__name__, repr(c)))
        return res
    t, k = both(run)
    assert t == k


def test_pickle_and_sequential_match():
    """A pickled lazy module is lazy on its own; lazy layers in a Sequential chain."""
    import pickle

    def run(lib):
        m = lib.nn.LazyLinear(3)
        c = pickle.loads(pickle.dumps(m))
        res = [type(c).__name__, repr(c.weight)]
        c(lib.ones(1, 4))
        res.append((repr(c), repr(m)))
        s = lib.nn.Sequential(lib.nn.LazyConv2d(4, 3), lib.nn.LazyBatchNorm2d(),
                              lib.nn.Flatten(), lib.nn.LazyLinear(2))
        res.append(tuple(s(lib.ones(2, 3, 5, 5)).shape))
        res.append(repr(s))
        return res
    t, k = both(run)
    assert t == k
