"""A minimal ``nn.Module`` world: enough for ordinary training snippets to run.

``Parameter`` is a Tensor subclass marking a leaf that requires grad; ``Module`` collects
parameters from its attributes (and sub-modules) and switches train/eval.
"""

from __future__ import annotations

import math

from .. import _tensor as T
from .. import nn_functional as F
from ..opdefs import factories

__all__ = ["Parameter", "Module", "Linear", "Sequential", "ReLU", "Tanh", "MSELoss",
           "CrossEntropyLoss"]


class Parameter(T.Tensor):
    """A leaf tensor that requires grad and that a Module registers as its parameter."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = factories.empty(0)
        t = object.__new__(cls)
        for name in T.Tensor.__slots__:
            if name != "__weakref__":
                setattr(t, name, getattr(data, name))
        t._base = None
        t._view = None
        t._grad_fn = None
        t._grad = None
        t._extra = None
        t._requires_grad = False
        if requires_grad:
            t.requires_grad_()
        return t

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class: attributes that are Parameters or Modules are registered automatically."""

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self.__dict__.setdefault("_parameters", {})[name] = value
        elif isinstance(value, Module):
            self.__dict__.setdefault("_modules", {})[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_parameters(self, prefix=""):
        for n, p in self.__dict__.get("_parameters", {}).items():
            yield prefix + n, p
        for mn, m in self.__dict__.get("_modules", {}).items():
            yield from m.named_parameters(prefix + mn + ".")

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def children(self):
        return iter(self.__dict__.get("_modules", {}).values())

    def train(self, mode=True):
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.detach_()
                p.grad.zero_()

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self


class Linear(Module):
    """``y = x @ W.T + b`` with PyTorch's default (Kaiming-uniform) initialisation."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features) if in_features else 0
        gen = factories.default_generator()
        w = factories.from_numpy(gen.uniform(-bound, bound, (out_features, in_features))
                                 .astype("float32"))
        self.weight = Parameter(w)
        self.bias = Parameter(factories.from_numpy(
            gen.uniform(-bound, bound, (out_features,)).astype("float32"))) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Sequential(Module):
    def __init__(self, *mods):
        super().__init__()
        for i, m in enumerate(mods):
            setattr(self, str(i), m)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class MSELoss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, a, b):
        return F.mse_loss(a, b, reduction=self.reduction)


class CrossEntropyLoss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, a, b):
        return F.cross_entropy(a, b, reduction=self.reduction)
