"""GPT2, compiled by nnspec from specs/gpt2.nn.

Inputs: tokens [T] int; outputs: [T, 50257] (shapes without the batch dimension).
Parameters: 163,037,184. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


def causal_mask(q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
    """True where position i of q [B, T, D] would see a later position of kv [B, S, D]."""
    return torch.ones(q.shape[-2], kv.shape[-2], dtype=torch.bool, device=q.device).triu(1)


class Mlp(nn.Module):
    """Block `Mlp(hidden, dropout)` on [T, D]."""

    def __init__(self, D, hidden, dropout):
        super().__init__()
        self.c_fc = nn.Linear(D, hidden)
        self.gelu = nn.GELU(approximate='tanh')
        self.c_proj = nn.Linear(hidden, D)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = self.c_fc(x)  # [T, hidden]
        x = self.gelu(x)  # [T, hidden]
        x = self.c_proj(x)  # [T, D]
        x = self.dropout(x)  # [T, D]
        return x


class Block(nn.Module):
    """Block `Block(heads, dropout)` on [T, D]."""

    def __init__(self, D, heads, dropout):
        super().__init__()
        self.ln_1 = nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, heads, dropout=dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = nn.LayerNorm(D)
        self.mlp = Mlp(D, 4 * D, dropout)

    def forward(self, x):
        x1 = self.ln_1(x)  # [T, D]
        x1 = self.attn(x1, x1, x1, attn_mask=causal_mask(x1, x1), need_weights=False)[0]  # [T, D]
        x1 = self.dropout(x1)  # [T, D]
        x = x1 + x  # [T, D]
        x2 = self.ln_2(x)  # [T, D]
        x2 = self.mlp(x2)  # [T, D]
        x = x2 + x  # [T, D]
        return x


class GPT2(nn.Module):
    """Network `GPT2(vocab=50257, context=1024, dim=768, heads=12, layers=12, dropout=0.1)`: tokens
    [T] int -> [T, 50257].

    Shapes are without the batch dimension.
    """

    def __init__(self, vocab=50257, context=1024, dim=768, heads=12, layers=12):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(context, dim)
        self.dropout = nn.Dropout(0.1)
        self.h = nn.Sequential(*[Block(dim, heads, 0.1) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, tokens):
        """tokens [batch, T] int -> [batch, T, 50257]"""
        wte = self.wte(tokens)  # [T, dim]
        x1 = torch.arange(tokens.shape[1], device=tokens.device).expand(tokens.shape[0], -1)  # [T]
        x1 = self.wpe(x1)  # [T, dim]
        x = wte + x1  # [T, dim]
        x = self.dropout(x)  # [T, dim]
        x = self.h(x)  # [T, dim]
        x = self.ln_f(x)  # [T, dim]
        x = self.lm_head(x)  # [T, vocab]
        return x
