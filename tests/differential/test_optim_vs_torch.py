"""Optimizers side by side with PyTorch's (skipped without torch): the same float32 problem,
several steps, every configuration; parameters, state and versions must agree."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tensor"))
from test_optim import CONFIGS  # noqa: E402

pytestmark = pytest.mark.differential


def run(M, name, kw, dtype, w0, x):
    w = M.tensor(w0, dtype=dtype, requires_grad=True)
    xt = M.tensor(x, dtype=dtype)
    opt = getattr(M.optim, name)([w], **kw)
    for _ in range(5):
        opt.zero_grad()
        ((xt @ w) ** 2).mean().backward()
        opt.step()
    sd = opt.state_dict()
    state = {k: (tuple(v.shape), str(v.dtype), v.detach().numpy().copy())
             for k, v in sd["state"].get(0, {}).items() if v is not None}
    groups = [{k: v for k, v in g.items()} for g in sd["param_groups"]]
    return w.detach().numpy().copy(), w._version, state, groups


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_optimizer_matches_torch(name, kw, dtype):
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal((3, 4)).astype(dtype)
    x = rng.standard_normal((5, 3)).astype(dtype)
    tw, tv, tstate, tgroups = run(torch, name, kw, getattr(torch, dtype), w0, x)
    ow, ov, ostate, ogroups = run(tk, name, kw, getattr(tk, dtype), w0, x)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ow, tw, rtol=rtol, atol=rtol)
    assert ov == tv
    assert set(ostate) == set(tstate)
    for k in tstate:
        assert ostate[k][:2] == tstate[k][:2]
        np.testing.assert_allclose(ostate[k][2], tstate[k][2], rtol=rtol * 10, atol=rtol)
    assert ogroups == tgroups
