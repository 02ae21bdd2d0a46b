"""Tests for the operator schema parser (dispatch.schema).

Uses only the dispatch package: no tensors are involved.
"""

import math
import pickle

import pytest
from hypothesis import given, strategies as st

from dispatch.schema import (
    NO_DEFAULT,
    AliasInfo,
    Argument,
    BaseType,
    DefaultIdent,
    FunctionSchema,
    ListType,
    OptionalType,
    Return,
    SchemaParseError,
    parse_schema,
    parse_type,
)

# ---------------------------------------------------------------------------
# A corpus of real native operator schemas, written in canonical form.
# (A few are synthetic, marked below, to reach corners real ops rarely use.)
# ---------------------------------------------------------------------------

_FACTORY = ("ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
            "bool? pin_memory=None")

NATIVE_SCHEMAS = [
    "aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
    "aten::add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)",
    "aten::add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
    "aten::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
    "aten::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
    "aten::mul.Tensor(Tensor self, Tensor other) -> Tensor",
    "aten::mul_.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)",
    "aten::div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor",
    "aten::sum(Tensor self, *, ScalarType? dtype=None) -> Tensor",
    "aten::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, "
    "ScalarType? dtype=None) -> Tensor",
    "aten::sum.dim_DimnameList(Tensor self, Dimname[1] dim, bool keepdim=False, *, "
    "ScalarType? dtype=None) -> Tensor",
    "aten::mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, "
    "ScalarType? dtype=None) -> Tensor",
    "aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
    "aten::max.dim_max(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) max, "
    "Tensor(b!) max_values) -> (Tensor(a!) values, Tensor(b!) indices)",
    "aten::split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]",
    "aten::split_with_sizes(Tensor(a -> *) self, SymInt[] split_sizes, int dim=0) "
    "-> Tensor(a)[]",
    "aten::unbind.int(Tensor(a -> *) self, int dim=0) -> Tensor(a)[]",
    "aten::chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]",
    "aten::tensor_split.sections(Tensor(a -> *) self, SymInt sections, int dim=0) "
    "-> Tensor(a)[]",
    "aten::view(Tensor(a) self, SymInt[] size) -> Tensor(a)",
    "aten::transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)",
    "aten::as_strided(Tensor(a) self, SymInt[] size, SymInt[] stride, "
    "SymInt? storage_offset=None) -> Tensor(a)",
    "aten::squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)",
    "aten::unsqueeze(Tensor(a) self, int dim) -> Tensor(a)",
    "aten::permute(Tensor(a) self, int[] dims) -> Tensor(a)",
    "aten::expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)",
    "aten::select.int(Tensor(a) self, int dim, SymInt index) -> Tensor(a)",
    "aten::slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, "
    "SymInt step=1) -> Tensor(a)",
    "aten::flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> Tensor(a)",
    "aten::unflatten.int(Tensor(a) self, int dim, SymInt[] sizes) -> Tensor(a)",
    "aten::alias(Tensor(a) self) -> Tensor(a)",
    "aten::detach(Tensor(a) self) -> Tensor(a)",
    "aten::view_as_complex(Tensor(a) self) -> Tensor(a)",
    "aten::contiguous(Tensor(a) self, *, MemoryFormat memory_format=contiguous_format) "
    "-> Tensor(a)",
    "aten::to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False, "
    "MemoryFormat? memory_format=None) -> Tensor(a)",
    "aten::_unsafe_view(Tensor self, SymInt[] size) -> Tensor",
    "aten::index.Tensor(Tensor self, Tensor?[] indices) -> Tensor",
    "aten::index_put_(Tensor(a!) self, Tensor?[] indices, Tensor values, "
    "bool accumulate=False) -> Tensor(a!)",
    "aten::cat(Tensor[] tensors, int dim=0) -> Tensor",
    "aten::einsum(str equation, Tensor[] tensors, *, int[]? path=None) -> Tensor",
    "aten::empty.memory_format(SymInt[] size, *, " + _FACTORY
    + ", MemoryFormat? memory_format=None) -> Tensor",
    "aten::empty_strided(SymInt[] size, SymInt[] stride, *, " + _FACTORY + ") -> Tensor",
    "aten::zeros(SymInt[] size, *, " + _FACTORY + ") -> Tensor",
    "aten::full(SymInt[] size, Scalar fill_value, *, " + _FACTORY + ") -> Tensor",
    "aten::arange.start_step(Scalar start, Scalar end, Scalar step=1, *, " + _FACTORY
    + ") -> Tensor",
    "aten::scalar_tensor(Scalar s, *, " + _FACTORY + ") -> Tensor",
    "aten::ones_like(Tensor self, *, " + _FACTORY
    + ", MemoryFormat? memory_format=None) -> Tensor",
    "aten::new_empty_strided(Tensor self, SymInt[] size, SymInt[] stride, *, " + _FACTORY
    + ") -> Tensor",
    "aten::_to_copy(Tensor self, *, " + _FACTORY
    + ", bool non_blocking=False, MemoryFormat? memory_format=None) -> Tensor",
    "aten::randn.generator(SymInt[] size, *, Generator? generator, " + _FACTORY + ") -> Tensor",
    "aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=1, "
    "SymInt[2] padding=0, SymInt[2] dilation=1, SymInt groups=1) -> Tensor",
    "aten::convolution(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, "
    "SymInt[] padding, SymInt[] dilation, bool transposed, SymInt[] output_padding, "
    "SymInt groups) -> Tensor",
    "aten::convolution_backward(Tensor grad_output, Tensor input, Tensor weight, "
    "SymInt[]? bias_sizes, SymInt[] stride, SymInt[] padding, SymInt[] dilation, "
    "bool transposed, SymInt[] output_padding, SymInt groups, bool[3] output_mask) "
    "-> (Tensor, Tensor, Tensor)",
    "aten::max_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, "
    "int[2] dilation=1, bool ceil_mode=False) -> Tensor",
    "aten::gelu(Tensor self, *, str approximate=\"none\") -> Tensor",
    "aten::pad(Tensor self, SymInt[] pad, str mode=\"constant\", float? value=None) -> Tensor",
    "aten::native_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, "
    "Tensor? running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
    "aten::native_batch_norm.out(Tensor input, Tensor? weight, Tensor? bias, "
    "Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, *, "
    "Tensor(a!) out, Tensor(b!) save_mean, Tensor(c!) save_invstd) "
    "-> (Tensor(a!), Tensor(b!), Tensor(c!))",
    "aten::_native_batch_norm_legit(Tensor input, Tensor? weight, Tensor? bias, "
    "Tensor(a!) running_mean, Tensor(b!) running_var, bool training, float momentum, "
    "float eps) -> (Tensor, Tensor, Tensor)",
    "aten::batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, "
    "Tensor? running_var, bool training, float momentum, float eps, bool cudnn_enabled) "
    "-> Tensor",
    "aten::layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, "
    "Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor",
    "aten::native_layer_norm_backward(Tensor grad_out, Tensor input, SymInt[] normalized_shape, "
    "Tensor mean, Tensor rstd, Tensor? weight, Tensor? bias, bool[3] output_mask) "
    "-> (Tensor, Tensor, Tensor)",
    "aten::var.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, "
    "bool keepdim=False) -> Tensor",
    "aten::std.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, "
    "bool keepdim=False) -> Tensor",
    "aten::linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, "
    "*, ScalarType? dtype=None) -> Tensor",
    "aten::clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor",
    "aten::clamp_min(Tensor self, Scalar min) -> Tensor",
    "aten::hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor",
    "aten::nan_to_num(Tensor self, float? nan=None, float? posinf=None, float? neginf=None) "
    "-> Tensor",
    "aten::where.self(Tensor condition, Tensor self, Tensor other) -> Tensor",
    "aten::pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor",
    "aten::lerp.Scalar(Tensor self, Tensor end, Scalar weight) -> Tensor",
    "aten::masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor",
    "aten::scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
    "aten::scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, "
    "bool include_self=True) -> Tensor",
    "aten::softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
    "aten::_softmax(Tensor self, int dim, bool half_to_float) -> Tensor",
    "aten::cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor",
    "aten::matmul(Tensor self, Tensor other) -> Tensor",
    "aten::mm(Tensor self, Tensor mat2) -> Tensor",
    "aten::addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) "
    "-> Tensor",
    "aten::topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) "
    "-> (Tensor values, Tensor indices)",
    "aten::sort.values_stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False, "
    "Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)",
    "aten::dropout(Tensor input, float p, bool train) -> Tensor",
    "aten::dropout_(Tensor(a!) self, float p, bool train) -> Tensor(a!)",
    "aten::native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)",
    "aten::embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, "
    "bool scale_grad_by_freq=False, bool sparse=False) -> Tensor",
    "aten::nll_loss(Tensor self, Tensor target, Tensor? weight=None, int reduction=Mean, "
    "SymInt ignore_index=-100) -> Tensor",
    "aten::cross_entropy_loss(Tensor self, Tensor target, Tensor? weight=None, "
    "int reduction=Mean, SymInt ignore_index=-100, float label_smoothing=0.0) -> Tensor",
    "aten::quantile(Tensor self, Tensor q, int? dim=None, bool keepdim=False, *, "
    "str interpolation=\"linear\") -> Tensor",
    "aten::rot90(Tensor self, int k=1, int[] dims=[0, 1]) -> Tensor",
    "aten::amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor",
    "aten::bernoulli.p(Tensor self, float p=0.5, *, Generator? generator=None) -> Tensor",
    "aten::normal_(Tensor(a!) self, float mean=0, float std=1, *, "
    "Generator? generator=None) -> Tensor(a!)",
    "aten::uniform_(Tensor(a!) self, float from=0, float to=1, *, "
    "Generator? generator=None) -> Tensor(a!)",
    "aten::multinomial(Tensor self, int num_samples, bool replacement=False, *, "
    "Generator? generator=None) -> Tensor",
    "aten::fill_.Scalar(Tensor(a!) self, Scalar value) -> Tensor(a!)",
    "aten::zero_(Tensor(a!) self) -> Tensor(a!)",
    "aten::resize_(Tensor(a!) self, SymInt[] size, *, MemoryFormat? memory_format=None) "
    "-> Tensor(a!)",
    "aten::copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)",
    "aten::set_.source_Storage(Tensor(a!) self, Storage source) -> Tensor(a!)",
    "aten::set_.source_Storage_storage_offset(Tensor(a!) self, Storage source, "
    "SymInt storage_offset, SymInt[] size, SymInt[] stride=[]) -> Tensor(a!)",
    "aten::set.source_Storage_out(Tensor self, Storage source, *, Tensor(a!) out) -> Tensor(a!)",
    "aten::_foreach_add.List(Tensor[] self, Tensor[] other, *, Scalar alpha=1) -> Tensor[]",
    "aten::_foreach_add_.List(Tensor(a!)[] self, Tensor[] other, *, Scalar alpha=1) -> ()",
    "aten::_foreach_add.List_out(Tensor[] self, Tensor[] other, *, Scalar alpha=1, "
    "Tensor(a!)[] out) -> ()",
    "aten::_foreach_mul.Scalar(Tensor[] self, Scalar scalar) -> Tensor[]",
    "aten::_fused_adam_(Tensor(a!)[] self, Tensor(b!)[] grads, Tensor(c!)[] exp_avgs, "
    "Tensor(d!)[] exp_avg_sqs, Tensor(e!)[] max_exp_avg_sqs, Tensor[] state_steps, *, "
    "float lr, float beta1, float beta2, float weight_decay, float eps, bool amsgrad, "
    "bool maximize, Tensor? grad_scale=None, Tensor? found_inf=None) -> ()",
    "aten::lstm.input(Tensor input, Tensor[] hx, Tensor[] params, bool has_biases, "
    "int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) "
    "-> (Tensor, Tensor, Tensor)",
    "aten::__and__.Tensor(Tensor self, Tensor other) -> Tensor",
    "aten::__iand__.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)",
    "aten::_local_scalar_dense(Tensor self) -> Scalar",
    "aten::sym_size.int(Tensor self, int dim) -> SymInt",
    "aten::is_nonzero(Tensor self) -> bool",
    "aten::_assert_async(Tensor self) -> ()",
    "aten::record_stream(Tensor(a!) self, Stream s) -> ()",
    "aten::polar(Tensor abs, Tensor angle) -> Tensor",
    "aten::format(str self, ...) -> str",
    "prim::Print(...) -> ()",
    "prim::TupleUnpack(Any tup) -> ...",
    # Synthetic: corners real native schemas rarely exercise.
    "foo(Tensor(a -> *) x) -> ()",
    "myns::flags(Tensor self, bool[2] mask=[True, True], str s=\"it's\") -> Tensor",
    "myns::limits(Tensor self, float lo=-inf, float hi=inf, float fill=nan) -> Tensor",
    "myns::multi(Tensor(a|b) x, Tensor(a! -> a|b) y, Tensor(*) z) -> Tensor(b)",
    "myns::storage_write(Storage(a!) source, complex c) -> Storage(a!)",
    "myns::named_single(Tensor self, *, Tensor(a!) out) -> (Tensor(a!) out)",
    "myns::varret(Tensor self) -> (Tensor, ...)",
    "add(Tensor self, Tensor other) -> Tensor",
]


def test_corpus_is_large_enough():
    assert len(NATIVE_SCHEMAS) >= 60
    assert len(set(NATIVE_SCHEMAS)) == len(NATIVE_SCHEMAS)


@pytest.mark.parametrize("text", NATIVE_SCHEMAS)
def test_native_schema_round_trips(text):
    schema = parse_schema(text)
    assert str(schema) == text
    assert parse_schema(str(schema)) == schema
    assert hash(parse_schema(str(schema))) == hash(schema)


# ---------------------------------------------------------------------------
# Structure of parsed schemas
# ---------------------------------------------------------------------------

T = BaseType("Tensor")


def test_add_tensor_structure():
    s = parse_schema("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor")
    assert (s.namespace, s.name, s.overload_name) == ("aten", "add", "Tensor")
    assert s.qualified_name == "aten::add"
    assert s.full_name == "aten::add.Tensor"
    assert [a.name for a in s.positional] == ["self", "other"]
    assert [a.name for a in s.kwarg_only] == ["alpha"]
    alpha = s.arguments[2]
    assert alpha == Argument("alpha", BaseType("Scalar"), None, 1, "1", kwarg_only=True)
    assert alpha.default == 1 and type(alpha.default) is int
    assert s.arguments[0].default is NO_DEFAULT
    assert s.arguments[0].default_text is None
    assert s.returns == (Return(None, T, None),)
    assert not s.is_vararg and not s.is_varret


def test_names_without_namespace_or_overload():
    s = parse_schema("aten::cat(Tensor[] tensors, int dim=0) -> Tensor")
    assert s.overload_name == "" and s.full_name == "aten::cat"
    s = parse_schema("add(Tensor self, Tensor other) -> Tensor")
    assert s.namespace is None
    assert s.qualified_name == s.full_name == "add"
    assert parse_schema("aten::__and__.Tensor(Tensor self, Tensor other) -> Tensor").name == (
        "__and__"
    )


def test_with_namespace():
    s = parse_schema("add(Tensor self, Tensor other) -> Tensor").with_namespace("mylib")
    assert str(s) == "mylib::add(Tensor self, Tensor other) -> Tensor"


def test_types_and_aliases_of_arguments():
    s = parse_schema(
        "aten::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, "
        "ScalarType? dtype=None) -> Tensor"
    )
    assert s.arguments[1].type == OptionalType(ListType(BaseType("int"), 1))
    assert s.arguments[2].default is False
    assert s.arguments[3].type == OptionalType(BaseType("ScalarType"))
    assert s.arguments[3].default is None and s.arguments[3].default_text == "None"

    s = parse_schema("aten::index.Tensor(Tensor self, Tensor?[] indices) -> Tensor")
    assert s.arguments[1].type == ListType(OptionalType(T))

    s = parse_schema(
        "aten::_foreach_add_.List(Tensor(a!)[] self, Tensor[] other, *, Scalar alpha=1) -> ()"
    )
    assert s.arguments[0].type == ListType(T)
    assert s.arguments[0].alias == AliasInfo(("a",), ("a",), True)
    assert s.returns == ()

    s = parse_schema("aten::split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) "
                     "-> Tensor(a)[]")
    assert s.arguments[0].alias == AliasInfo(("a",), ("*",), False)
    assert s.returns[0] == Return(None, ListType(T), AliasInfo(("a",)))


def test_named_returns():
    s = parse_schema("aten::max.dim(Tensor self, int dim, bool keepdim=False) "
                     "-> (Tensor values, Tensor indices)")
    assert [r.name for r in s.returns] == ["values", "indices"]
    s = parse_schema("aten::native_dropout(Tensor input, float p, bool? train) "
                     "-> (Tensor, Tensor)")
    assert [r.name for r in s.returns] == [None, None]


def test_defaults_parse_to_python_values():
    def arg(text, name):
        s = parse_schema(text)
        return next(a for a in s.arguments if a.name == name)

    conv = ("aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=1, "
            "SymInt[2] padding=0, SymInt[2] dilation=1, SymInt groups=1) -> Tensor")
    stride = arg(conv, "stride")
    assert stride.type == ListType(BaseType("SymInt"), 2)
    assert stride.default == 1  # a scalar default on a list type is legal

    eps = arg("aten::layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, "
              "Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor", "eps")
    assert eps.default == 1e-05 and isinstance(eps.default, float)
    assert eps.default_text == "1e-05"

    nll = "aten::nll_loss(Tensor self, Tensor target, Tensor? weight=None, int reduction=Mean, " \
          "SymInt ignore_index=-100) -> Tensor"
    assert arg(nll, "reduction").default == DefaultIdent("Mean")
    assert str(arg(nll, "reduction").default) == "Mean"
    assert arg(nll, "ignore_index").default == -100

    gelu = arg("aten::gelu(Tensor self, *, str approximate=\"none\") -> Tensor", "approximate")
    assert gelu.default == "none" and gelu.default_text == '"none"'

    dims = arg("aten::rot90(Tensor self, int k=1, int[] dims=[0, 1]) -> Tensor", "dims")
    assert dims.default == (0, 1)
    empty = arg("aten::amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", "dim")
    assert empty.default == () and empty.default_text == "[]"

    limits = "myns::limits(Tensor self, float lo=-inf, float hi=inf, float fill=nan) -> Tensor"
    assert arg(limits, "lo").default == -math.inf
    assert arg(limits, "hi").default == math.inf
    assert math.isnan(arg(limits, "fill").default)
    # nan defaults still compare equal (equality goes through the canonical text).
    assert parse_schema(limits) == parse_schema(limits + " ")

    flags = arg("myns::flags(Tensor self, bool[2] mask=[True, True], str s=\"it's\") -> Tensor",
                "mask")
    assert flags.default == (True, True)


def test_non_canonical_text_is_normalised():
    cases = {
        # whitespace everywhere
        "  aten :: add . Tensor ( Tensor  self ,Tensor other,*,Scalar alpha = 1 )->Tensor ":
            "aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
        "aten::rot90(Tensor self, int k=1, int[] dims=[0,1]) -> Tensor":
            "aten::rot90(Tensor self, int k=1, int[] dims=[0, 1]) -> Tensor",
        "aten::quantile(Tensor self, Tensor q, int? dim=None, bool keepdim=False, *, "
        "str interpolation='linear') -> Tensor":
            "aten::quantile(Tensor self, Tensor q, int? dim=None, bool keepdim=False, *, "
            "str interpolation=\"linear\") -> Tensor",
        "f(Tensor ( a ! -> a | b ) ? x , int y = - 1) -> Tensor ( a ) [ ]":
            "f(Tensor(a! -> a|b)? x, int y=-1) -> Tensor(a)[]",
        "f(Tensor(a -> a) x) -> Tensor":
            "f(Tensor(a) x) -> Tensor",
        "f(str s='say \"hi\"\\n') -> (Tensor)":
            'f(str s="say \\"hi\\"\\n") -> Tensor',
        "f(Tensor self, *, Tensor(a!) out) -> Tensor(a!) out":
            "f(Tensor self, *, Tensor(a!) out) -> (Tensor(a!) out)",
        "f(...) -> (...)": "f(...) -> ...",
        "f(\tTensor x\n) -> ()": "f(Tensor x) -> ()",
    }
    for messy, canonical in cases.items():
        assert str(parse_schema(messy)) == canonical, messy
        assert parse_schema(canonical) == parse_schema(messy)


def test_string_default_escapes():
    s = parse_schema(r"f(str a='it\'s', str b=" + '"back\\\\slash") -> ()')
    assert s.arguments[0].default == "it's"
    assert s.arguments[1].default == "back\\slash"
    assert str(s) == r'f(str a="it' + "'" + r's", str b="back\\slash") -> ()'


def test_defaults_may_precede_required_arguments():
    # torch allows a defaulted positional argument to be followed by a required one.
    s = parse_schema("f(int a=1, int b) -> ()")
    assert [a.has_default for a in s.arguments] == [True, False]


def test_vararg_and_varret():
    s = parse_schema("aten::format(str self, ...) -> str")
    assert s.is_vararg and not s.is_varret
    s = parse_schema("prim::TupleUnpack(Any tup) -> ...")
    assert s.is_varret and s.returns == ()
    s = parse_schema("f(Tensor x, *, int y, ...) -> (Tensor, ...)")
    assert s.is_vararg and s.is_varret and len(s.returns) == 1
    assert str(s) == "f(Tensor x, *, int y, ...) -> (Tensor, ...)"


# ---------------------------------------------------------------------------
# Types and alias annotations on their own
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tensor", T),
        ("int[2]", ListType(BaseType("int"), 2)),
        ("int[]", ListType(BaseType("int"))),
        ("Tensor?[]", ListType(OptionalType(T))),
        ("int[1]?", OptionalType(ListType(BaseType("int"), 1))),
        ("SymInt[]?", OptionalType(ListType(BaseType("SymInt")))),
        ("MyCustomType", BaseType("MyCustomType")),
        (" float [ ] ? ", OptionalType(ListType(BaseType("float")))),
    ],
)
def test_parse_type(text, expected):
    assert parse_type(text) == expected
    assert parse_type(str(expected)) == expected
    assert str(expected) == "".join(text.split())


@pytest.mark.parametrize(
    "alias, text",
    [
        (AliasInfo(("a",)), "(a)"),
        (AliasInfo(("a",), is_write=True), "(a!)"),
        (AliasInfo(("a",), ("*",)), "(a -> *)"),
        (AliasInfo(("a", "b")), "(a|b)"),
        (AliasInfo(("a",), ("a", "b"), True), "(a! -> a|b)"),
        (AliasInfo("*"), "(*)"),
    ],
)
def test_alias_info_printing(alias, text):
    assert str(alias) == text
    parsed = parse_schema(f"f(Tensor{text} x) -> ()").arguments[0].alias
    assert parsed == alias


def test_argument_properties():
    def kind(type_text):
        return Argument("x", parse_type(type_text)).is_tensor_like

    assert kind("Tensor") == "tensor"
    assert kind("Tensor?") == "opt_tensor"
    assert kind("Tensor[]") == "tensor_list"
    assert kind("Tensor?[]") == "tensor_list"
    assert kind("Tensor[2]") == "tensor_list"
    for other in ("int", "Scalar", "Tensor[]?", "int[]", "Storage", "Tensor??"):
        assert kind(other) is None, other
    assert Argument("x", T, AliasInfo("a", is_write=True)).is_write
    assert not Argument("x", T, AliasInfo("a")).is_write
    assert not Argument("x", T).is_write


def test_argument_default_text_is_derived_when_omitted():
    assert Argument("x", BaseType("float"), default=1e-05).default_text == "1e-05"
    assert Argument("x", BaseType("str"), default='a"b').default_text == '"a\\"b"'
    assert Argument("x", ListType(BaseType("int")), default=(0, -1)).default_text == "[0, -1]"
    assert Argument("x", BaseType("int"), default=DefaultIdent("Mean")).default_text == "Mean"
    assert Argument("x", BaseType("int")).default_text is None


def test_schema_construction_validates_order_and_names():
    with pytest.raises(ValueError):
        FunctionSchema(None, "f", "", (Argument("a", T, kwarg_only=True), Argument("b", T)))
    with pytest.raises(ValueError):
        FunctionSchema(None, "f", "", (Argument("a", T), Argument("a", T)))


def test_parse_result_is_hashable_and_picklable():
    s = parse_schema(NATIVE_SCHEMAS[2])
    assert {s: 1}[parse_schema(NATIVE_SCHEMAS[2])] == 1
    assert pickle.loads(pickle.dumps(s)) == s


# ---------------------------------------------------------------------------
# Derived facts
# ---------------------------------------------------------------------------

DERIVED = [
    # (schema, tensor_args, written_args, aliased_returns, kind)
    ("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
     ((0, "tensor"), (1, "tensor")), (), {}, "functional"),
    ("aten::add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)",
     ((0, "tensor"), (1, "tensor")), (0,), {0: 0}, "inplace"),
    ("aten::add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
     ((0, "tensor"), (1, "tensor"), (3, "tensor")), (3,), {0: 3}, "out"),
    ("aten::view(Tensor(a) self, SymInt[] size) -> Tensor(a)",
     ((0, "tensor"),), (), {0: 0}, "view"),
    ("aten::transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)",
     ((0, "tensor"),), (), {0: 0}, "view"),
    ("aten::split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]",
     ((0, "tensor"),), (), {0: 0}, "view"),
    ("aten::index.Tensor(Tensor self, Tensor?[] indices) -> Tensor",
     ((0, "tensor"), (1, "tensor_list")), (), {}, "functional"),
    ("aten::cat(Tensor[] tensors, int dim=0) -> Tensor",
     ((0, "tensor_list"),), (), {}, "functional"),
    ("aten::clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor",
     ((0, "tensor"),), (), {}, "functional"),
    ("aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=1, "
     "SymInt[2] padding=0, SymInt[2] dilation=1, SymInt groups=1) -> Tensor",
     ((0, "tensor"), (1, "tensor"), (2, "opt_tensor")), (), {}, "functional"),
    ("aten::empty.memory_format(SymInt[] size, *, " + _FACTORY
     + ", MemoryFormat? memory_format=None) -> Tensor", (), (), {}, "functional"),
    ("aten::sort.values_stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False, "
     "Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)",
     ((0, "tensor"), (4, "tensor"), (5, "tensor")), (4, 5), {0: 4, 1: 5}, "out"),
    ("aten::copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)",
     ((0, "tensor"), (1, "tensor")), (0,), {0: 0}, "inplace"),
    ("aten::_foreach_add_.List(Tensor(a!)[] self, Tensor[] other, *, Scalar alpha=1) -> ()",
     ((0, "tensor_list"), (1, "tensor_list")), (0,), {}, "inplace"),
    ("aten::_foreach_add.List_out(Tensor[] self, Tensor[] other, *, Scalar alpha=1, "
     "Tensor(a!)[] out) -> ()",
     ((0, "tensor_list"), (1, "tensor_list"), (3, "tensor_list")), (3,), {}, "out"),
    ("aten::set_.source_Storage(Tensor(a!) self, Storage source) -> Tensor(a!)",
     ((0, "tensor"),), (0,), {0: 0}, "inplace"),
    ("myns::storage_write(Storage(a!) source, complex c) -> Storage(a!)",
     (), (0,), {0: 0}, "inplace"),
    ("aten::_native_batch_norm_legit(Tensor input, Tensor? weight, Tensor? bias, "
     "Tensor(a!) running_mean, Tensor(b!) running_var, bool training, float momentum, "
     "float eps) -> (Tensor, Tensor, Tensor)",
     ((0, "tensor"), (1, "opt_tensor"), (2, "opt_tensor"), (3, "tensor"), (4, "tensor")),
     (3, 4), {}, "inplace"),
    ("aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
     ((0, "tensor"),), (), {}, "functional"),
    ("foo(Tensor(a -> *) x) -> ()", ((0, "tensor"),), (), {}, "functional"),
    ("myns::multi(Tensor(a|b) x, Tensor(a! -> a|b) y, Tensor(*) z) -> Tensor(b)",
     ((0, "tensor"), (1, "tensor"), (2, "tensor")), (1,), {0: 0}, "inplace"),
]


@pytest.mark.parametrize("text, tensor_args, written, aliased, kind", DERIVED)
def test_derived_facts(text, tensor_args, written, aliased, kind):
    s = parse_schema(text)
    assert s.tensor_args == tensor_args
    assert s.written_args == written
    assert s.aliased_returns == aliased
    assert s.kind == kind


def test_aliased_returns_is_a_fresh_dict():
    s = parse_schema("aten::view(Tensor(a) self, SymInt[] size) -> Tensor(a)")
    s.aliased_returns[5] = 5
    assert s.aliased_returns == {0: 0}


# ---------------------------------------------------------------------------
# Rejections, with exact 1-based columns
# ---------------------------------------------------------------------------

BAD_SCHEMAS = [
    # (text, column, fragment of the reason)
    ("aten::foo(Tensor self)", 23, "expected '->'"),
    ("aten::foo(Tensor self -> Tensor", 23, "expected ',' or ')'"),
    ("aten::foo(Tensor self) -> (Tensor, Tensor", 42, "expected ',' or ')'"),
    ("aten::foo(Tensor $self) -> Tensor", 18, "unexpected character '$'"),
    ("aten::foo(Tensor x, Tensor x) -> Tensor", 28, "duplicate argument name 'x'"),
    ("aten::foo(Tensor x) -> Tensor)", 30, "unexpected ')'"),
    ("aten::foo(Tensor x) -> Tensor x y", 33, "unexpected 'y'"),
    ("(Tensor x) -> Tensor", 1, "expected operator name"),
    ("aten::(Tensor x) -> Tensor", 7, "expected operator name"),
    ("aten::foo.(Tensor x) -> Tensor", 11, "expected overload name"),
    ("aten::foo(Tensor x,) -> Tensor", 20, "expected a type"),
    ("aten::foo(Tensor) -> Tensor", 17, "expected argument name"),
    ("aten::foo(Tensor(a x) -> Tensor", 20, "alias annotation"),
    ("aten::foo(Tensor() x) -> Tensor", 18, "expected an alias set name"),
    ("aten::foo(Tensor?(a) x) -> Tensor", 18, "directly follow the base type"),
    ("aten::foo(int x=) -> ()", 17, "expected a default value"),
    ("aten::foo(int x=-True) -> ()", 18, "expected a number after '-'"),
    ("aten::foo(int[] x=[1, 2) -> ()", 24, "expected ',' or ']'"),
    ("aten::foo(str s=\"abc) -> ()", 17, "unterminated string"),
    ("aten::foo(str s=\"a\\qb\") -> ()", 19, "unknown escape"),
    ("aten::foo(int[-1] x) -> ()", 15, "expected ']'"),
    ("aten::foo(int[1.5] x) -> ()", 15, "non-negative integer"),
    ("aten::foo(Tensor x, *, *, int y) -> ()", 24, "only once"),
    ("aten::foo(Tensor x, *) -> ()", 21, "keyword-only"),
    ("aten::foo(..., Tensor x) -> ()", 14, "'...' must be the last argument"),
    ("aten::foo(Tensor x) -> (..., Tensor)", 28, "'...' must be the last return"),
    ("aten::foo(Tensor x) -> (Tensor a, Tensor a)", 42, "duplicate return name 'a'"),
    ("aten:foo(Tensor x) -> ()", 5, "unexpected character ':'"),
    ("aten::foo(Tensor x) -> ", 24, "expected a type"),
    ("", 1, "expected operator name"),
]


@pytest.mark.parametrize("text, column, reason", BAD_SCHEMAS)
def test_rejects_malformed_schema(text, column, reason):
    with pytest.raises(SchemaParseError) as info:
        parse_schema(text)
    err = info.value
    assert err.column == column, err
    assert reason in err.reason
    assert err.text == text
    assert isinstance(err, ValueError)


def test_error_message_layout():
    with pytest.raises(SchemaParseError) as info:
        parse_schema("aten::foo(Tensor\tx, int $) -> ()")
    first, shown, caret = str(info.value).split("\n")
    assert first == "unexpected character '$' (column 25)"
    assert shown == "aten::foo(Tensor x, int $) -> ()"
    assert caret == " " * 24 + "^"
    assert shown[caret.index("^")] == "$"


def test_error_is_picklable():
    with pytest.raises(SchemaParseError) as info:
        parse_schema("f(")
    err = pickle.loads(pickle.dumps(info.value))
    assert (err.reason, err.text, err.column) == (info.value.reason, "f(", 3)


@pytest.mark.parametrize(
    "text, column",
    [("int[2", 6), ("int?x", 5), ("Tensor(a)", 7), ("[]", 1), ("int[]]", 6)],
)
def test_parse_type_rejects(text, column):
    with pytest.raises(SchemaParseError) as info:
        parse_type(text)
    assert info.value.column == column


def test_parse_schema_requires_text():
    with pytest.raises(TypeError):
        parse_schema(b"f() -> ()")


# ---------------------------------------------------------------------------
# Property: random schemas survive print -> parse
# ---------------------------------------------------------------------------

_RESERVED = {"True", "False", "None", "inf", "nan"}
idents = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
    lambda s: s not in _RESERVED
)
lower_idents = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)

base_types = st.builds(
    BaseType,
    st.sampled_from(["Tensor", "int", "SymInt", "float", "bool", "Scalar", "ScalarType", "str",
                     "Layout", "Device", "Generator", "MemoryFormat", "Dimname", "Storage",
                     "Stream", "Any", "complex"]) | idents,
)


@st.composite
def schema_types(draw):
    type_ = draw(base_types)
    for suffix in draw(st.lists(st.sampled_from(["?", "[]", "[n]"]), max_size=3)):
        if suffix == "?":
            type_ = OptionalType(type_)
        else:
            size = draw(st.integers(0, 16)) if suffix == "[n]" else None
            type_ = ListType(type_, size)
    return type_


alias_sets = st.just(("*",)) | st.lists(
    st.sampled_from(["a", "b", "c", "out"]), min_size=1, max_size=3, unique=True
).map(tuple)
aliases = st.builds(
    lambda before, after, write: AliasInfo(before, before if after is None else after, write),
    alias_sets, st.none() | alias_sets, st.booleans(),
)

scalar_defaults = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
    st.builds(DefaultIdent, idents),
)
defaults = st.just(NO_DEFAULT) | scalar_defaults | st.lists(scalar_defaults, max_size=3).map(
    tuple
)


@st.composite
def schemas(draw):
    names = draw(st.lists(lower_idents, max_size=6, unique=True))
    first_kwarg = draw(st.integers(0, len(names)))
    arguments = tuple(
        Argument(name, draw(schema_types()), draw(st.none() | aliases), draw(defaults),
                 kwarg_only=i >= first_kwarg)
        for i, name in enumerate(names)
    )
    ret_names = draw(st.lists(lower_idents, max_size=4, unique=True))
    returns = tuple(
        Return(name if draw(st.booleans()) else None, draw(schema_types()),
               draw(st.none() | aliases))
        for name in ret_names
    )
    name = draw(lower_idents | lower_idents.map(lambda s: f"__{s}__"))
    return FunctionSchema(
        draw(st.none() | idents), name, draw(st.just("") | idents), arguments, returns,
        draw(st.booleans()), draw(st.booleans()),
    )


@given(schemas())
def test_random_schema_round_trip(schema):
    text = str(schema)
    parsed = parse_schema(text)
    assert parsed == schema
    assert str(parsed) == text
    for mine, theirs in zip(parsed.arguments, schema.arguments):
        # Compare the values themselves too (nan aside), not only their text.
        if isinstance(theirs.default, float) and math.isnan(theirs.default):
            assert math.isnan(mine.default)
        elif theirs.default is not NO_DEFAULT and "nan" not in theirs.default_text:
            assert mine.default == theirs.default
            assert type(mine.default) is type(theirs.default)


def _respace(text, rnd):
    """Insert random whitespace around punctuation outside string literals."""
    out, quote, i = [], None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\":
                out.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            out.append(ch)
        elif ch in "(),[]=|*?!":
            pad = lambda: rnd.choice(["", "", " ", "  ", "\t", "\n"])  # noqa: E731
            out.append(pad() + ch + pad())
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@given(schemas(), st.randoms(use_true_random=False))
def test_random_whitespace_is_ignored(schema, rnd):
    text = str(schema)
    assert str(parse_schema(_respace(text, rnd))) == text


@given(schema_types())
def test_random_type_round_trip(type_):
    assert parse_type(str(type_)) == type_
