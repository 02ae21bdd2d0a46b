"""Behaviour of the recurrent / attention / transformer layers without PyTorch: the cells and
layers against numpy implementations of their equations (hypothesis), packing against a
numpy model of the packed layout, attention against a numpy softmax, gradchecks through the
composites, and dropout / mode handling."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor
import tensor.nn as nn
import tensor.nn.functional as F
from tensor.nn import rnn_utils as U

EX = settings(max_examples=15, deadline=None)


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_of(t):
    return t.detach().numpy()


def seeded(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


# -- numpy references ----------------------------------------------------------------------
def np_step(mode, x, h, c, w):
    """One step of each cell, written from the textbook equations."""
    w_ih, w_hh, b_ih, b_hh = w
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        return sig(o) * np.tanh(c), c
    if mode == "GRU":
        ir, iz, in_ = np.split(gi, 3, axis=1)
        hr, hz, hn = np.split(gh, 3, axis=1)
        r, z = sig(ir + hr), sig(iz + hz)
        n = np.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)), None


def np_rnn(module, x, mode):
    """Multi-layer (bi)directional recurrence over a (T, B, F) array, zero initial state."""
    dirs = 2 if module.bidirectional else 1
    T, B, _ = x.shape
    H = module.hidden_size
    finals = []
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"l{layer}" + ("_reverse" if d else "")
            w = [np_of(getattr(module, f"{n}_{sfx}")) for n in
                 ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h, c = np.zeros((B, H)), np.zeros((B, H))
            seq = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                h, c = np_step(mode, x[t], h, c, w)
                seq[t] = h
            outs.append(np.stack(seq))
            finals.append(h)
        x = np.concatenate(outs, axis=-1)
    return x, np.stack(finals)


@EX
@given(mode=st.sampled_from(["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]),
       T=st.integers(1, 4), B=st.integers(1, 3), layers=st.integers(1, 2),
       bidirectional=st.booleans(), seed=st.integers(0, 10_000))
def test_rnn_matches_numpy_equations(mode, T, B, layers, bidirectional, seed):
    tensor.manual_seed(seed)
    cls = {"LSTM": nn.LSTM, "GRU": nn.GRU}.get(mode)
    if cls is None:
        m = nn.RNN(3, 4, layers, "tanh" if mode == "RNN_TANH" else "relu",
                   bidirectional=bidirectional)
    else:
        m = cls(3, 4, layers, bidirectional=bidirectional)
    m = m.double()
    x = seeded(seed, T, B, 3)
    out, hn = m(tensor.tensor(x))
    ref_out, ref_h = np_rnn(m, x, mode)
    np.testing.assert_allclose(np_of(out), ref_out, rtol=1e-10, atol=1e-12)
    h = hn[0] if mode == "LSTM" else hn
    np.testing.assert_allclose(np_of(h), ref_h, rtol=1e-10, atol=1e-12)


@EX
@given(name=st.sampled_from(["RNNCell", "LSTMCell", "GRUCell"]), B=st.integers(1, 3),
       seed=st.integers(0, 10_000))
def test_cells_match_numpy_equations(name, B, seed):
    tensor.manual_seed(seed)
    cell = getattr(nn, name)(3, 4).double()
    x, h, c = seeded(seed, B, 3), seeded(seed + 1, B, 4), seeded(seed + 2, B, 4)
    w = [np_of(getattr(cell, n)) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    mode = {"RNNCell": "RNN_TANH", "LSTMCell": "LSTM", "GRUCell": "GRU"}[name]
    ref_h, ref_c = np_step(mode, x, h, c, w)
    if name == "LSTMCell":
        got_h, got_c = cell(tensor.tensor(x), (tensor.tensor(h), tensor.tensor(c)))
        np.testing.assert_allclose(np_of(got_c), ref_c, rtol=1e-12)
    else:
        got_h = cell(tensor.tensor(x), tensor.tensor(h))
    np.testing.assert_allclose(np_of(got_h), ref_h, rtol=1e-12, atol=1e-14)


def test_lstm_projection_shapes():
    m = nn.LSTM(3, 5, 2, proj_size=2, bidirectional=True)
    out, (h, c) = m(tensor.randn(4, 2, 3))
    assert tuple(out.shape) == (4, 2, 4)
    assert tuple(h.shape) == (4, 2, 2) and tuple(c.shape) == (4, 2, 5)
    assert tuple(m.weight_hr_l1_reverse.shape) == (2, 5)
    assert tuple(m.weight_ih_l1.shape) == (20, 4)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_rnn_gradcheck(mode):
    tensor.manual_seed(0)
    kw = {"proj_size": 2} if mode == "LSTM" else {}
    m = getattr(nn, mode)(2, 3, 2, bidirectional=True, **kw).double()
    x = tensor.randn(3, 2, 2, dtype=tensor.float64, requires_grad=True)
    params = list(m.parameters())[:3]

    def f(x, *ps):
        return m(x)[0]

    assert tensor.autograd.gradcheck(f, (x, *params))


def test_dropout_between_layers_only_in_training():
    tensor.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # num_layers > 1: no warning
        m = nn.GRU(3, 4, 2, dropout=1.0).double()
    x = tensor.randn(5, 2, 3, dtype=tensor.float64)
    ref = nn.GRU(4, 4, 1).double()
    # with every first-layer output dropped, layer two sees zeros
    ref.load_state_dict({k.replace("l1", "l0"): v for k, v in m.state_dict().items()
                         if "l1" in k})
    out_train, _ = m(x)
    zeros = tensor.zeros(5, 2, 4, dtype=tensor.float64)
    np.testing.assert_allclose(np_of(out_train), np_of(ref(zeros)[0]))
    m.eval()
    np.testing.assert_allclose(np_of(m(x)[0]), np_rnn(m, np_of(x), "GRU")[0], rtol=1e-10)


def test_rnn_cast_and_pickle_keep_weights_in_use():
    tensor.manual_seed(0)
    m = nn.LSTM(3, 4)
    m.double()
    assert all(w.dtype == tensor.float64 for w in m._flat_weights)
    x = tensor.randn(2, 1, 3, dtype=tensor.float64)
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(np_of(m2(x)[0]), np_of(m(x)[0]))
    m3 = copy.deepcopy(m)
    with tensor.no_grad():
        m3.weight_ih_l0.zero_()
    assert not np.array_equal(np_of(m3(x)[0]), np_of(m(x)[0]))


# -- packing -------------------------------------------------------------------------------
@EX
@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4),
       batch_first=st.booleans(), seed=st.integers(0, 1000))
def test_pack_pad_roundtrip(lengths, batch_first, seed):
    T, B = max(lengths), len(lengths)
    x = seeded(seed, T, B, 2)
    padded = x.transpose(1, 0, 2) if batch_first else x
    p = U.pack_padded_sequence(tensor.tensor(padded), lengths, batch_first=batch_first,
                               enforce_sorted=False)
    order = sorted(range(B), key=lambda b: -lengths[b])
    expect = [x[t, b] for t in range(T) for b in order if lengths[b] > t]
    np.testing.assert_array_equal(np_of(p.data), np.array(expect))
    assert p.batch_sizes.tolist() == [sum(n > t for n in lengths) for t in range(T)]
    out, lens = U.pad_packed_sequence(p, batch_first=batch_first, padding_value=-7.0)
    assert lens.tolist() == lengths
    got = np_of(out)
    if batch_first:
        got = got.transpose(1, 0, 2)
    mask = np.arange(T)[:, None] < np.array(lengths)[None, :]
    np.testing.assert_array_equal(got[mask], x[mask])
    assert (got[~mask] == -7.0).all()


def test_packed_rnn_matches_per_sequence_runs():
    tensor.manual_seed(0)
    m = nn.LSTM(2, 3, bidirectional=True).double()
    seqs = [tensor.randn(n, 2, dtype=tensor.float64) for n in (2, 4, 3)]
    out, (h, _) = m(U.pack_sequence(seqs, enforce_sorted=False))
    padded, _ = U.pad_packed_sequence(out)
    for b, s in enumerate(seqs):
        o, (hb, _) = m(s)
        np.testing.assert_allclose(np_of(padded[:len(s), b]), np_of(o), rtol=1e-12)
        np.testing.assert_allclose(np_of(h[:, b]), np_of(hb), rtol=1e-12)


def test_pad_sequence_dtype_and_values():
    a = tensor.tensor([[1.0, 2.0]] * 3)
    b = tensor.tensor([[5, 6]])
    out = U.pad_sequence([a, b], batch_first=True, padding_side="left")
    assert out.dtype == tensor.float32
    np.testing.assert_array_equal(np_of(out[1]), [[0, 0], [0, 0], [5, 6]])


# -- attention -----------------------------------------------------------------------------
def np_attention(q, k, v, bias):
    s = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1]) + bias
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return (e / e.sum(-1, keepdims=True)) @ v


@EX
@given(L=st.integers(1, 4), S=st.integers(1, 4), seed=st.integers(0, 1000),
       causal=st.booleans())
def test_sdpa_matches_numpy(L, S, seed, causal):
    q, k, v = seeded(seed, 2, L, 3), seeded(seed + 1, 2, S, 3), seeded(seed + 2, 2, S, 2)
    bias = np.where(np.tril(np.ones((L, S))) > 0, 0.0, -np.inf) if causal else 0.0
    got = F.scaled_dot_product_attention(tensor.tensor(q), tensor.tensor(k), tensor.tensor(v),
                                         is_causal=causal)
    np.testing.assert_allclose(np_of(got), np_attention(q, k, v, bias), rtol=1e-10)


def test_sdpa_fully_masked_row_is_zero_with_zero_grad():
    q = tensor.randn(3, 4, dtype=tensor.float64, requires_grad=True)
    k = tensor.randn(5, 4, dtype=tensor.float64, requires_grad=True)
    v = tensor.randn(5, 2, dtype=tensor.float64)
    mask = tensor.ones(3, 5, dtype=tensor.bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert (np_of(out[1]) == 0).all() and np.isfinite(np_of(out)).all()
    out.sum().backward()
    assert (np_of(q.grad[1]) == 0).all() and np.isfinite(np_of(k.grad)).all()


def test_mha_weights_are_distributions():
    tensor.manual_seed(0)
    m = nn.MultiheadAttention(4, 2)
    x = tensor.randn(3, 2, 4)
    out, w = m(x, x, x)
    assert tuple(out.shape) == (3, 2, 4) and tuple(w.shape) == (2, 3, 3)
    np.testing.assert_allclose(np_of(w.sum(-1)), 1.0, rtol=1e-6)
    _, w_heads = m(x, x, x, average_attn_weights=False)
    assert tuple(w_heads.shape) == (2, 2, 3, 3)
    np.testing.assert_allclose(np_of(w_heads.mean(1)), np_of(w), rtol=1e-6)
    pad = tensor.tensor([[False, False, True], [False, False, False]])
    _, w = m(x, x, x, key_padding_mask=pad)
    assert (np_of(w[0, :, 2]) == 0).all()


def test_mha_gradcheck():
    tensor.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2, add_bias_kv=True).double()
    q = tensor.randn(2, 1, 4, dtype=tensor.float64, requires_grad=True)
    k = tensor.randn(3, 1, 3, dtype=tensor.float64, requires_grad=True)
    v = tensor.randn(3, 1, 2, dtype=tensor.float64, requires_grad=True)
    assert tensor.autograd.gradcheck(lambda q, k, v: m(q, k, v)[0], (q, k, v))


# -- transformer ---------------------------------------------------------------------------
def test_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == tensor.float32
    expect = np.array([[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    np.testing.assert_array_equal(np_of(m), expect)


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(4, 2, 8, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    ws = [lyr.linear1.weight for lyr in enc.layers]
    assert ws[0] is not ws[1] and ws[0] is not layer.linear1.weight
    np.testing.assert_array_equal(np_of(ws[0]), np_of(ws[1]))
    assert enc.use_nested_tensor is False


def test_causal_mask_is_detected_and_equivalent():
    tensor.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0).double()
    enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
    x = tensor.randn(5, 2, 4, dtype=tensor.float64)
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=tensor.float64)
    a = enc(x, mask=mask)
    b = enc.layers[0](x, src_mask=mask, is_causal=False)
    np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-12)


def test_transformer_activation_choices():
    for act, flag in (("relu", 1), ("gelu", 2), (F.gelu, 2), (nn.ReLU(), 1), (F.silu, 0)):
        layer = nn.TransformerEncoderLayer(4, 2, 8, activation=act)
        assert layer.activation_relu_or_gelu == flag
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    layer = nn.TransformerDecoderLayer(4, 2, 8, activation=nn.GELU())
    assert "activation" in dict(layer.named_children())
