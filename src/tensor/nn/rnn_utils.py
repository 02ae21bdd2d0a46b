"""``torch.nn.utils.rnn``: ``PackedSequence`` and the helpers that pack, pad and unpad
variable-length batches.

A packed sequence stores the time steps of a batch of sequences (sorted by decreasing
length) one after the other: step ``t`` contributes the rows of the ``batch_sizes[t]``
sequences still running at ``t``. ``batch_sizes`` is an int64 CPU tensor;
``sorted_indices`` / ``unsorted_indices`` remember the reordering done when the lengths were
not sorted (``enforce_sorted=False``). Packing and padding are built from slicing, ``cat`` and
``stack``, so gradients flow back to the padded input (PyTorch uses dedicated ops, so the
``grad_fn`` names differ).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

from .. import _tensor as T
from .. import _dtype as D
from ..opdefs import factories
from ..opdefs.shape import cat, stack

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]

_Tensor = T.Tensor

PackedSequence_ = namedtuple("PackedSequence_",
                             ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """The packed form of a batch of sequences (see the module docstring). Build it with
    ``pack_padded_sequence`` / ``pack_sequence`` rather than by hand."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """Converts ``data`` (and moves the index tensors with it); ``self`` when unchanged."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def pin_memory(self):
        return self

    def double(self):
        return self.to(dtype=D.float64)

    def float(self):
        return self.to(dtype=D.float32)

    def half(self):
        return self.to(dtype=D.float16)

    def long(self):
        return self.to(dtype=D.int64)

    def int(self):
        return self.to(dtype=D.int32)

    def short(self):
        return self.to(dtype=D.int16)

    def char(self):
        return self.to(dtype=D.int8)

    def byte(self):
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse permutation (``None`` stays ``None``)."""
    if permutation is None:
        return None
    out = factories.empty_like(permutation)
    out.scatter_(0, permutation, factories.arange(0, permutation.numel()))
    return out


def _lengths_list(lengths):
    if isinstance(lengths, _Tensor):
        if lengths.dim() != 1:
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.dim()}D cpu Long tensor")
        return [int(v) for v in lengths.to(dtype=D.int64).tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch ``(T, B, *)`` (``(B, T, *)`` when ``batch_first``) whose
    sequence ``b`` has ``lengths[b]`` valid steps. With ``enforce_sorted`` the lengths must
    be decreasing; otherwise the batch is sorted first and the order remembered."""
    if not isinstance(lengths, _Tensor):
        lengths = factories.as_tensor(lengths, dtype=D.int64)
    else:
        lengths = lengths.to(dtype=D.int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = lengths.sort(descending=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    lens = _lengths_list(lengths)
    if batch_first:
        input = input.transpose(0, 1)
    if len(lens) != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={input.shape[1]})")
    if lens and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if any(a < b for a, b in zip(lens, lens[1:])):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX "
            "exportability.")
    if lens and lens[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length of {lens[0]} exceeds the "
                           f"{input.shape[0]} time steps of the input. Hint: every length "
                           "must be at most the padded sequence length.")
    steps = lens[0] if lens else 0
    sizes = [sum(1 for n in lens if n > t) for t in range(steps)]
    data = cat([input[t, :sizes[t]] for t in range(steps)], 0)
    batch_sizes = factories.tensor(sizes, dtype=D.int64)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of ``pack_padded_sequence``: ``(padded, lengths)``, padded with
    ``padding_value`` up to ``total_length`` steps (default: the longest sequence), in the
    original batch order."""
    sizes = [int(v) for v in sequence.batch_sizes.tolist()]
    max_len = len(sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and "
                             f"max sequence length being {max_len}")
        max_len = total_length
    data = sequence.data
    batch = sizes[0] if sizes else 0
    tail = tuple(data.shape[1:])
    rows, offset = [], 0
    for t in range(max_len):
        n = sizes[t] if t < len(sizes) else 0
        parts = [data[offset:offset + n]] if n else []
        offset += n
        if n < batch:
            parts.append(data.new_full((batch - n,) + tail, padding_value))
        rows.append(parts[0] if len(parts) == 1 else cat(parts, 0))
    padded = stack(rows, 0)
    lengths = factories.tensor([sum(1 for s in sizes if s > b) for b in range(batch)],
                               dtype=D.int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks tensors of shape ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` when
    ``batch_first``), padding each on the ``padding_side`` with ``padding_value``; the
    result has the first tensor's dtype."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if any(s.dim() == 0 for s in sequences):
        raise RuntimeError("pad_sequence: every sequence needs at least one dimension. Hint: "
                           "a 0-d tensor has no length to pad.")
    first = sequences[0]
    tail = tuple(first.shape[1:])
    max_len = max(s.shape[0] for s in sequences)
    lead = (len(sequences), max_len) if batch_first else (max_len, len(sequences))
    out = first.new_full(lead + tail, padding_value)
    for i, s in enumerate(sequences):
        n = s.shape[0]
        steps = slice(0, n) if padding_side == "right" else slice(max_len - n, max_len)
        out[(i, steps) if batch_first else (steps, i)] = s
    return out


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into a list of tensors of lengths ``lengths``. Like
    PyTorch, transposes ``padded_sequences`` in place when not ``batch_first``."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    max_length = padded_sequences.shape[1]
    idx = factories.arange(max_length)
    return [seq[idx < length] for seq, length in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of tensors ``(L_i, *)`` (decreasing lengths unless
    ``enforce_sorted=False``)."""
    lengths = factories.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of tensors a ``PackedSequence`` holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
