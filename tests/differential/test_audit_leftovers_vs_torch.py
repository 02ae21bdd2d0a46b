"""Fixes for what the in-place and view audits had left, side by side with PyTorch: the
integer-``self`` refusals of in-place ops, baddbmm_/addbmm_'s check order, cumsum / cumprod
into bool, ``_reshape_alias``'s strides, and unsafe_split / unsafe_chunk aliasing the input
without being autograd views. Each expression runs on both libraries; the outcome (values,
dtype, shape, strides, offsets, versions, node names, grads; or the error's builtin type and
the start of its first line) must agree."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402
from tensor._defop import OPS  # noqa: E402

pytestmark = pytest.mark.differential


def _aten(M, name):
    """The aten op ``name`` ("cumsum_", "_reshape_alias", "mvlgamma.out") in library ``M``."""
    if M is torch:
        base, _, ov = name.partition(".")
        return getattr(getattr(torch.ops.aten, base), ov or "default")
    return OPS[f"aten::{name}"].call


def _facts(r):
    if isinstance(r, (list, tuple)):
        return [_facts(x) for x in r]
    if isinstance(r, (torch.Tensor, tk.Tensor)):
        return ("tensor", str(r.dtype).rsplit(".", 1)[-1], tuple(r.shape),
                np.array(r.detach().tolist()).tolist())
    return r


def _outcome(M, fn):
    try:
        return _facts(fn(M))
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        base = next(c for c in type(e).__mro__ if c.__module__ == "builtins")
        return ("error", base.__name__, str(e).strip().splitlines()[0])


def _same(theirs, ours):
    """Equal outcomes: errors by type and the start of PyTorch's first line, tensors by dtype,
    shape and values (to a few float64 ulps: the special functions round differently)."""
    if isinstance(theirs, tuple) and theirs[:1] == ("error",):
        return (isinstance(ours, tuple) and ours[:2] == theirs[:2]
                and ours[2].startswith(theirs[2]))
    if isinstance(theirs, tuple) and theirs[:1] == ("tensor",) and theirs[1] == "float64":
        return (isinstance(ours, tuple) and ours[:3] == theirs[:3]
                and np.allclose(ours[3], theirs[3], rtol=1e-13, atol=0))
    return theirs == ours


def _check(fn):
    theirs, ours = _outcome(torch, fn), _outcome(tk, fn)
    assert _same(theirs, ours), f"torch {theirs!r}\nours  {ours!r}"
    return theirs


L = [[1, -2, 3], [4, 0, 2]]
F = [[0.5, -1.5, 2.0], [1.0, 0.25, 3.0]]


def _b(M, *shape, dtype="float64"):
    n = int(np.prod(shape))
    return M.arange(n, dtype=getattr(M, dtype)).reshape(shape) * 0.5 - 1


# -- integer self: the refusal of each in-place op, in PyTorch's words ------------------------
INT_SELF = {
    "clamp_min_": lambda M: M.tensor(L).clamp_min_(0.5),
    "clamp_max_": lambda M: M.tensor(L).clamp_max_(0.5),
    "clamp_min_i32": lambda M: M.tensor(L, dtype=M.int32).clamp_min_(0.5),
    "clamp_max_u8": lambda M: M.tensor([[1, 2]], dtype=M.uint8).clamp_max_(1.5),
    "clamp_min_bool_int": lambda M: M.tensor([True, False]).clamp_min_(1),
    "clamp_min_bool_bool": lambda M: M.tensor([True, False]).clamp_min_(True),
    "clamp_min_int_int": lambda M: M.tensor(L).clamp_min_(1),
    "clamp_min_float": lambda M: M.tensor(F, dtype=M.float32).clamp_min_(0.75),
    "ldexp_": lambda M: M.tensor(L).ldexp_(M.tensor(F)),
    "ldexp_int_other": lambda M: M.tensor(L).ldexp_(M.tensor(L)),
    "ldexp_bool": lambda M: M.tensor([True]).ldexp_(M.tensor([True])),
    "ldexp_int_grows": lambda M: M.tensor([1, 2]).ldexp_(M.tensor([[1.0, 2.0]] * 2)),
    "ldexp_float_grows": lambda M: M.tensor([1.0, 2.0]).ldexp_(M.tensor([[1.0, 2.0]] * 2)),
    "ldexp_float": lambda M: M.tensor(F, dtype=M.float32).ldexp_(M.tensor(L)),
    "mvlgamma_": lambda M: (M.tensor(L) + 3).mvlgamma_(2),
    "mvlgamma_i32": lambda M: (M.tensor(L, dtype=M.int32) + 3).mvlgamma_(2),
    "mvlgamma_bool": lambda M: M.tensor([True]).mvlgamma_(0),
    "mvlgamma_p0": lambda M: M.tensor(L).mvlgamma_(0),
    "mvlgamma_bool_fn": lambda M: M.mvlgamma(M.tensor([True]), 1),
    "mvlgamma_float": lambda M: (M.tensor(F, dtype=M.float64) + 3).mvlgamma_(3),
    "mvlgamma_out_long": lambda M: _aten(M, "mvlgamma.out")(
        M.tensor(F) + 3, 2, out=M.empty(2, 3, dtype=M.int64)),
    "mvlgamma_out_int_long": lambda M: _aten(M, "mvlgamma.out")(
        M.tensor(L) + 3, 2, out=M.empty(2, 3, dtype=M.int64)),
    # (the values are float32's, whose rounding differs a little: only the outcome counts)
    "mvlgamma_out_int_double": lambda M: str(_aten(M, "mvlgamma.out")(
        M.tensor(L) + 3, 2, out=M.empty(2, 3, dtype=M.float64)).dtype).rsplit(".", 1)[-1],
    "renorm_": lambda M: M.tensor(L).renorm_(2, 0, 1.0),
    "renorm_fn": lambda M: M.renorm(M.tensor([[True, False]]), 2, 0, 1.0),
    "renorm_bad_dim_first": lambda M: M.tensor(L).renorm_(2, 5, 1.0),
    "renorm_bad_p_first": lambda M: M.tensor(L).renorm_(0, 5, 1.0),
    "renorm_bad_maxnorm_first": lambda M: M.tensor([1, 2]).renorm_(2, 0, -1.0),
    "silu_": lambda M: _aten(M, "silu_")(M.tensor(L)),
    "silu": lambda M: _aten(M, "silu")(M.tensor([[1, 2]], dtype=M.uint8)),
    "silu_bool": lambda M: _aten(M, "silu_")(M.tensor([True])),
    "silu_out_int": lambda M: _aten(M, "silu.out")(M.tensor(L), out=M.empty(2, 3, dtype=M.int64)),
    "silu_float": lambda M: _aten(M, "silu_")(M.tensor(F, dtype=M.float64)),
}


@pytest.mark.parametrize("case", sorted(INT_SELF))
def test_int_self_refusals_match_torch(case):
    _check(INT_SELF[case])


# -- baddbmm_ / addbmm_: PyTorch's order of checks --------------------------------------------
def _bmm_case(self_shape, b1_shape, b2_shape, self_dtype="float64", b1_dtype="float64",
              b2_dtype="float64", name="baddbmm_", **kw):
    def run(M):
        s = _b(M, *self_shape, dtype=self_dtype) if self_shape else M.tensor(1.0)
        return getattr(s, name)(_b(M, *b1_shape, dtype=b1_dtype),
                                _b(M, *b2_shape, dtype=b2_dtype), **kw)
    return run


BMM = {
    "int_self": _bmm_case((2, 3, 2), (2, 3, 4), (2, 4, 2), self_dtype="int64"),
    "float_b1": _bmm_case((2, 3, 2), (2, 3, 4), (2, 4, 2), b1_dtype="float32"),
    "float_b2": _bmm_case((2, 3, 2), (2, 3, 4), (2, 4, 2), b2_dtype="float32"),
    "int_b2": _bmm_case((2, 3, 2), (2, 3, 4), (2, 4, 2), self_dtype="int64", b1_dtype="int64"),
    "grown": _bmm_case((3, 3, 1), (2, 3, 4), (2, 4, 2)),
    "grown_batches": _bmm_case((3, 3, 1), (2, 2, 3, 4), (2, 2, 4, 2)),
    "self_4d": _bmm_case((1, 2, 3, 2), (2, 3, 4), (2, 4, 2)),
    "self_2d": _bmm_case((3, 2), (2, 3, 4), (2, 4, 2)),
    "self_broadcasts": _bmm_case((1, 3, 2), (2, 3, 4), (2, 4, 2)),
    "b1_2d": _bmm_case((2, 3, 2), (3, 4), (2, 4, 2)),
    "b1_1d": _bmm_case((2, 3, 2), (4,), (2, 4, 2)),
    "b1_0d": _bmm_case((2, 3, 2), (), (2, 4, 2)),
    "b2_2d": _bmm_case((2, 3, 2), (2, 3, 4), (4, 2)),
    "b1_4d": _bmm_case((2, 3, 2), (2, 3, 4, 5), (2, 4, 2)),
    "b2_mismatch": _bmm_case((2, 3, 2), (2, 3, 4), (2, 3, 2)),
    "int_all": _bmm_case((2, 3, 2), (2, 3, 4), (2, 4, 2), self_dtype="int64",
                         b1_dtype="int64", b2_dtype="int64"),
    "fine": _bmm_case((2, 3, 2), (2, 3, 4), (2, 4, 2), beta=0.5, alpha=2),
    "add_int_self": _bmm_case((3, 2), (2, 3, 4), (2, 4, 2), self_dtype="int64", name="addbmm_"),
    "add_float_b1": _bmm_case((3, 2), (2, 3, 4), (2, 4, 2), b1_dtype="float32",
                              name="addbmm_"),
    "add_float_b2": _bmm_case((3, 2), (2, 3, 4), (2, 4, 2), b2_dtype="float32",
                              name="addbmm_"),
    "add_int_b1": _bmm_case((3, 2), (2, 3, 4), (2, 4, 2), self_dtype="int64",
                            b1_dtype="int64", name="addbmm_"),
    "add_no_batches": _bmm_case((3, 2), (0, 3, 4), (0, 4, 2), self_dtype="int64",
                                name="addbmm_"),
    "add_batch_count": _bmm_case((3, 2), (1, 3, 4), (2, 4, 2), self_dtype="int64",
                                 name="addbmm_"),
    "add_grown": _bmm_case((4, 2), (2, 3, 4), (2, 4, 2), name="addbmm_"),
    "add_self_3d": _bmm_case((2, 3, 2), (2, 3, 4), (2, 4, 2), name="addbmm_"),
    "add_b1_1d": _bmm_case((3, 2), (4,), (2, 4, 2), name="addbmm_"),
    "add_b2_2d": _bmm_case((3, 2), (2, 3, 4), (4, 2), name="addbmm_"),
    "add_fine": _bmm_case((3, 2), (2, 3, 4), (2, 4, 2), name="addbmm_", beta=2, alpha=0.5),
}


@pytest.mark.parametrize("case", sorted(BMM))
def test_bmm_inplace_checks_match_torch(case):
    _check(BMM[case])


def test_failed_baddbmm_changes_nothing():
    s = tk.ones(2, 3, 2, dtype=tk.int64)
    with pytest.raises(RuntimeError):
        s.baddbmm_(_b(tk, 2, 3, 4), _b(tk, 2, 4, 2))
    assert s._version == 0 and s.tolist() == [[[1, 1]] * 3] * 2


# -- cumsum / cumprod into bool ---------------------------------------------------------------
SCANS = {}
for _op in ("cumsum", "cumprod"):
    for _label, _make in (("int", lambda M: M.tensor(L)), ("float", lambda M: M.tensor(F)),
                          ("bool", lambda M: M.tensor(L) > 0), ("0d", lambda M: M.tensor(3)),
                          ("one", lambda M: M.tensor([[2]])),
                          ("empty", lambda M: M.ones(2, 0))):
        SCANS[f"{_op}_{_label}_dtype_bool"] = (
            lambda M, o=_op, mk=_make: getattr(M, o)(mk(M), 0, dtype=M.bool))
        SCANS[f"{_op}_{_label}_method_bool"] = (
            lambda M, o=_op, mk=_make: getattr(mk(M), o)(-1, dtype=M.bool))
        SCANS[f"{_op}_{_label}_out_bool"] = (
            lambda M, o=_op, mk=_make: getattr(M, o)(mk(M), 0, out=M.empty(0, dtype=M.bool)))
        SCANS[f"{_op}_{_label}_inplace"] = (lambda M, o=_op, mk=_make: getattr(mk(M), o + "_")(0))
        SCANS[f"{_op}_{_label}_inplace_bool"] = (
            lambda M, o=_op, mk=_make: getattr(mk(M), o + "_")(0, dtype=M.bool))
        SCANS[f"{_op}_{_label}_inplace_long"] = (
            lambda M, o=_op, mk=_make: getattr(mk(M), o + "_")(0, dtype=M.int64))
        SCANS[f"{_op}_{_label}_plain"] = (lambda M, o=_op, mk=_make: getattr(M, o)(mk(M), -1))
    SCANS[f"{_op}_bad_dim_bool"] = (
        lambda M, o=_op: getattr(M, o)(M.tensor(L), 5, dtype=M.bool))
    SCANS[f"{_op}_inplace_bad_dim"] = (
        lambda M, o=_op: getattr(M.tensor(L), o + "_")(5, dtype=M.float32))
    SCANS[f"{_op}_inplace_same_dtype"] = (
        lambda M, o=_op: getattr(M.tensor(F, dtype=M.float32), o + "_")(1, dtype=M.float32))
    SCANS[f"{_op}_inplace_other_float"] = (
        lambda M, o=_op: getattr(M.tensor(F, dtype=M.float32), o + "_")(1, dtype=M.float64))
    SCANS[f"{_op}_i32_inplace"] = (
        lambda M, o=_op: getattr(M.tensor(L, dtype=M.int32), o + "_")(1))


@pytest.mark.parametrize("case", sorted(SCANS))
def test_scans_match_torch(case):
    _check(SCANS[case])


def test_cumsum_inplace_version_and_grad_match_torch():
    def run(M):
        leaf = M.tensor(F, dtype=M.float64, requires_grad=True)
        x = leaf * 1
        x.cumsum_(1)
        (x * M.tensor(F)).sum().backward()
        return x._version, x.grad_fn.name(), leaf.grad.tolist()
    assert _outcome(tk, run) == _outcome(torch, run)


# -- _reshape_alias lays its result out with the given strides --------------------------------
def _alias_facts(M, x, size, stride):
    y = _aten(M, "_reshape_alias")(x, size, stride)
    return (tuple(y.shape), tuple(y.stride()), y.storage_offset(), y.is_contiguous(),
            y._is_view(), y._base is (x if x._base is None else x._base), y.tolist(),
            (y.data_ptr() - x.data_ptr()) // x.element_size())


ALIAS = {
    "zero_strides": lambda M: _alias_facts(M, M.arange(12.0).reshape(3, 4).clone(), [3, 4],
                                           [0, 0]),
    "transposed": lambda M: _alias_facts(M, M.arange(12.0), [4, 3], [1, 4]),
    "of_view": lambda M: _alias_facts(M, M.arange(12.0).reshape(3, 4)[1:], [2, 2], [1, 2]),
    "fewer": lambda M: _alias_facts(M, M.arange(12.0), [2, 3], [3, 1]),
    "plain": lambda M: _alias_facts(M, M.arange(12.0).reshape(3, 4).t(), [12], [1]),
    "rank_mismatch": lambda M: _alias_facts(M, M.arange(12.0), [2, 2], [1]),
}


@pytest.mark.parametrize("case", sorted(ALIAS))
def test_reshape_alias_matches_torch(case):
    _check(ALIAS[case])


@pytest.mark.parametrize("write", ["add_", "copy_", "fill_"])
def test_reshape_alias_overlapping_writes_match_torch(write):
    def run(M):
        x = M.arange(12.0).reshape(3, 4).clone()
        y = _aten(M, "_reshape_alias")(x, [3, 4], [0, 0])
        arg = {"add_": 1.0, "fill_": 2.0, "copy_": M.ones(3, 4)}[write]
        r = getattr(y, write)(arg)
        return r is y, x.tolist(), x._version
    _check(run)


def test_reshape_alias_grad_matches_torch():
    def run(M):
        leaf = M.arange(6.0).requires_grad_()
        y = _aten(M, "_reshape_alias")(leaf * 1, [2, 3], [3, 1])
        (y * M.arange(6.0).reshape(2, 3)).sum().backward()
        return y.grad_fn.name(), leaf.grad.tolist()
    _check(run)


# -- unsafe_split / unsafe_chunk / unsafe_split_with_sizes --------------------------------------
def _pieces(M, which, x):
    if which == "split":
        return M.unsafe_split(x, 2, 1)
    if which == "chunk":
        return x.unsafe_chunk(3, 0)
    return M.unsafe_split_with_sizes(x, [1, 3], 1)


WHICH = ["split", "chunk", "sizes"]


@pytest.mark.parametrize("which", WHICH)
@pytest.mark.parametrize("of_view", [False, True])
def test_unsafe_pieces_alias_the_input(which, of_view):
    def run(M):
        root = M.arange(16.0).reshape(4, 4)
        x = root[1:] if of_view else root[1:].clone()
        outs = _pieces(M, which, x)
        facts = [(tuple(o.shape), o.stride(), o.storage_offset(), o._is_view(),
                  o._base is None, (o.data_ptr() - x.data_ptr()) // 8, o._version)
                 for o in outs]
        outs[0].add_(100)
        x.mul_(2)
        return facts, [o._version for o in outs], x._version, x.tolist()
    _check(run)


@pytest.mark.parametrize("which", WHICH)
def test_unsafe_pieces_share_numpy_memory(which):
    x = tk.arange(12.0).reshape(3, 4)
    for o in _pieces(tk, which, x):
        assert np.shares_memory(o.numpy(), x.numpy())
        assert not o._is_view()


@pytest.mark.parametrize("which", WHICH)
def test_unsafe_pieces_grads_match_torch(which):
    def run(M):
        leaf = M.arange(12.0).reshape(3, 4).requires_grad_()
        outs = _pieces(M, which, leaf * 1)
        loss = sum((o * (k + 1)).sum() for k, o in enumerate(outs))
        loss.backward()
        return [o.grad_fn.name() for o in outs], leaf.grad.tolist()
    _check(run)


@pytest.mark.parametrize("which", WHICH)
def test_unsafe_pieces_written_in_grad_mode_match_torch(which):
    """Writing a piece in place does not touch the input's history or version (PyTorch's
    "unsafe" part): the input's gradient ignores the write."""
    def run(M):
        leaf = M.arange(12.0).reshape(3, 4).requires_grad_()
        x = leaf * 1
        outs = _pieces(M, which, x)
        outs[0].mul_(2)
        (x * M.arange(12.0).reshape(3, 4)).sum().backward()
        return outs[0].grad_fn.name(), x.grad_fn.name(), x._version, outs[0]._version, \
            leaf.grad.tolist(), x.tolist()
    _check(run)


@pytest.mark.parametrize("which", WHICH)
@pytest.mark.parametrize("grad", [False, True])
def test_unsafe_pieces_in_inference_mode_match_torch(which, grad):
    def run(M):
        x = M.arange(12.0).reshape(3, 4).clone()
        if grad:
            x = x.requires_grad_() * 1
        with M.inference_mode():
            outs = _pieces(M, which, x)
            facts = [(o.is_inference(), o._is_view(), o._base is x, o._version,
                      o.requires_grad) for o in outs]
            outs[-1].add_(1)
        x_facts = (x._version, [o._version for o in outs])
        return facts, x_facts, x.tolist()
    _check(run)


@pytest.mark.parametrize("which", WHICH)
def test_unsafe_pieces_of_inference_tensor_match_torch(which):
    def run(M):
        with M.inference_mode():
            t = M.arange(12.0).reshape(3, 4).clone()
        outs = _pieces(M, which, t)
        return [(o.is_inference(), o._is_view(), o._base is None) for o in outs]
    _check(run)
