"""Learning-rate schedulers side by side with PyTorch's (skipped without torch): 60+ steps of
each, the rates (and cycled momenta) must be the very same floats; state dicts, warnings and
errors must agree."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def sgd(M, momentum=0.9):
    a, b = M.ones(2, requires_grad=True), M.ones(3, requires_grad=True)
    return M.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1,
                       momentum=momentum)


class Halve:
    """A callable object (its ``__dict__`` goes into the state dict)."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** (epoch // 7)


SCHEDULERS = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-list": lambda L, o: L.LambdaLR(o, [lambda e: 1 / (e + 1), Halve()]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda L, o: L.StepLR(o, step_size=7, gamma=0.3),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[5, 20, 20, 41], gamma=0.5),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=9),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=23),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=40, power=2.5),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=13, eta_min=1e-3),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=1e-4),
    "CyclicLR": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=6,
                                        step_size_down=4),
    "CyclicLR-tri2": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                             mode="triangular2"),
    "CyclicLR-exp": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range",
                                            gamma=0.97, cycle_momentum=False),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 0.3], total_steps=70),
    "OneCycleLR-3": lambda L, o: L.OneCycleLR(o, max_lr=0.5, epochs=7, steps_per_epoch=10,
                                              anneal_strategy="linear", three_phase=True,
                                              pct_start=0.25),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.2, total_iters=10), L.ExponentialLR(o, gamma=0.9),
            L.CosineAnnealingLR(o, T_max=9)], milestones=[10, 30]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=8), L.ExponentialLR(o, gamma=0.95),
         L.StepLR(o, step_size=11, gamma=0.5)]),
}

METRICS = [1.0, 0.9, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85] * 6


def run_sequence(M, make, steps=66):
    opt = sgd(M)
    sched = make(M.optim.lr_scheduler, opt)
    seq = [list(sched.get_last_lr())]
    momenta = []
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append(list(sched.get_last_lr()))
        assert seq[-1] == [g["lr"] for g in opt.param_groups]
        momenta.append([g["momentum"] for g in opt.param_groups])
    return seq, momenta, sched, opt


def comparable(sd):
    """A state dict with functions and nested tensors made comparable."""
    out = {}
    for k, v in sd.items():
        if k == "_schedulers":
            v = [comparable(s) for s in v]
        elif callable(v) and not isinstance(v, type):
            v = "<fn>"
        out[k] = v
    return out


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequences_match_torch(name):
    make = SCHEDULERS[name]
    steps = 69 if name.startswith("OneCycleLR") else 66
    tseq, tmom, tsched, topt = run_sequence(torch, make, steps)
    oseq, omom, osched, oopt = run_sequence(tk, make, steps)
    assert oseq == tseq                   # exact floats
    assert omom == tmom
    assert comparable(osched.state_dict()) == comparable(tsched.state_dict())
    assert oopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_state_dict_round_trip_continues_identically(name):
    """Stop after 25 steps, rebuild optimizer and scheduler, load both state dicts: the rest
    of the sequence is unchanged (and equals PyTorch's)."""
    make = SCHEDULERS[name]
    full, _, _, _ = run_sequence(tk, make, 60)
    opt = sgd(tk)
    sched = make(tk.optim.lr_scheduler, opt)
    for _ in range(25):
        opt.step()
        sched.step()
    osd, ssd = copy.deepcopy(opt.state_dict()), sched.state_dict()
    opt2 = sgd(tk)
    sched2 = make(tk.optim.lr_scheduler, opt2)
    sched2.load_state_dict(ssd)
    opt2.load_state_dict(osd)
    rest = []
    for _ in range(35):
        opt2.step()
        sched2.step()
        rest.append(list(sched2.get_last_lr()))
    assert rest == full[26:]


def test_reduce_lr_on_plateau_matches_torch():
    def run(M, **kw):
        opt = sgd(M)
        sched = M.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        out = []
        for m in METRICS:
            opt.step()
            sched.step(M.tensor(m) if m > 0.9 else m)
            out.append(list(sched.get_last_lr()))
        return out, sched.state_dict()

    for kw in (dict(), dict(mode="max", factor=0.5, patience=2, cooldown=1, min_lr=[0.01, 0]),
               dict(threshold_mode="abs", threshold=0.05, patience=1, eps=1e-3)):
        assert run(tk, **kw) == run(torch, **kw)


def caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(x.category.__name__, str(x.message)) for x in w]


def test_warnings_match_torch():
    def early_step(M):
        opt = sgd(M)
        sched = M.optim.lr_scheduler.StepLR(opt, 3)
        return caught(sched.step)

    def get_lr_outside_step(M):
        opt = sgd(M)
        sched = M.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        return caught(sched.get_lr)

    def epoch_argument(M):
        opt = sgd(M)
        sched = M.optim.lr_scheduler.StepLR(opt, 3, gamma=0.5)
        out = caught(lambda: sched.step(7))
        return out, sched.get_last_lr()

    def in_order(M):
        opt = sgd(M)
        sched = M.optim.lr_scheduler.StepLR(opt, 3)

        def go():
            opt.step()
            sched.step()
        return caught(go)

    for case in (early_step, get_lr_outside_step, epoch_argument, in_order):
        assert case(tk) == case(torch), case.__name__


@pytest.mark.parametrize("epochs", [[0, 3, 7, 7.5, 19, 40], [2, 31, 4.25, 0, 100]])
def test_warm_restarts_with_explicit_epochs(epochs):
    def run(M):
        opt = sgd(M)
        sched = M.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in epochs:
                opt.step()
                sched.step(e)
                out.append((list(sched.get_last_lr()), sched.T_cur, sched.T_i))
        return out

    assert run(tk) == run(torch)


BAD = [
    lambda L, o: L.StepLR(object(), 3),
    lambda L, o: L.LambdaLR(o, [lambda e: 1.0]),
    lambda L, o: L.MultiplicativeLR(o, 0.5),
    lambda L, o: L.ConstantLR(o, factor=1.5),
    lambda L, o: L.LinearLR(o, start_factor=0),
    lambda L, o: L.LinearLR(o, end_factor=2),
    lambda L, o: L.StepLR(o, 3, last_epoch=4),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5),
    lambda L, o: L.CyclicLR(o, 0.1, 0.2, mode="sawtooth"),
    lambda L, o: L.CyclicLR(o, [0.1], 0.2),
    lambda L, o: L.OneCycleLR(o, 0.1),
    lambda L, o: L.OneCycleLR(o, 0.1, total_steps=0),
    lambda L, o: L.OneCycleLR(o, 0.1, total_steps=10, pct_start=1),
    lambda L, o: L.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
    lambda L, o: L.ReduceLROnPlateau(o, factor=1.0),
    lambda L, o: L.ReduceLROnPlateau(o, mode="up"),
    lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda L, o: L.SequentialLR(o, [], []),
    lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(o, 3)], []),
    lambda L, o: L.ChainedScheduler([L.StepLR(o, 2), L.ReduceLROnPlateau(o)]),
]


@pytest.mark.parametrize("make", BAD, ids=[str(i) for i in range(len(BAD))])
def test_errors_match_torch(make):
    errs = []
    for M in (torch, tk):
        with pytest.raises(Exception) as e:
            make(M.optim.lr_scheduler, sgd(M))
        errs.append((type(e.value).__name__, str(e.value)))
    assert errs[0] == errs[1]


def test_one_cycle_past_the_end_and_adam_betas():
    def run(M):
        w = M.ones(2, requires_grad=True)
        opt = M.optim.Adam([w], lr=0.1)
        sched = M.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=5)
        betas = []
        for _ in range(5):
            opt.step()
            sched.step()
            betas.append(opt.param_groups[0]["betas"])
        with pytest.raises(ValueError) as e:
            sched.step()
        return betas, str(e.value), math.isfinite(sched.get_last_lr()[0])

    assert run(tk) == run(torch)


def test_tensor_learning_rate_is_filled_in_place():
    def run(M):
        w = M.ones(2, requires_grad=True)
        lr = M.tensor(0.1)
        opt = M.optim.SGD([w], lr=lr)
        sched = M.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        for _ in range(3):
            opt.step()
            sched.step()
        return opt.param_groups[0]["lr"] is lr, float(lr), [float(x) for x in
                                                             sched.get_last_lr()]

    assert run(tk) == run(torch)
    assert np.isclose(run(tk)[1], 0.0125)
