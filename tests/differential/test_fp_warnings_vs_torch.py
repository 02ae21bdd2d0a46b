"""IEEE results (log(0) = -inf, 0/0 = nan, overflow to inf) are ordinary results in PyTorch:
it reports nothing. Here they stay ordinary even under a ``warnings.simplefilter("error")``
(pytest's ``-W error``), which would otherwise turn numpy's RuntimeWarning into an exception
(Note [Floating-point warnings stay inside]). Compared with PyTorch (skipped without it)."""

import warnings

import numpy as np
import pytest

import tensor as tk

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.differential


def _inplace(M, op, *args):
    x = M.tensor([0.0, 1.0, -1.0])
    getattr(x, op)(*args)
    return x


def _grad(M, f, values):
    x = M.tensor(values, requires_grad=True)
    f(x).sum().backward()
    return x.grad


def _double(M):
    a = M.tensor([0.0, 2.0], requires_grad=True)
    g, = M.autograd.grad(a.sqrt().sum(), a, create_graph=True)
    g2, = M.autograd.grad(g.sum(), a)
    return M.stack([g.detach(), g2])


CASES = {
    "log": lambda M: M.tensor([0.0, 1.0, -1.0]).log(),
    "log of int zero": lambda M: M.tensor([0, 1]).log(),
    "divide by zero": lambda M: M.tensor([0.0, 1.0, -1.0]) / 0,
    "div_ by zero": lambda M: _inplace(M, "div_", 0),
    "mul_ overflow": lambda M: _inplace(M, "mul_", 1e39),
    "mul overflow": lambda M: M.tensor([1e38]).mul(1e10),
    "mul_ overflow in the loop": lambda M: _inplace(M, "mul_", 3e38).mul_(3e38),
    "add_ of a Python number that overflows float32": lambda M: _inplace(M, "add_", 1e39),
    "exp overflow": lambda M: M.exp(M.tensor([1000.0])),
    "reciprocal of bool": lambda M: M.tensor([True, False]).reciprocal(),
    "inf - inf": lambda M: M.tensor([float("inf")]).sub(float("inf")),
    "sum overflow": lambda M: M.tensor([3e38, 3e38]).sum(),
    "log_softmax of -inf": lambda M: M.tensor([[float("-inf"), float("-inf")]]).log_softmax(1),
    "max with nan": lambda M: M.tensor([float("nan"), 1.0]).max(0)[0],
    "sort with nan": lambda M: M.tensor([float("nan"), 1.0, 0.0]).sort()[0],
    "grad of log at 0": lambda M: _grad(M, M.log, [0.0, 1.0]),
    "grad of sqrt at 0": lambda M: _grad(M, M.sqrt, [0.0, 4.0]),
    "grad of div by 0": lambda M: _grad(M, lambda x: x / M.tensor([0.0, 1.0]), [1.0, 1.0]),
    "double backward of sqrt at 0": _double,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ieee_results_need_no_warning(name):
    results = []
    for M in (tk, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results.append(np.asarray(CASES[name](M).tolist(), dtype=float))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, equal_nan=True)


DEPRECATED = {
    "cholesky": lambda M: M.cholesky(M.eye(2) * 2),
    "qr": lambda M: M.eye(2).qr(),
    "triangular_solve": lambda M: M.ones(2, 1).triangular_solve(M.eye(2)),
    "chain_matmul": lambda M: M.chain_matmul(M.eye(2), M.eye(2)),
    "T of 0-d": lambda M: M.tensor(1.0).T,
    "T of 3-d": lambda M: M.ones(2, 2, 2).T,
}


@pytest.mark.parametrize("name", sorted(DEPRECATED))
def test_deprecation_notices_as_torch(name):
    """PyTorch's deprecation notices (UserWarning, its text without the C++ location) for the
    old linear-algebra functions and x.T off 2-d. Each is shown once per process in both
    libraries, so only the text is compared, from the first call that shows one."""
    def texts(M):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            DEPRECATED[name](M)
        return [str(x.message).split(" (Triggered internally")[0] for x in w
                if issubclass(x.category, UserWarning)]
    from tensor import errors
    key = {"T of 0-d": "T_0d", "T of 3-d": "T"}.get(name, name)
    errors._WARNED.discard(key)          # (a notice shown earlier in this process)
    ours, theirs = texts(tk), texts(torch)
    assert ours and (not theirs or ours == theirs)
