"""TinyUNet, compiled by nnspec from tests/golden/unet.nn.

Inputs: x [1, 64, 64]; outputs: [2, 64, 64] (shapes without the batch dimension).
Parameters: 11,762. Generated code: edit the spec and compile it again.
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


class TinyUNet(nn.Module):
    """Network `TinyUNet`: x [1, 64, 64] -> [2, 64, 64] (shapes without the batch dimension)."""

    def __init__(self):
        super().__init__()
        self.add_module("0", nn.Conv2d(1, 16, 3, padding='same'))
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(2)
        self.add_module("3", nn.Conv2d(16, 32, 3, padding='same'))
        self.relu_2 = nn.ReLU()
        self.upsample = nn.Upsample(scale_factor=2.0)
        self.add_module("6", nn.Conv2d(48, 16, 3, padding='same'))
        self.relu_3 = nn.ReLU()
        self.add_module("8", nn.Conv2d(16, 2, 1))

    def forward(self, x):
        """x [batch, 1, 64, 64] -> [batch, 2, 64, 64]"""
        check_input(x, 'x', [1, 64, 64])
        e1 = getattr(self, "0")(x)  # [16, 64, 64]
        e1 = self.relu(e1)  # [16, 64, 64]
        e2 = self.maxpool(e1)  # [16, 32, 32]
        e2 = getattr(self, "3")(e2)  # [32, 32, 32]
        e2 = self.relu_2(e2)  # [32, 32, 32]
        x1 = self.upsample(e2)  # [32, 64, 64]
        x1 = torch.cat([x1, e1], dim=1)  # [48, 64, 64]
        x1 = getattr(self, "6")(x1)  # [16, 64, 64]
        x1 = self.relu_3(x1)  # [16, 64, 64]
        x1 = getattr(self, "8")(x1)  # [2, 64, 64]
        return x1
