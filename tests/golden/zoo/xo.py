"""XO, compiled by nnspec from specs/xo.nn.

Inputs: image [1, 9, 9]; outputs: [2] (shapes without the batch dimension).
Parameters: 170. Generated code: edit the spec and compile it again.
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


class XO(nn.Module):
    """Network `XO(classes=2)`: image [1, 9, 9] -> [2] (shapes without the batch dimension)."""

    def __init__(self, classes=2):
        super().__init__()
        self.add_module("0", nn.Conv2d(1, 4, 3, padding=1))
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.add_module("4", nn.Linear(64, classes))

    def forward(self, image):
        """image [batch, 1, 9, 9] -> [batch, 2]"""
        check_input(image, 'image', [1, 9, 9])
        x = getattr(self, "0")(image)  # [4, 9, 9]
        x = self.relu(x)  # [4, 9, 9]
        x = self.maxpool(x)  # [4, 4, 4]
        x = self.flatten(x)  # [64]
        x = getattr(self, "4")(x)  # [classes]
        return x
