"""The fixes for the in-place / view audits' leftovers, on their own: exact refusal texts,
cumsum / cumprod into bool, ``_reshape_alias`` against numpy's strided views, and the
aliasing, versions and gradients of unsafe_split / unsafe_chunk / unsafe_split_with_sizes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor as torch
from tensor._defop import OPS

FAST = settings(max_examples=25, deadline=None)


def _err(exc, fn):
    with pytest.raises(exc) as info:
        fn()
    return str(info.value)


# -- integer self -----------------------------------------------------------------------------
@pytest.mark.parametrize("fn, exc, text", [
    (lambda t: t.clamp_min_(0.5), RuntimeError,
     "result type Float can't be cast to the desired output type long int"),
    (lambda t: t.clamp_max_(0.5), RuntimeError,
     "result type Float can't be cast to the desired output type long int"),
    (lambda t: t.ldexp_(torch.ones(3)), RuntimeError,
     "ldexp can't be cast to the desired output type Long"),
    (lambda t: t.mvlgamma_(2), RuntimeError,
     "mvlgamma: result type Long can't be cast to the desired output type Float"),
    (lambda t: t.reshape(1, 3).renorm_(2, 0, 1.0), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda t: OPS["aten::silu_"].call(t), NotImplementedError,
     "\"silu_cpu\" not implemented for 'Long'"),
])
def test_integer_self_refusals_change_nothing(fn, exc, text):
    t = torch.tensor([3, 4, 5])
    assert _err(exc, lambda: fn(t)).startswith(text)
    assert t.tolist() == [3, 4, 5] and t._version == 0


def test_baddbmm_checks_the_expansion_first():
    s = torch.zeros(3, 3, 1)
    msg = _err(RuntimeError, lambda: s.baddbmm_(torch.ones(2, 2, 3, 4), torch.ones(2, 2, 4, 2)))
    assert msg.startswith("The expanded size of the tensor (2) must match the existing size (3) "
                          "at non-singleton dimension 1.  Target sizes: [2, 2, 4].")


def test_baddbmm_int_self_names_every_dtype():
    msg = _err(RuntimeError, lambda: torch.zeros(2, 3, 2, dtype=torch.int64).baddbmm_(
        torch.ones(2, 3, 4, dtype=torch.float64), torch.ones(2, 4, 2, dtype=torch.float64)))
    assert msg.startswith("Input dtypes must be the same, got: input long int, batch1: double, "
                          "batch2: double")


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2))
@FAST
def test_addbmm_inplace_is_the_sum_of_the_products(n, p, m, b):
    rng = np.random.default_rng(n * 100 + p * 10 + m + b)
    c, b1, b2 = rng.normal(size=(n, m)), rng.normal(size=(b, n, p)), rng.normal(size=(b, p, m))
    t = torch.from_numpy(c.copy())
    t.addbmm_(torch.from_numpy(b1), torch.from_numpy(b2), beta=0.5, alpha=2.0)
    np.testing.assert_allclose(t.numpy(), 0.5 * c + 2.0 * np.einsum("bij,bjk->ik", b1, b2),
                               rtol=1e-12, atol=1e-12)


def test_addbmm_without_batches_accepts_any_batch_dtype():
    t = torch.ones(2, 2, dtype=torch.int64)
    t.addbmm_(torch.ones(0, 2, 3), torch.ones(0, 3, 2), beta=3)
    assert t.tolist() == [[3, 3], [3, 3]] and t.dtype is torch.int64


# -- cumsum / cumprod into bool -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", [torch.int64, torch.float32, torch.bool])
def test_scan_to_bool_is_not_implemented(name, dtype):
    x = torch.ones(2, 3, dtype=dtype)
    text = f"\"{name}_out_cpu\" not implemented for 'Bool'"
    assert _err(NotImplementedError, lambda: getattr(x, name)(1, dtype=torch.bool)) == text
    out = torch.empty(0, dtype=torch.bool)
    assert _err(NotImplementedError, lambda: getattr(torch, name)(x, 0, out=out)) == text


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_scan_to_bool_with_nothing_to_scan_works(name):
    assert getattr(torch.tensor(3), name)(0, dtype=torch.bool).tolist() is True
    assert getattr(torch.ones(2, 0), name)(0, dtype=torch.bool).shape == (2, 0)


@pytest.mark.parametrize("name", ["cumsum_", "cumprod_"])
def test_inplace_scan_keeps_self_dtype(name):
    x = torch.tensor([1, 2, 3])
    msg = _err(RuntimeError, lambda: getattr(x, name)(0, dtype=torch.float32))
    assert msg == ("Bad in-place call: input tensor dtype long int and output tensor dtype "
                   "float should match")
    assert x._version == 0
    b = torch.tensor([True, False])
    assert _err(NotImplementedError, lambda: getattr(b, name)(0)).startswith(
        f"\"{name[:-1]}_out_cpu\" not implemented for 'Bool'")


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=6))
@FAST
def test_inplace_cumsum_matches_numpy(vals):
    x = torch.tensor(vals, dtype=torch.int32)
    x.cumsum_(0)
    assert x.tolist() == np.cumsum(np.array(vals, dtype=np.int32), dtype=np.int32).tolist()
    assert x.dtype is torch.int32 and x._version == 1


# -- _reshape_alias ----------------------------------------------------------------------------
_alias = OPS["aten::_reshape_alias"].call


@given(st.integers(2, 12), st.integers(0, 3), st.lists(st.tuples(st.integers(1, 3),
                                                                 st.integers(0, 3)),
                                                       min_size=1, max_size=3))
@FAST
def test_reshape_alias_is_numpys_strided_view(n, off, dims):
    size = [d for d, _ in dims]
    stride = [s for _, s in dims]
    root = torch.arange(float(n + off))
    x = root[off:]
    need = 1 + sum(s * (d - 1) for d, s in dims)
    if need > n:
        with pytest.raises(RuntimeError, match="reach outside the input's storage"):
            _alias(x, size, stride)
        return
    y = _alias(x, size, stride)
    base = root.numpy()
    expect = np.lib.stride_tricks.as_strided(base[off:], tuple(size),
                                             tuple(s * base.itemsize for s in stride))
    assert y.numpy().tolist() == expect.tolist()
    assert y.stride() == tuple(stride) and y.storage_offset() == off
    assert y._base is root and np.shares_memory(y.numpy(), base)


def test_reshape_alias_overlapping_write_is_refused():
    x = torch.arange(6.0)
    y = _alias(x, [2, 3], [0, 1])
    msg = _err(RuntimeError, lambda: y.add_(1))
    assert msg.startswith("unsupported operation: more than one element of the written-to "
                          "tensor refers to a single memory location.")
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_reshape_alias_rank_mismatch():
    assert _err(RuntimeError, lambda: _alias(torch.ones(4), [2, 2], [2])) == (
        "dimensionality of sizes (2) must match dimensionality of strides (1)")


# -- unsafe_split / unsafe_chunk / unsafe_split_with_sizes ----------------------------------------
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), st.booleans())
@FAST
def test_unsafe_split_aliases_like_split(rows, cols, size, chunk):
    x = torch.arange(float(rows * cols)).reshape(rows, cols)
    ours = x.unsafe_chunk(size, 1) if chunk else torch.unsafe_split(x, size, 1)
    views = x.chunk(size, 1) if chunk else torch.split(x, size, 1)
    assert len(ours) == len(views)
    for o, v in zip(ours, views):
        assert (o.shape, o.stride(), o.storage_offset()) == (v.shape, v.stride(),
                                                            v.storage_offset())
        assert o.data_ptr() == v.data_ptr() and np.shares_memory(o.numpy(), x.numpy())
        assert not o._is_view() and o._base is None and o._version == 0


def test_unsafe_pieces_have_version_counters_of_their_own():
    x = torch.arange(6.0).reshape(2, 3)
    a, b = torch.unsafe_split_with_sizes(x, [1, 2], 1)
    a.add_(10)
    assert (x._version, a._version, b._version) == (0, 1, 0)
    assert x[:, 0].tolist() == [10.0, 13.0]
    x.mul_(2)
    assert (x._version, a._version, b._version) == (1, 1, 0)


@given(st.integers(1, 3), st.integers(1, 4))
@FAST
def test_unsafe_split_gradient_is_split_gradient(size, cols):
    w = np.arange(3.0 * cols).reshape(3, cols) + 1
    grads = []
    for fn in (torch.unsafe_split, torch.split):
        leaf = torch.from_numpy(w.copy()).requires_grad_()
        outs = fn(leaf * 1, size, 1)
        sum((o * o * (k + 1)).sum() for k, o in enumerate(outs)).backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    leaf = torch.from_numpy(w.copy()).requires_grad_()
    assert torch.unsafe_split(leaf * 1, size, 1)[0].grad_fn.name() == "UnsafeSplitBackward0"


def test_unsafe_split_in_inference_mode_gives_views_with_new_counters():
    x = torch.arange(6.0).reshape(2, 3).clone()
    with torch.inference_mode():
        outs = torch.unsafe_split(x, 2, 1)
    for o in outs:
        assert o._is_view() and o._base is x and not o.is_inference() and o._version == 0
    with torch.inference_mode():
        t = torch.ones(2, 3)
    assert all(o.is_inference() and not o._is_view() for o in torch.unsafe_split(t, 2, 1))
