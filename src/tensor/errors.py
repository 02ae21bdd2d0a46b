"""Error texts: PyTorch's stable leading part, verbatim, then one sentence of our own on how
to fix it. Every raise of a mode/autograd rule goes through here so the texts live in one
place (SEMANTICS-DETAIL §9 lists them).
"""

from __future__ import annotations

from ._tensor import own_extra

__all__ = ["InferenceTensorError", "note_origin", "record_provenance_stacks",
           "inference_version_error", "inplace_inference_error",
           "inference_requires_grad_error", "inference_save_error", "saved_version_error",
           "legacy_type_name", "warn_once"]


# An inference tensor used where RFC-0011 forbids it raises PyTorch's own type, a plain
# RuntimeError (code that compares exception types with PyTorch's sees the same), with
# PyTorch's text plus where the tensor was made and how to fix it. The name stays for code
# that catches it.
InferenceTensorError = RuntimeError


_STACKS = [False]


def record_provenance_stacks(flag: bool = True) -> None:
    """Debug aid: also remember the Python stack where each inference tensor was made."""
    _STACKS[0] = bool(flag)


_ORIGINS: dict = {}


def shared_origin(made_by: str) -> dict:
    """The one ``_extra`` dict shared by every inference tensor ``made_by`` makes."""
    shared = _ORIGINS.get(made_by)
    if shared is None:
        shared = _ORIGINS[made_by] = {"made_by": made_by, "shared": True}
    return shared


def note_origin(t, made_by: str) -> None:
    """Remember where inference tensor ``t`` was made (Note [Provenance of inference
    tensors] in _defop.py; Note [Shared extras] in _tensor.py)."""
    if _STACKS[0]:
        import traceback
        frames = [f for f in traceback.extract_stack(limit=16)[:-2]
                  if not f.filename.startswith("<") and "/tensor/_defop" not in f.filename]
        ex = own_extra(t)
        ex["made_by"] = made_by
        ex["stack"] = "".join(traceback.format_list(frames[-8:]))
        return
    shared = shared_origin(made_by)
    if t._extra is None:
        t._extra = shared
    else:
        own_extra(t)["made_by"] = made_by


def _origin(t) -> str:
    ex = t._extra
    made = ex.get("made_by") if ex else None
    if not made:
        return ""
    where = f" This inference tensor was made by {made} inside inference_mode."
    if ex.get("stack"):
        where += f" It was made here:\n{ex['stack']}"
    return where


def inference_version_error(t):
    return InferenceTensorError(
        "Inference tensors do not track version counter. Hint: only tensors made outside "
        f"inference_mode have a _version.{_origin(t)}")


def inplace_inference_error(t):
    return InferenceTensorError(
        "Inplace update to inference tensor outside InferenceMode is not allowed.You can make "
        "a clone to get a normal tensor before doing inplace update.See "
        "https://github.com/pytorch/rfcs/pull/17 for more details. Hint: use t = t.clone() "
        "outside inference_mode, or do the update inside inference_mode; the tensor was left "
        f"unchanged.{_origin(t)}")


def inference_requires_grad_error(t):
    return InferenceTensorError(
        "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed. "
        "Hint: t.clone().requires_grad_() gives a normal tensor that can require grad."
        f"{_origin(t)}")


def inference_save_error(t):
    return InferenceTensorError(
        "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
        "inference mode in computation tracked by autograd. To work around this, you can make a "
        "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead "
        f"of `torch.inference_mode()`.{_origin(t)}")


def legacy_type_name(dtype) -> str:
    return f"torch.{dtype.legacy}Tensor"


def saved_version_error(saved, node):
    """Note [Saved tensors remember their version] (autograd/graph.py)."""
    vc = saved._vc
    if saved._is_output:
        data = saved._data
        fn = node
        nr = saved._output_nr
    else:
        t = saved._t
        data = t._data
        fn = t.grad_fn
        nr = t._output_nr
    from ._dtype import from_numpy_dtype
    tname = legacy_type_name(from_numpy_dtype(data.dtype))
    shape = ", ".join(map(str, data.shape))
    which = ""
    if fn is not None:
        name = type(fn).__name__
        if name.endswith("Backward0") or name.endswith("Backward1"):
            name = name[: -len("Backward0")]
        elif name.endswith("Backward"):
            name = name[: -len("Backward")]
        which = f", which is output {nr} of {name},"
    by = f" (the last change was made by {vc[1]})" if vc[1] else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{tname} [{shape}]]{which} is at version {vc[0]}; expected "
        f"version {saved._version} instead. Hint: enable anomaly detection to find the "
        "operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False). tensorkeys: the tensor was "
        f"saved at version {saved._version} and changed afterwards{by}; clone() it before the "
        "in-place change, or use the out-of-place op.")


_WARNED: set = set()
_OWN = None


def warn_once(key: str, message: str) -> None:
    """PyTorch's ``TORCH_WARN_ONCE``: a UserWarning the first time in the process only,
    attributed to the user's line (the first frame outside tensorkeys)."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    warn_user(message)


def warn_user(message: str, category=UserWarning) -> None:
    """PyTorch's ``TORCH_WARN`` from a kernel: a warning attributed to the user's line (the
    first frame outside tensorkeys and its generated code), as PyTorch attributes the
    warnings of its C++ kernels to the Python line that called them."""
    global _OWN
    if _OWN is None:
        import os
        _OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # src/
    import sys
    import warnings
    level, f = 1, sys._getframe(1)
    while f is not None and (f.f_code.co_filename.startswith(_OWN) or (
            f.f_globals.get("__name__") or "").partition(".")[0] in _PACKAGES):
        f = f.f_back                  # (generated kernels run with one of our module names)
        level += 1
    warnings.warn(message, category, stacklevel=level + 1)


_PACKAGES = ("tensor", "dispatch", "modes")
