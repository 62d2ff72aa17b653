"""AlexNet, compiled by nnspec from specs/alexnet.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 61,100,840. Generated code: edit the spec and compile it again.
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
        super().__init__(
            nn.Conv2d(in_channels, 64, 11, stride=4, padding=2),  # [64, (H - 3) // 4, (W - 3) // 4]
            nn.ReLU(),  # [64, (H - 3) // 4, (W - 3) // 4]
            nn.MaxPool2d(3, stride=2),  # [64, (H - 7) // 8, (W - 7) // 8]
            nn.Conv2d(64, 192, 5, padding=2),  # [192, (H - 7) // 8, (W - 7) // 8]
            nn.ReLU(),  # [192, (H - 7) // 8, (W - 7) // 8]
            nn.MaxPool2d(3, stride=2),  # [192, ((H - 31) // 8 + 2) // 2, ((W - 31) // 8 + 2) // 2]
            nn.Conv2d(192, 384, 3, padding=1),  # [384, ((H - 31) // 8 + 2) // 2, ((W - 31) // 8 + 2) // 2]
            nn.ReLU(),  # [384, ((H - 31) // 8 + 2) // 2, ((W - 31) // 8 + 2) // 2]
            nn.Conv2d(384, 256, 3, padding=1),  # [256, ((H - 31) // 8 + 2) // 2, ((W - 31) // 8 + 2) // 2]
            nn.ReLU(),  # [256, ((H - 31) // 8 + 2) // 2, ((W - 31) // 8 + 2) // 2]
            nn.Conv2d(256, 256, 3, padding=1),  # [256, ((H - 31) // 8 + 2) // 2, ((W - 31) // 8 + 2) // 2]
            nn.ReLU(),  # [256, ((H - 31) // 8 + 2) // 2, ((W - 31) // 8 + 2) // 2]
            nn.MaxPool2d(3, stride=2),  # [256, (H - 31) // 8 // 4, (W - 31) // 8 // 4]
        )


class Classifier(nn.Sequential):
    """Block `Classifier(classes)` on [in_features]."""

    def __init__(self, in_features, classes):
        super().__init__(
            nn.Dropout(),  # [in_features]
            nn.Linear(in_features, 4096),  # [4096]
            nn.ReLU(),  # [4096]
            nn.Dropout(),  # [4096]
            nn.Linear(4096, 4096),  # [4096]
            nn.ReLU(),  # [4096]
            nn.Linear(4096, classes),  # [classes]
        )


class AlexNet(nn.Module):
    """Network `AlexNet(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.features = Features(3)
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.flatten = nn.Flatten()
        self.classifier = Classifier(9216, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = self.features(image)  # [256, 6, 6]
        x = self.avgpool(x)  # [256, 6, 6]
        x = self.flatten(x)  # [9216]
        x = self.classifier(x)  # [classes]
        return x
