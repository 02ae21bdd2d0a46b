"""torch.jit and torch.compiler for eager code: the questions answer False, markers return
what they mark, script/trace hand back the function to run eagerly, TorchScript archives are
refused."""

import pytest

import tensor as torch


def test_questions_answer_false():
    """Nothing is scripted, traced, compiled or exported in tensorkeys."""
    assert torch.jit.is_scripting() is False
    assert torch.jit.is_tracing() is False
    assert torch.compiler.is_compiling() is False
    assert torch.compiler.is_dynamo_compiling() is False
    assert torch.compiler.is_exporting() is False


def test_markers_return_what_they_mark():
    """ignore (bare and with drop=), unused, export, disable, allow_in_graph return the
    function itself; annotate returns the value."""
    def f(x):
        return x + 1
    assert torch.jit.ignore(f) is f
    assert torch.jit.ignore(drop=True)(f) is f
    assert torch.jit.unused(f) is f and torch.jit.export(f) is f
    assert torch.compiler.disable(f) is f and torch.compiler.disable()(f) is f
    assert torch.compiler.allow_in_graph(f) is f
    assert torch.compiler.assume_constant_result(f) is f
    assert torch.jit.annotate(list, [1]) == [1]


def test_ignore_refuses_a_non_bool():
    """PyTorch's message for @torch.jit.ignore(3)."""
    with pytest.raises(RuntimeError, match="Argument to @torch.jit.ignore must be a bool or a "
                                           "function but got 3"):
        torch.jit.ignore(3)


@pytest.mark.filterwarnings("ignore:`torch.jit")
def test_script_runs_eagerly_with_gradients():
    """A scripted function is the function: same values, gradients flow through it."""
    @torch.jit.script
    def f(x):
        return (x * x).sum()
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    f(x).backward()
    assert x.grad.tolist() == [2.0, 4.0]
    m = torch.nn.Linear(2, 1)
    assert torch.jit.script(m) is m


@pytest.mark.filterwarnings("ignore:`torch.jit")
def test_trace_runs_once_on_the_example_and_returns_the_function():
    """trace calls the function on its example inputs (tuple, single tensor or kwargs) and
    hands it back unchanged, so control flow is not frozen."""
    calls = []

    def f(x, y=None):
        calls.append(x.shape)
        return x * 2 if x.sum() > 0 else x * 3
    assert torch.jit.trace(f, torch.ones(2)) is f
    assert torch.jit.trace(f, (torch.ones(3),)) is f
    assert torch.jit.trace(f, example_kwarg_inputs={"x": torch.ones(1)}) is f
    assert calls == [(2,), (3,), (1,)]
    assert f(-torch.ones(1)).tolist() == [-3.0]


def test_archives_are_refused_with_a_hint():
    with pytest.raises(RuntimeError, match="torch.save"):
        torch.jit.save(torch.nn.Linear(1, 1), "m.pt")
    with pytest.raises(RuntimeError, match="torch.save"):
        torch.jit.load("m.pt")


def test_modules_import_by_name():
    import tensor.compiler
    import tensor.jit
    assert tensor.compiler is torch.compiler and tensor.jit is torch.jit
    assert torch.compiler.compile is torch.compile
