"""``nn.utils.parametrize``, ``nn.utils.parametrizations`` and the hook-based
``nn.utils.weight_norm`` / ``spectral_norm`` side by side with PyTorch (skipped without
torch).

Each story runs the same code with ``M`` = tensorkeys or torch and returns a structure of
plain values and numpy arrays; the two structures must agree (arrays to tight tolerances).
Initial values come from fixed numpy arrays; where PyTorch draws random numbers (spectral
norm's ``u``/``v``, orthogonal's ``base`` for non-square matrices) the values torch drew are
copied into our module before comparing.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.utils.prune  # noqa: E402,F401  (not imported by torch.nn.utils)

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

RNG = np.random.default_rng(1234)


def _arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _np(t):
    return t.detach().numpy().copy()


def _same(a, b, path="out", rtol=2e-5, atol=2e-6):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), path
        assert a.shape == b.shape, (path, a.shape, b.shape)
        assert a.dtype == b.dtype, (path, a.dtype, b.dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=path)
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (path, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]", rtol, atol)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), (path, list(a), list(b))
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]", rtol, atol)
    else:
        assert a == b, (path, a, b)


def _err(fn):
    try:
        fn()
    except Exception as e:   # noqa: BLE001
        # (class reprs name the package: ours is ``tensor``)
        return type(e).__name__, str(e).replace("'tensor.nn.", "'torch.nn.")
    return "no error"


def _load(M, module, values):
    """Copy a dict of numpy arrays into ``module`` (by state-dict key)."""
    with M.no_grad():
        sd = module.state_dict(keep_vars=True)
        for k, v in values.items():
            sd[k].copy_(M.from_numpy(v.copy()))


def _params(module):
    return [(n, tuple(p.shape), p.requires_grad) for n, p in module.named_parameters()]


def _grads(module):
    return {n: _np(p.grad) for n, p in module.named_parameters() if p.grad is not None}


def _sd(module):
    return {k: _np(v) for k, v in module.state_dict().items()}


# -- custom parametrizations -----------------------------------------------------------------
def _custom_classes(M):
    class Symmetric(M.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    class Scale(M.nn.Module):
        def forward(self, X):
            return 2.0 * X

    class RankOne(M.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0, :].clone()

    class Shrink(M.nn.Module):
        def forward(self, X):
            return X[:1]

    class ToDouble(M.nn.Module):
        def forward(self, X):
            return X.double()

        def right_inverse(self, X):
            return X.double()

    return Symmetric, Scale, RankOne, Shrink, ToDouble


W33, B3, X23 = _arr(3, 3), _arr(3), _arr(2, 3)


def _custom_story(M):
    P = M.nn.utils.parametrize
    Symmetric, Scale, RankOne, Shrink, ToDouble = _custom_classes(M)
    out = []
    m = M.nn.Linear(3, 3)
    _load(M, m, {"weight": W33, "bias": B3})
    w_before = m.weight
    P.register_parametrization(m, "weight", Symmetric())
    out.append(repr(m))
    out.append([c.__name__ for c in type(m).__mro__[:2]])
    out.append(P.type_before_parametrizations(m).__name__)
    out.append((P.is_parametrized(m), P.is_parametrized(m, "weight"),
                P.is_parametrized(m, "bias")))
    out.append(m.parametrizations.weight.original is w_before)
    out.append(_params(m))
    out.append(_sd(m))
    out.append(m.weight.grad_fn.name())
    y = m(M.from_numpy(X23.copy()))
    out.append(_np(y))
    (y * y).sum().backward()
    out.append(_grads(m))
    # assigning goes through right_inverse into the same Parameter object
    m.weight = M.from_numpy(W33.copy())
    out.append((_np(m.parametrizations.weight.original), _np(m.weight)))
    out.append(m.parametrizations.weight.original is w_before)
    out.append(_err(lambda: setattr(m, "weight", M.nn.Parameter(M.zeros(3, 3)))))
    # chaining a second parametrization
    P.register_parametrization(m, "weight", Scale())
    out.append(repr(m.parametrizations))
    out.append(_np(m.weight))
    out.append(_err(lambda: setattr(m, "weight", M.zeros(3, 3))))
    out.append(_err(lambda: P.register_parametrization(m, "weight", Shrink())))
    out.append(_err(lambda: P.register_parametrization(m, "weight", ToDouble())))
    # removal: keeps the current value in the same object, restores the class
    P.remove_parametrizations(m, "weight")
    out.append((type(m).__name__, m.weight is w_before, _np(m.weight), list(m.state_dict())))
    out.append(hasattr(m, "parametrizations"))
    P.register_parametrization(m, "weight", Scale())
    P.remove_parametrizations(m, "weight", leave_parametrized=False)
    out.append(_np(m.weight))
    # errors
    out.append(_err(lambda: P.register_parametrization(m, "nope", Scale())))
    out.append(_err(lambda: P.remove_parametrizations(m, "weight")))
    out.append(_err(lambda: P.register_parametrization(M.nn.Linear(3, 3), "weight",
                                                       Shrink())))
    out.append(_err(lambda: P.register_parametrization(M.nn.Linear(3, 3), "weight",
                                                       ToDouble())))
    out.append(_err(lambda: P.register_parametrization(M.nn.Linear(3, 3), "weight",
                                                       ToDouble(), unsafe=True)))
    u = M.nn.Linear(3, 3)
    P.register_parametrization(u, "weight", Shrink(), unsafe=True)
    out.append(tuple(u.weight.shape))
    return out


def test_custom_parametrization_matches_torch():
    _same(_custom_story(tk), _custom_story(torch))


def _rank_one_story(M):
    P = M.nn.utils.parametrize
    RankOne = _custom_classes(M)[2]
    out = []
    m = M.nn.Linear(3, 3)
    _load(M, m, {"weight": W33, "bias": B3})
    P.register_parametrization(m, "weight", RankOne())
    out.append(_params(m))
    out.append(_sd(m))
    out.append(_np(m.weight))
    m(M.from_numpy(X23.copy())).pow(2).sum().backward()
    out.append(_grads(m))
    m.weight = M.from_numpy(W33.copy() * 2)
    out.append(_sd(m))
    out.append(_err(lambda: P.remove_parametrizations(m, "weight", leave_parametrized=False)))
    P.remove_parametrizations(m, "weight")
    out.append((type(m.weight).__name__, _params(m), _np(m.weight)))
    return out


def test_parametrization_with_several_originals_matches_torch():
    _same(_rank_one_story(tk), _rank_one_story(torch))


def _buffer_cache_story(M):
    P = M.nn.utils.parametrize
    Scale = _custom_classes(M)[1]
    out = []
    bn = M.nn.BatchNorm1d(3)
    P.register_parametrization(bn, "running_var", Scale())
    out.append(list(bn.state_dict()))
    out.append([n for n, _ in bn.named_buffers()])
    out.append(_np(bn.running_var))
    calls = []

    class Counting(M.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X + 1

    m = M.nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Counting())
    calls.clear()
    with P.cached():
        a = m.weight
        b = m.weight
        with P.cached():
            c = m.weight
        d = m.weight
    e = m.weight
    out.append((len(calls), a is b, a is c, a is d, a is e))
    m2 = copy.deepcopy(m)
    out.append((type(m2).__name__, type(m2) is type(m), list(m2.state_dict())))
    out.append(_err(lambda: pickle.dumps(m)))
    # transfer to a fresh module
    src = M.nn.Linear(3, 3)
    _load(M, src, {"weight": W33, "bias": B3})
    P.register_parametrization(src, "weight", _custom_classes(M)[0]())
    dst = M.nn.Linear(3, 3)
    P.transfer_parametrizations_and_params(src, dst)
    out.append((type(dst).__name__, list(dst.state_dict()), _np(dst.weight)))
    out.append(dst.parametrizations.weight.original is src.parametrizations.weight.original)
    # state dict round trip into a parametrized module
    fresh = M.nn.Linear(3, 3)
    P.register_parametrization(fresh, "weight", _custom_classes(M)[0]())
    out.append(repr(fresh.load_state_dict(src.state_dict())))
    out.append(_np(fresh.weight))
    return out


def test_buffers_cache_copy_transfer_match_torch():
    _same(_buffer_cache_story(tk), _buffer_cache_story(torch))


# -- parametrizations.weight_norm ------------------------------------------------------------
CONV_W, CONV_B, CONV_X = _arr(4, 2, 3, 3), _arr(4), _arr(2, 2, 5, 5)
LIN_W, LIN_B, LIN_X = _arr(4, 3), _arr(4), _arr(5, 3)
CT_B, CT_X = _arr(2), _arr(1, 4, 3, 3)


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_parametrization_matches_torch(kind, dim):
    def story(M):
        PZ = M.nn.utils.parametrizations
        if kind == "linear":
            m, vals, x = M.nn.Linear(3, 4), {"weight": LIN_W, "bias": LIN_B}, LIN_X
        else:
            m, vals, x = M.nn.Conv2d(2, 4, 3), {"weight": CONV_W, "bias": CONV_B}, CONV_X
        _load(M, m, vals)
        PZ.weight_norm(m, dim=dim)
        out = [repr(m), _params(m), _sd(m), m.weight.grad_fn.name(), _np(m.weight)]
        y = m(M.from_numpy(x.copy()))
        out.append(_np(y))
        (y * y).sum().backward()
        out.append(_grads(m))
        M.nn.utils.parametrize.remove_parametrizations(m, "weight")
        out.append((type(m).__name__, _params(m), _np(m.weight)))
        return out
    _same(story(tk), story(torch), rtol=1e-4, atol=1e-5)


def test_weight_norm_loads_old_state_dict_keys():
    g, v, b = np.abs(_arr(4, 1)), _arr(4, 3), _arr(4)

    def story(M):
        m = M.nn.Linear(3, 4)
        _load(M, m, {"weight": LIN_W, "bias": LIN_B})
        M.nn.utils.parametrizations.weight_norm(m)
        old = {"weight_g": M.from_numpy(g.copy()), "weight_v": M.from_numpy(v.copy()),
               "bias": M.from_numpy(b.copy())}
        res = m.load_state_dict(old)
        return [repr(res), _sd(m), _np(m.weight)]
    _same(story(tk), story(torch))


# -- parametrizations.spectral_norm ----------------------------------------------------------
def _copy_buffers(ours, theirs, names):
    """Give our module the buffers torch drew at random (by state-dict key)."""
    tsd = theirs.state_dict()
    _load(tk, ours, {k: tsd[k].numpy() for k in names})


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_spectral_norm_parametrization_matches_torch(kind):
    def build(M):
        if kind == "linear":
            m, vals, x = M.nn.Linear(3, 4), {"weight": LIN_W, "bias": LIN_B}, LIN_X
        elif kind == "conv":
            m, vals, x = M.nn.Conv2d(2, 4, 3), {"weight": CONV_W, "bias": CONV_B}, CONV_X
        else:
            m = M.nn.ConvTranspose2d(4, 2, 3)
            vals, x = {"weight": CONV_W, "bias": CT_B}, CT_X
        _load(M, m, vals)
        M.nn.utils.parametrizations.spectral_norm(m, n_power_iterations=2)
        return m, x

    theirs, x = build(torch)
    ours, _ = build(tk)
    _copy_buffers(ours, theirs, ["parametrizations.weight.0._u",
                                 "parametrizations.weight.0._v"])

    def story(M, m):
        out = [repr(m), _params(m), list(m.state_dict())]
        u = m.parametrizations.weight[0]._u
        v0 = u._version
        y = m(M.from_numpy(x.copy()))          # training: two more power iterations
        out += [_np(y), u._version - v0, m.parametrizations.weight[0]._u is u, _sd(m)]
        (y * y).sum().backward()
        out.append(_grads(m))
        m.eval()
        w1 = _np(m.weight)
        out.append((w1, _np(m.weight), u._version - v0))    # eval: no iteration
        M.nn.utils.parametrize.remove_parametrizations(m, "weight")
        out.append((list(m.state_dict()), _np(m.weight)))
        return out
    _same(story(tk, ours), story(torch, theirs), rtol=1e-4, atol=1e-5)


def test_spectral_norm_parametrization_vector_and_errors():
    def story(M):
        SN = M.nn.utils.parametrizations.spectral_norm
        m = M.nn.Linear(3, 4)
        _load(M, m, {"weight": LIN_W, "bias": LIN_B})
        SN(m, "bias")
        out = [list(m.state_dict()), _np(m.bias)]
        out.append(_err(lambda: SN(M.nn.Linear(3, 4), dim=2)))
        out.append(_err(lambda: SN(M.nn.Linear(3, 4), n_power_iterations=0)))
        out.append(_err(lambda: SN(M.nn.Linear(3, 4), "nope")))
        out.append(_err(lambda: M.nn.utils.parametrizations.weight_norm(M.nn.Linear(3, 4),
                                                                        "nope")))
        return out
    _same(story(tk), story(torch))


# -- parametrizations.orthogonal -------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
@pytest.mark.parametrize("omap", [None, "matrix_exp", "cayley", "householder"])
def test_orthogonal_matches_torch(shape, omap):
    W, X = _arr(*shape), _arr(2, shape[1])

    def build(M):
        m = M.nn.Linear(shape[1], shape[0], bias=False)
        _load(M, m, {"weight": W})
        M.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap)
        return m

    theirs = build(torch)
    ours = build(tk)
    # the base completes a random matrix when the weight is not square: take torch's
    _copy_buffers(ours, theirs, ["parametrizations.weight.original",
                                 "parametrizations.weight.0.base"])

    def story(M, m):
        out = [repr(m), _params(m), list(m.state_dict()), _np(m.weight)]
        out.append(m.parametrizations.weight[0].orthogonal_map.name)
        y = m(M.from_numpy(X.copy()))
        (y * y).sum().backward()
        out.append(_grads(m))
        return out
    _same(story(tk, ours), story(torch, theirs), rtol=1e-4, atol=1e-5)
    if shape[0] == shape[1]:          # no random numbers: the registration itself agrees
        _same(_sd(build(tk)), _sd(build(torch)), rtol=1e-4, atol=1e-5)


def test_orthogonal_without_trivialization_and_errors():
    W = _arr(4, 3)

    def story(M):
        orth = M.nn.utils.parametrizations.orthogonal
        m = M.nn.Linear(3, 4, bias=False)
        _load(M, m, {"weight": W})
        orth(m, orthogonal_map="householder", use_trivialization=False)
        out = [list(m.state_dict()), _sd(m), _np(m.weight)]
        m.weight = M.from_numpy(W.copy())
        out.append(_sd(m))
        e = M.nn.Linear(3, 3, bias=False)
        orth(e, orthogonal_map="cayley", use_trivialization=False)
        out.append(_err(lambda: setattr(e, "weight", M.eye(3))))
        out.append(_err(lambda: orth(M.nn.Linear(3, 4), "bias")))
        out.append(_err(lambda: orth(M.nn.Linear(3, 4), orthogonal_map="qr")))
        out.append(_err(lambda: orth(M.nn.Linear(3, 4), "nope")))
        sq = M.nn.Linear(3, 3, bias=False)
        orth(sq)
        out.append(_err(lambda: setattr(sq, "weight", M.zeros(4, 3))))
        return out
    _same(story(tk), story(torch), rtol=1e-4, atol=1e-5)


# -- the hook-based weight_norm / spectral_norm ----------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_old_weight_norm_matches_torch(dim):
    def story(M):
        m = M.nn.Conv2d(2, 4, 3)
        _load(M, m, {"weight": CONV_W, "bias": CONV_B})
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            M.nn.utils.weight_norm(m, dim=dim)
        out = [[(w.category.__name__, str(w.message)) for w in rec]]
        out += [repr(m), _params(m), _sd(m), m.weight.grad_fn.name()]
        y = m(M.from_numpy(CONV_X.copy()))
        (y * y).sum().backward()
        out += [_np(y), _grads(m)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(_err(lambda: M.nn.utils.weight_norm(m, dim=dim)))
        M.nn.utils.remove_weight_norm(m)
        out += [_params(m), _np(m.weight), len(m._forward_pre_hooks)]
        out.append(_err(lambda: M.nn.utils.remove_weight_norm(m)))
        return out
    _same(story(tk), story(torch), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["linear", "convT"])
def test_old_spectral_norm_matches_torch(kind):
    def build(M):
        if kind == "linear":
            m, vals = M.nn.Linear(3, 4), {"weight": LIN_W, "bias": LIN_B}
        else:
            m, vals = M.nn.ConvTranspose2d(4, 2, 3), {"weight": CONV_W, "bias": CT_B}
        _load(M, m, vals)
        M.nn.utils.spectral_norm(m)
        return m

    theirs = build(torch)
    ours = build(tk)
    _copy_buffers(ours, theirs, ["weight_u", "weight_v"])
    x = LIN_X if kind == "linear" else CT_X

    def story(M, m):
        out = [repr(m), _params(m), list(m.state_dict()),
               dict(m.state_dict()._metadata[""]), m.weight.requires_grad]
        y = m(M.from_numpy(x.copy()))
        (y * y).sum().backward()
        out += [_np(y), _sd(m), _grads(m), m.weight.grad_fn.name()]
        m.eval()
        m(M.from_numpy(x.copy()))
        out.append(_sd(m))
        out.append(_err(lambda: M.nn.utils.spectral_norm(m)))
        M.nn.utils.remove_spectral_norm(m)
        out += [_params(m), _sd(m), dict(m.state_dict()._metadata[""]),
                len(m._forward_pre_hooks), len(m._load_state_dict_pre_hooks)]
        out.append(_err(lambda: M.nn.utils.remove_spectral_norm(m)))
        out.append(_err(lambda: M.nn.utils.spectral_norm(M.nn.Linear(2, 2, bias=False),
                                                         "bias")))
        out.append(_err(lambda: M.nn.utils.spectral_norm(M.nn.Linear(2, 2),
                                                         n_power_iterations=0)))
        return out
    _same(story(tk, ours), story(torch, theirs), rtol=1e-4, atol=1e-5)


def test_old_spectral_norm_converts_version_0_state_dict():
    def story(M):
        m = M.nn.Linear(3, 4)
        M.nn.utils.spectral_norm(m)
        sd = {"weight_orig": M.from_numpy(LIN_W.copy()), "bias": M.from_numpy(LIN_B.copy()),
              "weight": M.from_numpy(LIN_W.copy() / 2.5),
              "weight_u": M.from_numpy(np.array([0.5, 0.5, 0.5, 0.5], np.float32))}
        res = m.load_state_dict(sd)
        return [repr(res), _sd(m)]
    _same(story(tk), story(torch), rtol=1e-4, atol=1e-5)


# -- prune -------------------------------------------------------------------------------------
def _prune_story(M):
    prune = M.nn.utils.prune
    out = []
    m = M.nn.Conv2d(2, 4, 3)
    _load(M, m, {"weight": CONV_W, "bias": CONV_B})
    w = m.weight
    out.append(prune.is_pruned(m))
    prune.l1_unstructured(m, "weight", amount=0.3)
    out += [prune.is_pruned(m), _params(m), list(m.state_dict()), _sd(m), _np(m.weight)]
    out.append(m.weight_orig is w)
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)     # combined in a container
    hook = next(iter(m._forward_pre_hooks.values()))
    out += [type(hook).__name__, len(hook), [type(h).__name__ for h in hook]]
    out.append(_np(m.weight_mask))
    y = m(M.from_numpy(CONV_X.copy()))
    (y * y).sum().backward()
    out += [_np(y), _grads(m), m.weight.grad_fn.name()]
    prune.l1_unstructured(m, "bias", amount=2, importance_scores=M.from_numpy(
        np.array([4.0, 1.0, 3.0, 2.0], np.float32)))
    out.append(_np(m.bias_mask))
    prune.remove(m, "weight")
    out += [_params(m), list(m.state_dict()), m.weight is w, _np(m.weight)]
    out.append(_err(lambda: prune.remove(m, "weight")))
    prune.identity(m, "weight")
    out.append(_np(m.weight_mask))
    # global pruning over two layers
    a, b = M.nn.Linear(3, 4), M.nn.Linear(4, 3)
    _load(M, a, {"weight": LIN_W, "bias": LIN_B})
    _load(M, b, {"weight": LIN_W.T.copy() * 0.5, "bias": LIN_B[:3].copy()})
    prune.global_unstructured([(a, "weight"), (b, "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.5)
    out += [_np(a.weight_mask), _np(b.weight_mask), _np(b.weight)]
    out.append(type(next(iter(a._forward_pre_hooks.values()))).__name__)
    prune.custom_from_mask(b, "bias", M.from_numpy(np.array([1.0, 0.0, 1.0], np.float32)))
    out.append(_np(b.bias))
    # random: only the number of pruned entries is comparable
    r = M.nn.Linear(5, 4)
    prune.random_unstructured(r, "weight", amount=0.25)
    prune.random_structured(r, "weight", amount=2, dim=1)
    out.append(int((r.weight_mask == 0).sum()) >= 5)
    out.append(int((r.weight_mask.sum(0) == 0).sum()))
    # errors
    lin = M.nn.Linear(3, 4)
    out.append(_err(lambda: prune.l1_unstructured(lin, "weight", amount=1.5)))
    out.append(_err(lambda: prune.l1_unstructured(lin, "weight", amount=-1)))
    out.append(_err(lambda: prune.l1_unstructured(lin, "weight", amount="x")))
    out.append(_err(lambda: prune.l1_unstructured(lin, "weight", amount=20)))
    out.append(_params(lin))        # a failed pruning leaves the module as it was
    out.append(_err(lambda: prune.ln_structured(lin, "bias", amount=1, n=1, dim=0)))
    out.append(_err(lambda: prune.ln_structured(lin, "weight", amount=1, n=1, dim=2)))
    out.append(_err(lambda: prune.global_unstructured(
        [(lin, "weight")], pruning_method=prune.LnStructured, amount=1, n=1, dim=0)))
    return out


def test_prune_matches_torch():
    _same(_prune_story(tk), _prune_story(torch), rtol=1e-4, atol=1e-5)


def test_weight_norm_ops_at_top_level_like_torch():
    """``torch._weight_norm`` / ``_weight_norm_interface`` / ``norm_except_dim``: the weight
    records WeightNormInterfaceBackward0, the norms are not differentiable (a leaf)."""
    def run(M):
        v = M.tensor([[1., 2., 2.], [0., 3., 4.]], requires_grad=True)
        g = M.tensor([[2.], [0.5]], requires_grad=True)
        w, n = M._weight_norm_interface(v, g, 0)
        return (w.tolist(), n.tolist(), type(w.grad_fn).__name__, n.requires_grad, n.is_leaf,
                type(M._weight_norm(v, g, 0).grad_fn).__name__,
                M.norm_except_dim(v, 2, 1).tolist())
    assert run(tk) == run(torch)
