"""``tensor.nn.functional`` (``import tensor.nn.functional as F``)."""

from ..nn_functional import *  # noqa: F401,F403
from ..nn_functional import __all__ as _base_all
from ..nn_functional_layers import *  # noqa: F401,F403
from ..nn_functional_layers import __all__ as _layers_all
from ..nn_functional_more import *  # noqa: F401,F403
from ..nn_functional_more import __all__ as _more_all
from ..nn_functional_attention import *  # noqa: F401,F403
from ..nn_functional_attention import __all__ as _attention_all
from ..nn_functional_extra import *  # noqa: F401,F403
from ..nn_functional_extra import __all__ as _extra_all

__all__ = (list(_base_all) + list(_layers_all) + list(_more_all) + list(_attention_all)
           + list(_extra_all))
