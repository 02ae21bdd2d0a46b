"""RoIAlign as a custom op, registered per dispatch key like PyTorch's C++ ROIAlign example.

    python examples/custom_op_roi_align.py      (PYTHONPATH=src)

Four registrations make ``tkvision::roi_align`` behave like a built-in op in every mode:

- ``define``: the schemas of the op and of its backward op;
- ``CPU``: numpy kernels for the forward and the backward;
- ``Autograd``: a kernel that applies ``ROIAlignFunction``, whose forward calls the op *again*
  under ``AutoDispatchBelowADInplaceOrView`` — that second call skips the autograd layers and
  lands on the CPU kernel, while ``apply`` records one ``ROIAlignFunctionBackward`` node.

Under ``no_grad`` the Autograd kernel still runs (``apply`` records nothing); under
``inference_mode`` the Autograd key is excluded, so the call goes straight to the CPU kernel.

RoIAlign (He et al., Mask R-CNN, 2017), with torchvision's conventions: each RoI
``(batch_index, x1, y1, x2, y2)`` is scaled by ``spatial_scale`` (shifted by half a pixel when
``aligned``), split into ``pooled_height x pooled_width`` bins; each bin averages a regular grid
of ``sampling_ratio**2`` bilinear samples (adaptive ``ceil(roi_size / pooled_size)`` per axis
when ``sampling_ratio <= 0``). Samples beyond one pixel outside the map count as zero.

Bilinear sampling is separable, so one RoI is two small matrices: ``Wy`` (pooled_height x H)
and ``Wx`` (pooled_width x W) hold each bin's averaged interpolation weights, and
``out[k, c] = Wy @ input[b, c] @ Wx.T``; the backward is ``grad_in[b, c] += Wy.T @ g @ Wx``.
"""

from __future__ import annotations

import math

import numpy as np

import tensor as torch
from tensor.autograd import Function
from tensor.autograd.function import once_differentiable
from tensor.library import Library


def _axis_weights(start, size, pooled, grid, length):
    """(pooled x length): row p = mean interpolation weights of bin p's ``grid`` samples."""
    w = np.zeros((pooled, length))
    bin_size = size / pooled
    for p in range(pooled):
        for i in range(grid):
            c = start + p * bin_size + (i + 0.5) * bin_size / grid
            if c < -1.0 or c > length:           # more than a pixel outside: sample is 0
                continue
            c = max(c, 0.0)
            lo = int(c)
            if lo >= length - 1:
                lo = hi = length - 1
                c = float(lo)
            else:
                hi = lo + 1
            w[p, lo] += (1.0 - (c - lo)) / grid
            w[p, hi] += (c - lo) / grid
    return w


def _roi_weights(roi, spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned, h, w):
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (float(v) * spatial_scale - offset for v in roi[1:5])
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:                              # legacy mode: RoIs at least 1x1
        roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
    grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / pooled_h)
    grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / pooled_w)
    return (_axis_weights(y1, roi_h, pooled_h, grid_h, h),
            _axis_weights(x1, roi_w, pooled_w, grid_w, w))


# -- CPU kernels: numpy in, numpy out -------------------------------------------------------
def roi_align_cpu(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio,
                  aligned):
    x, r = np.asarray(input), np.asarray(rois)
    _, channels, h, w = x.shape
    out = np.zeros((len(r), channels, pooled_height, pooled_width), x.dtype)
    for k, roi in enumerate(r):
        wy, wx = _roi_weights(roi, spatial_scale, pooled_height, pooled_width,
                              sampling_ratio, aligned, h, w)
        out[k] = wy @ x[int(roi[0])] @ wx.T
    return torch.from_numpy(out)


def roi_align_backward_cpu(grad, rois, spatial_scale, pooled_height, pooled_width,
                           batch_size, channels, height, width, sampling_ratio, aligned):
    g, r = np.asarray(grad), np.asarray(rois)
    grad_input = np.zeros((batch_size, channels, height, width), g.dtype)
    for k, roi in enumerate(r):
        wy, wx = _roi_weights(roi, spatial_scale, pooled_height, pooled_width,
                              sampling_ratio, aligned, height, width)
        grad_input[int(roi[0])] += wy.T @ g[k] @ wx
    return torch.from_numpy(grad_input)


# -- registration ------------------------------------------------------------------------------
lib = Library("tkvision", "DEF")
lib.define("tkvision::roi_align(Tensor input, Tensor rois, float spatial_scale, "
           "SymInt pooled_height, SymInt pooled_width, int sampling_ratio, bool aligned) "
           "-> Tensor")
lib.define("tkvision::_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, "
           "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
           "SymInt height, SymInt width, int sampling_ratio, bool aligned) -> Tensor")
lib.impl("roi_align", roi_align_cpu, "CPU")
lib.impl("_roi_align_backward", roi_align_backward_cpu, "CPU")

roi_align = torch.ops.tkvision.roi_align.default
_roi_align_backward = torch.ops.tkvision._roi_align_backward.default


class ROIAlignFunction(Function):
    @staticmethod
    def forward(ctx, input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio,
                aligned):
        ctx.save_for_backward(rois)
        ctx.params = (spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned)
        ctx.input_shape = tuple(input.shape)
        with torch.AutoDispatchBelowADInplaceOrView():     # call the op again, below autograd
            return roi_align(input, rois, spatial_scale, pooled_height, pooled_width,
                             sampling_ratio, aligned)

    @staticmethod
    @once_differentiable                  # the backward op has no derivative of its own
    def backward(ctx, grad):
        rois, = ctx.saved_tensors
        scale, ph, pw, ratio, aligned = ctx.params
        grad_input = _roi_align_backward(grad, rois, scale, ph, pw, *ctx.input_shape, ratio,
                                         aligned)
        return grad_input, None, None, None, None, None, None   # no gradient for the boxes


def roi_align_autograd(input, rois, spatial_scale, pooled_height, pooled_width,
                       sampling_ratio, aligned):
    return ROIAlignFunction.apply(input, rois, spatial_scale, pooled_height, pooled_width,
                                  sampling_ratio, aligned)


lib.impl("roi_align", roi_align_autograd, "Autograd")


# -- use ---------------------------------------------------------------------------------------
def train(steps=30, lr=2.0, verbose=True):
    """Fit a feature map so that two RoIs pool to a target: a tiny training loop."""
    torch.manual_seed(0)
    feat = torch.randn(1, 2, 8, 8, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0.0, 1.0, 1.0, 6.0, 5.0], [0.0, 2.5, 0.5, 7.5, 7.0]],
                        dtype=torch.float64)
    target = torch.ones(2, 2, 3, 3, dtype=torch.float64)
    losses = []
    for step in range(steps):
        out = roi_align(feat, rois, 1.0, 3, 3, -1, True)
        loss = ((out - target) ** 2).mean()
        loss.backward()
        with torch.no_grad():                 # the optimizer step: in place on a leaf
            feat -= lr * feat.grad
            feat.grad.zero_()
        losses.append(loss.item())
        if verbose and step % 10 == 0:
            print(f"step {step:2d}  loss {loss.item():.6f}  grad_fn {out.grad_fn.name()}")
    return feat, rois, losses


def infer(feat, rois):
    """Inference: no node, no version bump, an inference tensor out."""
    with torch.inference_mode():
        out = roi_align(feat, rois, 1.0, 3, 3, -1, True)
    assert out.is_inference() and not out.requires_grad and out.grad_fn is None
    return out


if __name__ == "__main__":
    feat, rois, losses = train()
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.6f}")
    out = infer(feat, rois)
    print("inference output:", tuple(out.shape), "is_inference:", out.is_inference())
    with torch.dispatch_trace():
        roi_align(feat, rois, 1.0, 3, 3, -1, True)
