"""``torch.utils.checkpoint``: activation checkpointing (trade compute for memory).

``checkpoint(function, *args, use_reentrant=...)`` runs ``function`` without keeping the
tensors its ops save for backward, and runs it again during backward to get them back. The
gradients are those of the plain ``function(*args)``. Both of PyTorch's variants exist:

* ``use_reentrant=True`` (PyTorch's default when ``use_reentrant`` is not given, with its
  warning): a custom autograd Function, ``CheckpointFunctionBackward`` in the graph. Forward
  runs under ``no_grad``; its backward reruns ``function`` on detached inputs with grad
  enabled and calls ``autograd.backward`` on that (a backward inside the backward). As in
  PyTorch it needs some input that requires grad (it warns otherwise), takes no keyword
  arguments, and refuses ``autograd.grad`` / ``backward(inputs=...)``.
* ``use_reentrant=False``: ``function`` runs under saved-tensor hooks that keep only a
  placeholder per saved tensor; the first unpack in a backward pass reruns ``function``
  (random state restored when ``preserve_rng_state``) and hands each placeholder its
  recomputed tensor. The graph is the ordinary one (same ``grad_fn`` names), keyword
  arguments and ``autograd.grad`` work, and recomputed tensors are checked against the
  originals' shape, dtype and device (``determinism_check="default"``).

Beyond PyTorch: ``debug=True`` is accepted but adds no operator traces to errors, and
recomputation always runs the whole function (PyTorch may stop early once it has every
tensor it needs; the gradients are the same).
"""

from __future__ import annotations

import contextlib
import warnings
import weakref

from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "noop_context_fn",
           "set_checkpoint_early_stop"]

_DEBUG_TIP = ("\nTip: To see a more detailed error message, either pass `debug=True` to\n"
              "`torch.utils.checkpoint.checkpoint(...)` or wrap the code block\n"
              "with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to\n"
              "enable checkpoint-debug mode globally.\n")

_early_stop_override = [None]


class CheckpointError(RuntimeError):
    """Raised when the recomputation does not match the original forward."""


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """Within the block, override ``early_stop`` of non-reentrant checkpoints."""
    old = _early_stop_override[0]
    _early_stop_override[0] = enable
    try:
        yield
    finally:
        _early_stop_override[0] = old


def detach_variable(inputs):
    """Each tensor of the tuple ``inputs`` detached, keeping its ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for x in inputs:
        if isinstance(x, Tensor):
            d = x.detach()
            d.requires_grad = x.requires_grad
            x = d
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs):
    if not any(x.requires_grad for x in inputs if isinstance(x, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


@contextlib.contextmanager
def _rng_as_in_forward(state):
    """Run the block from the random state ``state`` (None: as is) and put the current
    state back afterwards."""
    if state is None:
        yield
        return
    from .. import get_rng_state, set_rng_state
    current = get_rng_state()
    set_rng_state(state)
    try:
        yield
    finally:
        set_rng_state(current)


def _fwd_rng_state(preserve):
    from .. import get_rng_state
    return get_rng_state() if preserve else None


def _checkpoint_valid():
    """False inside ``autograd.grad`` or ``backward(inputs=...)``, where a nested backward
    could not deliver the gradients the caller asked for."""
    from ..autograd import engine
    if not engine._current:
        return True
    run = engine._current[-1]
    return run.captures is None and run.leaf_filter is None


class CheckpointFunction(Function):
    """The reentrant checkpoint (see the module doc)."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        # kept through object.__setattr__: a state tensor, not a value to version-check
        object.__setattr__(ctx, "fwd_cpu_state", _fwd_rng_state(preserve_rng_state))
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        from .. import no_grad
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        from .. import autograd, enable_grad
        if not _checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with "
                ".grad() or passing an `inputs` parameter to .backward(). To resolve this "
                "error, you can either set use_reentrant=False, or call .backward() "
                "without passing the `inputs` argument.")
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        with _rng_as_in_forward(ctx.fwd_cpu_state):
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() "
                               "is not necessary")
        autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(x.grad if isinstance(x, Tensor) else None
                                    for x in detached)


# -- the non-reentrant variant ----------------------------------------------------------------
def _default_meta(x):
    return {"shape": x.shape, "dtype": x.dtype, "device": x.device}


_META_FNS = {"default": _default_meta, "none": lambda _: None}


class _Holder:
    """What the graph keeps for one saved tensor: its position in the forward's saves."""

    __slots__ = ("index", "__weakref__")

    def __init__(self, index):
        self.index = index


class _Frame:
    """One checkpointed call: how to recompute it and what each placeholder stands for."""

    def __init__(self, recompute, meta_fn, early_stop):
        self.recompute = recompute
        self.meta_fn = meta_fn
        self.early_stop = early_stop
        self.holders = []           # weak references, in saving order
        self.metas = []
        self.run = None             # the backward pass the recomputed values belong to
        self.values = {}            # holder index -> recomputed tensor, for ``run``

    def pack(self, x):
        holder = _Holder(len(self.holders))
        self.holders.append(weakref.ref(holder))
        self.metas.append(self.meta_fn(x))
        return holder

    def unpack(self, holder):
        from ..autograd import engine
        run = engine._current[-1] if engine._current else object()
        if run is not self.run:
            self._recompute()
            self.run = run
        if holder.index not in self.values:
            raise CheckpointError(
                "torch.utils.checkpoint: Unpack is being triggered for a tensor that was "
                "already unpacked once. If you are calling ctx.saved_tensors in backward, "
                "make sure to do so only once. Otherwise please open an issue with details on "
                "your use case.")
        return self.values.pop(holder.index)

    def _recompute(self):
        from .. import enable_grad
        from ..autograd.saved_hooks import saved_tensors_hooks
        saved = []

        def keep(x):
            x = x.detach() if x.requires_grad else x
            saved.append(x)
            return x

        with saved_tensors_hooks(keep, lambda x: x), enable_grad():
            self.recompute()
        n = len(self.holders)
        if len(saved) > n and not self.early_stop:
            raise CheckpointError("torch.utils.checkpoint: trying to save more tensors during "
                                  "recomputation than during the original forward pass.\n"
                                  + _DEBUG_TIP)
        if len(saved) < n:
            raise CheckpointError(
                f"torch.utils.checkpoint: A different number of tensors was saved during the "
                f"original forward and recomputation.\nNumber of tensors saved during forward: "
                f"{n}\nNumber of tensors saved during recomputation: {len(saved)}.\n"
                + _DEBUG_TIP)
        live = [i for i, ref in enumerate(self.holders) if ref() is not None]
        wrong = [(i, self.metas[i], self.meta_fn(saved[i])) for i in live
                 if self.metas[i] != self.meta_fn(saved[i])]
        if wrong:
            detail = "".join(f"tensor at position {i}:\nsaved metadata: {a}\n"
                             f"recomputed metadata: {b}\n" for i, a, b in wrong)
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                f"different metadata than during the forward pass.\n{detail}.\n" + _DEBUG_TIP)
        self.values = {i: saved[i] for i in live}


def _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check,
                                  early_stop, args, kwargs):
    from .. import is_grad_enabled
    from ..autograd.saved_hooks import saved_tensors_hooks
    if determinism_check not in _META_FNS:
        raise ValueError(f"determinism_check should be one of {list(_META_FNS)}, but got "
                         f"{determinism_check}")
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    state = _fwd_rng_state(preserve)

    def recompute():
        with _rng_as_in_forward(state), recompute_context:
            function(*args, **kwargs)

    stop = _early_stop_override[0]
    frame = _Frame(recompute, _META_FNS[determinism_check],
                   early_stop if stop is None else stop)
    suppressed = True
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_context:
        out = function(*args, **kwargs)
        suppressed = False
    if suppressed:
        raise RuntimeError("torch.utils.checkpoint: the forward context provided by "
                           "context_fn suppressed an exception raised during the checkpointed "
                           "forward. This is not supported because checkpoint cannot return a "
                           "value for a failed forward.")
    return out


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """``function(*args, **kwargs)``, with its activations recomputed in backward instead
    of kept (see the module doc). ``preserve_rng_state=True`` (a keyword) replays the random
    state of the forward during recomputation."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check,
                                         early_stop, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a list, or an ``nn.Sequential``) one after the other on ``input``,
    in ``segments`` pieces, all checkpointed but the last."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
