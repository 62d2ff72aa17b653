"""Decoder, compiled by nnspec from tests/golden/cross_attention.nn.

Inputs: source [S] int, target [T] int; outputs: [T, 50] (shapes without the batch dimension).
Parameters: 2,002. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


def padding_mask(kv: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """True at the padding of the sequences kv [B, S, D], whose true lengths are given:
    attention never attends to it."""
    return torch.arange(kv.shape[1], device=kv.device) >= lengths.to(kv.device)[:, None]


class Cross(nn.Module):
    """Block `Cross(memory, heads)` on [L, in_features]."""

    def __init__(self, in_features, heads=2):
        super().__init__()
        self.norm = nn.LayerNorm(in_features)
        self.attend = nn.MultiheadAttention(in_features, heads, batch_first=True)
        self.mlp = nn.Linear(in_features, 8)

    def forward(self, x, memory, memory_lengths):
        x = self.norm(x)  # [L, in_features]
        x = self.attend(x, memory, memory, key_padding_mask=padding_mask(memory, memory_lengths), need_weights=False)[0]  # [L, in_features]
        x = self.mlp(x)  # [L, 8]
        return x


class Decoder(nn.Module):
    """Network `Decoder(vocab=50)`: source [S] int, target [T] int -> [T, 50].

    Shapes are without the batch dimension.
    """

    def __init__(self, vocab=50):
        super().__init__()
        self.add_module("0", nn.Embedding(vocab, 8, padding_idx=0))
        self.add_module("1", nn.Embedding(vocab, 8, padding_idx=0))
        self.layer1 = Cross(8)
        self.layer2 = Cross(8)
        self.head = nn.Linear(8, vocab)

    def forward(self, source, target):
        """source [batch, S] int, target [batch, T] int -> [batch, T, 50]"""
        source_lengths = (source != 0).sum(1)  # each sequence's true length: its tokens that are not padding
        memory = getattr(self, "0")(source)  # [S, 8]
        x = getattr(self, "1")(target)  # [T, 8]
        x = self.layer1(x, memory, source_lengths)  # [T, 8]
        x = self.layer2(x, memory, source_lengths)  # [T, 8]
        x = self.head(x)  # [T, vocab]
        return x
