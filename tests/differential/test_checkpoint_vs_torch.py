"""``tensor.utils.checkpoint`` side by side with ``torch.utils.checkpoint`` (skipped without
torch): one program (both variants, warnings, errors, gradients, random-state replay,
``checkpoint_sequential``, retain_graph, non-determinism detection) prints the same lines."""

from __future__ import annotations

import contextlib
import io
import textwrap

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

PROGRAM = textwrap.dedent(r'''
import warnings
CP = M.utils.checkpoint
def show(w): return [str(x.message)[:70] for x in w]
def f(x, y):
    return (x.sin() * y).exp().sum(0)
def run(reentrant, **kw):
    x = M.tensor([[0.1, 0.2], [0.3, -0.4]], dtype=M.float64, requires_grad=True)
    y = M.tensor([1.5, -0.5], dtype=M.float64, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        flag = {} if reentrant is None else {"use_reentrant": reentrant}
        out = CP.checkpoint(f, x, y, **flag, **kw)
    print(type(out.grad_fn).__name__, out.requires_grad, show(w))
    out.sum().backward()
    x2 = x.detach().requires_grad_(); y2 = y.detach().requires_grad_()
    f(x2, y2).sum().backward()
    print(M.allclose(x.grad, x2.grad), M.allclose(y.grad, y2.grad), x.grad.tolist())
run(None); run(True); run(False)
# no input requires grad
for r in (True, False):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = CP.checkpoint(lambda a: a * 2, M.ones(2), use_reentrant=r)
    print(r, out.requires_grad, show(w))
# parameter only
lin = M.nn.Linear(2, 2)
for r in (True, False):
    lin.zero_grad()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = CP.checkpoint(lin, M.ones(1, 2), use_reentrant=r)
    print(r, out.requires_grad, show(w))
    if out.requires_grad:
        out.sum().backward(); print(lin.weight.grad.tolist())
# kwargs
try: CP.checkpoint(f, M.ones(2), use_reentrant=True, y=M.ones(2))
except Exception as e: print(type(e).__name__, e)
print(CP.checkpoint(f, M.ones(2, 2, requires_grad=True), use_reentrant=False, y=M.ones(2)).shape)
try: CP.checkpoint(f, M.ones(2), M.ones(2), use_reentrant=True, debug=True)
except Exception as e: print(type(e).__name__, e)
try: CP.checkpoint(f, M.ones(2), M.ones(2), use_reentrant=False, determinism_check="x")
except Exception as e: print(type(e).__name__, e)
# autograd.grad
x = M.ones(2, 2, dtype=M.float64, requires_grad=True); y = M.ones(2, dtype=M.float64)
try: print(M.autograd.grad(CP.checkpoint(f, x, y, use_reentrant=True).sum(), x))
except Exception as e: print(type(e).__name__, str(e)[:80])
print(M.autograd.grad(CP.checkpoint(f, x, y, use_reentrant=False).sum(), x)[0].tolist())
# dropout rng preserved
M.manual_seed(0)
x = M.ones(50, requires_grad=True)
for r in (True, False):
    out = CP.checkpoint(lambda a: M.nn.functional.dropout(a, 0.5) * a, x, use_reentrant=r)
    x.grad = None; out.sum().backward(); print(r, M.equal(x.grad, 2 * out.detach()))
# sequential
seq = M.nn.Sequential(M.nn.Linear(3, 4), M.nn.Tanh(), M.nn.Linear(4, 4), M.nn.Tanh(),
                      M.nn.Linear(4, 1))
inp = M.ones(2, 3, requires_grad=True)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    o = CP.checkpoint_sequential(seq, 2, inp)
print(type(o.grad_fn).__name__, show(w))
o.sum().backward(); g1 = inp.grad.clone(); inp.grad = None
seq(inp).sum().backward(); print(M.allclose(g1, inp.grad))
o = CP.checkpoint_sequential(seq, 3, inp, use_reentrant=False); print(type(o.grad_fn).__name__)
try: CP.checkpoint_sequential(seq, 2, inp, use_reentrant=False, foo=1)
except Exception as e: print(type(e).__name__, e)
# retain_graph twice non-reentrant
x = M.ones(2, 2, dtype=M.float64, requires_grad=True); y = M.ones(2, dtype=M.float64)
out = CP.checkpoint(f, x, y, use_reentrant=False).sum()
out.backward(retain_graph=True); out.backward(); print(x.grad.tolist())
# no_grad
with M.no_grad():
    print(CP.checkpoint(f, x, y, use_reentrant=False).requires_grad,
          CP.checkpoint(f, x, y, use_reentrant=True).requires_grad)
# nondeterministic shapes
n = [0]
def g(a):
    n[0] += 1
    return (a[: n[0]] * 2).exp().sum()
a = M.ones(4, requires_grad=True)
try: CP.checkpoint(g, a, use_reentrant=False).backward()
except Exception as e: print(type(e).__name__, str(e).split("\n")[0:3])
print(CP.detach_variable((M.ones(1, requires_grad=True), 3))[0].requires_grad)
try: CP.detach_variable([M.ones(1)])
except Exception as e: print(type(e).__name__, e)
''')


def _run(M):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(PROGRAM, {"M": M, "__name__": "prog"})
    return out.getvalue().splitlines()


def test_checkpoint_program_matches_torch():
    ours, theirs = _run(tk), _run(torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == b


def _activation_alive(M, reentrant):
    """Whether an intermediate tensor made inside the checkpointed function outlives the
    forward (None: no checkpoint)."""
    import weakref
    refs = []

    def fn(x):
        h = x.sin()
        refs.append(weakref.ref(h))
        return (h * h).sum()

    x = M.ones(3, dtype=M.float64, requires_grad=True)
    if reentrant is None:
        out = fn(x)
    else:
        out = M.utils.checkpoint.checkpoint(fn, x, use_reentrant=reentrant)
    alive = refs[0]() is not None
    out.backward()
    return alive, x.grad.tolist()


@pytest.mark.parametrize("reentrant", [None, True, False])
def test_activations_freed_like_torch(reentrant):
    assert _activation_alive(tk, reentrant) == _activation_alive(torch, reentrant)
