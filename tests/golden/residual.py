"""TinyResNet, compiled by nnspec from tests/golden/residual.nn.

Inputs: image [3, 32, 32]; outputs: [10] (shapes without the batch dimension).
Parameters: 43,226. Generated code: edit the spec and compile it again.
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


class Basic(nn.Module):
    """Block `Basic(width, stride)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.shortcut = None
        if stride != 1 or in_channels != width:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, width, 1, stride=stride, bias=False),
                nn.BatchNorm2d(width),
            )
        self.relu_2 = nn.ReLU()

    def forward(self, x):
        x1 = self.conv1(x)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.bn1(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.relu(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.conv2(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.bn2(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        shortcut = x
        if self.shortcut is not None:
            shortcut = self.shortcut(x)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x = x1 + shortcut  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x = self.relu_2(x)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        return x


class TinyResNet(nn.Module):
    """Network `TinyResNet(classes=10)`: image [3, 32, 32] -> [10].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.add_module("0", nn.BatchNorm2d(16))
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(*[Basic(16, 16) for _ in range(2)])
        self.layer2 = Basic(16, 32, stride=2)
        self.add_module("2", Basic(32, 32))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, classes)

    def forward(self, image):
        """image [batch, 3, 32, 32] -> [batch, 10]"""
        check_input(image, 'image', [3, 32, 32])
        x = self.stem(image)  # [16, 32, 32]
        x = getattr(self, "0")(x)  # [16, 32, 32]
        x = self.relu(x)  # [16, 32, 32]
        x = self.layer1(x)  # [16, 32, 32]
        x = self.layer2(x)  # [32, 16, 16]
        x = getattr(self, "2")(x)  # [32, 16, 16]
        x = self.pool(x).flatten(1)  # [32]
        x = self.fc(x)  # [classes]
        return x
