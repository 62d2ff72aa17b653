"""TransformerClassifier, compiled by nnspec from specs/transformer_classifier.nn.

Inputs: tokens [256] int; outputs: [2] (shapes without the batch dimension).
Parameters: 8,345,602. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class Learned(nn.Module):
    """A learned tensor of the given shape, the same for every sample: forward(x) -> [B, *shape],
    where x only tells the batch size. Stored as [1, *shape], or as shape with batch=False."""

    def __init__(self, *shape, init=0.0, std=0.0, batch=True):
        super().__init__()
        self.shape = tuple(shape)
        stored = (1, *shape) if batch else self.shape
        value = torch.full(stored, float(init))
        if std:
            value = nn.init.normal_(value, mean=float(init), std=float(std))
        self.weight = nn.Parameter(value)

    def forward(self, x):
        return self.weight.expand(x.shape[0], *self.shape)


def padding_mask(kv: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """True at the padding of the sequences kv [B, S, D], whose true lengths are given:
    attention never attends to it."""
    return torch.arange(kv.shape[1], device=kv.device) >= lengths.to(kv.device)[:, None]


def time_mask(x, lengths):
    """True at each sequence's real positions, shaped to broadcast over x [B, T, ...]."""
    mask = torch.arange(x.shape[1], device=x.device) < lengths.to(x.device)[:, None]
    for _ in range(x.dim() - 2):  # a loop, not a computed shape: torch.jit.script takes it
        mask = mask.unsqueeze(-1)
    return mask


def masked_mean(x, lengths):
    """Mean over the real positions of each sequence: x [B, T, ...] -> [B, ...]."""
    mask = time_mask(x, lengths)
    return (x * mask).sum(1) / mask.sum(1).to(x.dtype)


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class MLP(nn.Sequential):
    """Block `MLP(dim, hidden, dropout)` on [L, in_features]."""

    def __init__(self, in_features, dim, hidden, dropout=0.0):
        super().__init__(
            nn.Linear(in_features, hidden),  # [L, hidden]
            nn.GELU(),  # [L, hidden]
            nn.Dropout(dropout),  # [L, hidden]
            nn.Linear(hidden, dim),  # [L, dim]
            nn.Dropout(dropout),  # [L, dim]
        )


class EncoderLayer(nn.Module):
    """Block `EncoderLayer(dim, heads, mlp, dropout)` on [L, dim]."""

    def __init__(self, dim, heads, mlp, dropout=0.0):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-06)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-06)
        self.mlp = MLP(dim, dim, mlp, dropout=dropout)

    def forward(self, x, lengths):
        x1 = self.ln_1(x)  # [L, dim]
        x1 = self.self_attention(x1, x1, x1, key_padding_mask=padding_mask(x1, lengths), need_weights=False)[0]  # [L, dim]
        x1 = self.dropout(x1)  # [L, dim]
        x = x1 + x  # [L, dim]
        x2 = self.ln_2(x)  # [L, dim]
        x2 = self.mlp(x2)  # [L, dim]
        x = x2 + x  # [L, dim]
        return x


class TransformerClassifier(nn.Module):
    """Network `TransformerClassifier(vocab=20000, length=256, dim=256, heads=8, layers=4,
    classes=2)`: tokens [256] int -> [2].

    Shapes are without the batch dimension.
    """

    def __init__(self, vocab=20000, length=256, dim=256, heads=8, layers=4, classes=2):
        super().__init__()
        self.length = length
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.identity = nn.Identity()
        self.pos_embedding = Learned(length, dim, std=0.02)
        self.dropout = nn.Dropout(0.1)
        self.encoder = nn.ModuleList(
            [*[EncoderLayer(dim, heads, 4 * dim, dropout=0.1) for _ in range(layers)]],
        )
        self.ln = nn.LayerNorm(dim, eps=1e-06)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        """tokens [batch, 256] int -> [batch, 2]"""
        check_input(tokens, 'tokens', [self.length])
        lengths1 = (tokens != 0).sum(1)  # each sequence's true length: its tokens that are not padding
        x = self.embed(tokens)  # [length, dim]
        x1 = self.identity(x)  # [length, dim]
        pos_embedding = self.pos_embedding(x)  # [length, dim]
        x = x1 + pos_embedding  # [length, dim]
        x = self.dropout(x)  # [length, dim]
        for layer in self.encoder:
            x = layer(x, lengths1)  # [length, dim]
        x = self.ln(x)  # [length, dim]
        x = masked_mean(x, lengths1)  # [dim]
        x = self.head(x)  # [classes]
        return x
