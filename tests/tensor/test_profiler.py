"""torch.profiler / torch.autograd.profiler: events from the dispatcher, nesting, averages,
tables, schedules, record_function, Chrome traces, and no cost when off."""

import json
import os
import warnings

import pytest
from hypothesis import given, settings, strategies as st

import tensor as torch
from dispatch import dispatcher as D
from dispatch.trace import dispatch_trace
from tensor.profiler import (profile, record_function, schedule, ProfilerAction,
                             ProfilerActivity, tensorboard_trace_handler)

ap = torch.autograd.profiler


def names(prof):
    return [e.name for e in prof.events()]


def by_name(prof, name):
    return [e for e in prof.events() if e.name == name]


# -- wiring ---------------------------------------------------------------------------------
def test_modules_are_exposed():
    import tensor.profiler
    import tensor.autograd.profiler
    assert torch.profiler is tensor.profiler
    assert torch.autograd.profiler is tensor.autograd.profiler
    assert torch.profiler.record_function is torch.autograd.profiler.record_function
    assert torch.profiler.supported_activities() == {ProfilerActivity.CPU}


# -- events come from dispatcher calls ------------------------------------------------------
def test_one_event_per_call_across_dispatch_layers():
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(3)
    with profile() as p:
        a + b          # Autograd kernel then CPU kernel: one call
        a.t()          # Autograd, ADInplaceOrView, CPU: one call
    assert names(p) == ["aten::add", "aten::t"]


def test_names_drop_the_overload():
    x = torch.ones(2, 3)
    with profile() as p:
        x.sum()
        x.sum(dim=1)
        x + 1
        x.add_(1)
    assert names(p) == ["aten::sum", "aten::sum", "aten::add", "aten::add_"]


def test_ops_called_inside_ops_nest_and_times_add_up():
    x, y = torch.randn(3, 4), torch.randn(4, 5)
    with profile() as p:
        x @ y
    (mm_parent,) = by_name(p, "aten::matmul")
    (mm,) = by_name(p, "aten::mm")
    assert mm.cpu_parent is mm_parent
    assert mm_parent.cpu_children == [mm]
    assert mm_parent.cpu_time_total >= mm.cpu_time_total
    assert mm_parent.self_cpu_time_total == pytest.approx(
        mm_parent.cpu_time_total - mm.cpu_time_total)
    assert mm.self_cpu_time_total == mm.cpu_time_total     # a leaf


def test_key_averages_counts_and_sums():
    x = torch.ones(4)
    with profile() as p:
        for _ in range(3):
            x * 2
        x.exp()
    avg = {a.key: a for a in p.key_averages()}
    assert avg["aten::mul"].count == 3
    assert avg["aten::exp"].count == 1
    muls = by_name(p, "aten::mul")
    assert avg["aten::mul"].cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in muls))
    assert avg["aten::mul"].cpu_time == pytest.approx(avg["aten::mul"].cpu_time_total / 3)
    total = p.profiler.total_average()
    assert total.key == "Total" and total.count == 4


def test_self_cpu_total_equals_span_of_top_level_events():
    x = torch.randn(5, 5)
    with profile() as p:
        with record_function("outer"):
            (x @ x).relu().sum()
    evs = p.events()
    top = [e for e in evs if e.cpu_parent is None]
    assert sum(e.self_cpu_time_total for e in evs) == pytest.approx(
        sum(e.cpu_time_total for e in top))


def test_record_shapes():
    x, y = torch.ones(2, 3), torch.ones(2, 3)
    with profile(record_shapes=True) as p:
        x + y
        torch.ones(4) + torch.ones(4)
        torch.cat([x, y])
    adds = by_name(p, "aten::add")
    assert [e.input_shapes for e in adds] == [[[2, 3], [2, 3], []], [[4], [4], []]]
    assert by_name(p, "aten::cat")[0].input_shapes == [[], []]    # a list: no shape
    grouped = p.key_averages(group_by_input_shape=True)
    assert sorted(str(a.input_shapes) for a in grouped if a.key == "aten::add") == [
        "[[2, 3], [2, 3], []]", "[[4], [4], []]"]
    plain = p.key_averages()
    assert [a.count for a in plain if a.key == "aten::add"] == [2]


def test_shapes_not_recorded_by_default():
    with profile() as p:
        torch.ones(2) + 1
    assert all(e.input_shapes == [] for e in p.events())


def test_backward_nodes():
    a = torch.randn(4, requires_grad=True)
    b = torch.randn(4)
    with profile(record_shapes=True) as p:
        (a * b).sum().backward()
    n = names(p)
    for node in ("SumBackward0", "MulBackward0", "torch::autograd::AccumulateGrad"):
        assert "autograd::engine::evaluate_function: " + node in n
        (ev,) = by_name(p, node)
        assert ev.cpu_parent.name == "autograd::engine::evaluate_function: " + node
    (mb,) = by_name(p, "MulBackward0")
    assert [c.name for c in mb.cpu_children] == ["aten::mul"]
    assert mb.input_shapes == [[4]]
    assert n.index("autograd::engine::evaluate_function: SumBackward0") < n.index(
        "autograd::engine::evaluate_function: MulBackward0")


def test_backward_without_profiler_records_nothing_and_works():
    a = torch.randn(3, requires_grad=True)
    with profile():
        pass
    (a * a).sum().backward()
    assert torch.allclose(a.grad, 2 * a)


def test_exception_inside_an_op_keeps_the_tree_consistent():
    with profile() as p:
        with pytest.raises(RuntimeError):
            torch.ones(2) + torch.ones(3)
        torch.ones(2).neg()
    neg = by_name(p, "aten::neg")[0]
    assert neg.cpu_parent is None


def test_exception_in_backward_closes_node_events():
    from tensor.autograd import Function

    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    a = torch.ones(2, requires_grad=True)
    with profile() as p:
        with pytest.raises(ValueError):
            Boom.apply(a).sum().backward()
        torch.ones(1).neg()
    assert by_name(p, "aten::neg")[0].cpu_parent is None
    assert all(e.time_range.end >= e.time_range.start for e in p.events())


# -- record_function ------------------------------------------------------------------------
def test_record_function_nests_children():
    x = torch.ones(3)
    with profile() as p:
        with record_function("outer"):
            x.neg()
            with record_function("inner"):
                x.exp()
    (outer,) = by_name(p, "outer")
    assert [c.name for c in outer.cpu_children] == ["aten::neg", "inner"]
    (inner,) = by_name(p, "inner")
    assert [c.name for c in inner.cpu_children] == ["aten::exp"]
    assert outer.is_user_annotation and not by_name(p, "aten::neg")[0].is_user_annotation


def test_record_function_as_decorator_and_without_profiler():
    @record_function("my_fn")
    def f(t):
        return t * 2

    assert torch.equal(f(torch.ones(2)), torch.full((2,), 2.0))   # no profiler: just runs
    with profile() as p:
        f(torch.ones(2))
        f(torch.ones(2))
    fns = by_name(p, "my_fn")
    assert len(fns) == 2
    assert [c.name for c in fns[0].cpu_children] == ["aten::mul"]


# -- table ----------------------------------------------------------------------------------
HEADERS = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
           "# of Calls"]


def header_cells(table):
    line = table.splitlines()[1]
    return [c.strip() for c in line.split("  ") if c.strip()]


def test_table_layout():
    x = torch.ones(3)
    with profile(record_shapes=True) as p:
        x.neg()
        x.neg()
    t = p.key_averages().table()
    lines = t.splitlines()
    assert header_cells(t) == HEADERS
    assert lines[0] == lines[2] == lines[-2] and set(lines[0]) == {"-", " "}
    assert lines[-1].startswith("Self CPU time total: ")
    assert t.endswith("\n")
    row = lines[3].split()
    assert row[0] == "aten::neg" and row[-1] == "2"
    assert header_cells(p.key_averages(group_by_input_shape=True).table()) == HEADERS + [
        "Input Shapes"]


def test_table_sorting_and_limit():
    x = torch.randn(50, 50)
    with profile() as p:
        x.neg()
        for _ in range(3):
            x @ x
    t = p.key_averages().table(sort_by="count", row_limit=1)
    rows = t.splitlines()[3:-2]
    assert len(rows) == 1
    assert rows[0].split()[0] in ("aten::matmul", "aten::mm")


def test_time_formats():
    from tensor.profiler._events import _format_time, _format_share
    assert _format_time(12.3456) == "12.346us"
    assert _format_time(1234.5) == "1.234ms" or _format_time(1234.5) == "1.235ms"
    assert _format_time(2_500_000) == "2.500s"
    assert _format_share(1, 4) == "25.00%"
    assert _format_share(0, 0) == "NaN"


def test_long_names_are_cut():
    with profile() as p:
        with record_function("x" * 80):
            pass
    row = p.key_averages().table().splitlines()[3]
    assert ("x" * 52 + "...") in row and ("x" * 53) not in row


def test_empty_profile():
    with profile() as p:
        pass
    assert p.key_averages().table() == ""
    assert list(p.events()) == []


# -- schedule -------------------------------------------------------------------------------
def test_schedule_actions():
    s = schedule(wait=1, warmup=1, active=2, repeat=2, skip_first=1)
    A = ProfilerAction
    assert [s(i) for i in range(11)] == [
        A.NONE, A.NONE, A.WARMUP, A.RECORD, A.RECORD_AND_SAVE, A.NONE, A.WARMUP, A.RECORD,
        A.RECORD_AND_SAVE, A.NONE, A.NONE]


def test_schedule_argument_checks():
    with pytest.raises(TypeError):
        schedule(1, 1, 1)
    with pytest.raises(AssertionError, match="Invalid profiler schedule arguments"):
        schedule(wait=0, warmup=1, active=0)
    with pytest.warns(UserWarning, match="won't be using warmup"):
        schedule(wait=0, warmup=0, active=1)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 3), st.integers(0, 3), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 3))
def test_schedule_property(wait, warmup, active, repeat, skip_first):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = schedule(wait=wait, warmup=warmup, active=active, repeat=repeat,
                     skip_first=skip_first)
    acts = [s(i) for i in range(skip_first + (wait + warmup + active) * (repeat + 1))]
    assert acts.count(ProfilerAction.RECORD_AND_SAVE) == repeat
    assert acts.count(ProfilerAction.RECORD) == repeat * (active - 1)
    assert acts.count(ProfilerAction.WARMUP) == repeat * warmup
    assert all(a == ProfilerAction.NONE for a in acts[:skip_first])


def test_schedule_records_only_active_steps_and_calls_handler():
    x = torch.ones(3)
    ops = [torch.neg, torch.exp, torch.sin, torch.cos, torch.tan, torch.abs, torch.sqrt]
    seen = []

    def ready(p):
        seen.append((p.step_num, sorted({e.name for e in p.events()})))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with profile(schedule=schedule(wait=1, warmup=1, active=2), on_trace_ready=ready) as p:
            for i in range(5):
                ops[i](x)
                p.step()
    assert seen == [(4, ["ProfilerStep*", "aten::cos", "aten::sin"])]
    steps = [e for e in p.events() if e.name == "ProfilerStep*"]
    assert steps == []          # the last (empty) cycle is what remains


def test_step_without_schedule_records_everything():
    x = torch.ones(2)
    with profile() as p:
        x.neg()
        p.step()
        x.exp()
    assert sorted(names(p)) == ["aten::exp", "aten::neg"] and p.step_num == 1


def test_acc_events_keeps_all_cycles():
    x = torch.ones(2)
    ops = [torch.neg, torch.exp, torch.sin, torch.cos]
    with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=2),
                 acc_events=True) as p:
        for i in range(4):
            ops[i](x)
            p.step()
    assert {"aten::exp", "aten::cos"} <= set(names(p))
    assert "aten::neg" not in names(p)


# -- chrome trace / tensorboard -------------------------------------------------------------
def test_chrome_trace_is_valid_json(tmp_path):
    x = torch.ones(2, 2, requires_grad=True)
    with profile(record_shapes=True) as p:
        with record_function("blk"):
            (x * 3).sum().backward()
    path = tmp_path / "trace.json"
    p.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    evs = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert len(evs) == len(p.events())
    assert {e["name"] for e in evs} == set(names(p))
    for e in evs:
        assert e["dur"] >= 0 and isinstance(e["ts"], (int, float))
        assert e["cat"] == ("user_annotation" if e["name"] == "blk" else "cpu_op")
    mul = next(e for e in evs if e["name"] == "aten::mul")
    assert mul["args"]["Input Dims"] == [[2, 2], []]


def test_tensorboard_trace_handler_writes_a_file(tmp_path):
    d = tmp_path / "tb"
    with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=1),
                 on_trace_ready=tensorboard_trace_handler(str(d), worker_name="w")) as p:
        for _ in range(3):
            torch.ones(2).neg()
            p.step()
    files = os.listdir(d)
    assert len(files) == 1 and files[0].startswith("w.") and files[0].endswith(".pt.trace.json")
    doc = json.loads((d / files[0]).read_text())
    assert "aten::neg" in {e.get("name") for e in doc["traceEvents"]}


# -- autograd.profiler ----------------------------------------------------------------------
def test_legacy_profile():
    x = torch.ones(2, 3)
    with ap.profile(record_shapes=True) as p:
        x + 1
        x.sum()
    assert [e.name for e in p.function_events] == ["aten::add", "aten::sum"]
    assert p.self_cpu_time_total == pytest.approx(
        sum(e.self_cpu_time_total for e in p.function_events))
    assert p.total_average().key == "Total" and p.total_average().count == 2
    assert header_cells(p.table()) == HEADERS + ["Input Shapes"]
    assert header_cells(p.key_averages().table()) == HEADERS


def test_legacy_disabled_and_use_cuda():
    with ap.profile(enabled=False) as p:
        torch.ones(1) + 1
    assert p is None
    x = torch.ones(1)
    with pytest.warns(FutureWarning), pytest.warns(UserWarning, match="CUDA is not"):
        with ap.profile(use_cuda=True) as q:
            x.neg()
    assert [e.name for e in q.function_events] == ["aten::neg"]


def test_emit_nvtx_and_itt():
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        with ap.emit_nvtx():
            pass
    with ap.emit_nvtx(enabled=False):
        pass
    with ap.emit_itt():
        y = torch.ones(2) + 1
    assert torch.equal(y, torch.full((2,), 2.0))


# -- no cost when off -----------------------------------------------------------------------
def _kernels():
    a = torch.randn(4)
    b = torch.randn(4, requires_grad=True)
    a + b
    a + a
    a.sum()
    a @ a
    return {n: dict(D.get_op(n)._cache) for n in
            ("aten::add.Tensor", "aten::sum", "aten::dot", "aten::matmul")}


def test_caches_hold_the_same_kernels_after_the_profiler():
    before = _kernels()
    with profile():
        inside = _kernels()
    after = _kernels()
    for n in ("aten::add.Tensor", "aten::sum", "aten::dot"):
        assert before[n] and before[n].keys() == after[n].keys()
        for ks, k in before[n].items():
            assert after[n][ks] is k                       # the very same (fused) kernel
            assert inside[n][ks] is not k                  # wrapped while profiling
    for ks, k in before["aten::matmul"].items():           # re-specialised: same code
        c1, c2 = after["aten::matmul"][ks].__code__, k.__code__
        assert (c1.co_filename, c1.co_code) == (c2.co_filename, c2.co_code)
    assert not D._trace_hooks


def test_profiler_and_dispatch_trace_together():
    with profile() as p:
        with dispatch_trace(echo=False) as t:
            torch.ones(2).neg()
            assert len(D._trace_hooks) == 2
    assert "aten::neg" in names(p)
    assert [e.op for e in t.events if e.depth == 0][-1] == "aten::neg"
    assert not D._trace_hooks


def test_kernel_wrapper_refcount():
    def w(op, key, how, raw):
        return raw
    D.install_kernel_wrapper(w)
    D.install_kernel_wrapper(w)
    assert D._trace_hooks.count(w) == 1
    D.remove_kernel_wrapper(w)
    assert w in D._trace_hooks
    D.remove_kernel_wrapper(w)
    assert w not in D._trace_hooks
    with pytest.raises(ValueError):
        D.remove_kernel_wrapper(w)


def test_nested_profilers_inner_records_then_outer_resumes():
    with profile() as outer:
        torch.ones(1).neg()
        with profile() as inner:
            torch.ones(1).exp()
        torch.ones(1).sin()
    assert "aten::exp" in names(inner)
    assert {"aten::neg", "aten::sin"} <= set(names(outer))
    assert not D._trace_hooks
