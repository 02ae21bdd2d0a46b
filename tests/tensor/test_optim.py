"""Optimizers: each step against the algorithm written out in plain numpy (float64), plus the
bookkeeping PyTorch users rely on (state names, versions, state_dict, zero_grad, errors)."""

from __future__ import annotations

import copy
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
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.7), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.7), weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=2, weight_decay=0.1)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.06), maximize=True)),
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
    "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False),
    "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                  decoupled_weight_decay=False, maximize=False),
    "RAdam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                  decoupled_weight_decay=False, maximize=False),
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False),
    "ASGD": dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False),
    "Rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False,
                  weight_decay=0),
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
        # (ASGD's eta and mu live in float32 tensors in PyTorch)
        self.mu_product, self.eta, self.mu = 1.0, float(np.float32(self.h.get("lr", 0))), 1.0
        self.ax = n.copy()
        self.prev, self.size = n.copy(), np.full_like(self.x, self.h.get("lr", 0))

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
        elif self.name == "Adagrad":
            g = g + wd * x
            clr = lr / (1 + (self.t - 1) * h["lr_decay"])
            self.sum = self.sum + g * g
            self.x = x - clr * g / (np.sqrt(self.sum) + h["eps"])
        else:
            getattr(self, "_" + self.name.lower())(g, x, lr, wd, h)

    # the published rules of the optimizers added later, as in PyTorch's documentation
    def _adamax(self, g, x, lr, wd, h):
        b1, b2 = h["betas"]
        g = g + wd * x
        self.m = b1 * self.m + (1 - b1) * g
        self.v = np.maximum(b2 * self.v, np.abs(g) + h["eps"])
        self.x = x - lr / (1 - b1 ** self.t) * self.m / self.v

    def _nadam(self, g, x, lr, wd, h):
        b1, b2 = h["betas"]
        if h["decoupled_weight_decay"]:
            x = x * (1 - lr * wd)
        else:
            g = g + wd * x
        mu = b1 * (1 - 0.5 * 0.96 ** (self.t * h["momentum_decay"]))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((self.t + 1) * h["momentum_decay"]))
        # PyTorch keeps the product of the momentum factors in a float32 tensor
        self.mu_product = float(np.float32(self.mu_product) * np.float32(mu))
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        denom = np.sqrt(self.v / (1 - b2 ** self.t)) + h["eps"]
        self.x = (x - lr * (1 - mu) / (1 - self.mu_product) * g / denom
                  - lr * mu_next / (1 - self.mu_product * mu_next) * self.m / denom)

    def _radam(self, g, x, lr, wd, h):
        b1, b2 = h["betas"]
        if h["decoupled_weight_decay"]:
            x = x * (1 - lr * wd)
        else:
            g = g + wd * x
        t = self.t
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        m_hat = self.m / (1 - b1 ** t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            ell = math.sqrt(1 - b2 ** t) / (np.sqrt(self.v) + h["eps"])
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                          / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            self.x = x - lr * m_hat * ell * r
        else:
            self.x = x - lr * m_hat

    def _adadelta(self, g, x, lr, wd, h):
        rho, eps = h["rho"], h["eps"]
        g = g + wd * x
        self.v = rho * self.v + (1 - rho) * g * g
        delta = np.sqrt(self.m + eps) / np.sqrt(self.v + eps) * g
        self.m = rho * self.m + (1 - rho) * delta * delta
        self.x = x - lr * delta

    def _asgd(self, g, x, lr, wd, h):
        g = g + wd * x
        x = x * (1 - h["lambd"] * self.eta) - self.eta * g
        self.ax = x.copy() if self.mu == 1 else self.ax + self.mu * (x - self.ax)
        self.x = x
        self.eta = float(np.float32(lr / (1 + h["lambd"] * lr * self.t) ** h["alpha"]))
        self.mu = float(np.float32(1 / max(1, self.t - h["t0"])))

    def _rprop(self, g, x, lr, wd, h):
        (eminus, eplus), (lo, hi) = h["etas"], h["step_sizes"]
        s = np.sign(g * self.prev)
        factor = np.where(s > 0, eplus, np.where(s < 0, eminus, 1.0))
        self.size = np.clip(self.size * factor, lo, hi)
        g = np.where(s < 0, 0.0, g)
        self.x = x - np.sign(g) * self.size
        self.prev = g


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
    # one in-place update per step, plus one for decoupled weight decay; NAdam's update has two
    # parts and ASGD decays before updating (PyTorch's in-place op counts)
    group = opt.param_groups[0]
    per_step = 1 + bool(group.get("decoupled_weight_decay") and group["weight_decay"])
    per_step += name in ("NAdam", "ASGD")
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
    expected.update({
        "Adamax": {"step", "exp_avg", "exp_inf"},
        "NAdam": {"step", "mu_product", "exp_avg", "exp_avg_sq"},
        "RAdam": {"step", "exp_avg", "exp_avg_sq"},
        "Adadelta": {"step", "square_avg", "acc_delta"},
        "ASGD": {"step", "eta", "mu", "ax"},
        "Rprop": {"step", "prev", "step_size"},
    })
    assert set(state) == expected[name]
    if "step" in state:
        assert state["step"].dtype == tensor.float32 and state["step"].item() == 3.0
    # a fresh optimizer loaded from (a copy of) the state dict continues identically
    w2 = tensor.tensor(w.detach().numpy().copy(), requires_grad=True)
    opt2 = getattr(optim, name)([w2], **kw)
    opt2.load_state_dict(copy.deepcopy(sd))
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


def test_step_pre_hook_can_replace_arguments_and_global_hooks_run():
    from tensor.optim.optimizer import (register_optimizer_step_post_hook,
                                        register_optimizer_step_pre_hook)
    w = tensor.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    seen = []

    def closure():
        seen.append("closure")
        return tensor.tensor(3.0)

    opt.register_step_pre_hook(lambda o, args, kwargs: ((args[0],), {"closure": closure}))
    g1 = register_optimizer_step_pre_hook(lambda o, a, k: seen.append("global-pre"))
    g2 = register_optimizer_step_post_hook(lambda o, a, k: seen.append("global-post"))
    try:
        w.grad = tensor.ones(2)
        assert opt.step().item() == 3.0
    finally:
        g1.remove()
        g2.remove()
    assert seen == ["global-pre", "closure", "global-post"]
    assert w.tolist() == [0.5, 0.5]
    opt.register_step_pre_hook(lambda o, a, k: 42)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_state_dict_hooks_and_named_params():
    a, b = tensor.ones(2, requires_grad=True), tensor.ones(3, requires_grad=True)
    opt = optim.Adam([("a", a), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["a", "b"]
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load-pre"))
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load-post"), prepend=True)
    sd = opt.state_dict()
    assert sd["extra"] == 1 and sd["param_groups"][0]["param_names"] == ["a", "b"]
    opt.load_state_dict(sd)
    assert calls == ["pre", "load-pre", "load-post"]
    with pytest.raises(ValueError, match="all optimizer param groups should be with/without"):
        opt.add_param_group({"params": [tensor.ones(1, requires_grad=True)]})


def test_lr_edits_take_effect_and_load_state_dict_errors():
    w = tensor.zeros(1, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    w.grad = tensor.ones(1)
    opt.step()
    opt.param_groups[0]["lr"] = 0.25
    opt.step()
    assert w.item() == -1.25
    other = optim.SGD([tensor.zeros(1, requires_grad=True), tensor.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(other.state_dict())


@settings(deadline=None, max_examples=25)
@given(gamma=st.floats(0.5, 0.99), step_size=st.integers(1, 9), n=st.integers(1, 60))
def test_step_lr_follows_its_closed_form(gamma, step_size, n):
    w = tensor.ones(1, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
    for _ in range(n):
        opt.step()
        sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * gamma ** (n // step_size), rel=1e-12)


@settings(deadline=None, max_examples=25)
@given(t_max=st.integers(1, 30), n=st.integers(0, 80))
def test_cosine_annealing_stays_within_bounds_and_matches_closed_form(t_max, n):
    w = tensor.ones(1, requires_grad=True)
    opt = optim.SGD([w], lr=0.2)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=0.01)
    for _ in range(n):
        opt.step()
        sched.step()
    lr = sched.get_last_lr()[0]
    assert 0.01 - 1e-12 <= lr <= 0.2 + 1e-12
    assert lr == pytest.approx(0.01 + 0.19 * (1 + math.cos(math.pi * n / t_max)) / 2, abs=1e-9)
