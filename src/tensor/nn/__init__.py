"""``tensor.nn``: PyTorch's ``torch.nn`` Module API — ``Module``, ``Parameter``, ``Buffer``,
the containers, the layers of ``modules/__init__.py``, ``init`` and ``functional``.

Every ``Module`` subclass defined in ``modules/__init__.py``, ``layers.py`` or ``modules_more.py`` is
exported here, also ones added there later without touching this file.
"""

import sys as _sys

from . import functional  # noqa: F401
from . import init  # noqa: F401
from . import module as _module_mod
from . import modules as _modules_mod
from .module import Module, Parameter, Buffer  # noqa: F401
from .containers import (  # noqa: F401
    Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict,
)
from .modules import *  # noqa: F401,F403
from . import layers as _layers_mod, modules_more as _more_mod
from . import recurrent as _rnn_mod, transformer as _tf_mod, modules_extra as _extra_mod
from . import lazy as _lazy_mod
from .lazy import UninitializedParameter, UninitializedBuffer  # noqa: F401

for _m in (_modules_mod, _layers_mod, _more_mod, _rnn_mod, _tf_mod, _extra_mod, _lazy_mod):
    for _name, _obj in vars(_m).items():
        if not _name.startswith("_") and isinstance(_obj, type) and issubclass(_obj, Module):
            globals().setdefault(_name, _obj)
del _m, _name, _obj

# ``torch.nn.modules.module`` / ``.lazy`` / ``.loss``...: the package ``modules/`` (see there)
modules = _modules_mod
from . import parameter  # noqa: F401
from . import utils  # noqa: F401
