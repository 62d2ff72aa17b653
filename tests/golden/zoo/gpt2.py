"""GPT2, compiled by nnspec from specs/gpt2.nn.

Inputs: tokens [T] int; outputs: [T, 50257] (shapes without the batch dimension).
Parameters: 163,037,184. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn
import torch.nn.functional as F


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


class Mlp(nn.Module):
    """Block `Mlp(hidden, dropout=0.1)` on [T, 768].

    Instances: `h.0.mlp`, `h.1.mlp`, `h.2.mlp`, `h.3.mlp`, `h.4.mlp`, `h.5.mlp` and 6 more.
    """

    def __init__(self, hidden):
        super().__init__()
        self.c_fc = nn.Linear(768, hidden)
        self.gelu = nn.GELU(approximate='tanh')
        self.c_proj = nn.Linear(hidden, 768)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        x = self.c_fc(x)  # [T, 3072]
        x = self.gelu(x)  # [T, 3072]
        x = self.c_proj(x)  # [T, 768]
        x = self.dropout(x)  # [T, 768]
        return x


class Block(nn.Module):
    """Block `Block(heads, dropout=0.1)` on [T, 768].

    Instances: `h.0`, `h.1`, `h.2`, `h.3`, `h.4`, `h.5` and 6 more.
    """

    def __init__(self, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(768)
        self.attn = nn.MultiheadAttention(768, heads, dropout=0.1, batch_first=True)
        self.dropout = nn.Dropout(0.1)
        self.ln_2 = nn.LayerNorm(768)
        self.mlp = Mlp(3072)

    def forward(self, x):
        x1 = self.ln_1(x)  # [T, 768]
        x1 = self.attn(x1, x1, x1, attn_mask=causal_mask(x1, x1), need_weights=False)[0]  # [T, 768]
        x1 = self.dropout(x1)  # [T, 768]
        x = x1 + x  # [T, 768]
        x1 = self.ln_2(x)  # [T, 768]
        x1 = self.mlp(x1)  # [T, 768]
        x = x1 + x  # [T, 768]
        return x


class GPT2(nn.Module):
    """Network `GPT2(vocab=50257, context=1024, dim=768, heads=12, layers=12, dropout=0.1)`: tokens
    [T] int -> [T, 50257].

    Shapes are without the batch dimension.
    """

    def __init__(self, vocab=50257, context=1024, layers=12):
        super().__init__()
        self.wte = nn.Embedding(vocab, 768)
        self.wpe = nn.Embedding(context, 768)
        self.dropout = nn.Dropout(0.1)
        self.h = nn.Sequential(*[Block(12) for _ in range(layers)])  # [T, 768]
        self.ln_f = nn.LayerNorm(768)
        self.lm_head = nn.Linear(768, vocab, bias=False)

    def forward(self, tokens):
        """tokens [batch, T] int -> [batch, T, 50257]"""
        x = self.wte(tokens)  # [T, 768]
        x1 = torch.arange(tokens.shape[1], device=tokens.device).expand(tokens.shape[0], -1)  # [T]
        x1 = self.wpe(x1)  # [T, 768]
        x = x + x1  # [T, 768]
        x = self.dropout(x)  # [T, 768]
        x = self.h(x)  # [T, 768]
        x = self.ln_f(x)  # [T, 768]
        x = self.lm_head(x)  # [T, 50257]
        return x
