"""``torch.backends`` as on a CPU-only build: the flags scripts set for reproducibility
(``torch.backends.cudnn.deterministic = True``, ``benchmark = False``...) can be read and
set, and every accelerator backend reports itself unavailable. No flag changes a result here:
tensorkeys' kernels are numpy's, deterministic and single-path."""

from __future__ import annotations

import types


class _Flags(types.ModuleType):
    """A backend module: attributes that scripts set and read back, plus queries."""

    def __init__(self, name, available, **flags):
        super().__init__(f"torch.backends.{name}")
        self.__dict__.update(flags)
        self.is_available = lambda: available

    def __repr__(self):
        return f"<module '{self.__name__}' (tensorkeys: CPU only)>"


cudnn = _Flags("cudnn", False, enabled=True, benchmark=False, deterministic=False,
               allow_tf32=True, benchmark_limit=10)
cudnn.version = lambda: None
mps = _Flags("mps", False)
mps.is_built = lambda: False
mkldnn = _Flags("mkldnn", False, enabled=True, deterministic=False)
mkl = _Flags("mkl", False)
openmp = _Flags("openmp", False)
opt_einsum = _Flags("opt_einsum", False, enabled=False, strategy=None)
cuda = _Flags("cuda", False)
cuda.is_built = lambda: False
cuda.matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                    allow_bf16_reduced_precision_reduction=True)
cpu = _Flags("cpu", True)
cpu.get_cpu_capability = lambda: "DEFAULT"     # numpy's kernels: no ATen vectorisation level

__all__ = ["cudnn", "mps", "mkldnn", "mkl", "openmp", "opt_einsum", "cuda", "cpu"]
