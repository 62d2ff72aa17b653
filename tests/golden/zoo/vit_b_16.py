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


class MLP(nn.Sequential):
    """Block `MLP(dim, hidden, dropout=0.0)` on [197, 768].

    Instances: `encoder.layers.0.mlp`, `encoder.layers.1.mlp`, `encoder.layers.2.mlp`,
    `encoder.layers.3.mlp`, `encoder.layers.4.mlp`, `encoder.layers.5.mlp` and 6 more.
    """

    def __init__(self, dim, hidden):
        super().__init__(
            nn.Linear(dim, hidden),  # [197, 3072]
            nn.GELU(),  # [197, 3072]
            nn.Dropout(0.0),  # [197, 3072]
            nn.Linear(hidden, dim),  # [197, 768]
            nn.Dropout(0.0),  # [197, 768]
        )


class EncoderLayer(nn.Module):
    """Block `EncoderLayer(dim, heads, mlp, dropout=0.0)` on [197, 768].

    Instances: `encoder.layers.0`, `encoder.layers.1`, `encoder.layers.2`, `encoder.layers.3`,
    `encoder.layers.4`, `encoder.layers.5` and 6 more.
    """

    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-06)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.dropout = nn.Dropout(0.0)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-06)
        self.mlp = MLP(dim, mlp)

    def forward(self, x):
        x1 = self.ln_1(x)  # [197, 768]
        x1 = self.self_attention(x1, x1, x1, need_weights=False)[0]  # [197, 768]
        x1 = self.dropout(x1)  # [197, 768]
        x = x1 + x  # [197, 768]
        x1 = self.ln_2(x)  # [197, 768]
        x1 = self.mlp(x1)  # [197, 768]
        x = x1 + x  # [197, 768]
        return x


class Encoder(nn.Module):
    """Block `Encoder(seq=197, dim, layers, heads, mlp, dropout=0.0)` on [197, 768].

    Instances: `encoder`.
    """

    def __init__(self, dim, layers, heads, mlp):
        super().__init__()
        self.identity = nn.Identity()
        self.pos_embedding = Learned(197, dim, std=0.02)
        self.dropout = nn.Dropout(0.0)
        self.layers = nn.Sequential(*[EncoderLayer(dim, heads, mlp) for _ in range(layers)])  # [197, dim]
        self.ln = nn.LayerNorm(dim, eps=1e-06)

    def forward(self, x):
        x1 = self.identity(x)  # [197, dim]
        x = self.pos_embedding(x)  # [197, dim]
        x = x1 + x  # [197, dim]
        x = self.dropout(x)  # [197, dim]
        x = self.layers(x)  # [197, dim]
        x = self.ln(x)  # [197, dim]
        return x


class ViT_B_16(nn.Module):
    """Network `ViT_B_16(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.class_token = Learned(1, 768)
        self.conv_proj = nn.Conv2d(3, 768, 16, stride=16)
        self.encoder = Encoder(768, 12, 12, 3072)
        self.heads = nn.Linear(768, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        x = self.class_token(image)  # [1, 768]
        x1 = self.conv_proj(image)  # [768, 14, 14]
        x1 = x1.reshape(x1.shape[0], 768, 196)  # [768, 196]
        x1 = x1.permute(0, 2, 1)  # [196, 768]
        x = torch.cat([x, x1], dim=1)  # [197, 768]
        x = self.encoder(x)  # [197, 768]
        x = x[:, 0]  # [768]
        x = self.heads(x)  # [1000]
        return x
