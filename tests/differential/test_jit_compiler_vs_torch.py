"""torch.jit / torch.compiler questions, markers and argument errors side by side with
PyTorch (skipped without torch)."""

import pytest

import tensor as tk

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.differential

CALLS = [
    lambda M: M.jit.is_scripting(),
    lambda M: M.jit.is_tracing(),
    lambda M: M.compiler.is_compiling(),
    lambda M: M.compiler.is_dynamo_compiling(),
    lambda M: M.compiler.is_exporting(),
    lambda M: M.compiler.list_backends(),
    lambda M: M.jit.annotate(int, 3),
    lambda M: M.jit.ignore(3),
    lambda M: M.jit.script(5),
    lambda M: M.jit.trace(5, M.ones(1)),
    lambda M: M.jit.trace(lambda x, y: x * y, (M.ones(2), M.full((2,), 3.0)))(
        M.ones(1), M.ones(1)).tolist(),
]


def _run(fn, M):
    try:
        return "ok", fn(M)
    except Exception as e:       # compare the refusal: type and message start
        return type(e).__name__, str(e).split(" Hint:")[0]


@pytest.mark.filterwarnings("ignore:`torch.jit")
@pytest.mark.parametrize("i", range(len(CALLS)))
def test_same_as_torch(i):
    ours, theirs = _run(CALLS[i], tk), _run(CALLS[i], torch)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert ours[1] == theirs[1] or callable(theirs[1])
    else:
        assert theirs[1].startswith(ours[1]) or ours[1].startswith(theirs[1])


@pytest.mark.parametrize("name", ["script", "trace"])
def test_deprecation_warning_as_torch(name):
    """Both warn that TorchScript is deprecated, in PyTorch's words."""
    def f(x):
        return x + 1
    args = (torch.ones(1),) if name == "trace" else ()
    with pytest.warns(DeprecationWarning) as theirs:
        getattr(torch.jit, name)(f, *args)
    with pytest.warns(DeprecationWarning) as ours:
        getattr(tk.jit, name)(f, *[tk.ones(1) for _ in args])
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs][:1]
