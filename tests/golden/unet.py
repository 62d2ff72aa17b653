"""TinyUNet, compiled by nnspec from tests/golden/unet.nn.

Inputs: x [1, 64, 64]; outputs: [2, 64, 64] (shapes without the batch dimension).
Parameters: 11,762. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class TinyUNet(nn.Module):
    """Network `TinyUNet`: x [1, 64, 64] -> [2, 64, 64] (shapes without the batch dimension)."""

    def __init__(self):
        super().__init__()
        self.add_module("0", nn.Conv2d(1, 16, 3, padding='same'))
        self.add_module("1", nn.ReLU())
        self.add_module("2", nn.MaxPool2d(2))
        self.add_module("3", nn.Conv2d(16, 32, 3, padding='same'))
        self.add_module("4", nn.ReLU())
        self.add_module("5", nn.Upsample(scale_factor=2.0))
        self.add_module("6", nn.Conv2d(48, 16, 3, padding='same'))
        self.add_module("7", nn.ReLU())
        self.add_module("8", nn.Conv2d(16, 2, 1))

    def forward(self, x):
        """x [batch, 1, 64, 64] -> [batch, 2, 64, 64]"""
        x = getattr(self, "0")(x)  # [16, 64, 64]
        x = getattr(self, "1")(x)  # [16, 64, 64]
        x1 = getattr(self, "2")(x)  # [16, 32, 32]
        x1 = getattr(self, "3")(x1)  # [32, 32, 32]
        x1 = getattr(self, "4")(x1)  # [32, 32, 32]
        x1 = getattr(self, "5")(x1)  # [32, 64, 64]
        x1 = torch.cat([x1, x], dim=1)  # [48, 64, 64]
        x1 = getattr(self, "6")(x1)  # [16, 64, 64]
        x1 = getattr(self, "7")(x1)  # [16, 64, 64]
        x1 = getattr(self, "8")(x1)  # [2, 64, 64]
        return x1
