"""Custom ops: the Library API per key, the custom_op decorator, and the RoIAlign example.

A custom op must behave like a built-in in every mode: recorded in grad mode, passing the
Autograd kernel without recording under no_grad, skipping the autograd layers in inference
mode, traced by dispatch_trace, version-bumped once when it writes, and refused on inference
tensors outside inference mode (before writing).
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import pytest

import tensor as torch
from tensor import Tensor
from tensor.autograd import Function
from tensor.library import (Library, custom_op, fallthrough_kernel, infer_schema,
                            register_autograd, register_inplace_layers)

F64 = torch.float64
E2 = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
      "clone to get a normal tensor before doing inplace update.See "
      "https://github.com/pytorch/rfcs/pull/17 for more details.")
E10 = "a leaf Variable that requires grad is being used in an in-place operation."
E11 = "a view of a leaf Variable that requires grad is being used in an in-place operation."
E18 = "trying to differentiate twice a function that was marked with @once_differentiable"


def raises(exc, leading):
    return pytest.raises(exc, match="^" + re.escape(leading))


def rg(*values):
    return torch.tensor(list(values), dtype=F64, requires_grad=True)


def trace_keys(fn, op_name):
    with torch.dispatch_trace(echo=False) as tr:
        out = fn()
    return [e.key for e in tr.events if e.op == op_name], out


# -- the Library API, per key -------------------------------------------------------------------
@pytest.fixture
def scale_lib():
    """tkops::scale with a numpy CPU kernel and an Autograd kernel that applies a Function and
    calls the op again under AutoDispatchBelowADInplaceOrView (the C++ example's pattern)."""
    lib = Library("tkops", "DEF")
    lib.define("tkops::scale(Tensor x, float k) -> Tensor")
    op = torch.ops.tkops.scale.default
    seen = []

    def scale_cpu(x, k):
        seen.append(("cpu", torch.is_grad_enabled(), torch.is_inference_mode_enabled()))
        return torch.from_numpy(np.asarray(x) * k)

    class ScaleFn(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            with torch.AutoDispatchBelowADInplaceOrView():
                return op(x, k)

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    def scale_autograd(x, k):
        seen.append(("autograd", torch.is_grad_enabled()))
        return ScaleFn.apply(x, k)

    lib.impl("scale", scale_cpu, "CPU")
    lib.impl("scale", scale_autograd, "Autograd")
    yield op, seen
    lib.remove()


class TestLibraryOp:
    def test_grad_mode_records_one_node(self, scale_lib):
        op, seen = scale_lib
        x = rg(1.0, 2.0)
        keys, y = trace_keys(lambda: op(x, 3.0), "tkops::scale")
        assert keys == ["Autograd", "CPU"]
        assert type(y.grad_fn).__name__ == "ScaleFnBackward"
        y.sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
        assert seen == [("autograd", True), ("cpu", False, False)]

    def test_no_grad_still_runs_the_autograd_kernel(self, scale_lib):
        op, seen = scale_lib
        x = rg(1.0, 2.0)
        with torch.no_grad():
            keys, y = trace_keys(lambda: op(x, 3.0), "tkops::scale")
        assert keys == ["Autograd", "CPU"] and y.grad_fn is None and not y.requires_grad

    def test_inference_mode_goes_straight_to_the_backend(self, scale_lib):
        op, seen = scale_lib
        x = rg(1.0, 2.0)
        with torch.inference_mode():
            keys, y = trace_keys(lambda: op(x, 3.0), "tkops::scale")
        assert keys == ["CPU"] and y.is_inference() and not y.requires_grad
        assert seen == [("cpu", False, True)]

    def test_nested_modes(self, scale_lib):
        op, _ = scale_lib
        x = rg(1.0)
        with torch.inference_mode():
            with torch.inference_mode(False):
                y = op(x, 2.0)
            with torch.no_grad():
                z = op(x, 2.0)
        assert y.grad_fn is not None and not y.is_inference()
        assert z.grad_fn is None and z.is_inference()
        with torch.no_grad():
            with torch.enable_grad():
                w = op(x, 2.0)
        assert w.grad_fn is not None

    def test_inference_tensor_outside_the_mode(self, scale_lib):
        op, _ = scale_lib
        with torch.inference_mode():
            t = torch.ones(2, dtype=F64)
        keys, y = trace_keys(lambda: op(t, 2.0), "tkops::scale")
        assert keys == ["CPU"] and not y.is_inference()     # only the backend key (I-16)
        w = rg(1.0, 1.0)
        keys, z = trace_keys(lambda: op(t, 2.0) * w, "tkops::scale")
        assert z.requires_grad

    def test_trace_prints_the_nested_call(self, scale_lib, capsys):
        op, _ = scale_lib
        x = rg(1.0)
        with torch.dispatch_trace():
            op(x, 2.0)
        out = capsys.readouterr().out
        assert "tkops::scale" in out and "-> Autograd" in out and "-> CPU" in out

    def test_register_autograd_on_a_library_op(self):
        with Library("tkops2", "DEF") as lib:
            lib.define("tkops2::cube(Tensor x) -> Tensor")
            lib.impl("cube", lambda x: torch.from_numpy(np.asarray(x) ** 3), "CPU")
            op = torch.ops.tkops2.cube.default
            x = rg(1.0, 2.0)
            assert not op(x).requires_grad          # numpy kernel: nothing recorded yet

            def setup(ctx, inputs, output):
                ctx.save_for_backward(inputs[0])

            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * 3 * x ** 2

            register_autograd("tkops2::cube", backward, setup_context=setup)
            y = op(x)
            assert type(y.grad_fn).__name__ == "GeneratedBackwardFor_tkops2_cube_defaultBackward"
            y.sum().backward()
            assert x.grad.tolist() == [3.0, 12.0]
            assert torch.autograd.gradcheck(op, (rg(0.5, -1.5),))


@pytest.fixture
def fill_lib():
    """tkfill::add_one_ writing through numpy, with the in-place layers registered."""
    lib = Library("tkfill", "DEF")
    lib.define("tkfill::add_one_(Tensor(a!) x) -> ()")

    def add_one_cpu(x):
        np.asarray(x)[...] += 1

    lib.impl("add_one_", add_one_cpu, "CPU")
    register_inplace_layers(lib, "add_one_")
    yield torch.ops.tkfill.add_one_.default
    lib.remove()


class TestLibraryMutatingOp:
    def test_bumps_once_and_is_traced(self, fill_lib):
        a = torch.ones(2)
        keys, _ = trace_keys(lambda: fill_lib(a), "tkfill::add_one_")
        assert keys == ["Autograd", "ADInplaceOrView", "CPU"]
        assert a.tolist() == [2.0, 2.0] and a._version == 1
        with torch.no_grad():
            fill_lib(a[:1])
        assert a.tolist() == [3.0, 2.0] and a._version == 2

    def test_inference_tensors(self, fill_lib):
        with torch.inference_mode():
            t = torch.ones(2)
            keys, _ = trace_keys(lambda: fill_lib(t), "tkfill::add_one_")
            assert keys == ["CPU"] and t.tolist() == [2.0, 2.0]
            n = torch.ones(2)
        with raises(RuntimeError, E2):
            fill_lib(t)
        with torch.no_grad(), raises(RuntimeError, E2):
            fill_lib(t)
        assert t.tolist() == [2.0, 2.0]          # refused before writing
        a = torch.ones(2)
        with torch.inference_mode():
            fill_lib(a)                          # a normal tensor still bumps
        assert a._version == 1 and n.is_inference()

    def test_autograd_rules(self, fill_lib):
        x = rg(1.0, 1.0)
        with raises(RuntimeError, E10):
            fill_lib(x)
        with raises(RuntimeError, E11):
            fill_lib(x[:1])
        assert x.tolist() == [1.0, 1.0] and x._version == 0
        with torch.no_grad():
            fill_lib(x)                          # the optimizer-step idiom
        assert x.is_leaf and x._version == 1
        y = x * 1
        fill_lib(y)
        assert y.requires_grad and y.grad_fn.name() == "NoFormulaFor_tkfill.add_one_.default"
        with raises(RuntimeError, "Trying to backward through tkfill.add_one_.default but no "
                                  "autograd formula was registered."):
            y.sum().backward()

    def test_kernel_written_with_our_ops_needs_no_layers(self):
        with Library("tkfill2", "DEF") as lib:
            lib.define("tkfill2::add_one_(Tensor(a!) x) -> ()")
            lib.impl("add_one_", lambda x: x.add_(1), "CPU")
            op = torch.ops.tkfill2.add_one_.default
            a = torch.ones(2)
            op(a)
            assert a._version == 1               # bumped by add_ inside
            with torch.inference_mode():
                t = torch.ones(2)
            with raises(RuntimeError, E2):
                op(t)

    def test_register_inplace_layers_needs_a_mutating_op(self, scale_lib):
        with Library("tkops3", "DEF") as lib:
            lib.define("tkops3::f(Tensor x) -> Tensor")
            with pytest.raises(ValueError, match="writes none of its arguments"):
                register_inplace_layers(lib, "f")


# -- custom_op ----------------------------------------------------------------------------------
class TestInferSchema:
    def test_types(self):
        def f(x: Tensor, y: Optional[Tensor], n: int, f: float, b: bool, l: list[int],
              s: str, ts: list[Tensor], on: Optional[int] = None, d: float = 1.5,
              *, flag: bool = False) -> tuple[Tensor, Tensor]:
            ...
        assert infer_schema(f, mutates_args=()) == (
            "(Tensor x, Tensor? y, SymInt n, float f, bool b, SymInt[] l, str s, Tensor[] ts, "
            "SymInt? on=None, float d=1.5, *, bool flag=False) -> (Tensor, Tensor)")

    def test_mutated_and_returns(self):
        def g(x: Tensor, ys: list[Tensor], k: int) -> None:
            ...
        assert infer_schema(g, mutates_args=("x", "ys")) == \
            "(Tensor(a0!) x, Tensor(a1!)[] ys, SymInt k) -> ()"
        assert infer_schema(g, mutates_args="unknown", op_name="g") == \
            "g(Tensor(a0!) x, Tensor(a1!)[] ys, SymInt k) -> ()"

        def h(x: Tensor) -> list[Tensor]:
            ...
        assert infer_schema(h, mutates_args=()) == "(Tensor x) -> Tensor[]"

    def test_errors(self):
        def nohint(x, y: int) -> Tensor:
            ...

        def bad(x: Tensor, y: dict) -> Tensor:
            ...

        def noret(x: Tensor):
            ...

        def intmut(x: Tensor, n: int) -> None:
            ...

        with raises(ValueError, "infer_schema(func): Parameter x must have a type annotation."):
            infer_schema(nohint, mutates_args=())
        with raises(ValueError, "infer_schema(func): Parameter y has unsupported type"):
            infer_schema(bad, mutates_args=())
        with raises(ValueError, "infer_schema(func): No return type annotation was provided."):
            infer_schema(noret, mutates_args=())
        with raises(ValueError, "infer_schema(func): {'z'} in mutates_args were not found"):
            infer_schema(bad, mutates_args=("z",))
        with raises(ValueError, "infer_schema(func): Parameter n is in mutable_args but only "
                                "Tensors"):
            infer_schema(intmut, mutates_args=("n",))


class TestCustomOp:
    def test_functional_op_in_every_mode(self):
        @custom_op("tkc::scale", mutates_args=())
        def scale(x: Tensor, k: float) -> Tensor:
            return x * k

        assert str(scale.schema) == "tkc::scale(Tensor x, float k) -> Tensor"
        assert torch.ops.tkc.scale.default is scale._opoverload
        x = rg(1.0, 2.0)
        keys, y = trace_keys(lambda: scale(x, 2.0), "tkc::scale")
        assert keys == ["Autograd", "CPU"]
        assert type(y.grad_fn).__name__ == "GeneratedBackwardFor_tkc_scale_defaultBackward"
        with raises(RuntimeError, "Trying to backward through tkc.scale.default but no autograd "
                                  "formula was registered. Please use register_autograd to add "
                                  "one."):
            y.sum().backward()
        with torch.no_grad():
            assert scale(x, 2.0).grad_fn is None
        with torch.inference_mode():
            keys, y = trace_keys(lambda: scale(x, 2.0), "tkc::scale")
        assert keys == ["CPU"] and y.is_inference()
        # the kernel's own ops ran below autograd: nothing recorded inside, no version bumps
        assert x._version == 0

    def test_register_autograd(self):
        @custom_op("tkc::mul", mutates_args=())
        def mul(x: Tensor, y: Tensor, k: float = 1.0) -> Tensor:
            return x * y * k

        seen = []

        def setup(ctx, inputs, output):
            x, y, k = inputs
            ctx.k = k
            ctx.save_for_backward(x, y)

        def backward(ctx, g):
            x, y = ctx.saved_tensors
            seen.append(ctx.needs_input_grad)
            return g * y * ctx.k, g * x * ctx.k, None

        mul.register_autograd(backward, setup_context=setup)
        x, y = rg(1.0, 2.0), torch.tensor([3.0, 4.0], dtype=F64)
        out = mul(x, y, 2.0)
        out.sum().backward()
        assert x.grad.tolist() == [6.0, 8.0] and seen == [(True, False, False)]
        yy = rg(3.0, 4.0)
        assert torch.autograd.gradcheck(lambda a, b: mul(a, b, 0.5), (rg(1.0, -2.0), yy))
        assert torch.autograd.gradgradcheck(lambda a, b: mul(a, b, 0.5), (rg(1.0, -2.0), yy))

    def test_tensor_list_arguments_and_results(self):
        @custom_op("tkc::weighted", mutates_args=())
        def weighted(xs: list[Tensor], w: Tensor) -> list[Tensor]:
            return [x * w for x in xs]

        def setup(ctx, inputs, output):
            xs, w = inputs
            ctx.save_for_backward(w, *xs)

        def backward(ctx, grads):
            w, *xs = ctx.saved_tensors
            assert ctx.needs_input_grad == ((True, False), True)
            return [g * w for g in grads], sum(g * x for g, x in zip(grads, xs))

        weighted.register_autograd(backward, setup_context=setup)
        a, b, w = rg(1.0, 2.0), torch.ones(2, dtype=F64), rg(3.0, 5.0)
        outs = weighted([a, b], w)
        assert isinstance(outs, list) and len(outs) == 2
        (outs[0].sum() + 2 * outs[1].sum()).backward()
        assert a.grad.tolist() == [3.0, 5.0] and w.grad.tolist() == [3.0, 4.0]

    def test_keyword_only_and_defaults(self):
        @custom_op("tkc::kw", mutates_args=())
        def kw(x: Tensor, *, k: int = 2, flip: bool = False) -> Tensor:
            return -x * k if flip else x * k

        assert str(kw.schema) == "tkc::kw(Tensor x, *, SymInt k=2, bool flip=False) -> Tensor"
        assert kw(torch.ones(1)).tolist() == [2.0]
        assert kw(torch.ones(1), k=3, flip=True).tolist() == [-3.0]

    def test_outputs_may_not_alias_inputs(self):
        @custom_op("tkc::ident", mutates_args=())
        def ident(x: Tensor) -> Tensor:
            return x

        @custom_op("tkc::view", mutates_args=())
        def view(x: Tensor) -> Tensor:
            return x.view(-1)

        for f in (ident, view):
            with pytest.raises(RuntimeError, match="must not also be an input to this custom "
                                                   "operator and \\(2\\) may not alias any "
                                                   "inputs"):
                f(torch.ones(2))

    def test_mutating_op(self):
        @custom_op("tkc::add_one_", mutates_args=("x",))
        def add_one_(x: Tensor) -> None:
            x.add_(1)

        assert str(add_one_.schema) == "tkc::add_one_(Tensor(a0!) x) -> ()"
        a = torch.ones(2)
        keys, r = trace_keys(lambda: add_one_(a), "tkc::add_one_")
        assert r is None and keys == ["Autograd", "ADInplaceOrView", "CPU"]
        # PyTorch's count: the op's own bump, plus the add_ inside (the function runs below
        # Autograd only, so its in-place ops pass ADInplaceOrView)
        assert a.tolist() == [2.0, 2.0] and a._version == 2
        with torch.inference_mode():
            t = torch.ones(2)
            add_one_(t)
        with raises(RuntimeError, E2):
            add_one_(t)
        assert t.tolist() == [2.0, 2.0]
        # as in PyTorch, a mutating custom op makes no in-place checks and records nothing:
        # a leaf that requires grad may be written, and a non-leaf keeps its history
        x = rg(1.0)
        add_one_(x)
        assert x.tolist() == [2.0] and x.is_leaf and x.requires_grad and x._version == 2
        w = rg(1.0, 1.0)
        y = w * 3
        add_one_(y)
        assert y.grad_fn.name() == "MulBackward0" and y._version == 2
        y.sum().backward()
        assert w.grad.tolist() == [3.0, 3.0]
        with raises(RuntimeError, "Cannot register autograd formula for non-functional operator"):
            add_one_.register_autograd(lambda ctx, g: g)

    def test_redefinition_replaces(self):
        @custom_op("tkc::twice", mutates_args=())
        def twice(x: Tensor) -> Tensor:
            return x * 2

        @custom_op("tkc::twice", mutates_args=())
        def twice2(x: Tensor) -> Tensor:
            return x * 3

        assert torch.ops.tkc.twice.default(torch.ones(1)).tolist() == [3.0]

    def test_register_kernel_and_dispatch_table(self):
        @custom_op("tkc::neg", mutates_args=())
        def neg(x: Tensor) -> Tensor:
            return -x

        @neg.register_kernel("cpu")
        def neg_np(x):
            return torch.from_numpy(-np.asarray(x) * 10)

        assert neg(torch.ones(1)).tolist() == [-10.0]
        table = torch.dispatch_table(neg).as_dict()
        assert table["Autograd"].startswith("kernel") and table["CPU"].startswith("kernel")
        neg.register_kernel("cuda")(lambda x: x * 0)     # accepted, never runs (no such device)
        assert neg(torch.ones(1)).tolist() == [-10.0]
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, .* device type at "
                                               "start of device string: tpu"):
            neg.register_kernel("tpu")

    def test_bad_names(self):
        with pytest.raises(ValueError, match="namespace::name"):
            custom_op("noname", mutates_args=())(lambda x: x)

    def test_reexports(self):
        import dispatch
        assert Library is dispatch.Library and fallthrough_kernel is dispatch.fallthrough_kernel


# -- the RoIAlign example -----------------------------------------------------------------------
def _roi_module():
    name = "custom_op_roi_align"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[2] / "examples" / "custom_op_roi_align.py"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def naive_roi_align(x, rois, spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned):
    """RoIAlign from the paper's definition, one output element at a time: split the RoI into
    bins, sample each bin at a regular grid of points, read each point by bilinear
    interpolation of the four nearest pixels, average. (Border conventions: torchvision's.)"""
    x = np.asarray(x, dtype=np.float64)
    _, channels, height, width = x.shape

    def bilinear(img, y, xx):
        if y < -1.0 or y > height or xx < -1.0 or xx > width:
            return 0.0
        y = min(max(y, 0.0), height - 1.0)
        xx = min(max(xx, 0.0), width - 1.0)
        y0, x0 = math.floor(y), math.floor(xx)
        y1, x1 = min(y0 + 1, height - 1), min(x0 + 1, width - 1)
        ly, lx = y - y0, xx - x0
        return ((1 - ly) * (1 - lx) * img[y0, x0] + (1 - ly) * lx * img[y0, x1]
                + ly * (1 - lx) * img[y1, x0] + ly * lx * img[y1, x1])

    out = np.zeros((len(rois), channels, pooled_h, pooled_w))
    off = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(np.asarray(rois, dtype=np.float64)):
        sx, sy = x1 * spatial_scale - off, y1 * spatial_scale - off
        rw, rh = x2 * spatial_scale - off - sx, y2 * spatial_scale - off - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / pooled_h)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / pooled_w)
        for c in range(channels):
            for i in range(pooled_h):
                for j in range(pooled_w):
                    acc = 0.0
                    for iy in range(gh):
                        for ix in range(gw):
                            yy = sy + i * rh / pooled_h + (iy + 0.5) * rh / pooled_h / gh
                            xx = sx + j * rw / pooled_w + (ix + 0.5) * rw / pooled_w / gw
                            acc += bilinear(x[int(b), c], yy, xx)
                    out[k, c, i, j] = acc / max(gh * gw, 1)
    return out


ROIS = [[0, 1.0, 1.0, 6.0, 5.0], [1, -2.0, 0.5, 3.0, 9.5], [0, 4.2, 3.3, 4.6, 3.9],
        [1, 5.0, 2.0, 12.0, 12.0], [0, 0.0, 0.0, 8.0, 6.0]]


class TestRoIAlignExample:
    @pytest.mark.parametrize("scale,ph,pw,ratio,aligned", [
        (1.0, 2, 2, 2, True), (1.0, 3, 2, -1, True), (0.5, 2, 3, 0, False),
        (1.0, 1, 1, 3, False), (0.75, 4, 3, -1, False)])
    def test_forward_matches_the_naive_paper_implementation(self, scale, ph, pw, ratio, aligned):
        m = _roi_module()
        rng = np.random.default_rng(1)
        x = torch.from_numpy(rng.standard_normal((2, 3, 7, 9)))
        rois = torch.tensor(ROIS, dtype=F64)
        got = m.roi_align(x, rois, scale, ph, pw, ratio, aligned)
        want = naive_roi_align(x, ROIS, scale, ph, pw, ratio, aligned)
        assert got.shape == (5, 3, ph, pw)
        assert np.allclose(np.asarray(got), want, atol=1e-12)

    def test_gradcheck_and_no_double_backward(self):
        m = _roi_module()
        rng = np.random.default_rng(2)
        x = torch.from_numpy(rng.standard_normal((2, 2, 5, 6))).requires_grad_()
        rois = torch.tensor([[0, 0.5, 1.0, 4.0, 3.5], [1, 1.0, 0.0, 5.5, 4.5]], dtype=F64)
        for ratio, aligned in ((2, True), (-1, False)):
            assert torch.autograd.gradcheck(
                lambda t: m.roi_align(t, rois, 1.0, 2, 2, ratio, aligned), (x,))
        y = m.roi_align(x, rois, 1.0, 2, 2, 2, True)
        g, = torch.autograd.grad((y * y).sum(), x, create_graph=True)
        with raises(RuntimeError, E18):
            g.sum().backward()

    def test_training_and_inference(self):
        m = _roi_module()
        feat, rois, losses = m.train(steps=12, verbose=False)
        assert losses[-1] < 0.5 * losses[0]
        assert feat.is_leaf and feat.requires_grad and feat._version == 12
        out = m.infer(feat, rois)
        assert out.is_inference() and feat._version == 12

    def test_modes_and_trace(self):
        m = _roi_module()
        x = torch.ones(1, 1, 4, 4, dtype=F64, requires_grad=True)
        rois = torch.tensor([[0, 0.0, 0.0, 3.0, 3.0]], dtype=F64)
        keys, y = trace_keys(lambda: m.roi_align(x, rois, 1.0, 2, 2, 2, True),
                             "tkvision::roi_align")
        assert keys == ["Autograd", "CPU"] and y.grad_fn.name() == "ROIAlignFunctionBackward"
        with torch.no_grad():
            keys, y = trace_keys(lambda: m.roi_align(x, rois, 1.0, 2, 2, 2, True),
                                 "tkvision::roi_align")
        assert keys == ["Autograd", "CPU"] and y.grad_fn is None
        with torch.inference_mode():
            keys, y = trace_keys(lambda: m.roi_align(x, rois, 1.0, 2, 2, 2, True),
                                 "tkvision::roi_align")
        assert keys == ["CPU"] and y.is_inference()


# -- builtin ops with a user's kernel (Note [Fused kernels], _defop.py) -------------------------
class TestOverridingBuiltinKernels:
    """A functional op's Autograd and CPU kernels run fused on the default path; a kernel a
    user registers below Autograd must still run, with Autograd still recording above it."""

    def test_a_users_cpu_kernel_runs_and_autograd_still_records(self):
        a = torch.tensor([1., 2.], requires_grad=True)
        b = torch.tensor([3., 4.])
        calls = []

        def mul_cpu(x, y):
            calls.append("user")
            return torch.from_numpy(np.asarray(x.detach()).copy() * np.asarray(y) * 10)

        with Library("aten", "IMPL") as lib:
            lib.impl("mul.Tensor", mul_cpu, "CPU")
            out = a * b
            assert calls == ["user"] and out.tolist() == [30., 80.]
            assert type(out.grad_fn).__name__ == "MulBackward0"
            out.sum().backward()
            # the formula (grad * other) runs through the user's kernel too
            assert a.grad.tolist() == [30., 40.]
            assert calls == ["user", "user"]       # forward, and the backward's grad * other
            with torch.no_grad():
                assert (a * b).tolist() == [30., 80.] and len(calls) == 3
        assert (a * b).tolist() == [3., 8.] and len(calls) == 3

    def test_fused_and_layered_paths_agree(self):
        """The same ops under a dispatch trace (every layer separate) and without."""
        from tensor import dispatch_trace
        x = torch.tensor([[1., -2.], [3., 4.]])
        y = torch.tensor([[0.5, 1.], [2., -1.]])
        progs = [lambda: x + y, lambda: (x * 2).relu(), lambda: x @ y, lambda: x.sum(),
                 lambda: torch.dot(x[0], y[1]), lambda: x.exp().mean(0)]
        fused = [p() for p in progs]
        with dispatch_trace() as tr:
            layered = [p() for p in progs]
        assert {e.key for e in tr.events} >= {"Autograd", "CPU"}
        for f, l in zip(fused, layered):
            assert f.tolist() == l.tolist() and f._version == l._version == 0
            assert f.dtype == l.dtype and not f.requires_grad and not l.requires_grad

    def test_vector_matmul_runs_dot_inlined_and_agrees_with_dot(self):
        """Note [Inlined kernels]: ``a @ b`` on vectors pastes dot's kernel for the key set into
        matmul's; it must be dot in every respect: value, history, modes, errors."""
        from tensor.opdefs import linalg as L
        a = torch.tensor([1., 2., 3.], requires_grad=True)
        b = torch.tensor([4., -5., 6.])
        out = a @ b
        assert out.item() == 12.0 and type(out.grad_fn).__name__ == "DotBackward0"
        out.backward()
        assert a.grad.tolist() == [4., -5., 6.]
        from dispatch.record import current_record
        rec = current_record()
        ks = (a._dispatch_keys | b._dispatch_keys | rec[0]) & ~rec[1]
        kernel = L.matmul._op._cache[ks]
        assert kernel.__code__.co_filename.startswith("<matmul+dot")
        with torch.no_grad():
            assert (a @ b).item() == 12.0 and (a @ b).grad_fn is None
        with torch.inference_mode():
            r = a.detach() @ b
            assert r.is_inference() and r.item() == 12.0
        x = torch.tensor([[1., 2.], [3., 4.]])
        assert (x @ x).tolist() == [[7., 10.], [15., 22.]]           # 2-D still goes to mm
        assert (x @ torch.tensor([1., 1.])).tolist() == [3., 7.]    # and the rest to matmul
        with pytest.raises(RuntimeError, match=r"^inconsistent tensor size, expected tensor "
                                               r"\[3\] and src \[2\]"):
            b @ torch.tensor([1., 2.])
        i = torch.tensor([1, 2, 3])
        assert (i @ i).item() == 14 and (i @ i).dtype == torch.int64   # full kernel, not BLAS

    def test_a_users_dot_kernel_turns_inlining_off(self):
        a = torch.tensor([1., 2.])
        calls = []

        def dot_cpu(x, y):
            calls.append("user")
            return torch.tensor(99.)

        with Library("aten", "IMPL") as lib:
            lib.impl("dot", dot_cpu, "CPU")
            assert (a @ a).item() == 99.0 and calls == ["user"]
        assert (a @ a).item() == 5.0 and calls == ["user"]
