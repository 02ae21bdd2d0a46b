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
    # values to 6 digits: float32 exp differs from PyTorch's in the last bit (numpy's kernel)
    values = np.round(np.asarray(o.tolist(), dtype=np.float64), 6).tolist()
    return ("ok", r is o, tuple(o.shape), o.stride(), str(o.dtype), values, o._version,
            warned)


@pytest.mark.parametrize("out_kind", sorted(OUTS))
@pytest.mark.parametrize("name", sorted(CALLS))
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
