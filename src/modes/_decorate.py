"""One helper that turns a guard into a decorator (DESIGN §3).

Rules, each with a PyTorch bug report behind it:
- every decorated call gets its own fresh guard (``guard.clone()``), so recursion, re-entrancy,
  threads and one instance decorating many functions are safe;
- a decorated *generator function* runs each resumption (next/send/throw/close) inside a fresh
  guard and gives the caller back its own modes between yields;
- a decorated ``async def`` runs its whole body under the guard. Note [Async bodies]: PyTorch
  only covers the call that creates the coroutine; since our record is a ContextVar, the guard
  can live inside the coroutine and stays private to its task across ``await``;
- decorating a class warns (FutureWarning, as torch does) and wraps its construction.
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings

__all__ = ["GuardDecorator"]


class GuardDecorator:
    """Mixin: ``guard(fn)`` / ``@guard`` wraps ``fn`` so each call runs under ``guard.clone()``."""

    __slots__ = ()

    def clone(self):
        return self.__class__()

    def __call__(self, fn):
        if inspect.isclass(fn):
            warnings.warn(
                "Decorating classes is deprecated and will be disabled in future versions. "
                "You should only decorate functions or methods. To preserve the current "
                "behavior of class decoration, you can directly decorate the `__init__` method "
                "and nothing else.", FutureWarning, stacklevel=2)
            fn.__init__ = self(fn.__init__)
            return fn
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(self, fn)
        if inspect.isasyncgenfunction(fn):
            return _wrap_async_generator(self, fn)
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*args, **kwargs):
                with self.clone():
                    return await fn(*args, **kwargs)
            return run_async

        @functools.wraps(fn)
        def run(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return run


def _wrap_generator(guard, fn):
    @functools.wraps(fn)
    def run_generator(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with guard.clone():          # first step: run up to the first yield
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with guard.clone():  # close() runs finally-blocks under the mode
                        gen.close()
                    raise
                except BaseException:
                    with guard.clone():  # deliver a thrown exception inside the mode
                        response = gen.throw(*sys.exc_info())
                else:
                    with guard.clone():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value
    return run_generator


def _wrap_async_generator(guard, fn):
    @functools.wraps(fn)
    async def run_async_generator(*args, **kwargs):
        agen = fn(*args, **kwargs)
        try:
            with guard.clone():
                response = await agen.asend(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with guard.clone():
                        await agen.aclose()
                    raise
                except BaseException as e:
                    with guard.clone():
                        response = await agen.athrow(e)
                else:
                    with guard.clone():
                        response = await agen.asend(request)
        except StopAsyncIteration:
            return
    return run_async_generator
