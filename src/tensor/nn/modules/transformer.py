"""``tensor.nn.modules.transformer``: the transformer layers (PyTorch's
``torch.nn.modules.transformer``)."""

from ..transformer import (  # noqa: F401
    Transformer, TransformerEncoder, TransformerDecoder, TransformerEncoderLayer,
    TransformerDecoderLayer, _generate_square_subsequent_mask, _get_seq_len, _get_clones,
    _get_activation_fn, _detect_is_causal_mask
)

__all__ = [
    "Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
    "TransformerDecoderLayer"
]
