"""``torch.special``: special functions, by PyTorch's names.

Most are other names of ops declared elsewhere (``expit`` is ``sigmoid``, ``gammaln`` is
``lgamma``, ``psi`` is ``digamma``...) and record those ops' nodes, as in PyTorch. The ones
PyTorch gives aten ops of their own (``special_erfcx``, ``special_i0e``, ``special_i1``,
``special_i1e``, ``special_ndtri``, ``special_log_ndtr``, ``special_entr``,
``special_xlog1py``) are declared in ``opdefs/special.py``; ``ndtr`` is PyTorch's composite
``(1 + erf(x / sqrt(2))) / 2``.
"""

from __future__ import annotations

import math

from ._tensor import Tensor
from ._defop import OPS as _OPS
from .opdefs import special as _ops

__all__ = ["erf", "erfc", "erfcx", "erfinv", "expit", "logit", "xlogy", "xlog1py", "gammaln",
           "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e", "ndtr",
           "ndtri", "log_ndtr", "sinc", "round", "log1p", "expm1", "exp2", "logsumexp",
           "softmax", "log_softmax", "entr"]


def _check_tensor(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"special_{name}(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(x).__name__}")


def _via_method(name, method_name=None, out_op=None):
    """``torch.special.<name>(input, *, out=None)`` as the Tensor method ``method_name``."""
    m = method_name or name

    def fn(input, *, out=None):
        _check_tensor(name, input)
        if out is not None:
            if out_op is None:
                raise TypeError(f"special_{name}() got an unexpected keyword argument 'out'")
            return out_op(input, out=out)
        return getattr(input, m)()
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.special.{name}``: ``input.{m}()``."
    return fn


def _via_op(name, family):
    """A function over one of the ``special_*`` ops (functional and out= forms)."""
    def fn(input, *, out=None):
        _check_tensor(name, input)
        if out is not None:
            return family["o"](input, out=out)
        return family["f"](input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.special.{name}`` (aten ``special_{name}``)."
    return fn


def _out_of(name):
    from ._defop import OPS
    op = OPS.get(f"aten::{name}.out")
    return None if op is None else op.call


erf = _via_method("erf", out_op=_out_of("erf"))
erfc = _via_method("erfc", out_op=_ops.erfc["o"])
erfinv = _via_method("erfinv", out_op=_ops.erfinv["o"])
expit = _via_method("expit", "sigmoid", out_op=_out_of("sigmoid"))
gammaln = _via_method("gammaln", "lgamma", out_op=_ops.lgamma["o"])
digamma = _via_method("digamma", out_op=_ops.digamma["o"])
psi = _via_method("psi", "digamma", out_op=_ops.digamma["o"])
i0 = _via_method("i0", out_op=_ops.i0["o"])
sinc = _via_method("sinc", out_op=_ops.sinc["o"])
log1p = _via_method("log1p", out_op=_out_of("log1p"))
expm1 = _via_method("expm1", out_op=_out_of("expm1"))
exp2 = _via_method("exp2", out_op=_out_of("exp2"))
erfcx = _via_op("erfcx", _ops.special_erfcx)
i0e = _via_op("i0e", _ops.special_i0e)
i1 = _via_op("i1", _ops.special_i1)
i1e = _via_op("i1e", _ops.special_i1e)
ndtri = _via_op("ndtri", _ops.special_ndtri)
log_ndtr = _via_op("log_ndtr", _ops.special_log_ndtr)
entr = _via_op("entr", _ops.special_entr)


def logit(input, eps=None, *, out=None):
    _check_tensor("logit", input)
    if out is not None:
        return _ops.logit["o"](input, eps, out=out)
    return input.logit(eps)


def xlogy(input, other, *, out=None):
    return _ops.TOPLEVEL["xlogy"](input, other, out=out)


def xlog1py(input, other, *, out=None):
    """``input * log1p(other)``, 0 where input is 0 (unless other is nan)."""
    fam = _ops.special_xlog1py
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError("special_xlog1py(): argument 'input' (position 1) must be "
                            f"Tensor, not {type(input).__name__}")
        return fam["sf"](input, other) if out is None else fam["so"](input, other, out=out)
    key = "" if isinstance(other, Tensor) else "s"
    if out is None:
        return fam["f" + key](input, other)
    return fam["o" + key](input, other, out=out)


def polygamma(n, input, *, out=None):
    return _ops.TOPLEVEL["polygamma"](n, input, out=out)


def multigammaln(input, p, *, out=None):
    _check_tensor("multigammaln", input)
    if out is not None:
        return _ops.mvlgamma["o"](input, p, out=out)
    return input.mvlgamma(p)


def ndtr(input, *, out=None):
    """The standard normal CDF, as PyTorch composes it: ``(1 + erf(x / sqrt(2))) * 0.5``."""
    _check_tensor("ndtr", input)
    # mul.Scalar / add.Scalar, as PyTorch's C++ composite records them (MulBackward1, ...)
    mul_s, add_s = _OPS["aten::mul.Scalar"], _OPS["aten::add.Scalar"]
    r = mul_s(add_s(mul_s(input, 1 / math.sqrt(2)).erf(), 1), 0.5)
    if out is not None:
        if r.requires_grad:
            raise RuntimeError("special_ndtr(): functions with out=... arguments don't "
                               "support automatic differentiation, but one of the arguments "
                               "requires grad.")
        return out.copy_(r)
    return r


def round(input, *, decimals=0, out=None):  # noqa: A001 - torch.special.round
    _check_tensor("round", input)
    if out is not None:
        return _out_of_round()(input, decimals=decimals, out=out)
    return input.round(decimals=decimals)


def _out_of_round():
    from ._defop import OPS
    return OPS["aten::round.decimals_out"].call


def logsumexp(input, dim, keepdim=False, *, out=None):
    _check_tensor("logsumexp", input)
    if out is not None:
        from . import logsumexp as _lse
        return _lse(input, dim, keepdim, out=out)
    return input.logsumexp(dim, keepdim)


def softmax(input, dim, *, dtype=None):
    _check_tensor("softmax", input)
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    _check_tensor("log_softmax", input)
    return input.log_softmax(dim, dtype=dtype)


# functions declared in opdefs/special_more.py
from .opdefs.special_more import SPECIAL as _MORE  # noqa: E402

globals().update(_MORE)
__all__ += [n for n in _MORE if n not in __all__]
