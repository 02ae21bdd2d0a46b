"""Recurrent layers of ``tensor.nn``: ``RNN`` (tanh / relu), ``LSTM`` (with ``proj_size``),
``GRU`` and the single-step ``RNNCell``, ``LSTMCell``, ``GRUCell``.

Everything is composed of ordinary ops (``linear``, ``chunk``, ``sigmoid``, ``tanh``, ``stack``,
``cat``), following the steps of PyTorch's CPU implementation, so autograd needs nothing
special: for each layer and direction the input projection ``x @ W_ih.T + b_ih`` is computed
once for the whole sequence, then the cell runs step by step adding ``h @ W_hh.T + b_hh``.
The reverse direction walks the steps backwards and its outputs are put back in time order
before both directions are concatenated on the feature dim. Between layers (not after the
last) dropout is applied in training mode.

A ``PackedSequence`` input is walked the same way, with the batch shrinking as sequences end:
the final hidden state of a finished sequence is kept aside when it leaves the batch (forward
direction), and the reverse direction starts from the shortest batch and grows it with the
initial states of the sequences that join.

Parameter names, shapes, initialisation (all U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))),
``state_dict`` keys, ``extra_repr`` and argument errors are PyTorch's.
"""

from __future__ import annotations

import math
import numbers
import warnings

from .. import _tensor as T
from .. import nn_functional as F
from ..opdefs import factories
from ..opdefs.shape import cat, stack
from . import init
from .module import Module, Parameter
from .rnn_utils import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# -- the computation -----------------------------------------------------------------------
def _step(mode, x_proj, hidden, w_hh, b_hh, w_hr):
    """One time step. ``x_proj`` is the input already projected by ``W_ih`` (with ``b_ih``);
    ``hidden`` is ``(h,)`` or, for the LSTM, ``(h, c)``. Returns the new hidden tuple."""
    h = hidden[0]
    h_proj = F.linear(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (h_proj + x_proj).chunk(4, 1)
        c = f.sigmoid() * hidden[1] + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        if w_hr is not None:
            h = h.matmul(w_hr.t())
        return (h, c)
    if mode == "GRU":
        x_r, x_z, x_n = x_proj.chunk(3, 1)
        h_r, h_z, h_n = h_proj.chunk(3, 1)
        reset = (h_r + x_r).sigmoid()
        update = (h_z + x_z).sigmoid()
        new = (x_n + h_n * reset).tanh()
        return ((h - new) * update + new,)
    pre = h_proj + x_proj
    return (pre.tanh() if mode == "RNN_TANH" else pre.relu(),)


def _narrow(hidden, start, stop):
    return tuple(t[start:stop] for t in hidden)


def _join(parts):
    return tuple(cat(list(ts), 0) for ts in zip(*parts))


def _run_padded(mode, x_proj, hidden, w, reverse):
    """One direction over a ``(T, B, G)`` projected input; outputs in time order."""
    steps = x_proj.unbind(0)
    if not steps:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    outputs = []
    for x in (reversed(steps) if reverse else steps):
        hidden = _step(mode, x, hidden, *w)
        outputs.append(hidden[0])
    if reverse:
        outputs.reverse()
    return stack(outputs, 0), hidden


def _run_packed(mode, x_proj, sizes, hidden, w, reverse):
    """One direction over packed rows ``(N, G)`` with per-step batch sizes ``sizes``."""
    outputs = []
    if not reverse:
        done, offset, last = [], 0, sizes[0]
        for n in sizes:
            if n < last:                         # sequences n..last-1 have ended
                done.append(_narrow(hidden, n, last))
                hidden = _narrow(hidden, 0, n)
            last = n
            hidden = _step(mode, x_proj[offset:offset + n], hidden, *w)
            offset += n
            outputs.append(hidden[0])
        done.append(hidden)
        final = _join(reversed(done))
        return cat(outputs, 0), final
    initial, offset, last = hidden, x_proj.shape[0], sizes[-1]
    hidden = _narrow(initial, 0, last)
    for n in reversed(sizes):
        if n > last:                             # sequences last..n-1 join here
            hidden = _join([hidden, _narrow(initial, last, n)])
        last = n
        hidden = _step(mode, x_proj[offset - n:offset], hidden, *w)
        offset -= n
        outputs.append(hidden[0])
    outputs.reverse()
    return cat(outputs, 0), hidden


def _rnn(mode, input, hx, weights, has_biases, num_layers, dropout, train, bidirectional,
         batch_first, batch_sizes=None, proj=False):
    """The multi-layer recurrence (PyTorch's ``_VF.rnn_tanh`` / ``lstm`` / ``gru``).

    ``hx`` is a tuple of ``(layers*directions, B, H)`` tensors (two for the LSTM);
    ``weights`` lists per layer and direction ``w_ih, w_hh[, b_ih, b_hh][, w_hr]``. Returns
    the output and the tuple of final states."""
    if batch_sizes is None and batch_first:
        input = input.transpose(0, 1)
    dirs = 2 if bidirectional else 1
    per = 2 + (2 if has_biases else 0) + (1 if proj else 0)
    initial = [t.unbind(0) for t in hx]
    finals = []
    layer_input = input
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            idx = layer * dirs + d
            w_ih, w_hh, *rest = weights[idx * per:(idx + 1) * per]
            b_ih, b_hh = (rest[0], rest[1]) if has_biases else (None, None)
            w = (w_hh, b_hh, rest[-1] if proj else None)
            h0 = tuple(s[idx] for s in initial)
            x_proj = F.linear(layer_input, w_ih, b_ih)
            if batch_sizes is None:
                out, fin = _run_padded(mode, x_proj, h0, w, d == 1)
            else:
                out, fin = _run_packed(mode, x_proj, batch_sizes, h0, w, d == 1)
            outs.append(out)
            finals.append(fin)
        layer_input = outs[0] if dirs == 1 else cat(outs, outs[0].dim() - 1)
        if dropout != 0 and train and layer < num_layers - 1:
            layer_input = F.dropout(layer_input, dropout, True)
    output = layer_input
    if batch_sizes is None and batch_first:
        output = output.transpose(0, 1)
    return output, tuple(stack([f[k] for f in finals], 0) for k in range(len(hx)))


# -- the multi-layer modules ---------------------------------------------------------------
class RNNBase(Module):
    """Shared by ``RNN``, ``LSTM`` and ``GRU``: the parameters of every layer and direction
    (``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``,
    ``weight_hr_l{k}`` for a projected LSTM), argument checks and ``extra_repr``."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if device is not None:
            T.check_cpu(device)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dirs = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                                f"{type(value).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        gates = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
        if mode not in gates:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = gates[mode] * hidden_size
        out_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else out_size * dirs
            for direction in range(dirs):
                sfx = f"l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [(f"weight_ih_{sfx}", (gate_size, layer_in)),
                          (f"weight_hh_{sfx}", (gate_size, out_size))]
                if bias:
                    shapes += [(f"bias_ih_{sfx}", (gate_size,)), (f"bias_hh_{sfx}", (gate_size,))]
                if proj_size > 0:
                    shapes.append((f"weight_hr_{sfx}", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name, Parameter(factories.empty(shape, dtype=dtype)))
                names = [n for n, _ in shapes]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) if hasattr(self, n) else None for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op on the CPU (PyTorch only repacks weights for cuDNN)."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def check_input(self, input, batch_sizes):
        wdt = self._flat_weights[0].dtype
        if input.dtype != wdt:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({wdt}). Convert input: input.to({wdt}), or convert model: "
                             f"model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def _mini_batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes):
        dirs = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * dirs, self._mini_batch(input, batch_sizes), size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # shared forward plumbing -------------------------------------------------------------
    def _zeros(self, input, batch, size):
        dirs = 2 if self.bidirectional else 1
        return factories.zeros(self.num_layers * dirs, batch, size, dtype=input.dtype)

    def _run(self, input, hx, batch_sizes):
        return _rnn(self.mode, input, hx, self._flat_weights, self.bias, self.num_layers,
                    self.dropout, self.training, self.bidirectional, self.batch_first,
                    None if batch_sizes is None else [int(v) for v in batch_sizes.tolist()],
                    self.proj_size > 0)

    def _single_state_forward(self, input, hx, name):
        """``forward`` of ``RNN`` and ``GRU`` (one state tensor)."""
        if isinstance(input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                hx = self._zeros(input, int(batch_sizes[0]), self.hidden_size)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(input, hx, batch_sizes)
            output, (hidden,) = self._run(input, (hx,), batch_sizes)
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             + ("tensor instead" if name == "RNN" else "instead"))
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but got "
                                       f"{hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError("For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
        if hx is None:
            hx = self._zeros(input, input.size(batch_dim), self.hidden_size)
        self.check_forward_args(input, hx, None)
        output, (hidden,) = self._run(input, (hx,), None)
        if not batched:
            output = output.squeeze(batch_dim)
            hidden = hidden.squeeze(1)
        return output, hidden


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, ``act`` being
    ``tanh`` or ``relu`` (``nonlinearity``, the fourth positional argument)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._single_state_forward(input, hx, "RNN")


class GRU(RNNBase):
    """Gated recurrent unit: reset gate ``r``, update gate ``z``, candidate
    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``, ``h' = (1 - z) * n + z * h``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._single_state_forward(input, hx, "GRU")


class LSTM(RNNBase):
    """Long short-term memory with gates ``i, f, g, o`` (the rows of ``weight_ih`` in that
    order); with ``proj_size > 0`` the hidden state is projected by ``weight_hr``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        dirs = 2 if self.bidirectional else 1
        return (self.num_layers * dirs, self._mini_batch(input, batch_sizes), self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def forward(self, input, hx=None):
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        if isinstance(input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                batch = int(batch_sizes[0])
                hx = (self._zeros(input, batch, out_size),
                      self._zeros(input, batch, self.hidden_size))
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(input, hx, batch_sizes)
            output, hidden = self._run(input, tuple(hx), batch_sizes)
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            batch = input.size(batch_dim)
            hx = (self._zeros(input, batch, out_size),
                  self._zeros(input, batch, self.hidden_size))
        elif batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        else:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, None)
        output, (h, c) = self._run(input, tuple(hx), None)
        if not batched:
            output = output.squeeze(batch_dim)
            h, c = h.squeeze(1), c.squeeze(1)
        return output, (h, c)


# -- single-step cells ---------------------------------------------------------------------
def _check_cell(input, hiddens, input_size, hidden_size):
    if input.size(1) != input_size:
        raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected "
                           f"{input_size}")
    for k, h in enumerate(hiddens):
        if h.size(0) != input.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} batch "
                               f"size {h.size(0)}")
        if h.size(1) != hidden_size:
            raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {h.size(1)}, "
                               f"expected {hidden_size}")


class RNNCellBase(Module):
    """Parameters of a cell: ``weight_ih`` (chunks*hidden, input), ``weight_hh``
    (chunks*hidden, hidden) and the two biases, all U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        if device is not None:
            T.check_cpu(device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(factories.empty((rows, input_size), dtype=dtype))
        self.weight_hh = Parameter(factories.empty((rows, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(factories.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(factories.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += f", bias={self.bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, name, input, hx, what="hidden"):
        """Checks dims, adds the batch dim to unbatched input; returns (input, hx, batched)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {hx.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = factories.zeros(input.size(0), self.hidden_size, dtype=input.dtype)
        elif not batched:
            hx = hx.unsqueeze(0)
        return input, hx, batched

    def _x_proj(self, input):
        return F.linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """One step of ``RNN``: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, batched = self._prepare("RNNCell", input, hx)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        _check_cell(input, [hx], self.input_size, self.hidden_size)
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        (ret,) = _step(mode, self._x_proj(input), (hx,), self.weight_hh, self.bias_hh, None)
        return ret if batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of ``LSTM``; ``hx`` is ``(h, c)`` and the result is ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = factories.zeros(input.size(0), self.hidden_size, dtype=input.dtype)
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        _check_cell(input, hx, self.input_size, self.hidden_size)
        h, c = _step("LSTM", self._x_proj(input), tuple(hx), self.weight_hh, self.bias_hh,
                     None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One step of ``GRU``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, batched = self._prepare("GRUCell", input, hx)
        _check_cell(input, [hx], self.input_size, self.hidden_size)
        (ret,) = _step("GRU", self._x_proj(input), (hx,), self.weight_hh, self.bias_hh, None)
        return ret if batched else ret.squeeze(0)
