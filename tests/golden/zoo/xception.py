"""Xception, compiled by nnspec from specs/xception.nn.

Inputs: image [3, 299, 299]; outputs: [1000] (shapes without the batch dimension).
Parameters: 22,855,952. Generated code: edit the spec and compile it again.
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


class ConvBN(nn.Module):
    """Block `ConvBN(out, kernel, stride)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out, kernel, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out, kernel, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(out, eps=0.001, momentum=0.01)

    def forward(self, x):
        x = self.conv(x)  # [out, (H - kernel) // stride + 1, (W - kernel) // stride + 1]
        x = self.bn(x)  # [out, (H - kernel) // stride + 1, (W - kernel) // stride + 1]
        return x


class SepConvBN(nn.Module):
    """Block `SepConvBN(out)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out):
        super().__init__()
        self.sepconv = nn.Sequential(
            nn.Conv2d(in_channels, in_channels, 3, padding='same', groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out, 1, bias=False),
        )
        self.bn = nn.BatchNorm2d(out, eps=0.001, momentum=0.01)

    def forward(self, x):
        x = self.sepconv(x)  # [out, H, W]
        x = self.bn(x)  # [out, H, W]
        return x


class Down(nn.Module):
    """Block `Down(mid, out, pad)` on [in_channels, H, W]."""

    def __init__(self, in_channels, mid, out, pad=1):
        super().__init__()
        self.relu = nn.ReLU()
        self.sepconv1 = SepConvBN(in_channels, mid)
        self.relu_2 = nn.ReLU()
        self.sepconv2 = SepConvBN(mid, out)
        self.pool = nn.MaxPool2d(3, stride=2, padding=pad, ceil_mode=True)
        self.proj = ConvBN(in_channels, out, 1, stride=2)

    def forward(self, x):
        x1 = self.relu(x)  # [in_channels, H, W]
        x1 = self.sepconv1(x1)  # [mid, H, W]
        x1 = self.relu_2(x1)  # [mid, H, W]
        x1 = self.sepconv2(x1)  # [out, H, W]
        x1 = self.pool(x1)  # [out, ?, ?]
        shortcut = self.proj(x)  # [out, (H + 1) // 2, (W + 1) // 2]
        x = x1 + shortcut  # [out, ?, ?]
        return x


class Middle(nn.Module):
    """Block `Middle(width)` on [width, H, W]."""

    def __init__(self, width):
        super().__init__()
        self.relu = nn.ReLU()
        self.sepconv1 = SepConvBN(width, width)
        self.relu_2 = nn.ReLU()
        self.sepconv2 = SepConvBN(width, width)
        self.relu_3 = nn.ReLU()
        self.sepconv3 = SepConvBN(width, width)

    def forward(self, x):
        x1 = self.relu(x)  # [width, H, W]
        x1 = self.sepconv1(x1)  # [width, H, W]
        x1 = self.relu_2(x1)  # [width, H, W]
        x1 = self.sepconv2(x1)  # [width, H, W]
        x1 = self.relu_3(x1)  # [width, H, W]
        x1 = self.sepconv3(x1)  # [width, H, W]
        x = x1 + x  # [width, H, W]
        return x


class Xception(nn.Module):
    """Network `Xception(classes=1000)`: image [3, 299, 299] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.block1_conv1 = ConvBN(3, 32, 3, stride=2)
        self.relu = nn.ReLU()
        self.block1_conv2 = ConvBN(32, 64, 3)
        self.relu_2 = nn.ReLU()
        self.block2 = Down(64, 128, 128)
        self.block3 = Down(128, 256, 256, pad=0)
        self.block4 = Down(256, 728, 728)
        self.middle = nn.Sequential(*[Middle(728) for _ in range(8)])
        self.block13 = Down(728, 728, 1024)
        self.block14_sepconv1 = SepConvBN(1024, 1536)
        self.relu_3 = nn.ReLU()
        self.block14_sepconv2 = SepConvBN(1536, 2048)
        self.relu_4 = nn.ReLU()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.predictions = nn.Linear(2048, classes)

    def forward(self, image):
        """image [batch, 3, 299, 299] -> [batch, 1000]"""
        check_input(image, 'image', [3, 299, 299])
        x = self.block1_conv1(image)  # [32, 149, 149]
        x = self.relu(x)  # [32, 149, 149]
        x = self.block1_conv2(x)  # [64, 147, 147]
        x = self.relu_2(x)  # [64, 147, 147]
        x = self.block2(x)  # [128, ?, ?]
        x = self.block3(x)  # [256, ?, ?]
        x = self.block4(x)  # [728, ?, ?]
        x = self.middle(x)  # [728, ?, ?]
        x = self.block13(x)  # [1024, ?, ?]
        x = self.block14_sepconv1(x)  # [1536, ?, ?]
        x = self.relu_3(x)  # [1536, ?, ?]
        x = self.block14_sepconv2(x)  # [2048, ?, ?]
        x = self.relu_4(x)  # [2048, ?, ?]
        x = self.avg_pool(x).flatten(1)  # [2048]
        x = self.predictions(x)  # [classes]
        return x
