"""Tensor subclasses and the ``__torch_function__`` protocol (PyTorch 2.13's behavior)."""

import pytest

import tensor as torch
from tensor.overrides import TorchFunctionMode


class MyT(torch.Tensor):
    pass


def _log_class():
    calls = []

    class Log(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append((func, types, args, kwargs))
            return super().__torch_function__(func, types, args, kwargs)
    return Log, calls


def sub(values=(1.0, -2.0, 3.0), cls=MyT):
    return torch.tensor(list(values)).as_subclass(cls)


@pytest.mark.parametrize("expr", [
    "s + 1", "1 + s", "a + s", "s - a", "2 - s", "s * a", "s / 2", "2 / s", "s ** 2", "-s",
    "abs(s)", "s.relu()", "torch.relu(s)", "torch.add(a, s)", "torch.add(s, a, alpha=2)",
    "torch.ops.aten.add.Tensor(s, a)", "s[0]", "s[1:]", "s.view(3)", "s.reshape(1, 3)",
    "s.detach()", "s.clone()", "s.sum()", "s.sum(0)", "s.mean()", "s.exp()", "s @ a",
    "a @ s", "torch.cat([a, s])", "torch.stack([a, s])", "s.unsqueeze(0)", "s.data",
    "torch.zeros_like(s)", "s.new_zeros(2)", "s.to(torch.float64)", "s.clamp(0, 1)",
    "torch.nn.functional.relu(s)", "s > 0", "s == a",
])
def test_results_keep_the_subclass(expr):
    s, a = sub(), torch.tensor([0.5, 0.5, 0.5])
    r = eval(expr)
    assert type(r) is MyT


@pytest.mark.parametrize("expr", ["s.max(0)", "s.sort()", "s.split(1)", "s.chunk(3)",
                                  "s.topk(2)"])
def test_tuple_results_convert_each_tensor(expr):
    r = eval(expr, dict(s=sub()))
    assert isinstance(r, tuple) and all(type(x) is MyT for x in r)


def test_values_are_the_plain_values():
    s = sub()
    assert (s * 2).tolist() == [2.0, -4.0, 6.0]
    assert s[2].item() == 3.0
    assert s.shape == (3,) and s.dtype == torch.float32 and s.size(0) == 3


def test_inplace_returns_the_same_object_and_getters_are_not_wrapped():
    s = sub()
    assert s.add_(1) is s and s.tolist() == [2.0, -1.0, 4.0]
    assert s.grad is None
    assert type(s.view(3)._base) is torch.Tensor      # (s is itself an alias: as in torch)
    m = torch.Tensor._make_subclass(MyT, torch.tensor([1.0, 2.0]))
    v = m.view(2)
    assert type(v) is MyT and type(v._base) is MyT and v._base is m


def test_autograd_through_a_subclass_leaf():
    x = torch.Tensor._make_subclass(MyT, torch.tensor([1.0, 2.0, 3.0]), True)
    assert type(x) is MyT and x.is_leaf and x.requires_grad
    y = (x * x).sum()
    assert type(y) is MyT and type(y.grad_fn).__name__ == "AliasBackward0"
    y.backward()
    assert type(x.grad) is torch.Tensor and x.grad.tolist() == [2.0, 4.0, 6.0]


def test_as_subclass_of_a_non_leaf_keeps_history():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    s = (x * 3).as_subclass(MyT)
    assert type(s.grad_fn).__name__ == "AliasBackward0"
    s.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_parameter_results_are_plain_tensors():
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    for r in (p * 2, p.detach(), p[0], p.view(2), torch.add(p, 1), p.data):
        assert type(r) is torch.Tensor
    assert p.__torch_function__ is torch._C._disabled_torch_function_impl


def test_override_receives_func_types_args_kwargs():
    Log, calls = _log_class()
    s, a = sub(cls=Log), torch.tensor([1.0, 1.0, 1.0])
    s.add(a, alpha=2)
    func, types, args, kwargs = calls[-1]
    assert func is torch.Tensor.add and types == (Log,)
    assert args[0] is s and args[1] is a and kwargs == {"alpha": 2}
    a + s
    func, _, args, _ = calls[-1]
    assert func is torch.Tensor.add and args[0] is a and args[1] is s
    torch.add(a, s)
    assert calls[-1][0] is torch.add
    torch.ops.aten.add.Tensor(s, a)
    assert calls[-1][0] is torch.ops.aten.add.Tensor
    s[0]
    assert calls[-1][0] is torch.Tensor.__getitem__ and calls[-1][2][1] == 0
    s.shape
    assert calls[-1][0] == torch.Tensor.shape.__get__
    s.sum(dim=0)
    assert calls[-1][0] is torch.Tensor.sum and calls[-1][3] == {"dim": 0}


def test_custom_override_result_and_super():
    class Tag(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if func is torch.Tensor.add:
                return "intercepted"
            return super().__torch_function__(func, types, args, kwargs)

    s = sub(cls=Tag)
    assert s.add(1) == "intercepted" and s + 1 == "intercepted"
    assert type(s.mul(2)) is Tag


def test_not_implemented_falls_through_to_the_next_type():
    class A(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented

    class B(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return "B"

    assert torch.add(sub(cls=A), sub(cls=B)) == "B"
    with pytest.raises(TypeError, match=r"^Multiple dispatch failed for 'torch.Tensor.sum'; "
                                        r"all __torch_function__ handlers returned "
                                        r"NotImplemented"):
        sub(cls=A).sum()
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+: 'A' and 'int'"):
        sub(cls=A) + 1


def test_subclass_before_superclass():
    order = []

    class P(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            order.append("P")
            return NotImplemented

    class C(P):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            order.append("C")
            return 7

    assert torch.add(sub(cls=P), sub(cls=C)) == 7 and order == ["C"]


def test_non_tensor_object_with_torch_function():
    class N:
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return (func.__name__, types)

    assert torch.add(N(), 1) == ("add", (N,))
    assert torch.add(torch.tensor([1.0]), N()) == ("add", (N,))


def test_disable_switches():
    s = sub()
    with torch._C.DisableTorchFunctionSubclass():
        assert type(s + 1) is torch.Tensor and type(s.sum()) is torch.Tensor
        assert not torch.overrides.has_torch_function((s,))
    with torch._C.DisableTorchFunction():
        assert type(s[0]) is torch.Tensor
    assert type(s + 1) is MyT


def test_overrides_helpers():
    o = torch.overrides
    s = sub()
    assert o.has_torch_function((s,)) and not o.has_torch_function((torch.tensor(1.0),))
    assert o.has_torch_function_unary(s) and o.has_torch_function_variadic(1, s)
    assert o.is_tensor_like(s) and not o.is_tensor_like(1)
    assert o.get_default_nowrap_functions() == {torch.Tensor._base.__get__,
                                                 torch.Tensor.grad.__get__,
                                                 torch.Tensor._grad.__get__}

    def my_func(x, scale=1):
        if o.has_torch_function((x,)):
            return o.handle_torch_function(my_func, (x,), x, scale=scale)
        return x * scale

    assert type(my_func(s, scale=2)) is MyT and my_func(s, scale=2).tolist() == [2., -4., 6.]


def test_torch_function_mode_sees_calls_and_is_off_inside():
    seen = []

    class M(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(func)
            return func(*args, **(kwargs or {}))

    a, b = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])
    with M():
        r = a + b
        torch.add(a, b)
        a.relu()
    assert r.tolist() == [4.0, 6.0]
    assert seen == [torch.Tensor.add, torch.add, torch.Tensor.relu]
    a + b                       # no mode: nothing seen
    assert len(seen) == 3


def test_mode_can_replace_results_and_refuse():
    class Zero(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return "replaced"

    class No(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return NotImplemented

    with Zero():
        assert torch.tensor([1.0]) + 1 == "replaced"
    with No(), pytest.raises(TypeError, match="^Multiple dispatch failed for 'torch.add'"):
        torch.add(torch.tensor([1.0]), 1)


def test_subclass_methods_overridden_by_the_user_are_kept():
    class K(torch.Tensor):
        def sum(self, *args, **kwargs):
            return "mine"

    assert sub(cls=K).sum() == "mine"
    assert type(sub(cls=K) + 1) is K


def test_plain_tensors_are_not_wrapped():
    assert "sum" not in MyT.__dict__ or MyT.sum is not torch.Tensor.sum
    assert torch.Tensor.__dict__["sum"] is torch.Tensor.sum
    assert type(torch.tensor([1.0]) + 1) is torch.Tensor
