"""``torch.nn.utils.stateless.functional_call`` (also ``torch.func.functional_call``): call a
module with some of its parameters and buffers replaced by given tensors, for that one call.

The replacement goes straight into the modules' parameter and buffer dicts (so a plain tensor
may stand where a Parameter was, as PyTorch allows here) and everything is put back afterwards,
also when the call raises. With ``tie_weights`` (the default), names that share one Parameter
in the module all take the value given for any of them.
"""

from __future__ import annotations

__all__ = ["functional_call"]


def _merge(dicts):
    if isinstance(dicts, dict):
        return dict(dicts)
    merged, seen = {}, {}
    for d in dicts:
        for k, v in d.items():
            seen[k] = seen.get(k, 0) + 1
            merged[k] = v
    dup = sorted(k for k, n in seen.items() if n > 1)
    if dup:
        raise ValueError(f"{dup} appeared in multiple dictionaries; behavior of functional call "
                         "is ambiguous")
    return merged


def _owner(module, name):
    *path, attr = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, attr


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    values = _merge(parameter_and_buffer_dicts)
    current = dict(module.named_parameters(remove_duplicate=False))
    current.update(dict(module.named_buffers(remove_duplicate=False)))
    if strict:
        unexpected = sorted(set(values) - set(current))
        missing = sorted(set(current) - set(values))
        if unexpected or missing:
            lines = []
            if unexpected:
                lines.append(f"\tUnexpected key(s): {', '.join(repr(k) for k in unexpected)}.")
            if missing:
                lines.append(f"\tMissing key(s): {', '.join(repr(k) for k in missing)}.")
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n"
                               + "\n".join(lines))
    if tie_weights:
        by_identity = {}
        for name, t in current.items():
            by_identity.setdefault(id(t), []).append(name)
        for name in list(values):
            if name in current:
                for tied in by_identity[id(current[name])]:
                    values.setdefault(tied, values[name])
    undo = []
    try:
        for name, value in values.items():
            owner, attr = _owner(module, name)
            for store in ("_parameters", "_buffers"):
                d = owner.__dict__.get(store)
                if d is not None and attr in d:
                    undo.append((d, attr, d[attr]))
                    d[attr] = value
                    break
            else:
                had = attr in owner.__dict__
                undo.append((owner.__dict__, attr, owner.__dict__.get(attr) if had else _ABSENT))
                owner.__dict__[attr] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for d, attr, old in reversed(undo):
            if old is _ABSENT:
                d.pop(attr, None)
            else:
                d[attr] = old


_ABSENT = object()
