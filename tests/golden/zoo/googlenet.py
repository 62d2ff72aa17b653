"""GoogLeNet, compiled by nnspec from specs/googlenet.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 6,624,904. Generated code: edit the spec and compile it again.
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


class BasicConv(nn.Module):
    """Block `BasicConv(out, kernel, stride, padding)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels,
            out,
            kernel,
            stride=stride,
            padding=padding,
            bias=False,
        )
        self.bn = nn.BatchNorm2d(out, eps=0.001)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.conv(x)  # [out, (H - kernel + 2 * padding) // stride + 1, (W - kernel + 2 * padding) // stride + 1]
        x = self.bn(x)  # [out, (H - kernel + 2 * padding) // stride + 1, (W - kernel + 2 * padding) // stride + 1]
        x = self.relu(x)  # [out, (H - kernel + 2 * padding) // stride + 1, (W - kernel + 2 * padding) // stride + 1]
        return x


class ReduceConv(nn.Sequential):
    """Block `ReduceConv(reduce, out)` on [in_channels, H, W]."""

    def __init__(self, in_channels, reduce, out):
        super().__init__(
            BasicConv(in_channels, reduce, 1),  # [reduce, H, W]
            BasicConv(reduce, out, 3, padding=1),  # [out, H, W]
        )


class PoolProj(nn.Sequential):
    """Block `PoolProj(out)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out):
        super().__init__(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),  # [in_channels, H, W]
            BasicConv(in_channels, out, 1),  # [out, H, W]
        )


class Inception(nn.Module):
    """Block `Inception(c1, c3r, c3, c5r, c5, pool_proj)` on [in_channels, H, W]."""

    def __init__(self, in_channels, c1, c3r, c3, c5r, c5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv(in_channels, c1, 1)
        self.branch2 = ReduceConv(in_channels, c3r, c3)
        self.branch3 = ReduceConv(in_channels, c5r, c5)
        self.branch4 = PoolProj(in_channels, pool_proj)

    def forward(self, x):
        branch1 = self.branch1(x)  # [c1, H, W]
        branch2 = self.branch2(x)  # [c3, H, W]
        branch3 = self.branch3(x)  # [c5, H, W]
        branch4 = self.branch4(x)  # [pool_proj, H, W]
        x = torch.cat([branch1, branch2, branch3, branch4], dim=1)  # [c1 + c3 + c5 + pool_proj, H, W]
        return x


class GoogLeNet(nn.Module):
    """Network `GoogLeNet(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = BasicConv(3, 64, 7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv(64, 64, 1)
        self.conv3 = BasicConv(64, 192, 3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(1024, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = self.conv1(image)  # [64, 112, 112]
        x = self.maxpool1(x)  # [64, 56, 56]
        x = self.conv2(x)  # [64, 56, 56]
        x = self.conv3(x)  # [192, 56, 56]
        x = self.maxpool2(x)  # [192, 28, 28]
        x = self.inception3a(x)  # [256, 28, 28]
        x = self.inception3b(x)  # [480, 28, 28]
        x = self.maxpool3(x)  # [480, 14, 14]
        x = self.inception4a(x)  # [512, 14, 14]
        x = self.inception4b(x)  # [512, 14, 14]
        x = self.inception4c(x)  # [512, 14, 14]
        x = self.inception4d(x)  # [528, 14, 14]
        x = self.inception4e(x)  # [832, 14, 14]
        x = self.maxpool4(x)  # [832, 7, 7]
        x = self.inception5a(x)  # [832, 7, 7]
        x = self.inception5b(x)  # [1024, 7, 7]
        x = self.avgpool(x).flatten(1)  # [1024]
        x = self.dropout(x)  # [1024]
        x = self.fc(x)  # [classes]
        return x
