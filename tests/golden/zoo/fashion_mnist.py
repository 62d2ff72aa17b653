"""FashionMNIST, compiled by nnspec from specs/fashion_mnist.nn.

Inputs: image [1, 28, 28]; outputs: [10] (shapes without the batch dimension).
Parameters: 421,834. Generated code: edit the spec and compile it again.
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


class ConvStage(nn.Sequential):
    """Block `ConvStage(out)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out):
        super().__init__(
            nn.Conv2d(in_channels, out, 3, padding=1),  # [out, H, W]
            nn.BatchNorm2d(out),  # [out, H, W]
            nn.ReLU(),  # [out, H, W]
            nn.MaxPool2d(2),  # [out, H // 2, W // 2]
        )


class FashionMNIST(nn.Module):
    """Network `FashionMNIST(classes=10)`: image [1, 28, 28] -> [10].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=10):
        super().__init__()
        self.stage1 = ConvStage(1, 32)
        self.stage2 = ConvStage(32, 64)
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(3136, 128)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(0.3)
        self.out = nn.Linear(128, classes)

    def forward(self, image):
        """image [batch, 1, 28, 28] -> [batch, 10]"""
        check_input(image, 'image', [1, 28, 28])
        x = self.stage1(image)  # [32, 14, 14]
        x = self.stage2(x)  # [64, 7, 7]
        x = self.flatten(x)  # [3136]
        x = self.hidden(x)  # [128]
        x = self.relu(x)  # [128]
        x = self.dropout(x)  # [128]
        x = self.out(x)  # [classes]
        return x
