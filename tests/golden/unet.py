"""TinyUNet, compiled by nnspec from tests/golden/unet.nn.

Inputs: x [1, 64, 64]; outputs: [2, 64, 64] (shapes without the batch dimension).
Parameters: 11,762. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class TinyUNet(nn.ModuleList):
    """Network `TinyUNet`: x [1, 64, 64] -> [2, 64, 64] (shapes without the batch dimension)."""

    def __init__(self):
        super().__init__([
            nn.Conv2d(1, 16, 3, padding='same'),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding='same'),
            nn.ReLU(),
            nn.Upsample(scale_factor=2.0),
            nn.Conv2d(48, 16, 3, padding='same'),
            nn.ReLU(),
            nn.Conv2d(16, 2, 1),
        ])

    def forward(self, x):
        """x [batch, 1, 64, 64] -> [batch, 2, 64, 64]"""
        e1 = self[0](x)  # [16, 64, 64]
        e1 = self[1](e1)  # [16, 64, 64]
        e2 = self[2](e1)  # [16, 32, 32]
        e2 = self[3](e2)  # [32, 32, 32]
        e2 = self[4](e2)  # [32, 32, 32]
        x = self[5](e2)  # [32, 64, 64]
        x = torch.cat([x, e1], dim=1)  # [48, 64, 64]
        x = self[6](x)  # [16, 64, 64]
        x = self[7](x)  # [16, 64, 64]
        x = self[8](x)  # [2, 64, 64]
        return x
