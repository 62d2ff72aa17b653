"""Swin_T, compiled by nnspec from specs/swin_t.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 28,288,354. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn
import torch.nn.functional as F


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


class DropPath(nn.Module):
    """Stochastic depth: while training, zero each sample's whole value with probability p and
    scale the kept ones by 1/(1-p); the identity in evaluation. x [B, ...] -> [B, ...]."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        # one draw per sample, broadcast over the rest of its dimensions
        draw = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        if keep > 0.0:
            draw.div_(keep)
        return x * draw

    def extra_repr(self):
        return f"p={self.p}"


def shifted_window_mask(x: torch.Tensor, window: int, shift: int) -> torch.Tensor:
    """For the windows of window x window positions of x [B, H, W, ...] rolled back by shift
    places: -100 where two positions of a window came from different regions of the image
    (the roll brought them together), 0 where they did not, [B, H * W / window^2, window^2,
    window^2], expanded over the batch."""
    height, width = x.shape[1], x.shape[2]
    region = torch.zeros(height, width, device=x.device)
    count = 0
    for rows in ((0, height - window), (height - window, height - shift), (height - shift, height)):
        for cols in ((0, width - window), (width - window, width - shift), (width - shift, width)):
            region[rows[0]:rows[1], cols[0]:cols[1]] = count
            count += 1
    region = region.view(height // window, window, width // window, window).transpose(1, 2)
    region = region.reshape(-1, window * window)
    mask = (region[:, None, :] - region[:, :, None] != 0).to(x.dtype) * -100.0
    return mask.expand([x.shape[0]] + list(mask.shape))


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class PatchEmbedding(nn.Module):
    """Block `PatchEmbedding()` on [in_channels, H, W]."""

    def __init__(self, in_channels):
        super().__init__()
        self.add_module("0", nn.Conv2d(in_channels, 96, 4, stride=4))
        self.add_module("2", nn.LayerNorm(96))

    def forward(self, x):
        x = getattr(self, "0")(x)  # [96, H // 4, W // 4]
        x = x.permute(0, 2, 3, 1)  # [H // 4, W // 4, 96]
        x = getattr(self, "2")(x)  # [H // 4, W // 4, 96]
        return x


class Windows(nn.Module):
    """Block `Windows(M=7)` on [56, 56, 96]."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.reshape(x.shape[0], 8, 7, 8, 7, 96)  # [8, 7, 8, 7, 96]
        x = x.permute(0, 1, 3, 2, 4, 5)  # [8, 8, 7, 7, 96]
        x = x.reshape(x.shape[0], 64, 49, 96)  # [64, 49, 96]
        return x


class Unwindows(nn.Module):
    """Block `Unwindows(M=7, H=56, W=56)` on [64, 49, 96]."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.reshape(x.shape[0], 8, 8, 7, 7, 96)  # [8, 8, 7, 7, 96]
        x = x.permute(0, 1, 3, 2, 4, 5)  # [8, 7, 8, 7, 96]
        x = x.reshape(x.shape[0], 56, 56, 96)  # [56, 56, 96]
        return x


class Mlp(nn.Sequential):
    """Block `Mlp(hidden)` on [H, W, C]."""

    def __init__(self, C, hidden):
        super().__init__(
            nn.Linear(C, hidden),  # [H, W, hidden]
            nn.GELU(),  # [H, W, hidden]
            nn.Dropout(0.0),  # [H, W, hidden]
            nn.Linear(hidden, C),  # [H, W, C]
            nn.Dropout(0.0),  # [H, W, C]
        )


class SwinBlock(nn.Module):
    """Block `SwinBlock(heads=3, shift=0, p=0.0)` on [56, 56, 96]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(96)
        self.windows = Windows()
        self.attn = Attention(96, 3, window=(7, 7))
        self.image = Unwindows()
        self.droppath = DropPath(0.0)
        self.norm2 = nn.LayerNorm(96)
        self.mlp = Mlp(96, 384)
        self.droppath_2 = DropPath(0.0)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 96]
        x1 = self.windows(y)  # [64, 49, 96]
        x1 = self.attn(x1, x1)  # [64, 49, 96]
        x1 = self.image(x1)  # [56, 56, 96]
        x1 = self.droppath(x1)  # [56, 56, 96]
        x = x1 + x  # [56, 56, 96]
        x2 = self.norm2(x)  # [56, 56, 96]
        x2 = self.mlp(x2)  # [56, 56, 96]
        x2 = self.droppath_2(x2)  # [56, 56, 96]
        x = x2 + x  # [56, 56, 96]
        return x


class SwinBlock_2(nn.Module):
    """Block `SwinBlock(heads=3, shift=3, p=0.018181818181818184)` on [56, 56, 96]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(96)
        self.windows = Windows()
        self.attn = Attention(96, 3, window=(7, 7))
        self.image = Unwindows()
        self.droppath = DropPath(0.018181818181818184)
        self.norm2 = nn.LayerNorm(96)
        self.mlp = Mlp(96, 384)
        self.droppath_2 = DropPath(0.018181818181818184)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 96]
        mask = shifted_window_mask(y, 7, 3)  # [64, 49, 49]
        x1 = torch.roll(y, (-3, -3), (1, 2))  # [56, 56, 96]
        x1 = self.windows(x1)  # [64, 49, 96]
        x1 = self.attn(x1, x1, mask=mask)  # [64, 49, 96]
        x1 = self.image(x1)  # [56, 56, 96]
        x1 = torch.roll(x1, (3, 3), (1, 2))  # [56, 56, 96]
        x1 = self.droppath(x1)  # [56, 56, 96]
        x = x1 + x  # [56, 56, 96]
        x2 = self.norm2(x)  # [56, 56, 96]
        x2 = self.mlp(x2)  # [56, 56, 96]
        x2 = self.droppath_2(x2)  # [56, 56, 96]
        x = x2 + x  # [56, 56, 96]
        return x


class Stage(nn.Sequential):
    """Block `Stage(heads=3, first=0, depth=2)` on [56, 56, 96]."""

    def __init__(self):
        super().__init__(
            SwinBlock(),  # [56, 56, 96]
            SwinBlock_2(),  # [56, 56, 96]
        )


class PatchMerging(nn.Module):
    """Block `PatchMerging()` on [H, W, C]."""

    def __init__(self, C):
        super().__init__()
        self.norm = nn.LayerNorm(4 * C)
        self.reduction = nn.Linear(4 * C, 2 * C, bias=False)

    def forward(self, x):
        x1 = x[:, ::2]  # [(0 - (0 - H)) // 2, W, C]
        x1 = x1[:, :, ::2]  # [(0 - (0 - H)) // 2, (0 - (0 - W)) // 2, C]
        x2 = x[:, 1::2]  # [(0 - (0 - H + 1)) // 2, W, C]
        x2 = x2[:, :, ::2]  # [(0 - (0 - H + 1)) // 2, (0 - (0 - W)) // 2, C]
        x3 = x[:, ::2]  # [(0 - (0 - H)) // 2, W, C]
        x3 = x3[:, :, 1::2]  # [(0 - (0 - H)) // 2, (0 - (0 - W + 1)) // 2, C]
        x4 = x[:, 1::2]  # [(0 - (0 - H + 1)) // 2, W, C]
        x4 = x4[:, :, 1::2]  # [(0 - (0 - H + 1)) // 2, (0 - (0 - W + 1)) // 2, C]
        x = torch.cat([x1, x2, x3, x4], dim=3)  # [H, W, 4 * C]
        x = self.norm(x)  # [H, W, 4 * C]
        x = self.reduction(x)  # [H, W, 2 * C]
        return x


class Windows_2(nn.Module):
    """Block `Windows(M=7)` on [56, 56, 192]."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.reshape(x.shape[0], 8, 7, 8, 7, 192)  # [8, 7, 8, 7, 192]
        x = x.permute(0, 1, 3, 2, 4, 5)  # [8, 8, 7, 7, 192]
        x = x.reshape(x.shape[0], 64, 49, 192)  # [64, 49, 192]
        return x


class Unwindows_2(nn.Module):
    """Block `Unwindows(M=7, H=56, W=56)` on [64, 49, 192]."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.reshape(x.shape[0], 8, 8, 7, 7, 192)  # [8, 8, 7, 7, 192]
        x = x.permute(0, 1, 3, 2, 4, 5)  # [8, 7, 8, 7, 192]
        x = x.reshape(x.shape[0], 56, 56, 192)  # [56, 56, 192]
        return x


class SwinBlock_3(nn.Module):
    """Block `SwinBlock(heads=6, shift=0, p=0.03636363636363637)` on [56, 56, 192]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(192)
        self.windows = Windows_2()
        self.attn = Attention(192, 6, window=(7, 7))
        self.image = Unwindows_2()
        self.droppath = DropPath(0.03636363636363637)
        self.norm2 = nn.LayerNorm(192)
        self.mlp = Mlp(192, 768)
        self.droppath_2 = DropPath(0.03636363636363637)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 192]
        x1 = self.windows(y)  # [64, 49, 192]
        x1 = self.attn(x1, x1)  # [64, 49, 192]
        x1 = self.image(x1)  # [56, 56, 192]
        x1 = self.droppath(x1)  # [56, 56, 192]
        x = x1 + x  # [56, 56, 192]
        x2 = self.norm2(x)  # [56, 56, 192]
        x2 = self.mlp(x2)  # [56, 56, 192]
        x2 = self.droppath_2(x2)  # [56, 56, 192]
        x = x2 + x  # [56, 56, 192]
        return x


class SwinBlock_4(nn.Module):
    """Block `SwinBlock(heads=6, shift=3, p=0.05454545454545456)` on [56, 56, 192]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(192)
        self.windows = Windows_2()
        self.attn = Attention(192, 6, window=(7, 7))
        self.image = Unwindows_2()
        self.droppath = DropPath(0.05454545454545456)
        self.norm2 = nn.LayerNorm(192)
        self.mlp = Mlp(192, 768)
        self.droppath_2 = DropPath(0.05454545454545456)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 192]
        mask = shifted_window_mask(y, 7, 3)  # [64, 49, 49]
        x1 = torch.roll(y, (-3, -3), (1, 2))  # [56, 56, 192]
        x1 = self.windows(x1)  # [64, 49, 192]
        x1 = self.attn(x1, x1, mask=mask)  # [64, 49, 192]
        x1 = self.image(x1)  # [56, 56, 192]
        x1 = torch.roll(x1, (3, 3), (1, 2))  # [56, 56, 192]
        x1 = self.droppath(x1)  # [56, 56, 192]
        x = x1 + x  # [56, 56, 192]
        x2 = self.norm2(x)  # [56, 56, 192]
        x2 = self.mlp(x2)  # [56, 56, 192]
        x2 = self.droppath_2(x2)  # [56, 56, 192]
        x = x2 + x  # [56, 56, 192]
        return x


class Stage_2(nn.Sequential):
    """Block `Stage(heads=6, first=2, depth=2)` on [56, 56, 192]."""

    def __init__(self):
        super().__init__(
            SwinBlock_3(),  # [56, 56, 192]
            SwinBlock_4(),  # [56, 56, 192]
        )


class Windows_3(nn.Module):
    """Block `Windows(M=7)` on [56, 56, 384]."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.reshape(x.shape[0], 8, 7, 8, 7, 384)  # [8, 7, 8, 7, 384]
        x = x.permute(0, 1, 3, 2, 4, 5)  # [8, 8, 7, 7, 384]
        x = x.reshape(x.shape[0], 64, 49, 384)  # [64, 49, 384]
        return x


class Unwindows_3(nn.Module):
    """Block `Unwindows(M=7, H=56, W=56)` on [64, 49, 384]."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.reshape(x.shape[0], 8, 8, 7, 7, 384)  # [8, 8, 7, 7, 384]
        x = x.permute(0, 1, 3, 2, 4, 5)  # [8, 7, 8, 7, 384]
        x = x.reshape(x.shape[0], 56, 56, 384)  # [56, 56, 384]
        return x


class SwinBlock_5(nn.Module):
    """Block `SwinBlock(heads=12, shift=0, p=0.07272727272727274)` on [56, 56, 384]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(384)
        self.windows = Windows_3()
        self.attn = Attention(384, 12, window=(7, 7))
        self.image = Unwindows_3()
        self.droppath = DropPath(0.07272727272727274)
        self.norm2 = nn.LayerNorm(384)
        self.mlp = Mlp(384, 1536)
        self.droppath_2 = DropPath(0.07272727272727274)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 384]
        x1 = self.windows(y)  # [64, 49, 384]
        x1 = self.attn(x1, x1)  # [64, 49, 384]
        x1 = self.image(x1)  # [56, 56, 384]
        x1 = self.droppath(x1)  # [56, 56, 384]
        x = x1 + x  # [56, 56, 384]
        x2 = self.norm2(x)  # [56, 56, 384]
        x2 = self.mlp(x2)  # [56, 56, 384]
        x2 = self.droppath_2(x2)  # [56, 56, 384]
        x = x2 + x  # [56, 56, 384]
        return x


class SwinBlock_6(nn.Module):
    """Block `SwinBlock(heads=12, shift=3, p=0.09090909090909091)` on [56, 56, 384]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(384)
        self.windows = Windows_3()
        self.attn = Attention(384, 12, window=(7, 7))
        self.image = Unwindows_3()
        self.droppath = DropPath(0.09090909090909091)
        self.norm2 = nn.LayerNorm(384)
        self.mlp = Mlp(384, 1536)
        self.droppath_2 = DropPath(0.09090909090909091)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 384]
        mask = shifted_window_mask(y, 7, 3)  # [64, 49, 49]
        x1 = torch.roll(y, (-3, -3), (1, 2))  # [56, 56, 384]
        x1 = self.windows(x1)  # [64, 49, 384]
        x1 = self.attn(x1, x1, mask=mask)  # [64, 49, 384]
        x1 = self.image(x1)  # [56, 56, 384]
        x1 = torch.roll(x1, (3, 3), (1, 2))  # [56, 56, 384]
        x1 = self.droppath(x1)  # [56, 56, 384]
        x = x1 + x  # [56, 56, 384]
        x2 = self.norm2(x)  # [56, 56, 384]
        x2 = self.mlp(x2)  # [56, 56, 384]
        x2 = self.droppath_2(x2)  # [56, 56, 384]
        x = x2 + x  # [56, 56, 384]
        return x


class SwinBlock_7(nn.Module):
    """Block `SwinBlock(heads=12, shift=0, p=0.10909090909090911)` on [56, 56, 384]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(384)
        self.windows = Windows_3()
        self.attn = Attention(384, 12, window=(7, 7))
        self.image = Unwindows_3()
        self.droppath = DropPath(0.10909090909090911)
        self.norm2 = nn.LayerNorm(384)
        self.mlp = Mlp(384, 1536)
        self.droppath_2 = DropPath(0.10909090909090911)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 384]
        x1 = self.windows(y)  # [64, 49, 384]
        x1 = self.attn(x1, x1)  # [64, 49, 384]
        x1 = self.image(x1)  # [56, 56, 384]
        x1 = self.droppath(x1)  # [56, 56, 384]
        x = x1 + x  # [56, 56, 384]
        x2 = self.norm2(x)  # [56, 56, 384]
        x2 = self.mlp(x2)  # [56, 56, 384]
        x2 = self.droppath_2(x2)  # [56, 56, 384]
        x = x2 + x  # [56, 56, 384]
        return x


class SwinBlock_8(nn.Module):
    """Block `SwinBlock(heads=12, shift=3, p=0.1272727272727273)` on [56, 56, 384]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(384)
        self.windows = Windows_3()
        self.attn = Attention(384, 12, window=(7, 7))
        self.image = Unwindows_3()
        self.droppath = DropPath(0.1272727272727273)
        self.norm2 = nn.LayerNorm(384)
        self.mlp = Mlp(384, 1536)
        self.droppath_2 = DropPath(0.1272727272727273)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 384]
        mask = shifted_window_mask(y, 7, 3)  # [64, 49, 49]
        x1 = torch.roll(y, (-3, -3), (1, 2))  # [56, 56, 384]
        x1 = self.windows(x1)  # [64, 49, 384]
        x1 = self.attn(x1, x1, mask=mask)  # [64, 49, 384]
        x1 = self.image(x1)  # [56, 56, 384]
        x1 = torch.roll(x1, (3, 3), (1, 2))  # [56, 56, 384]
        x1 = self.droppath(x1)  # [56, 56, 384]
        x = x1 + x  # [56, 56, 384]
        x2 = self.norm2(x)  # [56, 56, 384]
        x2 = self.mlp(x2)  # [56, 56, 384]
        x2 = self.droppath_2(x2)  # [56, 56, 384]
        x = x2 + x  # [56, 56, 384]
        return x


class SwinBlock_9(nn.Module):
    """Block `SwinBlock(heads=12, shift=0, p=0.14545454545454548)` on [56, 56, 384]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(384)
        self.windows = Windows_3()
        self.attn = Attention(384, 12, window=(7, 7))
        self.image = Unwindows_3()
        self.droppath = DropPath(0.14545454545454548)
        self.norm2 = nn.LayerNorm(384)
        self.mlp = Mlp(384, 1536)
        self.droppath_2 = DropPath(0.14545454545454548)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 384]
        x1 = self.windows(y)  # [64, 49, 384]
        x1 = self.attn(x1, x1)  # [64, 49, 384]
        x1 = self.image(x1)  # [56, 56, 384]
        x1 = self.droppath(x1)  # [56, 56, 384]
        x = x1 + x  # [56, 56, 384]
        x2 = self.norm2(x)  # [56, 56, 384]
        x2 = self.mlp(x2)  # [56, 56, 384]
        x2 = self.droppath_2(x2)  # [56, 56, 384]
        x = x2 + x  # [56, 56, 384]
        return x


class SwinBlock_10(nn.Module):
    """Block `SwinBlock(heads=12, shift=3, p=0.16363636363636364)` on [56, 56, 384]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(384)
        self.windows = Windows_3()
        self.attn = Attention(384, 12, window=(7, 7))
        self.image = Unwindows_3()
        self.droppath = DropPath(0.16363636363636364)
        self.norm2 = nn.LayerNorm(384)
        self.mlp = Mlp(384, 1536)
        self.droppath_2 = DropPath(0.16363636363636364)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 384]
        mask = shifted_window_mask(y, 7, 3)  # [64, 49, 49]
        x1 = torch.roll(y, (-3, -3), (1, 2))  # [56, 56, 384]
        x1 = self.windows(x1)  # [64, 49, 384]
        x1 = self.attn(x1, x1, mask=mask)  # [64, 49, 384]
        x1 = self.image(x1)  # [56, 56, 384]
        x1 = torch.roll(x1, (3, 3), (1, 2))  # [56, 56, 384]
        x1 = self.droppath(x1)  # [56, 56, 384]
        x = x1 + x  # [56, 56, 384]
        x2 = self.norm2(x)  # [56, 56, 384]
        x2 = self.mlp(x2)  # [56, 56, 384]
        x2 = self.droppath_2(x2)  # [56, 56, 384]
        x = x2 + x  # [56, 56, 384]
        return x


class Stage_3(nn.Sequential):
    """Block `Stage(heads=12, first=4, depth=6)` on [56, 56, 384]."""

    def __init__(self):
        super().__init__(
            SwinBlock_5(),  # [56, 56, 384]
            SwinBlock_6(),  # [56, 56, 384]
            SwinBlock_7(),  # [56, 56, 384]
            SwinBlock_8(),  # [56, 56, 384]
            SwinBlock_9(),  # [56, 56, 384]
            SwinBlock_10(),  # [56, 56, 384]
        )


class Windows_4(nn.Module):
    """Block `Windows(M=7)` on [56, 56, 768]."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.reshape(x.shape[0], 8, 7, 8, 7, 768)  # [8, 7, 8, 7, 768]
        x = x.permute(0, 1, 3, 2, 4, 5)  # [8, 8, 7, 7, 768]
        x = x.reshape(x.shape[0], 64, 49, 768)  # [64, 49, 768]
        return x


class Unwindows_4(nn.Module):
    """Block `Unwindows(M=7, H=56, W=56)` on [64, 49, 768]."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.reshape(x.shape[0], 8, 8, 7, 7, 768)  # [8, 8, 7, 7, 768]
        x = x.permute(0, 1, 3, 2, 4, 5)  # [8, 7, 8, 7, 768]
        x = x.reshape(x.shape[0], 56, 56, 768)  # [56, 56, 768]
        return x


class SwinBlock_11(nn.Module):
    """Block `SwinBlock(heads=24, shift=0, p=0.18181818181818182)` on [56, 56, 768]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(768)
        self.windows = Windows_4()
        self.attn = Attention(768, 24, window=(7, 7))
        self.image = Unwindows_4()
        self.droppath = DropPath(0.18181818181818182)
        self.norm2 = nn.LayerNorm(768)
        self.mlp = Mlp(768, 3072)
        self.droppath_2 = DropPath(0.18181818181818182)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 768]
        x1 = self.windows(y)  # [64, 49, 768]
        x1 = self.attn(x1, x1)  # [64, 49, 768]
        x1 = self.image(x1)  # [56, 56, 768]
        x1 = self.droppath(x1)  # [56, 56, 768]
        x = x1 + x  # [56, 56, 768]
        x2 = self.norm2(x)  # [56, 56, 768]
        x2 = self.mlp(x2)  # [56, 56, 768]
        x2 = self.droppath_2(x2)  # [56, 56, 768]
        x = x2 + x  # [56, 56, 768]
        return x


class SwinBlock_12(nn.Module):
    """Block `SwinBlock(heads=24, shift=3, p=0.2)` on [56, 56, 768]."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(768)
        self.windows = Windows_4()
        self.attn = Attention(768, 24, window=(7, 7))
        self.image = Unwindows_4()
        self.droppath = DropPath(0.2)
        self.norm2 = nn.LayerNorm(768)
        self.mlp = Mlp(768, 3072)
        self.droppath_2 = DropPath(0.2)

    def forward(self, x):
        y = self.norm1(x)  # [56, 56, 768]
        mask = shifted_window_mask(y, 7, 3)  # [64, 49, 49]
        x1 = torch.roll(y, (-3, -3), (1, 2))  # [56, 56, 768]
        x1 = self.windows(x1)  # [64, 49, 768]
        x1 = self.attn(x1, x1, mask=mask)  # [64, 49, 768]
        x1 = self.image(x1)  # [56, 56, 768]
        x1 = torch.roll(x1, (3, 3), (1, 2))  # [56, 56, 768]
        x1 = self.droppath(x1)  # [56, 56, 768]
        x = x1 + x  # [56, 56, 768]
        x2 = self.norm2(x)  # [56, 56, 768]
        x2 = self.mlp(x2)  # [56, 56, 768]
        x2 = self.droppath_2(x2)  # [56, 56, 768]
        x = x2 + x  # [56, 56, 768]
        return x


class Stage_4(nn.Sequential):
    """Block `Stage(heads=24, first=10, depth=2)` on [56, 56, 768]."""

    def __init__(self):
        super().__init__(
            SwinBlock_11(),  # [56, 56, 768]
            SwinBlock_12(),  # [56, 56, 768]
        )


class Features(nn.Sequential):
    """Block `Features()` on [3, 224, 224]."""

    def __init__(self):
        super().__init__(
            PatchEmbedding(3),  # [56, 56, 96]
            Stage(),  # [56, 56, 96]
            PatchMerging(96),  # [56, 56, 192]
            Stage_2(),  # [56, 56, 192]
            PatchMerging(192),  # [56, 56, 384]
            Stage_3(),  # [56, 56, 384]
            PatchMerging(384),  # [56, 56, 768]
            Stage_4(),  # [56, 56, 768]
        )


class Swin_T(nn.Module):
    """Network `Swin_T(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.features = Features()
        self.norm = nn.LayerNorm(768)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(768, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = self.features(image)  # [56, 56, 768]
        x = self.norm(x)  # [56, 56, 768]
        x = x.permute(0, 3, 1, 2)  # [768, 56, 56]
        x = self.avgpool(x).flatten(1)  # [768]
        x = self.head(x)  # [classes]
        return x
