"""``tensor.nn``: ``functional`` plus a small Module/Parameter/Linear set for PyTorch snippets."""

from . import functional  # noqa: F401
from .modules import Module, Parameter, Linear, Sequential, ReLU, Tanh, MSELoss, CrossEntropyLoss  # noqa: F401,E501
