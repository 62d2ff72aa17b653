"""Ladder, compiled by nnspec from tests/golden/named_values.nn.

Inputs: image [3, 16, 16]; outputs: [4, 16, 16] (shapes without the batch dimension).
Parameters: 14,480. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class Up(nn.Module):
    """Block `Up(skip)` on [C, H, W]."""

    def __init__(self, C, skip_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(C, C // 2, 2, stride=2)
        self.conv = nn.Conv2d(skip_channels + C // 2, C // 2, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x, skip):
        x = self.up(x)  # [C // 2, 2 * H, 2 * W]
        x = torch.cat([x, skip], dim=1)  # [skip_channels + C // 2, 2 * H, 2 * W]
        x = self.conv(x)  # [C // 2, 2 * H, 2 * W]
        x = self.relu(x)  # [C // 2, 2 * H, 2 * W]
        return x


class Join(nn.Module):
    """Block `Join(a, b)` on [in_channels, H, W]."""

    def __init__(self, in_channels, a_channels, b_channels):
        super().__init__()
        self.conv = nn.Conv2d(a_channels + b_channels + in_channels, 4, 1)

    def forward(self, x, a, b):
        x = torch.cat([x, a, b], dim=1)  # [a_channels + b_channels + in_channels, H, W]
        x = self.conv(x)  # [4, H, W]
        return x


class Ladder(nn.Module):
    """Network `Ladder`: image [3, 16, 16] -> [4, 16, 16] (shapes without the batch dimension)."""

    def __init__(self):
        super().__init__()
        self.add_module("0", nn.Conv2d(3, 8, 3, padding=1))
        self.maxpool = nn.MaxPool2d(2)
        self.add_module("2", nn.Conv2d(8, 16, 3, padding=1))
        self.maxpool_2 = nn.MaxPool2d(2)
        self.add_module("4", nn.Conv2d(16, 32, 3, padding=1))
        self.up1 = Up(32, 16)
        self.up2 = Up(16, 8)
        self.head = Join(8, 8, 3)

    def forward(self, image):
        """image [batch, 3, 16, 16] -> [batch, 4, 16, 16]"""
        check_input(image, 'image', [3, 16, 16])
        e1 = getattr(self, "0")(image)  # [8, 16, 16]
        e2 = self.maxpool(e1)  # [8, 8, 8]
        e2 = getattr(self, "2")(e2)  # [16, 8, 8]
        x = self.maxpool_2(e2)  # [16, 4, 4]
        x = getattr(self, "4")(x)  # [32, 4, 4]
        x = self.up1(x, e2)  # [16, 8, 8]
        x = self.up2(x, e1)  # [8, 16, 16]
        x = self.head(x, e1, image)  # [4, 16, 16]
        return x
