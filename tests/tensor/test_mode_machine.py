"""A state machine over guards, tensors, views, in-place ops and autograd, checked against the
plain mode model of ``modes.reference`` plus a numpy model of values and version counters."""

import asyncio
import threading

import numpy as np
import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import (Bundle, RuleBasedStateMachine, invariant, precondition, rule,
                                 run_state_machine_as_test)

import tensor as torch
from modes import reference as M

E2 = "Inplace update to inference tensor outside InferenceMode is not allowed."
E1 = "Inference tensors do not track version counter."
E4 = "Inference tensors cannot be saved for backward."


class Counter:
    """The model of one version counter."""

    def __init__(self):
        self.v = 0


class Item:
    """The model of one tensor: its numpy values (a numpy view for views), inference-ness and
    version counter (None for inference tensors)."""

    def __init__(self, t, arr, inference, counter):
        self.t, self.arr, self.inference, self.counter = t, arr, inference, counter


class ModeMachine(RuleBasedStateMachine):
    items = Bundle("items")

    def __init__(self):
        super().__init__()
        self.stack = []          # (guard object, model state on entry, guard name)
        self.model = M.DEFAULT_STATE
        self.w = torch.ones(3, requires_grad=True)
        self.all_items = []

    # -- guards ---------------------------------------------------------------------------
    @rule(name=st.sampled_from(M.GUARDS))
    def enter(self, name):
        g = _make_guard(name)
        g.__enter__()
        self.stack.append((g, self.model, name))
        self.model = M.enter(self.model, name)

    @precondition(lambda self: self.stack)
    @rule()
    def exit(self):
        g, on_entry, name = self.stack.pop()
        g.__exit__(None, None, None)
        self.model = M.exit_to(name, on_entry, self.model)

    # -- tensors ----------------------------------------------------------------------------
    @rule(target=items, value=st.sampled_from([1.0, -2.0, 0.5]))
    def make(self, value):
        t = torch.full((2, 3), value)
        inference = M.makes_inference_tensors(self.model)
        return self._keep(Item(t, np.full((2, 3), value, np.float32), inference,
                               None if inference else Counter()))

    def _keep(self, item):
        self.all_items.append(item)
        return item

    @rule(target=items, src=items, kind=st.sampled_from(["select", "transpose", "narrow"]))
    def view(self, src, kind):
        if src.arr.ndim == 0:
            kind = "alias"
        if kind == "alias":
            t, arr = src.t.view(src.arr.shape), src.arr.view()
        elif kind == "select":
            t, arr = src.t.select(0, -1), src.arr[-1, ...]
        elif kind == "transpose":
            t, arr = src.t.transpose(0, -1), np.swapaxes(src.arr, 0, -1)
        else:
            t, arr = src.t.narrow(-1, 0, 1), src.arr[..., 0:1]
        if src.inference:
            counter = None                       # views of inference tensors: untracked
        elif M.view_is_tracked(self.model):
            counter = src.counter                # shared with the base
            assert t._base is not None
        else:
            counter = Counter()                  # untracked view of a normal tensor
            assert t._base is None
        return self._keep(Item(t, arr, src.inference, counter))

    @rule(item=items)
    def add_one(self, item):
        accepted = not item.inference or M.inplace_on_inference_tensor_accepted(self.model)
        if not accepted:
            with pytest.raises(RuntimeError, match=E2):
                item.t.add_(1.0)
            return                               # refused before writing: nothing changed
        item.t.add_(1.0)
        item.arr += 1.0
        if item.counter is not None and M.inplace_bumps_version(self.model):
            item.counter.v += 1

    @rule(item=items)
    def multiply_with_grad(self, item):
        """``w * t`` saves ``t`` when it records; an inference ``t`` is refused then."""
        if item.t.dim() != 2 or item.t.shape[-1] != 3:
            return
        records = M.records(self.model)
        if records and item.inference:
            with pytest.raises(RuntimeError, match=E4):
                self.w * item.t
            return
        y = self.w * item.t
        assert y.requires_grad == records
        assert y.is_inference() == M.makes_inference_tensors(self.model)
        if records:
            self.w.grad = None
            y.sum().backward()
            np.testing.assert_allclose(self.w.grad.numpy(), item.arr.sum(axis=0))

    # -- what must hold after every step --------------------------------------------------------
    @invariant()
    def flags_match_model(self):
        assert torch.is_grad_enabled() == self.model.grad
        assert torch.is_inference_mode_enabled() == self.model.inference

    @invariant()
    def tensors_match_model(self):
        for item in self.all_items:
            assert item.t.is_inference() == item.inference
            np.testing.assert_array_equal(item.t.detach().numpy(), item.arr)
            if item.counter is None:
                with pytest.raises(RuntimeError, match=E1):
                    item.t._version
            else:
                assert item.t._version == item.counter.v

    def teardown(self):
        while self.stack:
            self.exit()


def _make_guard(name):
    if name == "no_grad":
        return torch.no_grad()
    if name == "enable_grad":
        return torch.enable_grad()
    if name.startswith("set_grad_enabled"):
        return _Deferred(lambda: torch.set_grad_enabled(name.endswith("(True)")))
    if name.startswith("inference_mode"):
        return torch.inference_mode(name.endswith("(True)"))
    if name == "AutoDispatchBelowAutograd":
        return torch.AutoDispatchBelowAutograd()
    return torch.AutoDispatchBelowADInplaceOrView()


class _Deferred:
    """set_grad_enabled switches at construction; build it on entry so entering is the switch."""

    def __init__(self, make):
        self.make, self.g = make, None

    def __enter__(self):
        self.g = self.make()
        return self.g.__enter__()

    def __exit__(self, *exc):
        return self.g.__exit__(*exc)


TestModeMachine = ModeMachine.TestCase
TestModeMachine.settings = settings(stateful_step_count=30, deadline=None)


def test_machine_in_a_thread():
    """The same rules hold in a fresh thread (which starts from the default modes)."""
    errors = []

    def run():
        try:
            run_state_machine_as_test(ModeMachine, settings=settings(
                max_examples=15, stateful_step_count=20, deadline=None))
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    with torch.no_grad():       # the parent's mode must not reach the thread
        th = threading.Thread(target=run)
        th.start()
        th.join()
    if errors:
        raise errors[0]


def test_machine_in_asyncio_tasks():
    """Two tasks fuzzing modes concurrently on one loop do not see each other's guards."""
    async def one():
        machine = ModeMachine()
        for i in range(20):
            machine.enter(M.GUARDS[i % len(M.GUARDS)])
            await asyncio.sleep(0)
            machine.flags_match_model()
        machine.teardown()
        machine.flags_match_model()

    async def main():
        await asyncio.gather(one(), one(), one())

    asyncio.run(main())
