"""``torch.utils.hooks``: the handle every ``register_*hook`` returns.

A hook lives in a dict of its owner (a tensor, an autograd node, a module, an optimizer),
keyed by the id of the handle made for it. The handle holds that dict weakly, so a handle
that outlives its owner keeps nothing alive, and ``remove()`` deletes the entry if it is still
there (removing twice, or after the owner is gone, does nothing). Ids grow over the whole
process, so dicts keep hooks in registration order.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


class RemovableHandle:
    """Removes one hook from ``hooks_dict`` (and the same key from each ``extra_dict``).
    Also a context manager: leaving the block removes the hook."""

    id: int
    next_id: int = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        elif not isinstance(extra_dict, list):
            extra_dict = ()
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    # pickling keeps the dicts themselves (a copy of the owner's hooks); a handle unpickled
    # without them points at a fresh empty dict, so remove() stays harmless
    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(r() for r in self.extra_dict_ref))

    def __setstate__(self, state) -> None:
        hooks = state[0]
        if hooks is None:
            hooks = OrderedDict()
            self._orphan = hooks        # the weak reference needs something to point at
        self.hooks_dict_ref = weakref.ref(hooks)
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        extras = state[2] if len(state) > 2 and state[2] is not None else ()
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras if d is not None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def unserializable_hook(f):
    """Mark ``f`` as a hook that is not meant to be saved with its tensor (no warning)."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor) -> None:
    """Warn for each backward hook of ``tensor`` that saving the tensor will drop."""
    ex = tensor._extra
    hooks = ex.get("hooks") if ex else None
    for hook in (hooks or {}).values():
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {hook!r} on tensor will not be serialized.  If this "
                          "is expected, you can decorate the function with "
                          "@torch.utils.hooks.unserializable_hook to suppress this warning",
                          stacklevel=2)
