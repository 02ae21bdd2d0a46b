"""``tensor.nn`` side by side with ``torch.nn`` (skipped without torch): the same module trees
built on both must agree on names, orders, shapes, printing, state dicts, load errors, hook
order, train/eval flags, casts, container edits, initialiser facts and outputs for identical
weights (copied from PyTorch through numpy)."""

from __future__ import annotations

import copy
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, strategies as st

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

LIBS = (torch, tk)


# -- building the same tree on both sides --------------------------------------------------
def custom_class(L):
    class Custom(L.nn.Module):
        def __init__(self, ops, done):
            super().__init__()
            for op in ops:
                kind, name = op[0], op[1]
                if kind == "param":
                    setattr(self, name, L.nn.Parameter(L.zeros(op[2])))
                elif kind == "param_reg":
                    self.register_parameter(name, L.nn.Parameter(L.zeros(op[2])))
                elif kind == "param_none":
                    self.register_parameter(name, None)
                elif kind == "buf":
                    self.register_buffer(name, L.zeros(op[2]), persistent=op[3])
                elif kind == "buf_none":
                    self.register_buffer(name, None)
                elif kind == "child":
                    setattr(self, name, build(L, op[2], done))
                elif kind == "child_none":
                    self.add_module(name, None)
                elif kind == "share" and done:
                    setattr(self, name, done[op[2] % len(done)])
                elif kind == "plain":
                    setattr(self, name, op[2])

        def forward(self, x):
            return x
    return Custom


_CUSTOM = {L: custom_class(L) for L in LIBS}


def build(L, node, done=None):
    """``node`` -> a module of library ``L``; ``done`` lists finished modules (for sharing:
    only finished ones, so there are no cycles)."""
    done = [] if done is None else done
    kind = node[0]
    if kind == "linear":
        m = L.nn.Linear(node[1], node[2], bias=node[3])
    elif kind == "act":
        m = getattr(L.nn, node[1])(**node[2])
    elif kind == "custom":
        m = _CUSTOM[L](node[1], done)
    elif kind == "seq":
        m = L.nn.Sequential(*[build(L, c, done) for c in node[1]])
    elif kind == "seq_od":
        m = L.nn.Sequential(OrderedDict((n, build(L, c, done)) for n, c in node[1]))
    elif kind == "mlist":
        m = L.nn.ModuleList([build(L, c, done) for c in node[1]])
    elif kind == "mdict":
        m = L.nn.ModuleDict(OrderedDict((n, build(L, c, done)) for n, c in node[1]))
    elif kind == "plist":
        m = L.nn.ParameterList([L.zeros(s) for s in node[1]])
    elif kind == "pdict":
        m = L.nn.ParameterDict({n: L.zeros(s) for n, s in node[1]})
    else:
        raise AssertionError(kind)
    done.append(m)
    return m


NAMES = st.sampled_from(["a", "b", "fc", "w", "z", "head", "mean"])
SHAPES = st.lists(st.integers(1, 3), max_size=2).map(tuple)
ACTS = st.sampled_from([("ReLU", {}), ("ReLU", {"inplace": True}), ("Tanh", {}),
                        ("Sigmoid", {}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}),
                        ("Identity", {}), ("Dropout", {"p": 0.25}), ("Softmax", {"dim": 1}),
                        ("LogSoftmax", {}), ("Flatten", {}), ("MSELoss", {}),
                        ("CrossEntropyLoss", {"label_smoothing": 0.1}),
                        ("Unflatten", {"dim": 1, "unflattened_size": (2, 3)})])


def nodes(depth=0):
    leaves = st.one_of(
        st.tuples(st.just("linear"), st.integers(1, 4), st.integers(1, 4), st.booleans()),
        st.tuples(st.just("act"), ACTS).map(lambda t: ("act",) + t[1]),
        st.tuples(st.just("plist"), st.lists(SHAPES, max_size=3)),
        st.tuples(st.just("pdict"), st.lists(st.tuples(NAMES, SHAPES), max_size=3,
                                             unique_by=lambda x: x[0])),
    )
    if depth >= 2:
        return leaves
    sub = st.deferred(lambda: nodes(depth + 1))
    op = st.one_of(
        st.tuples(st.sampled_from(["param", "param_reg"]), NAMES, SHAPES),
        st.tuples(st.just("param_none"), NAMES),
        st.tuples(st.just("buf"), NAMES, SHAPES, st.booleans()),
        st.tuples(st.just("buf_none"), NAMES),
        st.tuples(st.just("child"), NAMES, sub),
        st.tuples(st.just("child_none"), NAMES),
        st.tuples(st.just("share"), NAMES, st.integers(0, 20)),
        st.tuples(st.just("plain"), NAMES, st.integers()),
    )
    custom = st.tuples(st.just("custom"), st.lists(op, min_size=1, max_size=6,
                                                   unique_by=lambda o: o[1]))
    if depth == 0:
        return custom                  # the root: a user-defined module
    return st.one_of(
        custom,
        leaves,
        st.tuples(st.just("seq"), st.lists(sub, max_size=3)),
        st.tuples(st.just("seq_od"), st.lists(st.tuples(NAMES, sub), max_size=3,
                                              unique_by=lambda x: x[0])),
        st.tuples(st.just("mlist"), st.lists(sub, max_size=3)),
        st.tuples(st.just("mdict"), st.lists(st.tuples(NAMES, sub), max_size=3,
                                             unique_by=lambda x: x[0])),
    )


TREES = st.deferred(lambda: nodes())


def pair(spec):
    return build(torch, spec), build(tk, spec)


def shapes(named):
    return [(n, tuple(t.shape), str(t.dtype).replace("torch.", "")) for n, t in named]


def facts(m):
    """Everything about a tree's structure both libraries must agree on."""
    return {
        "params": shapes(m.named_parameters()),
        "params_all": [n for n, _ in m.named_parameters(remove_duplicate=False)],
        "params_local": [n for n, _ in m.named_parameters(prefix="p", recurse=False)],
        "buffers": shapes(m.named_buffers()),
        "modules": [(n, type(x).__name__) for n, x in m.named_modules()],
        "modules_all": [n for n, _ in m.named_modules(remove_duplicate=False, prefix="r")],
        "children": [n for n, _ in m.named_children()],
        "state_dict": shapes(m.state_dict().items()),
        "metadata": list(m.state_dict()._metadata.items()),
        "repr": repr(m),
        "own_dir": sorted(set(dir(m)) - set(dir(type(m)))),
    }


def copy_weights(src, dst):
    """Load PyTorch module ``src``'s state into our ``dst`` through numpy."""
    return dst.load_state_dict({k: tk.from_numpy(v.detach().numpy().copy())
                                for k, v in src.state_dict().items()})


@given(TREES)
def test_random_trees_agree(spec):
    tm, km = pair(spec)
    assert facts(km) == facts(tm)
    # state round trip: PyTorch's values (made distinct) come over exactly
    with torch.no_grad():
        for i, (_, t) in enumerate(tm.state_dict(keep_vars=True).items()):
            if t.is_floating_point():
                t.copy_(torch.arange(t.numel(), dtype=t.dtype).reshape(t.shape) + i)
    res = copy_weights(tm, km)
    assert repr(res) == "<All keys matched successfully>"
    ts, ks = tm.state_dict(), km.state_dict()
    assert list(ks) == list(ts)
    for k in ts:
        assert np.array_equal(ks[k].numpy(), ts[k].numpy())
        assert ks[k]._version == ts[k]._version, k
    # a deep copy has the same structure on both sides too
    assert facts(copy.deepcopy(km)) == facts(copy.deepcopy(tm))


# -- load_state_dict: results and error texts ----------------------------------------------
def outcome(fn):
    try:
        r = fn()
        return ("ok", repr(r), getattr(r, "missing_keys", None), getattr(r, "unexpected_keys",
                                                                          None))
    except Exception as e:      # noqa: BLE001 - the comparison is the point
        return (type(e).__name__, str(e))


EDITS = st.lists(st.tuples(st.sampled_from(["drop", "extra", "reshape", "int", "scalar"]),
                           st.integers(0, 50), NAMES), max_size=4)


def edited(L, sd, edits):
    keys = list(sd)
    out = OrderedDict(sd)
    for kind, k, name in edits:
        if kind == "extra":
            prefix = keys[k % len(keys)].rpartition(".")[0] if keys and k % 3 else ""
            out[(prefix + "." if prefix else "") + name + ("_x" if k % 2 else ".y")] = L.ones(1)
            continue
        if not keys:
            continue
        key = keys[k % len(keys)]
        if kind == "drop":
            out.pop(key, None)
        elif kind == "reshape":
            out[key] = L.zeros(*(tuple(sd[key].shape) + (2,)))
        elif kind == "int":
            out[key] = 7
        elif kind == "scalar":
            out[key] = L.zeros(1) if sd[key].dim() == 0 else sd[key].double()
    return out


@given(TREES, EDITS, st.booleans())
def test_load_state_dict_errors_agree(spec, edits, strict):
    tm, km = pair(spec)
    t_sd = edited(torch, tm.state_dict(), edits)
    k_sd = edited(tk, km.state_dict(), edits)
    assert list(k_sd) == list(t_sd)
    assert outcome(lambda: km.load_state_dict(k_sd, strict=strict)) == \
        outcome(lambda: tm.load_state_dict(t_sd, strict=strict))


def test_load_state_dict_assign_agrees():
    out = {}
    for L in LIBS:
        m = L.nn.Linear(2, 2)
        m.register_buffer("rb", L.zeros(2))
        w0 = m.weight
        sd = {k: v.clone().double() for k, v in m.state_dict().items()}
        m.weight.requires_grad_(False)
        r = m.load_state_dict(sd, assign=True)
        out[L] = (repr(r), type(m.weight).__name__, str(m.weight.dtype), m.weight is w0,
                  m.weight.requires_grad, m.rb is sd["rb"], m.bias.requires_grad)
    assert out[tk] == out[torch]


# -- hooks ---------------------------------------------------------------------------------
HOOK_OPS = st.lists(st.one_of(
    st.tuples(st.just("reg"), st.sampled_from(["", "0", "1", "1.0", "1.1"]),
              st.sampled_from(["pre", "fwd"]), st.booleans(), st.booleans(), st.booleans()),
    st.tuples(st.just("remove"), st.integers(0, 30))), max_size=10)


def run_hooks(L, ops, state):
    model = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.Sequential(L.nn.Tanh(), L.nn.Linear(3, 2)))
    copy_weights(state, model) if L is tk else model.load_state_dict(state.state_dict())
    log, handles = [], []
    for i, op in enumerate(ops):
        if op[0] == "remove":
            if handles:
                handles[op[1] % len(handles)].remove()
            continue
        _, path, kind, prepend, kw, modify = op
        mod = model.get_submodule(path)

        if kind == "pre":
            def hook(m, args, *rest, i=i, modify=modify, path=path):
                log.append((i, "pre", path, len(rest)))
                if modify:
                    new = (args[0] * 0.5,)
                    return (new, rest[0]) if rest else new
            handles.append(mod.register_forward_pre_hook(hook, prepend=prepend,
                                                         with_kwargs=kw))
        else:
            def hook(m, args, *rest, i=i, modify=modify, path=path):
                log.append((i, "fwd", path, len(rest)))
                return rest[-1] + 1 if modify else None
            handles.append(mod.register_forward_hook(hook, prepend=prepend, with_kwargs=kw))
    x = L.tensor([[0.5, -1.0], [2.0, 0.25]])
    out = model(x)
    return log, out.detach().numpy().copy()


@given(HOOK_OPS)
def test_hook_order_agrees(ops):
    ref = torch.nn.Sequential(torch.nn.Linear(2, 3),
                              torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(3, 2)))
    t_log, t_out = run_hooks(torch, ops, ref)
    k_log, k_out = run_hooks(tk, ops, ref)
    assert k_log == t_log
    np.testing.assert_allclose(k_out, t_out, rtol=1e-5, atol=1e-6)


# -- train / eval --------------------------------------------------------------------------
@given(TREES, st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["train", "eval",
                                                                       "train_false"])),
                       max_size=6))
def test_train_eval_flags_agree(spec, calls):
    flags = {}
    for L in LIBS:
        m = build(L, spec)
        mods = [x for _, x in m.named_modules()]
        for k, how in calls:
            target = mods[k % len(mods)]
            r = target.eval() if how == "eval" else target.train(how == "train")
            assert r is target
        flags[L] = [(n, x.training) for n, x in m.named_modules(remove_duplicate=False)]
    assert flags[tk] == flags[torch]


# -- outputs for identical weights ---------------------------------------------------------
CHAIN_ACTS = st.sampled_from([("ReLU", {}), ("Tanh", {}), ("Sigmoid", {}), ("GELU", {}),
                              ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Identity", {}),
                              ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 1}),
                              ("Dropout", {"p": 0.5})])


@given(st.lists(st.integers(1, 5), min_size=2, max_size=5),
       st.lists(CHAIN_ACTS, min_size=4, max_size=4), st.lists(st.booleans(), min_size=4,
                                                              max_size=4),
       st.integers(0, 2 ** 31 - 1))
def test_outputs_and_grads_agree(widths, acts, biases, seed):
    def make(L):
        layers = []
        for i in range(len(widths) - 1):
            layers.append(L.nn.Linear(widths[i], widths[i + 1], bias=biases[i]))
            name, kw = acts[i]
            layers.append(getattr(L.nn, name)(**kw))
        return L.nn.Sequential(*layers).eval()           # dropout off
    tm, km = make(torch), make(tk)
    copy_weights(tm, km)
    x = np.random.default_rng(seed).standard_normal((3, widths[0])).astype(np.float32)
    t_out, k_out = tm(torch.from_numpy(x)), km(tk.from_numpy(x.copy()))
    np.testing.assert_allclose(k_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    t_out.pow(2).sum().backward()
    k_out.pow(2).sum().backward()
    for (tn, tp), (kn, kp) in zip(tm.named_parameters(), km.named_parameters()):
        assert tn == kn
        np.testing.assert_allclose(kp.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,kw", [
    ("MSELoss", {}), ("MSELoss", {"reduction": "sum"}), ("MSELoss", {"reduction": "none"}),
    ("CrossEntropyLoss", {}), ("CrossEntropyLoss", {"reduction": "sum"}),
    ("CrossEntropyLoss", {"ignore_index": 1}), ("CrossEntropyLoss", {"label_smoothing": 0.2}),
    ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5]}), ("NLLLoss", {}),
    ("NLLLoss", {"weight": [1.0, 2.0, 0.5], "reduction": "sum"}),
    ("NLLLoss", {"ignore_index": 0, "reduction": "none"}),
])
def test_losses_agree(name, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 1])
    outs = []
    for L in LIBS:
        kwl = dict(kw)
        if "weight" in kwl:
            kwl["weight"] = L.tensor(kwl["weight"])
        loss = getattr(L.nn, name)(**kwl)
        inp = L.tensor(x, requires_grad=True)
        target = L.tensor(x[::-1].copy()) if name == "MSELoss" else L.tensor(y)
        arg = L.log_softmax(inp, 1) if name == "NLLLoss" else inp
        out = loss(arg, target)
        out.sum().backward()
        outs.append((repr(loss), list(loss.state_dict()), out.detach().numpy().copy(),
                     inp.grad.numpy().copy()))
    (tr, tsd, to, tg), (kr, ksd, ko, kg) = outs
    assert (kr, ksd) == (tr, tsd)
    np.testing.assert_allclose(ko, to, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(kg, tg, rtol=1e-5, atol=1e-6)


def test_dropout_train_mode_agrees_statistically():
    for L in LIBS:
        L.manual_seed(0)
        d = L.nn.Dropout(0.3)
        out = d(L.ones(200, 200)).numpy()
        kept = out != 0
        assert np.allclose(out[kept], 1 / 0.7) and abs(kept.mean() - 0.7) < 0.01
        assert d.eval()(L.ones(2)).tolist() == [1.0, 1.0]


# -- printing and errors -------------------------------------------------------------------
REPR_CASES = [
    "nn.Linear(3, 4)", "nn.Linear(3, 4, bias=False)", "nn.Identity(3, k=4)", "nn.Flatten()",
    "nn.Flatten(0, -1)", "nn.Unflatten(1, (2, 3))", "nn.Unflatten(1, [2, 3])",
    "nn.Unflatten(1, L.Size([2, 3]))", "nn.ReLU()", "nn.ReLU(inplace=True)", "nn.Tanh()",
    "nn.Sigmoid()", "nn.GELU()", "nn.GELU('tanh')", "nn.SiLU()", "nn.SiLU(True)",
    "nn.Softmax()", "nn.Softmax(dim=1)", "nn.LogSoftmax(dim=-1)", "nn.LogSoftmax()",
    "nn.Dropout()", "nn.Dropout(0.1, True)", "nn.Dropout(p=0)", "nn.MSELoss()",
    "nn.CrossEntropyLoss(label_smoothing=0.1)", "nn.NLLLoss()",
    "nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(1, 1), nn.ReLU(), nn.ReLU(), nn.ReLU()])",
    "nn.ModuleList([nn.Sequential(nn.ReLU(), nn.Tanh()), nn.Sequential(nn.ReLU(), nn.Tanh())])",
    "nn.ModuleDict({'a': nn.ReLU(), 'b': nn.Linear(1, 2)})",
    "nn.ParameterList([nn.Parameter(L.ones(2, 3)), L.ones(2), 3])",
    "nn.ParameterList([L.ones(2)])",
    "nn.ParameterDict({'b': L.ones(2), 'a': L.ones(1, 2, dtype=L.float64), 'c': 'x'})",
    "nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU(), nn.ModuleList([nn.Tanh()])))",
    "nn.Parameter(L.tensor([1.5, -2.0]))", "nn.Parameter(L.ones(2), requires_grad=False)",
    "nn.Parameter()", "nn.Linear(2, 2).load_state_dict(nn.Linear(2, 2).state_dict())",
]


@pytest.mark.parametrize("expr", REPR_CASES)
def test_reprs_agree(expr):
    texts = [repr(eval(expr, {"nn": L.nn, "L": L})) for L in LIBS]   # noqa: S307
    assert texts[1] == texts[0]


def _before_init(L, what):
    class Bad(L.nn.Module):
        def __init__(self):
            if what == "param":
                self.w = L.nn.Parameter(L.ones(1))
            elif what == "module":
                self.m = L.nn.ReLU()
            elif what == "buffer":
                self.register_buffer("b", L.ones(1))
            else:
                self.register_parameter("p", None)
    Bad()


def _with_buffer(L):
    m = L.nn.Linear(3, 4)
    m.register_buffer("buf", L.zeros(2))
    m.act = L.nn.ReLU()
    return m


ERROR_CASES = {
    "param_before_init": lambda L: _before_init(L, "param"),
    "module_before_init": lambda L: _before_init(L, "module"),
    "buffer_before_init": lambda L: _before_init(L, "buffer"),
    "register_param_before_init": lambda L: _before_init(L, "reg"),
    "module_args": lambda L: L.nn.Module(3),
    "module_kwargs": lambda L: L.nn.Module(x=3),
    "tensor_as_param": lambda L: setattr(L.nn.Linear(3, 4), "weight", L.ones(4, 3)),
    "double_as_param": lambda L: setattr(L.nn.Linear(3, 4), "bias",
                                         L.ones(4, dtype=L.float64)),
    "int_as_param": lambda L: setattr(L.nn.Linear(3, 4), "weight", 3),
    "int_as_module": lambda L: setattr(_with_buffer(L), "act", 3),
    "tensor_as_module": lambda L: setattr(_with_buffer(L), "act", L.ones(1)),
    "int_as_buffer": lambda L: setattr(_with_buffer(L), "buf", 3),
    "missing_attr": lambda L: L.nn.Linear(1, 1).nothere,
    "del_missing": lambda L: delattr(L.nn.Linear(1, 1), "nothere"),
    "buffer_exists": lambda L: L.nn.Linear(1, 1).register_buffer("weight", L.ones(1)),
    "buffer_dot": lambda L: L.nn.Linear(1, 1).register_buffer("a.b", None),
    "buffer_empty": lambda L: L.nn.Linear(1, 1).register_buffer("", None),
    "buffer_name_int": lambda L: L.nn.Linear(1, 1).register_buffer(1, None),
    "buffer_list": lambda L: L.nn.Linear(1, 1).register_buffer("q", [1]),
    "param_tensor": lambda L: L.nn.Linear(1, 1).register_parameter("q", L.ones(1)),
    "param_exists": lambda L: L.nn.Linear(1, 1).register_parameter("in_features", None),
    "param_dot": lambda L: L.nn.Linear(1, 1).register_parameter("a.b", None),
    "param_empty": lambda L: L.nn.Linear(1, 1).register_parameter("", None),
    "param_name_int": lambda L: L.nn.Linear(1, 1).register_parameter(3, None),
    "module_int": lambda L: L.nn.Linear(1, 1).add_module("x", 3),
    "module_name_int": lambda L: L.nn.Linear(1, 1).add_module(3, L.nn.ReLU()),
    "module_dot": lambda L: L.nn.Linear(1, 1).add_module("a.b", L.nn.ReLU()),
    "module_empty": lambda L: L.nn.Linear(1, 1).add_module("", L.nn.ReLU()),
    "module_exists": lambda L: L.nn.Linear(1, 1).add_module("weight", L.nn.ReLU()),
    "get_submodule": lambda L: _with_buffer(L).get_submodule("act.x"),
    "get_submodule_param": lambda L: _with_buffer(L).get_submodule("weight"),
    "get_parameter": lambda L: _with_buffer(L).get_parameter("in_features"),
    "get_parameter_missing": lambda L: _with_buffer(L).get_parameter("act.zz"),
    "get_buffer": lambda L: _with_buffer(L).get_buffer("weight"),
    "train_int": lambda L: L.nn.Linear(1, 1).train(1),
    "to_long": lambda L: L.nn.Linear(1, 1).to(L.long),
    "type_int": lambda L: L.nn.Linear(1, 1).type(L.int32),
    "no_forward": lambda L: L.nn.Module()(1),
    "modulelist_forward": lambda L: L.nn.ModuleList()(1),
    "paramlist_call": lambda L: L.nn.ParameterList()(1),
    "paramdict_call": lambda L: L.nn.ParameterDict()(1),
    "seq_index": lambda L: L.nn.Sequential(L.nn.ReLU())[3],
    "seq_neg_index": lambda L: L.nn.Sequential(L.nn.ReLU())[-2],
    "seq_str_index": lambda L: L.nn.Sequential(L.nn.ReLU())["a"],
    "seq_insert": lambda L: L.nn.Sequential().insert(2, L.nn.ReLU()),
    "seq_add": lambda L: L.nn.Sequential() + 3,
    "seq_mul": lambda L: L.nn.Sequential() * 0,
    "seq_setitem": lambda L: L.nn.Sequential(L.nn.ReLU()).__setitem__(0, 3),
    "mlist_extend": lambda L: L.nn.ModuleList().extend(3),
    "mlist_index": lambda L: L.nn.ModuleList([L.nn.ReLU()])[1],
    "mdict_update": lambda L: L.nn.ModuleDict().update(3),
    "mdict_update_len": lambda L: L.nn.ModuleDict().update([(1,)]),
    "mdict_update_elem": lambda L: L.nn.ModuleDict().update([3]),
    "mdict_missing": lambda L: L.nn.ModuleDict()["z"],
    "plist_extend": lambda L: L.nn.ParameterList().extend(L.ones(2)),
    "pdict_missing": lambda L: L.nn.ParameterDict()["z"],
    "pdict_key": lambda L: L.nn.ParameterDict()[3],
    "dropout_p": lambda L: L.nn.Dropout(1.5),
    "unflatten_type": lambda L: L.nn.Unflatten(1, 3),
    "unflatten_elem": lambda L: L.nn.Unflatten(1, (2, "a")),
    "unflatten_sizes": lambda L: L.nn.Unflatten(1, (2, 4))(L.ones(2, 6)),
    "unflatten_empty": lambda L: L.nn.Unflatten(1, ())(L.ones(2, 6)),
    "param_list": lambda L: L.nn.Parameter([1.0]),
    "param_int_grad": lambda L: L.nn.Parameter(L.ones(2, dtype=L.long)),
    "param_rg_int": lambda L: L.nn.Parameter(L.ones(2), 1),
    "load_not_mapping": lambda L: L.nn.Linear(1, 1).load_state_dict([1]),
    "pre_hook_bad_return": lambda L: _bad_pre_hook(L),
    "gain_bool": lambda L: L.nn.init.calculate_gain("leaky_relu", True),
    "gain_str": lambda L: L.nn.init.calculate_gain("leaky_relu", "x"),
    "gain_unknown": lambda L: L.nn.init.calculate_gain("foo"),
    "fan_1d": lambda L: L.nn.init._calculate_fan_in_and_fan_out(L.empty(3)),
    "kaiming_mode": lambda L: L.nn.init.kaiming_uniform_(L.empty(3, 2), mode="fan_avg"),
    "kaiming_1d": lambda L: L.nn.init.kaiming_normal_(L.empty(3)),
    "eye_3d": lambda L: L.nn.init.eye_(L.empty(2, 2, 2)),
    "dirac_2d": lambda L: L.nn.init.dirac_(L.empty(2, 2)),
    "dirac_groups": lambda L: L.nn.init.dirac_(L.empty(3, 2, 2), groups=2),
    "orthogonal_1d": lambda L: L.nn.init.orthogonal_(L.empty(2)),
    "uniform_bounds": lambda L: L.nn.init.uniform_(L.empty(2), 2, 1),
    "normal_std": lambda L: L.nn.init.normal_(L.empty(2), 0, -1),
    "uniform_long": lambda L: L.nn.init.uniform_(L.ones(2, dtype=L.long)),
}


def _bad_pre_hook(L):
    m = L.nn.ReLU()
    m.register_forward_pre_hook(lambda mod, a, k: 3, with_kwargs=True)
    m(L.ones(1))


def error_of(fn):
    try:
        fn()
    except Exception as e:      # noqa: BLE001
        return type(e).__name__, e.args[0] if isinstance(e, KeyError) else str(e)
    return None


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_error_texts_agree(case):
    t = error_of(lambda: ERROR_CASES[case](torch))
    k = error_of(lambda: ERROR_CASES[case](tk))
    assert t is not None
    # class paths differ only by package: torch.nn.modules.container.X is our
    # tensor.nn.containers.X
    for theirs, ours in (("torch.nn.modules.module.", "tensor.nn.module."),
                         ("torch.nn.modules.container.", "tensor.nn.containers.")):
        t = (t[0], t[1].replace(theirs, ours))
    assert k == t


# -- conversions ---------------------------------------------------------------------------
def cast_facts(L):
    m = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.Linear(3, 1))
    m[0].register_buffer("ib", L.arange(3))
    m[0].register_buffer("fb", L.zeros(3))
    m(L.ones(1, 2)).sum().backward()
    w, g, fb, ib = m[0].weight, m[0].weight.grad, m[0].fb, m[0].ib
    rows = []
    for step in ["double", "double", "half", "float", "to64", "cpu", "type32", "to_tensor",
                 "float"]:
        if step == "to64":
            r = m.to(L.float64)
        elif step == "type32":
            r = m.type(L.float32)
        elif step == "to_tensor":
            r = m.to(L.ones(1, dtype=L.float64))
        else:
            r = getattr(m, step)()
        rows.append((step, r is m, m[0].weight is w, m[0].weight.grad is g, m[0].fb is fb,
                     m[0].ib is ib, str(w.dtype), str(g.dtype), str(m[0].fb.dtype),
                     str(m[0].ib.dtype), w._version, w.requires_grad, w.is_leaf))
        fb = m[0].fb
    return rows


def test_casts_agree():
    assert cast_facts(tk) == cast_facts(torch)


def test_zero_grad_and_requires_grad_agree():
    out = {}
    for L in LIBS:
        m = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.Linear(2, 1))
        m(L.ones(3, 2)).sum().backward()
        g = m[0].weight.grad
        m.zero_grad(set_to_none=False)
        a = (m[0].weight.grad is g, g._version, g.abs().sum().item(), g.requires_grad)
        m.zero_grad()
        b = [p.grad is None for p in m.parameters()]
        m.requires_grad_(False)
        out[L] = (a, b, [p.requires_grad for p in m.parameters()])
    assert out[tk] == out[torch]


def test_parameter_facts_agree():
    out = {}
    for L in LIBS:
        t = L.ones(3)
        p = L.nn.Parameter(t)
        with L.no_grad():
            p.add_(1)
        t.mul_(2)
        base = L.ones(4)
        pv = L.nn.Parameter(base[:2])
        with L.no_grad():
            pv.add_(1)
        p.grad = L.ones(3)
        d, c = copy.deepcopy(p), copy.copy(p)
        out[L] = (p._version, t._version, p.tolist(), base.tolist(), base._version,
                  pv._version, type(d).__name__, d.grad is None, d._version,
                  d.data_ptr() == p.data_ptr(), type(c).__name__, c.data_ptr() == p.data_ptr(),
                  c._version, type(p * 2).__name__, type(p.detach()).__name__,
                  isinstance(p, L.Tensor), p.is_leaf)
    assert out[tk] == out[torch]


# -- container edits -----------------------------------------------------------------------
CONTAINER_OPS = st.lists(st.tuples(
    st.sampled_from(["append", "insert", "del", "del_slice", "set", "extend", "pop", "slice",
                     "iadd"]),
    st.integers(-4, 4), st.integers(-4, 4), st.sampled_from(["ReLU", "Tanh", "Identity"])),
    max_size=8)


def run_container(L, kind, ops):
    c = getattr(L.nn, kind)([L.nn.ReLU(), L.nn.Sigmoid()]) if kind == "ModuleList" else \
        L.nn.Sequential(L.nn.ReLU(), L.nn.Sigmoid())
    log = []
    for op, i, j, name in ops:
        mod = getattr(L.nn, name)()
        try:
            if op == "append":
                c.append(mod)
            elif op == "insert":
                c.insert(i, mod)
            elif op == "del":
                del c[i]
            elif op == "del_slice":
                del c[i:j]
            elif op == "set":
                c[i] = mod
            elif op == "extend":
                c.extend([mod, getattr(L.nn, name)()])
            elif op == "pop":
                log.append(repr(c.pop(i)))
            elif op == "slice":
                log.append(repr(c[i:j]))
            elif op == "iadd":
                c += (L.nn.Sequential(mod) if kind == "Sequential" else [mod])
        except Exception as e:      # noqa: BLE001
            log.append((type(e).__name__, str(e)))
        log.append((repr(c), list(c._modules), len(c)))
    return log


@given(st.sampled_from(["Sequential", "ModuleList"]), CONTAINER_OPS)
def test_container_edits_agree(kind, ops):
    assert run_container(tk, kind, ops) == run_container(torch, kind, ops)


# -- init ----------------------------------------------------------------------------------
@given(st.lists(st.integers(0, 4), min_size=2, max_size=5),
       st.sampled_from(["linear", "conv1d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]),
       st.one_of(st.none(), st.floats(-3, 3), st.integers(-3, 3)))
def test_init_facts_agree(shape, nonlin, param):
    def facts_of(L):
        t = L.empty(*shape)
        f = L.nn.init._calculate_fan_in_and_fan_out(t)
        g = error_of(lambda: L.nn.init.calculate_gain(nonlin, param))
        g = g or L.nn.init.calculate_gain(nonlin, param)
        versions = []
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            for fn in ("kaiming_uniform_", "kaiming_normal_", "constant_", "zeros_", "ones_"):
                x = L.nn.Parameter(L.empty(*shape))
                args = (0.5,) if fn == "constant_" else ()
                r = getattr(L.nn.init, fn)(x, *args)
                versions.append((r is x, x._version, x.requires_grad, x.is_leaf))
        return f, g, versions, [str(x.message) for x in w]
    assert facts_of(tk) == facts_of(torch)


@pytest.mark.parametrize("fn,kw", [("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 3.0}),
                                   ("kaiming_uniform_", {"a": math.sqrt(5)}),
                                   ("kaiming_uniform_", {"mode": "fan_out",
                                                         "nonlinearity": "relu"}),
                                   ("uniform_", {"a": -2.0, "b": 0.5})])
def test_uniform_init_bounds_agree(fn, kw):
    """Different generators, same law: both stay in the same bounds and nearly reach them."""
    ranges = []
    for L in LIBS:
        L.manual_seed(0)
        t = L.empty(64, 128)
        getattr(L.nn.init, fn)(t, **kw)
        ranges.append((t.min().item(), t.max().item(), t._version))
    (tlo, thi, tv), (klo, khi, kv) = ranges
    assert kv == tv
    width = thi - tlo
    assert abs(klo - tlo) < 0.01 * width and abs(khi - thi) < 0.01 * width


def test_eye_dirac_agree():
    for shape, fn in [((2, 3), "eye_"), ((3, 2), "eye_"), ((4, 2, 3), "dirac_"),
                      ((4, 2, 3, 3), "dirac_")]:
        outs = [getattr(L.nn.init, fn)(L.empty(*shape)).numpy().copy() for L in LIBS]
        assert np.array_equal(outs[0], outs[1])
