"""Run a mode/op program (see ``modes.strategies``) on tensorkeys or on PyTorch, recording
every observable, so the two can be compared step by step.

>>> import tensor
>>> prog = [("leaf", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], True), ("enter", "inference_mode(True)"),
...         ("scalar", "mul", 0, 2.0), ("exit",), ("inplace", "add_scalar", 1, 0)]
>>> out = run_program(tensor, prog)
>>> out[-1]["error"][1][:45]
'Inplace update to inference tensor outside In'
>>> out[-1]["pool"][1]["inference"], out[-1]["pool"][1]["version"]
(True, ('error', 'RuntimeError'))
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

__all__ = ["run_program", "compare_runs", "Mismatch"]

_ERR_BASES = (IndexError, TypeError, ValueError, AttributeError, NotImplementedError,
              RuntimeError)


def _is_torch(lib) -> bool:
    return getattr(lib, "__name__", "") == "torch"


def _guard(lib, name):
    if name == "no_grad":
        return lib.no_grad()
    if name == "enable_grad":
        return lib.enable_grad()
    if name.startswith("set_grad_enabled"):
        return lib.set_grad_enabled(name.endswith("(True)"))
    if name.startswith("inference_mode"):
        return lib.inference_mode(name.endswith("(True)"))
    if name == "AutoDispatchBelowAutograd":
        return lib._C._AutoDispatchBelowAutograd() if _is_torch(lib) \
            else lib.AutoDispatchBelowAutograd()
    if name == "AutoDispatchBelowADInplaceOrView":
        return lib._C._AutoDispatchBelowADInplaceOrView() if _is_torch(lib) \
            else lib.AutoDispatchBelowADInplaceOrView()
    raise ValueError(f"unknown guard {name!r}")


def _err(e):
    base = next(b for b in _ERR_BASES if isinstance(e, b)) if isinstance(e, _ERR_BASES) \
        else type(e)
    return (base.__name__, " ".join(str(e).split()))


def _view(t, kind):
    if kind == "select0":
        return t.select(0, 0)
    if kind == "select1":
        return t.select(-1, 1)
    if kind == "narrow":
        return t.narrow(-1, 0, 1)
    if kind == "transpose":
        return t.transpose(0, -1)
    if kind == "unsqueeze":
        return t.unsqueeze(0)
    if kind == "view":
        return t.view(-1)
    if kind == "unbind0":
        return t.unbind(0)[0]
    if kind == "split":
        return t.split(1, 0)[0]
    if kind == "getitem0":
        return t[0]
    if kind == "getitem_slice":
        return t[..., 1:]
    if kind == "expand":
        return t.expand(2, *t.shape)
    if kind == "reshape":
        return t.reshape(-1)
    if kind == "chunk":
        return t.chunk(2, -1)[-1]
    raise ValueError(kind)


def _observe_value(x):
    return np.array(x.detach().numpy() if hasattr(x, "detach") else x, dtype=np.float64,
                    copy=True)


def _observe(lib, pool):
    out = []
    for t in pool:
        rec = {"value": _observe_value(t), "inference": t.is_inference(),
               "shape": tuple(t.shape)}
        for key, get in (("requires_grad", lambda: t.requires_grad),
                         ("is_leaf", lambda: t.is_leaf)):
            try:
                rec[key] = get()
            except Exception as e:  # noqa: BLE001 - e.g. a view whose base changed (E6b)
                rec[key] = ("error", _err(e)[0], _err(e)[1][:60])
        try:
            rec["version"] = t._version
        except Exception as e:  # noqa: BLE001 - the error is the observation
            rec["version"] = ("error", _err(e)[0])
        # .grad of leaves only (reading a non-leaf's .grad warns in both libraries)
        g = (t.grad if _is_torch(lib) else t._grad) if _leaf(t) else None
        rec["grad"] = None if g is None else _observe_value(g)
        out.append(rec)
    return out


def _leaf(t):
    try:
        return t.is_leaf
    except Exception:  # noqa: BLE001
        return False


def _snapshot(pool):
    snap = []
    for t in pool:
        g = t.grad if _leaf(t) else None
        snap.append((t.detach().clone().numpy().copy(),
                     None if g is None else g.detach().clone().numpy().copy()))
    return snap


def _undo_torch_write_before_raise(lib, pool, snap):
    """PyTorch writes, then refuses an in-place update of an inference tensor (quirk Q-1);
    tensorkeys refuses before writing. Undo torch's write so the runs stay comparable."""
    for t, (v, g) in zip(pool, snap):
        now = t.detach().numpy()
        if now.shape == v.shape and not np.array_equal(now, v, equal_nan=True):
            t.data.copy_(lib.from_numpy(v))
        if g is not None and _leaf(t) and t.grad is not None:
            gn = t.grad.detach().numpy()
            if not np.array_equal(gn, g, equal_nan=True):
                t.grad.data.copy_(lib.from_numpy(g))


class _Skipped(Exception):
    pass


def _aliasing_read(a, b) -> bool:
    """An in-place op whose operand shares memory with the written tensor in a layout PyTorch
    does not check ("too hard" overlap). PyTorch then reads elements it has already written, so
    its result depends on its loop order; tensorkeys reads every operand before writing. The
    difference is deliberate, so programs skip such steps on both sides."""
    x = a.detach().numpy()
    y = b.detach().numpy()
    if not np.shares_memory(x, y):
        return False
    from .opdefs._util import _non_overlapping_and_dense as dense_layout
    dense = all(dense_layout(z) for z in (x, y))
    return not dense


def run_program(lib, program, extra=None):
    """Interpret ``program`` with ``lib`` (``tensor`` or ``torch``); return one record per step:
    ``{"step", "error", "grad_enabled", "inference_mode", "pool"}``."""
    pool = []
    records = []
    torch_side = _is_torch(lib)
    stack = []
    try:
        for step in program:
            kind = step[0]
            err = None
            snap = _snapshot(pool) if torch_side and kind in ("inplace", "backward") else None
            try:
                if kind == "enter":
                    cm = contextlib.ExitStack()
                    cm.enter_context(_guard(lib, step[1]))
                    stack.append(cm)
                elif kind == "exit":
                    if stack:
                        stack.pop().close()
                elif kind == "leaf":
                    t = lib.tensor([step[1][:3], step[1][3:]], dtype=lib.float32)
                    if step[2]:
                        t.requires_grad_()
                    pool.append(t)
                elif kind == "unary":
                    t = pool[step[2] % len(pool)]
                    pool.append(t.pow(2) if step[1] == "square" else getattr(t, step[1])())
                elif kind == "binary":
                    a, b = pool[step[2] % len(pool)], pool[step[3] % len(pool)]
                    pool.append(getattr(a, step[1])(b))
                elif kind == "scalar":
                    a = pool[step[2] % len(pool)]
                    pool.append(getattr(a, step[1])(step[3]))
                elif kind == "view":
                    pool.append(_view(pool[step[2] % len(pool)], step[1]))
                elif kind == "inplace":
                    a = pool[step[2] % len(pool)]
                    b = pool[step[3] % len(pool)]
                    op = step[1]
                    if op in ("add_", "mul_", "sub_", "copy_") and a is not b and \
                            _aliasing_read(a, b):
                        raise _Skipped()
                    if op == "add_":
                        a.add_(b)
                    elif op == "mul_":
                        a.mul_(b)
                    elif op == "zero_":
                        a.zero_()
                    elif op == "add_scalar":
                        a.add_(1.0)
                    elif op == "mul_scalar":
                        a.mul_(2.0)
                    elif op == "setitem":
                        a[0] = 3.0
                    elif op == "copy_":
                        a.copy_(b)
                    elif op == "fill_":
                        a.fill_(0.5)
                    elif op == "sub_":
                        a.sub_(b)
                elif kind == "clone":
                    pool.append(pool[step[1] % len(pool)].clone())
                elif kind == "detach":
                    pool.append(pool[step[1] % len(pool)].detach())
                elif kind == "requires_grad":
                    pool[step[1] % len(pool)].requires_grad_()
                elif kind == "backward":
                    pool[step[1] % len(pool)].sum().backward(retain_graph=True)
                elif extra is not None:
                    extra(lib, pool, step)
                else:
                    raise ValueError(f"unknown step {step!r}")
            except _Skipped:
                err = ("skipped", "")
            except Exception as e:  # noqa: BLE001 - errors are observations
                err = _err(e)
                if snap is not None and err[1].startswith("Inplace update to inference tensor"):
                    _undo_torch_write_before_raise(lib, pool, snap)
            records.append({"step": step, "error": err,
                            "grad_enabled": lib.is_grad_enabled(),
                            "inference_mode": lib.is_inference_mode_enabled(),
                            "pool": _observe(lib, pool)})
    finally:
        for cm in reversed(stack):      # leave the thread's modes as we found them
            cm.close()
    return records


class Mismatch(AssertionError):
    """tensorkeys and PyTorch disagreed on a program step."""


def _msg_matches(ours: str, theirs: str, n: int = 60) -> bool:
    """Ours keeps PyTorch's leading text verbatim and may add a hint after it."""
    return ours.startswith(theirs[:n])


def compare_runs(ours, theirs, program=None):
    """Raise :class:`Mismatch` at the first step where the two runs differ."""
    for i, (a, b) in enumerate(zip(ours, theirs)):
        where = f"step {i} {a['step']!r}"
        if (a["error"] is None) != (b["error"] is None):
            raise Mismatch(f"{where}: ours error={a['error']}, torch error={b['error']}"
                           f"\nprogram={program}")
        if a["error"] is not None:
            if a["error"][0] != b["error"][0] or not _msg_matches(a["error"][1], b["error"][1]):
                raise Mismatch(f"{where}: error differs\n ours:  {a['error']}\n torch: "
                               f"{b['error']}\nprogram={program}")
        for key in ("grad_enabled", "inference_mode"):
            if a[key] != b[key]:
                raise Mismatch(f"{where}: {key} {a[key]} vs {b[key]}\nprogram={program}")
        if len(a["pool"]) != len(b["pool"]):
            raise Mismatch(f"{where}: pool sizes differ\nprogram={program}")
        for j, (x, y) in enumerate(zip(a["pool"], b["pool"])):
            for key in ("requires_grad", "is_leaf", "inference", "version", "shape"):
                if x[key] != y[key]:
                    raise Mismatch(f"{where}: tensor {j} {key}: ours {x[key]!r}, torch "
                                   f"{y[key]!r}\nprogram={program}")
            if not np.allclose(x["value"], y["value"], rtol=1e-5, atol=1e-6, equal_nan=True):
                raise Mismatch(f"{where}: tensor {j} values: ours {x['value']}, torch "
                               f"{y['value']}\nprogram={program}")
            if (x["grad"] is None) != (y["grad"] is None) or (
                    x["grad"] is not None and not np.allclose(x["grad"], y["grad"], rtol=1e-4,
                                                              atol=1e-5, equal_nan=True)):
                raise Mismatch(f"{where}: tensor {j} grad: ours {x['grad']}, torch "
                               f"{y['grad']}\nprogram={program}")
    _ = math
