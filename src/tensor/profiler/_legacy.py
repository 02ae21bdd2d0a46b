"""The recorder behind both profilers: ``torch.autograd.profiler.profile``."""

from __future__ import annotations

import warnings

from . import _record as R
from ._events import EventList, FunctionEvent, write_chrome_trace

__all__ = ["profile"]


def _flops(name, shapes):
    """Floating point operations PyTorch's profiler counts for a few ops (``with_flops``)."""
    try:
        if name in ("aten::mm", "aten::matmul") and len(shapes) >= 2 and \
                len(shapes[0]) == 2 and len(shapes[1]) == 2:
            (m, k), (_, n) = shapes[0], shapes[1]
            return 2 * m * k * n
        if name == "aten::addmm" and len(shapes) >= 3:
            (m, k), (_, n) = shapes[1], shapes[2]
            return 2 * m * k * n
        if name == "aten::bmm" and len(shapes) >= 2:
            (b, m, k), (_, _, n) = shapes[0], shapes[1]
            return 2 * b * m * k * n
        if name in ("aten::mul", "aten::add") and shapes and shapes[0]:
            n = 1
            for d in shapes[0]:
                n *= d
            return n
    except (TypeError, ValueError):
        pass
    return 0


def to_function_events(session, with_flops=False):
    """FunctionEvents (with parent/child links) from a finished session's raw events."""
    t0 = session.t0
    by_raw = {}
    out = []
    for ev in session.events:
        fe = FunctionEvent(
            ev.id, ev.name, ev.tid, (ev.start - t0) / 1000.0, (ev.end - t0) / 1000.0,
            input_shapes=ev.shapes, stack=ev.stack, is_user_annotation=ev.kind == "user",
            sequence_nr=ev.seq,
            flops=_flops(ev.name, ev.shapes) if with_flops else 0)
        if ev.kind == "user" and ev.name.startswith("ProfilerStep#"):
            fe.name = "ProfilerStep*"       # the name PyTorch's results give every step
        by_raw[id(ev)] = fe
        out.append(fe)
    for ev in session.events:
        if ev.parent is not None:
            p = by_raw.get(id(ev.parent))
            if p is not None:
                fe = by_raw[id(ev)]
                fe.cpu_parent = p
                p.cpu_children.append(fe)
    return out


class profile:
    """Records the ops the dispatcher runs in the block (PyTorch's
    ``torch.autograd.profiler.profile``); ``key_averages().table()`` summarises them."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None,
                 activity_filters=None):
        self.enabled = enabled
        if not self.enabled:
            return
        self.use_cuda = use_cuda
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use "
                          "``use_device = 'cuda'`` instead.", FutureWarning, stacklevel=2)
            warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=2)
        self.use_device = None
        self.function_events = None
        self.entered = False
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.record_shapes |= self.with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.use_cpu = use_cpu
        self.acc_events = acc_events
        self.experimental_config = experimental_config
        self.kineto_results = None
        self._session = None
        self._sessions = []
        self._prev = None

    # -- lifecycle (PyTorch's names, used by torch.profiler.profile) ------------------------
    def __enter__(self):
        if not self.enabled:
            return
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._prepare_trace()
        self._start_trace()
        return self

    def _prepare_trace(self):
        self.entered = True
        self._session = R.Session(self.record_shapes, self.with_stack)

    def _start_trace(self):
        self.entered = True
        if self._session is None:
            self._session = R.Session(self.record_shapes, self.with_stack)
        self._prev = R.start(self._session)

    def __exit__(self, exc_type, exc_val, exc_tb):
        if not self.enabled:
            return
        s = self._session
        if s is not None:
            R.stop(s, self._prev)
            self._prev = None
            if self.acc_events:
                self._sessions.append(s)
            else:
                self._sessions = [s]
        events = []
        for sess in self._sessions:
            events += to_function_events(sess, self.with_flops)
        self.function_events = EventList(events, use_device=None,
                                         profile_memory=self.profile_memory,
                                         with_flops=self.with_flops)
        self._session = None
        return False

    def _events(self):
        if self.function_events is None:
            return EventList([], profile_memory=self.profile_memory,
                             with_flops=self.with_flops)
        return self.function_events

    # -- results -------------------------------------------------------------------------
    def __repr__(self):
        if self.function_events is None:
            return "<unfinished torch.autograd.profile>"
        return repr(self.function_events)

    def __str__(self):
        if self.function_events is None:
            return "<unfinished torch.autograd.profile>"
        return str(self.function_events)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False):
        return self._events().table(
            sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width, header=header,
            top_level_events_only=top_level_events_only)

    table.__doc__ = EventList.table.__doc__

    def export_chrome_trace(self, path):
        ev = self._events()
        base = self._sessions[0].wall0 if self._sessions else 0
        write_chrome_trace(ev, path, base_ns=base, record_shapes=self.record_shapes)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        return self._events().export_stacks(path, metric)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        return self._events().key_averages(group_by_input_shape, group_by_stack_n,
                                           group_by_overload_name)

    key_averages.__doc__ = EventList.key_averages.__doc__

    def total_average(self):
        return self._events().total_average()

    @property
    def self_cpu_time_total(self):
        """Total time spent on the CPU: the sum of every event's self time (microseconds)."""
        return self._events().self_cpu_time_total
