"""DeepLabV3, compiled by nnspec from specs/deeplabv3_resnet50.nn.

Inputs: image [3, 500, 500]; outputs: [21, 500, 500] (shapes without the batch dimension).
Parameters: 39,638,869. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn
import torch.nn.functional as F


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


class DilatedBottleneck(nn.Module):
    """Block `DilatedBottleneck(width, dilation)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width, dilation):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(
            width,
            width,
            3,
            padding=dilation,
            dilation=dilation,
            bias=False,
        )
        self.bn2 = nn.BatchNorm2d(width)
        self.relu_2 = nn.ReLU()
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.shortcut = None
        if in_channels != 4 * width:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, 4 * width, 1, bias=False),
                nn.BatchNorm2d(4 * width),
            )
        self.relu_3 = nn.ReLU()

    def forward(self, x):
        x1 = self.conv1(x)  # [width, H, W]
        x1 = self.bn1(x1)  # [width, H, W]
        x1 = self.relu(x1)  # [width, H, W]
        x1 = self.conv2(x1)  # [width, H, W]
        x1 = self.bn2(x1)  # [width, H, W]
        x1 = self.relu_2(x1)  # [width, H, W]
        x1 = self.conv3(x1)  # [4 * width, H, W]
        x1 = self.bn3(x1)  # [4 * width, H, W]
        shortcut = x
        if self.shortcut is not None:
            shortcut = self.shortcut(x)  # [4 * width, H, W]
        x = x1 + shortcut  # [4 * width, H, W]
        x = self.relu_3(x)  # [4 * width, H, W]
        return x


class DilatedStage(nn.Sequential):
    """Block `DilatedStage(width, blocks, first, dilation)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width, blocks, first, dilation):
        super().__init__(
            DilatedBottleneck(in_channels, width, first),  # [4 * width, H, W]
            *[DilatedBottleneck(4 * width, width, dilation) for _ in range(blocks - 1)],  # [4 * width, H, W]
        )


class Backbone(nn.Module):
    """Block `Backbone()` on [in_channels, H, W]."""

    def __init__(self, in_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = Stage(64, 64, 3)
        self.layer2 = Stage(256, 128, 4, stride=2)
        self.layer3 = DilatedStage(512, 256, 6, 1, 2)
        self.layer4 = DilatedStage(1024, 512, 3, 2, 4)

    def forward(self, x):
        x = self.conv1(x)  # [64, (H + 1) // 2, (W + 1) // 2]
        x = self.bn1(x)  # [64, (H + 1) // 2, (W + 1) // 2]
        x = self.relu(x)  # [64, (H + 1) // 2, (W + 1) // 2]
        x = self.maxpool(x)  # [64, (H + 3) // 4, (W + 3) // 4]
        x = self.layer1(x)  # [256, (H + 3) // 4, (W + 3) // 4]
        x = self.layer2(x)  # [512, (H + 7) // 8, (W + 7) // 8]
        x = self.layer3(x)  # [1024, (H + 7) // 8, (W + 7) // 8]
        x = self.layer4(x)  # [2048, (H + 7) // 8, (W + 7) // 8]
        return x


class ASPPConv(nn.Sequential):
    """Block `ASPPConv(k, rate)` on [in_channels, H, W]."""

    def __init__(self, in_channels, k=1, rate=1):
        super().__init__(
            nn.Conv2d(
                in_channels,
                256,
                k,
                padding=(k * rate - rate) // 2,
                dilation=rate,
                bias=False,
            ),  # [256, H - k * rate + rate + 2 * ((k * rate - rate) // 2), W - k * rate + rate + 2 * ((k * rate - rate) // 2)]
            nn.BatchNorm2d(256),  # [256, H - k * rate + rate + 2 * ((k * rate - rate) // 2), W - k * rate + rate + 2 * ((k * rate - rate) // 2)]
            nn.ReLU(),  # [256, H - k * rate + rate + 2 * ((k * rate - rate) // 2), W - k * rate + rate + 2 * ((k * rate - rate) // 2)]
        )


class ASPPPooling(nn.Module):
    """Block `ASPPPooling(like)` on [in_channels, H, W]."""

    def __init__(self, in_channels):
        super().__init__()
        self.adaptiveavgpool = nn.AdaptiveAvgPool2d(1)
        self.add_module("1", nn.Conv2d(in_channels, 256, 1, bias=False))
        self.add_module("2", nn.BatchNorm2d(256))
        self.relu = nn.ReLU()

    def forward(self, x, like):
        x = self.adaptiveavgpool(x)  # [in_channels, 1, 1]
        x = getattr(self, "1")(x)  # [256, 1, 1]
        x = getattr(self, "2")(x)  # [256, 1, 1]
        x = self.relu(x)  # [256, 1, 1]
        x = F.interpolate(x, size=like.shape[2:], mode='bilinear', align_corners=False)  # [256, like_H, like_W]
        return x


class ASPPProject(nn.Sequential):
    """Block `ASPPProject()` on [in_channels, H, W]."""

    def __init__(self, in_channels):
        super().__init__(
            nn.Conv2d(in_channels, 256, 1, bias=False),  # [256, H, W]
            nn.BatchNorm2d(256),  # [256, H, W]
            nn.ReLU(),  # [256, H, W]
            nn.Dropout(),  # [256, H, W]
        )


class ASPP(nn.Module):
    """Block `ASPP(features, r1, r2, r3)` on [in_channels, H, W]."""

    def __init__(self, in_channels, r1=12, r2=24, r3=36):
        super().__init__()
        self.convs = nn.ModuleDict({
            "0": ASPPConv(in_channels),
            "1": ASPPConv(in_channels, k=3, rate=r1),
            "2": ASPPConv(in_channels, k=3, rate=r2),
            "3": ASPPConv(in_channels, k=3, rate=r3),
            "4": ASPPPooling(in_channels),
        })
        self.project = ASPPProject(1280)

    def forward(self, x, features):
        x1 = self.convs["0"](x)  # [256, H, W]
        x2 = self.convs["1"](x)  # [256, H, W]
        x3 = self.convs["2"](x)  # [256, H, W]
        x4 = self.convs["3"](x)  # [256, H, W]
        x5 = self.convs["4"](x, features)  # [256, features_H, features_W]
        x = torch.cat([x1, x2, x3, x4, x5], dim=1)  # [1280, H, W]
        x = self.project(x)  # [256, H, W]
        return x


class DeepLabHead(nn.Module):
    """Block `DeepLabHead(classes, features)` on [in_channels, H, W]."""

    def __init__(self, in_channels, classes):
        super().__init__()
        self.add_module("0", ASPP(in_channels))
        self.add_module("1", nn.Conv2d(256, 256, 3, padding=1, bias=False))
        self.add_module("2", nn.BatchNorm2d(256))
        self.relu = nn.ReLU()
        self.add_module("4", nn.Conv2d(256, classes, 1))

    def forward(self, x, features):
        x = getattr(self, "0")(x, features)  # [256, H, W]
        x = getattr(self, "1")(x)  # [256, H, W]
        x = getattr(self, "2")(x)  # [256, H, W]
        x = self.relu(x)  # [256, H, W]
        x = getattr(self, "4")(x)  # [classes, H, W]
        return x


class DeepLabV3(nn.Module):
    """Network `DeepLabV3(classes=21, height=500, width=500)`: image [3, 500, 500] -> [21, 500,
    500].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=21, height=500, width=500):
        super().__init__()
        self.height = height
        self.width = width
        self.backbone = Backbone(3)
        self.classifier = DeepLabHead(2048, classes)

    def forward(self, image):
        """image [batch, 3, 500, 500] -> [batch, 21, 500, 500]"""
        check_input(image, 'image', [3, self.height, self.width])
        features = self.backbone(image)  # [2048, (height + 7) // 8, (width + 7) // 8]
        x = self.classifier(features, features)  # [classes, (height + 7) // 8, (width + 7) // 8]
        x = F.interpolate(x, size=image.shape[2:], mode='bilinear', align_corners=False)  # [classes, height, width]
        return x
