"""``torch.compiler``: nothing is ever being compiled or exported in tensorkeys.

``compile`` is ``torch.compile`` (see _compile.py: it hands back the function or module to run
as it is). The questions answer False, and the markers return the function they mark, which is
what PyTorch's own eager mode does with them.
"""

from __future__ import annotations

from ._compile import _BACKENDS, compile  # noqa: F401

__all__ = ["compile", "is_compiling", "is_dynamo_compiling", "is_exporting", "disable",
           "allow_in_graph", "assume_constant_result", "reset", "list_backends"]


def is_compiling() -> bool:
    """True while code runs inside a compiled region; never, here."""
    return False


def is_dynamo_compiling() -> bool:
    """True while Dynamo traces the code; never, here."""
    return False


def is_exporting() -> bool:
    """True while ``torch.export`` traces the code; never, here."""
    return False


def disable(fn=None, recursive=True, *, reason=None):
    """Keep ``fn`` out of compilation: ``fn`` itself (without ``fn``, a decorator that returns
    its argument)."""
    if fn is None:
        return lambda f: f
    return fn


def allow_in_graph(fn):
    """Let the compiler put ``fn`` in its graph as a call: ``fn`` itself."""
    return fn


def assume_constant_result(fn):
    """Let the compiler treat ``fn``'s result as a constant: ``fn`` itself."""
    return fn


def reset() -> None:
    """Clear the compiler's caches; there are none."""


def list_backends(exclude_tags=("debug", "experimental")):
    """The backend names ``torch.compile`` accepts; by default, as PyTorch, without its debug
    and experimental ones."""
    if exclude_tags:
        return ["cudagraphs", "inductor", "openxla", "tvm"]
    return sorted(_BACKENDS)
