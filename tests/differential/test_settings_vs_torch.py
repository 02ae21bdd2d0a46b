"""Global settings scripts set (torch.backends flags, deterministic algorithms, matmul
precision, the default device) side by side with PyTorch's CPU build (skipped without
torch). Each case restores the defaults it changes."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

CASES = [
    "torch.backends.cudnn.is_available()", "torch.backends.cudnn.enabled",
    "torch.backends.cudnn.deterministic", "torch.backends.cudnn.benchmark",
    "torch.backends.mps.is_available()", "torch.backends.mps.is_built()",
    "torch.backends.cuda.is_built()", "torch.backends.cuda.matmul.allow_tf32",
    "torch.backends.mkldnn.enabled",
    "(setattr(torch.backends.cudnn, 'deterministic', True), torch.backends.cudnn.deterministic,"
    " setattr(torch.backends.cudnn, 'deterministic', False))",
    "torch.get_float32_matmul_precision()",
    "(torch.set_float32_matmul_precision('high'), torch.get_float32_matmul_precision(),"
    " torch.set_float32_matmul_precision('highest'))",
    "(torch.set_float32_matmul_precision('foo'), torch.get_float32_matmul_precision())",
    "torch.are_deterministic_algorithms_enabled()",
    "(torch.use_deterministic_algorithms(True), torch.are_deterministic_algorithms_enabled(),"
    " torch.is_deterministic_algorithms_warn_only_enabled(),"
    " torch.use_deterministic_algorithms(False))",
    "(torch.use_deterministic_algorithms(True, warn_only=True),"
    " torch.is_deterministic_algorithms_warn_only_enabled(),"
    " torch.use_deterministic_algorithms(False))",
    "torch.use_deterministic_algorithms(1)",
    "torch.get_default_device()", "torch.typename(torch.ones(2))", "torch.typename(1)",
    "torch.is_complex(torch.ones(1))", "torch.is_complex(1)",
    "torch.zeros(2, device='cuda')", "torch.ones(2, device='cpu').device",
    "torch.tensor([1.], device='cuda')",
    "torch.zeros_like(torch.ones(2), device='cuda')", "torch.ones(2).new_zeros(3, device='cuda')",
    "torch.FloatTensor", "torch.FloatTensor([1, 2])", "torch.FloatTensor(2, 3).shape",
    "isinstance(torch.ones(2), torch.FloatTensor)",
    "isinstance(torch.ones(2).double(), torch.FloatTensor)", "torch.LongTensor([1.7, 2])",
    "torch.FloatTensor().shape", "torch.BoolTensor([1, 0])", "torch.ByteTensor(2).dtype",
    "torch.FloatTensor([1, 2], dtype=torch.float64)", "torch.FloatTensor('a')",
    "torch.asarray([1, 2.])", "torch.asarray(torch.ones(2), dtype=torch.float64, copy=False)",
    "torch.empty_strided((2, 3), (1, 2)).stride()",
    "torch.row_stack([torch.ones(2), torch.zeros(2)])", "torch.version.cuda",
    "torch.version.debug", "torch.pi", "torch.e", "torch.inf", "torch.nan", "torch.newaxis",
    "torch.set_num_threads(0)", "torch.__version__.split('+')[0]",
    "torch.randint(high=5, size=(3,)).shape", "torch.randint(low=2, high=5, size=(3,)).dtype",
    "torch.randint(5)", "torch.randint(size=(2,))", "torch.nn.utils.rnn.pad_sequence"
    "([torch.ones(2), torch.ones(3)]).shape", "torch.fix(torch.tensor([1.5, -1.5]))",
]
DEFAULT_DEVICE_CASES = ["torch.zeros(1)", "torch.get_default_device()", "torch.tensor([1.])",
                        "torch.zeros_like(torch.empty(1, device='cpu')).device",
                        "torch.empty(1, device='cpu').new_zeros(2).device"]


def _run(M, expr):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out = repr(eval(expr, {"torch": M}))
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            out = f"{type(e).__name__}: {str(e).split(chr(10))[0].split(' Hint:')[0]}"
    return out, [type(w.message).__name__ for w in seen]


@pytest.mark.parametrize("expr", CASES)
def test_setting_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


@pytest.mark.parametrize("expr", DEFAULT_DEVICE_CASES)
def test_a_cuda_default_device_refuses_new_tensors_like_torch(expr):
    results = []
    for M in (tk, torch):
        M.set_default_device("cuda")
        try:
            results.append(_run(M, expr))
        finally:
            M.set_default_device(None)
    assert results[0] == results[1]
