"""ResNet152, compiled by nnspec from specs/resnet152.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 60,192,808. Generated code: edit the spec and compile it again.
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


class Bottleneck(nn.Module):
    """Block `Bottleneck(width, stride)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu_2 = nn.ReLU()
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.shortcut = None
        if stride != 1 or in_channels != 4 * width:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, 4 * width, 1, stride=stride, bias=False),
                nn.BatchNorm2d(4 * width),
            )
        self.relu_3 = nn.ReLU()

    def forward(self, x):
        x1 = self.conv1(x)  # [width, H, W]
        x1 = self.bn1(x1)  # [width, H, W]
        x1 = self.relu(x1)  # [width, H, W]
        x1 = self.conv2(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.bn2(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.relu_2(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.conv3(x1)  # [4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x1 = self.bn3(x1)  # [4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        shortcut = x
        if self.shortcut is not None:
            shortcut = self.shortcut(x)  # [4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x = x1 + shortcut  # [4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        x = self.relu_3(x)  # [4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        return x


class Stage(nn.Sequential):
    """Block `Stage(width, blocks, stride)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width, blocks, stride=1):
        super().__init__(
            Bottleneck(in_channels, width, stride=stride),  # [4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]
            *[Bottleneck(4 * width, width) for _ in range(blocks - 1)],  # [4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class ResNet152(nn.Module):
    """Network `ResNet152(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = Stage(64, 64, 3)
        self.layer2 = Stage(256, 128, 8, stride=2)
        self.layer3 = Stage(512, 256, 36, stride=2)
        self.layer4 = Stage(1024, 512, 3, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = self.conv1(image)  # [64, 112, 112]
        x = self.bn1(x)  # [64, 112, 112]
        x = self.relu(x)  # [64, 112, 112]
        x = self.maxpool(x)  # [64, 56, 56]
        x = self.layer1(x)  # [256, 56, 56]
        x = self.layer2(x)  # [512, 28, 28]
        x = self.layer3(x)  # [1024, 14, 14]
        x = self.layer4(x)  # [2048, 7, 7]
        x = self.avgpool(x).flatten(1)  # [2048]
        x = self.fc(x)  # [classes]
        return x
