"""Indexing (getitem/setitem, index/index_put), casts and the in-place fills, checked against
numpy models, PyTorch's rules (SEMANTICS §3-4, §6) and finite differences."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tensor as torch
import tensor
from tensor import autograd

# -- strategies ----------------------------------------------------------------------------
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def _array(draw, shape, dtype=np.float64):
    n = int(np.prod(shape)) if shape else 1
    vals = draw(st.lists(st.integers(-9, 9), min_size=n, max_size=n))
    return np.array(vals, dtype=dtype).reshape(shape)


@st.composite
def basic_index(draw, shape):
    """A tuple of ints, positive-step slices, None and at most one Ellipsis valid for
    ``shape`` (these are the indices on which numpy and PyTorch agree)."""
    ndim = len(shape)
    per_dim = []
    for n in shape:
        if draw(st.booleans()):
            per_dim.append(draw(st.integers(-n, n - 1)))
        else:
            lo = st.none() | st.integers(-n - 2, n + 2)
            per_dim.append(slice(draw(lo), draw(lo), draw(st.none() | st.integers(1, 3))))
    if draw(st.booleans()):
        items = per_dim[:draw(st.integers(0, ndim))]
    else:
        i = draw(st.integers(0, ndim))
        j = draw(st.integers(i, ndim))
        items = per_dim[:i] + [Ellipsis] + per_dim[j:]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


@st.composite
def array_and_basic_index(draw):
    shape = draw(shapes)
    return _array(draw, shape), draw(basic_index(shape))


@st.composite
def array_and_advanced_index(draw):
    """Index arrays (ints, negative ones too, or a bool mask) mixed with slices — no bare
    ints, where PyTorch (select first) and numpy (broadcast the int) differ."""
    shape = draw(shapes)
    items = []
    d = 0
    idx_shape = draw(st.lists(st.integers(0, 3), min_size=1, max_size=2).map(tuple))
    used_adv = False
    while d < len(shape):
        n = shape[d]
        kind = draw(st.sampled_from(["ints", "mask", "slice", "full"]))
        if kind == "ints":
            size = int(np.prod(idx_shape))
            vals = draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
            items.append(np.array(vals, np.int64).reshape(idx_shape))
            used_adv = True
            d += 1
        elif kind == "mask" and not used_adv:
            m = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            items.append(m)
            used_adv = True
            idx_shape = (int(m.sum()),)
            d += 1
        elif kind == "slice":
            items.append(slice(draw(st.integers(0, n)), None, draw(st.integers(1, 2))))
            d += 1
        else:
            items.append(slice(None))
            d += 1
        if draw(st.booleans()):
            break
    assume(used_adv)
    return _array(draw, shape), tuple(items)


def _t(a):
    return torch.from_numpy(np.array(a))


def _np_model_index(idx):
    """The index numpy should use as a model: masks as their nonzero() arrays (numpy's mask
    assignment only takes 0/1-dim values; the meaning is the same)."""
    out = []
    for i in idx:
        if isinstance(i, np.ndarray) and i.dtype == bool:
            out.extend(np.nonzero(i))
        else:
            out.append(i)
    return tuple(out)


def _torch_index(idx):
    return tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in idx)


# -- getitem -------------------------------------------------------------------------------
@given(array_and_basic_index())
def test_basic_getitem_matches_numpy(case):
    """Basic indexing gives numpy's values and shape."""
    a, idx = case
    r = _t(a)[idx]
    expect = a[idx]
    assert tuple(r.shape) == expect.shape
    np.testing.assert_array_equal(r.numpy(), expect)


@given(array_and_basic_index())
def test_basic_getitem_is_a_tracked_view(case):
    """A basic index returns a view: shared memory, ``_base`` at the root, one version
    counter; a write through the view is seen by the base."""
    a, idx = case
    t = _t(a)
    r = t[idx]
    assert r._base is t
    assert r.data_ptr() and (r.numel() == 0 or np.shares_memory(r.numpy(), t.numpy()))
    v0 = t._version
    r.add_(1)
    assert t._version == r._version == v0 + 1
    expect = a.copy()
    expect[idx] += 1
    np.testing.assert_array_equal(t.numpy(), expect)


@given(array_and_advanced_index())
def test_advanced_getitem_matches_numpy_and_copies(case):
    """Tensors, lists and masks in the index give numpy's result, as a copy."""
    a, idx = case
    t = _t(a)
    r = t[_torch_index(idx)]
    expect = a[idx]
    assert tuple(r.shape) == expect.shape
    np.testing.assert_array_equal(r.numpy(), expect)
    assert r._base is None
    assert not np.shares_memory(r.numpy(), t.numpy())
    r.add_(1)
    assert t._version == 0
    np.testing.assert_array_equal(t.numpy(), a)


def test_view_grad_fn_names_follow_pytorch():
    """Each basic index records the view op PyTorch records."""
    x = torch.zeros(2, 3, requires_grad=True)
    assert type(x[0].grad_fn).__name__ == "SelectBackward0"
    assert type(x[:].grad_fn).__name__ == "SliceBackward0"
    assert type(x[..., 1].grad_fn).__name__ == "SelectBackward0"
    assert type(x[...].grad_fn).__name__ == "AliasBackward0"
    assert type(x[()].grad_fn).__name__ == "AliasBackward0"
    assert type(x[None].grad_fn).__name__ == "UnsqueezeBackward0"
    assert type(x[torch.tensor(1)].grad_fn).__name__ == "SelectBackward0"
    assert type(x[[0, 1]].grad_fn).__name__ == "IndexBackward0"
    assert type(x[True].grad_fn).__name__ == "IndexBackward0"


@pytest.mark.parametrize("shape, idx, expect", [
    ((2, 3, 4), (np.array([[True, False, True], [False, False, True]]), slice(1, None)), (3, 3)),
    ((2, 3, 4, 5), (slice(None), [0, 1], slice(None), 0), (2, 2, 4)),
    ((2, 3, 4, 5), (0, slice(None), [0, 1]), (3, 2, 5)),     # numpy: (2, 3, 5)
    ((2, 3, 4, 5), (None, [0, 1], None, [0, 1]), (2, 1, 1, 4, 5)),
    ((2, 3), [True, False], (1, 3)),
    ((2, 3), [0, True], (2, 3)),
    ((2, 3), [[0, 1], [1, 0]], (2,)),                         # a list of lists is a tuple
    ((3,), [], (0,)),
    ((2, 3), True, (1, 2, 3)),
    ((2, 3), False, (0, 2, 3)),
    ((2, 3), (..., 0, ...), (2,)),
])
def test_mixed_index_shapes_follow_pytorch(shape, idx, expect):
    """Shapes PyTorch gives for mixed indices (ints are applied first, as selects)."""
    if isinstance(idx, tuple):
        idx = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert tuple(torch.zeros(*shape)[idx].shape) == expect


@pytest.mark.parametrize("idx, exc, text", [
    (5, IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    ((0, 5), IndexError, "index 5 is out of bounds for dimension 1 with size 3"),
    ((None, 0, 5), IndexError, "index 5 is out of bounds for dimension 2 with size 3"),
    (-3, IndexError, "index -3 is out of bounds for dimension 0 with size 2"),
    ((0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
    (slice(None, None, -1), ValueError, "step must be greater than zero"),
    (slice(None, None, 0), ValueError, "slice step cannot be zero"),
    ("t5", IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    ("tf", IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
    ("mask3", IndexError, "The shape of the mask [3] at index 0 does not match the shape of "
                          "the indexed tensor [2, 3] at index 0"),
    ("bcast", IndexError, "shape mismatch: indexing tensors could not be broadcast together "
                          "with shapes [2], [3]"),
    ("col", IndexError, "index -5 is out of bounds for dimension 0 with size 3"),
    (1.5, IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                      "Variables are valid indices (got float)"),
])
def test_bad_indices_raise_pytorchs_errors(idx, exc, text):
    """Out-of-range and malformed indices raise PyTorch's exception type and text."""
    named = {"t5": torch.tensor([5]), "tf": torch.tensor([0.5]),
             "mask3": torch.tensor([True, False, True]),
             "bcast": (torch.tensor([0, 1]), torch.tensor([0, 1, 2])),
             "col": (slice(None), torch.tensor([[0, -5]]))}
    if isinstance(idx, str):
        idx = named[idx]
    x = torch.zeros(2, 3)
    with pytest.raises(exc) as e:
        x[idx]
    assert str(e.value).startswith(text)


def test_zero_dim_int_index_is_refused():
    """An int index on a 0-dim tensor has PyTorch's dedicated message."""
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        torch.tensor(1.0)[0]


# -- setitem -------------------------------------------------------------------------------
@st.composite
def setitem_case(draw):
    a, idx = draw(array_and_basic_index() | array_and_advanced_index())
    target = a[idx].shape
    if draw(st.booleans()):
        value = float(draw(st.integers(-5, 5)))
    else:
        # broadcastable: drop some leading dims, set some dims to 1, maybe add leading 1s
        k = draw(st.integers(0, len(target)))
        vshape = tuple(1 if draw(st.booleans()) else s for s in target[k:])
        vshape = (1,) * draw(st.integers(0, 2)) + vshape
        value = _array(draw, vshape)
    if any(isinstance(i, np.ndarray) for i in idx):
        flat = [i for i in idx if isinstance(i, np.ndarray)]
        # duplicates in advanced assignment are unspecified in PyTorch: avoid them
        assume(all(i.dtype == bool or len(set(map(int, (i % a.shape[0]).ravel()))) == i.size
                   for i in flat[:1]) and len(flat) == 1)
    return a, idx, value


@given(setitem_case())
def test_setitem_matches_numpy_and_bumps_version_once(case):
    """``t[idx] = v`` writes what numpy writes, and the version goes up by exactly one."""
    a, idx, value = case
    t = _t(a)
    expect = a.copy()
    model_value = value
    while isinstance(model_value, np.ndarray) and model_value.ndim and model_value.shape[0] == 1:
        model_value = model_value[0]          # PyTorch drops leading 1s of the value
    expect[_np_model_index(idx)] = model_value
    t[_torch_index(idx)] = _t(value) if isinstance(value, np.ndarray) else value
    np.testing.assert_array_equal(t.numpy(), expect)
    assert t._version == 1


@given(array_and_basic_index())
def test_setitem_through_a_view_is_seen_by_every_view(case):
    """A basic setitem writes into the shared memory; other views see it and share the
    version."""
    a, idx = case
    t = _t(a)
    other = t[...]
    t[idx] = 7.0
    expect = a.copy()
    expect[idx] = 7.0
    np.testing.assert_array_equal(other.numpy(), expect)
    assert other._version == t._version == 1


def test_setitem_versions_follow_pytorch():
    """Every setitem form is one write (False does nothing)."""
    y = torch.zeros(2, 3)
    forms = [(0, 10.0), ((0, 1), torch.tensor(3.0)), (1, torch.tensor([1.0, 2, 3])),
             (1, torch.tensor([[1.0, 2, 3]])), ((torch.tensor([0, 1]), 0), 7.0),
             ((torch.tensor([0, 1]), 0), torch.tensor([[7.0]])), (..., 1.0), (None, 1.0),
             (True, 2.0), (slice(None), 3.0), ((slice(None), slice(None)),
                                               torch.tensor([1.0, 2, 3])),
             (torch.tensor([True, False]), 5.0), ([0, 1], 6.0)]
    for i, (idx, v) in enumerate(forms, 1):
        y[idx] = v
        assert y._version == i, idx
    y[False] = 2.0
    assert y._version == len(forms)


def test_setitem_on_a_leaf_that_requires_grad():
    """Item assignment on a leaf: through a view it is the view-of-a-leaf error, on the whole
    tensor the leaf error; allowed under no_grad."""
    x = torch.zeros(2, 3, requires_grad=True)
    for idx in (0, (0, 1), None, True, slice(0, 1)):
        with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad "
                                               "is being used in an in-place operation."):
            x[idx] = 1.0
    for idx in (..., (slice(None),), torch.tensor([0])):
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being "
                                               "used in an in-place operation."):
            x[idx] = 1.0
    assert x._version == 0
    with torch.no_grad():
        x[0] = 1.0
    assert x._version == 1 and x[0].tolist() == [1.0, 1.0, 1.0]


def test_setitem_value_conversion():
    """Numbers are converted with the overflow check; lists are refused; tensors of another
    dtype are cast by copy_ but must match for index_put_."""
    yi = torch.zeros(3, dtype=torch.int64)
    yi[0] = 2.7
    yi[torch.tensor([1])] = 3.9
    yi[1:3] = torch.tensor([1.5, 2.5])
    assert yi.tolist() == [2, 1, 2] and yi._version == 3
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64_t without "
                                           "overflow"):
        yi[0] = 1e30
    with pytest.raises(RuntimeError, match="Index put requires the source and destination "
                                           "dtypes match, got Long for the destination and "
                                           "Float for the source."):
        yi[torch.tensor([1])] = torch.tensor(3.9)
    with pytest.raises(TypeError, match="can't assign a list to a torch.FloatTensor"):
        torch.zeros(3)[0] = [1, 2]
    assert yi.tolist() == [2, 1, 2] and yi._version == 3


@pytest.mark.parametrize("idx, value, text", [
    (slice(0, 2), [1.0, 2, 3], "The expanded size of the tensor (2) must match the existing "
                               "size (3) at non-singleton dimension 0.  Target sizes: [2].  "
                               "Tensor sizes: [3]"),
    (slice(0, 2), [[1.0, 2], [1, 2]], "expand(torch.FloatTensor{[2, 2]}, size=[2]): the "
                                      "number of sizes provided (1) must be greater or equal "
                                      "to the number of dimensions in the tensor (2)"),
    ("i01", [1.0, 2, 3], "shape mismatch: value tensor of shape [3] cannot be broadcast to "
                         "indexing result of shape [2]"),
    ("i05", [1.0, 2], "index 5 is out of bounds for dimension 0 with size 3"),
])
def test_failed_setitem_changes_nothing(idx, value, text):
    """A refused assignment leaves data and version as they were."""
    z = torch.tensor([1.0, 2.0, 3.0])
    idx = {"i01": torch.tensor([0, 1]), "i05": torch.tensor([0, 5])}.get(idx, idx) \
        if isinstance(idx, str) else idx
    with pytest.raises((RuntimeError, IndexError)) as e:
        z[idx] = torch.tensor(value)
    assert str(e.value).startswith(text)
    assert z.tolist() == [1.0, 2.0, 3.0] and z._version == 0


def test_index_put_accumulates_duplicates():
    """``index_put_(accumulate=True)`` adds every duplicate; the functional form copies."""
    z = torch.zeros(3)
    z.index_put_((torch.tensor([0, 0, 2]),), torch.tensor([1.0, 2.0, 5.0]), accumulate=True)
    assert z.tolist() == [3.0, 0.0, 5.0] and z._version == 1
    w = z.index_put((torch.tensor([1]),), torch.tensor(4.0))
    assert w.tolist() == [3.0, 4.0, 5.0] and z.tolist() == [3.0, 0.0, 5.0]
    assert z._version == 1


def test_inference_tensor_setitem_outside_inference_mode_is_refused_before_writing():
    """SEMANTICS §3: the in-place refusal comes before the write."""
    with torch.inference_mode():
        t = torch.zeros(3)
    for idx in (0, torch.tensor([1])):
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside "
                                               "InferenceMode is not allowed"):
            t[idx] = 1.0
    assert t.tolist() == [0.0, 0.0, 0.0]
    with torch.inference_mode():
        t[0] = 1.0
        t[torch.tensor([1])] = 2.0
    assert t.tolist() == [1.0, 2.0, 0.0]


# -- casts ---------------------------------------------------------------------------------
DTYPES = [torch.float32, torch.float64, torch.float16, torch.int64, torch.int32, torch.int16,
          torch.int8, torch.uint8, torch.bool]


@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES),
       st.lists(st.integers(0, 100), min_size=1, max_size=6))
def test_to_dtype_matches_numpy_astype(src, dst, vals):
    """``to(dtype)`` converts like numpy (on values every dtype holds) and copies."""
    a = np.array(vals).astype(src.np)
    t = torch.from_numpy(a)
    r = t.to(dst)
    assert r.dtype is dst
    np.testing.assert_array_equal(r.numpy(), a.astype(dst.np))
    if src is dst:
        assert r is t
    else:
        assert not np.shares_memory(r.numpy(), a)


def test_to_returns_self_when_nothing_changes():
    """Like PyTorch: the same object unless dtype changes or ``copy=True``."""
    x = torch.zeros(2, 3)
    assert x.to(torch.float32) is x and x.to("cpu") is x and x.to(x) is x
    assert x.float() is x and x.cpu() is x and x.type(torch.float32) is x
    assert x.to(torch.float32, copy=True) is not x
    assert x.to(torch.device("cpu"), dtype=torch.float64).dtype is torch.float64
    assert x.to("cpu", torch.int16).dtype is torch.int16
    assert x.to(float).dtype is torch.float64 and x.to(int).dtype is torch.int64
    assert x.to(torch.zeros(1, dtype=torch.int32)).dtype is torch.int32
    assert x.type_as(torch.zeros(1, dtype=torch.int16)).dtype is torch.int16


@pytest.mark.parametrize("name, dtype", [
    ("float", torch.float32), ("double", torch.float64), ("half", torch.float16),
    ("long", torch.int64), ("int", torch.int32), ("short", torch.int16),
    ("char", torch.int8), ("byte", torch.uint8), ("bool", torch.bool)])
def test_cast_methods(name, dtype):
    """``float()``, ``long()``... cast to their dtype; ``type()`` names the legacy type."""
    r = getattr(torch.tensor([1.5, 0.0]), name)()
    assert r.dtype is dtype
    legacy = {"float": "Float", "double": "Double", "half": "Half", "long": "Long",
              "int": "Int", "short": "Short", "char": "Char", "byte": "Byte", "bool": "Bool"}
    assert r.type() == f"torch.{legacy[name]}Tensor"
    assert torch.tensor([1.5]).type(f"torch.{legacy[name]}Tensor").dtype is dtype


def test_type_rejects_unknown_names():
    for bad in ("float", float):
        with pytest.raises(ValueError, match="invalid type: 'float'"):
            torch.zeros(2).type(bad)


def test_cast_gradient_is_cast_back():
    """``ToCopyBackward0`` hands the input a gradient of the input's dtype."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(torch.float64)
    assert type(y.grad_fn).__name__ == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.dtype is torch.float32 and x.grad.tolist() == [2.0, 4.0]
    assert not x.long().requires_grad


# -- fills ---------------------------------------------------------------------------------
@given(st.sampled_from(DTYPES), shapes, st.integers(-100, 100))
def test_fill_and_zero(dtype, shape, value):
    """``fill_``/``zero_`` write every element (with numpy's conversion) and bump once."""
    t = torch.zeros(shape, dtype=dtype)
    if dtype is torch.uint8 and value < 0:
        value = -value
    t.fill_(value)
    np.testing.assert_array_equal(t.numpy(), np.full(shape, value).astype(dtype.np))
    t.zero_()
    assert not t.numpy().any() and t._version == 2
    t.fill_(torch.tensor(3))
    assert (t.numpy() == np.array(3).astype(dtype.np)).all() and t._version == 3


@pytest.mark.parametrize("dtype, value, text", [
    (torch.int8, 300, "value cannot be converted to type int8_t without overflow"),
    (torch.int8, float("nan"), "value cannot be converted to type int8_t without overflow"),
    (torch.float32, 1e300, "value cannot be converted to type float without overflow"),
    (torch.float16, 1e6, "value cannot be converted to type c10::Half without overflow"),
    (torch.float32, 1 + 2j, "value cannot be converted to type float without overflow"),
    (torch.float32, torch.tensor([1.0]), "fill_ only supports 0-dimension value tensor but got "
                                         "tensor with 1 dimensions."),
])
def test_failed_fill_changes_nothing(dtype, value, text):
    t = torch.ones(3, dtype=dtype)
    with pytest.raises(RuntimeError) as e:
        t.fill_(value)
    assert str(e.value).startswith(text)
    assert t.tolist() == [1, 1, 1] and t._version == 0


def test_fill_conversions_follow_pytorch():
    """Truncation toward zero; uint8 takes small negatives (wrapping); bool takes anything."""
    assert torch.zeros(2, dtype=torch.int8).fill_(-2.7).tolist() == [-2, -2]
    assert torch.zeros(2, dtype=torch.uint8).fill_(-1).tolist() == [255, 255]
    assert torch.zeros(2, dtype=torch.bool).fill_(0.5).tolist() == [True, True]
    assert torch.zeros(2).fill_(float("inf")).tolist() == [float("inf")] * 2


def test_fill_on_an_expanded_tensor_is_allowed_but_copy_is_not():
    """PyTorch fills overlapping memory, but refuses copy_/normal_ into it."""
    base = torch.zeros(3)
    e = base.expand(2, 3)
    e.fill_(1.0)
    assert base.tolist() == [1.0, 1.0, 1.0]
    for f in (lambda: e.copy_(torch.ones(2, 3)), lambda: e.normal_()):
        with pytest.raises(RuntimeError, match="unsupported operation: more than one element "
                                               "of the written-to tensor refers to a single "
                                               "memory location"):
            f()
    assert base.tolist() == [1.0, 1.0, 1.0]


# -- copy_ ---------------------------------------------------------------------------------
@st.composite
def copy_case(draw):
    dst_shape = draw(shapes)
    k = draw(st.integers(0, len(dst_shape)))
    src_shape = tuple(1 if draw(st.booleans()) else s for s in dst_shape[k:])
    return (draw(st.sampled_from(DTYPES)), dst_shape, draw(st.sampled_from(DTYPES)),
            _array(draw, src_shape))


@given(copy_case())
def test_copy_broadcasts_and_casts_like_numpy(case):
    """``copy_`` broadcasts ``src`` to ``self`` and converts any dtype to any dtype."""
    dst_dtype, dst_shape, src_dtype, src = case
    src = np.asarray(np.abs(src)).astype(src_dtype.np)
    t = torch.zeros(dst_shape, dtype=dst_dtype)
    r = t.copy_(torch.from_numpy(src))
    assert r is t and t._version == 1
    expect = np.zeros(dst_shape, dst_dtype.np)
    np.copyto(expect, src, casting="unsafe")
    np.testing.assert_array_equal(t.numpy(), expect)


@pytest.mark.parametrize("src_shape, text", [
    ((1, 2, 3), "output with shape [2, 3] doesn't match the broadcast shape [1, 2, 3]"),
    ((2,), "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
           "dimension 1"),
    ((3, 3), "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
             "dimension 0"),
])
def test_failed_copy_changes_nothing(src_shape, text):
    t = torch.ones(2, 3)
    with pytest.raises(RuntimeError) as e:
        t.copy_(torch.zeros(src_shape))
    assert str(e.value).startswith(text)
    assert (t.numpy() == 1).all() and t._version == 0


def test_copy_refuses_partial_overlap():
    a = torch.arange(5.0)
    with pytest.raises(RuntimeError, match="some elements of the input tensor and the "
                                           "written-to tensor refer to a single memory"):
        a[1:].copy_(a[:-1])
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and a._version == 0
    a.copy_(a)
    assert a._version == 1


def test_copy_from_complex_warns():
    t = torch.zeros(1)
    with pytest.warns(UserWarning, match="Casting complex values to real discards the "
                                         "imaginary part"):
        t.copy_(torch.tensor([1 + 2j]))
    assert t.tolist() == [1.0]


def test_copy_node_and_int_destination():
    """``CopyBackwards`` sends ``self`` nothing; an integer destination gets no history."""
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = torch.zeros(3)
    y.copy_(w)
    assert type(y.grad_fn).__name__ == "CopyBackwards"
    assert y.grad_fn.next_functions[0] == (None, 0)
    yi = torch.zeros(3, dtype=torch.int64)
    yi.copy_(w)
    assert not yi.requires_grad and yi.grad_fn is None


# -- random fills --------------------------------------------------------------------------
def test_random_fills():
    torch.manual_seed(0)
    t = torch.zeros(1000, dtype=torch.float64)
    t.uniform_(2, 3)
    assert t._version == 1 and 2 <= t.numpy().min() and t.numpy().max() < 3
    t.normal_(5, 0.1)
    assert t._version == 2 and abs(t.numpy().mean() - 5) < 0.05
    w = torch.ones(3, requires_grad=True)
    y = w * 2
    y.normal_()
    assert type(y.grad_fn).__name__ == "NormalBackward0"
    y.sum().backward()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("f, exc, text", [
    (lambda t: t.long().normal_(), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (lambda t: t.uniform_(2, 1), RuntimeError,
     "uniform_ expects to return a [from, to) range, but found from=2 > to=1"),
    (lambda t: t.normal_(0, -1), RuntimeError, "normal expects std >= 0.0, but found std -1"),
])
def test_failed_random_fill_changes_nothing(f, exc, text):
    t = torch.ones(3)
    with pytest.raises(exc) as e:
        f(t)
    assert str(e.value).startswith(text)
    assert t.tolist() == [1.0, 1.0, 1.0] and t._version == 0


# -- masked_select / nonzero / take --------------------------------------------------------
@given(shapes, st.data())
def test_masked_select_nonzero_take_match_numpy(shape, data):
    a = _array(data.draw, shape)
    mask = a > 0
    t = _t(a)
    np.testing.assert_array_equal(t.masked_select(_t(mask)).numpy(), a[mask])
    np.testing.assert_array_equal(t.nonzero().numpy(), np.argwhere(a))
    for got, want in zip(t.nonzero(as_tuple=True), np.nonzero(a)):
        np.testing.assert_array_equal(got.numpy(), want)
    idx = np.array(data.draw(st.lists(st.integers(-a.size, a.size - 1), max_size=5)),
                   np.int64)
    np.testing.assert_array_equal(t.take(_t(idx)).numpy(), a.reshape(-1)[idx])


def test_masked_select_and_take_errors():
    with pytest.raises(RuntimeError, match="masked_select: expected BoolTensor for mask"):
        torch.zeros(3).masked_select(torch.tensor([1, 0, 1]))
    with pytest.raises(IndexError, match="out of range: tried to access index 5 on a tensor "
                                         "of 3 elements."):
        torch.zeros(3).take(torch.tensor([5]))
    with pytest.raises(RuntimeError, match="take\\(\\): Expected a long tensor for index, but "
                                           "got Int"):
        torch.zeros(3).take(torch.tensor([0], dtype=torch.int32))


# -- gradients against finite differences ---------------------------------------------------
def numgrad(f, x, eps=1e-6):
    """Central differences of the scalar function ``f`` (numpy array -> float) at ``x``."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def check_grad(program, x, atol=1e-6):
    """``program(tensor) -> scalar tensor``: its gradient equals finite differences."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    program(xt).backward()

    def f(v):
        with torch.no_grad():
            return program(torch.tensor(v, dtype=torch.float64)).item()
    np.testing.assert_allclose(xt.grad.numpy(), numgrad(f, x), atol=atol)
    return xt.grad.numpy()


W = np.arange(1.0, 7.0).reshape(2, 3)


def _w():
    return torch.tensor(W, dtype=torch.float64)


def test_grad_setitem_slice_of_nonleaf():
    """``y = x * 2; y[1:] = x[1:] * 3``: the base's history is rewritten (CopySlices)."""
    def program(x):
        y = x * 2
        y[1:] = x[1:] * 3
        return (y * _w() * y).sum()
    x = np.random.default_rng(0).normal(size=(2, 3))
    check_grad(program, x)
    y = torch.zeros(2, 3, requires_grad=True) * 2
    y[1:] = 1.0
    assert type(y.grad_fn).__name__ == "CopySlices"


def test_grad_setitem_cuts_the_overwritten_entry():
    """``y = x.clone(); y[0] = 10``: entry 0 gets no gradient."""
    def program(x):
        y = x.clone()
        y[0] = 10
        return (y * _w() * y).sum()
    g = check_grad(program, np.random.default_rng(1).normal(size=(2, 3)))
    assert (g[0] == 0).all() and (g[1] != 0).all()


@given(array_and_basic_index() | array_and_advanced_index())
def test_grad_getitem(case):
    """The gradient of an indexed read (view or copy) matches finite differences."""
    a, idx = case
    idx = _torch_index(idx)
    x = a / 3.0
    rng = np.random.default_rng(2)

    def program(t):
        r = t[idx]
        w = torch.tensor(rng_w(r.shape), dtype=torch.float64)
        return (r * r * w).sum()

    weights = {}

    def rng_w(shape):
        shape = tuple(shape)
        if shape not in weights:
            weights[shape] = rng.normal(size=shape)
        return weights[shape]
    check_grad(program, x)


def test_grad_advanced_setitem_values_and_duplicates():
    """``y[idx] = v``: overwritten entries get nothing; without duplicates the gradient is
    the finite-difference one."""
    def program(x):
        y = x * 2
        y[torch.tensor([1, 0])] = x[0] * 5
        return (y * _w() * y).sum()
    check_grad(program, np.random.default_rng(3).normal(size=(2, 3)))


def test_grad_advanced_setitem_duplicates_follow_pytorch():
    """With a duplicated index PyTorch's formula hands ``v`` the gradient of *every*
    duplicate (not the finite-difference one, since only one write wins); we do the same
    (torch 2.13: [[30, 42, 54], [0, 0, 0]] for these weights)."""
    x = torch.zeros(2, 3, requires_grad=True)
    y = x * 2
    y[torch.tensor([1, 1])] = x[0] * 5
    (y * torch.arange(6.0).reshape(2, 3)).sum().backward()
    assert x.grad.tolist() == [[30.0, 42.0, 54.0], [0.0, 0.0, 0.0]]
    assert type(y.grad_fn).__name__ == "IndexPutBackward0"


def test_grad_index_put_accumulate_and_inplace_add():
    def program(x):
        y = x * 2
        y[:, torch.tensor([0, 2])] += x[:, :2] * x[:, 1:]
        return (y * y).sum()
    check_grad(program, np.random.default_rng(4).normal(size=(2, 3)))

    def program2(x):
        z = torch.zeros(4, dtype=torch.float64)
        return (z.index_put((torch.tensor([0, 0, 3]),), x[0], accumulate=True) ** 2).sum()
    check_grad(program2, np.random.default_rng(5).normal(size=(2, 3)))


def test_grad_copy_broadcast_and_dtype():
    """``copy_``: ``src`` gets the gradient summed to its shape, in its own dtype."""
    def program(x):
        y = torch.zeros(2, 2, 3, dtype=torch.float64)
        y.copy_(x[0])
        return (y * y * 3).sum()
    check_grad(program, np.random.default_rng(6).normal(size=(2, 3)))
    x = torch.ones(3, requires_grad=True)
    y = torch.zeros(2, 3, dtype=torch.float64)
    y.copy_(x)
    y.sum().backward()
    assert x.grad.dtype is torch.float32 and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_grad_fill_tensor_value_and_zero():
    """``fill_(value_tensor)`` sends the summed gradient to the value; zero_ sends nothing."""
    def program(x):
        y = x * 1
        y[1] = x[0, 0] * 2          # a 0-dim tensor value: fill_
        y[0, 1:].zero_()
        return (y * _w() * y).sum()
    check_grad(program, np.random.default_rng(7).normal(size=(2, 3)))


def test_grad_masked_select_and_take():
    def program(x):
        m = torch.tensor([True, False, True])
        return (x.masked_select(m) ** 2 * torch.arange(1.0, 5.0, dtype=torch.float64)).sum() \
            + (x.take(torch.tensor([[0, 5, 5]])) ** 3).sum()
    check_grad(program, np.random.default_rng(8).normal(size=(2, 3)))


def test_double_backward_through_index():
    """The gradient of ``index`` is differentiable (index_put with accumulate)."""
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    g, = autograd.grad((x[torch.tensor([0, 0, 2])] ** 2).sum(), x, create_graph=True)
    assert g.tolist() == [4.0, 0.0, 6.0]
    h, = autograd.grad((g * g).sum(), x)      # g = [4 x0, 0, 2 x2]
    assert h.tolist() == [32.0, 0.0, 24.0]


def test_saved_index_tensor_modified_in_place_is_detected():
    """``index`` saves its index tensors; changing one before backward is refused."""
    x = torch.ones(3, requires_grad=True)
    i = torch.tensor([0, 1])
    y = x[i]
    i[0] = 2
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient "
                                           "computation has been modified by an inplace "
                                           "operation"):
        y.sum().backward()


# -- index_fill and 0-dim corner cases -----------------------------------------------------
@given(shapes, st.data())
def test_index_fill_matches_numpy(shape, data):
    """``index_fill_(dim, index, v)`` writes ``v`` into the indexed slices, bumping once;
    the functional form leaves its input alone."""
    a = _array(data.draw, shape)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), max_size=4)), np.int64)
    expect = a.copy()
    where = [slice(None)] * len(shape)
    where[dim] = idx
    expect[tuple(where)] = -7
    t = _t(a)
    np.testing.assert_array_equal(t.index_fill(dim, _t(idx), -7).numpy(), expect)
    assert t._version == 0
    t.index_fill_(dim, _t(idx), torch.tensor(-7.0, dtype=torch.float64))
    np.testing.assert_array_equal(t.numpy(), expect)
    assert t._version == 1


def test_index_fill_errors_and_value_gradient():
    x = torch.arange(6.0).reshape(2, 3)
    for f, exc, text in [
            (lambda: x.index_fill_(1, torch.tensor([0, 5]), -1), IndexError,
             "index 5 is out of bounds for dimension 1 with size 3"),
            (lambda: x.index_fill_(1, torch.tensor([[0, 2]]), -1), RuntimeError,
             "Index has to be a vector/scalar"),
            (lambda: x.index_fill_(1, torch.tensor([0], dtype=torch.int32), -1), IndexError,
             "index_fill_(): Expected dtype int64 for index."),
            (lambda: x.index_fill_(1, torch.tensor([0]), torch.tensor([7.0])), RuntimeError,
             "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
             "dimension(s).")]:
        with pytest.raises(exc) as e:
            f()
        assert str(e.value).startswith(text)
    assert x._version == 0 and x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    w = torch.ones(2, 3, requires_grad=True)
    v = torch.tensor(2.0, requires_grad=True)
    y = w * 2
    y.index_fill_(1, torch.tensor([0, 0]), v)
    assert type(y.grad_fn).__name__ == "IndexFillBackward1"
    y.sum().backward()
    assert v.grad.item() == 2.0          # distinct slices only (torch 2.13)
    assert w.grad.tolist() == [[0.0, 2.0, 2.0], [0.0, 2.0, 2.0]]


def test_zero_dim_index_tensor_and_mask():
    """A 0-d int index gives a 0-d result (and a gradient); a 0-d mask selects all or nothing
    and still differentiates."""
    x = torch.tensor([1.5, 2.5], dtype=torch.float64, requires_grad=True)
    y = torch._OPS["aten::index.Tensor"](x, [torch.tensor(0)])
    assert tuple(y.shape) == ()
    y.backward()
    assert x.grad.tolist() == [1.0, 0.0]
    s = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    s.masked_select(torch.tensor(False)).sum().backward()
    assert s.grad.item() == 0.0
    s.grad = None
    (s.masked_select(torch.tensor(True)) * 3).sum().backward()
    assert s.grad.item() == 3.0
    assert tuple(torch.tensor(2.0)[torch.tensor(True)].shape) == (1,)
    assert tuple(torch.tensor(2.0)[None].shape) == (1,)


def test_deepcopy_follows_pytorch():
    """Only leaves deep-copy; the copy keeps requires_grad, the version and a copy of .grad,
    in its own memory (PyTorch 2.13)."""
    import copy
    x = tensor.ones(3, requires_grad=True)
    x.grad = tensor.full((3,), 2.0)
    with tensor.no_grad():
        x.add_(1)
    y = copy.deepcopy(x)
    assert y._version == 1 and y.requires_grad and y.is_leaf
    assert y.grad.tolist() == [2.0, 2.0, 2.0] and y.grad is not x.grad
    assert not np.shares_memory(y._data, x._data)
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)
    shared = copy.deepcopy({"a": x, "b": x})
    assert shared["a"] is shared["b"]


def test_random_fills_accept_empty_tensors():
    e = tensor.empty(3, 0)
    assert e.uniform_().shape == (3, 0) and e.normal_().shape == (3, 0)
    assert e.copy_(tensor.zeros(3, 0))._version == 3


@pytest.mark.parametrize("data,want", [
    (np.float64(2), "torch.float64"), (np.float32(2), "torch.float32"),
    (np.int32(3), "torch.int32"), (np.bool_(True), "torch.bool"), (np.float16(1), "torch.float16"),
    ([np.float64(1), np.float64(2)], "torch.float64"), ([np.float32(1), 2.0], "torch.float32"),
    ([np.int32(1)], "torch.int32"), ([np.int32(1), 5], "torch.int64"),
    ([np.float16(1), 2], "torch.float16"), ([1.0, np.float64(2)], "torch.float64"),
    ([1, 2.5], "torch.float32"), ([True, 2], "torch.int64"), ([], "torch.float32"),
])
def test_tensor_infers_dtypes_like_pytorch(data, want):
    """numpy scalars keep their dtype, and elements combine by ordinary promotion (PyTorch
    2.13's values)."""
    assert str(tensor.tensor(data).dtype) == want


@pytest.mark.parametrize("make,err,text", [
    (lambda: tensor.tensor([[1, 2], [3]]), ValueError,
     "expected sequence of length 2 at dim 1 (got 1)"),
    (lambda: tensor.tensor("a"), TypeError, "new(): invalid data type 'str'"),
    (lambda: tensor.linspace(0, 1, -1), RuntimeError, "number of steps must be non-negative"),
    (lambda: tensor.randint(5, 2, (2,)), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=2"),
    (lambda: tensor.ones(2).cuda(), AssertionError, "Torch not compiled with CUDA enabled"),
])
def test_factory_errors_are_pytorchs(make, err, text):
    with pytest.raises(err) as e:
        make()
    assert str(e.value).startswith(text)


# -- PyTorch's setitem / getitem corner cases (values checked against PyTorch 2.13) ---------
def test_mask_put_of_a_one_element_value_casts_like_masked_fill():
    """A lone bool mask with a one-element value becomes masked_fill_: the value is cast."""
    a = tensor.arange(6).reshape(2, 3)
    a[a > 2] = tensor.tensor([7.9])
    assert a.tolist() == [[0, 1, 2], [7, 7, 7]] and a.dtype == tensor.int64 and a._version == 1
    b = tensor.arange(6).reshape(2, 3)
    with pytest.raises(RuntimeError, match="^Index put requires the source and destination"):
        b[tensor.tensor([0, 1])] = tensor.ones(3)          # an integer index does not cast


def test_index_put_checks_shape_before_dtype():
    a = tensor.arange(6)
    with pytest.raises(RuntimeError, match=r"^shape mismatch: value tensor of shape \[4\] "
                                           r"cannot be broadcast to indexing result of shape "
                                           r"\[2\]"):
        a[[0, 1]] = tensor.ones(4)


def test_lone_true_index_is_a_plain_copy():
    a = tensor.zeros(2, 3, dtype=tensor.int64)
    a[True] = tensor.tensor([1.5, 2.5, 3.5])                   # copy_ casts
    assert a.tolist() == [[1, 2, 3], [1, 2, 3]]
    with pytest.raises(RuntimeError, match=r"^The expanded size of the tensor \(3\) must "
                                           r"match the existing size \(2\)"):
        a[True] = tensor.ones(2)


def test_number_value_is_checked_before_the_index():
    a = tensor.arange(3)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type int64_t"):
        a[10] = float("nan")
    assert a._version == 0


def test_number_written_through_basic_index_is_a_tensor_fill():
    x = tensor.zeros(3, requires_grad=True).clone()
    x[1:] = 2.0
    assert type(x.grad_fn).__name__ == "CopySlices"
    y = tensor.zeros((), requires_grad=True).clone()
    y[...] = 2.0
    assert type(y.grad_fn).__name__ == "CopyBackwards"


@pytest.mark.parametrize("idx,err,text", [
    (0, IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()`"),
    (1, IndexError, "index 1 is out of bounds for dimension 0 with size 0"),
    (slice(None), IndexError, "slice() cannot be applied to a 0-dim tensor."),
    (slice(None, None, 0), ValueError, "slice step cannot be zero"),
    (1.0, IndexError, "too many indices for tensor of dimension 0"),
])
def test_zero_dim_index_errors(idx, err, text):
    for op in (lambda t: t[idx], lambda t: t.__setitem__(idx, 1.0)):
        with pytest.raises(err) as e:
            op(tensor.tensor(1.5))
        assert str(e.value).startswith(text)


def test_empty_selection_never_reads_the_index_values():
    x = tensor.zeros(0, 2)
    assert x[:, tensor.tensor([5])].shape == (0, 1)            # out of range but nothing read
    with pytest.raises(IndexError, match="^index is out of bounds for dimension with size 0$"):
        x[tensor.tensor([0])]


def test_out_of_range_names_the_items_position():
    with pytest.raises(IndexError, match="^index 9 is out of bounds for dimension 1 with size 4"):
        tensor.zeros(2, 3, 4)[..., 9]


@given(st.sampled_from(["torch.DoubleTensor", "torch.Tensor", "torch.IntTensor"]))
def test_type_accepts_legacy_names_and_classes(name):
    x = tensor.ones(2)
    want = {"torch.DoubleTensor": tensor.float64, "torch.Tensor": tensor.float32,
            "torch.IntTensor": tensor.int32}[name]
    assert x.type(name).dtype == want
    cls = {"torch.DoubleTensor": tensor.DoubleTensor, "torch.Tensor": tensor.Tensor,
           "torch.IntTensor": tensor.IntTensor}[name]
    assert x.type(cls).dtype == want


def test_copy_checks_memory_overlap_before_shapes():
    """copy_ from a transposed view of itself: PyTorch reports the partial overlap before the
    shapes (found by the differential program fuzzer)."""
    a = tensor.ones(2, 3)
    with pytest.raises(RuntimeError, match="unsupported operation: some elements of the input "
                                           "tensor and the written-to tensor refer to a single "
                                           "memory location"):
        a.copy_(a.t())
    assert a._version == 0
