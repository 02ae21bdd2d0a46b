"""torch.profiler / torch.autograd.profiler against PyTorch: event names and counts, nesting,
table headers, schedules, backward nodes."""

import collections
import warnings

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402

import tensor as tk  # noqa: E402

BOTH = [torch, tk]


def top_level(events):
    return collections.Counter(e.name for e in events if e.cpu_parent is None)


def run(lib, program, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.profiler.profile(**kw) as p:
            program(lib)
    return p


def pair(lib, *shapes):
    rng = np.random.default_rng(0)
    return [lib.tensor(rng.standard_normal(s).astype(np.float32)) for s in shapes]


def _pointwise(lib):
    x, y = _inputs[id(lib)]
    for _ in range(3):
        x * y
    x + y
    x.neg()
    x.exp()
    x.add_(y)
    lib.relu(x)


def _reductions(lib):
    x, _ = _inputs[id(lib)]
    x.sum()
    x.mean()
    x.amax(1)


_inputs = {}


@pytest.fixture(autouse=True)
def inputs():
    for lib in BOTH:
        _inputs[id(lib)] = pair(lib, (3, 4), (3, 4))
    yield


@pytest.mark.parametrize("program", [_pointwise, _reductions])
def test_op_names_and_counts(program):
    got = [top_level(run(lib, program).events()) for lib in BOTH]
    assert got[1] == got[0]


def test_matmul_nests_mm():
    for lib in BOTH:
        a, b = pair(lib, (3, 4), (4, 5))
        with lib.profiler.profile() as p:
            a @ b
        (mm,) = [e for e in p.events() if e.name == "aten::mm"]
        assert mm.cpu_parent.name == "aten::matmul"
        assert top_level(p.events()) == {"aten::matmul": 1}


def test_key_averages_counts_match():
    got = []
    for lib in BOTH:
        x, y = _inputs[id(lib)]
        with lib.profiler.profile() as p:
            for _ in range(4):
                x * y
            x.neg()
        got.append({a.key: a.count for a in p.key_averages() if a.key in ("aten::mul",
                                                                          "aten::neg")})
    assert got[0] == got[1] == {"aten::mul": 4, "aten::neg": 1}


def header(table):
    return [c.strip() for c in table.splitlines()[1].split("  ") if c.strip()]


def test_table_headers_and_footer():
    for grouped in (False, True):
        tables = []
        for lib in BOTH:
            x, y = _inputs[id(lib)]
            with lib.profiler.profile(record_shapes=True) as p:
                x * y
            tables.append(p.key_averages(group_by_input_shape=grouped).table())
        assert header(tables[1]) == header(tables[0])
        for t in tables:
            assert t.splitlines()[-1].startswith("Self CPU time total: ")
        # the separator lines have the same column widths
        assert tables[1].splitlines()[0] == tables[0].splitlines()[0]


def test_input_shapes_match():
    got = []
    for lib in BOTH:
        x, y = _inputs[id(lib)]
        with lib.profiler.profile(record_shapes=True) as p:
            x * y
            x + y
            x.sum(dim=1)
        got.append([(e.name, e.input_shapes) for e in p.events() if e.cpu_parent is None])
    assert got[1] == got[0]


def test_legacy_table_headers():
    tables = []
    for lib in BOTH:
        x, y = _inputs[id(lib)]
        with lib.autograd.profiler.profile() as p:
            x * y
        tables.append(p.table())
        assert p.total_average().key == "Total"
    assert header(tables[1]) == header(tables[0])


@pytest.mark.parametrize("args", [
    dict(wait=1, warmup=1, active=2),
    dict(wait=0, warmup=1, active=1, repeat=2),
    dict(wait=2, warmup=1, active=3, repeat=1, skip_first=2),
    dict(wait=1, warmup=2, active=1, repeat=3, skip_first=1, skip_first_wait=1),
])
def test_schedule_actions(args):
    seqs = []
    for lib in BOTH:
        s = lib.profiler.schedule(**args)
        seqs.append([s(i).name for i in range(25)])
    assert seqs[1] == seqs[0]
    assert [a.value for a in tk.profiler.ProfilerAction] == [
        a.value for a in torch.profiler.ProfilerAction]


def test_schedule_steps_record_and_report():
    def go(lib):
        x = lib.ones(3)
        ops = [lib.neg, lib.exp, lib.sin, lib.cos, lib.tan, lib.abs, lib.sqrt, lib.log,
               lib.relu]
        seen = []

        def ready(p):
            seen.append((p.step_num, sorted(collections.Counter(e.name for e in p.events())
                                            .items())))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.profiler.profile(
                    schedule=lib.profiler.schedule(wait=1, warmup=1, active=2, repeat=2),
                    on_trace_ready=ready) as p:
                for i in range(9):
                    ops[i](x)
                    p.step()
        return seen
    assert go(tk) == go(torch)


def test_record_function_nesting():
    def go(lib):
        x = lib.ones(3)
        with lib.profiler.profile() as p:
            with lib.profiler.record_function("outer"):
                x.neg()
                with lib.profiler.record_function("inner"):
                    x.exp()
        out = {}
        for e in p.events():
            if e.name in ("outer", "inner"):
                out[e.name] = ([c.name for c in e.cpu_children],
                               e.cpu_parent.name if e.cpu_parent else None)
        return out
    assert go(tk) == go(torch)


def test_record_function_decorator():
    def go(lib):
        @lib.profiler.record_function("deco")
        def f(t):
            return t * t          # (a Python scalar would add torch's aten::to calls)
        x = lib.ones(2)
        with lib.profiler.profile() as p:
            f(x)
        return [(e.name, e.cpu_parent.name if e.cpu_parent else None) for e in p.events()]
    assert go(tk) == go(torch)


AUTOGRAD = ("autograd::", "Backward", "AccumulateGrad")


def test_backward_event_names():
    def go(lib):
        a = lib.randn(4, requires_grad=True)
        b = lib.randn(4, requires_grad=True)
        with lib.profiler.profile(record_shapes=True) as p:
            ((a * b).exp() + a).sum().backward()
        evs = p.events()
        nodes = [e for e in evs if any(s in e.name for s in AUTOGRAD)]
        return ({e.name for e in evs},
                collections.Counter(e.name for e in nodes),
                sorted((e.name, e.cpu_parent.name if e.cpu_parent else None, e.input_shapes)
                       for e in nodes))
    ours, theirs = go(tk), go(torch)
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]
    assert ours[0] <= theirs[0]       # every op we show, torch shows too


def test_backward_formula_ops_nest_under_nodes():
    def go(lib):
        a = lib.randn(4, requires_grad=True)
        with lib.profiler.profile() as p:
            (a * a).sum().backward()
        (mb,) = [e for e in p.events() if e.name == "MulBackward0"]
        return collections.Counter(c.name for c in mb.cpu_children)
    assert go(tk) == go(torch)


def test_emit_nvtx_on_cpu():
    for lib in BOTH:
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            with lib.autograd.profiler.emit_nvtx():
                pass
        with lib.autograd.profiler.emit_itt():
            pass


def test_disabled_legacy_profile_enters_as_none():
    for lib in BOTH:
        with lib.autograd.profiler.profile(enabled=False) as p:
            pass
        assert p is None
