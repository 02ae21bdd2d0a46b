"""3-d convolution / batch and instance norm, and the convolutions' non-zero padding modes,
side by side with PyTorch (skipped without torch): PyTorch's weights copied in through the
state dict, then outputs and input gradients compared; reprs and state-dict keys equal."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

MODULES = [
    "nn.Conv3d(2, 3, 2, stride=(1, 2, 1), padding=1)",
    "nn.Conv3d(2, 4, 3, padding='same', groups=2, bias=False)",
    "nn.ConvTranspose3d(2, 3, 2, stride=2)",
    "nn.Conv2d(2, 3, 3, padding=1, padding_mode='reflect')",
    "nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode='circular')",
    "nn.Conv1d(2, 3, 3, padding=2, padding_mode='replicate')",
    "nn.Conv2d(2, 3, 4, padding='same', padding_mode='reflect')",
    "nn.Conv3d(2, 2, 3, padding=1, padding_mode='replicate')",
    "nn.BatchNorm3d(2)", "nn.InstanceNorm3d(2, affine=True)", "nn.Dropout3d(0.0)",
]


@pytest.mark.parametrize("expr", MODULES)
def test_module_matches_torch(expr):
    tm = eval(expr, {"nn": torch.nn})
    ours = eval(expr, {"nn": tk.nn})
    assert repr(ours) == repr(tm)
    sd = {k: v.detach().numpy().copy() for k, v in tm.state_dict().items()}
    assert sorted(ours.state_dict()) == sorted(sd)
    ours.load_state_dict({k: tk.tensor(v) for k, v in sd.items()})
    nd = 3 if "3d" in expr else (2 if "2d" in expr else 1)
    a = np.random.default_rng(0).standard_normal((2, 2) + (5,) * nd)
    results = []
    for M, m in ((tk, ours), (torch, tm)):
        x = M.tensor(a, requires_grad=True)
        y = m.double()(x)
        (g,) = M.autograd.grad((y * y).sum(), x)
        results.append((tuple(y.shape), y.detach().numpy(), g.numpy()))
    (sa, ya, ga), (sb, yb, gb) = results
    assert sa == sb
    np.testing.assert_allclose(ya, yb, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ga, gb, rtol=1e-10, atol=1e-12)


def test_functional_forms_match_torch():
    a = np.random.default_rng(1).standard_normal((1, 2, 4, 4, 4))
    w = np.random.default_rng(2).standard_normal((2, 3, 2, 2, 2))
    outs = []
    for M in (tk, torch):
        F = M.nn.functional
        x, k = M.tensor(a), M.tensor(w)
        outs.append((F.conv3d(x, k.transpose(0, 1).contiguous(), padding=1).numpy(),
                     F.conv_transpose3d(x, k, stride=2).numpy(),
                     F.dropout3d(x, 0.0).numpy()))
    for p, q in zip(*outs):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("expr", ["nn.LPPool2d(2, 2)", "nn.LPPool2d(1.5, (2, 3), stride=1)",
                                  "nn.LPPool1d(3, 3, stride=2, ceil_mode=True)"])
def test_lp_pool_matches_torch(expr):
    a = np.abs(np.random.default_rng(3).standard_normal((2, 3, 6, 7))) + 0.1
    out = []
    for M in (tk, torch):
        m = eval(expr, {"nn": M.nn})
        x = M.tensor(a[..., 0, :] if "1d" in expr else a, requires_grad=True)
        y = m(x)
        (g,) = M.autograd.grad(y.sum(), x)
        out.append((repr(m), y.grad_fn.name(), y.detach().numpy(), g.numpy()))
    (ra, na, ya, ga), (rb, nb, yb, gb) = out
    assert (ra, na) == (rb, nb)
    np.testing.assert_allclose(ya, yb, rtol=1e-10)
    np.testing.assert_allclose(ga, gb, rtol=1e-9)
