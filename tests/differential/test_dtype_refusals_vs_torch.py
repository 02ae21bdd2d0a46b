"""Dtypes PyTorch's kernels refuse (or accept in a particular way), side by side with PyTorch
(skipped without torch): the same expression runs on both libraries; an error must have the
same builtin type and ours' first line must start with PyTorch's (we may add a hint), and a
result must have the same dtype, shape and values."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

L, B, H, F, D = "int64", "bool", "float16", "float32", "float64"


def _t(M, shape, dtype, fill=0.5):
    """A tensor of ``shape`` and ``dtype`` (a name) with values around ``fill``."""
    n = int(np.prod(shape))
    arr = (fill + np.arange(n).reshape(shape) % 3 * 0.125).astype(np.float64)
    if dtype == B:
        arr = arr > 0.6
    return M.from_numpy(np.ascontiguousarray(arr.astype(dtype)))


def _outcome(M, fn):
    try:
        r = fn(M, lambda shape, dtype, fill=0.5: _t(M, shape, dtype, fill))
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        base = next(c for c in type(e).__mro__ if c.__module__ == "builtins")
        return ("error", base.__name__, str(e).strip().splitlines()[0])
    r = r[0] if isinstance(r, (tuple, list)) else r
    return ("ok", str(r.dtype).rsplit(".", 1)[-1], tuple(r.shape),
            np.array(r.detach().numpy(), dtype=np.float64))


def _same(fn):
    theirs, ours = _outcome(torch, fn), _outcome(tk, fn)
    assert theirs[:2] == ours[:2], (theirs, ours)
    if theirs[0] == "error":
        assert ours[2].startswith(theirs[2]), (theirs[2], ours[2])
    else:
        assert theirs[2] == ours[2]
        np.testing.assert_allclose(ours[3], theirs[3], rtol=2e-3, atol=1e-6)


def A(M):
    return M.ops.aten


CASES = {
    # activations and clamp
    "gelu_long": lambda M, t: M.nn.functional.gelu(t((2, 3), L)),
    "gelu_bool_tanh": lambda M, t: M.nn.functional.gelu(t((2, 3), B), approximate="tanh"),
    "gelu_out_dtype_first": lambda M, t: A(M).gelu.out(t((2,), L), out=M.empty(2)),
    "rrelu_train_half": lambda M, t: A(M).rrelu(t((2, 3), H), 0.1, 0.3, True),
    "rrelu_eval_long": lambda M, t: A(M).rrelu(t((2, 3), L), 0.1, 0.3, False),
    "clamp_bool_bounds": lambda M, t: M.clamp(t((3,), B), t((3,), B), t((3,), B)),
    "clamp_bool_min_only": lambda M, t: M.clamp(t((3,), B), min=t((3,), B)),
    "prelu_weight_dtype": lambda M, t: A(M)._prelu_kernel(t((2, 3), L), t((3,), D)),
    # isin
    "isin_bool": lambda M, t: M.isin(t((2, 3), F), t((2,), B)),
    "isin_bool_scalar": lambda M, t: M.isin(t((2, 3), L), True),
    # upsampling
    "nearest2d_long": lambda M, t: A(M).upsample_nearest2d(t((1, 2, 3, 3), L), [2, 2], None,
                                                             None),
    "nearest2d_uint8": lambda M, t: A(M).upsample_nearest2d(t((1, 2, 2, 2), "uint8", 3),
                                                              [4, 3], None, None),
    "nearest1d_bool": lambda M, t: A(M).upsample_nearest1d(t((1, 2, 3), B), [5], None),
    "linear1d_long": lambda M, t: A(M).upsample_linear1d(t((1, 2, 3), L), [5], False, None),
    "bilinear2d_bool": lambda M, t: A(M).upsample_bilinear2d(t((1, 2, 3, 3), B), [4, 4], True,
                                                               None, None),
    "nearest2d_backward": lambda M, t: A(M).upsample_nearest2d_backward(
        t((2, 3, 4, 5), L), [4, 5], [2, 3, 2, 2], None, None),
    "nearest2d_backward_cl": lambda M, t: A(M).upsample_nearest2d_backward(
        t((1, 2, 1, 1), L), [1, 1], [1, 2, 1, 1], None, None),
    "bilinear2d_backward_cl": lambda M, t: A(M).upsample_bilinear2d_backward(
        t((2, 3, 4, 5), B).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), [4, 5],
        [2, 3, 2, 2], False, None, None),
    "interpolate_long": lambda M, t: M.nn.functional.interpolate(t((1, 2, 3), L),
                                                                  scale_factor=2),
    # normalization
    "layer_norm_long_params": lambda M, t: M.nn.functional.layer_norm(t((2, 3), L), [3],
                                                                      t((3,), D)),
    "layer_norm_double_float_params": lambda M, t: A(M).native_layer_norm(
        t((2, 3), D), [3], t((3,), F), None, 1e-5),
    "layer_norm_mixed_half": lambda M, t: A(M).native_layer_norm(t((2, 3), H), [3],
                                                                 t((3,), F), t((3,), F), 1e-5),
    "layer_norm_second_param": lambda M, t: A(M).native_layer_norm(t((2, 3), F), [3],
                                                                   t((3,), F), t((3,), D), 1e-5),
    "group_norm_long": lambda M, t: A(M).native_group_norm(t((2, 4, 3), L), None, None, 2, 4,
                                                           3, 2, 1e-5),
    "group_norm_mixed_half": lambda M, t: A(M).native_group_norm(
        t((2, 4, 3), H), t((4,), F), t((4,), F), 2, 4, 3, 2, 1e-5),
    # losses
    "bce_target_dtype_first": lambda M, t: A(M).binary_cross_entropy(t((2, 3), L),
                                                                     t((2, 3), D), None, 1),
    "bce_weight_any_dtype": lambda M, t: A(M).binary_cross_entropy(t((2, 3), F), t((2, 3), F),
                                                                   t((3,), L), 1),
    "bce_logits_long_input": lambda M, t: A(M).binary_cross_entropy_with_logits(
        t((2, 3), L), t((2, 3), D), None, None, 1),
    "bce_logits_long_target": lambda M, t: A(M).binary_cross_entropy_with_logits(
        t((2, 3), D), t((2, 3), L), None, None, 1),
    "bce_logits_bool_pos_weight": lambda M, t: A(M).binary_cross_entropy_with_logits(
        t((2, 3), D), t((2, 3), D), None, t((3,), B), 1),
    "bce_logits_target_dtype": lambda M, t: A(M).binary_cross_entropy_with_logits(
        t((2, 3), D), t((2, 3), F), t((3,), D), t((3,), D), 0),
    "huber_long_self": lambda M, t: A(M).huber_loss(t((2, 3), L), t((2, 3), D), 1, 1.0),
    "soft_margin_bool_self": lambda M, t: A(M).soft_margin_loss(t((2, 3), B), t((2, 3), D), 1),
    "soft_margin_bool_target": lambda M, t: A(M).soft_margin_loss(t((2, 3), D), t((2, 3), B),
                                                                  1),
    "multilabel_backward_long": lambda M, t: A(M).multilabel_margin_loss_backward(
        t((), L), t((3, 1), L), M.tensor([[0], [0], [-1]]), 2, t((3, 1), D)),
    "multilabel_backward_is_target": lambda M, t: A(M).multilabel_margin_loss_backward(
        t((), D), t((3, 1), D), M.tensor([[0], [0], [-1]]), 2, t((3, 1), F)),
    # pooling backward ops
    "adaptive_avg2d_backward": lambda M, t: A(M)._adaptive_avg_pool2d_backward(
        t((1, 2, 1, 1), L), t((1, 2, 1, 1), D)),
    "adaptive_avg3d_backward": lambda M, t: A(M)._adaptive_avg_pool3d_backward(
        t((1, 2, 1, 1, 1), D), t((1, 2, 1, 1, 1), L)),
    "adaptive_max2d_backward": lambda M, t: A(M).adaptive_max_pool2d_backward(
        t((1, 2, 1, 1), B), t((1, 2, 1, 1), D), M.zeros((1, 2, 1, 1), dtype=M.int64)),
    "max_pool3d_backward": lambda M, t: A(M).max_pool3d_with_indices_backward(
        t((1, 2, 1, 1, 1), L), t((1, 2, 1, 1, 1), L), [1, 1, 1], [1, 1, 1], [0, 0, 0],
        [1, 1, 1], False, M.zeros((1, 2, 1, 1, 1), dtype=M.int64)),
    "fractional2d_backward": lambda M, t: A(M).fractional_max_pool2d_backward(
        t((1, 2, 1, 1), L), t((1, 2, 1, 1), D), [1, 1], [1, 1],
        M.zeros((1, 2, 1, 1), dtype=M.int64)),
    "im2col_long": lambda M, t: A(M).im2col(t((1, 2, 2, 2), L), [1, 1], [1, 1], [0, 0], [1, 1]),
    "col2im_bool_accepted": lambda M, t: A(M).col2im(t((1, 2, 1), B), [1, 1], [1, 1], [1, 1],
                                                     [0, 0], [1, 1]),
    # other nn ops
    "index_reduce_bool": lambda M, t: A(M).index_reduce(t((3, 2), B), 0, M.tensor([0, 1]),
                                                        t((2, 2), B), "amax",
                                                        include_self=False),
    "index_reduce_bool_mean": lambda M, t: A(M).index_reduce(t((3, 2), B), 0,
                                                             M.tensor([0, 1]), t((2, 2), B),
                                                             "mean"),
    "embedding_bag_long_weight": lambda M, t: A(M)._embedding_bag(
        t((3, 2), L), M.tensor([0, 1, 2]), M.tensor([0, 2])),
    "embedding_bag_bool_weight": lambda M, t: A(M)._embedding_bag(
        t((3, 2), B), M.tensor([0, 1, 2]), M.tensor([0, 2])),
    "embedding_bag_weights_dtype": lambda M, t: A(M)._embedding_bag(
        t((3, 2), D), M.tensor([0, 1, 2]), M.tensor([0, 2]), per_sample_weights=t((3,), F)),
    "pdist_long": lambda M, t: A(M)._pdist_forward(t((4, 2), L), 2.0),
    "pdist_half": lambda M, t: A(M)._pdist_forward(t((4, 2), H), 2.0),
    "pdist_backward_grad_dtype": lambda M, t: A(M)._pdist_backward(t((3,), L), t((3, 2), D),
                                                                   2.0, t((3,), D)),
    "trilinear_bool": lambda M, t: A(M)._trilinear(t((3, 1), B), t((1, 1, 3), B), t((3, 3), B),
                                                   [1, 3], [0], [1, 2], [2, 3]),
    "trilinear_mixed": lambda M, t: A(M)._trilinear(t((3, 1), L), t((1, 1, 3), D),
                                                    t((3, 3), D), [1, 3], [0], [1, 2], [2, 3]),
    "bilinear_bool": lambda M, t: M.nn.functional.bilinear(t((2, 1), B), t((2, 3), B),
                                                           t((2, 1, 3), B)),
    "affine_grid_bool": lambda M, t: A(M).affine_grid_generator(t((1, 2, 3), B), [1, 1, 2, 3],
                                                                False),
    "affine_grid_half_one_step": lambda M, t: A(M).affine_grid_generator(t((1, 2, 3), H),
                                                                         [1, 1, 1, 3], False),
    "ctc_backward_long": lambda M, t: A(M)._ctc_loss_backward(
        t((2,), L), t((2, 2, 2), L, -0.7), M.tensor([[1], [1]]), [2, 2], [1, 1], t((2,), L),
        t((2, 2, 3), L), 0, True),
    "ctc_backward_log_alpha": lambda M, t: A(M)._ctc_loss_backward(
        t((2,), D), t((2, 2, 2), D, -0.7), M.tensor([[1], [1]]), [2, 2], [1, 1], t((2,), D),
        t((2, 2, 3), F), 0, True),
    # reductions, matmuls, linalg, histogram
    "nanmedian_dim_bool": lambda M, t: A(M).nanmedian.dim(t((2, 3), B), 1),
    "norm_scalaropt_dim_long": lambda M, t: A(M).norm.ScalarOpt_dim(t((2, 3), L), 2, [1]),
    "baddbmm_input_dtype": lambda M, t: A(M).baddbmm(t((3, 1, 3), L), t((3, 1, 1), D),
                                                     t((3, 1, 3), D)),
    "baddbmm_batch2_dtype": lambda M, t: A(M).baddbmm(t((3, 1, 3), D), t((3, 1, 1), D),
                                                      t((3, 1, 3), F)),
    "addbmm_self_dtype": lambda M, t: A(M).addbmm(t((1, 3), L), t((3, 1, 1), D),
                                                  t((3, 1, 3), D)),
    "addbmm_mat1_dtype": lambda M, t: A(M).addbmm(t((1, 3), D), t((3, 1, 1), F),
                                                  t((3, 1, 3), D)),
    "solve_triangular_long": lambda M, t: M.linalg.solve_triangular(
        t((3, 3), L), t((3, 1), D), upper=True),
    "solve_triangular_converts_b": lambda M, t: M.linalg.solve_triangular(
        M.eye(3, dtype=M.float64) * 2, t((3, 2), L), upper=True),
    "triangular_solve_bool": lambda M, t: A(M).triangular_solve(t((3, 1), B), t((3, 3), B)),
    "lu_solve_long_first": lambda M, t: M.linalg.lu_solve(
        t((3, 2), L), M.tensor([1, 2, 3], dtype=M.int32), t((3, 1), D)),
    "lstsq_long": lambda M, t: M.linalg.lstsq(t((3, 3), L), t((3, 1), L)),
    "householder_long": lambda M, t: M.linalg.householder_product(t((3, 3), L), t((3,), L)),
    "histogram_bool_range": lambda M, t: A(M).histogram.bin_ct(t((2, 3), B), 3,
                                                               range=[-2.0, 3.0]),
    "histogram_long_no_range": lambda M, t: A(M).histogram.bin_ct(t((2, 3), L), 3),
    "histogram_weight_dtype": lambda M, t: A(M).histogram.bin_ct(t((2, 3), F), 3,
                                                                 weight=t((2, 3), D)),
    "histogram_bins_dtype": lambda M, t: A(M).histogram.bins_tensor(
        t((2, 3), F), M.tensor([0.0, 0.5, 1.0], dtype=M.float64)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dtype_outcome_matches_torch(name):
    _same(CASES[name])


def test_floating_gradient_of_another_dtype_reaches_pooling_backward():
    """backward() with a float32 gradient for a float64 output: PyTorch's engine converts it,
    so the pooling backward kernels (which refuse it when called directly) see float64."""
    for M in (torch, tk):
        x = M.arange(16.0, dtype=M.float64).reshape(1, 1, 4, 4).requires_grad_()
        y = M.nn.functional.max_pool2d(x, 2) + M.nn.functional.adaptive_avg_pool2d(x, 2)
        y.backward(M.ones(tuple(y.shape), dtype=M.float32))
        assert x.grad.dtype == M.float64
        assert x.grad.sum().item() == 8.0
