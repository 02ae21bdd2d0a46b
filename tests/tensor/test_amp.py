"""torch.autocast (CPU, float16) and GradScaler: the casting rules as a property against a
plain model, the thread record, the cast cache, and the scaler's arithmetic."""

import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tensor as torch
from dispatch import keys as K
from dispatch.record import current_record
from modes import autocast as state

F16, F32, F64 = torch.float16, torch.float32, torch.float64
FLOATS = [F16, F32, F64]


def _model(policy, dtypes):
    """What each input becomes under the policy (None: left alone): float64 and non-floating
    inputs are never cast; lower -> float16, fp32 -> float32, promote -> float32 if any input
    is float32, else float16."""
    if policy == "lower":
        to = F16
    elif policy == "fp32":
        to = F32
    else:
        to = F32 if F32 in dtypes else F16
    return [dt if dt is F64 else to for dt in dtypes]


OPS = {
    "lower": lambda a, b: torch.mm(a, b.t()),
    "fp32": lambda a, b: torch.nn.functional.l1_loss(a, b),
    "promote": lambda a, b: torch.cat([a, b]),
}


@given(policy=st.sampled_from(sorted(OPS)), d0=st.sampled_from(FLOATS),
       d1=st.sampled_from(FLOATS))
def test_inputs_are_cast_by_the_policy(policy, d0, d1):
    """The dtypes the op sees are the model's: observed as the dtypes of the gradients' path
    (ToCopyBackward0 nodes exactly where a cast happened) and of the result."""
    a = torch.ones(2, 3, dtype=d0, requires_grad=True)
    b = torch.ones(2, 3, dtype=d1, requires_grad=True)
    want = _model(policy, [d0, d1])
    with torch.autocast("cpu", dtype=F16):
        try:
            y = OPS[policy](a, b)
        except RuntimeError:
            assert len(set(want)) > 1 and policy != "promote"   # mixed dtypes the op refuses
            return
    casts = []
    stack = [y.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None:
            continue
        if type(fn).__name__ == "ToCopyBackward0":
            casts.append(fn)
        stack.extend(f for f, _ in fn.next_functions)
    assert len(casts) == sum(w is not d for w, d in zip(want, [d0, d1]))
    expected = want[0] if policy != "promote" else torch.promote_types(*want)
    if policy == "fp32" and len(set(want)) > 1:
        expected = torch.promote_types(*want)
    assert y.dtype is expected


def test_autocast_only_edits_the_record_and_its_state():
    """Entering removes Autocast from the excluded keys; leaving restores everything."""
    before = current_record()
    assert before.excluded & K.Autocast.bit
    with torch.autocast("cpu", dtype=F16):
        r = current_record()
        assert not r.excluded & K.Autocast.bit
        assert (r.included, r.grad_enabled, r.inference_mode) == \
            (before.included, before.grad_enabled, before.inference_mode)
        assert torch.get_autocast_dtype("cpu") is F16
    assert current_record() == before


def test_other_threads_do_not_see_autocast():
    seen = []
    with torch.autocast("cpu", dtype=F16):
        t = threading.Thread(target=lambda: seen.append(torch.is_autocast_enabled("cpu")))
        t.start()
        t.join()
        assert torch.is_autocast_enabled("cpu")
    assert seen == [False]


def test_cache_lives_until_the_outermost_region_exits():
    w = torch.ones(2, 2, requires_grad=True)
    with torch.autocast("cpu", dtype=F16):
        with torch.autocast("cpu", dtype=F16):
            w @ w
        assert len(state.cast_cache) == 1        # an inner exit keeps it
    assert len(state.cast_cache) == 0


def test_inference_mode_and_no_grad_still_autocast():
    w = torch.ones(2, 2, requires_grad=True)
    with torch.autocast("cpu", dtype=F16):
        with torch.inference_mode():
            y = w @ w
        assert y.dtype is F16 and y.is_inference()
        with torch.no_grad():
            z = w @ w
        assert z.dtype is F16 and not z.requires_grad


def test_gradients_come_back_in_the_inputs_dtypes():
    x = torch.ones(3, 4)
    lin = torch.nn.Linear(4, 2)
    with torch.autocast("cpu", dtype=F16):
        out = lin(x)
    assert out.dtype is F16
    out.float().sum().backward()
    assert lin.weight.grad.dtype is F32 and lin.bias.grad.dtype is F32
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.full((2, 4), 3.0))


def test_default_cpu_dtype_warns_and_stays_off_with_a_hint():
    with pytest.warns(UserWarning, match="Hint: tensorkeys has no torch.bfloat16"):
        with torch.autocast("cpu"):
            assert not torch.is_autocast_enabled("cpu")
    with pytest.raises(RuntimeError, match="set_autocast_dtype"):
        torch.get_autocast_dtype("cpu")


def test_custom_fwd_casts_inputs_and_custom_bwd_restores_the_state():
    class Double(torch.autograd.Function):
        @staticmethod
        @torch.amp.custom_fwd(device_type="cpu", cast_inputs=torch.float32)
        def forward(ctx, x):
            ctx.saw = (x.dtype, torch.is_autocast_enabled("cpu"))
            return x * 2

        @staticmethod
        @torch.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            ctx.back = torch.is_autocast_enabled("cpu")
            return g * 2

    x = torch.ones(2, dtype=F16, requires_grad=True)
    with torch.autocast("cpu", dtype=F16):
        y = Double.apply(x)
    assert y.grad_fn.saw == (F32, False) and y.dtype is F32
    y.sum().backward()
    assert y.grad_fn.back is True and x.grad.dtype is F16


def test_grad_scaler_grows_and_backs_off():
    w = torch.ones(2, requires_grad=True)
    opt = torch.optim.SGD([w], lr=1.0)
    s = torch.amp.GradScaler("cpu", init_scale=4.0, growth_interval=1)
    s.scale(w.sum()).backward()
    s.step(opt)
    s.update()
    assert s.get_scale() == 8.0 and w.tolist() == [0.0, 0.0]
    opt.zero_grad()
    s.scale(w.sum() * float("inf")).backward()
    s.step(opt)                   # skipped: the gradient is not finite
    s.update()
    assert s.get_scale() == 4.0 and w.tolist() == [0.0, 0.0]


def test_disabled_scaler_is_transparent():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = torch.amp.GradScaler("cuda")
    loss = torch.ones(1, requires_grad=True)
    assert s.scale(loss) is loss and s.get_scale() == 1.0 and s.state_dict() == {}


def test_run_in_thread_carries_autocast_with_its_dtype():
    """modes.run_in_thread runs under the caller's modes: autocast's dtype travels with the
    record's Autocast key."""
    import modes
    with torch.autocast("cpu", dtype=F16):
        dt, on = modes.run_in_thread(lambda: ((torch.ones(2, 2) @ torch.ones(2, 2)).dtype,
                                              torch.is_autocast_enabled("cpu")))
    assert dt is F16 and on


def test_enabled_without_a_dtype_says_so():
    """set_autocast_enabled('cpu', True) with PyTorch's default bfloat16: a clear error at the
    first op, not a silent float32 result."""
    torch.set_autocast_enabled("cpu", True)
    try:
        with pytest.raises(RuntimeError, match="set_autocast_dtype"):
            torch.ones(2, 2) @ torch.ones(2, 2)
    finally:
        torch.set_autocast_enabled("cpu", False)
