"""Smaller modules PyTorch users import: ``tensor.utils._pytree`` (flatten / unflatten /
map over nested containers), the ``tensor.nn.modules`` package with its private base
classes, ``tensor.nn.utils``'s conv/linear + batch-norm fusion, ``tensor.types``,
``tensor.multiprocessing`` and ``tensor.cuda`` of a CPU-only build. Expected texts and values
are PyTorch 2.13's (written out by hand here; the differential file runs both)."""

from __future__ import annotations

import warnings
from collections import OrderedDict, defaultdict, deque, namedtuple

import pytest
from hypothesis import given, settings, strategies as st

import tensor as tk
from tensor.utils import _pytree as pytree

P = namedtuple("P", "x y")


def raises_exact(exc, text, fn):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == text


# -- pytree: examples -------------------------------------------------------------------------
def test_flatten_order_and_spec_repr():
    tree = (1, [2, {"b": 3, "a": 4}], None, P(5, 6))
    leaves, spec = pytree.tree_flatten(tree)
    assert leaves == [1, 2, 3, 4, None, 5, 6]          # dicts in insertion order, None a leaf
    assert repr(spec) == (
        "TreeSpec(tuple, None, [*,\n"
        "  TreeSpec(list, None, [*,\n"
        "    TreeSpec(dict, ['b', 'a'], [*,\n"
        "      *])]),\n"
        "  *,\n"
        "  TreeSpec(namedtuple, <class 'tests.tensor.test_misc_modules.P'>, [*,\n"
        "    *])])".replace("tests.tensor.test_misc_modules", __name__))
    assert (spec.num_leaves, spec.num_nodes, spec.num_children) == (7, 11, 4)
    assert spec.type is tuple and spec.context is None
    assert pytree.tree_unflatten(leaves, spec) == tree


def test_collections_nodes_keep_their_type_and_context():
    dd = defaultdict(int, {"k": 1})
    tree = [OrderedDict(z=1, y=2), dd, deque([3, 4], maxlen=3)]
    leaves, spec = pytree.tree_flatten(tree)
    assert leaves == [1, 2, 1, 3, 4]
    kids = spec.children()
    assert (kids[0].type, kids[0].context) == (OrderedDict, ["z", "y"])
    assert (kids[1].type, kids[1].context) == (defaultdict, [int, ["k"]])
    assert (kids[2].type, kids[2].context) == (deque, 3)
    back = pytree.tree_unflatten([10, 20, 30, 40, 50], spec)
    assert type(back[0]) is OrderedDict and list(back[0].items()) == [("z", 10), ("y", 20)]
    assert type(back[1]) is defaultdict and back[1].default_factory is int
    assert back[2].maxlen == 3 and list(back[2]) == [40, 50]


def test_return_types_and_size_are_nodes():
    r = tk.max(tk.tensor([[1.0, 2.0]]), 1)
    spec = pytree.tree_structure(r)
    assert repr(spec) == "TreeSpec(max, None, [*,\n  *])"
    doubled = pytree.tree_map(lambda t: t * 2, r)
    assert type(doubled) is type(r) and doubled.values.tolist() == [4.0]
    s = pytree.tree_structure(tk.Size([3, 4]))
    assert repr(s) == "TreeSpec(Size, None, [*,\n  *])"
    assert pytree.tree_unflatten([5, 6], s) == (5, 6)      # a Size comes back as a tuple


def test_leaf_spec():
    with pytest.warns(FutureWarning, match=r"`isinstance\(treespec, LeafSpec\)` is deprecated"):
        leaf = pytree.LeafSpec()
    assert repr(leaf) == "*" and leaf.is_leaf()
    assert leaf == pytree.tree_structure(3)
    assert pytree.TreeSpec(None, None, []) != leaf       # different classes never compare equal
    assert type(pytree.tree_structure(None)) is pytree.LeafSpec
    assert repr(pytree.tree_structure([])) == "TreeSpec(list, None, [])"


def test_spec_equality_and_hash():
    a = pytree.tree_structure({"a": [1, 2], "b": (3,)})
    b = pytree.tree_structure({"a": [7, 8], "b": (9,)})
    assert a == b and hash(a) == hash(b)
    assert a != pytree.tree_structure({"b": (3,), "a": [1, 2]})     # key order counts
    assert a != pytree.tree_structure({"a": (1, 2), "b": (3,)})


def test_errors():
    spec = pytree.tree_structure([1, 2])
    raises_exact(ValueError, "treespec.unflatten(leaves): `leaves` has length 1 but the spec "
                 "refers to a pytree that holds 2 items (TreeSpec(list, None, [*,\n  *])).",
                 lambda: pytree.tree_unflatten([1], spec))
    raises_exact(TypeError, "Expected `treespec` to be an instance of PyTreeSpec but got item "
                 "of type <class 'list'>.", lambda: pytree.tree_unflatten([1], [2]))
    assert pytree.tree_unflatten(spec, [7, 8]) == [7, 8]     # swapped arguments are accepted
    raises_exact(ValueError, "<class 'list'> is already registered as pytree node.",
                 lambda: pytree.register_pytree_node(list, None, None))
    add = lambda a, b: a + b  # noqa: E731
    raises_exact(ValueError, "Node arity mismatch; expected 2, but got 1.",
                 lambda: pytree.tree_map(add, [1, 2], [1]))
    raises_exact(ValueError, "Node type mismatch; expected <class 'list'>, but got "
                 "<class 'tuple'>.", lambda: pytree.tree_map(add, [1, 2], (1, 2)))
    raises_exact(ValueError, "Node keys mismatch; missing key(s): {'a'}; extra key(s): {'b'}.",
                 lambda: pytree.tree_map(add, {"a": 1}, {"b": 1}))
    raises_exact(TypeError, "Argument must be a type, a tuple of types, or a callable.",
                 lambda: pytree.tree_map_only(3, lambda x: x, [1]))


def test_map_variants():
    assert pytree.tree_map(lambda a, b: (a, b), [1, 2], [[3], {"x": 4}]) == \
        [(1, [3]), (2, {"x": 4})]                                 # rests may go deeper
    assert pytree.tree_map(lambda a, b: a + b, OrderedDict(a=1), {"a": 2}) == {"a": 3}
    assert pytree.tree_map_only(int, lambda x: x * 10, [1, "a", (2.5, 3)]) == \
        [10, "a", (2.5, 30)]
    assert pytree.tree_map_only((int, str), lambda x: x * 2, [1, "a"]) == [2, "aa"]
    assert pytree.tree_flatten([1, (2, 3)], is_leaf=lambda x: isinstance(x, tuple))[0] == \
        [1, (2, 3)]
    assert pytree.tree_all(lambda x: x > 0, [1, (2,)])
    assert not pytree.tree_any(lambda x: x > 5, [1, (2,)])
    it = pytree.tree_iter([1, [2]])
    assert type(it).__name__ == "generator" and list(it) == [1, 2]
    seen = []
    tree = [1, (2,)]
    assert pytree.tree_map_(seen.append, tree) is tree and seen == [1, 2]


def test_register_custom_node_and_key_paths():
    class Pt:
        def __init__(self, a, b):
            self.a, self.b = a, b

    pytree.register_pytree_node(Pt, lambda o: ([o.a, o.b], "ctx"), lambda v, c: Pt(*v),
                                serialized_type_name="m.Pt")
    try:
        leaves, spec = pytree.tree_flatten([Pt(1, [2, 3])])
        assert leaves == [1, 2, 3]
        assert spec.child(0).type is Pt and spec.child(0).context == "ctx"
        out = pytree.tree_map(lambda x: x * 2, Pt(1, [2, 3]))
        assert isinstance(out, Pt) and (out.a, out.b) == (2, [4, 6])
        with pytest.raises(ValueError, match="Did not find a flatten_with_keys_fn for type"):
            pytree.tree_leaves_with_path(Pt(1, 2))
    finally:
        pytree._deregister_pytree_node(Pt)
    assert pytree.tree_leaves(Pt(1, 2))[0].a == 1            # a leaf again
    paths = pytree.tree_leaves_with_path({"a": [1, P(2, 3)], "b": (4,)})
    assert [(pytree.keystr(k), v) for k, v in paths] == \
        [("['a'][0]", 1), ("['a'][1].x", 2), ("['a'][1].y", 3), ("['b'][0]", 4)]


# -- pytree: properties -----------------------------------------------------------------------
_leaf = st.one_of(st.integers(-5, 5), st.none(), st.text(max_size=2), st.floats(allow_nan=False))
_keys = st.text(min_size=1, max_size=3)


def _extend(children):
    return st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(_keys, children, max_size=3),
        st.tuples(children, children).map(lambda t: P(*t)),
        st.dictionaries(_keys, children, max_size=3).map(OrderedDict),
        st.dictionaries(_keys, children, max_size=3).map(lambda d: defaultdict(list, d)),
        st.lists(children, max_size=3).map(lambda v: deque(v, maxlen=5)),
    )


trees = st.recursive(_leaf, _extend, max_leaves=12)


def _same(a, b):
    """Equal and built of the same container types throughout."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a) and \
            getattr(a, "default_factory", None) is getattr(b, "default_factory", None)
    if isinstance(a, (list, tuple, deque)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b)) and \
            getattr(a, "maxlen", None) == getattr(b, "maxlen", None)
    return a == b


@settings(max_examples=150, deadline=None)
@given(trees)
def test_flatten_unflatten_is_identity(tree):
    leaves, spec = pytree.tree_flatten(tree)
    assert spec.num_leaves == len(leaves)
    assert _same(pytree.tree_unflatten(leaves, spec), tree)
    assert pytree.tree_structure(pytree.tree_unflatten(leaves, spec)) == spec


class Box:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return isinstance(other, Box) and other.v == self.v


@settings(max_examples=150, deadline=None)
@given(trees)
def test_tree_map_maps_the_leaves(tree):
    f = lambda x: Box(x)  # noqa: E731  (no container: the result stays one leaf)
    leaves, spec = pytree.tree_flatten(tree)
    mapped = pytree.tree_map(f, tree)
    assert pytree.tree_leaves(mapped) == [f(x) for x in leaves]
    assert pytree.tree_structure(mapped) == spec
    assert pytree.tree_leaves(tree) == list(pytree.tree_iter(tree)) == leaves


# -- the nn.modules package -------------------------------------------------------------------
def test_nn_modules_imports_and_bases():
    import tensor.nn.modules.lazy as lazy
    import tensor.nn.modules.module as module
    from tensor.nn.modules.batchnorm import _BatchNorm, _NormBase
    from tensor.nn.modules.conv import _ConvNd, _ConvTransposeNd
    from tensor.nn.modules.dropout import _DropoutNd
    from tensor.nn.modules.instancenorm import _InstanceNorm
    from tensor.nn.modules.loss import _Loss, _WeightedLoss
    from tensor.nn.modules.pooling import _AvgPoolNd, _MaxPoolNd
    from tensor.nn.modules.utils import _ntuple, _pair, _quadruple, _single, _triple

    assert module is tk.nn.module and lazy.LazyModuleMixin is tk.nn.lazy.LazyModuleMixin
    nn = tk.nn
    assert isinstance(nn.BatchNorm1d(3), _BatchNorm) and isinstance(nn.BatchNorm2d(3), _NormBase)
    assert isinstance(nn.InstanceNorm2d(3), _InstanceNorm)
    assert not isinstance(nn.InstanceNorm2d(3), _BatchNorm)
    assert isinstance(nn.ConvTranspose1d(1, 1, 1), _ConvTransposeNd)
    assert isinstance(nn.Conv1d(1, 1, 1), _ConvNd)
    assert isinstance(nn.Dropout(), _DropoutNd) and isinstance(nn.Dropout2d(), _DropoutNd)
    assert isinstance(nn.MaxPool2d(2), _MaxPoolNd)
    assert isinstance(nn.AvgPool3d(2), _AvgPoolNd) and not isinstance(nn.AvgPool3d(2),
                                                                      nn.AvgPool2d)
    assert isinstance(nn.CrossEntropyLoss(), _WeightedLoss) and isinstance(nn.MSELoss(), _Loss)
    assert (_single(2), _pair(2), _triple((1, 2, 3)), _quadruple(0)) == \
        ((2,), (2, 2), (1, 2, 3), (0, 0, 0, 0))
    assert _ntuple(3)("ab") == ("a", "b")          # an iterable is kept as it is
    assert tk.nn.modules.Conv2d is nn.Conv2d and tk.nn.modules.loss.MSELoss is nn.MSELoss


def test_user_loss_subclass_works():
    from tensor.nn.modules.loss import _Loss

    class MAE(_Loss):
        def forward(self, a, b):
            d = (a - b).abs()
            return d.sum() if self.reduction == "sum" else d.mean()

    a, b = tk.tensor([1.0, -2.0, 3.0]), tk.tensor([0.5, 0.5, 0.5])
    assert MAE()(a, b).item() == pytest.approx(5.5 / 3)
    assert MAE(reduction="sum")(a, b).item() == pytest.approx(5.5)
    with pytest.warns(UserWarning, match=r"size_average and reduce args will be deprecated, "
                                         r"please use reduction='sum' instead\."):
        legacy = MAE(size_average=False)
    assert legacy.reduction == "sum" and repr(MAE()) == "MAE()"


def test_batchnorm_subclass_without_check_raises_not_implemented():
    from tensor.nn.modules.batchnorm import _BatchNorm

    class NoCheck(_BatchNorm):
        pass

    with pytest.raises(NotImplementedError):
        NoCheck(2)(tk.ones(3, 2))


# -- nn.utils ---------------------------------------------------------------------------------
def test_fuse_linear_bn_by_hand():
    lin = tk.nn.Linear(1, 2).eval()
    with tk.no_grad():
        lin.weight.copy_(tk.tensor([[2.0], [3.0]]))
        lin.bias.copy_(tk.tensor([1.0, -1.0]))
    bn = tk.nn.BatchNorm1d(2).eval()
    with tk.no_grad():
        bn.running_mean.copy_(tk.tensor([1.0, 0.0]))
        bn.running_var.copy_(tk.tensor([4.0, 1.0]))
        bn.weight.copy_(tk.tensor([2.0, 1.0]))
        bn.bias.copy_(tk.tensor([0.5, 0.0]))
        bn.eps = 0.0
    fused = tk.nn.utils.fuse_linear_bn_eval(lin, bn)
    # scale = w / sqrt(var) = [1, 1]; W' = W * scale; b' = (b - mean) * scale + beta
    assert fused.weight.tolist() == [[2.0], [3.0]]
    assert fused.bias.tolist() == [0.5, -1.0]
    assert fused is not lin and lin.bias.tolist() == [1.0, -1.0]
    raises_exact(AssertionError, "Fusion only for eval!",
                 lambda: tk.nn.utils.fuse_linear_bn_eval(lin.train(), bn))


def test_skip_init_draws_no_random_numbers():
    tk.manual_seed(5)
    expected = tk.rand(3).tolist()
    tk.manual_seed(5)
    m = tk.nn.utils.skip_init(tk.nn.Linear, 4, 2)
    assert tuple(m.weight.shape) == (2, 4) and tk.rand(3).tolist() == expected
    raises_exact(RuntimeError, "Module must support a 'device' arg to skip initialization",
                 lambda: tk.nn.utils.skip_init(tk.nn.ReLU))


# -- types, multiprocessing, cuda -------------------------------------------------------------
def test_types():
    import tensor.types as types
    assert types.__all__ == ["Number", "Device", "FileLike", "Storage"]
    assert types._Number == (int, float, bool) and types._dtype is tk.dtype
    with pytest.raises(NotImplementedError):
        types.Storage().element_size()


def _fails_on_odd(i):
    if i % 2:
        raise ValueError(f"odd {i}")


def test_multiprocessing_start_processes():
    import tensor.multiprocessing as mp
    assert mp.start_processes(_fails_on_odd, nprocs=1, start_method="fork") is None
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.start_processes(_fails_on_odd, nprocs=2, start_method="fork")
    assert info.value.error_index == 1
    assert str(info.value).startswith("\n\n-- Process 1 terminated with the following error:\n")
    assert "ValueError: odd 1" in str(info.value)
    ctx = mp.start_processes(_fails_on_odd, nprocs=1, join=False, start_method="fork")
    assert isinstance(ctx, mp.ProcessContext) and len(ctx.pids()) == 1
    while not ctx.join():
        pass
    with pytest.warns(FutureWarning, match="This method only supports start_method=spawn"):
        with pytest.raises(mp.ProcessRaisedException):   # runs as spawn: the child fails
            mp.spawn(int, args=("x",), start_method="fork")
    raises_exact(AssertionError, "invalid sharing strategy 'x', expected one of "
                 f"{mp.get_all_sharing_strategies()}", lambda: mp.set_sharing_strategy("x"))


def test_cuda_module():
    import tensor.cuda as cuda
    assert cuda is tk.cuda and not cuda.is_available() and cuda.device_count() == 0
    assert cuda.manual_seed(3) is None and cuda.manual_seed_all(3) is None
    for fn in (cuda.current_device, cuda.get_device_name, cuda.synchronize):
        raises_exact(AssertionError, "Torch not compiled with CUDA enabled", fn)
    raises_exact(RuntimeError, "Tried to instantiate dummy base class Event", cuda.Event)
    raises_exact(RuntimeError, "torch.cuda.Stream requires CUDA support", cuda.Stream)
    raises_exact(TypeError, "type torch.cuda.FloatTensor not available. Torch not compiled "
                 "with CUDA enabled.", cuda.FloatTensor)
