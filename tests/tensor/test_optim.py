"""Optimizers: each step against the algorithm written out in plain numpy (float64), plus the
bookkeeping PyTorch users rely on (state names, versions, state_dict, zero_grad, errors)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor
from tensor import optim

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
]

DEFAULTS = {
    "SGD": dict(momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False),
    "Adam": dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False),
    "AdamW": dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                  maximize=False),
    "RMSprop": dict(alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                    maximize=False),
    "Adagrad": dict(lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                    maximize=False),
}


class Reference:
    """The published update rules, one parameter, float64."""

    def __init__(self, name, kw, x):
        self.name, self.h = name, {**DEFAULTS[name], **kw}
        self.x = x.astype(np.float64)
        self.t = 0
        self.buf = None
        n = np.zeros_like(self.x)
        self.m, self.v, self.vmax, self.ga = n.copy(), n.copy(), n.copy(), n.copy()
        self.sum = np.full_like(self.x, self.h.get("initial_accumulator_value", 0))

    def step(self, g):
        h, x = self.h, self.x
        g = -g if h["maximize"] else g
        self.t += 1
        lr, wd = h["lr"], h["weight_decay"]
        if self.name == "SGD":
            g = g + wd * x
            if h["momentum"]:
                self.buf = g.copy() if self.buf is None else \
                    h["momentum"] * self.buf + (1 - h["dampening"]) * g
                g = g + h["momentum"] * self.buf if h["nesterov"] else self.buf
            self.x = x - lr * g
        elif self.name in ("Adam", "AdamW"):
            if self.name == "AdamW":
                x = x * (1 - lr * wd)
            else:
                g = g + wd * x
            b1, b2 = h["betas"]
            self.m = b1 * self.m + (1 - b1) * g
            self.v = b2 * self.v + (1 - b2) * g * g
            v = self.v
            if h["amsgrad"]:
                self.vmax = np.maximum(self.vmax, self.v)
                v = self.vmax
            denom = np.sqrt(v) / math.sqrt(1 - b2 ** self.t) + h["eps"]
            self.x = x - lr / (1 - b1 ** self.t) * self.m / denom
        elif self.name == "RMSprop":
            g = g + wd * x
            a = h["alpha"]
            self.v = a * self.v + (1 - a) * g * g
            if h["centered"]:
                self.ga = a * self.ga + (1 - a) * g
                avg = np.sqrt(self.v - self.ga * self.ga) + h["eps"]
            else:
                avg = np.sqrt(self.v) + h["eps"]
            if h["momentum"] > 0:
                self.buf = (0 if self.buf is None else h["momentum"] * self.buf) + g / avg
                self.x = x - lr * self.buf
            else:
                self.x = x - lr * g / avg
        else:
            g = g + wd * x
            clr = lr / (1 + (self.t - 1) * h["lr_decay"])
            self.sum = self.sum + g * g
            self.x = x - clr * g / (np.sqrt(self.sum) + h["eps"])


def _loss_grad(x, a):
    """d/dx of mean((a @ x) ** 2)."""
    r = a @ x
    return 2 * a.T @ r / r.size


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
@settings(deadline=None)
@given(seed=st.integers(0, 2**31 - 1), steps=st.integers(1, 6))
def test_steps_follow_the_algorithm(name, kw, seed, steps):
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal((3, 2))
    a = rng.standard_normal((4, 3))
    w = tensor.tensor(x0, dtype=tensor.float64, requires_grad=True)
    at = tensor.tensor(a, dtype=tensor.float64)
    opt = getattr(optim, name)([w], **kw)
    ref = Reference(name, kw, x0)
    for _ in range(steps):
        opt.zero_grad()
        ((at @ w) ** 2).mean().backward()
        np.testing.assert_allclose(w.grad.numpy(), _loss_grad(ref.x, a), rtol=1e-10, atol=1e-12)
        opt.step()
        ref.step(_loss_grad(ref.x, a))
    np.testing.assert_allclose(w.detach().numpy(), ref.x, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_versions_state_and_state_dict(name, kw):
    w = tensor.ones(2, 2, requires_grad=True)
    opt = getattr(optim, name)([w], **kw)
    for k in range(3):
        w.grad = tensor.full((2, 2), 0.5)
        opt.step()
    # one in-place update per step (AdamW also decays the parameter in place first)
    per_step = 2 if name == "AdamW" and opt.param_groups[0]["weight_decay"] else 1
    assert w._version == 3 * per_step
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0]
    assert list(sd["param_groups"][0])[-1] == "params"
    state = sd["state"].get(0, {})
    expected = {
        "SGD": {"momentum_buffer"} if kw.get("momentum") else set(),
        "Adam": {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if kw.get("amsgrad")
                                                     else set()),
        "RMSprop": {"step", "square_avg"} | ({"momentum_buffer"} if kw.get("momentum") else set())
        | ({"grad_avg"} if kw.get("centered") else set()),
        "Adagrad": {"step", "sum"},
    }
    expected["AdamW"] = expected["Adam"]
    assert set(state) == expected[name]
    if "step" in state:
        assert state["step"].dtype == tensor.float32 and state["step"].item() == 3.0
    # a fresh optimizer loaded from the state dict continues identically
    w2 = tensor.tensor(w.detach().numpy().copy(), requires_grad=True)
    opt2 = getattr(optim, name)([w2], **kw)
    opt2.load_state_dict(sd)
    for o, p in ((opt, w), (opt2, w2)):
        p.grad = tensor.full((2, 2), -0.25)
        o.step()
    np.testing.assert_array_equal(w.detach().numpy(), w2.detach().numpy())


def test_zero_grad():
    w = tensor.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = tensor.ones(2)
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_closure_runs_with_grad_enabled():
    w = tensor.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.5)

    def closure():
        assert tensor.is_grad_enabled()
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tensor.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 2.0 and w.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("make,err,text", [
    (lambda: optim.SGD(tensor.ones(2), lr=0.1), TypeError,
     "params argument given to the optimizer should be an iterable of Tensors or dicts, but "
     "got torch.FloatTensor"),
    (lambda: optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda: optim.SGD([tensor.ones(2, requires_grad=True) * 2], lr=0.1), ValueError,
     "can't optimize a non-leaf Tensor"),
    (lambda: optim.SGD([tensor.ones(2)], lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda: optim.Adam([tensor.ones(2)], betas=(1.0, 0.9)), ValueError,
     "Invalid beta parameter at index 0: 1.0"),
    (lambda: optim.SGD([tensor.ones(2)], lr=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda: optim.SGD([1.0], lr=0.1), TypeError,
     "optimizer can only optimize Tensors, but one of the params is float"),
])
def test_errors(make, err, text):
    with pytest.raises(err) as e:
        make()
    assert str(e.value) == text


def test_param_groups_keep_their_own_settings():
    a, b = tensor.ones(1, requires_grad=True), tensor.ones(1, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad, b.grad = tensor.ones(1), tensor.ones(1)
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
