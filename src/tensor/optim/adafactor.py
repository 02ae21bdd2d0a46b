"""Adafactor (PyTorch's ``torch.optim.Adafactor``): second moments kept factored, as a row and
a column average, for every parameter of two or more dims; a full one for vectors.

The step runs PyTorch's single-tensor algorithm with our own tensor ops, in the same order
(``norm(...).square_().div_(n)``, ``lerp_``, an outer product by ``@``, ``clamp_``, ``rsqrt_``),
so results and version bumps agree with PyTorch's.
"""

from __future__ import annotations

from .._tensor import Tensor
from .optimizer import Optimizer, _to_scalar, step_tensor


def _need(ok, msg):
    if not ok:
        raise ValueError(msg)


class Adafactor(Optimizer):
    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _need(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        _need(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        _need(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        _need(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        _need(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        _need(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))
        self._eps1 = None

    def _check_group(self, group):
        # PyTorch fills a missing eps1 from the first parameter's dtype, and that value then
        # serves the rest of the group in this step
        self._eps1 = group["eps"][0]

    def _update(self, p, grad, group):
        from .. import finfo, norm, zeros_like
        g = p.grad
        if group["maximize"]:
            g = -g
        state = self.state[p]
        if len(state) == 0:
            state["step"] = step_tensor()
            if g.dim() > 1:
                row_shape = list(g.shape)
                row_shape[-1] = 1
                state["row_var"] = g.new_zeros(row_shape)
                col_shape = list(g.shape)
                col_shape[-2] = 1
                state["col_var"] = g.new_zeros(col_shape)
            else:
                state["variance"] = zeros_like(g)
        if self._eps1 is None:
            self._eps1 = finfo(p.dtype).eps
        eps1, eps2 = self._eps1, group["eps"][1]
        lr = _to_scalar(group["lr"])
        step_t = state["step"]
        step_t += 1
        step = step_t.item()
        one_minus_beta2 = step ** group["beta2_decay"]
        rho = min(lr, 1 / (step ** 0.5))
        alpha = max(eps2, p.norm(2).item() / (p.numel() ** 0.5)) * rho
        if group["weight_decay"] != 0:
            p.mul_(1 - lr * group["weight_decay"])
        if g.dim() > 1:
            row_mean = norm(g, dim=-1, keepdim=True).square_().div_(g.size(-1))
            state["row_var"].lerp_(row_mean, one_minus_beta2)
            col_mean = norm(g, dim=-2, keepdim=True).square_().div_(g.size(-2))
            state["col_var"].lerp_(col_mean, one_minus_beta2)
            var_estimate = state["row_var"] @ state["col_var"]
            var_estimate.div_(state["row_var"].mean(dim=-2, keepdim=True).clamp_(min=eps1))
        else:
            state["variance"].lerp_(g * g, one_minus_beta2)
            var_estimate = state["variance"].clone()
        update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_()
        update.mul_(g)
        denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * group["d"]))
        p.add_(update, alpha=-alpha / denom)
