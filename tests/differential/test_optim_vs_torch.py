"""Optimizers side by side with PyTorch's (skipped without torch).

The same gradients are fed to both (a fixed random sequence, so a last-bit difference cannot
grow through the loss); parameters, versions, state, state dicts and reprs must agree. The
algorithms without square roots agree bit for bit; where a square root is taken PyTorch's CPU
kernel (MKL) is not correctly rounded, so there the values agree to a few units in the last
place.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tensor"))
from test_optim import CONFIGS  # noqa: E402

pytestmark = pytest.mark.differential

EXACT = {"SGD", "Adamax", "ASGD", "Rprop"}          # no square root: bit-for-bit
# Adafactor (its torch-free reference lives here: PyTorch is its specification)
CONFIGS = CONFIGS + [
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1,
                       maximize=True)),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)]


def grads(seed, shapes, steps, dtype):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]


def train(M, name, kw, dtype, shapes=((3, 4), (4,)), steps=10, skip=()):
    """Two parameters, ``steps`` steps; parameter ``i`` gets no gradient at steps in
    ``skip``. Returns params, versions, the state dict (numpy) and the repr."""
    rng = np.random.default_rng(3)
    ps = [M.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    opt = getattr(M.optim, name)(ps, **kw)
    for k, gs in enumerate(grads(11, shapes, steps, dtype)):
        for i, (p, g) in enumerate(zip(ps, gs)):
            p.grad = None if (k, i) in skip else M.tensor(g)
        opt.step()
    return ps, opt


def numpy_state(sd):
    return {i: {k: (str(v.dtype), tuple(v.shape), v.numpy().copy()) if hasattr(v, "numpy")
                else v for k, v in s.items()} for i, s in sd["state"].items()}


def assert_close(ours, theirs, exact, dtype):
    if exact:
        np.testing.assert_array_equal(ours, theirs)
    elif dtype == "float32":
        np.testing.assert_allclose(ours, theirs, rtol=4e-6, atol=1e-7)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw", CONFIGS, ids=IDS)
def test_steps_match_torch(name, kw, dtype):
    skip = {(3, 1), (4, 1), (6, 0)}
    tp, topt = train(torch, name, kw, dtype, skip=skip)
    op, oopt = train(tk, name, kw, dtype, skip=skip)
    for o, t in zip(op, tp):
        assert_close(o.detach().numpy(), t.detach().numpy(), name in EXACT, dtype)
        assert o._version == t._version
    tsd, osd = topt.state_dict(), oopt.state_dict()
    assert osd["param_groups"] == tsd["param_groups"]
    ts, os_ = numpy_state(tsd), numpy_state(osd)
    assert ts.keys() == os_.keys()
    for i in ts:
        assert list(os_[i]) == list(ts[i])                    # same keys, same order
        for k, tv in ts[i].items():
            ov = os_[i][k]
            if isinstance(tv, tuple):
                assert ov[:2] == tv[:2], k
                assert_close(ov[2], tv[2], name in EXACT, dtype)
            else:
                assert ov == tv, k
    assert repr(oopt) == repr(topt)


@pytest.mark.parametrize("name,kw", CONFIGS, ids=IDS)
def test_larger_tensors_match_torch(name, kw):
    """Past PyTorch's vector width its kernels take their SIMD path (still fused
    multiply-adds); 150 elements cover the vector loop and its tail."""
    tp, _ = train(torch, name, kw, "float32", shapes=((150,),), steps=6)
    op, _ = train(tk, name, kw, "float32", shapes=((150,),), steps=6)
    assert_close(op[0].detach().numpy(), tp[0].detach().numpy(), name in EXACT, "float32")


def to_ours(sd):
    """A PyTorch optimizer state dict with its tensors turned into ours."""
    conv = {i: {k: tk.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v
                for k, v in s.items()} for i, s in sd["state"].items()}
    return {"state": conv, "param_groups": copy.deepcopy(sd["param_groups"])}


@pytest.mark.parametrize("name,kw", CONFIGS, ids=IDS)
def test_torch_state_dict_loads_and_continues(name, kw):
    """Train a few steps in PyTorch, load its state dict into a fresh PyTorch optimizer and
    into ours (loading casts some state, e.g. NAdam's ``mu_product``), continue both."""
    dtype = "float64"
    src, sopt = train(torch, name, kw, dtype, steps=4)
    sd = sopt.state_dict()
    tp = [p.detach().clone().requires_grad_() for p in src]
    op = [tk.tensor(p.detach().numpy(), requires_grad=True) for p in src]
    topt = getattr(torch.optim, name)(tp, lr=123.0)    # settings come from the state dict
    oopt = getattr(tk.optim, name)(op, lr=123.0)
    topt.load_state_dict(copy.deepcopy(sd))
    oopt.load_state_dict(to_ours(sd))
    assert oopt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]
    assert {k: str(v.dtype) for k, v in oopt.state[op[0]].items()} == \
        {k: str(v.dtype) for k, v in topt.state[tp[0]].items()}
    for gs in grads(5, [(3, 4), (4,)], 4, dtype):
        for M, ps, opt in ((torch, tp, topt), (tk, op, oopt)):
            for p, g in zip(ps, gs):
                p.grad = M.tensor(g)
            opt.step()
    for o, t in zip(op, tp):
        assert_close(o.detach().numpy(), t.detach().numpy(), name in EXACT, dtype)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict()),
                                     ("Rprop", dict())])
def test_param_groups_and_lr_edits(name, kw):
    def run(M):
        rng = np.random.default_rng(0)
        a, b = (M.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (3,)))
        opt = getattr(M.optim, name)([{"params": [a]}], **kw)
        opt.add_param_group({"params": b, "lr": 0.5})
        out = []
        for k, gs in enumerate(grads(2, [(2, 3), (3,)], 6, "float64")):
            a.grad, b.grad = M.tensor(gs[0]), M.tensor(gs[1])
            if k == 3:
                for g in opt.param_groups:
                    g["lr"] *= 0.1
            opt.step()
            out.append((a.detach().numpy().copy(), b.detach().numpy().copy()))
        return out, [list(g) for g in opt.param_groups], opt.state_dict()["param_groups"]

    (to, tkeys, tgroups), (oo, okeys, ogroups) = run(torch), run(tk)
    for (oa, ob), (ta, tb) in zip(oo, to):
        assert_close(oa, ta, name in EXACT, "float64")
        assert_close(ob, tb, name in EXACT, "float64")
    assert okeys == tkeys and ogroups == tgroups


def test_zero_grad_and_hooks_match_torch():
    def run(M):
        log = []
        w = M.ones(3, requires_grad=True)
        opt = M.optim.SGD([w], lr=0.5)

        def pre(o, args, kwargs):
            log.append(("pre", type(o).__name__, len(args), dict(kwargs)))

        def post(o, args, kwargs):
            log.append(("post", w.tolist()))

        h1 = opt.register_step_pre_hook(pre)
        opt.register_step_post_hook(post)
        w.grad = M.full((3,), 2.0)
        opt.step()
        h1.remove()
        opt.step()
        opt.zero_grad(set_to_none=False)
        log.append(("zeroed", w.grad.tolist(), w.grad.requires_grad))
        opt.zero_grad()
        log.append(("none", w.grad))
        return log

    assert run(tk) == run(torch)


@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(ls):
    def run(M):
        x = M.tensor(np.array([-1.2, 1.0, 0.5, -0.3]), requires_grad=True)
        opt = M.optim.LBFGS([x], lr=1, max_iter=10, history_size=5, line_search_fn=ls)

        def closure():
            opt.zero_grad()
            a, b = x[:-1], x[1:]
            loss = ((1 - a) ** 2 + 100 * (b - a * a) ** 2).sum()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(4)]
        st = opt.state[x]
        return x.detach().numpy(), losses, st["func_evals"], st["n_iter"], sorted(st)

    (tx, tl, *tmeta), (ox, ol, *ometa) = run(torch), run(tk)
    np.testing.assert_allclose(ox, tx, rtol=1e-12)
    np.testing.assert_allclose(ol, tl, rtol=1e-12)
    assert ometa == tmeta


BAD = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(momentum=-1)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(fused=True, foreach=True)),
    ("Adam", dict(eps=-1)), ("Adam", dict(betas=(0.9, 1.0))), ("Adam", dict(betas=(0, 0.9))),
    ("Adam", dict(weight_decay=-1)), ("AdamW", dict(lr=-1)), ("RMSprop", dict(alpha=-1)),
    ("RMSprop", dict(momentum=-0.5)), ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adamax", dict(betas=(-0.1, 0.9))),
    ("NAdam", dict(momentum_decay=-1)), ("NAdam", dict(eps=-1)), ("RAdam", dict(lr=-1)),
    ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)), ("ASGD", dict(weight_decay=-1)),
    ("Rprop", dict(etas=(1.5, 2.0))), ("Rprop", dict(etas=(0.5, 0.9))), ("LBFGS", dict(lr=-1)),
    ("Adafactor", dict(lr=-1)), ("Adafactor", dict(beta2_decay=0.5)),
    ("Adafactor", dict(eps=(-1, 1e-3))), ("Adafactor", dict(eps=(None, -1))),
    ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-1)),
]


@pytest.mark.parametrize("name,kw", BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_invalid_hyperparameters_match_torch(name, kw):
    errs = []
    for M in (torch, tk):
        with pytest.raises(Exception) as e:
            getattr(M.optim, name)([M.ones(2, requires_grad=True)], **kw)
        errs.append((type(e.value).__name__, str(e.value)))
    assert errs[0] == errs[1]


@pytest.mark.parametrize("make", [
    lambda M: M.optim.SGD(M.ones(2), lr=0.1),
    lambda M: M.optim.SGD([], lr=0.1),
    lambda M: M.optim.SGD([M.ones(2, requires_grad=True) * 2], lr=0.1),
    lambda M: M.optim.SGD([1.0], lr=0.1),
    lambda M: M.optim.SGD([{"params": {M.ones(2, requires_grad=True)}}], lr=0.1),
    lambda M: M.optim.SGD([M.ones(1, requires_grad=True)], lr=0.1).add_param_group([1]),
    lambda M: M.optim.LBFGS([{"params": [M.ones(1, requires_grad=True)]},
                             {"params": [M.ones(1, requires_grad=True)]}]),
    lambda M: M.optim.SGD([{"params": [M.ones(1, requires_grad=True)]}],
                          lr=M.ones(2)),
])
def test_construction_errors_match_torch(make):
    errs = []
    for M in (torch, tk):
        with pytest.raises(Exception) as e:
            make(M)
        errs.append((type(e.value).__name__, str(e.value)))
    assert errs[0] == errs[1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adafactor_factors_every_matrix_of_a_batch(dtype):
    """A 3-d parameter: row and column statistics per matrix of the batch, as PyTorch."""
    kw = dict(lr=0.03, weight_decay=0.05)
    tp, topt = train(torch, "Adafactor", kw, dtype, shapes=((2, 3, 4), (5,)), steps=5)
    op, oopt = train(tk, "Adafactor", kw, dtype, shapes=((2, 3, 4), (5,)), steps=5)
    for o, t in zip(op, tp):
        assert_close(o.detach().numpy(), t.detach().numpy(), False, dtype)
        assert o._version == t._version
    for k in ("row_var", "col_var"):
        assert tuple(oopt.state[op[0]][k].shape) == tuple(topt.state[tp[0]][k].shape)
