"""Profiler results: events, their averages, and the summary table (PyTorch's
``torch.autograd.profiler_util`` names: FunctionEvent, FunctionEventAvg, EventList)."""

from __future__ import annotations

import enum
import json
import os

__all__ = ["DeviceType", "Interval", "FunctionEvent", "FunctionEventAvg", "EventList"]


class DeviceType(enum.Enum):
    CPU = 0

    def __repr__(self):
        return f"DeviceType.{self.name}"


class Interval:
    """Start and end of an event, in microseconds."""

    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        return self.end - self.start

    def __repr__(self):
        return f"Interval(start={self.start}, end={self.end})"


def _format_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_share(us, total):
    if total == 0:
        return "NaN"
    return f"{us * 100.0 / total:.2f}%"


def _format_memory(nbytes):
    for size, unit in ((1024 ** 3, "GB"), (1024 ** 2, "MB"), (1024, "KB")):
        if abs(nbytes) >= size:
            return f"{nbytes * 1.0 / size:.2f} {unit}"
    return f"{nbytes} B"


def _in_unit(us, unit, default):
    if unit == "s":
        return f"{us / 1e6:.3f}s"
    if unit == "ms":
        return f"{us / 1e3:.3f}ms"
    if unit == "us":
        return f"{us:.3f}us"
    return default


class _TimeStrings:
    @property
    def cpu_time_str(self):
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self):
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        return _format_time(self.self_cpu_time_total)

    # no device: the device columns are always zero
    device_time_total = 0
    self_device_time_total = 0
    device_time = 0
    device_memory_usage = 0
    self_device_memory_usage = 0

    @property
    def cuda_time_total(self):
        return 0

    @property
    def self_cuda_time_total(self):
        return 0


class FunctionEvent(_TimeStrings):
    """One recorded interval: an op call, a ``record_function`` range or an autograd node."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, stack=None,
                 is_user_annotation=False, sequence_nr=-1, cpu_memory_usage=0, flops=0):
        self.id = id
        self.node_id = -1
        self.name = name
        self.overload_name = ""
        self.trace_name = name
        self.time_range = Interval(start_us, end_us)
        self.thread = thread
        self.fwd_thread = None
        self.kernels = []
        self.count = 1
        self.cpu_children = []
        self.cpu_parent = None
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.concrete_inputs = []
        self.kwinputs = {}
        self.stack = stack if stack is not None else []
        self.scope = 0
        self.use_device = None
        self.cpu_memory_usage = cpu_memory_usage
        self.is_async = False
        self.is_remote = False
        self.sequence_nr = sequence_nr
        self.device_type = DeviceType.CPU
        self.device_index = 0
        self.device_resource_id = thread
        self.is_legacy = False
        self.flops = flops
        self.is_user_annotation = is_user_annotation
        self.metadata_json = None

    def append_cpu_child(self, child):
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        self.cpu_parent = parent

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self):
        return self.cpu_time_total

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} overload_name={self.overload_name}"
                f" device_type={self.device_type!r} node_id={self.node_id} "
                f"cpu_time={self.cpu_time_str} start_us={self.time_range.start} "
                f"end_us={self.time_range.end} "
                f"cpu_children={[c.id for c in self.cpu_children]!s} thread={self.thread} "
                f"input_shapes={self.input_shapes!s} "
                f"cpu_memory_usage={self.cpu_memory_usage} is_async={self.is_async} "
                f"is_remote={self.is_remote} seq_nr={self.sequence_nr} "
                f"is_legacy={self.is_legacy}>")


class FunctionEventAvg(_TimeStrings):
    """Sums over the events sharing a key (see ``EventList.key_averages``)."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.node_id = 0
        self.is_async = False
        self.is_remote = False
        self.use_device = None
        self.cpu_time_total = 0
        self.self_cpu_time_total = 0
        self.input_shapes = None
        self.overload_name = None
        self.stack = None
        self.scope = None
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.cpu_children = None
        self.cpu_parent = None
        self.device_type = DeviceType.CPU
        self.is_legacy = False
        self.flops = 0
        self.is_user_annotation = False

    def add(self, other):
        if self.key is None:
            self.key = other.key
            self.node_id = other.node_id
            self.is_async = other.is_async
            self.is_remote = other.is_remote
            self.cpu_parent = other.cpu_parent
            self.cpu_children = other.cpu_children
            self.input_shapes = other.input_shapes
            self.overload_name = other.overload_name
            self.stack = other.stack
            self.scope = other.scope
            self.device_type = other.device_type
            self.is_legacy = other.is_legacy
            self.use_device = other.use_device
            self.is_user_annotation = other.is_user_annotation
        if not isinstance(other, (FunctionEvent, FunctionEventAvg)):
            raise AssertionError("Expected other to be a FunctionEvent or FunctionEventAvg")
        if other.key != self.key:
            raise AssertionError(
                f"Expected keys to match, but got {self.key} vs {other.key}")
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        if self.flops is None:
            self.flops = other.flops
        elif other.flops is not None:
            self.flops += other.flops
        return self

    def __iadd__(self, other):
        return self.add(other)

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str}"
                f" cpu_time={self.cpu_time_str}  self_cuda_time=0.000us cuda_time=0.000us "
                f"input_shapes={self.input_shapes!s} "
                f"cpu_memory_usage={self.cpu_memory_usage} cuda_memory_usage=0>")


class EventList(list):
    """A list of events with PyTorch's summaries."""

    def __init__(self, *args, **kwargs):
        self._use_device = kwargs.pop("use_device", None)
        self._profile_memory = kwargs.pop("profile_memory", False)
        self._with_flops = kwargs.pop("with_flops", False)
        super().__init__(*args, **kwargs)
        self._tree_built = False

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        """The summary table PyTorch prints (one row per event, sorted by ``sort_by``)."""
        return _build_table(self, sort_by=sort_by, header=header, row_limit=row_limit,
                            max_src_column_width=max_src_column_width,
                            max_name_column_width=max_name_column_width,
                            max_shapes_column_width=max_shapes_column_width,
                            with_flops=self._with_flops, profile_memory=self._profile_memory,
                            top_level_events_only=top_level_events_only, time_unit=time_unit)

    def __str__(self):
        return self.table()

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """One FunctionEventAvg per event name (and input shapes, the first
        ``group_by_stack_n`` stack frames, the overload name when asked), in the order the
        keys first occur."""
        groups = {}
        for e in self:
            k = [str(e.key), str(e.node_id), str(e.device_type), str(e.is_legacy),
                 str(e.is_user_annotation)]
            if group_by_input_shapes:
                k.append(str(e.input_shapes))
            if group_by_stack_n > 0:
                k += list(e.stack[:group_by_stack_n])
            if group_by_overload_name:
                k.append(e.overload_name)
            k = tuple(k)
            avg = groups.get(k)
            if avg is None:
                avg = groups[k] = FunctionEventAvg()
            avg.add(e)
        out = EventList(groups.values(), use_device=self._use_device,
                        profile_memory=self._profile_memory, with_flops=self._with_flops)
        for avg in out:
            avg.stack = avg.stack[:group_by_stack_n] if avg.stack else avg.stack
            if not group_by_input_shapes:
                avg.input_shapes = ""
            if not group_by_overload_name:
                avg.overload_name = ""
        return out

    def total_average(self):
        """A FunctionEventAvg named ``Total`` summing every event."""
        total = FunctionEventAvg()
        for e in self:
            total.add(e)
            total.key = None
        total.key = "Total"
        return total

    def export_chrome_trace(self, path):
        write_chrome_trace(self, path)

    def supported_export_stacks_metrics(self):
        return ["self_cpu_time_total", "self_cuda_time_total", "self_device_time_total"]

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Write ``stack;frames value`` lines (for flame graphs), as PyTorch does."""
        if metric not in self.supported_export_stacks_metrics():
            raise ValueError("metric should be one of: "
                             + str(self.supported_export_stacks_metrics()))
        with open(path, "w") as f:
            for e in self:
                if e.stack:
                    value = getattr(e, metric)
                    if int(value) > 0:
                        f.write(";".join(reversed(e.stack)).replace(" ", "_")
                                + f" {int(value)}\n")


def _sort_key(attr):
    attr = attr.replace("cuda", "device").replace("xpu", "device").replace(
        "privateuse1", "device")
    return lambda e: getattr(e, attr)


def _build_table(events, sort_by=None, header=None, row_limit=100, max_src_column_width=75,
                 max_name_column_width=55, max_shapes_column_width=80, with_flops=False,
                 profile_memory=False, top_level_events_only=False, time_unit=None):
    if len(events) == 0:
        return ""
    has_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0 for e in events)
    has_overload = any(e.overload_name is not None and len(e.overload_name) > 0
                       for e in events)
    if sort_by is not None:
        events = sorted(events, key=_sort_key(sort_by), reverse=True)
    name_w = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_w = min(name_w, max_name_column_width)
    shapes_w = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_w = min(shapes_w, max_shapes_column_width)
    stacks = [e.stack for e in events if e.stack]
    src_w = None
    if stacks:
        src_w = max(max(len(x) for x in st) for st in stacks) + 4
        if max_src_column_width is not None:
            src_w = min(src_w, max_src_column_width)

    cols = []                       # (title, width, align)
    cols.append(("Name", name_w, ">"))
    if has_overload:
        cols.append(("Overload Name", name_w, ">"))
    for t in ("Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"):
        cols.append((t, 12, ">"))
    if profile_memory:
        cols += [("CPU Mem", 12, ">"), ("Self CPU Mem", 12, ">")]
    cols.append(("# of Calls", 12, ">"))
    if has_shapes:
        cols.append(("Input Shapes", shapes_w, ">"))
    if stacks:
        cols.append(("Source Location", src_w, "<"))
    flops_scale = None
    if with_flops:
        raw = [e.flops for e in events if e.flops > 0]
        if raw:
            import math
            names = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]
            lg = max(0, min(math.log10(min(raw)) / 3, float(len(names) - 1)))
            flops_scale = pow(10, math.floor(lg) * -3.0)
            cols.append((f"Total {names[int(lg)]}", 12, ">"))

    fmt = "".join("{: " + a + str(w) + "}  " for _, w, a in cols)

    def row(values):
        return fmt.format(*values)

    sep = "".join("-" * w + "  " for _, w, _a in cols)
    total_self = sum(e.self_cpu_time_total for e in events)
    lines = []
    if header is not None:
        lines.append("=" * (len(sep) - 2))
        lines.append(header)
    if top_level_events_only:
        lines.append("=" * (len(sep) - 2))
        lines.append("This report only display top-level ops statistics")
    lines.append(sep)
    lines.append(row([c[0] for c in cols]))
    lines.append(sep)

    def trim(path):
        if len(path) > src_w:
            path = path[len(path) - src_w:]
            if len(path) > 3:
                path = "..." + path[3:]
        return path

    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        vals = [name]
        if has_overload:
            vals.append(e.overload_name)
        vals += [
            _format_share(e.self_cpu_time_total, total_self),
            _in_unit(e.self_cpu_time_total, time_unit, e.self_cpu_time_total_str),
            _format_share(e.cpu_time_total, total_self),
            _in_unit(e.cpu_time_total, time_unit, e.cpu_time_total_str),
            _in_unit(e.cpu_time, time_unit, e.cpu_time_str),
        ]
        if profile_memory:
            vals += [_format_memory(e.cpu_memory_usage),
                     _format_memory(e.self_cpu_memory_usage)]
        vals.append(e.count)
        if has_shapes:
            vals.append(str(e.input_shapes)[:shapes_w])
        if stacks:
            vals.append(trim(e.stack[0]) if e.stack else "")
        if flops_scale is not None:
            vals.append("--" if e.flops <= 0 else f"{e.flops * flops_scale:8.3f}")
        lines.append(row(vals))
        if stacks:
            blank = [""] * (len(cols) - 1)
            src_at = [c[0] for c in cols].index("Source Location")
            for entry in e.stack[1:]:
                v = [""] * len(cols)
                v[src_at] = trim(entry)
                lines.append(row(v))
            lines.append(row(blank + [""]))
    lines.append(sep)
    lines.append("Self CPU time total: "
                 + _in_unit(total_self, time_unit, _format_time(total_self)))
    return "\n".join(lines) + "\n"


def write_chrome_trace(events, path, base_ns=0, pid=None, record_shapes=False):
    """Write ``events`` as Chrome trace JSON (``chrome://tracing``, Perfetto)."""
    pid = os.getpid() if pid is None else pid
    trace = []
    tids = sorted({e.thread for e in events})
    trace.append({"ph": "M", "name": "process_name", "ts": 0, "pid": pid, "tid": 0,
                  "args": {"name": "python"}})
    for t in tids:
        trace.append({"ph": "M", "name": "thread_name", "ts": 0, "pid": pid, "tid": t,
                      "args": {"name": f"thread {t} (python)"}})
    for i, e in enumerate(events):
        args = {"External id": e.id, "Record function id": 0, "Ev Idx": i}
        if e.sequence_nr >= 0:
            args["Sequence number"] = e.sequence_nr
        if record_shapes and not e.is_user_annotation and e.input_shapes:
            args["Input Dims"] = e.input_shapes
        trace.append({
            "ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
            "name": e.trace_name, "pid": pid, "tid": e.thread,
            "ts": round(e.time_range.start, 3), "dur": round(e.cpu_time_total, 3),
            "args": args})
    doc = {"schemaVersion": 1, "record_shapes": int(bool(record_shapes)),
           "displayTimeUnit": "ms", "baseTimeNanoseconds": base_ns,
           "traceEvents": trace, "traceName": str(path)}
    opener = open
    if str(path).endswith(".gz"):
        import gzip
        opener = gzip.open
    with opener(path, "wt") as f:
        json.dump(doc, f)
