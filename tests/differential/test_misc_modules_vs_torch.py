"""The small modules side by side with PyTorch (skipped without torch): ``utils._pytree``,
the ``nn.modules`` package and its private bases, ``nn.utils`` fusion helpers, ``types``,
``multiprocessing`` and ``cuda`` on a CPU build. The same program runs on both libraries and
what it prints (values, reprs, error types and texts) must agree."""

from __future__ import annotations

import re
import warnings
from collections import OrderedDict, defaultdict, deque, namedtuple

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

P = namedtuple("P", "x y")


def _clean(text):
    """Addresses out, and a printed set's members sorted: its order follows the hash seed of
    the process that compiled the module (a set literal is a frozenset constant in the .pyc),
    so PyTorch's and ours may print the same set in different orders."""
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x?", str(text))
    return re.sub(r"\{('[^{}]*')\}",
                  lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", text)


def outcome(fn):
    try:
        return ("ok", _clean(repr(fn())))
    except Exception as e:      # noqa: BLE001 - the type is what we compare
        return ("raise", type(e).__name__, _clean(e))


def same(fn):
    """``fn(lib)`` gives the same repr (or the same error) on both libraries."""
    t, k = outcome(lambda: fn(torch)), outcome(lambda: fn(tk))
    assert t == k


# -- pytree -----------------------------------------------------------------------------------
def _tree(lib):
    return (1, [2, {"b": 3, "a": 4}], None, P(5, 6), OrderedDict(z=7, y=8),
            defaultdict(int, {"k": 9}), deque([10, 11], maxlen=3),
            lib.max(lib.tensor([[1.0, 2.0]]), 1), lib.Size([3, 4]),
            lib.sort(lib.tensor([2.0, 1.0])), lib.linalg.slogdet(lib.eye(2)))


@pytest.mark.parametrize("what", [
    lambda p, t: p.tree_flatten(t),
    lambda p, t: p.tree_structure(t),
    lambda p, t: p.treespec_pprint(p.tree_structure(t)),
    lambda p, t: (lambda s: (s.num_leaves, s.num_nodes, s.num_children, s.type, s.context))(
        p.tree_structure(t)),
    lambda p, t: p.tree_unflatten(*p.tree_flatten(t)),
    lambda p, t: p.tree_map(lambda x: x * 2 if not isinstance(x, (str, type(None))) else x, t),
    lambda p, t: p.tree_structure(t) == p.tree_structure(t)
    and hash(p.tree_structure(t)) == hash(p.tree_structure(t)),
    lambda p, t: [(p.keystr(k), v) for k, v in p.tree_leaves_with_path(t)],
    lambda p, t: p.tree_map_with_path(lambda k, v: p.keystr(k), t[:7]),
    lambda p, t: (p.tree_all(lambda x: x is not None, t), p.tree_any(lambda x: x is None, t)),
    lambda p, t: list(p.tree_iter(t[:4])) == p.tree_leaves(t[:4]),
    lambda p, t: p.tree_leaves(t, is_leaf=lambda x: isinstance(x, list)),
    lambda p, t: p.tree_map_only(int, lambda x: -x, t[:7]),
    lambda p, t: p.tree_map_only((int, str), lambda x: x * 2, [1, "a", 2.5]),
    lambda p, t: p.tree_all_only(int, lambda x: x > 0, [1, "a", -2.5]),
    lambda p, t: (p.is_namedtuple(P), p.is_namedtuple(t[3]), p.is_namedtuple((1,)),
                  p.is_namedtuple_class(P)),
    lambda p, t: p.tree_structure([[], {}, (), None]),
    lambda p, t: (p.treespec_leaf(), p.treespec_tuple([p.treespec_leaf()] * 2),
                  p.treespec_dict(a=p.treespec_leaf())),
    lambda p, t: p._broadcast_to_and_flatten([1, 2], p.tree_structure([[0, 0], (0,)])),
    lambda p, t: p._broadcast_to_and_flatten((1, 2), p.tree_structure([[0, 0], (0,)])),
    lambda p, t: p.arg_tree_leaves(1, [2, 3], k=(4,)),
])
def test_pytree_program(what):
    same(lambda lib: what(lib.utils._pytree, _tree(lib)))


@pytest.mark.parametrize("what", [
    lambda p: p.tree_unflatten([1], p.tree_structure([1, 2])),
    lambda p: p.tree_unflatten([1], [2]),
    lambda p: p.tree_unflatten(p.tree_structure([1, 2]), [7, 8]),
    lambda p: p.register_pytree_node(list, None, None),
    lambda p: p.register_pytree_node(dict, None, None),
    lambda p: p.tree_map(lambda a, b: a + b, [1, 2], [1]),
    lambda p: p.tree_map(lambda a, b: a + b, [1, 2], (1, 2)),
    lambda p: p.tree_map(lambda a, b: a + b, {"a": 1}, {"b": 1}),
    lambda p: p.tree_map(lambda a, b: a + b, OrderedDict(a=1), {"a": 2}),
    lambda p: p.tree_map(lambda a, b: a + b, P(1, 2), (1, 2)),
    lambda p: p.tree_map(lambda a, b: a + b, deque([1], maxlen=2), deque([1])),
    lambda p: p.tree_map(lambda a, b: a + b, defaultdict(int, a=1), {"a": 2}),
    lambda p: p.tree_map_only(3, lambda x: x, [1]),
    lambda p: p.tree_structure([1, 2]).child(5),
    lambda p: p.tree_structure([1, 2]).children(),
    lambda p: p.tree_structure([1, 2]).flatten_up_to([[1], {"a": 2}]),
    lambda p: p.TreeSpec(None, 1, []),
    lambda p: p.TreeSpec(list, None, [p.treespec_leaf()]) == p.tree_structure([0]),
    lambda p: p.TreeSpec(None, None, []) == p.treespec_leaf(),
    lambda p: p.treespec_tuple([1]),
])
def test_pytree_errors_and_edges(what):
    same(lambda lib: what(lib.utils._pytree))


def test_pytree_custom_node():
    def program(lib):
        p = lib.utils._pytree

        class Pt:
            def __init__(self, a, b):
                self.a, self.b = a, b

            def __repr__(self):
                return f"Pt({self.a!r}, {self.b!r})"

        p.register_pytree_node(Pt, lambda o: ([o.a, o.b], "ctx"), lambda v, c: Pt(*v),
                               serialized_type_name="m.Pt")
        try:
            out = [p.tree_flatten([Pt(1, [2, 3])]), p.tree_map(lambda x: x * 2, [Pt(1, [2])])]
            out.append(outcome(lambda: p.tree_leaves_with_path(Pt(1, 2))))
            out.append(outcome(lambda: p.tree_map(lambda a, b: a, Pt(1, 2), (1, 2))))
            out.append(outcome(lambda: p.register_pytree_node(Pt, None, None)))
            return _clean(out)
        finally:
            p._deregister_pytree_node(Pt)

    assert program(torch) == program(tk)


def test_pytree_leafspec_warns_like_torch():
    def program(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            leaf = lib.utils._pytree.LeafSpec()
        return [(x.category.__name__, str(x.message)) for x in w], repr(leaf), leaf.is_leaf()
    assert program(torch) == program(tk)


# -- the nn.modules package -------------------------------------------------------------------
SUBMODULES = ["activation", "adaptive", "batchnorm", "channelshuffle", "container", "conv",
              "distance", "dropout", "flatten", "fold", "instancenorm", "linear", "loss",
              "normalization", "padding", "pixelshuffle", "pooling", "rnn", "sparse",
              "transformer", "upsampling", "utils", "module", "lazy"]
NOT_PROVIDED = {"SyncBatchNorm", "Container", "NLLLoss2d", "LinearCrossEntropyLoss",
                "CrossMapLRN2d"}
PRIVATE_BASES = {
    "loss": ["_Loss", "_WeightedLoss"], "batchnorm": ["_NormBase", "_BatchNorm",
                                                      "_LazyNormBase"],
    "conv": ["_ConvNd", "_ConvTransposeNd", "_LazyConvXdMixin"],
    "instancenorm": ["_InstanceNorm"], "dropout": ["_DropoutNd"],
    "pooling": ["_MaxPoolNd", "_AvgPoolNd", "_LPPoolNd", "_MaxUnpoolNd", "_AdaptiveAvgPoolNd",
                "_AdaptiveMaxPoolNd"],
    "padding": ["_ConstantPadNd", "_ReflectionPadNd", "_ReplicationPadNd", "_CircularPadNd"],
}


@pytest.mark.parametrize("sub", SUBMODULES)
def test_nn_modules_submodule_names(sub):
    import importlib
    theirs = importlib.import_module(f"torch.nn.modules.{sub}")
    ours = importlib.import_module(f"tensor.nn.modules.{sub}")
    want = set(getattr(theirs, "__all__", ())) - NOT_PROVIDED
    assert want <= set(dir(ours))
    for name in want | set(PRIVATE_BASES.get(sub, ())):
        assert hasattr(ours, name), name
        if isinstance(getattr(theirs, name), type):
            assert isinstance(getattr(ours, name), type)
    # the same classes as tensor.nn's
    for name in want:
        if hasattr(torch.nn, name) and isinstance(getattr(theirs, name), type):
            assert getattr(ours, name) is getattr(tk.nn, name)


def _all_classes(lib):
    out = {}
    for sub in SUBMODULES:
        mod = getattr(lib.nn.modules, sub)
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name, None)
            if isinstance(obj, type) and name not in NOT_PROVIDED:
                out[name] = obj
    return out


@pytest.mark.parametrize("sub", sorted(PRIVATE_BASES))
def test_private_bases_cover_the_same_classes(sub):
    t_classes, k_classes = _all_classes(torch), _all_classes(tk)
    for base in PRIVATE_BASES[sub]:
        tb = getattr(getattr(torch.nn.modules, sub), base)
        kb = getattr(getattr(tk.nn.modules, sub), base)
        t_sub = sorted(n for n, c in t_classes.items() if issubclass(c, tb))
        k_sub = sorted(n for n, c in k_classes.items() if issubclass(c, kb))
        assert k_sub == t_sub, base


def test_module_and_lazy_are_the_real_modules():
    import tensor.nn.modules.lazy as lazy_mod
    import tensor.nn.modules.module as module_mod
    assert module_mod is tk.nn.module and lazy_mod is tk.nn.lazy
    assert module_mod.register_module_forward_hook is not None
    assert tk.nn.modules.LazyModuleMixin is lazy_mod.LazyModuleMixin


def _user_loss(lib):
    from importlib import import_module
    loss = import_module(f"{lib.__name__}.nn.modules.loss")

    class MyLoss(loss._Loss):
        def forward(self, a, b):
            d = (a - b).abs()
            return d.sum() if self.reduction == "sum" else d.mean() \
                if self.reduction == "mean" else d

    class MyWeighted(loss._WeightedLoss):
        def forward(self, a, b):
            return ((a - b) * self.weight).sum()

    a, b = lib.tensor([1.0, -2.0, 3.0]), lib.tensor([0.5, 0.5, 0.5])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        legacy = MyLoss(size_average=False)
    wm = MyWeighted(lib.tensor([1.0, 2.0, 3.0]))
    return [MyLoss()(a, b).item(), MyLoss(reduction="sum")(a, b).item(),
            MyLoss(reduction="none")(a, b).tolist(), legacy.reduction,
            [str(x.message) for x in w], wm(a, b).item(), list(wm.state_dict()),
            repr(MyLoss()), list(MyLoss().state_dict()), MyLoss().training]


def test_user_loss_subclass():
    assert _user_loss(torch) == _user_loss(tk)


def _user_norms(lib):
    from importlib import import_module
    bn = import_module(f"{lib.__name__}.nn.modules.batchnorm")
    inorm = import_module(f"{lib.__name__}.nn.modules.instancenorm")

    class MyBN(bn._BatchNorm):
        def _check_input_dim(self, input):
            if input.dim() != 2:
                raise ValueError("want 2D")

    class NoCheck(bn._BatchNorm):
        pass

    class MyIN(inorm._InstanceNorm):
        _no_batch_dim = 2         # PyTorch's instance norms read this too

        def _get_no_batch_dim(self):
            return 2

        def _check_input_dim(self, input):
            pass

    x = lib.tensor([[1.0, 2.0], [3.0, 5.0], [0.0, -1.0]])
    m = MyBN(2)
    y = m(x)
    r5 = lambda t: np.round(t.detach().numpy(), 5).tolist()  # noqa: E731
    out = [r5(y), r5(m.running_mean), r5(m.running_var),
           int(m.num_batches_tracked), repr(m), sorted(m.state_dict()),
           outcome(lambda: m(x[None])), outcome(lambda: NoCheck(2)(x)),
           isinstance(lib.nn.BatchNorm1d(3), bn._BatchNorm),
           isinstance(lib.nn.BatchNorm2d(3), bn._NormBase),
           isinstance(lib.nn.InstanceNorm1d(3), bn._BatchNorm),
           isinstance(lib.nn.InstanceNorm1d(3), bn._NormBase), repr(MyIN(2))]
    mi = MyIN(3)
    out.append(np.round(mi(lib.tensor([[[1.0, 2.0, 4.0], [0.0, 1.0, 3.0],
                                        [2.0, 2.0, 5.0]]])).numpy(), 4).tolist())
    return out


def test_user_norm_subclasses():
    t, k = _user_norms(torch), _user_norms(tk)
    assert t == k


def _user_layers(lib):
    from importlib import import_module
    conv = import_module(f"{lib.__name__}.nn.modules.conv")
    pooling = import_module(f"{lib.__name__}.nn.modules.pooling")
    dropout = import_module(f"{lib.__name__}.nn.modules.dropout")
    utils = import_module(f"{lib.__name__}.nn.modules.utils")

    class MyConv(conv._ConvNd):
        def forward(self, x):
            return lib.nn.functional.conv1d(x, self.weight, self.bias, self.stride,
                                            self.padding, self.dilation, self.groups)

    class MyPool(pooling._MaxPoolNd):
        def forward(self, x):
            return lib.nn.functional.max_pool1d(x, self.kernel_size, self.stride)

    class MyAvg(pooling._AvgPoolNd):
        def __init__(self):
            super().__init__()
            self.kernel_size, self.stride, self.padding = 2, 2, 0

    class MyDrop(dropout._DropoutNd):
        def forward(self, x):
            return x

    c = MyConv(2, 4, (3,), (1,), (1,), (1,), False, (0,), 1, True, "zeros")
    out = [repr(c), tuple(c.weight.shape), tuple(c(lib.ones(1, 2, 5)).shape),
           outcome(lambda: MyConv(3, 4, (3,), (1,), (0,), (1,), False, (0,), 2, True, "zeros")),
           outcome(lambda: MyConv(2, 4, (3,), (1,), (0,), (1,), False, (0,), 1, True, "bad")),
           repr(MyPool(2)), MyPool(2)(lib.arange(6.0).reshape(1, 1, 6)).tolist(), repr(MyAvg()),
           repr(MyDrop(0.3)), outcome(lambda: MyDrop(1.5)),
           isinstance(lib.nn.AvgPool3d(2), lib.nn.AvgPool2d),
           isinstance(lib.nn.AvgPool3d(2), pooling._AvgPoolNd),
           isinstance(lib.nn.Dropout(), dropout._DropoutNd),
           isinstance(lib.nn.AdaptiveMaxPool2d(2), pooling._AdaptiveAvgPoolNd),
           isinstance(lib.nn.ConvTranspose2d(1, 1, 2), conv._ConvNd),
           (utils._single(3), utils._pair(3), utils._triple([1, 2, 3]), utils._quadruple(0),
            utils._pair("ab"), utils._ntuple(2, "x").__name__, utils._pair.__name__,
            utils._reverse_repeat_tuple((1, 2), 2), utils._list_with_default(5, [1, 2]),
            utils._list_with_default([None, 3], [1, 2, 7])),
           outcome(lambda: utils._list_with_default([None, 3], [1, 2]))]
    sd = OrderedDict([("module.a", 1), ("module.b.c", 2), ("x", 3)])
    sd._metadata = OrderedDict([("", {"v": 1}), ("module", {"v": 2}), ("module.b", {"v": 3})])
    utils.consume_prefix_in_state_dict_if_present(sd, "module.")
    out.append((list(sd.items()), list(sd._metadata.items())))
    return out


def test_user_layer_subclasses_and_utils():
    assert _user_layers(torch) == _user_layers(tk)


# -- nn.utils: fusion, skip_init, weight memory formats ----------------------------------------
def _copy_into(dst, src):
    """Our module ``dst`` given ``src``'s (torch) parameters and buffers."""
    with tk.no_grad():
        for (n, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
            b.copy_(tk.tensor(a.detach().numpy()))


def _trained_bn(lib, cls, n):
    bn = cls(n)
    lib.manual_seed(0)
    with lib.no_grad():
        bn.running_mean.copy_(lib.linspace(-1, 1, n))
        bn.running_var.copy_(lib.linspace(0.5, 2, n))
        bn.weight.copy_(lib.linspace(0.2, 1.5, n))
        bn.bias.copy_(lib.linspace(-0.3, 0.3, n))
    return bn.eval()


@pytest.mark.parametrize("make,bn_cls,transpose,shape", [
    (lambda L: L.nn.Conv2d(2, 3, 3, bias=True), "BatchNorm2d", False, (2, 2, 5, 5)),
    (lambda L: L.nn.Conv2d(2, 3, 3, bias=False), "BatchNorm2d", False, (2, 2, 5, 5)),
    (lambda L: L.nn.Conv1d(3, 4, 2), "BatchNorm1d", False, (2, 3, 6)),
    (lambda L: L.nn.ConvTranspose2d(2, 3, 2), "BatchNorm2d", True, (1, 2, 3, 3)),
    (lambda L: L.nn.Conv3d(1, 2, 2).double(), "BatchNorm3d", False, (1, 1, 3, 3, 3)),
])
def test_fuse_conv_bn_eval(make, bn_cls, transpose, shape):
    results = {}
    for lib in (torch, tk):
        lib.manual_seed(0)
        conv = make(lib).eval()
        n = conv.out_channels
        bn = _trained_bn(lib, getattr(lib.nn, bn_cls), n).to(conv.weight.dtype)
        if lib is tk:
            _copy_into(conv, results[torch][0])
        x = lib.tensor(np.linspace(-2, 2, int(np.prod(shape))).reshape(shape),
                       dtype=conv.weight.dtype)
        fused = lib.nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        results[lib] = (conv, fused, fused(x).detach().numpy(), bn(conv(x)).detach().numpy(),
                        type(fused.weight).__name__, fused.weight.requires_grad,
                        fused.bias.requires_grad, fused.bias.dtype, fused is conv)
    t, k = results[torch], results[tk]
    np.testing.assert_allclose(k[2], t[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(k[2], k[3], rtol=1e-5, atol=1e-5)
    assert k[4:7] == t[4:7] and str(k[7]).split(".")[-1] == str(t[7]).split(".")[-1]
    assert k[8] is t[8] is False
    np.testing.assert_allclose(k[1].weight.detach().numpy(), t[1].weight.detach().numpy(),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("n_bn", [4, 1])
def test_fuse_linear_bn_eval(n_bn):
    results = {}
    for lib in (torch, tk):
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 4).eval()
        if lib is tk:
            _copy_into(lin, results[torch][0])
        bn = _trained_bn(lib, lib.nn.BatchNorm1d, n_bn)
        x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=lib.float32)
        fused = lib.nn.utils.fuse_linear_bn_eval(lin, bn)
        results[lib] = (lin, fused(x).detach().numpy(), fused.weight.detach().numpy(),
                        fused.bias.detach().numpy())
    for a, b in zip(results[torch][1:], results[tk][1:]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("what", [
    lambda L: L.nn.utils.fuse_conv_bn_eval(L.nn.Conv2d(1, 2, 1), L.nn.BatchNorm2d(2)),
    lambda L: L.nn.utils.fuse_conv_bn_eval(
        L.nn.Conv2d(1, 2, 1).eval(), L.nn.BatchNorm2d(2, track_running_stats=False).eval()),
    lambda L: L.nn.utils.fuse_linear_bn_eval(L.nn.Linear(2, 3).eval(),
                                             L.nn.BatchNorm1d(2).eval()),
    lambda L: L.nn.utils.fuse_linear_bn_eval(L.nn.Linear(2, 3), L.nn.BatchNorm1d(3).eval()),
    lambda L: [tuple(p.shape) for p in L.nn.utils.fuse_conv_bn_weights(
        L.ones(2, 1, 3), None, L.zeros(2), L.ones(2), 1e-5, None, None)],
    lambda L: [p.requires_grad for p in L.nn.utils.fuse_linear_bn_weights(
        L.ones(2, 3), None, L.zeros(2), L.ones(2), 1e-5, L.ones(2), L.zeros(2))],
    lambda L: [np.round(p.detach().numpy(), 5).tolist() for p in
               L.nn.utils.fuse_conv_bn_weights(L.ones(2, 1, 3), L.tensor([1.0, 2.0]),
                                               L.tensor([0.5, 1.0]), L.tensor([4.0, 1.0]),
                                               0.0, L.tensor([2.0, 3.0]), None,
                                               transpose=False)],
])
def test_fusion_edges(what):
    same(what)


def test_skip_init_and_memory_formats():
    def program(lib):
        lib.manual_seed(3)
        m = lib.nn.utils.skip_init(lib.nn.Linear, 3, 2, bias=False)
        after = lib.rand(2).tolist()            # no random number was drawn by skip_init
        out = [type(m).__name__, tuple(m.weight.shape), m.bias, after,
               outcome(lambda: lib.nn.utils.skip_init(int)),
               outcome(lambda: lib.nn.utils.skip_init(lib.nn.Identity))]
        net = lib.nn.Sequential(lib.nn.Conv2d(2, 4, 3), lib.nn.Sequential(
            lib.nn.ConvTranspose2d(4, 2, 2)), lib.nn.Conv3d(1, 2, 2))
        before = [p.detach().numpy().copy() for p in net.parameters()]
        r = lib.nn.utils.convert_conv2d_weight_memory_format(net, lib.channels_last)
        out += [r is net, [p.stride() for p in net.parameters()],
                all(np.array_equal(a, p.detach().numpy())
                    for a, p in zip(before, net.parameters()))]
        lib.nn.utils.convert_conv3d_weight_memory_format(net, lib.channels_last_3d)
        out.append([p.stride() for p in net.parameters()])
        out.append(all(type(p).__name__ == "Parameter" for p in net.parameters()))
        return out
    assert program(torch) == program(tk)


# -- types, multiprocessing, cuda ---------------------------------------------------------------
def test_types_aliases():
    import tensor.types as kt
    import torch.types as tt
    assert set(tt.__all__) == set(kt.__all__)
    for name in ["Number", "_Number", "_int", "_float", "_bool", "_complex", "_str", "_bytes",
                 "FileLike"]:
        assert repr(getattr(tt, name)) == repr(getattr(kt, name)), name
    assert kt._dtype is tk.dtype and kt._device is tk.device and kt.Size is tk.Size
    assert repr(kt.Device) == repr(tt.Device).replace("torch.", "tensor._tensor.")
    assert [n for n in dir(tt.Storage) if not n.startswith("__")] == \
        [n for n in dir(kt.Storage) if not n.startswith("__")]
    assert isinstance(1.5, kt._Number) and not isinstance("1", kt._Number)


def test_multiprocessing_surface():
    import multiprocessing

    import tensor.multiprocessing as kmp
    import torch.multiprocessing as tmp
    assert kmp.__all__ == tmp.__all__
    for name in tmp.__all__:
        assert hasattr(kmp, name), name
    for name in ["spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
                 "ProcessExitedException", "SpawnContext", "ENV_VAR_PARALLEL_START",
                 "init_reductions"]:
        assert hasattr(kmp, name)
    assert kmp.Queue is multiprocessing.Queue
    assert kmp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    assert kmp.get_sharing_strategy() == tmp.get_sharing_strategy()
    t = outcome(lambda: tmp.set_sharing_strategy("bogus"))
    k = outcome(lambda: kmp.set_sharing_strategy("bogus"))
    assert t == k
    import inspect
    for name in ["spawn", "start_processes", "set_sharing_strategy"]:
        assert inspect.signature(getattr(kmp, name)) == inspect.signature(getattr(tmp, name))


CUDA_CASES = {
    "is_available": lambda c: c.is_available(), "device_count": lambda c: c.device_count(),
    "is_initialized": lambda c: c.is_initialized(), "current_device": lambda c: c.current_device(),
    "get_device_name": lambda c: c.get_device_name(), "name0": lambda c: c.get_device_name(0),
    "props": lambda c: c.get_device_properties(0), "cap": lambda c: c.get_device_capability(),
    "manual_seed": lambda c: c.manual_seed(1), "manual_seed_all": lambda c: c.manual_seed_all(1),
    "bad_seed": lambda c: c.manual_seed("a"), "seed": lambda c: c.seed(),
    "seed_all": lambda c: c.seed_all(), "initial_seed": lambda c: c.initial_seed(),
    "synchronize": lambda c: c.synchronize(), "empty_cache": lambda c: c.empty_cache(),
    "Event": lambda c: c.Event(), "Event_timing": lambda c: c.Event(enable_timing=True),
    "Stream": lambda c: c.Stream(), "current_stream": lambda c: c.current_stream(),
    "default_stream": lambda c: c.default_stream(), "set_device": lambda c: c.set_device(0),
    "set_device_neg": lambda c: c.set_device(-1), "device_enter": lambda c: c.device(0).__enter__(),
    "device_neg": lambda c: c.device(-1).__enter__(), "device_cpu": lambda c: c.device("cpu"),
    "memory_allocated": lambda c: c.memory_allocated(), "max_alloc": lambda c: c.max_memory_allocated(),
    "memory_reserved": lambda c: c.memory_reserved(), "max_res": lambda c: c.max_memory_reserved(),
    "mem_get_info": lambda c: c.mem_get_info(), "get_rng_state": lambda c: c.get_rng_state(),
    "get_rng_state_all": lambda c: c.get_rng_state_all(), "bf16": lambda c: c.is_bf16_supported(),
    "tf32": lambda c: c.is_tf32_supported(), "init": lambda c: c.init(),
    "arch": lambda c: c.get_arch_list(), "gencode": lambda c: c.get_gencode_flags(),
    "ipc_collect": lambda c: c.ipc_collect(), "stream_none": lambda c: c.stream(None).__enter__(),
    "set_stream": lambda c: c.set_stream(None), "memory_stats": lambda c: c.memory_stats(),
    "FloatTensor": lambda c: c.FloatTensor([1.0]), "LongTensor": lambda c: c.LongTensor(),
    "not_instance": lambda c: isinstance(c.FloatTensor, type),
    "oom": lambda c: issubclass(c.OutOfMemoryError, RuntimeError),
    "has_half": lambda c: (c.has_half, c.has_magma, c.default_generators),
    "caching": lambda c: c.caching_allocator_alloc(10),
}


@pytest.mark.parametrize("case", sorted(CUDA_CASES))
def test_cuda_module_on_a_cpu_build(case):
    t, k = outcome(lambda: CUDA_CASES[case](torch.cuda)), outcome(lambda: CUDA_CASES[case](tk.cuda))
    if t[0] == "ok":
        t, k = (t[0], t[1].replace("torch.", "")), (k[0], k[1].replace("tensor.", ""))
    assert t == k


def test_cuda_is_a_module():
    import sys
    import types

    import tensor.cuda
    assert isinstance(tk.cuda, types.ModuleType) and sys.modules["tensor.cuda"] is tk.cuda
    assert tensor.cuda is tk.cuda
    assert tk.cuda.amp.autocast is not None and tk.cuda.amp.GradScaler is not None
    assert isinstance(tk.ones(1), tk.cuda.FloatTensor) is isinstance(torch.ones(1),
                                                                     torch.cuda.FloatTensor)
