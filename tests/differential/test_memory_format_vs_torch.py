"""Memory formats (``torch.channels_last`` and friends) against PyTorch: which calls copy,
the strides of what they return, ``is_contiguous(memory_format=...)`` and the errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

CASES = [
    "repr(torch.channels_last)", "str(torch.contiguous_format)",
    "type(torch.channels_last).__name__", "torch.channels_last == torch.channels_last",
    "x4.is_contiguous(memory_format=torch.channels_last)",
    "x4.is_contiguous(memory_format=torch.channels_last_3d)",
    "x4.is_contiguous(memory_format=torch.preserve_format)",
    "x3.is_contiguous(memory_format=torch.channels_last)",
    "torch.ones(1, 1, 1, 1).is_contiguous(memory_format=torch.channels_last)",
    "x4.to(memory_format=torch.channels_last)",
    "x4.to(memory_format=torch.channels_last).is_contiguous(memory_format=torch.channels_last)",
    "x4.contiguous(memory_format=torch.channels_last)",
    "x4.clone(memory_format=torch.channels_last)", "x3.contiguous(memory_format=torch.channels_last)",
    "x3.to(memory_format=torch.channels_last)", "x3.clone(memory_format=torch.channels_last)",
    "x5.contiguous(memory_format=torch.channels_last_3d)",
    "x5.contiguous(memory_format=torch.channels_last)",
    "x4.contiguous(memory_format=torch.channels_last_3d)",
    "x4.contiguous(memory_format=torch.preserve_format)",
    "x4.transpose(2, 3).contiguous(memory_format=torch.preserve_format)",
    "torch.zeros_like(x4.contiguous(memory_format=torch.channels_last))",
    "torch.ones_like(x4, memory_format=torch.channels_last)",
    "torch.zeros_like(x3, memory_format=torch.channels_last)",
    "cl + 1", "cl.relu()", "cl * cl", "cl.contiguous()", "cl.is_contiguous()", "cl.clone()",
    "cl.clone(memory_format=torch.contiguous_format)", "cl.sum(1)", "cl.view(-1)",
    "cl.permute(0, 2, 3, 1).is_contiguous()",
    "x4.to(torch.float64, memory_format=torch.channels_last)",
    "x4.to(memory_format=torch.contiguous_format) is x4",
    "cl.to(memory_format=torch.channels_last) is cl",
    "cl.to(memory_format=torch.contiguous_format)",
    "cl.to(torch.float64, memory_format=torch.preserve_format)",
    "t2.to(memory_format=torch.contiguous_format) is t2",
    "p4.to(memory_format=torch.channels_last) is p4", "p4.to(memory_format=torch.channels_last)",
    "torch.ones(2, 1, 3, 3).contiguous(memory_format=torch.channels_last)",
    "torch.ones(2, 3, 1, 1).contiguous(memory_format=torch.channels_last)",
    "torch.ones(2, 1, 3, 3).to(memory_format=torch.channels_last)",
    "torch.ones(2, 3, 1, 1).to(memory_format=torch.channels_last)",
    "torch.nn.Conv2d(2, 3, 1).to(memory_format=torch.channels_last).weight.stride()",
    "torch.nn.Conv2d(2, 3, 1).to(memory_format=torch.channels_last).bias.stride()",
    "torch.nn.Conv2d(2, 3, 1).to(torch.float64, memory_format=torch.channels_last).weight",
    "torch.empty(1, 2, 3, 4, memory_format=torch.channels_last).stride()",
    "torch.empty(2, 3, memory_format=torch.channels_last)",
    "torch.empty_like(x4, memory_format=torch.channels_last).stride()",
]
# convolution, pooling, normalisation, padding and upsampling follow a channels-last input
CASES += [
    "torch.nn.functional.conv2d(cl, torch.ones(3, 2, 1, 1))",
    "torch.nn.functional.conv2d(x4, torch.ones(3, 2, 1, 1).contiguous("
    "memory_format=torch.channels_last))",
    "torch.nn.functional.conv2d(cl.double(), torch.ones(3, 2, 2, 2).double(), torch.ones(3).double())",
    "torch.nn.functional.conv_transpose2d(cl, torch.ones(2, 2, 2, 2))",
    "torch.nn.functional.conv2d(cl, torch.ones(2, 1, 2, 2), groups=2)",
    "torch.nn.functional.max_pool2d(cl, 2)", "torch.nn.functional.max_pool2d(cl, 2, "
    "return_indices=True)[1]", "torch.nn.functional.avg_pool2d(cl, 2)",
    "torch.nn.functional.adaptive_avg_pool2d(cl, 2)",
    "torch.nn.functional.adaptive_max_pool2d(cl, 2)",
    "torch.nn.functional.batch_norm(cl, None, None, training=True)",
    "torch.nn.functional.group_norm(cl, 2)", "torch.nn.functional.layer_norm(cl, (4,))",
    "torch.nn.functional.interpolate(cl, scale_factor=2)",
    "torch.nn.functional.interpolate(cl, scale_factor=2, mode='bilinear')",
    "torch.nn.functional.interpolate(cl, scale_factor=2, mode='bicubic')",
    "torch.nn.functional.interpolate(cl, scale_factor=2, mode='nearest-exact')",
    "torch.nn.functional.pad(cl, (1, 1, 1, 1))", "cl.softmax(1)", "cl.sum(1)",
    "torch.nn.functional.conv3d(c3, torch.ones(2, 2, 2, 2, 2))",
    "torch.nn.functional.max_pool3d(c3, 2)",
    "torch.nn.functional.interpolate(c3, scale_factor=2, mode='trilinear')",
    "torch.nn.functional.interpolate(c3, scale_factor=2)",
    "torch.nn.functional.pad(c3, (1, 1, 1, 1, 1, 1))",
]
KNOWN: dict = {}


def _outcome(M, expr):
    x4 = M.arange(24.).reshape(1, 2, 3, 4)
    ns = {"torch": M, "x4": x4, "x3": M.ones(2, 3, 4), "x5": M.arange(48.).reshape(1, 2, 2, 3, 4),
          "cl": x4.contiguous(memory_format=M.channels_last), "t2": M.ones(2, 3).t(),
          "p4": M.ones(2, 3, 4, 5).permute(0, 2, 3, 1),
          "c3": M.arange(96.).reshape(1, 2, 3, 4, 4).contiguous(
              memory_format=M.channels_last_3d)}
    try:
        r = eval(expr, ns)
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e).split("\n")[0].split(" Hint:")[0].rstrip(".")
    if isinstance(r, M.Tensor):
        return ("tensor", tuple(r.shape), tuple(r.stride()), str(r.dtype).split(".")[-1],
                round(r.detach().sum().item(), 3) if "empty" not in expr else None)
    return r


@pytest.mark.parametrize("expr", CASES + [
    pytest.param(e, marks=pytest.mark.xfail(strict=True, reason=r)) for e, r in KNOWN.items()])
def test_same_as_torch(expr):
    if "Conv2d" in expr and "weight" in expr and "stride" not in expr:
        # (random initial weights: compare the layout only)
        ours, theirs = _outcome(tk, expr), _outcome(torch, expr)
        assert ours[:4] == theirs[:4]
        return
    assert _outcome(tk, expr) == _outcome(torch, expr)
