"""Behaviours an audit found apart from PyTorch, each run side by side with PyTorch (skipped
without torch): ``as_strided`` gradients and argument checks, views re-made after their base
changed in place, writable ``im2col`` / ``col2im`` results, ``embedding``'s graph and
``max_norm``, and ``binary_cross_entropy_with_logits``' shape check."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def _outcome(M, code, setup, digits=9):
    """Run ``code`` with ``torch`` bound to module ``M`` and the names ``setup(M)`` gives;
    the value of ``r`` afterwards (lists, names, numbers; floats rounded to ``digits``
    decimals), or the error's type and first line."""
    env = {"torch": M, "F": M.nn.functional, **setup(M)}
    try:
        exec(code, env)
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return _first_line(e)
    return _plain(env.get("r"), digits)


def _first_line(e):
    """An error's type and first line, without the hint we may add after PyTorch's text."""
    text = str(e).split(". Hint")[0]
    return f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"


def _plain(x, digits):
    if isinstance(x, (tk.Tensor, torch.Tensor)):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), tuple(x.stride()),
                _round(x.detach().tolist(), digits))
    if isinstance(x, (list, tuple)):
        return type(x).__name__, [_plain(v, digits) for v in x]
    return _round(x, digits)


def _round(v, digits):
    if isinstance(v, list):
        return [_round(x, digits) for x in v]
    return round(v, digits) if isinstance(v, float) else v


def _same(code, setup, digits=9):
    assert _outcome(tk, code, setup, digits) == _outcome(torch, code, setup, digits)


# -- 1. as_strided's gradient on a view: the offset is absolute in the storage --------------
def _arange6(M):
    return {"a": M.arange(6., requires_grad=True),
            "w": M.arange(1., 7.).pow(2)}


AS_STRIDED_GRAD = [
    "(a*1)[1:].as_strided((2,2),(1,2)).sum().backward(); r = a.grad",
    "(a*1)[1:].as_strided((2,2),(1,2),0).sum().backward(); r = a.grad",
    "(a*1)[2:].as_strided((3,),(1,),1).pow(2).sum().backward(); r = a.grad",
    "(a*1).view(2,3).t().as_strided((2,2),(1,1),1).sum().backward(); r = a.grad",
    "b = (a*1).view(2,3).t()[1:]; b.as_strided((2,2),(3,1)).mul(w[:4].view(2,2)).sum()"
    ".backward(); r = a.grad",
    "(a*1).expand(2,6).as_strided((2,2),(1,1),1).mul(w[:4].view(2,2)).sum().backward()"
    "; r = a.grad",
    "a.as_strided((3,3),(1,1),0).mul(w.repeat(2)[:9].view(3,3)).sum().backward(); r = a.grad",
    "b = (a*1).as_strided((3,),(2,),1); b.as_strided((2,),(1,),2).mul(w[:2]).sum()"
    ".backward(); r = a.grad",
    "b = (a*1).as_strided((3,),(2,),1); r = (b.storage_offset(), b.as_strided((2,),(1,)))",
    "b = (a*1)[3:]; r = b.as_strided((2,),(2,),1)",
    "b = (a*1)[1:]; g = b.as_strided((2,2),(2,1),1); r = torch.autograd.grad(g, a, "
    "w[:4].view(2,2))[0]",
    "x = a.view(2,3).t(); r = torch.autograd.grad(x.as_strided((2,),(2,),2), a, "
    "w[:2])[0]",
    "b = (a*1)[1:]; r = torch.autograd.grad(b.as_strided((2,3),(1,2),0), b, "
    "w.view(2,3))[0]",
    "b = (a*1)[2:]; r = torch.autograd.grad(b.as_strided((2,),(0,),3), b, w[:2])[0]",
    "b = (a*1)[2:]; r = torch.autograd.grad(b.as_strided((0,),(1,),3), b, w[:0])[0]",
    "b = (a*1)[2:]; r = torch.autograd.grad(b.as_strided((1,2),(9,1),3), b, "
    "w[:2].view(1,2))[0]",
    "x = a.double().view(2,3).t()[1:]; g, = torch.autograd.grad(x.as_strided((2,2),(1,2),1), "
    "x, w[:4].double().view(2,2).requires_grad_(), create_graph=True); "
    "r = (g, torch.autograd.grad(g.pow(2).sum(), a)[0])",
]


@pytest.mark.parametrize("code", AS_STRIDED_GRAD)
def test_as_strided_gradient_on_views(code):
    _same(code, _arange6)


# -- 2. as_strided's argument checks ---------------------------------------------------------
def _arange4(M):
    return {"x": M.arange(4.)}


AS_STRIDED_ARGS = [((2, 2), (-1, 1), 2), ((2, 2), (1, 1, 1), 2), ((2, 2), (1,), 0),
                   ((2, -2), (1, 1), 2), ((2, -2), (0, 0), 1), ((-2,), (0,), 1),
                   ((-1,), (1,), 0), ((-2,), (0,), 10), ((2, 2), (1, 1), -1),
                   ((2, -2), (1, 1), -1), ((2, 2), (0, -1), -3), ((1,), (5,), 3),
                   ((1,), (5,), 4), ((2,), (2 ** 61 - 1,), 0), ((3,), (2 ** 62,), 0),
                   ((2, 2), (0, 1), 2 ** 62), ((2 ** 62, 2), (0, 1), 0), ((), (), 3),
                   ((), (), 4), ((2,), (0,), 3), ((2, 0), (1, 1), 7), ((2, 2), (1, 2), 1)]


@pytest.mark.parametrize("form", ["x.as_strided({})", "torch.as_strided(x, {})",
                                  "torch.as_strided_copy(x, {})"])
@pytest.mark.parametrize("args", AS_STRIDED_ARGS, ids=str)
def test_as_strided_argument_checks(form, args):
    _same("r = " + form.format(", ".join(map(repr, args))), _arange4)


# -- 3. a view's grad_fn re-made after its base was written in place -----------------------
# Each view op is replayed on the gradient (ViewInfo.replay), with its keyword-only arguments
# (expand's ``implicit``) passed by name.
VIEWS = ["b.view(6, 4)", "b.view(-1)", "b.reshape(4, 6)", "b.expand(2, 2, 3, 4)",
         "b[:, :1].expand(2, 3, 4)", "b[:, :1].expand_as(b)", "b.transpose(0, 2)",
         "b.permute(2, 0, 1)", "b[:, :1].squeeze(1)", "b[:, :1].squeeze()", "b.unsqueeze(1)",
         "b.narrow(2, 1, 2)", "b.select(1, 2)", "b[1, ::2, 1:]", "b[..., None]",
         "b.diagonal(0, 1, 2)", "b.diagonal(1, 0, 2)", "b.unfold(2, 2, 1)",
         "b.as_strided((3, 3), (1, 1), 2)", "b[0].as_strided((2, 2), (0, 1), 1)",
         "b.unflatten(2, (2, 2))", "b.movedim(0, 2)", "b.mT", "b.swapaxes(0, 1)",
         "b.split(2, 2)[1]", "b.chunk(3, 1)[2]", "b.unbind(1)[1]", "b.view(torch.int32)",
         "b.alias()", "b.flatten()", "b.view_as(torch.ones(6, 4))", "b.squeeze(0)",
         "torch.ops.aten.expand(b[:, :1], (2, 3, 4), implicit=True)",
         "b.unsqueeze(0).expand(3, 2, 3, 4)", "b.view(2, 12)[:, None].expand(2, 2, 12)"]



def _view_after_base_write(M, view, write):
    a = M.arange(24., requires_grad=True)
    b = (a * 1).reshape(2, 3, 4)
    e = eval(view, {"torch": M, "b": b})
    exec(write, {"b": b})
    name = e.grad_fn.name() if e.grad_fn is not None else None
    if not e.is_floating_point():
        return name
    (e * M.arange(float(e.numel())).reshape(e.shape)).sum().backward()
    return name, a.grad.tolist()


@pytest.mark.parametrize("write", ["b.mul_(2)", "b[0].add_(1)", "pass"])
@pytest.mark.parametrize("view", VIEWS)
def test_view_of_a_written_base_backward(view, write):
    def run(M):
        try:
            return _view_after_base_write(M, view, write)
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            return _first_line(e)
    assert run(tk) == run(torch)


def _col(M):
    return {"a": M.ones(2, 1, requires_grad=True)}


@pytest.mark.parametrize("code", [
    "b = a * 1; e = b.expand(2, 3); b.mul_(2); r = e.grad_fn.name()",
    "b = a * 1; e = b.expand(2, 3); e.mul_(2)",
    "b = a * 1; e = b.expand(2, 3); b.mul_(2); e.sum().backward(); r = a.grad",
    "b = a * 1; e = b.expand(2, 3); e.sum().backward(); r = a.grad",
])
def test_expand_of_a_written_base(code):
    _same(code, _col)


# -- 4. im2col / col2im results are fresh, writable tensors ---------------------------------
def _none(M):
    return {}


@pytest.mark.parametrize("code", [
    "x = torch.arange(4.).view(1,1,2,2); o = F.unfold(x, 1); o.add_(1); r = (o, x)",
    "x = torch.arange(4.).view(1,1,2,2); o = torch.ops.aten.im2col(x, [1,1], [1,1], [0,0], "
    "[1,1]); o.mul_(2); r = (o._version, o, x)",
    "x = torch.arange(8.).view(2,1,2,2); o = F.unfold(x, (2,2)); o.add_(1); r = (o, x)",
    "x = torch.arange(4.).view(1,2,2); o = F.unfold(x, 1); o.add_(1); r = (o, x)",
    "x = torch.arange(6.).view(1,1,1,6); o = F.unfold(x, (1,2), stride=(1,2)); o.add_(1); "
    "r = (o, x)",
    "x = torch.arange(6.).view(1,1,2,3); o = F.unfold(x, (2,2), padding=1); o.sub_(1); r = o",
    "x = torch.arange(4.).view(1,1,2,2); r = F.unfold(x, 1).data_ptr() == x.data_ptr()",
    "x = torch.arange(4.).view(1,1,2,2); u = torch.nn.Unfold(1)(x); u[0,0,0] = 5; r = (u, x)",
    "x = torch.arange(4.).view(1,4,1); o = F.fold(x, (1,1), 1); o.add_(1); r = (o, x)",
    "x = torch.arange(4.).view(4,1); o = F.fold(x, (1,1), 1); o.add_(1); r = (o, x)",
    "x = torch.arange(8.).view(1,4,2); o = torch.ops.aten.col2im(x, [1,2], [2,1], [1,1], "
    "[0,0], [1,1]); o.add_(1); r = (o, x)",
])
def test_im2col_col2im_results_are_writable(code):
    _same(code, _none)


# -- 5. F.embedding / nn.Embedding through the embedding op --------------------------------
def _emb(M):
    return {"w": (M.arange(15.).view(5, 3) / 4 - 1).requires_grad_(),
            "i": M.tensor([[0, 2, 2], [4, 1, 0]])}


@pytest.mark.parametrize("code", [
    "r = F.embedding(i, w).grad_fn.name()",
    "o = F.embedding(i, w); (o * o).sum().backward(); r = (o, w.grad, w._version)",
    "o = F.embedding(i, w, padding_idx=1); o.pow(2).sum().backward(); r = (o, w.grad)",
    "o = F.embedding(i, w, padding_idx=-1); o.pow(2).sum().backward(); r = (o, w.grad)",
    "o = F.embedding(i, w, padding_idx=5)",
    "o = F.embedding(i, w, padding_idx=-6)",
    "o = F.embedding(i, w, scale_grad_by_freq=True); o.pow(2).sum().backward(); r = w.grad",
    "o = F.embedding(i, w, padding_idx=2, scale_grad_by_freq=True); o.pow(3).sum()"
    ".backward(); r = w.grad",
    "o = F.embedding(i, w, max_norm=1.0); r = (w._version, o, w, o.grad_fn.name())",
    "o = F.embedding(i, w, max_norm=1.0, norm_type=1); o.sum().backward(); "
    "r = (w._version, w, w.grad)",
    "o = F.embedding(i, w, max_norm=0.5, norm_type=float('inf')); r = (w._version, w)",
    "o = F.embedding(i, w, max_norm=0.7, norm_type=3.5); r = (w._version, w)",
    "o = F.embedding(i, w, max_norm=100.0); r = (w._version, o)",
    "o = F.embedding(torch.tensor([], dtype=torch.long), w, max_norm=1.); "
    "r = (o, w._version, o.grad_fn.name())",
    "o = F.embedding(i, w[:, :2], max_norm=1.0); r = (w._version, o)",
    "o = F.embedding(i, w.detach(), max_norm=1.0); r = o.requires_grad",
    "o = F.embedding(i.float(), w)",
    "o = F.embedding(i.float(), w, max_norm=1.)",
    "o = F.embedding(i - 3, w)",
    "o = F.embedding(i + 3, w)",
    "o = F.embedding(i + 3, w, max_norm=1.)",
    "o = F.embedding(i, w[0], max_norm=1.)",
    "o = F.embedding(i.int(), w); r = o",
    "e = torch.nn.Embedding(5, 3, padding_idx=0, max_norm=0.5, _weight=w.detach().clone()); "
    "o = e(i); o.sum().backward(); r = (o.grad_fn.name(), e.weight._version, e.weight.grad, "
    "e.weight)",
    "e = torch.nn.Embedding.from_pretrained(w.detach(), freeze=False, "
    "scale_grad_by_freq=True); o = e(i); o.sum().backward(); "
    "r = (o.grad_fn.name(), e.weight.grad)",
    "o = F.embedding(i, w.double()); g, = torch.autograd.grad(o.pow(2).sum(), w, "
    "create_graph=True); r = (g.grad_fn.name(), torch.autograd.grad(g.sum(), w)[0])",
])
def test_embedding_matches_torch(code):
    # a row's norm is summed in another order than PyTorch's, so a rescaled row may differ
    # in its last bit
    _same(code, _emb, digits=6 if "max_norm" in code else 9)


# -- 6. binary_cross_entropy_with_logits' shape errors ---------------------------------------
_SHAPES = [(2, 3), (3,), (2, 1), (1, 3), (4,), (), (2, 2, 3)]
_OPTIONAL = [None, (3,), (2, 2, 3), (4,)]


@pytest.mark.parametrize("x, t", [(x, t) for x in _SHAPES for t in _SHAPES], ids=str)
def test_bce_with_logits_shape_check_matches_the_kernel(x, t):
    from tensor.nn_functional import bce_with_logits_shape_check
    for w in _OPTIONAL:
        for pw in _OPTIONAL:
            try:
                bce_with_logits_shape_check(x, t, w, pw)
                ours = "ok"
            except RuntimeError as e:
                ours = _first_line(e)
            args = [None if s is None else torch.rand(s) for s in (x, t, w, pw)]
            try:
                torch.binary_cross_entropy_with_logits(*args, 0)
                theirs = "ok"
            except RuntimeError as e:
                theirs = _first_line(e)
            assert ours == theirs, (x, t, w, pw)


def _bce(M):
    return {"x": M.linspace(-1, 1, 6).view(2, 3).requires_grad_(), "t3": M.linspace(0, 1, 3),
            "t23": M.linspace(0, 1, 6).view(2, 3), "w4": M.ones(4), "w3": M.ones(3) * 2}


@pytest.mark.parametrize("code", [
    "r = F.binary_cross_entropy_with_logits(x, t3)",
    "r = F.binary_cross_entropy_with_logits(x, t23, w4)",
    "r = F.binary_cross_entropy_with_logits(x, t23, pos_weight=w4)",
    "r = F.binary_cross_entropy_with_logits(x, t23, w3, pos_weight=w4)",
    "r = F.binary_cross_entropy_with_logits(x, t23, torch.ones(2, 2, 3))",
    "r = F.binary_cross_entropy_with_logits(x, t23, w3, pos_weight=torch.ones(2, 2, 3))",
    "o = F.binary_cross_entropy_with_logits(x, t23, w3, pos_weight=w3); o.backward(); "
    "r = (o, x.grad, o.grad_fn.name())",
])
def test_functional_bce_with_logits_matches_torch(code):
    _same(code, _bce, digits=6)


@pytest.mark.parametrize("code", [
    "r = torch.binary_cross_entropy_with_logits(x, t3)",
    "r = torch.binary_cross_entropy_with_logits(x[0], t23, None, w3)",
    "r = torch.binary_cross_entropy_with_logits(x, t3, w4)",
    "r = torch.binary_cross_entropy_with_logits(x, t23, None, w4)",
])
def test_aten_bce_with_logits_shape_errors(code):
    # the aten form reaches the kernel in opdefs/nn.py, which calls
    # nn_functional.bce_with_logits_shape_check
    _same(code, _bce)


@pytest.mark.parametrize("code", [
    "r = torch.binary_cross_entropy_with_logits(x[0], t23)",
    "o = torch.binary_cross_entropy_with_logits(x, t23, w3, w3, 1); o.backward(); "
    "r = (o, x.grad, o.grad_fn.name())",
])
def test_aten_bce_with_logits_broadcasting(code):
    _same(code, _bce, digits=6)


# -- 7. in-place writes through an expand that repeats no element --------------------------
@pytest.mark.parametrize("write", ["e.add_(1)", "e.mul_(M.full((3, 1), 2.0))", "e.fill_(4)",
                                   "e.copy_(M.ones(3, 1) * 5)", "e.clamp_(min=0.5)"])
def test_write_through_an_expand_without_repeats(write):
    """``x.expand(x.shape)`` keeps every stride and repeats nothing: PyTorch lets in-place ops
    write through it (numpy's broadcast view is read-only; ours writes through an alias)."""
    def run(M):
        x = M.zeros(3, 1)
        e = x.expand(3, 1)
        try:
            eval(write, {"M": M, "e": e})
        except RuntimeError as err:
            return str(err).split(" Hint:")[0]
        return e.stride(), x.tolist(), x._version
    assert run(tk) == run(torch)
