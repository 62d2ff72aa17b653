"""Ladder, compiled by nnspec from tests/golden/named_values.nn.

Inputs: image [3, 16, 16]; outputs: [4, 16, 16] (shapes without the batch dimension).
Parameters: 14,480. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class Up(nn.Module):
    """Block `Up(skip)` on [in_channels, H, W]; instances: `up1`, `up2`."""

    def __init__(self, in_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2)
        self.conv = nn.Conv2d(in_channels, in_channels // 2, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x, skip):
        x = self.up(x)  # [in_channels // 2, 2*H, 2*W]
        x = torch.cat([x, skip], dim=1)  # [in_channels, 2*H, 2*W]
        x = self.conv(x)  # [in_channels // 2, 2*H, 2*W]
        x = self.relu(x)  # [in_channels // 2, 2*H, 2*W]
        return x


class Join(nn.Module):
    """Block `Join(a, b)`; instances: `head`."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(19, 4, 1)

    def forward(self, x, a, b):
        x = torch.cat([x, a, b], dim=1)  # [19, 16, 16]
        x = self.conv(x)  # [4, 16, 16]
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
        self.up1 = Up(32)
        self.up2 = Up(16)
        self.head = Join()

    def forward(self, image):
        """image [batch, 3, 16, 16] -> [batch, 4, 16, 16]"""
        e1 = getattr(self, "0")(image)  # [8, 16, 16]
        e2 = self.maxpool(e1)  # [8, 8, 8]
        e2 = getattr(self, "2")(e2)  # [16, 8, 8]
        x = self.maxpool_2(e2)  # [16, 4, 4]
        x = getattr(self, "4")(x)  # [32, 4, 4]
        x = self.up1(x, e2)  # [16, 8, 8]
        x = self.up2(x, e1)  # [8, 16, 16]
        x = self.head(x, e1, image)  # [4, 16, 16]
        return x
