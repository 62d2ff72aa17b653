"""VGG16, compiled by nnspec from specs/vgg16.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 138,357,544. Generated code: edit the spec and compile it again.
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


class Features(nn.Sequential):
    """Block `Features()` on [in_channels, H, W]."""

    def __init__(self, in_channels):
        layers = []
        channels = in_channels
        for _ in range(2):
            layers.append(nn.Conv2d(channels, 64, 3, padding=1))  # [64, H, W]
            layers.append(nn.ReLU())  # [64, H, W]
            channels = 64
        layers.append(nn.MaxPool2d(2))  # [64, H // 2, W // 2]
        channels_2 = 64
        for _ in range(2):
            layers.append(nn.Conv2d(channels_2, 128, 3, padding=1))  # [128, H // 2, W // 2]
            layers.append(nn.ReLU())  # [128, H // 2, W // 2]
            channels_2 = 128
        layers.append(nn.MaxPool2d(2))  # [128, H // 4, W // 4]
        channels_3 = 128
        for _ in range(3):
            layers.append(nn.Conv2d(channels_3, 256, 3, padding=1))  # [256, H // 4, W // 4]
            layers.append(nn.ReLU())  # [256, H // 4, W // 4]
            channels_3 = 256
        layers.append(nn.MaxPool2d(2))  # [256, H // 8, W // 8]
        channels_4 = 256
        for _ in range(3):
            layers.append(nn.Conv2d(channels_4, 512, 3, padding=1))  # [512, H // 8, W // 8]
            layers.append(nn.ReLU())  # [512, H // 8, W // 8]
            channels_4 = 512
        layers.append(nn.MaxPool2d(2))  # [512, H // 16, W // 16]
        for _ in range(3):
            layers.append(nn.Conv2d(512, 512, 3, padding=1))  # [512, H // 16, W // 16]
            layers.append(nn.ReLU())  # [512, H // 16, W // 16]
        layers.append(nn.MaxPool2d(2))  # [512, H // 32, W // 32]
        super().__init__(*layers)


class Classifier(nn.Sequential):
    """Block `Classifier(classes)` on [in_features]."""

    def __init__(self, in_features, classes):
        super().__init__(
            nn.Linear(in_features, 4096),  # [4096]
            nn.ReLU(),  # [4096]
            nn.Dropout(),  # [4096]
            nn.Linear(4096, 4096),  # [4096]
            nn.ReLU(),  # [4096]
            nn.Dropout(),  # [4096]
            nn.Linear(4096, classes),  # [classes]
        )


class VGG16(nn.Module):
    """Network `VGG16(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.features = Features(3)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.flatten = nn.Flatten()
        self.classifier = Classifier(25088, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = self.features(image)  # [512, 7, 7]
        x = self.avgpool(x)  # [512, 7, 7]
        x = self.flatten(x)  # [25088]
        x = self.classifier(x)  # [classes]
        return x
