"""``tensor.optim``: SGD (momentum, weight decay, Nesterov) and Adam, written with our ops.

Steps run under ``no_grad`` and update parameters in place, so every update bumps the
parameter's version like PyTorch's optimizers do.
"""

from __future__ import annotations

import math

from modes import no_grad

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        self.param_groups = [dict(defaults, params=params)] if not isinstance(params[0], dict) \
            else [dict(defaults, **g) for g in params]
        self.state = {}

    def zero_grad(self, set_to_none: bool = True):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    @no_grad()
    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if g["weight_decay"]:
                    d = d + g["weight_decay"] * p
                if g["momentum"]:
                    buf = self.state.get(id(p))
                    if buf is None:
                        buf = self.state[id(p)] = d.clone()
                    else:
                        buf.mul_(g["momentum"]).add_(d, alpha=1 - g["dampening"])
                    d = d + g["momentum"] * buf if g["nesterov"] else buf
                p.sub_(d, alpha=g["lr"])
        return loss


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @no_grad()
    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for g in self.param_groups:
            b1, b2 = g["betas"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if g["weight_decay"]:
                    d = d + g["weight_decay"] * p
                st = self.state.setdefault(id(p), {"step": 0, "m": p * 0, "v": p * 0})
                st["step"] += 1
                st["m"].mul_(b1).add_(d, alpha=1 - b1)
                st["v"].mul_(b2).add_(d * d, alpha=1 - b2)
                mhat = st["m"] / (1 - b1 ** st["step"])
                vhat = st["v"] / (1 - b2 ** st["step"])
                p.sub_(mhat / (vhat.sqrt() + g["eps"]), alpha=g["lr"])
        _ = math
        return loss
