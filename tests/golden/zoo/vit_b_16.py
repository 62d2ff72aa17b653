"""ViT_B_16, compiled by nnspec from specs/vit_b_16.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 86,567,656. Generated code: edit the spec and compile it again.
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

    def forward(self, x):
        x1 = self.ln_1(x)  # [L, dim]
        x1 = self.self_attention(x1, x1, x1, need_weights=False)[0]  # [L, dim]
        x1 = self.dropout(x1)  # [L, dim]
        x = x1 + x  # [L, dim]
        x2 = self.ln_2(x)  # [L, dim]
        x2 = self.mlp(x2)  # [L, dim]
        x = x2 + x  # [L, dim]
        return x


class Encoder(nn.Module):
    """Block `Encoder(seq, dim, layers, heads, mlp, dropout)` on [seq, dim]."""

    def __init__(self, seq, dim, layers, heads, mlp, dropout=0.0):
        super().__init__()
        self.identity = nn.Identity()
        self.pos_embedding = Learned(seq, dim, std=0.02)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(
            *[EncoderLayer(dim, heads, mlp, dropout=dropout) for _ in range(layers)],
        )
        self.ln = nn.LayerNorm(dim, eps=1e-06)

    def forward(self, x):
        x1 = self.identity(x)  # [seq, dim]
        pos_embedding = self.pos_embedding(x)  # [seq, dim]
        x = x1 + pos_embedding  # [seq, dim]
        x = self.dropout(x)  # [seq, dim]
        x = self.layers(x)  # [seq, dim]
        x = self.ln(x)  # [seq, dim]
        return x


class ViT_B_16(nn.Module):
    """Network `ViT_B_16(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.class_token = Learned(1, 768)
        self.conv_proj = nn.Conv2d(3, 768, 16, stride=16)
        self.encoder = Encoder(197, 768, 12, 12, 3072)
        self.heads = nn.Linear(768, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        class_token = self.class_token(image)  # [1, 768]
        conv_proj = self.conv_proj(image)  # [768, 14, 14]
        conv_proj = conv_proj.reshape(conv_proj.shape[0], 768, 196)  # [768, 196]
        conv_proj = conv_proj.permute(0, 2, 1)  # [196, 768]
        x = torch.cat([class_token, conv_proj], dim=1)  # [197, 768]
        x = self.encoder(x)  # [197, 768]
        x = x[:, 0]  # [768]
        x = self.heads(x)  # [classes]
        return x
