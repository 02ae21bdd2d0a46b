"""The gradcheck registry (``tests/tensor/test_gradcheck_registry.py``: its input makers, not
its tests), loaded once by path and shared by the audit files of this directory.

pytest runs with ``--import-mode=importlib``, so test modules cannot import one another by
name; an audit puts this directory on ``sys.path`` and calls :func:`load`."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

_NAME = "_audit_gradcheck_registry"


def load():
    mod = sys.modules.get(_NAME)
    if mod is None:
        path = (pathlib.Path(__file__).resolve().parents[1] / "tensor"
                / "test_gradcheck_registry.py")
        spec = importlib.util.spec_from_file_location(_NAME, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            del sys.modules[_NAME]
            raise
    return mod
