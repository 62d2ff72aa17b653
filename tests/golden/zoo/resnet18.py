"""ResNet18, compiled by nnspec from specs/resnet18.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 11,689,512. Generated code: edit the spec and compile it again.
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


class BasicBlock(nn.Module):
    """Block `BasicBlock(width)` on [width, H, W]."""

    def __init__(self, width):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu_2 = nn.ReLU()

    def forward(self, x):
        x1 = self.conv1(x)  # [width, H, W]
        x1 = self.bn1(x1)  # [width, H, W]
        x1 = self.relu(x1)  # [width, H, W]
        x1 = self.conv2(x1)  # [width, H, W]
        x1 = self.bn2(x1)  # [width, H, W]
        x = x1 + x  # [width, H, W]
        x = self.relu_2(x)  # [width, H, W]
        return x


class Projection(nn.Sequential):
    """Block `Projection(width, stride)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width, stride):
        super().__init__(
            nn.Conv2d(in_channels, width, 1, stride=stride, bias=False),  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(width),  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class DownBlock(nn.Module):
    """Block `DownBlock(width, stride)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width, stride=2):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = Projection(in_channels, width, stride)
        self.relu_2 = nn.ReLU()

    def forward(self, x):
        x1 = self.conv1(x)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.bn1(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.relu(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.conv2(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.bn2(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        shortcut = self.downsample(x)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x = x1 + shortcut  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x = self.relu_2(x)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        return x


class BasicStage(nn.Sequential):
    """Block `BasicStage(width, blocks)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width, blocks):
        super().__init__(
            DownBlock(in_channels, width),  # [width, (H + 1) // 2, (W + 1) // 2]
            *[BasicBlock(width) for _ in range(blocks - 1)],  # [width, (H + 1) // 2, (W + 1) // 2]
        )


class ResNet18(nn.Module):
    """Network `ResNet18(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = nn.Sequential(*[BasicBlock(64) for _ in range(2)])
        self.layer2 = BasicStage(64, 128, 2)
        self.layer3 = BasicStage(128, 256, 2)
        self.layer4 = BasicStage(256, 512, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = self.conv1(image)  # [64, 112, 112]
        x = self.bn1(x)  # [64, 112, 112]
        x = self.relu(x)  # [64, 112, 112]
        x = self.maxpool(x)  # [64, 56, 56]
        x = self.layer1(x)  # [64, 56, 56]
        x = self.layer2(x)  # [128, 28, 28]
        x = self.layer3(x)  # [256, 14, 14]
        x = self.layer4(x)  # [512, 7, 7]
        x = self.avgpool(x).flatten(1)  # [512]
        x = self.fc(x)  # [classes]
        return x
