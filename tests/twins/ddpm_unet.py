"""A hand-written PyTorch diffusion U-Net in DDPM's manner (Ho et al., 2020), small: the
time step embedded by its sines and cosines (half sines, then half cosines, at frequencies
from 1 down to 1 / 10000) and an MLP; residual blocks that add the embedding, projected to
their width, to every position; one level down by average pooling and back up to the skip's
own size, so that any image size works. The reference of ``tests/test_diffusion_unet.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / (half - 1))
    angles = t[:, None].float() * freqs[None]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class TimeResBlock(nn.Module):
    def __init__(self, inputs: int, width: int, tdim: int):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, width, 3, padding=1)
        self.norm1 = nn.GroupNorm(4, width)
        self.temb = nn.Linear(tdim, width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.norm2 = nn.GroupNorm(4, width)
        self.skip = nn.Conv2d(inputs, width, 1) if inputs != width else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = F.silu(self.norm1(self.conv1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = F.silu(self.norm2(self.conv2(h)))
        return h + (x if self.skip is None else self.skip(x))


class DDPMUNet(nn.Module):
    def __init__(self, base: int = 16, tdim: int = 64):
        super().__init__()
        self.base = base
        self.time1 = nn.Linear(base, tdim)
        self.time2 = nn.Linear(tdim, tdim)
        self.stem = nn.Conv2d(3, base, 3, padding=1)
        self.down1 = TimeResBlock(base, base, tdim)
        self.down2 = TimeResBlock(base, 2 * base, tdim)
        self.mid = TimeResBlock(2 * base, 2 * base, tdim)
        self.up1 = TimeResBlock(3 * base, base, tdim)
        self.head = nn.Conv2d(base, 3, 1)

    def forward(self, image: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        temb = self.time2(F.silu(self.time1(timestep_embedding(t, self.base))))
        e1 = self.down1(self.stem(image), temb)
        x = self.mid(self.down2(F.avg_pool2d(e1, 2), temb), temb)
        x = F.interpolate(x, size=e1.shape[-2:])
        return self.head(self.up1(torch.cat([x, e1], dim=1), temb))
