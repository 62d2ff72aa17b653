"""TransformerClassifier, compiled by nnspec from specs/transformer_classifier.nn.

Inputs: tokens [256] int; outputs: [2] (shapes without the batch dimension).
Parameters: 8,345,602. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn
import torch.nn.functional as F


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


def causal_mask(q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
    """True where position i of q [B, T, D] would see a later position of kv [B, S, D]."""
    return torch.ones(q.shape[-2], kv.shape[-2], dtype=torch.bool, device=q.device).triu(1)


def relative_position_index(height: int, width: int) -> torch.Tensor:
    """For each pair (i, j) of the positions of a height x width window, row by row, the row
    of their offset (dy, dx) in a table of (2 * height - 1) x (2 * width - 1) offsets: [N * N]."""
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    y, x = rows.flatten(), cols.flatten()
    dy = y[:, None] - y[None, :] + height - 1
    dx = x[:, None] - x[None, :] + width - 1
    return (dy * (2 * width - 1) + dx).flatten()


class Attention(nn.Module):
    """Multi-head scaled dot-product attention from x [B, ..., T, D] to kv [B, ..., S, D]
    (the dimensions between B and T are groups attended separately, such as windows).

    The projections are one packed qkv (self-attention with one bias setting for q, k and v)
    or query, key and value of their own, then proj. window = (h, w) adds a learned bias per
    head for each offset between two positions of an h x w window (T = S = h * w), read from
    a table through a fixed index; forward adds mask [B, ..., T, S] to the scores, and hides
    later positions (causal) and the padding of kv (padding [B, S], True at padding)."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, packed: bool = True,
                 biases: tuple = (True, True, True, True), window: tuple = (0, 0), causal: bool = False):
        super().__init__()
        self.heads, self.dropout, self.causal = heads, dropout, causal
        self.scale = (dim // heads) ** -0.5
        height, width = window
        if height:
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * height - 1) * (2 * width - 1), heads))
            nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
            self.register_buffer("relative_position_index", relative_position_index(height, width))
        else:
            self.register_parameter("relative_position_bias_table", None)
            self.register_buffer("relative_position_index", None)
        if packed:
            self.qkv = nn.Linear(dim, 3 * dim, bias=biases[0])
            self.query = self.key = self.value = None
        else:
            self.qkv = None
            self.query = nn.Linear(dim, dim, bias=biases[0])
            self.key = nn.Linear(dim, dim, bias=biases[1])
            self.value = nn.Linear(dim, dim, bias=biases[2])
        self.proj = nn.Linear(dim, dim, bias=biases[3])

    def heads_first(self, x: torch.Tensor) -> torch.Tensor:
        """[..., T, D] -> [..., heads, T, D / heads]"""
        return x.reshape(list(x.shape[:-1]) + [self.heads, -1]).transpose(-3, -2)

    def forward(self, x: torch.Tensor, kv: torch.Tensor, mask: torch.Tensor | None = None,
                padding: torch.Tensor | None = None) -> torch.Tensor:
        if self.qkv is not None:
            q, k, v = self.qkv(x).chunk(3, dim=-1)
        else:
            assert self.query is not None and self.key is not None and self.value is not None
            q, k, v = self.query(x), self.key(kv), self.value(kv)
        q, k, v = self.heads_first(q), self.heads_first(k), self.heads_first(v)
        scores = (q * self.scale) @ k.transpose(-2, -1)  # [B, ..., heads, T, S]
        if self.relative_position_bias_table is not None and self.relative_position_index is not None:
            n = scores.shape[-1]
            bias = self.relative_position_bias_table[self.relative_position_index]
            scores = scores + bias.view(n, n, -1).permute(2, 0, 1)
        if mask is not None:
            scores = scores + mask.unsqueeze(-3)
        if self.causal:
            scores = scores.masked_fill(causal_mask(x, kv), float("-inf"))
        if padding is not None:
            scores = scores.masked_fill(padding[:, None, None, :], float("-inf"))
        weights = F.dropout(scores.softmax(dim=-1), p=self.dropout, training=self.training)
        out = (weights @ v).transpose(-3, -2)
        return self.proj(out.reshape(list(out.shape[:-2]) + [-1]))


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


def masked_max(x, lengths):
    """Maximum over the real positions of each sequence: x [B, T, ...] -> [B, ...]."""
    return x.masked_fill(~time_mask(x, lengths), float("-inf")).amax(1)


class MLP(nn.Sequential):
    """Block `MLP(dim=256, hidden, dropout=0.1)` on [256, 256].

    Instances: `encoder.0.mlp`, `encoder.1.mlp`, `encoder.2.mlp`, `encoder.3.mlp`.
    """

    def __init__(self, hidden):
        super().__init__(
            nn.Linear(256, hidden),  # [256, 1024]
            nn.GELU(),  # [256, 1024]
            nn.Dropout(0.1),  # [256, 1024]
            nn.Linear(hidden, 256),  # [256, 256]
            nn.Dropout(0.1),  # [256, 256]
        )


class EncoderLayer(nn.Module):
    """Block `EncoderLayer(dim=256, heads, mlp, dropout=0.1)` on [256, 256].

    Instances: `encoder.0`, `encoder.1`, `encoder.2`, `encoder.3`.
    """

    def __init__(self, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(256, eps=1e-06)
        self.self_attention = nn.MultiheadAttention(256, heads, batch_first=True)
        self.dropout = nn.Dropout(0.1)
        self.ln_2 = nn.LayerNorm(256, eps=1e-06)
        self.mlp = MLP(mlp)

    def forward(self, x, lengths):
        x1 = self.ln_1(x)  # [256, 256]
        x1 = self.self_attention(x1, x1, x1, key_padding_mask=padding_mask(x1, lengths), need_weights=False)[0]  # [256, 256]
        x1 = self.dropout(x1)  # [256, 256]
        x = x1 + x  # [256, 256]
        x1 = self.ln_2(x)  # [256, 256]
        x1 = self.mlp(x1)  # [256, 256]
        x = x1 + x  # [256, 256]
        return x


class TransformerClassifier(nn.Module):
    """Network `TransformerClassifier(vocab=20000, length=256, dim=256, heads=8, layers=4,
    classes=2)`: tokens [256] int -> [2].

    Shapes are without the batch dimension.
    """

    def __init__(self, vocab=20000, length=256, classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, 256, padding_idx=0)
        self.identity = nn.Identity()
        self.pos_embedding = Learned(length, 256, std=0.02)
        self.dropout = nn.Dropout(0.1)
        self.encoder = nn.ModuleList([
            EncoderLayer(8, 1024),
            EncoderLayer(8, 1024),
            EncoderLayer(8, 1024),
            EncoderLayer(8, 1024),
        ])
        self.ln = nn.LayerNorm(256, eps=1e-06)
        self.head = nn.Linear(256, classes)

    def forward(self, tokens):
        """tokens [batch, 256] int -> [batch, 2]"""
        lengths = (tokens != 0).sum(1)  # each sequence's true length: its tokens that are not padding
        x = self.embed(tokens)  # [256, 256]
        x1 = self.identity(x)  # [256, 256]
        x = self.pos_embedding(x)  # [256, 256]
        x = x1 + x  # [256, 256]
        x = self.dropout(x)  # [256, 256]
        x = self.encoder[0](x, lengths)  # [256, 256]
        x = self.encoder[1](x, lengths)  # [256, 256]
        x = self.encoder[2](x, lengths)  # [256, 256]
        x = self.encoder[3](x, lengths)  # [256, 256]
        x = self.ln(x)  # [256, 256]
        x = masked_mean(x, lengths)  # [256]
        x = self.head(x)  # [2]
        return x
