"""``out=`` against PyTorch (Note [Resizing out], tensor/_out.py): for the functions that take
``out=``, with an ``out`` that is empty, of another shape, of the right shape, or of another
dtype, the same outcome — ``out`` returned and written, its shape, strides, values, version,
the resize warning — or the same error type and message start.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

def _spd(M):
    return M.tensor([[4., 1., 0.], [1., 3., 1.], [0., 1., 2.]])


# name -> call(M, out); the inputs are float32
CALLS = {
    "add": lambda M, o: M.add(M.ones(2, 3), 1, out=o),
    "exp": lambda M, o: M.exp(M.ones(2, 3), out=o),
    "eq": lambda M, o: M.eq(M.ones(2, 3), 1, out=o),
    "sum": lambda M, o: M.sum(M.ones(2, 3), 1, out=o),
    "prod": lambda M, o: M.prod(M.arange(6.).view(2, 3), 1, out=o),
    "cumsum": lambda M, o: M.cumsum(M.ones(2, 3), 1, out=o),
    "mean": lambda M, o: M.mean(M.arange(6.).view(2, 3), 1, out=o),
    "var": lambda M, o: M.var(M.arange(6.).view(2, 3), 1, out=o),
    "amax": lambda M, o: M.amax(M.arange(6.).view(2, 3), 1, out=o),
    "logsumexp": lambda M, o: M.logsumexp(M.ones(2, 3), 1, out=o),
    "matmul": lambda M, o: M.matmul(M.ones(2, 3), M.ones(3, 2), out=o),
    "mm": lambda M, o: M.mm(M.ones(2, 3), M.ones(3, 2), out=o),
    "bmm": lambda M, o: M.bmm(M.ones(1, 2, 3), M.ones(1, 3, 2), out=o),
    "mv": lambda M, o: M.mv(M.ones(2, 3), M.ones(3), out=o),
    "dot": lambda M, o: M.dot(M.ones(3), M.ones(3), out=o),
    "outer": lambda M, o: M.outer(M.ones(2), M.ones(3), out=o),
    "addmm": lambda M, o: M.addmm(M.ones(2, 2), M.ones(2, 3), M.ones(3, 2), out=o),
    "index_select": lambda M, o: M.index_select(M.ones(3, 2), 0, M.tensor([0, 2]), out=o),
    "gather": lambda M, o: M.gather(M.ones(3, 2), 0, M.tensor([[0, 1]]), out=o),
    "where": lambda M, o: M.where(M.ones(3) > 0, M.ones(3), M.zeros(3), out=o),
    "tril": lambda M, o: M.tril(M.ones(3, 3), out=o),
    "softmax": lambda M, o: M.softmax(M.ones(2, 3), 1, out=o),
    "masked_select": lambda M, o: M.masked_select(M.ones(2, 3), M.ones(2, 3) > 0, out=o),
    "take": lambda M, o: M.take(M.ones(2, 3), M.tensor([0, 4]), out=o),
    "nonzero": lambda M, o: M.nonzero(M.ones(2, 2), out=o),
    "all": lambda M, o: M.all(M.ones(2, 3), 1, out=o),
    "argmax": lambda M, o: M.argmax(M.arange(6.).view(2, 3), 1, out=o),
    "diag": lambda M, o: M.diag(M.ones(3), out=o),
    "lerp": lambda M, o: M.lerp(M.ones(3), M.zeros(3), 0.25, out=o),
    "fmax": lambda M, o: M.fmax(M.ones(3), M.zeros(3), out=o),
    "cat": lambda M, o: M.cat([M.ones(2), M.ones(3)], out=o),
    "stack": lambda M, o: M.stack([M.ones(2), M.ones(2)], out=o),
    "max_full": lambda M, o: M.max(M.arange(6.).view(2, 3), out=o),
    "zeros": lambda M, o: M.zeros(2, 2, out=o),
    "full": lambda M, o: M.full((3,), 2.0, out=o),
    # factories computing in out's dtype
    "arange": lambda M, o: M.arange(5, out=o),
    "arange_float": lambda M, o: M.arange(0., 2., 0.5, out=o) if o.dtype.is_floating_point
    else M.arange(1, 4, out=o),
    "range": lambda M, o: M.range(0, 4, out=o),
    "linspace": lambda M, o: M.linspace(0, 1, 5, out=o),
    "logspace": lambda M, o: M.logspace(0, 1, 5, out=o),
    "eye": lambda M, o: M.eye(2, 3, out=o),
    # products and reductions
    "inner": lambda M, o: M.inner(M.ones(2, 3), M.ones(3), out=o),
    "vdot": lambda M, o: M.vdot(M.ones(3), M.ones(3), out=o),
    "addr": lambda M, o: M.addr(M.ones(2, 3), M.ones(2), M.ones(3), out=o),
    "addbmm": lambda M, o: M.addbmm(M.ones(2, 2), M.ones(2, 2, 3), M.ones(2, 3, 2), out=o),
    "ger": lambda M, o: M.ger(M.ones(2), M.ones(3), out=o),
    "tensordot": lambda M, o: M.tensordot(M.ones(2, 3), M.ones(3, 2), 1, out=o),
    "logcumsumexp": lambda M, o: M.logcumsumexp(M.ones(2, 3), 1, out=o),
    "matrix_power": lambda M, o: M.matrix_power(_spd(M), 2, out=o),
    "renorm": lambda M, o: M.renorm(M.arange(6.).view(2, 3), 2, 0, 1.0, out=o),
    "take_along_dim": lambda M, o: M.take_along_dim(M.arange(6.).view(2, 3),
                                                    M.tensor([[0], [2]]), 1, out=o),
    "float_power": lambda M, o: M.float_power(M.ones(3), 2, out=o),
    "left_shift": lambda M, o: M.bitwise_left_shift(M.tensor([1, 2]), 1, out=o),
    "right_shift": lambda M, o: M.bitwise_right_shift(M.tensor([4, 8]), 1, out=o),
    "searchsorted": lambda M, o: M.searchsorted(M.tensor([1., 2., 3.]), M.tensor([2.5]), out=o),
    "bucketize": lambda M, o: M.bucketize(M.tensor([2.5, 0.]), M.tensor([1., 2., 3.]), out=o),
    "histc": lambda M, o: M.histc(M.tensor([1., 2., 1.]), 4, 0, 3, out=o),
    "quantile": lambda M, o: M.quantile(M.arange(6.).view(2, 3), 0.5, 1, out=o),
    "nanquantile": lambda M, o: M.nanquantile(M.arange(6.).view(2, 3), 0.5, 1, out=o),
    "cross": lambda M, o: M.cross(M.eye(3), M.ones(3, 3), dim=1, out=o),
    "narrow_copy": lambda M, o: M.narrow_copy(M.arange(6.), 0, 1, 3, out=o),
    "permute_copy": lambda M, o: M.permute_copy(M.ones(2, 3), (1, 0), out=o),
    "conj_physical": lambda M, o: M.conj_physical(M.ones(3), out=o),
    # stacking (PyTorch's cat writes the result)
    "hstack": lambda M, o: M.hstack([M.ones(2), M.ones(3)], out=o),
    "vstack": lambda M, o: M.vstack([M.ones(2), M.ones(2)], out=o),
    "dstack": lambda M, o: M.dstack([M.ones(2), M.ones(2)], out=o),
    "column_stack": lambda M, o: M.column_stack([M.ones(2), M.ones(2)], out=o),
    "row_stack": lambda M, o: M.row_stack([M.ones(2), M.ones(2)], out=o),
    "concatenate": lambda M, o: M.concatenate([M.ones(2), M.ones(3)], out=o),
    # linear algebra
    "cholesky": lambda M, o: M.cholesky(_spd(M), out=o),
    "cholesky_inverse": lambda M, o: M.cholesky_inverse(M.linalg.cholesky(_spd(M)), out=o),
    "cholesky_solve": lambda M, o: M.cholesky_solve(M.ones(3, 1), M.linalg.cholesky(_spd(M)),
                                                    out=o),
    "inverse": lambda M, o: M.inverse(_spd(M), out=o),
    "lu_solve": lambda M, o: M.lu_solve(M.ones(3, 1), *M.linalg.lu_factor(_spd(M)), out=o),
    "linalg.det": lambda M, o: M.linalg.det(_spd(M), out=o),
    "linalg.inv": lambda M, o: M.linalg.inv(_spd(M), out=o),
    "linalg.solve": lambda M, o: M.linalg.solve(_spd(M), M.ones(3), out=o),
    "linalg.cholesky": lambda M, o: M.linalg.cholesky(_spd(M), out=o),
    "linalg.svdvals": lambda M, o: M.linalg.svdvals(_spd(M), out=o),
    "linalg.eigvalsh": lambda M, o: M.linalg.eigvalsh(_spd(M), out=o),
    "linalg.pinv": lambda M, o: M.linalg.pinv(_spd(M), out=o),
    "linalg.matrix_power": lambda M, o: M.linalg.matrix_power(_spd(M), 2, out=o),
    "linalg.matrix_rank": lambda M, o: M.linalg.matrix_rank(_spd(M), out=o),
    "linalg.solve_triangular": lambda M, o: M.linalg.solve_triangular(
        _spd(M).triu(), M.ones(3, 1), upper=True, out=o),
    "linalg.cross": lambda M, o: M.linalg.cross(M.eye(3), M.ones(3, 3), out=o),
    "linalg.multi_dot": lambda M, o: M.linalg.multi_dot([M.ones(2, 3), M.ones(3, 2)], out=o),
    "linalg.vecdot": lambda M, o: M.linalg.vecdot(M.ones(2, 3), M.ones(3), out=o),
    "linalg.vector_norm": lambda M, o: M.linalg.vector_norm(M.ones(2, 3), out=o),
    "linalg.matrix_norm": lambda M, o: M.linalg.matrix_norm(M.ones(2, 3), out=o),
    "linalg.norm": lambda M, o: M.linalg.norm(M.ones(2, 3), out=o),
    "linalg.tensorinv": lambda M, o: M.linalg.tensorinv(_spd(M), 1, out=o),
    "linalg.tensorsolve": lambda M, o: M.linalg.tensorsolve(_spd(M), M.ones(3), out=o),
    "linalg.cond": lambda M, o: M.linalg.cond(_spd(M), out=o),
    "linalg.householder_product": lambda M, o: M.linalg.householder_product(
        M.eye(3), M.zeros(2), out=o),
    "linalg.matmul": lambda M, o: M.linalg.matmul(M.ones(2, 3), M.ones(3, 2), out=o),
    "linalg.ldl_solve": lambda M, o: M.linalg.ldl_solve(*M.linalg.ldl_factor(_spd(M)),
                                                        M.ones(3, 1), out=o),
    "linalg.lu_solve": lambda M, o: M.linalg.lu_solve(*M.linalg.lu_factor(_spd(M)),
                                                      M.ones(3, 1), out=o),
}
# PyTorch quirks not copied: (name, out kind) -> reason
QUIRKS = {
    ("left_shift", "other_shape"): "PyTorch warns twice about the one resize",
    ("right_shift", "other_shape"): "PyTorch warns twice about the one resize",
}
OUTS = {
    "empty": lambda M, dt: M.empty(0, dtype=dt),
    "other_shape": lambda M, dt: M.zeros(7, dtype=dt),
    "float64": lambda M, dt: M.empty(0, dtype=M.float64),
    "int64": lambda M, dt: M.empty(0, dtype=M.int64),
    "bool": lambda M, dt: M.empty(0, dtype=M.bool),
}


def _outcome(M, call, make_out):
    dt = M.float32
    o = make_out(M, dt)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = call(M, o)
        except (RuntimeError, TypeError) as e:
            return type(e).__name__, str(e).split("\n")[0].split(" Hint:")[0]
    warned = [str(x.message)[:100] for x in w if "resized" in str(x.message)]
    # values to 5 digits: float32 results differ from PyTorch's in the last bits (numpy's
    # kernels, LAPACK's order of operations)
    values = np.round(np.asarray(o.tolist(), dtype=np.float64), 5).tolist()
    return ("ok", r is o, tuple(o.shape), o.stride(), str(o.dtype), values, o._version,
            warned)


def _grid(names, kinds, quirks):
    """(name, kind) cases; a PyTorch quirk not copied is a strict xfail."""
    return [pytest.param(n, k, marks=[pytest.mark.xfail(strict=True, reason=quirks[n, k])]
                         if (n, k) in quirks else []) for n in names for k in kinds]


@pytest.mark.parametrize("name, out_kind", _grid(sorted(CALLS), sorted(OUTS), QUIRKS))
def test_out_matches_torch(name, out_kind):
    ours = _outcome(tk, CALLS[name], OUTS[out_kind])
    theirs = _outcome(torch, CALLS[name], OUTS[out_kind])
    if ours[0] != "ok" and theirs[0] != "ok":
        assert ours[0] == theirs[0] and ours[1].startswith(theirs[1]), (ours, theirs)
    else:
        assert ours == theirs


def _pairs(M):
    """(values, indices) outs: returned as torch.return_types.<name>_out, resized, bumped."""
    res = []
    for call in (lambda v, i: M.sort(M.tensor([3., 1., 2.]), out=(v, i)),
                 lambda v, i: M.max(M.arange(6.).view(2, 3), 1, out=(v, i)),
                 lambda v, i: M.topk(M.tensor([3., 1., 2.]), 2, out=(v, i))):
        v, i = M.empty(0), M.empty(0, dtype=M.long)
        r = call(v, i)
        res.append((type(r).__name__, r[0] is v, r.indices is i, v.tolist(), i.tolist(),
                    v._version, i._version))
        for bad in ((M.empty(0, dtype=M.float64), M.empty(0, dtype=M.long)),
                    (M.empty(0), M.empty(0))):
            try:
                call(*bad)
                res.append("ok")
            except RuntimeError as e:
                res.append(str(e).split(" Hint:")[0])
    return res


def _grad_refused(M):
    res = []
    a = M.ones(3, requires_grad=True)
    for call in (lambda o: M.neg(a, out=o), lambda o: M.sum(a, 0, out=o),
                 lambda o: M.mm(a[None], a[:, None], out=o)):
        try:
            call(M.empty(0))
            res.append("ok")
        except RuntimeError as e:
            res.append(str(e).split(" Hint:")[0])
        with M.no_grad():
            o = M.empty(0)
            call(o)
            res.append((o.tolist(), o.requires_grad, o._version))
    return res


def _views_and_layout(M):
    res = []
    base = M.zeros(10)
    o = base[:5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        M.add(M.ones(3), 1, out=o)           # shrinks inside its base: still a view of it
    res.append((tuple(o.shape), base.tolist(), base._version, o._version))
    t = M.zeros(2, 3).t()                     # right shape: written in its own layout
    M.sum(M.ones(3, 2, 4), 2, out=t)
    res.append((t.stride(), t.tolist(), t._version))
    x = M.ones(3)
    M.neg(x, out=x)
    res.append((x.tolist(), x._version))
    return res


def _inference_out(M):
    """Refused outside inference mode (PyTorch resizes ``out`` before refusing; here a failed
    call changes nothing, so the shape is not compared)."""
    with M.inference_mode():
        o = M.empty(0)
    try:
        M.sum(M.ones(2, 3), 1, out=o)
        return "ok"
    except RuntimeError as e:
        return str(e).split(" Hint:")[0]


@pytest.mark.parametrize("case", [_pairs, _grad_refused, _views_and_layout, _inference_out],
                         ids=lambda f: f.__name__)
def test_out_rules_match_torch(case):
    assert case(tk) == case(torch)


def _x(M):
    return M.tensor([[3., 1., 2.], [0., 5., 4.]])


# functions returning several tensors: name -> (call(M, outs), the outs' dtypes, fields)
TUPLES = {
    "cummax": (lambda M, o: M.cummax(_x(M), 1, out=o), "fl", ("values", "indices")),
    "cummin": (lambda M, o: M.cummin(_x(M), 1, out=o), "fl", ("values", "indices")),
    "median": (lambda M, o: M.median(_x(M), 1, out=o), "fl", ("values", "indices")),
    "nanmedian": (lambda M, o: M.nanmedian(_x(M), 1, out=o), "fl", ("values", "indices")),
    "kthvalue": (lambda M, o: M.kthvalue(_x(M), 2, 1, out=o), "fl", ("values", "indices")),
    "mode": (lambda M, o: M.mode(_x(M), 1, out=o), "fl", ("values", "indices")),
    "aminmax": (lambda M, o: M.aminmax(_x(M), dim=1, out=o), "ff", ("min", "max")),
    "frexp": (lambda M, o: M.frexp(_x(M), out=o), "fi", ("mantissa", "exponent")),
    "histogram": (lambda M, o: M.histogram(M.tensor([1., 2., 1.]), 3, out=o), "ff",
                  ("hist", "bin_edges")),
    "triangular_solve": (lambda M, o: M.triangular_solve(M.ones(3, 1), _spd(M).triu(), out=o),
                         "ff", ("solution", "cloned_coefficient")),
    "svd": (lambda M, o: M.svd(_spd(M), out=o), "fff", ("U", "S", "V")),
    "qr": (lambda M, o: M.qr(_spd(M), out=o), "ff", ("Q", "R")),
    "slogdet": (lambda M, o: M.slogdet(_spd(M), out=o), "ff", ("sign", "logabsdet")),
    "lu_unpack": (lambda M, o: M.lu_unpack(*M.linalg.lu_factor(_spd(M)), out=o), "fff",
                  ("P", "L", "U")),
    "linalg.slogdet": (lambda M, o: M.linalg.slogdet(_spd(M), out=o), "ff",
                       ("sign", "logabsdet")),
    "linalg.inv_ex": (lambda M, o: M.linalg.inv_ex(_spd(M), out=o), "fi", ("inverse", "info")),
    "linalg.solve_ex": (lambda M, o: M.linalg.solve_ex(_spd(M), M.ones(3), out=o), "fi",
                        ("result", "info")),
    "linalg.cholesky_ex": (lambda M, o: M.linalg.cholesky_ex(_spd(M), out=o), "fi",
                           ("L", "info")),
    "linalg.qr": (lambda M, o: M.linalg.qr(_spd(M), out=o), "ff", ("Q", "R")),
    "linalg.svd": (lambda M, o: M.linalg.svd(_spd(M), out=o), "fff", ("U", "S", "Vh")),
    "linalg.eigh": (lambda M, o: M.linalg.eigh(_spd(M), out=o), "ff",
                    ("eigenvalues", "eigenvectors")),
    "linalg.lu_factor": (lambda M, o: M.linalg.lu_factor(_spd(M), out=o), "fi",
                         ("LU", "pivots")),
    "linalg.lu_factor_ex": (lambda M, o: M.linalg.lu_factor_ex(_spd(M), out=o), "fii",
                            ("LU", "pivots", "info")),
    "linalg.lu": (lambda M, o: M.linalg.lu(_spd(M), out=o), "fff", ("P", "L", "U")),
    "linalg.ldl_factor": (lambda M, o: M.linalg.ldl_factor(_spd(M), out=o), "fi",
                          ("LD", "pivots")),
    "linalg.ldl_factor_ex": (lambda M, o: M.linalg.ldl_factor_ex(_spd(M), out=o), "fii",
                             ("LD", "pivots", "info")),
    "linalg.lstsq": (lambda M, o: M.linalg.lstsq(_spd(M), M.ones(3, 1), out=o), "fflf",
                     ("solution", "residuals", "rank", "singular_values")),
}
_TUPLE_DTYPES = {"f": "float32", "l": "int64", "i": "int32"}
# PyTorch quirks not copied: name -> reason
TUPLE_QUIRKS = {"svd": "PyTorch bumps the version of svd's V out twice"}


def _tuple_outcome(M, call, kinds, fields, bad=None):
    dts = [getattr(M, _TUPLE_DTYPES[k]) for k in kinds]
    if bad is not None:
        dts[bad[0]] = getattr(M, bad[1])
    outs = tuple(M.empty(0, dtype=d) for d in dts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = call(M, outs)
        except (RuntimeError, TypeError) as e:
            return type(e).__name__, str(e).split("\n")[0].split(" Hint:")[0]
    values = [np.round(np.asarray(o.tolist(), dtype=np.float64), 4).tolist() for o in outs]
    return ("ok", type(r).__module__, type(r).__name__, [getattr(r, f) is o for f, o in
                                                         zip(fields, outs)],
            [tuple(o.shape) for o in outs], [o.stride() for o in outs], values,
            [o._version for o in outs])


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=TUPLE_QUIRKS[n])]
                 if n in TUPLE_QUIRKS else []) for n in sorted(TUPLES)])
def test_tuple_outs_match_torch(name):
    """Each out returned under its field name in ``torch.return_types.<name>_out``, written,
    laid out and bumped as PyTorch does; an out of another dtype refused in PyTorch's words
    (or written, where PyTorch casts)."""
    call, kinds, fields = TUPLES[name]
    cases = [None] + [(i, bad) for i, k in enumerate(kinds)
                      for bad in ("float64", "int64", "bool")
                      if bad != _TUPLE_DTYPES[k]
                      # (PyTorch fails an internal assert: a float64 singular_values out)
                      and not (name == "linalg.lstsq" and i == 3)]
    for case in cases:
        ours = _tuple_outcome(tk, call, kinds, fields, case)
        theirs = _tuple_outcome(torch, call, kinds, fields, case)
        if ours[0] != "ok" and theirs[0] != "ok":
            assert ours[0] == theirs[0] and ours[1].startswith(theirs[1]), (case, ours, theirs)
        elif case is None or theirs[0] != "ok":
            assert ours == theirs, case
        else:   # written with a cast: PyTorch's layout of a cast result is not compared
            assert ours[:5] + ours[6:] == theirs[:5] + theirs[6:], case


# random factories: name -> call(M, out)
RANDOM = {
    "rand": lambda M, o: M.rand(3, out=o),
    "randn": lambda M, o: M.randn(3, out=o),
    "randint": lambda M, o: M.randint(3, (2,), out=o),
    "randperm": lambda M, o: M.randperm(3, out=o),
    "normal": lambda M, o: M.normal(0., 1., (2,), out=o),
    "empty": lambda M, o: M.empty(2, 3, out=o),
}
RANDOM_QUIRKS = {("randn", "float32"): "PyTorch bumps randn's out twice",
                 ("randn", "float64"): "PyTorch bumps randn's out twice"}


@pytest.mark.parametrize("name, dtype", _grid(
    sorted(RANDOM), ["float32", "float64", "int64", "int32", "bool"], RANDOM_QUIRKS))
def test_random_outs_match_torch(name, dtype):
    """The values are random: the same shape, dtype, version, warning or error."""

    def outcome(M):
        o = M.zeros(7, dtype=getattr(M, dtype))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = RANDOM[name](M, o)
            except (RuntimeError, TypeError, NotImplementedError) as e:
                return type(e).__name__, str(e).split("\n")[0].split(" Hint:")[0]
        return r is o, tuple(o.shape), o.stride(), str(o.dtype), o._version, len(w)
    assert outcome(tk) == outcome(torch)
