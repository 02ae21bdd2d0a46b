"""Lazy modules and uninitialized parameters (``tensor.nn.lazy``): what an uninitialized
tensor refuses and allows, how the first call infers sizes and turns a lazy module into its
plain class, state dicts, optimizers, copies, and that a materialized module computes what
the plain module built with the same seed computes. Expected texts are PyTorch 2.13's."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor as tk
from tensor import nn
from tensor.nn.modules.lazy import LazyModuleMixin
from tensor.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

USE_ERR = ("Attempted to use an uninitialized parameter in {}. This error happens when you "
           "are using a `LazyModule` or explicitly manipulating "
           "`torch.nn.parameter.{}` objects. When using LazyModules Call `forward` with a "
           "dummy batch to initialize the parameters before calling torch functions")
SHAPE_ERR = ("Can't access the shape of an uninitialized parameter or buffer. This error "
             "usually happens in `load_state_dict` when trying to load an uninitialized "
             "parameter into an initialized one. Call `forward` to initialize the parameters "
             "before accessing their attributes.")


def method_err(name, cls="UninitializedParameter"):
    return USE_ERR.format(f"<method '{name}' of 'torch._C.TensorBase' objects>", cls)


def raises_exact(exc, text, fn):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == text


# -- the uninitialized tensors -----------------------------------------------------------
def test_uninitialized_parameter_is_a_parameter_with_its_own_repr():
    """It is a Parameter, prints as ``<UninitializedParameter>`` and keeps dtype/grad flag."""
    p = UninitializedParameter(requires_grad=False, dtype=tk.float64)
    assert isinstance(p, nn.Parameter) and is_lazy(p)
    assert repr(p) == str(p) == "<UninitializedParameter>"
    assert p.dtype == tk.float64 and p.requires_grad is False and p.is_leaf
    assert nn.UninitializedParameter is UninitializedParameter


@pytest.mark.parametrize("name,call", [
    ("sum", lambda p: p.sum()), ("numel", lambda p: p.numel()), ("dim", lambda p: p.dim()),
    ("add", lambda p: p + 1), ("add", lambda p: tk.add(p, 1)),
    ("detach", lambda p: p.detach()), ("clone", lambda p: p.clone()),
    ("view", lambda p: p.view(-1)), ("zero_", lambda p: p.zero_()),
    ("requires_grad_", lambda p: p.requires_grad_(False)), ("tolist", lambda p: p.tolist()),
    ("stride", lambda p: p.stride()), ("item", lambda p: p.item()),
    ("__bool__", lambda p: bool(p)), ("dim", lambda p: iter(p)),
])
def test_using_an_uninitialized_parameter_raises_value_error(name, call):
    """Ops and methods other than the casts refuse, naming the method as PyTorch does."""
    raises_exact(ValueError, method_err(name), lambda: call(UninitializedParameter()))


def test_uninitialized_buffer_error_names_its_class():
    """The message names ``UninitializedBuffer`` for a buffer."""
    raises_exact(ValueError, method_err("sum", "UninitializedBuffer"),
                 lambda: UninitializedBuffer().sum())


def test_index_and_len_are_refused():
    """Indexing and ``len`` refuse with PyTorch's slot / function wording."""
    p = UninitializedParameter()
    raises_exact(ValueError, USE_ERR.format(
        "<slot wrapper '__getitem__' of 'torch._C.TensorBase' objects>",
        "UninitializedParameter"), lambda: p[0])
    with pytest.raises(ValueError, match=r"in <function Tensor.__len__ at 0x"):
        len(p)


def test_shape_and_share_memory_raise_runtime_error():
    """``shape`` and ``share_memory_`` raise RuntimeError with PyTorch's texts."""
    p = UninitializedParameter()
    raises_exact(RuntimeError, SHAPE_ERR, lambda: p.shape)
    raises_exact(RuntimeError, "Can't share memory on an uninitialized parameter or buffer. "
                 "Call `forward` to initialize the parameters before calling "
                 "`module.share_memory()`.", p.share_memory_)


def test_allowed_uses():
    """``size``, dtype queries, ``cpu``, ``data`` and casts work; a cast gives a plain
    tensor with a ToCopyBackward0 node."""
    p = UninitializedParameter()
    assert tuple(p.size()) == (0,) and p.ndim == 1
    assert p.is_floating_point() and not p.is_complex()
    assert p.cpu() is p
    d = p.data
    assert type(d) is tk.Tensor and tuple(d.shape) == (0,)
    h = p.double()
    assert type(h) is tk.Tensor and h.dtype == tk.float64
    assert h.grad_fn.name() == "ToCopyBackward0"


def test_casting_a_buffer_keeps_it_uninitialized():
    """A cast of an uninitialized buffer is an uninitialized buffer (as PyTorch's)."""
    b = UninitializedBuffer(persistent=False)
    out = b.to(tk.float64)
    assert type(out) is UninitializedBuffer and out.dtype == tk.float64
    assert b.persistent is False and isinstance(b, nn.Buffer)


def test_materialize_turns_into_parameter_in_place():
    """``materialize`` keeps identity and requires_grad, gives the shape, and the result
    works as an ordinary parameter."""
    p = UninitializedParameter(requires_grad=False, dtype=tk.float64)
    pid = id(p)
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and id(p) == pid
    assert tuple(p.shape) == (2, 3) and p.dtype == tk.float64 and p.requires_grad is False
    with tk.no_grad():
        p.fill_(1.0)
    assert float(p.sum()) == 6.0


def test_materialized_buffer_is_a_plain_tensor():
    """A buffer becomes a Tensor."""
    b = UninitializedBuffer()
    b.materialize((4,))
    assert type(b) is tk.Tensor and tuple(b.shape) == (4,)


def test_pickle_and_deepcopy_of_parameter():
    """Both give a new uninitialized parameter with the same requires_grad (and dtype)."""
    p = UninitializedParameter(requires_grad=False, dtype=tk.float64)
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is UninitializedParameter and q.requires_grad is False
    c = copy.deepcopy(p)
    assert type(c) is UninitializedParameter and c is not p and c.dtype == tk.float64


def test_ordinary_tensors_do_not_carry_the_key():
    """Only uninitialized tensors carry the refusing dispatch key."""
    p = UninitializedParameter()
    bit = p._dispatch_keys & ~tk.ones(1)._dispatch_keys
    assert bit
    p.materialize((2,))
    assert not p._dispatch_keys & bit
    assert not (tk.ones(2) + 1)._dispatch_keys & bit


# -- lazy modules ------------------------------------------------------------------------
def test_construction_emits_no_warning():
    """PyTorch 2.13 constructs lazy modules silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LazyLinear(3)
        nn.LazyConv2d(4, 3)
        nn.LazyBatchNorm1d()


def test_lazy_linear_repr_type_and_first_call():
    """Before the first call: LazyLinear with in_features=0; after: a Linear."""
    m = nn.LazyLinear(3)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert type(m.weight) is UninitializedParameter and m.has_uninitialized_params()
    y = m(tk.ones(2, 5))
    assert type(m) is nn.Linear and not isinstance(m, LazyModuleMixin)
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    assert tuple(m.weight.shape) == (3, 5) and tuple(m.bias.shape) == (3,)
    assert type(m.weight) is nn.Parameter and tuple(y.shape) == (2, 3)
    assert not hasattr(m, "_initialize_hook") and not m._forward_pre_hooks


def test_lazy_linear_without_bias():
    m = nn.LazyLinear(3, bias=False)
    assert m.bias is None and list(m.state_dict()) == ["weight"]
    m(tk.ones(1, 2))
    assert repr(m) == "Linear(in_features=2, out_features=3, bias=False)"


def test_dtype_and_requires_grad_are_kept():
    """The module's dtype and a requires_grad set before the first call survive it."""
    m = nn.LazyLinear(3, dtype=tk.float64)
    m.weight.requires_grad = False
    m(tk.ones(2, 4, dtype=tk.float64))
    assert m.weight.dtype == tk.float64 and m.weight.requires_grad is False
    assert m.bias.requires_grad is True


def test_module_double_before_first_call():
    """Casting a lazy module keeps its tensors uninitialized, with the new dtype."""
    m = nn.LazyBatchNorm1d()
    m.double()
    assert type(m.weight) is UninitializedParameter and m.weight.dtype == tk.float64
    assert type(m.running_mean) is UninitializedBuffer and m.running_mean.dtype == tk.float64
    m(tk.ones(4, 3, dtype=tk.float64))
    assert m.running_mean.dtype == tk.float64 and tuple(m.running_var.shape) == (3,)


@pytest.mark.parametrize("ctor,x_shape,cls,wshape,text", [
    (lambda: nn.LazyConv1d(4, 2), (2, 3, 5), nn.Conv1d, (4, 3, 2),
     "Conv1d(3, 4, kernel_size=(2,), stride=(1,))"),
    (lambda: nn.LazyConv2d(4, 3), (1, 2, 5, 5), nn.Conv2d, (4, 2, 3, 3),
     "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda: nn.LazyConv3d(2, 1, groups=2), (1, 4, 2, 2, 2), nn.Conv3d, (2, 2, 1, 1, 1),
     "Conv3d(4, 2, kernel_size=(1, 1, 1), stride=(1, 1, 1), groups=2)"),
    (lambda: nn.LazyConvTranspose1d(2, 3), (5, 8), nn.ConvTranspose1d, (5, 2, 3),
     "ConvTranspose1d(5, 2, kernel_size=(3,), stride=(1,))"),
    (lambda: nn.LazyConvTranspose2d(2, 3, bias=False), (1, 3, 4, 4), nn.ConvTranspose2d,
     (3, 2, 3, 3), "ConvTranspose2d(3, 2, kernel_size=(3, 3), stride=(1, 1), bias=False)"),
    (lambda: nn.LazyConvTranspose3d(2, 1), (1, 3, 2, 2, 2), nn.ConvTranspose3d,
     (3, 2, 1, 1, 1), "ConvTranspose3d(3, 2, kernel_size=(1, 1, 1), stride=(1, 1, 1))"),
])
def test_lazy_convolutions_infer_in_channels(ctor, x_shape, cls, wshape, text):
    m = ctor()
    assert m.in_channels == 0 and m.has_uninitialized_params()
    m(tk.ones(*x_shape))
    assert type(m) is cls and tuple(m.weight.shape) == wshape and repr(m) == text


def test_lazy_conv_reprs_before_call():
    assert repr(nn.LazyConv2d(4, 3)) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.LazyConvTranspose3d(4, 3, bias=False)) == (
        "LazyConvTranspose3d(0, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), bias=False)")


def test_lazy_conv_errors():
    raises_exact(RuntimeError, "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, "
                 "but got input of size: torch.Size([3, 5])",
                 lambda: nn.LazyConv2d(4, 3)(tk.ones(3, 5)))
    raises_exact(ValueError, "in_channels must be divisible by groups",
                 lambda: nn.LazyConv2d(4, 3, groups=2)(tk.ones(1, 3, 5, 5)))
    raises_exact(ValueError, 'Only "zeros" padding mode is supported for LazyConvTranspose2d',
                 lambda: nn.LazyConvTranspose2d(2, 3, padding_mode="reflect"))


@pytest.mark.parametrize("ctor,x_shape,cls", [
    (nn.LazyBatchNorm1d, (4, 3), nn.BatchNorm1d),
    (nn.LazyBatchNorm2d, (2, 3, 2, 2), nn.BatchNorm2d),
    (nn.LazyBatchNorm3d, (2, 3, 2, 2, 2), nn.BatchNorm3d),
    (nn.LazyInstanceNorm1d, (2, 3, 5), nn.InstanceNorm1d),
    (nn.LazyInstanceNorm2d, (2, 3, 4, 4), nn.InstanceNorm2d),
    (nn.LazyInstanceNorm3d, (2, 3, 2, 2, 2), nn.InstanceNorm3d),
])
def test_lazy_norms_infer_num_features(ctor, x_shape, cls):
    m = ctor()
    assert repr(m) == (f"{ctor.__name__}(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                       "track_running_stats=True)")
    assert [type(b) for b in m.buffers()] == [UninitializedBuffer, UninitializedBuffer,
                                              tk.Tensor]
    m(tk.ones(*x_shape))
    assert type(m) is cls and m.num_features == 3
    assert [tuple(t.shape) for t in m.state_dict().values()] == [(3,)] * 4 + [()]


def test_lazy_norm_without_affine_or_stats_has_nothing_to_infer():
    """With nothing uninitialized the first call only swaps the class (num_features 0)."""
    m = nn.LazyBatchNorm2d(affine=False, track_running_stats=False)
    assert not m.has_uninitialized_params() and not list(m.parameters())
    m(tk.ones(2, 3, 4, 4))
    assert repr(m) == ("BatchNorm2d(0, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                       "track_running_stats=False)")


def test_lazy_instance_norm_with_nothing_to_infer_warns_on_first_call():
    """num_features stays 0, so the plain forward warns that it does not match."""
    m = nn.LazyInstanceNorm2d(affine=False, track_running_stats=False)
    with pytest.warns(UserWarning, match=r"^input's size at dim=1 does not match num_features"):
        m(tk.ones(2, 3, 4, 4))


def test_lazy_instance_norm_reads_dim_1_even_unbatched():
    """As PyTorch: an unbatched input's dim 1 is taken as num_features, then refused."""
    m = nn.LazyInstanceNorm1d()
    raises_exact(ValueError, "expected input's size at dim=0 to match num_features (7), but "
                 "got: 3.", lambda: m(tk.ones(3, 7)))
    assert type(m) is nn.InstanceNorm1d


def test_mixin_errors():
    """initialize_parameters must be written, and must initialize everything."""
    class NoInit(LazyModuleMixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.w = UninitializedParameter()

        def forward(self, x):
            return x

    class Partial(NoInit):
        def initialize_parameters(self, x):
            pass

    raises_exact(NotImplementedError, "initialize_parameters is not implemented for NoInit",
                 lambda: NoInit()(tk.ones(1)))
    raises_exact(RuntimeError, "module Partial has not been fully initialized",
                 lambda: Partial()(tk.ones(1)))


def test_using_module_parameters_before_call():
    """requires_grad_ on the module and parameters_to_vector refuse; share_memory too."""
    raises_exact(ValueError, method_err("requires_grad_"),
                 lambda: nn.LazyLinear(3).requires_grad_(False))
    raises_exact(ValueError, method_err("view"),
                 lambda: nn.utils.parameters_to_vector(nn.LazyLinear(3).parameters()))
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized"):
        nn.LazyLinear(3).share_memory()
    with pytest.raises(ValueError, match=r"^Attempted to use an uninitialized parameter in "
                                         r"<built-in method empty_like "):
        nn.LazyConv2d(2, 3).to_empty(device="cpu")


# -- state dicts, optimizers, copies -------------------------------------------------------
def test_state_dict_holds_uninitialized_parameters():
    sd = nn.LazyLinear(3).state_dict()
    assert list(sd) == ["weight", "bias"]
    assert all(type(v) is UninitializedParameter for v in sd.values())


def test_loading_full_state_dict_materializes():
    """Loading real tensors materializes, copies the values; the class changes at the call."""
    src = nn.Linear(5, 3)
    m = nn.LazyLinear(3)
    w_id = id(m.weight)
    assert repr(m.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    assert type(m) is nn.LazyLinear and type(m.weight) is nn.Parameter and id(m.weight) == w_id
    np.testing.assert_array_equal(m.weight.detach().numpy(), src.weight.detach().numpy())
    assert not m.has_uninitialized_params()
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    x = tk.ones(2, 5)
    np.testing.assert_array_equal(m(x).detach().numpy(), src(x).detach().numpy())
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"


def test_loaded_lazy_linear_checks_input_size():
    m = nn.LazyLinear(3)
    m.load_state_dict(nn.Linear(5, 3).state_dict())
    raises_exact(AssertionError, "The in_features inferred from input: 4 is not equal to "
                 "in_features from self.weight: 5", lambda: m(tk.ones(2, 4)))


def test_loading_partial_state_dict():
    m = nn.LazyLinear(3)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict({"weight": tk.zeros(3, 4)})
    assert str(info.value) == ('Error(s) in loading state_dict for LazyLinear:\n\tMissing '
                               'key(s) in state_dict: "bias". ')
    assert type(m.weight) is nn.Parameter and type(m.bias) is UninitializedParameter


def test_loading_lazy_into_lazy_and_into_plain():
    """Uninitialized into uninitialized loads; into an initialized module it refuses."""
    m = nn.LazyLinear(3)
    assert repr(m.load_state_dict(nn.LazyLinear(3).state_dict())) == \
        "<All keys matched successfully>"
    assert m.has_uninitialized_params()
    raises_exact(RuntimeError, SHAPE_ERR,
                 lambda: nn.Linear(4, 3).load_state_dict(nn.LazyLinear(3).state_dict()))


def test_lazy_norm_loads_state_dict():
    src = nn.BatchNorm1d(4)
    src(tk.randn(8, 4))
    m = nn.LazyBatchNorm1d()
    m.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(m.running_mean.numpy(), src.running_mean.numpy())
    assert type(m.running_mean) is tk.Tensor and int(m.num_batches_tracked) == 1


def test_optimizer_built_before_first_call_trains_the_parameters():
    """The optimizer holds the same objects, which materialize in place."""
    m = nn.LazyLinear(2)
    opt = tk.optim.SGD(m.parameters(), lr=0.5)
    m(tk.ones(1, 3)).sum().backward()
    before = m.weight.detach().clone()
    opt.step()
    assert opt.param_groups[0]["params"][0] is m.weight
    np.testing.assert_allclose(m.weight.detach().numpy(), before.numpy() - 0.5)


def test_deepcopy_of_lazy_modules():
    """A copied LazyLinear is lazy on its own; a lazy norm refuses (its buffers do)."""
    m = nn.LazyLinear(3)
    c = copy.deepcopy(m)
    assert type(c.weight) is UninitializedParameter and c.weight is not m.weight
    c(tk.ones(2, 4))
    assert type(c) is nn.Linear and type(m) is nn.LazyLinear
    m(tk.ones(2, 6))
    assert m.in_features == 6 and c.in_features == 4
    with pytest.raises(ValueError, match=r"in <function Tensor.__deepcopy__ at 0x"):
        copy.deepcopy(nn.LazyBatchNorm1d())


# -- same values as the plain module -----------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 3), st.booleans(),
       st.integers(0, 2**31 - 1))
def test_lazy_linear_equals_linear_with_same_seed(in_f, out_f, batch, bias, seed):
    """Seeding before the first call gives the weights the plain module gets at init."""
    x = tk.tensor(np.random.default_rng(seed).standard_normal((batch, in_f)))
    lazy = nn.LazyLinear(out_f, bias=bias, dtype=tk.float64)
    tk.manual_seed(seed)
    y = lazy(x)
    tk.manual_seed(seed)
    plain = nn.Linear(in_f, out_f, bias=bias, dtype=tk.float64)
    np.testing.assert_array_equal(y.detach().numpy(), plain(x).detach().numpy())


@pytest.mark.parametrize("lazy_ctor,plain_ctor,x_shape", [
    (lambda: nn.LazyConv1d(3, 2, stride=2), lambda: nn.Conv1d(2, 3, 2, stride=2), (1, 2, 7)),
    (lambda: nn.LazyConv2d(4, 3, padding=1, groups=2),
     lambda: nn.Conv2d(2, 4, 3, padding=1, groups=2), (2, 2, 5, 5)),
    (lambda: nn.LazyConv3d(2, 2), lambda: nn.Conv3d(3, 2, 2), (1, 3, 3, 3, 3)),
    (lambda: nn.LazyConvTranspose1d(3, 2), lambda: nn.ConvTranspose1d(2, 3, 2), (1, 2, 4)),
    (lambda: nn.LazyConvTranspose2d(2, 3, stride=2),
     lambda: nn.ConvTranspose2d(3, 2, 3, stride=2), (1, 3, 3, 3)),
    (lambda: nn.LazyConvTranspose3d(2, 2), lambda: nn.ConvTranspose3d(1, 2, 2), (1, 1, 2, 2, 2)),
    (nn.LazyBatchNorm1d, lambda: nn.BatchNorm1d(3), (4, 3)),
    (nn.LazyBatchNorm2d, lambda: nn.BatchNorm2d(3), (2, 3, 2, 2)),
    (nn.LazyBatchNorm3d, lambda: nn.BatchNorm3d(3), (2, 3, 2, 2, 2)),
    (lambda: nn.LazyInstanceNorm1d(), lambda: nn.InstanceNorm1d(3, affine=True,
                                                                track_running_stats=True),
     (2, 3, 5)),
    (lambda: nn.LazyInstanceNorm2d(), lambda: nn.InstanceNorm2d(3, affine=True,
                                                                track_running_stats=True),
     (2, 3, 4, 4)),
    (nn.LazyInstanceNorm3d, lambda: nn.InstanceNorm3d(3, affine=True,
                                                      track_running_stats=True),
     (2, 3, 2, 2, 2)),
])
def test_lazy_module_equals_plain_module_with_same_seed(lazy_ctor, plain_ctor, x_shape):
    """Outputs, parameters and buffers after the first call match the plain module's."""
    x = tk.tensor(np.random.default_rng(3).standard_normal(x_shape).astype(np.float32))
    lazy = lazy_ctor()
    tk.manual_seed(11)
    y = lazy(x)
    tk.manual_seed(11)
    plain = plain_ctor()
    np.testing.assert_array_equal(y.detach().numpy(), plain(x).detach().numpy())
    assert type(lazy) is type(plain)
    assert list(lazy.state_dict()) == list(plain.state_dict())
    for a, b in zip(lazy.state_dict().values(), plain.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
