"""Recurrent, attention and transformer layers side by side with PyTorch (skipped without
torch): torch's module weights are copied into ours through the state dict, the same inputs
go through both, and outputs, input and parameter gradients, state-dict keys, reprs, errors and
warnings must agree. Dropout is 0 in train mode (the random streams differ); eval mode is
compared too."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402
from tensor.nn import rnn_utils as KU  # noqa: E402
from torch.nn.utils import rnn as TU  # noqa: E402

pytestmark = pytest.mark.differential

TF = torch.nn.functional
KF = tk.nn.functional
TOL = {torch.float64: (1e-10, 1e-11), torch.float32: (2e-5, 2e-6)}


def k_of(t, requires_grad=False):
    return tk.tensor(t.detach().numpy(), requires_grad=requires_grad)


def close(a, b, dtype=torch.float64):
    rtol, atol = TOL[dtype]
    a = a.detach().numpy()
    b = b.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)


def twin(tcls, kcls, *args, dtype=torch.float64, **kwargs):
    """The torch module and ours holding the same weights (copied torch -> ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tcls(*args, **kwargs).to(dtype)
        km = kcls(*args, **kwargs).to(tk.float64 if dtype == torch.float64 else tk.float32)
    assert list(tm.state_dict()) == list(km.state_dict())
    km.load_state_dict({n: k_of(v) for n, v in tm.state_dict().items()})
    return tm, km


def flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    if isinstance(out, (TU.PackedSequence, KU.PackedSequence)):
        return [out.data]
    return [] if out is None else [out]


def run_both(tm, km, t_inputs, dtype=torch.float64, seed=0, **kw):
    """Call both modules, compare every output, then backprop the same random cotangents and
    compare the gradients of the inputs and of every parameter."""
    k_inputs = [None if t is None else
                tuple(k_of(x, x.requires_grad) for x in t) if isinstance(t, tuple) else
                k_of(t, t.requires_grad) for t in t_inputs]
    to, ko = tm(*t_inputs, **kw), km(*k_inputs, **kw)
    tf, kf = flat(to), flat(ko)
    assert len(tf) == len(kf)
    for a, b in zip(tf, kf):
        close(a, b, dtype)
    if not any(a.requires_grad for a in tf):
        return to, ko
    rng = np.random.default_rng(seed)
    gs = [rng.standard_normal(tuple(a.shape)) for a in tf]
    sum((a * torch.tensor(g, dtype=a.dtype)).sum() for a, g in zip(tf, gs)).backward()
    sum((b * tk.tensor(g, dtype=b.dtype)).sum() for b, g in zip(kf, gs)).backward()
    for t, k in zip(flat(t_inputs), flat(k_inputs)):
        if t.requires_grad:
            close(t.grad, k.grad, dtype)
    for (n, p), (n2, q) in zip(tm.named_parameters(), km.named_parameters()):
        assert n == n2
        if p.grad is None:
            assert q.grad is None, n
        else:
            close(p.grad, q.grad, dtype)
    return to, ko


def randn(*shape, dtype=torch.float64, requires_grad=True, seed=None):
    g = torch.Generator().manual_seed(seed if seed is not None else sum(shape) * 7 + len(shape))
    return torch.randn(*shape, dtype=dtype, generator=g).requires_grad_(requires_grad)


def raises_same(fn_t, fn_k):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(Exception) as ek:
        fn_k()
    assert type(ek.value) is type(et.value), (et.value, ek.value)
    assert str(ek.value).startswith(str(et.value).splitlines()[0]), (et.value, ek.value)


# -- RNN / LSTM / GRU ----------------------------------------------------------------------
RNN_CASES = [
    ("RNN", (3, 4), {}),
    ("RNN", (3, 4, 2, "relu"), dict(bidirectional=True)),
    ("RNN", (3, 4), dict(nonlinearity="relu", bias=False, batch_first=True)),
    ("LSTM", (3, 4), {}),
    ("LSTM", (3, 4, 2), dict(bidirectional=True, batch_first=True)),
    ("LSTM", (3, 5), dict(proj_size=2, num_layers=2, bidirectional=True)),
    ("LSTM", (3, 4), dict(proj_size=3, bias=False)),
    ("GRU", (3, 4), {}),
    ("GRU", (3, 4, 3), dict(bidirectional=True, bias=False)),
    ("GRU", (3, 4), dict(batch_first=True)),
]


def _hidden_shapes(mode, tm, batch):
    dirs = 2 if tm.bidirectional else 1
    lead = (tm.num_layers * dirs,) + ((batch,) if batch else ())
    out = tm.proj_size if getattr(tm, "proj_size", 0) else tm.hidden_size
    if mode == "LSTM":
        return [lead + (out,), lead + (tm.hidden_size,)]
    return [lead + (tm.hidden_size,)]


@pytest.mark.parametrize("mode,args,kwargs", RNN_CASES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h0", [True, False])
def test_rnn_modules_match(mode, args, kwargs, dtype, batched, with_h0):
    tm, km = twin(getattr(torch.nn, mode), getattr(tk.nn, mode), *args, dtype=dtype, **kwargs)
    T, B = 4, 2
    if batched:
        shape = (B, T, 3) if tm.batch_first else (T, B, 3)
    else:
        shape = (T, 3)
    x = randn(*shape, dtype=dtype)
    h0 = None
    if with_h0:
        hs = [randn(*s, dtype=dtype, seed=i) for i, s in
              enumerate(_hidden_shapes(mode, tm, B if batched else 0))]
        h0 = tuple(hs) if mode == "LSTM" else hs[0]
    run_both(tm, km, [x, h0], dtype)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_rnn_eval_mode_ignores_dropout(mode):
    tm, km = twin(getattr(torch.nn, mode), getattr(tk.nn, mode), 3, 4, 3, dropout=0.5)
    tm.eval()
    km.eval()
    run_both(tm, km, [randn(5, 2, 3)])


@pytest.mark.parametrize("mode,kwargs", [("RNN", {}), ("LSTM", dict(proj_size=2)),
                                         ("GRU", {}), ("LSTM", {})])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequence_through_rnn(mode, kwargs, enforce_sorted):
    tm, km = twin(getattr(torch.nn, mode), getattr(tk.nn, mode), 3, 4, 2, bidirectional=True,
                  **kwargs)
    x = randn(5, 3, 3)
    kx = k_of(x, True)
    lengths = [5, 3, 2] if enforce_sorted else [2, 5, 3]
    tp = TU.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    kp = KU.pack_padded_sequence(kx, lengths, enforce_sorted=enforce_sorted)
    assert kp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    for a, b in ((tp.sorted_indices, kp.sorted_indices),
                 (tp.unsorted_indices, kp.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist()
    to, th = tm(tp)
    ko, kh = km(kp)
    tpad, tl = TU.pad_packed_sequence(to, batch_first=True, total_length=6)
    kpad, kl = KU.pad_packed_sequence(ko, batch_first=True, total_length=6)
    assert tl.tolist() == kl.tolist() and str(kl.dtype) == "torch.int64"
    outs_t, outs_k = [tpad] + flat(th), [kpad] + flat(kh)
    for a, b in zip(outs_t, outs_k):
        close(a, b)
    rng = np.random.default_rng(1)
    gs = [rng.standard_normal(tuple(a.shape)) for a in outs_t]
    sum((a * torch.tensor(g)).sum() for a, g in zip(outs_t, gs)).backward()
    sum((b * tk.tensor(g)).sum() for b, g in zip(outs_k, gs)).backward()
    close(x.grad, kx.grad)
    for (n, p), (_, q) in zip(tm.named_parameters(), km.named_parameters()):
        close(p.grad, q.grad)


@pytest.mark.parametrize("name,args,hx", [("RNNCell", (3, 4), 1),
                                          ("RNNCell", (3, 4, False, "relu"), 1),
                                          ("LSTMCell", (3, 4), 2), ("GRUCell", (3, 4), 1),
                                          ("GRUCell", (3, 4, False), 1)])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h0", [True, False])
def test_cells_match(name, args, hx, batched, with_h0):
    tm, km = twin(getattr(torch.nn, name), getattr(tk.nn, name), *args)
    lead = (2,) if batched else ()
    h0 = None
    if with_h0:
        hs = tuple(randn(*lead, 4, seed=i) for i in range(hx))
        h0 = hs if hx == 2 else hs[0]
    run_both(tm, km, [randn(*lead, 3), h0])


@pytest.mark.parametrize("mode,args,kwargs", RNN_CASES + [
    ("RNN", (3, 4), dict(num_layers=2, dropout=0.25)), ("RNNCell", (3, 4), {}),
    ("LSTMCell", (3, 4, False), {}), ("GRUCell", (3, 4), {})])
def test_rnn_structure_matches(mode, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, mode)(*args, **kwargs)
        km = getattr(tk.nn, mode)(*args, **kwargs)
    assert repr(km) == repr(tm)
    ts, ks = tm.state_dict(), km.state_dict()
    assert list(ks) == list(ts)
    for n in ts:
        assert tuple(ks[n].shape) == tuple(ts[n].shape)
        bound = 1 / math.sqrt(tm.hidden_size)
        assert float(ks[n].abs().max()) <= bound
    if hasattr(tm, "all_weights"):
        assert [[tuple(w.shape) for w in ws] for ws in km.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in tm.all_weights]
        assert km._flat_weights_names == tm._flat_weights_names


RNN_CTOR_ERRORS = [
    ("LSTM", (3, 4), dict(dropout=1.5)), ("LSTM", (3, 4), dict(dropout=True)),
    ("GRU", (3, 4), dict(bias=1)), ("GRU", (3, 4), dict(batch_first=None)),
    ("RNN", (3.0, 4), {}), ("RNN", (0, 4), {}), ("RNN", (3, 4.0), {}), ("RNN", (3, 0), {}),
    ("LSTM", (3, 4, 0), {}), ("LSTM", (3, 4), dict(proj_size=-1)),
    ("LSTM", (3, 4), dict(proj_size=4)), ("GRU", (3, 4), dict(proj_size=2)),
    ("RNN", (3, 4), dict(nonlinearity="gelu")), ("RNN", (3, 4), dict(proj_size=1)),
]


@pytest.mark.parametrize("mode,args,kwargs", RNN_CTOR_ERRORS)
def test_rnn_constructor_errors(mode, args, kwargs):
    raises_same(lambda: getattr(torch.nn, mode)(*args, **kwargs),
                lambda: getattr(tk.nn, mode)(*args, **kwargs))


def test_rnn_dropout_warning():
    for lib in (torch, tk):
        with pytest.warns(UserWarning, match="dropout option adds dropout after all but last "
                          "recurrent layer, so non-zero dropout expects num_layers greater "
                          r"than 1, but got dropout=0.5 and num_layers=1"):
            lib.nn.GRU(3, 4, dropout=0.5)


def _forward_error_cases():
    t = torch.float64
    return [
        ("RNN", {}, lambda: (randn(2, 3, 3, 1), None)),
        ("LSTM", {}, lambda: (randn(3), None)),
        ("GRU", {}, lambda: (randn(5, 2, 5), None)),
        ("RNN", {}, lambda: (randn(5, 2, 3), randn(1, 4))),
        ("RNN", {}, lambda: (randn(5, 3), randn(1, 2, 4))),
        ("GRU", {}, lambda: (randn(5, 2, 3), randn(1, 3, 4))),
        ("GRU", {}, lambda: (randn(5, 2, 3), randn(2, 2, 4))),
        ("LSTM", {}, lambda: (randn(5, 2, 3), (randn(1, 2, 4), randn(2, 4)))),
        ("LSTM", {}, lambda: (randn(5, 3), (randn(1, 1, 4), randn(1, 4)))),
        ("LSTM", {}, lambda: (randn(5, 2, 3), (randn(1, 3, 4), randn(1, 2, 4)))),
        ("LSTM", {}, lambda: (randn(5, 2, 3), (randn(1, 2, 4), randn(1, 2, 5)))),
        ("LSTM", dict(proj_size=2), lambda: (randn(5, 2, 3), (randn(1, 2, 4), randn(1, 2, 4)))),
        ("GRU", {}, lambda: (randn(5, 2, 3, dtype=torch.float32), None)),
        ("RNN", {}, lambda: (randn(0, 2, 3, dtype=t), None)),
        ("RNNCell", {}, lambda: (randn(2, 3, 1), None)),
        ("RNNCell", {}, lambda: (randn(2, 3), randn(2, 4, 1))),
        ("RNNCell", {}, lambda: (randn(2, 5), None)),
        ("GRUCell", {}, lambda: (randn(2, 3), randn(3, 4))),
        ("GRUCell", {}, lambda: (randn(2, 3), randn(2, 5))),
        ("GRUCell", {}, lambda: (randn(3), randn(2, 4))),
        ("LSTMCell", {}, lambda: (randn(2, 3), (randn(2, 4), randn(2, 4, 1)))),
        ("LSTMCell", {}, lambda: (randn(2, 3), (randn(2, 4), randn(2, 5)))),
        ("LSTMCell", {}, lambda: (randn(2, 3), (randn(3, 4), randn(2, 4)))),
    ]


@pytest.mark.parametrize("case", range(len(_forward_error_cases())))
def test_rnn_forward_errors(case):
    mode, kwargs, make = _forward_error_cases()[case]
    tm, km = twin(getattr(torch.nn, mode), getattr(tk.nn, mode), 3, 4, **kwargs)
    x, h = make()
    kx = k_of(x)
    kh = None if h is None else tuple(map(k_of, h)) if isinstance(h, tuple) else k_of(h)
    raises_same(lambda: tm(x, h), lambda: km(kx, kh))


def test_rnn_cell_unknown_nonlinearity():
    tm, km = twin(torch.nn.RNNCell, tk.nn.RNNCell, 3, 4)
    tm.nonlinearity = km.nonlinearity = "gelu"
    raises_same(lambda: tm(randn(2, 3)), lambda: km(k_of(randn(2, 3))))


# -- nn.utils.rnn --------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches(batch_first, padding_side):
    seqs = [randn(n, 2, seed=n) for n in (3, 1, 4)]
    kseqs = [k_of(s, True) for s in seqs]
    a = TU.pad_sequence(seqs, batch_first, -1.5, padding_side)
    b = KU.pad_sequence(kseqs, batch_first, -1.5, padding_side)
    close(a, b)
    g = randn(*a.shape, requires_grad=False)
    a.backward(g)
    b.backward(k_of(g))
    for s, k in zip(seqs, kseqs):
        close(s.grad, k.grad)


def test_pack_sequence_roundtrip_matches():
    seqs = [randn(n, 2, seed=n) for n in (2, 4, 1)]
    tp = TU.pack_sequence(seqs, enforce_sorted=False)
    kp = KU.pack_sequence([k_of(s) for s in seqs], enforce_sorted=False)
    close(tp.data, kp.data)
    assert kp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    for a, b in zip(TU.unpack_sequence(tp), KU.unpack_sequence(kp)):
        close(a, b)
    assert isinstance(kp, tuple) and kp._fields == tp._fields
    assert kp.double() is kp and kp.float().data.dtype == tk.float32


@pytest.mark.parametrize("make", [
    lambda lib, x: lib.pack_padded_sequence(x, [4, 2]),
    lambda lib, x: lib.pack_padded_sequence(x, [4, 2, 0]),
    lambda lib, x: lib.pack_padded_sequence(x, [2, 4, 1]),
    lambda lib, x: lib.pad_sequence([]),
    lambda lib, x: lib.pad_sequence(5),
    lambda lib, x: lib.pad_sequence([x[0]], padding_side="middle"),
    lambda lib, x: lib.pad_packed_sequence(lib.pack_padded_sequence(x, [4, 2, 1]),
                                           total_length=2),
])
def test_rnn_utils_errors(make):
    x = randn(4, 3, 2)
    raises_same(lambda: make(TU, x), lambda: make(KU, k_of(x)))


# -- attention -----------------------------------------------------------------------------
def _bool_mask(shape, seed=0):
    m = torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) > 0.4
    m[..., 1, :] = False            # one query row sees nothing
    return m


SDPA_CASES = [
    dict(), dict(is_causal=True), dict(scale=0.25), dict(attn_mask="bool"),
    dict(attn_mask="float"), dict(attn_mask="float-inf"), dict(attn_mask="bool4d"),
]


@pytest.mark.parametrize("kw", SDPA_CASES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_sdpa_matches(kw, dtype):
    q, k, v = randn(2, 3, 4, 8, dtype=dtype), randn(2, 3, 5, 8, dtype=dtype), \
        randn(2, 3, 5, 6, dtype=dtype)
    kw = dict(kw)
    mask = kw.pop("attn_mask", None)
    if mask == "bool":
        kw["attn_mask"] = _bool_mask((4, 5))
    elif mask == "bool4d":
        kw["attn_mask"] = _bool_mask((2, 1, 4, 5))
    elif mask is not None:
        m = randn(4, 5, dtype=dtype, requires_grad=False)
        if mask == "float-inf":
            m = m.masked_fill(_bool_mask((4, 5)), float("-inf"))
        kw["attn_mask"] = m
    ins = [q, k, v]
    kins = [k_of(t, True) for t in ins]
    kkw = {n: k_of(val) if isinstance(val, torch.Tensor) else val for n, val in kw.items()}
    a = TF.scaled_dot_product_attention(*ins, **kw)
    b = KF.scaled_dot_product_attention(*kins, **kkw)
    close(a, b, dtype)
    g = randn(*a.shape, dtype=dtype, requires_grad=False)
    a.backward(g)
    b.backward(k_of(g))
    for t, kt in zip(ins, kins):
        close(t.grad, kt.grad, dtype)


def test_sdpa_gqa_and_broadcast():
    q, k, v = randn(2, 4, 3, 8), randn(2, 2, 5, 8), randn(2, 2, 5, 8)
    a = TF.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    b = KF.scaled_dot_product_attention(k_of(q), k_of(k), k_of(v), enable_gqa=True)
    close(a, b)
    a = TF.scaled_dot_product_attention(q[0, 0], k[0, 0], v[0, 0])
    b = KF.scaled_dot_product_attention(k_of(q[0, 0]), k_of(k[0, 0]), k_of(v[0, 0]))
    close(a, b)


@pytest.mark.parametrize("make", [
    lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=(q[0, 0] > 0)[:, :5],
                                                      is_causal=True),
    lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=(q[0, 0] > 0).long()),
    lambda F, q, k, v: F.scaled_dot_product_attention(q.float(), k.float(), v.float(),
                                                      attn_mask=q[0, 0, :, :4]),
    lambda F, q, k, v: F.scaled_dot_product_attention(q, k.float(), v),
    lambda F, q, k, v: F.scaled_dot_product_attention(q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]),
    lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=1.5),
])
def test_sdpa_errors(make):
    q, k, v = randn(1, 2, 4, 8), randn(1, 2, 4, 8), randn(1, 2, 4, 8)
    raises_same(lambda: make(TF, q, k, v), lambda: make(KF, k_of(q), k_of(k), k_of(v)))


MHA_CASES = [dict(), dict(kdim=3, vdim=5), dict(add_bias_kv=True, add_zero_attn=True),
             dict(batch_first=True, bias=False), dict(add_zero_attn=True, batch_first=True)]
MHA_CALLS = [dict(), dict(need_weights=False), dict(average_attn_weights=False, kpm=True),
             dict(attn_mask="float", need_weights=False), dict(attn_mask="bool", kpm=True),
             dict(attn_mask="3d"), dict(attn_mask="causal", is_causal=True, need_weights=False)]


@pytest.mark.parametrize("ctor", MHA_CASES)
@pytest.mark.parametrize("call", MHA_CALLS)
@pytest.mark.parametrize("train", [True, False])
def test_multihead_attention_matches(ctor, call, train):
    tm, km = twin(torch.nn.MultiheadAttention, tk.nn.MultiheadAttention, 4, 2, **ctor)
    tm.train(train)
    km.train(train)
    call = dict(call)
    mask = call.get("attn_mask")
    # self-attention shares one tensor, exercising PyTorch's packed projection paths
    self_attention = ctor.get("kdim") is None and mask != "3d"
    L, N = 3, 2
    S = L if self_attention or mask == "causal" else 5
    bf = ctor.get("batch_first", False)

    def seq(n, e, seed):
        return randn(*((N, n, e) if bf else (n, N, e)), seed=seed)

    q, k, v = seq(L, 4, 1), seq(S, ctor.get("kdim", 4), 2), seq(S, ctor.get("vdim", 4), 3)
    if self_attention:
        k = v = q
    kw = {n: call[n] for n in ("need_weights", "average_attn_weights", "is_causal")
          if n in call}
    if call.get("kpm"):
        pm = torch.zeros(N, S, dtype=torch.bool)
        pm[0, -2:] = True
        kw["key_padding_mask"] = pm
    if mask == "float":
        kw["attn_mask"] = randn(L, S, requires_grad=False)
    elif mask == "bool":
        kw["attn_mask"] = torch.tensor([[False, True, False, False, True][:S]] * L)
    elif mask == "3d":
        kw["attn_mask"] = randn(N * 2, L, S, requires_grad=False)
    elif mask == "causal":
        kw["attn_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(S, dtype=q.dtype)
    kw = {n: k_of(val) if isinstance(val, torch.Tensor) else val for n, val in kw.items()}
    tkw = {n: torch.tensor(val.numpy()) if isinstance(val, tk.Tensor) else val
           for n, val in kw.items()}
    mirror = {}
    kq, kk, kv = (mirror.setdefault(id(t), k_of(t, True)) for t in (q, k, v))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to, ko = tm(q, k, v, **tkw), km(kq, kk, kv, **kw)
    for a, b in zip(flat(to), flat(ko)):
        close(a, b)
    assert (to[1] is None) == (ko[1] is None)
    g = randn(*to[0].shape, requires_grad=False)
    to[0].backward(g)
    ko[0].backward(k_of(g))
    for t, kt in ((q, kq), (k, kk), (v, kv)):
        close(t.grad, kt.grad)
    for (n, p), (_, kp) in zip(tm.named_parameters(), km.named_parameters()):
        assert (p.grad is None) == (kp.grad is None), n
        if p.grad is not None:
            close(p.grad, kp.grad)


def test_multihead_attention_grads_and_unbatched():
    tm, km = twin(torch.nn.MultiheadAttention, tk.nn.MultiheadAttention, 4, 2, kdim=3,
                  add_bias_kv=True)
    pm = torch.tensor([False, False, True, False, False])
    run_both(tm, km, [randn(3, 4), randn(5, 3), randn(5, 4)],
             key_padding_mask=None)
    tm.zero_grad()
    km.zero_grad()
    q, k, v = randn(3, 4), randn(5, 3), randn(5, 4)
    kq, kk, kv = (k_of(t, True) for t in (q, k, v))
    to = tm(q, k, v, key_padding_mask=pm)[0]
    ko = km(kq, kk, kv, key_padding_mask=k_of(pm))[0]
    close(to, ko)
    to.sum().backward()
    ko.sum().backward()
    for t, kt in ((q, kq), (k, kk), (v, kv)):
        close(t.grad, kt.grad)
    for (n, p), (_, kp) in zip(tm.named_parameters(), km.named_parameters()):
        close(p.grad, kp.grad)


@pytest.mark.parametrize("ctor", MHA_CASES[:3])
def test_multihead_attention_structure(ctor):
    torch.manual_seed(0)
    tk.manual_seed(0)
    tm = torch.nn.MultiheadAttention(4, 2, **ctor)
    km = tk.nn.MultiheadAttention(4, 2, **ctor)
    assert repr(km) == repr(tm)
    assert list(km.state_dict()) == list(tm.state_dict())
    for (n, p), (_, kp) in zip(tm.named_parameters(), km.named_parameters()):
        assert tuple(kp.shape) == tuple(p.shape)
        if n.endswith("bias") and "proj" in n:
            assert float(kp.abs().max()) == 0.0


@pytest.mark.parametrize("make", [
    lambda nn: nn.MultiheadAttention(0, 2),
    lambda nn: nn.MultiheadAttention(5, 2),
])
def test_multihead_attention_ctor_errors(make):
    raises_same(lambda: make(torch.nn), lambda: make(tk.nn))


@pytest.mark.parametrize("make", [
    lambda m, q, mk: m(q, q[:, :, :3], q),
    lambda m, q, mk: m(q, q, q[0]),
    lambda m, q, mk: m(q[0, 0], q[0, 0], q[0, 0]),
    lambda m, q, mk: m(q, q, q, attn_mask=mk(q.new_zeros(2, 2))),
    lambda m, q, mk: m(q, q, q, attn_mask=mk(q.new_zeros(5, 3, 3))),
    lambda m, q, mk: m(q, q, q, attn_mask=mk(q.new_zeros(3, 3).long())),
    lambda m, q, mk: m(q, q, q, key_padding_mask=mk(q.new_zeros(2, 4).bool())),
    lambda m, q, mk: m(q, q, q, key_padding_mask=mk(q.new_zeros(3, 3).bool())),
    lambda m, q, mk: m(q, q, q, is_causal=True),
    lambda m, q, mk: m(q, q, q, attn_mask=mk(q.new_zeros(1, 3, 3, 1))),
    lambda m, q, mk: m(q[:, :, :3], q[:, :, :3], q[:, :, :3]),
])
def test_multihead_attention_forward_errors(make):
    tm, km = twin(torch.nn.MultiheadAttention, tk.nn.MultiheadAttention, 4, 2)
    q = randn(3, 2, 4, requires_grad=False)
    raises_same(lambda: make(tm, q, lambda t: t),
                lambda: make(km, k_of(q), lambda t: k_of(t)))


# -- transformer ---------------------------------------------------------------------------
LAYER_KW = [dict(dropout=0.0), dict(dropout=0.0, norm_first=True, activation="gelu"),
            dict(dropout=0.0, batch_first=True, bias=False),
            dict(dropout=0.0, activation=TF.gelu)]


def _kw_for(kw, lib):
    if kw.get("activation") is TF.gelu:
        return dict(kw, activation=lib.nn.functional.gelu)
    return kw


def _twin_layer(name, *args, **kw):
    tm = getattr(torch.nn, name)(*args, **_kw_for(kw, torch)).double()
    km = getattr(tk.nn, name)(*args, **_kw_for(kw, tk)).double()
    km.load_state_dict({n: k_of(v) for n, v in tm.state_dict().items()})
    return tm, km


@pytest.mark.parametrize("kw", LAYER_KW)
@pytest.mark.parametrize("masks", ["none", "causal", "padding"])
@pytest.mark.parametrize("train", [True, False])
def test_transformer_layers_match(kw, masks, train):
    bf = kw.get("batch_first", False)
    T, S, N = 3, 4, 2
    shape = (lambda n: (N, n, 4)) if bf else (lambda n: (n, N, 4))
    for name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        tm, km = _twin_layer(name, 4, 2, 8, **kw)
        tm.train(train)
        km.train(train)
        x, mem = randn(*shape(T)), randn(*shape(S))
        call = {}
        if masks == "causal":
            m = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
            call = dict(src_mask=m, is_causal=True) if name.startswith("TransformerEnc") \
                else dict(tgt_mask=m, tgt_is_causal=True)
        elif masks == "padding":
            pm = torch.zeros(N, T, dtype=torch.bool)
            pm[1, -1] = True
            mpm = torch.zeros(N, S, dtype=torch.bool)
            mpm[0, -2:] = True
            call = dict(src_key_padding_mask=pm) if name.startswith("TransformerEnc") \
                else dict(tgt_key_padding_mask=pm, memory_key_padding_mask=mpm)
        kcall = {n: k_of(v) if isinstance(v, torch.Tensor) else v for n, v in call.items()}
        inputs = [x] if name.startswith("TransformerEnc") else [x, mem]
        kins = [k_of(t, True) for t in inputs]
        a, b = tm(*inputs, **call), km(*kins, **kcall)
        close(a, b)
        g = randn(*a.shape, requires_grad=False)
        a.backward(g)
        b.backward(k_of(g))
        for t, kt in zip(inputs, kins):
            close(t.grad, kt.grad)
        for (n, p), (_, q) in zip(tm.named_parameters(), km.named_parameters()):
            close(p.grad, q.grad)


@pytest.mark.parametrize("kw", [dict(dropout=0.0), dict(dropout=0.0, batch_first=True,
                                                        norm_first=True)])
def test_transformer_matches(kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm, km = _twin_layer("Transformer", 4, 2, 2, 2, 8, **kw)
    bf = kw.get("batch_first", False)
    src = randn(*((2, 5, 4) if bf else (5, 2, 4)))
    tgt = randn(*((2, 3, 4) if bf else (3, 2, 4)))
    pm = torch.zeros(2, 5, dtype=torch.bool)
    pm[1, -2:] = True
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(3)
    kmask = tk.nn.Transformer.generate_square_subsequent_mask(3)
    close(tmask, kmask, torch.float32)
    ks, kt = k_of(src, True), k_of(tgt, True)
    a = tm(src, tgt, tgt_mask=tmask.double(), src_key_padding_mask=pm,
           memory_key_padding_mask=pm)
    b = km(ks, kt, tgt_mask=kmask.double(), src_key_padding_mask=k_of(pm),
           memory_key_padding_mask=k_of(pm))
    close(a, b)
    a.sum().backward()
    b.sum().backward()
    close(src.grad, ks.grad)
    close(tgt.grad, kt.grad)
    assert repr(km) == repr(tm)


def test_transformer_default_structure_and_init():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Transformer(8, 2, 1, 1, 16)
        km = tk.nn.Transformer(8, 2, 1, 1, 16)
    assert repr(km) == repr(tm)
    ts, ks = tm.state_dict(), km.state_dict()
    assert list(ks) == list(ts)
    for n, p in ts.items():
        assert tuple(ks[n].shape) == tuple(p.shape)
        if p.dim() > 1:         # xavier_uniform_ bound
            bound = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert float(ks[n].abs().max()) <= bound


@pytest.mark.parametrize("bf", [False, True])
def test_encoder_eval_padding_outputs(bf):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tl = torch.nn.TransformerEncoderLayer(4, 2, 8, batch_first=bf)
        kl = tk.nn.TransformerEncoderLayer(4, 2, 8, batch_first=bf)
        te = torch.nn.TransformerEncoder(tl, 2).eval()
        ke = tk.nn.TransformerEncoder(kl, 2).eval()
    ke.load_state_dict({n: k_of(v) for n, v in te.state_dict().items()})
    src = randn(*((2, 5, 4) if bf else (5, 2, 4)), dtype=torch.float32, requires_grad=False)
    pm = torch.zeros(2, 5, dtype=torch.bool)
    pm[1, -2:] = True
    with torch.no_grad():
        a = te(src, src_key_padding_mask=pm)
    with tk.no_grad():
        b = ke(k_of(src), src_key_padding_mask=k_of(pm))
    close(a, b, torch.float32)


def test_encoder_nested_tensor_warning():
    for lib in (torch, tk):
        layer = lib.nn.TransformerEncoderLayer(4, 2, 8)
        with pytest.warns(UserWarning) as rec:
            enc = lib.nn.TransformerEncoder(layer, 1)
        assert str(rec[0].message) == (
            "enable_nested_tensor is True, but self.use_nested_tensor is False because "
            "encoder_layer.self_attn.batch_first was not True(use batch_first for better "
            "inference performance)")
        assert enc.use_nested_tensor is False


@pytest.mark.parametrize("make", [
    lambda nn, x: nn.TransformerEncoderLayer(4, 2, activation="tanh"),
    lambda nn, x: nn.Transformer(4, 2, 1, 1, 8)(x, x[:, :1]),
    lambda nn, x: nn.Transformer(4, 2, 1, 1, 8)(x, x[..., :2]),
])
def test_transformer_errors(make):
    x = randn(3, 2, 4, requires_grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_same(lambda: make(torch.nn, x), lambda: make(tk.nn, k_of(x)))
