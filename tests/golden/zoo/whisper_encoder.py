"""WhisperEncoder, compiled by nnspec from specs/whisper_encoder.nn.

Inputs: mel [80, T]; outputs: [(T - 1) // 2 + 1, 384] (shapes without the batch dimension).
Parameters: 7,632,384. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn
import torch.nn.functional as F


class Sinusoid(nn.Module):
    """The sines, then the cosines, of each value at dim // 2 frequencies from 1 down to
    1 / base (geometrically): x [B, ...] -> [B, ..., dim]. The frequencies are a buffer that
    is computed, not learned, and not kept in the state dict."""

    def __init__(self, dim, base=10000.0):
        super().__init__()
        half = dim // 2
        steps = torch.arange(half, dtype=torch.float32) / max(half - 1, 1)
        self.register_buffer("freqs", torch.exp(-torch.log(torch.tensor(float(base))) * steps), persistent=False)

    def forward(self, x):
        angles = x.to(self.freqs.dtype)[..., None] * self.freqs
        return torch.cat([angles.sin(), angles.cos()], dim=-1)


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


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class Mlp(nn.Sequential):
    """Block `Mlp(hidden)` on [T, D]."""

    def __init__(self, D, hidden):
        super().__init__(
            nn.Linear(D, hidden),  # [T, hidden]
            nn.GELU(),  # [T, hidden]
            nn.Linear(hidden, D),  # [T, D]
        )


class AttentionBlock(nn.Module):
    """Block `AttentionBlock(heads)` on [T, D]."""

    def __init__(self, D, heads):
        super().__init__()
        self.attn_ln = nn.LayerNorm(D)
        self.attn = Attention(D, heads, packed=False, biases=(True, False, True, True))
        self.mlp_ln = nn.LayerNorm(D)
        self.mlp = Mlp(D, 4 * D)

    def forward(self, x):
        x1 = self.attn_ln(x)  # [T, D]
        x1 = self.attn(x1, x1)  # [T, D]
        x = x1 + x  # [T, D]
        x2 = self.mlp_ln(x)  # [T, D]
        x2 = self.mlp(x2)  # [T, D]
        x = x2 + x  # [T, D]
        return x


class WhisperEncoder(nn.Module):
    """Network `WhisperEncoder(mels=80, dim=384, heads=6, layers=4)`: mel [80, T] -> [(T - 1) // 2 +
    1, 384].

    Shapes are without the batch dimension.
    """

    def __init__(self, mels=80, dim=384, heads=6, layers=4):
        super().__init__()
        self.mels = mels
        self.conv1 = nn.Conv1d(mels, dim, 3, padding=1)
        self.gelu = nn.GELU()
        self.conv2 = nn.Conv1d(dim, dim, 3, stride=2, padding=1)
        self.gelu_2 = nn.GELU()
        self.identity = nn.Identity()
        self.add_module("5", Sinusoid(dim))
        self.blocks = nn.Sequential(*[AttentionBlock(dim, heads) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(dim)

    def forward(self, mel):
        """mel [batch, 80, T] -> [batch, (T - 1) // 2 + 1, 384]"""
        check_input(mel, 'mel', [self.mels, -1])
        x = self.conv1(mel)  # [dim, T]
        x = self.gelu(x)  # [dim, T]
        x = self.conv2(x)  # [dim, (T + 1) // 2]
        x = self.gelu_2(x)  # [dim, (T + 1) // 2]
        x = x.permute(0, 2, 1)  # [(T + 1) // 2, dim]
        x1 = self.identity(x)  # [(T + 1) // 2, dim]
        x2 = torch.arange(x.shape[1], device=x.device).expand(x.shape[0], -1)  # [(T + 1) // 2]
        x2 = getattr(self, "5")(x2)  # [(T + 1) // 2, dim]
        x = x1 + x2  # [(T + 1) // 2, dim]
        x = self.blocks(x)  # [(T + 1) // 2, dim]
        x = self.ln_post(x)  # [(T + 1) // 2, dim]
        return x
