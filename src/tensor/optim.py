"""``tensor.optim``: PyTorch's optimizers SGD, Adam, AdamW, RMSprop and Adagrad.

Each ``step`` follows PyTorch's single-tensor algorithm operation by operation, in the
parameter's dtype, so the numbers agree with PyTorch's to rounding. Steps run under
``no_grad``; every parameter is updated by one in-place op, so each step bumps its version once,
as PyTorch's do. Optimizer state is kept per parameter (``optimizer.state[p]``) under PyTorch's
names (``momentum_buffer``, ``step``, ``exp_avg``...), and ``state_dict`` /
``load_state_dict`` use PyTorch's layout (parameters numbered in group order).
"""

from __future__ import annotations

import copy
import math

import numpy as np

from modes import enable_grad, no_grad

from ._tensor import Tensor, wrap
from .errors import legacy_type_name

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


def _check(ok, msg):
    if not ok:
        raise ValueError(msg)


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, state dicts."""

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {legacy_type_name(params.dtype)}")
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                mod = type(p).__module__
                name = type(p).__qualname__ if mod in ("builtins", "") else \
                    f"{mod}.{type(p).__qualname__}"
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{name}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = {"params": params}
        for k, v in self.defaults.items():
            if v is required and k not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {k}")
            group[k] = param_group.get(k, v)
        for k, v in param_group.items():
            if k != "params":
                group[k] = v
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        # PyTorch's key order: the defaults, then "params" last
        self.param_groups.append({**{k: group[k] for k in group if k != "params"},
                                  "params": params})

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    grad = p.grad
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    grad.zero_()

    def state_dict(self) -> dict:
        index, groups, n = {}, [], 0
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                if id(p) not in index:
                    index[id(p)] = n
                    n += 1
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(a["params"]) != len(b["params"]) for a, b in zip(self.param_groups, groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        by_index = {}
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                by_index[i] = p
        self.state = {}
        for i, s in state_dict["state"].items():
            p = by_index[i]
            self.state[p] = {k: (v.detach().clone().to(p.dtype)
                                 if isinstance(v, Tensor) and k != "step"
                                 else copy.deepcopy(v)) for k, v in s.items()}
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = v

    def _run(self, closure):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for g in self.param_groups:
                for p in g["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad._data, g)
        return loss

    def step(self, closure=None):
        return self._run(closure)

    def _update(self, p, grad, group):   # pragma: no cover - abstract
        raise NotImplementedError


def _apply(p, update):
    """``p += update`` as one in-place op (one version bump, as PyTorch's update ops)."""
    p.add_(wrap(update))


def _step_tensor():
    return wrap(np.zeros((), np.float32))


def _lerp(a, end, w):
    """PyTorch's lerp for a scalar weight (two forms, for accuracy near each end)."""
    if w < 0.5:
        return a + w * (end - a)
    return end - (end - a) * (1 - w)


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update(self, p, grad, g):
        x = p._data
        d = -grad if g["maximize"] else grad
        if g["weight_decay"] != 0:
            d = d + g["weight_decay"] * x
        if g["momentum"] != 0:        # (without momentum PyTorch keeps no state at all)
            state = self.state.setdefault(p, {})
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = wrap(np.array(d, copy=True))
            else:
                b = buf._data
                b *= g["momentum"]
                b += (1 - g["dampening"]) * d
            d = d + g["momentum"] * buf._data if g["nesterov"] else buf._data
        _apply(p, (-g["lr"]) * d)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p, grad, g):
        x = p._data
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = _step_tensor()
            state["exp_avg"] = wrap(np.zeros_like(x))
            state["exp_avg_sq"] = wrap(np.zeros_like(x))
            if g["amsgrad"]:
                state["max_exp_avg_sq"] = wrap(np.zeros_like(x))
        b1, b2 = g["betas"]
        lr, wd = g["lr"], g["weight_decay"]
        d = -grad if g["maximize"] else grad
        step_t = state["step"]._data
        step_t += 1
        if wd != 0:
            if g["decoupled_weight_decay"]:
                p.mul_(1 - lr * wd)       # AdamW: decay the parameter itself, first
            else:
                d = d + wd * x
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        m[...] = _lerp(m, d, 1 - b1)
        v *= b2
        v += (1 - b2) * d * d
        step = float(step_t)
        bc1 = 1 - b1 ** step
        bc2_sqrt = math.sqrt(1 - b2 ** step)
        if g["amsgrad"]:
            vmax = state["max_exp_avg_sq"]._data
            np.maximum(vmax, v, out=vmax)
            denom = np.sqrt(vmax) / bc2_sqrt + g["eps"]
        else:
            denom = np.sqrt(v) / bc2_sqrt + g["eps"]
        _apply_addcdiv(p, m, denom, -(lr / bc1))


def _apply_addcdiv(p, t1, t2, value):
    """``p.addcdiv_(t1, t2, value=value)``: ``p + value * t1 / t2`` rounded as PyTorch does."""
    x = p._data
    new = x + value * t1 / t2
    p.copy_(wrap(new))


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _update(self, p, grad, g):
        x = p._data
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = _step_tensor()
            state["square_avg"] = wrap(np.zeros_like(x))
            if g["momentum"] > 0:
                state["momentum_buffer"] = wrap(np.zeros_like(x))
            if g["centered"]:
                state["grad_avg"] = wrap(np.zeros_like(x))
        d = -grad if g["maximize"] else grad
        state["step"]._data += 1
        if g["weight_decay"] != 0:
            d = d + g["weight_decay"] * x
        alpha = g["alpha"]
        sq = state["square_avg"]._data
        sq *= alpha
        sq += (1 - alpha) * d * d
        if g["centered"]:
            ga = state["grad_avg"]._data
            ga[...] = _lerp(ga, d, 1 - alpha)
            avg = np.sqrt(sq + (-1) * ga * ga)
        else:
            avg = np.sqrt(sq)
        avg = avg + g["eps"]
        if g["momentum"] > 0:
            buf = state["momentum_buffer"]._data
            buf *= g["momentum"]
            buf += d / avg
            _apply(p, (-g["lr"]) * buf)
        else:
            _apply_addcdiv(p, d, avg, -g["lr"])


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(lr_decay >= 0.0, f"Invalid lr_decay value: {lr_decay}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(initial_accumulator_value >= 0.0,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:          # PyTorch makes Adagrad's state up front
            for p in group["params"]:
                self.state[p] = {
                    "step": _step_tensor(),
                    "sum": wrap(np.full_like(p._data, group["initial_accumulator_value"])),
                }

    def _update(self, p, grad, g):
        x = p._data
        state = self.state[p]
        d = -grad if g["maximize"] else grad
        step_t = state["step"]._data
        step_t += 1
        if g["weight_decay"] != 0:
            d = d + g["weight_decay"] * x
        clr = g["lr"] / (1 + (float(step_t) - 1) * g["lr_decay"])
        s = state["sum"]._data
        s += d * d
        std = np.sqrt(s) + g["eps"]
        _apply_addcdiv(p, d, std, -clr)
