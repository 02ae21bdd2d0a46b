"""``tensor.nn``'s Module API on its own (no PyTorch needed): registration, iteration orders,
state dicts, conversions, hooks, printing, containers, initialisers and layers. The texts and
orders asserted here were read off PyTorch 2.13; tests/differential/test_nn_vs_torch.py checks
the same things side by side with PyTorch."""

from __future__ import annotations

import copy
import math
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tensor as torch
from tensor import nn
from tensor.nn import init


def raises(exc, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    return str(info.value) if exc is not KeyError else info.value.args[0]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.register_buffer("running", torch.zeros(4))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


# -- Parameter -------------------------------------------------------------------------------
def test_parameter_shares_memory_and_version_counter():
    t = torch.ones(3)
    p = nn.Parameter(t)
    assert isinstance(p, torch.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.data_ptr() == t.data_ptr()
    with torch.no_grad():
        p.add_(1)
    assert p._version == t._version == 1 and t.tolist() == [2.0, 2.0, 2.0]
    t.mul_(2)
    assert p._version == 2 and p.tolist() == [4.0, 4.0, 4.0]
    p.data.add_(1)                     # .data has its own counter
    assert p._version == 2


def test_parameter_basics():
    assert repr(nn.Parameter(torch.tensor([1.0, 2.0]))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert str(nn.Parameter(torch.ones(2), requires_grad=False)) == \
        "Parameter containing:\ntensor([1., 1.])"
    assert repr(nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"
    with torch.no_grad():
        assert nn.Parameter(torch.ones(1)).requires_grad
    assert raises(RuntimeError, nn.Parameter, torch.ones(2, dtype=torch.long)) == \
        "Only Tensors of floating point and complex dtype can require gradients"
    assert not nn.Parameter(torch.ones(2, dtype=torch.long), requires_grad=False).requires_grad
    assert "must be bool, not int" in raises(TypeError, nn.Parameter, torch.ones(1), 1)
    x = torch.ones(2, requires_grad=True)
    q = nn.Parameter(x * 2)               # a new leaf over a non-leaf's values
    assert q.is_leaf and q.grad_fn is None
    p = nn.Parameter(torch.ones(2))
    for out in (p * 2, p.detach(), p.clone(), p + 1):
        assert type(out) is torch.Tensor


def test_parameter_copy_deepcopy_pickle():
    p = nn.Parameter(torch.tensor([1.0, 2.0]))
    with torch.no_grad():
        p.add_(1)
    p.grad = torch.ones(2)
    d = copy.deepcopy(p)
    assert type(d) is nn.Parameter and d.requires_grad and d.grad is None
    assert d._version == 0 and d.data_ptr() != p.data_ptr() and d.tolist() == [2.0, 3.0]
    memo = {}
    assert copy.deepcopy(p, memo) is copy.deepcopy(p, memo)
    c = copy.copy(p)
    assert type(c) is nn.Parameter and c.data_ptr() == p.data_ptr() and c._version == 0
    r = pickle.loads(pickle.dumps(nn.Parameter(torch.ones(2), requires_grad=False)))
    assert type(r) is nn.Parameter and not r.requires_grad and r.tolist() == [1.0, 1.0]


def test_buffer_class_registers_on_assignment():
    m = nn.Module()
    m.a = nn.Buffer(torch.ones(2))
    m.b = nn.Buffer(torch.ones(1), persistent=False)
    assert isinstance(m.a, nn.Buffer) and type(m.a) is torch.Tensor
    assert not isinstance(torch.ones(1), nn.Buffer)
    assert list(m._buffers) == ["a", "b"] and list(m.state_dict()) == ["a"]


# -- registration and attributes -----------------------------------------------------------
def test_errors_before_init():
    class P(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.ones(1))

    class M(nn.Module):
        def __init__(self):
            self.l = nn.ReLU()

    class B(nn.Module):
        def __init__(self):
            self.register_buffer("b", torch.ones(1))

    class R(nn.Module):
        def __init__(self):
            self.register_parameter("b", None)
    assert raises(AttributeError, P) == "cannot assign parameters before Module.__init__() call"
    assert raises(AttributeError, M) == "cannot assign module before Module.__init__() call"
    assert raises(AttributeError, B) == "cannot assign buffer before Module.__init__() call"
    assert raises(AttributeError, R) == "cannot assign parameter before Module.__init__() call"
    assert raises(TypeError, nn.Module, 3) == \
        "Module.__init__() takes 1 positional argument but 2 were given"
    assert raises(TypeError, nn.Module, x=3) == \
        "Module.__init__() got an unexpected keyword argument 'x'"


def test_setattr_errors():
    m = nn.Linear(3, 4)
    assert raises(TypeError, setattr, m, "weight", torch.ones(4, 3)) == \
        "cannot assign 'torch.FloatTensor' as parameter 'weight' (torch.nn.Parameter or None " \
        "expected)"
    assert raises(TypeError, setattr, m, "weight", 3) == \
        "cannot assign 'int' as parameter 'weight' (torch.nn.Parameter or None expected)"
    m.act = nn.ReLU()
    assert raises(TypeError, setattr, m, "act", torch.ones(1, dtype=torch.float64)) == \
        "cannot assign 'torch.DoubleTensor' as child module 'act' (torch.nn.Module or None " \
        "expected)"
    m.register_buffer("buf", torch.zeros(2))
    assert raises(TypeError, setattr, m, "buf", 3) == \
        "cannot assign 'int' as buffer 'buf' (torch.nn.Buffer, torch.Tensor or None expected)"
    assert raises(AttributeError, getattr, m, "nothere") == \
        "'Linear' object has no attribute 'nothere'"
    assert raises(AttributeError, delattr, m, "nothere") == \
        "'Linear' object has no attribute 'nothere'"


def test_register_errors():
    m = nn.Linear(3, 4)
    assert raises(KeyError, m.register_buffer, "weight", torch.ones(1)) == \
        "attribute 'weight' already exists"
    assert raises(KeyError, m.register_buffer, "a.b", None) == 'buffer name can\'t contain "."'
    assert raises(KeyError, m.register_buffer, "", None) == \
        'buffer name can\'t be empty string ""'
    assert raises(TypeError, m.register_buffer, 1, None) == \
        "buffer name should be a string. Got int"
    assert raises(TypeError, m.register_buffer, "q", [1]) == \
        "cannot assign 'list' object to buffer 'q' (torch Tensor or None required)"
    assert raises(TypeError, m.register_parameter, "q", torch.ones(1)) == \
        "cannot assign 'torch.FloatTensor' object to parameter 'q' (torch.nn.Parameter or " \
        "None required)"
    assert raises(KeyError, m.register_parameter, "in_features", None) == \
        "attribute 'in_features' already exists"
    assert raises(KeyError, m.register_parameter, "a.b", None) == \
        'parameter name can\'t contain "."'
    assert raises(TypeError, m.add_module, "x", 3) == "int is not a Module subclass"
    assert raises(TypeError, m.add_module, 3, nn.ReLU()) == \
        "module name should be a string. Got int"
    assert raises(KeyError, m.add_module, "a.b", nn.ReLU()) == \
        'module name can\'t contain ".", got: a.b'
    assert raises(KeyError, m.add_module, "", nn.ReLU()) == \
        'module name can\'t be empty string ""'
    assert raises(KeyError, m.add_module, "weight", nn.ReLU()) == \
        "attribute 'weight' already exists"
    p = nn.Parameter(torch.ones(2))
    nonleaf = nn.Parameter(torch.ones(2))
    nonleaf._grad_fn = (torch.ones(2, requires_grad=True) * 2).grad_fn   # a param made non-leaf
    assert raises(ValueError, m.register_parameter, "nl", nonleaf).startswith(
        "Cannot assign non-leaf Tensor to parameter 'nl'.")
    m.register_parameter("p", p)
    assert m.p is p


def test_assignment_routing_and_reassignment():
    m = nn.Module()
    m.x = nn.Parameter(torch.ones(1))
    m.register_buffer("b", torch.zeros(2))
    m.sub = nn.ReLU()
    m.plain = 5
    assert list(m._parameters) == ["x"] and list(m._buffers) == ["b"]
    assert list(m._modules) == ["sub"] and m.__dict__["plain"] == 5
    new = torch.ones(3)
    m.b = new                            # a tensor assigned to a buffer name stays a buffer
    assert m._buffers["b"] is new and "b" not in m.__dict__
    m.register_buffer("np", torch.ones(1), persistent=False)
    m.np = torch.zeros(1)                # keeps being non-persistent
    assert "np" in m._non_persistent_buffers_set
    m.b = None
    assert m._buffers["b"] is None and "b" not in dict(m.named_buffers())
    m.x = None
    assert m._parameters["x"] is None and list(m.parameters()) == []
    assert raises(TypeError, setattr, m, "x", torch.ones(1)).startswith("cannot assign")
    m.sub = None
    assert m._modules["sub"] is None and list(m.children()) == []
    # a name changes kind: the old entry goes away
    m.plain = nn.Parameter(torch.ones(1))
    assert "plain" not in m.__dict__ and "plain" in m._parameters
    m.b = nn.Tanh()
    assert "b" not in m._buffers and isinstance(m._modules["b"], nn.Tanh)
    m.b = nn.Parameter(torch.ones(2))
    assert "b" not in m._modules and "b" in m._parameters
    del m.b
    assert "b" not in m._parameters
    del m.np
    assert "np" not in m._buffers and "np" not in m._non_persistent_buffers_set
    m.y = 3
    del m.y
    assert not hasattr(m, "y")


def test_get_submodule_parameter_buffer():
    net = nn.Sequential(Net(), nn.Sequential(nn.Linear(1, 1)))
    assert net.get_submodule("") is net
    assert net.get_submodule("1.0") is net[1][0]
    assert net.get_parameter("0.fc1.weight") is net[0].fc1.weight
    assert net.get_buffer("0.running") is net[0].running
    assert raises(AttributeError, net.get_submodule, "0.zz") == "Net has no attribute `zz`"
    assert raises(AttributeError, net.get_submodule, "0.scale") == "`scale` is not an nn.Module"
    assert raises(AttributeError, net.get_parameter, "0.running") == \
        "`running` is not an nn.Parameter"
    assert raises(AttributeError, net.get_parameter, "0.fc1.zz") == \
        "Linear has no attribute `zz`"
    assert raises(AttributeError, net.get_buffer, "0.scale") == "`scale` is not a buffer"
    net.set_submodule("1.0", nn.ReLU())
    assert isinstance(net[1][0], nn.ReLU)
    assert raises(AttributeError, net.set_submodule, "1.zz", nn.ReLU(), strict=True) == \
        "Sequential has no attribute `zz`"


# -- iteration -----------------------------------------------------------------------------
def test_named_members_orders():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == \
        ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert [n for n, _ in net.named_modules(prefix="m")] == ["m", "m.fc1", "m.act", "m.fc2"]
    assert list(net.parameters())[0] is net.scale
    assert list(net.buffers(recurse=False)) == [net.running, net.scratch]
    assert list(net.modules())[0] is net and list(net.children())[1] is net.act


def test_duplicates():
    lin = nn.Linear(2, 2)
    s = nn.Sequential(lin, nn.Linear(2, 2), lin)
    assert [n for n, _ in s.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(list(s.named_parameters(remove_duplicate=False))) == 6
    assert [n for n, _ in s.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in s.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in s.named_children()] == ["0", "1"]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight",
                                    "2.bias"]
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight
    assert [n for n, _ in nn.Sequential(a, b).named_parameters()] == \
        ["0.weight", "0.bias", "1.bias"]


# -- random module trees -------------------------------------------------------------------
NAMES = ["a", "b", "c", "w", "z"]


@st.composite
def trees(draw, depth=0):
    """A spec: a list of (kind, name, payload) operations applied to a fresh Module."""
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    ops = []
    for n in names:
        kinds = ["param", "param_none", "buf", "buf_np", "buf_none"]
        if depth < 2:
            kinds += ["child", "child", "child_none"]
        kind = draw(st.sampled_from(kinds))
        if kind == "child":
            ops.append((kind, n, draw(trees(depth + 1))))
        else:
            ops.append((kind, n, draw(st.lists(st.integers(1, 3), max_size=2))))
    return ops


def build(spec, lib=torch):
    m = lib.nn.Module()
    for kind, name, payload in spec:
        if kind == "param":
            setattr(m, name, lib.nn.Parameter(lib.randn(payload)))
        elif kind == "param_none":
            m.register_parameter(name, None)
        elif kind in ("buf", "buf_np"):
            m.register_buffer(name, lib.randn(payload), persistent=kind == "buf")
        elif kind == "buf_none":
            m.register_buffer(name, None)
        elif kind == "child":
            setattr(m, name, build(payload, lib))
        else:
            m.add_module(name, None)
    return m


def expected_keys(spec, prefix="", groups=(("param",), ("buf",))):
    """state_dict's order by the rule: own params, own persistent buffers, then children (with
    other ``groups``: the names ``named_parameters`` / ``named_buffers`` list, same walk)."""
    own = [prefix + n for kinds in groups for k, n, _ in spec if k in kinds]
    kids = [k2 for k, n, p in spec if k == "child"
            for k2 in expected_keys(p, prefix + n + ".", groups)]
    return own + kids


def expected_modules(spec, prefix=""):
    out = [prefix]
    for k, n, p in spec:
        if k == "child":
            out += expected_modules(p, prefix + ("." if prefix else "") + n)
    return out


@given(trees())
def test_random_trees_state_dict_order_and_round_trip(spec):
    m = build(spec)
    sd = m.state_dict()
    assert list(sd) == expected_keys(spec)
    assert [n for n, _ in m.named_modules()] == expected_modules(spec)
    assert [n for n, _ in m.named_parameters()] == expected_keys(spec, groups=[("param",)])
    assert [n for n, _ in m.named_buffers()] == expected_keys(spec, groups=[("buf", "buf_np")])
    for v in sd.values():
        assert type(v) is torch.Tensor and not v.requires_grad
    # round trip into a fresh tree with other values: values come over, identities stay
    other = build(spec)
    before = {k: (v, v._version) for k, v in other.state_dict(keep_vars=True).items()}
    res = other.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>" and res == ([], [])
    after = other.state_dict(keep_vars=True)
    for k, (obj, ver) in before.items():
        assert after[k] is obj and obj._version == ver + 1
        assert np.array_equal(obj.detach().numpy(), sd[k].numpy())
    # dropping a key and adding one: reported by load_state_dict(strict=False)
    if sd:
        first = next(iter(sd))
        partial = OrderedDict((k, v) for k, v in sd.items() if k != first)
        partial["zzz.extra"] = torch.ones(1)
        res = build(spec).load_state_dict(partial, strict=False)
        assert res.missing_keys == [first] and res.unexpected_keys == ["zzz.extra"]


# -- state dicts ---------------------------------------------------------------------------
def test_state_dict_contents():
    net = Net()
    sd = net.state_dict()
    assert type(sd) is OrderedDict
    assert list(sd) == ["scale", "running", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert sd._metadata == OrderedDict([("", {"version": 1}), ("fc1", {"version": 1}),
                                        ("act", {"version": 1}), ("fc2", {"version": 1})])
    w = sd["fc1.weight"]
    assert type(w) is torch.Tensor and not w.requires_grad
    assert w.data_ptr() == net.fc1.weight.data_ptr() and w._version == net.fc1.weight._version
    kv = net.state_dict(keep_vars=True)
    assert kv["fc1.weight"] is net.fc1.weight
    dest = {}
    assert net.state_dict(destination=dest, prefix="p.") is dest and "p.fc1.bias" in dest
    with pytest.warns(FutureWarning):
        assert list(net.fc1.state_dict(None, "q.")) == ["q.weight", "q.bias"]


def test_load_state_dict_copies_in_place():
    net, src = Net(), Net()
    w = net.fc1.weight
    v = w._version
    sd = {k: t.double() for k, t in src.state_dict().items()}
    res = net.load_state_dict(sd)
    assert isinstance(res, tuple) and res.missing_keys == [] and res.unexpected_keys == []
    assert str(res) == "<All keys matched successfully>"
    assert net.fc1.weight is w and w._version == v + 1 and w.dtype == torch.float32
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert np.allclose(w.detach().numpy(), src.fc1.weight.detach().numpy())


def test_load_state_dict_errors():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    m[0].register_buffer("np", torch.zeros(3), persistent=False)
    sd = m.state_dict()
    bad = dict(sd)
    del bad["0.bias"]
    bad.update({"extra": torch.ones(1), "0.foo": torch.ones(1), "5.x": torch.ones(1),
                "0.np": torch.ones(3)})
    msg = raises(RuntimeError, m.load_state_dict, bad)
    assert msg == ('Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in '
                   'state_dict: "0.bias". \n\tUnexpected key(s) in state_dict: "extra", "5.x", '
                   '"0.foo", "0.np". ')
    res = m.load_state_dict(bad, strict=False)
    assert repr(res) == ("_IncompatibleKeys(missing_keys=['0.bias'], unexpected_keys=['extra', "
                         "'5.x', '0.foo', '0.np'])")
    bad = dict(sd)
    bad["0.weight"] = torch.ones(5, 5)
    bad["2.bias"] = 3
    expected = ("Error(s) in loading state_dict for Sequential:\n\tsize mismatch for 0.weight: "
                "copying a param with shape torch.Size([5, 5]) from checkpoint, the shape in "
                "current model is torch.Size([3, 2]).\n\tWhile copying the parameter named "
                "\"2.bias\", expected torch.Tensor or Tensor-like object from checkpoint but "
                "received <class 'int'>")
    assert raises(RuntimeError, m.load_state_dict, bad) == expected
    assert raises(RuntimeError, m.load_state_dict, bad, strict=False) == expected
    assert raises(TypeError, m.load_state_dict, [1]) == \
        "Expected state_dict to be dict-like, got <class 'list'>."
    lin = nn.Linear(2, 2, bias=False)
    assert raises(RuntimeError, lin.load_state_dict,
                  {"weight": torch.ones(2, 2), "bias": torch.ones(2)}) == \
        'Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) in state_dict: "bias". '


def test_load_state_dict_assign_and_scalar_compat():
    m = nn.Linear(2, 2)
    m.register_buffer("rb", torch.zeros(2))
    sd = {k: v.clone().double() for k, v in m.state_dict().items()}
    old = m.weight
    m.load_state_dict(sd, assign=True)
    assert type(m.weight) is nn.Parameter and m.weight is not old
    assert m.weight.dtype == torch.float64 and m.weight.requires_grad
    assert m.rb is sd["rb"]

    class S(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(torch.tensor(1.0))
    s = S()
    s.load_state_dict({"p": torch.tensor([5.0])})
    assert s.p.item() == 5.0 and s.p.dim() == 0


def test_state_dict_hooks_and_extra_state():
    class E(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))
            self.seen = None

        def get_extra_state(self):
            return {"n": 3}

        def set_extra_state(self, state):
            self.seen = state
    e = E()
    sd = e.state_dict()
    assert list(sd) == ["w", "_extra_state"] and sd["_extra_state"] == {"n": 3}
    e.load_state_dict(sd)
    assert e.seen == {"n": 3}
    assert raises(RuntimeError, e.load_state_dict, {"w": torch.ones(1)}).endswith(
        'Missing key(s) in state_dict: "_extra_state". ')
    log = []
    e.register_state_dict_pre_hook(lambda m, prefix, kv: log.append(("pre", prefix)))
    e.register_state_dict_post_hook(lambda m, sd, prefix, meta: log.append(("post", len(sd))))
    e.register_load_state_dict_pre_hook(lambda m, sd, prefix, *rest: log.append(("lpre", m is e)))
    h = e.register_load_state_dict_post_hook(lambda m, keys: log.append(("lpost", keys)))
    e.load_state_dict(e.state_dict())
    assert log[:3] == [("pre", ""), ("post", 2), ("lpre", True)]
    assert log[3][0] == "lpost" and repr(log[3][1]) == "<All keys matched successfully>"
    h.remove()
    e.register_load_state_dict_post_hook(lambda m, keys: 1)
    with pytest.raises(AssertionError):
        e.load_state_dict(e.state_dict())


# -- modes, grads, conversions -------------------------------------------------------------
def test_train_eval_and_requires_grad():
    net = nn.Sequential(Net(), nn.Dropout())
    assert net.training and net[0].fc1.training
    assert net.eval() is net and not any(m.training for m in net.modules())
    net[0].train()
    assert net[0].fc1.training and not net[1].training and not net.training
    assert raises(ValueError, net.train, 1) == "training mode is expected to be boolean"
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())


def test_zero_grad():
    net = Net()
    net(torch.ones(2, 3)).sum().backward()
    g = net.fc1.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.fc1.weight.grad is g and not g.any() and g._version == 1
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_apply_is_post_order():
    order = []
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU(), nn.Tanh()))
    assert net.apply(lambda m: order.append(type(m).__name__)) is net
    assert order == ["Linear", "ReLU", "Tanh", "Sequential", "Sequential"]


def test_casts_keep_parameter_identity():
    m = nn.Linear(2, 3)
    m.register_buffer("ib", torch.arange(3))
    m.register_buffer("fb", torch.zeros(3))
    m(torch.ones(1, 2)).sum().backward()
    w, g, fb, ib = m.weight, m.weight.grad, m.fb, m.ib
    version = w._version
    assert m.double() is m
    assert m.weight is w and w.dtype == torch.float64 and w._version == version
    assert m.weight.grad is g and g.dtype == torch.float64
    assert w.requires_grad and w.is_leaf
    assert m.fb is not fb and m.fb.dtype == torch.float64
    assert m.ib is ib and ib.dtype == torch.int64
    fb = m.fb
    m.double()
    assert m.fb is fb                      # nothing to change: same buffer
    m.half()
    assert w.dtype == torch.float16 and m.ib.dtype == torch.int64
    m.to(torch.float32)
    assert w.dtype == torch.float32
    m.type(torch.float64)
    assert m.ib.dtype == torch.float64      # type() converts every tensor
    m.float()
    assert m.cpu() is m and m.to("cpu") is m and m.to(torch.ones(1, dtype=torch.float64)) is m
    assert w.dtype == torch.float64
    assert raises(TypeError, m.to, torch.int32) == \
        "nn.Module.to only accepts floating point or complex dtypes, but got desired " \
        "dtype=torch.int32"
    assert raises(RuntimeError, m.type, torch.int32) == \
        "data set to a tensor that requires gradients must be floating point or complex dtype"
    out = m(torch.ones(1, 2, dtype=torch.float64))
    out.sum().backward()
    assert w.grad.dtype == torch.float64


# -- calling and hooks ---------------------------------------------------------------------
def test_forward_hooks():
    calls = []
    lin = nn.Linear(2, 2)
    x = torch.ones(1, 2)

    def pre(mod, args):
        calls.append("pre")

    def pre2(mod, args):
        calls.append("pre2")
        return args[0] * 2               # a non-tuple result becomes the 1-tuple of args

    def fwd(mod, args, out):
        calls.append("fwd")

    def fwd2(mod, args, out):
        calls.append("fwd2")
        return out + 1
    handles = [lin.register_forward_pre_hook(pre), lin.register_forward_pre_hook(pre2),
               lin.register_forward_hook(fwd), lin.register_forward_hook(fwd2, prepend=True)]
    out = lin(x)
    assert calls == ["pre", "pre2", "fwd2", "fwd"]
    assert torch.allclose(out, lin.forward(x * 2) + 1)
    assert handles[0].id < handles[1].id
    for h in handles:
        h.remove()
    handles[0].remove()
    calls.clear()
    lin(x)
    assert calls == [] and not lin._forward_hooks and not lin._forward_pre_hooks

    def kpre(mod, args, kwargs):
        calls.append(("kpre", sorted(kwargs)))
        return args, kwargs
    lin.register_forward_pre_hook(kpre, with_kwargs=True)
    lin.register_forward_hook(lambda m, a, k, o: calls.append(("kf", sorted(k))),
                              with_kwargs=True)
    lin(input=x)
    assert calls == [("kpre", ["input"]), ("kf", ["input"])]
    lin.register_forward_pre_hook(lambda m, a, k: 3, with_kwargs=True)
    assert raises(RuntimeError, lin, x) == \
        "forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got 3."
    with lin.register_forward_hook(fwd) as h:
        assert h.id in lin._forward_hooks
    assert h.id not in lin._forward_hooks


def test_always_call_hook_and_global_hooks():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    seen = []
    b = Boom()
    b.register_forward_hook(lambda m, a, o: seen.append(("always", o)), always_call=True)
    b.register_forward_hook(lambda m, a, o: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        b(1)
    assert seen == [("always", None)]
    from tensor.nn.module import register_module_forward_hook, register_module_forward_pre_hook
    log = []
    h1 = register_module_forward_pre_hook(lambda m, a: log.append(("gpre", type(m).__name__)))
    h2 = register_module_forward_hook(lambda m, a, o: log.append(("gfwd", type(m).__name__)))
    try:
        r = nn.ReLU()
        r.register_forward_hook(lambda m, a, o: log.append(("own", "ReLU")))
        r(torch.ones(1))
    finally:
        h1.remove()
        h2.remove()
    assert log == [("gpre", "ReLU"), ("gfwd", "ReLU"), ("own", "ReLU")]


def test_missing_forward():
    assert raises(NotImplementedError, nn.Module()) == \
        'Module [Module] is missing the required "forward" function'
    assert raises(NotImplementedError, nn.ModuleList()) == \
        'Module [ModuleList] is missing the required "forward" function'


# -- printing ------------------------------------------------------------------------------
def test_repr_nested():
    net = nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 2, bias=False)),
                        nn.Dropout(0.2, inplace=True))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=1, out_features=2, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=2, out_features=2, bias=False)\n"
        "  )\n"
        "  (2): Dropout(p=0.2, inplace=True)\n"
        ")")
    lin = nn.Linear(3, 4)
    lin.act = nn.ReLU()
    assert repr(lin) == ("Linear(\n  in_features=3, out_features=4, bias=True\n"
                         "  (act): ReLU()\n)")
    m = nn.Module()
    m.add_module("n", None)
    assert repr(m) == "Module(\n  (n): None\n)" and repr(nn.Module()) == "Module()"

    class Multi(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    assert repr(Multi()) == "Multi(\n  a=1\n  b=2\n)"


def test_layer_reprs():
    cases = [
        (nn.Identity(3, k=4), "Identity()"),
        (nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
        (nn.Unflatten(1, (2, 3)), "Unflatten(dim=1, unflattened_size=(2, 3))"),
        (nn.Unflatten(1, torch.Size([2, 3])),
         "Unflatten(dim=1, unflattened_size=torch.Size([2, 3]))"),
        (nn.ReLU(), "ReLU()"), (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
        (nn.Tanh(), "Tanh()"), (nn.Sigmoid(), "Sigmoid()"),
        (nn.GELU(), "GELU(approximate='none')"), (nn.GELU("tanh"), "GELU(approximate='tanh')"),
        (nn.SiLU(True), "SiLU(inplace=True)"), (nn.Softmax(), "Softmax(dim=None)"),
        (nn.Softmax(dim=1), "Softmax(dim=1)"), (nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
        (nn.Dropout(), "Dropout(p=0.5, inplace=False)"), (nn.MSELoss(), "MSELoss()"),
        (nn.CrossEntropyLoss(weight=torch.ones(3)), "CrossEntropyLoss()"),
        (nn.NLLLoss(), "NLLLoss()"), (nn.Sequential(), "Sequential()"),
        (nn.ModuleList(), "ModuleList()"),
    ]
    for m, text in cases:
        assert repr(m) == text


def test_dir():
    lin = nn.Linear(1, 1)
    lin.register_buffer("buf", None)
    d = dir(lin)
    assert d == sorted(d) and {"weight", "bias", "buf", "forward", "in_features"} <= set(d)
    assert not [k for k in dir(nn.Sequential(nn.ReLU())) if k.isdigit()]


# -- deepcopy and pickling of modules ------------------------------------------------------
def test_module_deepcopy():
    lin = nn.Linear(2, 2)
    s = nn.Sequential(lin, lin)
    s.register_buffer("b", torch.zeros(1))
    s.register_forward_hook(lambda m, a, o: o * 0)
    s.register_load_state_dict_pre_hook(lambda m, *a: None)
    d = copy.deepcopy(s)
    assert d[0] is d[1] and d[0].weight is not lin.weight
    assert d[0].weight.data_ptr() != lin.weight.data_ptr()
    assert torch.equal(d[0].weight, lin.weight) and type(d[0].weight) is nn.Parameter
    assert list(d.state_dict()) == list(s.state_dict()) and len(d._forward_hooks) == 1
    hook = next(iter(d._load_state_dict_pre_hooks.values()))
    assert hook.module() is d                # the copied hook points at the copy
    assert not d(torch.ones(1, 2)).any()
    with torch.no_grad():
        d[0].weight.add_(1)
    assert not torch.equal(d[0].weight, lin.weight)
    r = pickle.loads(pickle.dumps(nn.Sequential(nn.Linear(2, 3), nn.ReLU())))
    assert repr(r[0]) == "Linear(in_features=2, out_features=3, bias=True)"
    assert type(r[0].weight) is nn.Parameter and r[0].weight.requires_grad


# -- containers ----------------------------------------------------------------------------
def test_sequential_indexing():
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    assert isinstance(s[-1], nn.Sigmoid) and len(s) == 3
    assert raises(IndexError, s.__getitem__, 5) == "index 5 is out of range"
    assert raises(IndexError, s.__getitem__, -4) == "index -4 is out of range"
    assert raises(TypeError, s.__getitem__, "a") == \
        "'str' object cannot be interpreted as an integer"
    sl = s[1:]
    assert type(sl) is nn.Sequential and list(sl._modules) == ["1", "2"]
    assert list(s[::-1]._modules) == ["2", "1", "0"]
    assert raises(IndexError, s.insert, 5, nn.ReLU()) == "Index out of range: 5"
    with pytest.raises(AssertionError):
        s.insert(0, 3)
    assert raises(TypeError, s.append, 3) == "int is not a Module subclass"
    s2 = nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh())]))
    assert list(s2._modules) == ["a", "b"]
    del s2[0]
    assert list(s2._modules) == ["0"] and isinstance(s2[0], nn.Tanh)
    s2[0] = nn.Sigmoid()
    assert isinstance(s2[0], nn.Sigmoid)
    assert raises(TypeError, s2.__setitem__, 0, 3) == \
        "cannot assign 'int' as child module '0' (torch.nn.Module or None expected)"
    s3 = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU())
    del s3[1:3]
    assert [type(m).__name__ for m in s3] == ["ReLU", "GELU"] and list(s3._modules) == ["0", "1"]
    s3.extend([nn.ReLU()]).insert(-1, nn.Identity())
    assert [type(m).__name__ for m in s3] == ["ReLU", "GELU", "Identity", "ReLU"]
    assert isinstance(s3.pop(0), nn.ReLU) and len(s3) == 3
    assert len(s3 + s3) == 6 and len(s3 * 2) == 6
    assert raises(ValueError, s3.__add__, 3) == \
        "add operator supports only objects of Sequential class, but <class 'int'> is given."
    s3 *= 2
    assert list(s3._modules) == [str(i) for i in range(6)]
    x = torch.tensor([-1.0, 2.0])
    assert nn.Sequential(nn.ReLU(), nn.Tanh())(x).tolist() == torch.tanh(torch.relu(x)).tolist()
    assert nn.Sequential()(3) == 3


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    assert raises(IndexError, ml.__getitem__, 5) == "index 5 is out of range"
    assert raises(TypeError, ml.extend, 3) == \
        "ModuleList.extend should be called with an iterable, but got int"
    assert type(ml[1:]) is nn.ModuleList and len(ml[1:]) == 1
    ml.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["ReLU", "Sigmoid", "Tanh"]
    del ml[0]
    ml[-1] = nn.Identity()
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "Identity"]
    assert len(ml + [nn.ReLU()]) == 3
    ml += [nn.ReLU(), nn.ReLU()]
    assert repr(ml) == ("ModuleList(\n  (0): Sigmoid()\n  (1): Identity()\n"
                        "  (2-3): 2 x ReLU()\n)")
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    assert list(md.keys()) == ["b", "a"] and list(md) == ["b", "a"]
    assert raises(KeyError, md.__getitem__, "z") == "z"
    assert raises(TypeError, md.update, 3) == \
        "ModuleDict.update should be called with an iterable of key/value pairs, but got int"
    assert raises(ValueError, md.update, [(1,)]) == \
        "ModuleDict update sequence element #0 has length 1; 2 is required"
    assert raises(TypeError, md.update, [3]) == \
        "ModuleDict update sequence element #0 should be Iterable; isint"
    md.update([("c", nn.ReLU())])
    assert "c" in md and len(md) == 3 and isinstance(md.pop("c"), nn.ReLU)
    assert list(md.values())[0] is md["b"] and dict(md.items())["a"] is md["a"]
    md.clear()
    assert len(md) == 0


def test_parameter_list_and_dict():
    pl = nn.ParameterList([torch.ones(2, 3), nn.Parameter(torch.ones(2)), 3])
    assert type(pl[0]) is nn.Parameter and pl[2] == 3 and len(pl) == 3
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [torch.float32 of size "
                        "2x3]\n    (1): Parameter containing: [torch.float32 of size 2]\n"
                        "    (2): Object of type: int\n)")
    assert repr(pl[0:1]) == "ParameterList(  (0): Parameter containing: [torch.float32 of " \
                            "size 2x3])"
    assert raises(IndexError, pl.__getitem__, 3) == "index 3 is out of range"
    assert raises(TypeError, pl.extend, torch.ones(2)) == \
        "ParameterList.extend should be called with an iterable, but got Tensor"
    assert raises(RuntimeError, pl) == "ParameterList should not be called."
    pd = nn.ParameterDict({"b": torch.ones(2), "a": nn.Parameter(torch.ones(1, 2,
                                                                           dtype=torch.float64)),
                           "c": "x"})
    assert list(pd) == ["a", "b", "c"]           # a plain dict is added in sorted order
    assert repr(pd) == ("ParameterDict(\n    (a): Parameter containing: [torch.DoubleTensor of "
                        "size 1x2]\n    (b): Parameter containing: [torch.FloatTensor of size "
                        "2]\n    (c): Object of type: str\n)")
    assert list(pd.state_dict()) == ["a", "b"]
    assert raises(AttributeError, pd.__getitem__, "zz") == \
        "'ParameterDict' object has no attribute 'zz'"
    assert "not a string (type is 'int')" in raises(TypeError, pd.__getitem__, 3)
    assert raises(RuntimeError, pd, 1) == "ParameterDict should not be called."
    assert pd.get("zz", 5) == 5 and pd.popitem()[0] == "c" and len(pd) == 2
    assert list((pd | nn.ParameterDict({"z": torch.ones(1)})).keys()) == ["a", "b", "z"]


# -- init ----------------------------------------------------------------------------------
def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0) == math.sqrt(2.0)
    assert init.calculate_gain("selu") == 0.75
    assert raises(ValueError, init.calculate_gain, "leaky_relu", True) == \
        "negative_slope True not a valid number"
    assert raises(ValueError, init.calculate_gain, "foo") == "Unsupported nonlinearity foo"


@given(st.lists(st.integers(1, 5), min_size=2, max_size=5))
def test_fans(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    rf = math.prod(shape[2:])
    assert (fan_in, fan_out) == (shape[1] * rf, shape[0] * rf)


def test_init_errors():
    assert raises(ValueError, init._calculate_fan_in_and_fan_out, torch.empty(3)) == \
        "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
    assert raises(ValueError, init.kaiming_uniform_, torch.empty(3, 2), mode="fan_avg") == \
        "Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']"
    assert raises(ValueError, init.eye_, torch.empty(3)) == \
        "Only tensors with 2 dimensions are supported"
    assert raises(RuntimeError, init.uniform_, torch.empty(2), 2, 1) == \
        "uniform_ expects to return a [from, to) range, but found from=2 > to=1"
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_normal_(torch.empty(3, 0))
    init.kaiming_uniform_(torch.empty(3, 2), mode="FAN_OUT")        # case-insensitive


def _bound_check(fn, shape, bound, **kw):
    torch.manual_seed(0)
    t = torch.empty(*shape)
    out = fn(t, **kw)
    a = t.numpy()
    assert out is t and t._version == 1
    tol = bound * 1e-6                         # the float32 rounding of the bound
    assert a.min() >= -bound - tol and a.max() <= bound + tol
    assert a.max() > 0.8 * bound and a.min() < -0.8 * bound       # spans the range
    assert abs(a.mean()) < 0.1 * bound


def test_uniform_initialisers_bounds():
    shape = (200, 300)
    _bound_check(init.xavier_uniform_, shape, math.sqrt(6 / 500))
    _bound_check(init.xavier_uniform_, shape, 2 * math.sqrt(6 / 500), gain=2.0)
    _bound_check(init.kaiming_uniform_, shape, math.sqrt(6 / 300))   # a=0: slope 0
    _bound_check(init.kaiming_uniform_, shape, math.sqrt(6 / 200), mode="fan_out",
                 nonlinearity="relu")
    _bound_check(init.kaiming_uniform_, shape, 1 / math.sqrt(300), a=math.sqrt(5))
    _bound_check(init.uniform_, shape, 0.5, a=-0.5, b=0.5)


def test_normal_initialisers_std():
    torch.manual_seed(1)
    for fn, kw, std in [(init.xavier_normal_, {}, math.sqrt(2 / 500)),
                        (init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 300)),
                        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "tanh"},
                         5 / 3 / math.sqrt(200)),
                        (init.normal_, {"mean": 2.0, "std": 0.5}, 0.5)]:
        t = torch.empty(200, 300)
        fn(t, **kw)
        a = t.numpy()
        assert abs(a.std() - std) < 0.03 * std
        assert abs(a.mean() - kw.get("mean", 0.0)) < 0.05 * std
    t = torch.empty(100, 100)
    init.trunc_normal_(t, std=1.0, a=-0.5, b=0.5)
    assert t.numpy().min() >= -0.5 and t.numpy().max() <= 0.5


def test_deterministic_initialisers_on_parameters():
    w = nn.Parameter(torch.empty(2, 3))
    assert init.constant_(w, 2.5) is w and w.tolist() == [[2.5] * 3] * 2
    assert w.requires_grad and w.is_leaf and w.grad_fn is None and w._version == 1
    init.ones_(w)
    assert w.tolist() == [[1.0] * 3] * 2
    init.zeros_(w)
    assert not w.any()
    init.eye_(w)
    assert w.tolist() == [[1, 0, 0], [0, 1, 0]] and w._version == 4
    li = torch.empty(2, 2, dtype=torch.long)
    assert init.eye_(li).tolist() == [[1, 0], [0, 1]]
    assert init.constant_(torch.ones(2, dtype=torch.long), 2.5).tolist() == [2, 2]
    d = torch.empty(4, 2, 3)
    init.dirac_(d)
    expected = np.zeros((4, 2, 3))
    expected[0, 0, 1] = expected[1, 1, 1] = 1
    assert np.array_equal(d.numpy(), expected)
    q = torch.empty(3, 5)
    init.orthogonal_(q)
    assert np.allclose(q.numpy() @ q.numpy().T, np.eye(3), atol=1e-5)
    with pytest.warns(FutureWarning, match="`nn.init.constant` is now deprecated"):
        init.constant(torch.empty(1), 1.0)


# -- layers --------------------------------------------------------------------------------
def test_linear():
    torch.manual_seed(0)
    lin = nn.Linear(300, 4)
    bound = 1 / math.sqrt(300)
    assert lin.weight.shape == (4, 300) and lin.bias.shape == (4,)
    assert lin.weight._version == 1 and lin.bias._version == 1
    assert np.abs(lin.weight.detach().numpy()).max() <= bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    x = torch.randn(5, 300)
    ref = x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    assert np.allclose(lin(x).detach().numpy(), ref, atol=1e-5)
    assert lin(x).grad_fn.name() == "AddmmBackward0"
    nb = nn.Linear(3, 2, bias=False)
    assert nb.bias is None and "bias" in nb._parameters and list(nb.state_dict()) == ["weight"]
    assert nn.Linear(2, 2, dtype=torch.float64).weight.dtype == torch.float64
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        nn.Linear(2, 2, device="cuda")        # PyTorch's type and text on a CPU build
    with pytest.warns(UserWarning, match="zero-element"):
        nn.Linear(0, 3)


def test_flatten_unflatten():
    x = torch.ones(2, 6, 3)
    assert nn.Flatten()(x).shape == (2, 18) and nn.Flatten(0, 1)(x).shape == (12, 3)
    assert nn.Unflatten(1, (2, 3))(x).shape == (2, 2, 3, 3)
    assert nn.Unflatten(-2, [3, -1])(x).shape == (2, 3, 2, 3)
    assert raises(RuntimeError, nn.Unflatten(1, (2, 4)), x) == \
        "unflatten: Provided sizes [2, 4] don't multiply up to the size of dim 1 (6) in the " \
        "input tensor"
    assert raises(RuntimeError, nn.Unflatten(1, ()), x) == "unflatten: sizes must be non-empty"
    assert raises(TypeError, nn.Unflatten, 1, 3) == \
        "unflattened_size must be a tuple of ints, but found type int"
    assert raises(TypeError, nn.Unflatten, 1, (2, "a")) == \
        "unflattened_size must be tuple of ints, but found element of type str at pos 1"


def test_activations_and_softmax():
    x = torch.tensor([[-1.0, 0.5, 2.0]])
    assert nn.ReLU()(x).tolist() == [[0.0, 0.5, 2.0]]
    assert torch.allclose(nn.Sigmoid()(x), torch.sigmoid(x))
    assert torch.allclose(nn.Tanh()(x), torch.tanh(x))
    assert torch.allclose(nn.Softmax(dim=1)(x).sum(1), torch.ones(1))
    assert torch.allclose(nn.LogSoftmax(dim=1)(x).exp().sum(1), torch.ones(1))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(x)
    y = x.clone()
    assert nn.ReLU(inplace=True)(y) is y and y._version == 1
    assert nn.Identity()(x) is x


def test_dropout():
    x = torch.ones(100, 100)
    d = nn.Dropout(0.25)
    torch.manual_seed(3)
    out = d(x).numpy()
    kept = out != 0
    assert np.allclose(out[kept], 1 / 0.75) and 0.7 < kept.mean() < 0.8
    torch.manual_seed(3)
    assert np.array_equal(d(x).numpy(), out)          # the framework's generator
    d.eval()
    assert d(x) is x
    assert not nn.Dropout(1.0)(x).any() and nn.Dropout(0.0)(x) is x
    assert raises(ValueError, nn.Dropout, 1.5) == \
        "dropout probability has to be between 0 and 1, but got 1.5"
    y = torch.ones(10)
    assert nn.Dropout(0.5, inplace=True)(y) is y


def test_losses():
    pred = torch.tensor([[1.0, 2.0], [0.5, -1.0]])
    target = torch.tensor([[0.0, 2.0], [1.0, 1.0]])
    assert math.isclose(nn.MSELoss()(pred, target).item(), (1 + 0 + 0.25 + 4) / 4)
    assert math.isclose(nn.MSELoss(reduction="sum")(pred, target).item(), 5.25)
    assert nn.MSELoss(reduction="none")(pred, target).shape == (2, 2)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    cls = torch.tensor([1, 0])
    lsm = torch.log_softmax(pred, 1)
    nll = -(lsm[0, 1] + lsm[1, 0]).item() / 2
    assert math.isclose(nn.CrossEntropyLoss()(pred, cls).item(), nll, rel_tol=1e-6)
    assert math.isclose(nn.NLLLoss()(lsm, cls).item(), nll, rel_tol=1e-6)
    w = torch.tensor([1.0, 3.0])
    ce = nn.CrossEntropyLoss(weight=w)
    assert list(ce.state_dict()) == ["weight"] and ce.weight is ce._buffers["weight"]
    expected = -(3 * lsm[0, 1] + 1 * lsm[1, 0]).item() / 4
    assert math.isclose(ce(pred, cls).item(), expected, rel_tol=1e-6)
    assert nn.CrossEntropyLoss(ignore_index=0, reduction="sum")(pred, cls).item() == \
        pytest.approx(-lsm[0, 1].item())
    assert nn.CrossEntropyLoss().ignore_index == -100
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        nn.MSELoss(reduction="foo")(pred, target)


def test_training_loop_with_optimizer():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x = torch.randn(64, 2)
    y = (x[:, :1] * x[:, 1:]).detach()
    loss_fn = nn.MSELoss()
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first
    net.double()                                  # the optimizer still holds the parameters
    opt.zero_grad()
    loss_fn(net(x.double()), y.double()).backward()
    opt.step()
    assert all(p.dtype == torch.float64 for p in net.parameters())


def test_reexports():
    from tensor.nn.modules import Module, Parameter, Sequential
    from tensor.nn.parameter import Parameter as P2
    assert Module is nn.Module and Parameter is nn.Parameter is P2
    assert Sequential is nn.Sequential
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import tensor.nn.functional  # noqa: F401


def test_embedding_module():
    """PyTorch's Embedding: N(0, 1) weights with the padding row zeroed (and gradient-free),
    its repr, from_pretrained."""
    e = nn.Embedding(5, 3, padding_idx=-1)
    assert e.padding_idx == 4 and e.weight[4].tolist() == [0.0, 0.0, 0.0]
    assert repr(e) == "Embedding(5, 3, padding_idx=4)"
    y = e(torch.tensor([[0, 4]]))
    assert tuple(y.shape) == (1, 2, 3)
    y.sum().backward()
    assert e.weight.grad[4].tolist() == [0.0, 0.0, 0.0] and e.weight.grad[0].tolist() == [1.0] * 3
    f = nn.Embedding.from_pretrained(torch.arange(6.0).reshape(3, 2))
    assert not f.weight.requires_grad and f(torch.tensor([2, 0])).tolist() == [[4.0, 5.0],
                                                                              [0.0, 1.0]]
