"""surface_more / opdefs/surface_ops against PyTorch: values, dtypes, strides, versions,
grad_fn names and error texts."""

import numpy as np
import pytest

import tensor as tk

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.differential


def both(fn):
    """Run ``fn(lib)`` on both libraries: (ours, theirs), or the two exceptions."""
    out = []
    for lib in (tk, torch):
        try:
            out.append(fn(lib))
        except Exception as e:          # noqa: BLE001 - compared below
            out.append(e)
    return out


def same_error(fn):
    ours, theirs = both(fn)
    assert isinstance(theirs, Exception) and type(ours) is type(theirs), (ours, theirs)
    assert str(ours).startswith(str(theirs).split("\n")[0]), (str(ours), str(theirs))


@pytest.mark.parametrize("size,stride,off", [((3, 4), (4, 1), None), ((2, 3), (1, 2), 2),
                                             ((2, 2), (0, 3), 5)])
def test_as_strided_inplace_geometry_version_and_grad(size, stride, off):
    def run(lib):
        a = lib.arange(12., dtype=lib.float64, requires_grad=True)
        b = a * 1
        r = b.as_strided_(size, stride, off)
        (r * lib.arange(1., 1 + np.prod(size), dtype=lib.float64).reshape(size)).sum().backward()
        return (r is b, tuple(b.shape), b.stride(), b.storage_offset(), b._version,
                b.grad_fn.name(), b.detach().numpy().tolist(), a.grad.numpy().tolist())
    assert both(run)[0] == both(run)[1]


def test_as_strided_inplace_on_a_view_keeps_its_offset():
    def run(lib):
        v = lib.arange(12.)[1:]
        v.as_strided_((2, 2), (1, 2))
        return v.storage_offset(), v._version, v._base is not None, v.tolist()
    assert both(run)[0] == both(run)[1]


def test_as_strided_inplace_on_root_and_errors():
    def run(lib):
        x = lib.arange(12.)
        lib.as_strided_(x, (2, 3), (3, 1), 2)
        return x.storage_offset(), x._version, x.stride(), x.tolist()
    assert both(run)[0] == both(run)[1]
    same_error(lambda lib: lib.arange(4.).as_strided_((3,), (2,)))
    same_error(lambda lib: lib.arange(4.).as_strided_((3, 2), (1,)))
    same_error(lambda lib: lib.arange(4.).as_strided_((3,), (-1,)))
    same_error(lambda lib: lib.ones(3, requires_grad=True).as_strided_((3,), (1,)))


@pytest.mark.parametrize("pad,scale", [(-1, False), (2, False), (-1, True), (2, True)])
def test_embedding(pad, scale):
    w = np.random.default_rng(0).standard_normal((5, 3))
    idx = [[0, 2], [4, 2]]

    def run(lib):
        wt = lib.tensor(w, requires_grad=True)
        r = lib.embedding(wt, lib.tensor(idx), pad, scale)
        g = lib.arange(12., dtype=lib.float64).reshape(2, 2, 3).requires_grad_()
        gw, = lib.autograd.grad(r, wt, g, create_graph=True)
        gg, = lib.autograd.grad(gw.sum(), g)
        return (r.grad_fn.name(), r.stride(), r.detach().numpy().tolist(),
                gw.grad_fn.name(), gw.detach().numpy().tolist(), gg.numpy().tolist())
    ours, theirs = both(run)
    assert ours == theirs


@pytest.mark.parametrize("w,i", [((5,), [1]), ((5, 3), [5]), ((5, 3), [-1])])
def test_embedding_errors(w, i):
    same_error(lambda lib: lib.embedding(lib.ones(w), lib.tensor(i)))


@pytest.mark.parametrize("dt", ["float32", "int16", "uint8", "bool"])
def test_embedding_index_dtype_error(dt):
    same_error(lambda lib: lib.embedding(lib.ones(5, 3), lib.tensor([1]).to(getattr(lib, dt))))


@pytest.mark.parametrize("args", [(), (None, None, 0), (None, None, 1), (None, None, 2)])
def test_bce_with_logits_aten_form(args):
    x = np.linspace(-2, 2, 6).reshape(2, 3)
    t = np.linspace(0, 1, 6).reshape(2, 3)

    def run(lib):
        r = lib.binary_cross_entropy_with_logits(lib.tensor(x, requires_grad=True),
                                                 lib.tensor(t), *args)
        return r.grad_fn.name(), tuple(r.shape), np.round(r.detach().numpy(), 12).tolist()
    assert both(run)[0] == both(run)[1]
    same_error(lambda lib: lib.binary_cross_entropy_with_logits(lib.ones(2), lib.ones(2),
                                                                reduction="mean"))


def test_wrapped_nn_ops():
    rng = np.random.default_rng(1)
    i, w = rng.standard_normal((1, 2, 3, 3, 3)), rng.standard_normal((4, 2, 2, 2, 2))
    wt = rng.standard_normal((2, 3, 2, 2, 2))
    x = rng.standard_normal((2, 3, 4))

    def run(lib):
        a = lib.conv3d(lib.tensor(i), lib.tensor(w, requires_grad=True))
        b = lib.conv_transpose3d(lib.tensor(i), lib.tensor(wt, requires_grad=True))
        c = lib.instance_norm(lib.tensor(x, requires_grad=True), None, None, None, None, True,
                              0.1, 1e-5, False)
        d = lib.native_layer_norm(lib.tensor(x, requires_grad=True), [4], None, None, 1e-5)
        return [(r.grad_fn.name(), np.round(r.detach().numpy(), 10).tolist())
                for r in (a, b, c, d[0])] + [tuple(d[1].shape)]
    assert both(run)[0] == both(run)[1]


def test_feature_dropout():
    def run(lib):
        x = lib.ones(2, 3, 4)
        y = lib.feature_dropout_(x, 0.5, False)
        z = lib.feature_dropout(lib.ones(2, 3, 4), 1.0, True)
        return y is x, x._version, z.tolist()
    assert both(run)[0] == both(run)[1]
    same_error(lambda lib: lib.feature_dropout(lib.ones(3), 0.5, True))
    same_error(lambda lib: lib.feature_dropout(lib.ones(2, 3), 1.5, True))
    same_error(lambda lib: lib.feature_dropout(lib.ones(2, 3), 0.5, None))


def test_empty_permuted():
    def run(lib):
        e = lib.empty_permuted((2, 3, 4), (2, 0, 1), dtype=lib.int64)
        return tuple(e.shape), e.stride(), str(e.dtype)[6:]
    assert both(run)[0] == both(run)[1]
    for size, lay in (((2, 3), (0, 0)), ((2, 3), (0,)), ((2, 3), (0, 2)), ((2, 3), (1, -1))):
        same_error(lambda lib: lib.empty_permuted(size, lay))


def test_binomial_dtype_shape_errors():
    def run(lib):
        r = lib.binomial(lib.tensor([10., 5.], dtype=lib.float64), lib.tensor([0.5, 0.2],
                                                                              dtype=lib.float64))
        c = lib.binomial(lib.tensor([4.], requires_grad=True), lib.tensor([0.5]))
        return str(r.dtype)[6:], tuple(r.shape), c.grad_fn.name()
    assert both(run)[0] == both(run)[1]
    same_error(lambda lib: lib.binomial(lib.tensor([1]), lib.tensor([0.5])))
    same_error(lambda lib: lib.binomial(lib.tensor([1.]), lib.tensor([0.5], dtype=lib.float64)))
    same_error(lambda lib: lib.binomial(lib.ones(1).half(), lib.ones(1).half()))
    same_error(lambda lib: lib.binomial(lib.tensor([1.], requires_grad=True),
                                        lib.tensor([0.5])).sum().backward())


@pytest.mark.parametrize("make", [lambda lib: lib.empty(2, 3), lambda lib: lib.empty(2, 3).t(),
                                  lambda lib: lib.empty(2, 1, 3),
                                  lambda lib: lib.empty(2, 3, 4).permute(2, 0, 1),
                                  lambda lib: lib.empty(3, 4)[:, ::2], lambda lib: lib.empty(())])
@pytest.mark.parametrize("check", [False, True, "list"])
def test_dim_order(make, check):
    def run(lib):
        c = [lib.contiguous_format] if check == "list" else check
        return make(lib).dim_order(ambiguity_check=c)
    ours, theirs = both(run)
    if isinstance(theirs, Exception):
        same_error(run)
    else:
        assert ours == theirs


def test_small_methods_and_settings():
    class M(tk.Tensor):
        pass

    class N(torch.Tensor):
        pass

    for lib, cls in ((tk, M), (torch, N)):
        x = lib.ones(2, requires_grad=True) * 2
        s = x.as_subclass(cls)
        assert type(s) is cls and s.grad_fn.name() == "AliasBackward0"
        assert s.data_ptr() == x.data_ptr() == x.const_data_ptr()
    same_error(lambda lib: lib.ones(2).as_subclass(int))
    same_error(lambda lib: lib.ones(2).as_subclass(3))
    same_error(lambda lib: lib.set_warn_always(1))
    same_error(lambda lib: lib.set_num_interop_threads(0))
    same_error(lambda lib: lib.set_num_interop_threads(2.0))
    same_error(lambda lib: lib.set_flush_denormal(1))

    def run(lib):
        t = lib.arange(3.)
        return (lib.is_storage(t.untyped_storage()), lib.is_storage(t),
                t.map2_(lib.arange(3.), lib.ones(3), lambda a, b, c: a + b * c).tolist(),
                t._version)
    assert both(run)[0] == both(run)[1]
    same_error(lambda lib: lib.ones(3).map2_(lib.ones(3).double(), lib.ones(3), max))


def test_dlpack_both_ways():
    t = tk.arange(6.).reshape(2, 3)
    a = np.from_dlpack(t)
    assert a.ctypes.data == t.data_ptr()
    back = tk.from_dlpack(tk.utils.dlpack.to_dlpack(t))
    assert back.data_ptr() == t.data_ptr() and back.stride() == (3, 1)
    ours = tk.from_dlpack(torch.arange(6.).reshape(2, 3).t())
    assert ours.stride() == (1, 3) and ours.tolist() == [[0, 3], [1, 4], [2, 5]]
    theirs = torch.from_dlpack(t.t())
    assert theirs.stride() == (1, 3) and theirs.tolist() == t.t().tolist()
    same_error(lambda lib: lib.from_dlpack(lib.ones(2, requires_grad=True)))
    same_error(lambda lib: lib.from_dlpack(3))
