"""Mode guards for tensorkeys. They depend on ``dispatch`` only and change nothing but the
thread's mode record (see ``modes.grad`` for the table of what each guard does)."""

from dispatch.record import (  # noqa: F401
    IncludeDispatchKeyGuard, ExcludeDispatchKeyGuard, ModeRecord, DEFAULT_RECORD,
)
from .grad import (  # noqa: F401
    no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
    is_inference_mode_enabled, AutoDispatchBelowAutograd, AutoDispatchBelowADInplaceOrView,
    carry_modes, run_in_thread, current_modes,
)
from ._decorate import GuardDecorator  # noqa: F401
