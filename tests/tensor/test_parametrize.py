"""``nn.utils.parametrize`` / ``parametrizations`` / hook-based ``weight_norm`` and
``spectral_norm`` without torch: gradients checked by finite differences (float64), values
against numpy formulas, caching, removal, optimiser identity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor as tk
from tensor import nn
from tensor.autograd import gradcheck, gradgradcheck
from tensor.nn.utils import parametrizations as PZ, parametrize as P
from tensor.nn.utils._weight_norm_ops import norm_except_dim, weight_norm as wn_fn

F64 = tk.float64


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


def _linear(n_in, n_out, seed=0, bias=True):
    tk.manual_seed(seed)
    return nn.Linear(n_in, n_out, bias=bias).double()


def _np_norm_except(v, dim):
    if dim is None or dim == -1:
        return np.sqrt((v * v).sum())
    axes = tuple(i for i in range(v.ndim) if i != dim)
    return np.sqrt((v * v).sum(axis=axes, keepdims=True))


# -- the parametrization machinery -----------------------------------------------------------
def test_gradcheck_through_custom_parametrization():
    m = _linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    x = tk.randn(2, 3, dtype=F64)
    original = m.parametrizations.weight.original

    def f(w):
        with tk.no_grad():
            original.copy_(w)
        return m(x)
    # the module reads the Parameter itself, so check the map from original to weight
    assert gradcheck(lambda w: Symmetric()(w) @ x.T, (original.detach().clone()
                                                      .requires_grad_(),))
    y = f(original.detach().clone())
    y.sum().backward()
    expected = (tk.ones(2, 3, dtype=F64).T @ x)       # dL/dweight for L = sum(x W^T)
    g = expected.triu() + expected.tril(-1).T
    assert tk.allclose(original.grad, g)


def test_weight_is_recomputed_on_access_and_assignment_uses_right_inverse():
    m = _linear(3, 3)
    w = m.weight
    P.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear"
    assert type(m).__bases__ == (nn.Linear,)
    with tk.no_grad():
        m.parametrizations.weight.original.fill_(1.0)
    assert tk.equal(m.weight, tk.ones(3, 3, dtype=F64))
    A = tk.arange(9, dtype=F64).reshape(3, 3)
    m.weight = A
    assert m.parametrizations.weight.original is w
    assert tk.equal(w, A.triu())
    assert tk.equal(m.weight, A.triu() + A.triu(1).T)


def test_each_parametrized_module_gets_its_own_class():
    a, b = _linear(2, 2), _linear(2, 2)
    P.register_parametrization(a, "weight", Symmetric())
    P.register_parametrization(b, "bias", nn.Identity())
    assert type(a) is not type(b)
    assert hasattr(type(a), "weight") and not hasattr(type(a), "bias")
    P.remove_parametrizations(a, "weight")
    assert type(a) is nn.Linear and P.is_parametrized(b, "bias")


def test_cached_computes_once_per_block():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    m = _linear(2, 2)
    P.register_parametrization(m, "weight", Counting())
    calls.clear()
    with P.cached():
        first = m.weight
        with P.cached():
            assert m.weight is first
        assert m.weight is first
    assert len(calls) == 1
    assert m.weight is not first and len(calls) == 2


def test_remove_keeps_value_or_original():
    m = _linear(3, 3)
    w = m.weight
    before = w.detach().clone()
    P.register_parametrization(m, "weight", Symmetric())
    expected = m.weight.detach().clone()
    P.remove_parametrizations(m, "weight", leave_parametrized=True)
    assert m.weight is w and tk.equal(m.weight, expected)
    assert not hasattr(m, "parametrizations") and type(m) is nn.Linear
    m2 = _linear(3, 3)
    P.register_parametrization(m2, "weight", nn.Identity())
    raw = m2.parametrizations.weight.original
    P.remove_parametrizations(m2, "weight", leave_parametrized=False)
    assert m2.weight is raw
    assert not tk.equal(before, expected)     # (the parametrization did change the value)


def test_optimizer_updates_the_original_in_place():
    m = _linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    opt = tk.optim.SGD(m.parameters(), lr=0.1)
    original = m.parametrizations.weight.original
    before = original.detach().clone()
    m(tk.randn(4, 3, dtype=F64)).pow(2).sum().backward()
    opt.step()
    assert m.parametrizations.weight.original is original
    assert not tk.equal(original, before)
    assert tk.equal(original.tril(-1), before.tril(-1))  # below the diagonal: no gradient


def test_state_dict_keys_and_round_trip():
    m = _linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    m2 = _linear(3, 3, seed=5)
    P.register_parametrization(m2, "weight", Symmetric())
    m2.load_state_dict(m.state_dict())
    assert tk.equal(m2.weight, m.weight)


# -- weight norm ------------------------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
def test_weight_norm_matches_formula(shape, data):
    dim = data.draw(st.sampled_from([None] + list(range(-1, len(shape)))))
    rng = np.random.default_rng(len(shape))
    v = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    g_np = _np_norm_except(v, dim) * 1.5
    ours = wn_fn(tk.from_numpy(v), tk.from_numpy(np.asarray(g_np)), -1 if dim is None else dim)
    np.testing.assert_allclose(ours.numpy(), v * g_np / _np_norm_except(v, dim), rtol=1e-12)
    if dim is not None:
        ned = norm_except_dim(tk.from_numpy(v), 2, dim).numpy()
        np.testing.assert_allclose(ned, _np_norm_except(v, dim) * np.ones_like(ned),
                                   rtol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, 2, None])
def test_weight_norm_parametrization_gradcheck(dim):
    tk.manual_seed(0)
    m = nn.Conv1d(2, 3, 2).double()
    PZ.weight_norm(m, dim=dim)
    g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
    # at registration the weight is unchanged: g = ||v||
    np.testing.assert_allclose(m.weight.detach().numpy(), v.detach().numpy(), rtol=1e-12)
    fn = m.parametrizations.weight[0]
    inputs = (g.detach().clone().requires_grad_(), v.detach().clone().requires_grad_())
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_weight_norm_interface_op():
    v = tk.tensor([[3.0, 4.0], [1.0, 0.0]], dtype=F64)
    g = tk.tensor([[2.0], [3.0]], dtype=F64)
    w = wn_fn(v, g, 0)
    np.testing.assert_allclose(w.numpy(), [[1.2, 1.6], [3.0, 0.0]], rtol=1e-15)
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        wn_fn(v, g.float(), 0)


def test_old_weight_norm_hook_recomputes_before_forward():
    m = _linear(3, 2)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        nn.utils.weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    with tk.no_grad():
        m.weight_v.mul_(3.0)
        m.weight_g.fill_(2.0)
    x = tk.randn(1, 3, dtype=F64)
    m(x)
    rows = m.weight.detach().numpy()
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), [2.0, 2.0], rtol=1e-12)
    nn.utils.remove_weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.detach().numpy(), rows)


# -- spectral norm ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((4, 3), 0), ((3, 2, 2), 1), ((2, 5), 1)])
def test_spectral_norm_estimate_converges(shape, dim):
    tk.manual_seed(1)
    holder = nn.Module()
    holder.weight = nn.Parameter(tk.randn(*shape, dtype=F64))
    PZ.spectral_norm(holder, dim=dim, n_power_iterations=50)
    w = holder.parametrizations.weight.original.detach().numpy()
    mat = np.moveaxis(w, dim, 0).reshape(w.shape[dim], -1)
    sigma = np.linalg.svd(mat, compute_uv=False)[0]
    np.testing.assert_allclose(holder.weight.detach().numpy(), w / sigma, rtol=1e-6)


def test_spectral_norm_training_iterates_eval_does_not():
    m = _linear(3, 4)
    PZ.spectral_norm(m)
    sn = m.parametrizations.weight[0]
    u = sn._u
    v0 = u._version
    m.weight
    assert u._version == v0 + 1 and sn._u is u
    m.eval()
    before = u.clone()
    m.weight
    assert u._version == v0 + 1 and tk.equal(u, before)


def test_spectral_norm_gradcheck_in_eval_mode():
    m = _linear(3, 4)
    PZ.spectral_norm(m)
    m.eval()
    fn = m.parametrizations.weight[0]
    w = m.parametrizations.weight.original.detach().clone().requires_grad_()
    assert gradcheck(fn, (w,))
    assert gradgradcheck(fn, (w,))


def test_old_spectral_norm_hook():
    m = _linear(3, 4)
    nn.utils.spectral_norm(m, n_power_iterations=30)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_u", "weight_v"]
    m(tk.randn(1, 3, dtype=F64))
    w = m.weight_orig.detach().numpy()
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(m.weight.detach().numpy(), w / sigma, rtol=1e-6)
    nn.utils.remove_spectral_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    assert list(m.buffers()) == []


# -- orthogonal -------------------------------------------------------------------------------
@settings(max_examples=12, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 4), batch=st.sampled_from([(), (2,)]),
       omap=st.sampled_from([None, "matrix_exp", "cayley", "householder"]),
       triv=st.booleans())
def test_orthogonal_gives_orthonormal_rows_or_columns(n, k, batch, omap, triv):
    holder = nn.Module()
    tk.manual_seed(n * 7 + k)
    holder.weight = nn.Parameter(tk.randn(*batch, n, k, dtype=F64))
    PZ.orthogonal(holder, orthogonal_map=omap, use_trivialization=triv)
    Q = holder.weight.detach().numpy()
    gram = np.swapaxes(Q, -1, -2) @ Q if n >= k else Q @ np.swapaxes(Q, -1, -2)
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(min(n, k)), gram.shape),
                               atol=1e-10)


@pytest.mark.parametrize("omap", ["matrix_exp", "cayley"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3)])
def test_orthogonal_gradcheck(omap, shape):
    holder = nn.Module()
    tk.manual_seed(3)
    holder.weight = nn.Parameter(tk.randn(*shape, dtype=F64))
    PZ.orthogonal(holder, orthogonal_map=omap)
    fn = holder.parametrizations.weight[0]
    X = (0.3 * tk.randn(*shape, dtype=F64)).requires_grad_()
    assert gradcheck(fn, (X,))


def test_orthogonal_householder_gradcheck():
    holder = nn.Module()
    tk.manual_seed(4)
    holder.weight = nn.Parameter(tk.randn(4, 3, dtype=F64))
    PZ.orthogonal(holder, orthogonal_map="householder")
    fn = holder.parametrizations.weight[0]
    signs = tk.zeros(4, 3, dtype=F64)
    signs.diagonal().fill_(-1.0)
    # the diagonal only carries signs (cast to int), so perturb the reflectors alone
    A = (0.5 * tk.randn(4, 3, dtype=F64)).requires_grad_()
    assert gradcheck(lambda a: fn(a.tril(-1) + signs), (A,))


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a "
                                         "tensor of 1 dimensions."):
        PZ.orthogonal(_linear(2, 2), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of'):
        PZ.orthogonal(_linear(2, 2), orthogonal_map="qr")


# -- prune ------------------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(amount=st.integers(0, 12))
def test_l1_unstructured_prunes_the_smallest_and_masks_gradients(amount):
    m = _linear(4, 3, seed=amount)
    w = m.weight.detach().numpy().copy()
    nn.utils.prune.l1_unstructured(m, "weight", amount=amount)
    mask = m.weight_mask.numpy()
    assert mask.sum() == 12 - amount
    if 0 < amount < 12:
        assert np.abs(w[mask == 0]).max() <= np.abs(w[mask == 1]).min()
    m(tk.randn(2, 4, dtype=F64)).sum().backward()
    assert np.all(m.weight_orig.grad.numpy()[mask == 0] == 0)
    np.testing.assert_array_equal(m.weight.detach().numpy(), w * mask)


def test_ln_structured_then_remove():
    m = _linear(3, 4)
    orig = m.weight
    w = orig.detach().numpy().copy()
    nn.utils.prune.ln_structured(m, "weight", amount=0.5, n=1, dim=0)
    kept = np.sort(np.argsort(np.abs(w).sum(1))[2:])
    assert np.flatnonzero(m.weight_mask.numpy().sum(1)).tolist() == kept.tolist()
    assert nn.utils.prune.is_pruned(m)
    nn.utils.prune.remove(m, "weight")
    assert m.weight is orig and not nn.utils.prune.is_pruned(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    assert np.count_nonzero(m.weight.detach().numpy().sum(1)) == 2
