"""``optim.swa_utils`` side by side with PyTorch's (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def model(M):
    rng = np.random.default_rng(0)
    net = M.nn.Sequential(M.nn.Linear(3, 4), M.nn.BatchNorm1d(4), M.nn.Linear(4, 2))
    with M.no_grad():
        for p in net.parameters():
            p.copy_(M.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return net


@pytest.mark.parametrize("kind", ["swa", "ema", "ema-multi", "swa-multi", "buffers"])
def test_averaged_model_matches_torch(kind):
    def run(M):
        su = M.optim.swa_utils
        kw = {"swa": {}, "ema": dict(avg_fn=su.get_ema_avg_fn(0.9)),
              "ema-multi": dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.8)),
              "swa-multi": dict(multi_avg_fn=su.get_swa_multi_avg_fn()),
              "buffers": dict(use_buffers=True)}[kind]
        net = model(M)
        avg = su.AveragedModel(net, **kw)
        opt = M.optim.SGD(net.parameters(), lr=0.1)
        x = M.tensor(np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32))
        for _ in range(5):
            opt.zero_grad()
            net(x).pow(2).mean().backward()
            opt.step()
            avg.update_parameters(net)
        return ([p.detach().numpy().copy() for p in avg.parameters()],
                [b.detach().numpy().copy() for b in avg.buffers()],
                list(avg.state_dict()), avg(x).detach().numpy())

    (tp, tb, tk_, tout), (op, ob, ok, oout) = run(torch), run(tk)
    assert ok == tk_
    for o, t in zip(op + ob, tp + tb):
        np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(oout, tout, rtol=1e-5, atol=1e-5)


def test_update_bn_matches_torch():
    def run(M):
        net = model(M)
        rng = np.random.default_rng(2)
        loader = [(M.tensor(rng.standard_normal((5, 3)).astype(np.float32)), 0)
                  for _ in range(4)]
        net.eval()
        M.optim.swa_utils.update_bn(loader, net)
        bn = net[1]
        return (bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(),
                int(bn.num_batches_tracked), bn.momentum, net.training)

    (tm, tv, *tr), (om, ov, *orest) = run(torch), run(tk)
    np.testing.assert_allclose(om, tm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ov, tv, rtol=1e-5, atol=1e-6)
    assert orest == tr


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05), dict(swa_lr=[0.01, 0.2], anneal_epochs=4,
                                                         anneal_strategy="linear"),
                                dict(swa_lr=0.3, anneal_epochs=0)])
def test_swalr_matches_torch(kw):
    def run(M):
        a, b = M.ones(2, requires_grad=True), M.ones(1, requires_grad=True)
        opt = M.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
        sched = M.optim.swa_utils.SWALR(opt, **kw)
        out = [sched.get_last_lr()]
        for _ in range(15):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        return out, sorted(sched.state_dict())

    assert run(tk) == run(torch)


@pytest.mark.parametrize("make", [
    lambda su, o: su.SWALR(o, 0.1, anneal_strategy="exp"),
    lambda su, o: su.SWALR(o, 0.1, anneal_epochs=-1),
    lambda su, o: su.get_ema_avg_fn(1.5),
    lambda su, o: su.get_ema_multi_avg_fn(-0.1),
])
def test_errors_match_torch(make):
    errs = []
    for M in (torch, tk):
        opt = M.optim.SGD([M.ones(1, requires_grad=True)], lr=0.1)
        with pytest.raises(Exception) as e:
            make(M.optim.swa_utils, opt)
        errs.append((type(e.value).__name__, str(e.value)))
    assert errs[0] == errs[1]
