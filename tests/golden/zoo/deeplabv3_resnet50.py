"""DeepLabV3, compiled by nnspec from specs/deeplabv3_resnet50.nn.

Inputs: image [3, 500, 500]; outputs: [21, 500, 500] (shapes without the batch dimension).
Parameters: 39,638,869. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn
import torch.nn.functional as F


class Bottleneck(nn.Module):
    """Block `Bottleneck(width, stride)` on [in_channels, H, W].

    Instances: `backbone.layer1.0`, `backbone.layer1.1`, `backbone.layer1.2`, `backbone.layer2.0`,
    `backbone.layer2.1`, `backbone.layer2.2` and 1 more.
    """

    def __init__(self, in_channels, width, stride=1, project=False):
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
        if project:
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
    """Block `Stage(width, blocks, stride)` on [in_channels, 125, 125].

    Instances: `backbone.layer1`, `backbone.layer2`.
    """

    def __init__(self, in_channels, width, blocks, stride=1):
        super().__init__(
            Bottleneck(in_channels, width, stride=stride, project=True),  # [4 * width, ?, ?]
            *[Bottleneck(4 * width, width) for _ in range(blocks - 1)],  # [4 * width, ?, ?]
        )


class DilatedBottleneck(nn.Module):
    """Block `DilatedBottleneck(width, dilation)` on [512 * dilation, 63, 63].

    Instances: `backbone.layer3.0`, `backbone.layer3.1`, `backbone.layer3.2`, `backbone.layer3.3`,
    `backbone.layer3.4`, `backbone.layer3.5` and 3 more.
    """

    def __init__(self, width, dilation, project=False):
        super().__init__()
        self.conv1 = nn.Conv2d(512 * dilation, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu_2 = nn.ReLU()
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.shortcut = None
        if project:
            self.shortcut = nn.Sequential(
                nn.Conv2d(512 * dilation, 4 * width, 1, bias=False),
                nn.BatchNorm2d(4 * width),
            )
        self.relu_3 = nn.ReLU()

    def forward(self, x):
        x1 = self.conv1(x)  # [width, 63, 63]
        x1 = self.bn1(x1)  # [width, 63, 63]
        x1 = self.relu(x1)  # [width, 63, 63]
        x1 = self.conv2(x1)  # [width, 63, 63]
        x1 = self.bn2(x1)  # [width, 63, 63]
        x1 = self.relu_2(x1)  # [width, 63, 63]
        x1 = self.conv3(x1)  # [4 * width, 63, 63]
        x1 = self.bn3(x1)  # [4 * width, 63, 63]
        shortcut = x
        if self.shortcut is not None:
            shortcut = self.shortcut(x)  # [4 * width, 63, 63]
        x = x1 + shortcut  # [4 * width, 63, 63]
        x = self.relu_3(x)  # [4 * width, 63, 63]
        return x


class DilatedStage(nn.Sequential):
    """Block `DilatedStage(width, blocks, first, dilation)` on [2 * width, 63, 63].

    Instances: `backbone.layer3`, `backbone.layer4`.
    """

    def __init__(self, width, blocks, first, dilation):
        super().__init__(
            DilatedBottleneck(width, first, project=True),  # [4 * width, 63, 63]
            *[DilatedBottleneck(width, dilation) for _ in range(blocks - 1)],  # [4 * width, 63, 63]
        )


class Backbone(nn.Module):
    """Block `Backbone`; instances: `backbone`."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = Stage(64, 64, 3)
        self.layer2 = Stage(256, 128, 4, stride=2)
        self.layer3 = DilatedStage(256, 6, 1, 2)
        self.layer4 = DilatedStage(512, 3, 2, 4)

    def forward(self, x):
        x = self.conv1(x)  # [64, 250, 250]
        x = self.bn1(x)  # [64, 250, 250]
        x = self.relu(x)  # [64, 250, 250]
        x = self.maxpool(x)  # [64, 125, 125]
        x = self.layer1(x)  # [256, 125, 125]
        x = self.layer2(x)  # [512, 63, 63]
        x = self.layer3(x)  # [1024, 63, 63]
        x = self.layer4(x)  # [2048, 63, 63]
        return x


class ASPPConv(nn.Sequential):
    """Block `ASPPConv(k=1, rate=1)`; instances: `classifier.0.convs.0`."""

    def __init__(self):
        super().__init__(
            nn.Conv2d(2048, 256, 1, bias=False),  # [256, 63, 63]
            nn.BatchNorm2d(256),  # [256, 63, 63]
            nn.ReLU(),  # [256, 63, 63]
        )


class ASPPConv_2(nn.Sequential):
    """Block `ASPPConv(k=3, rate)` on [2048, 63, 63].

    Instances: `classifier.0.convs.1`, `classifier.0.convs.2`, `classifier.0.convs.3`.
    """

    def __init__(self, rate):
        super().__init__(
            nn.Conv2d(2048, 256, 3, padding=rate, dilation=rate, bias=False),  # [256, 63, 63]
            nn.BatchNorm2d(256),  # [256, 63, 63]
            nn.ReLU(),  # [256, 63, 63]
        )


class ASPPPooling(nn.ModuleList):
    """Block `ASPPPooling(like)`; instances: `classifier.0.convs.4`."""

    def __init__(self):
        super().__init__([
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(2048, 256, 1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
        ])

    def forward(self, like):
        x = self[0](like)  # [2048, 1, 1]
        x = self[1](x)  # [256, 1, 1]
        x = self[2](x)  # [256, 1, 1]
        x = self[3](x)  # [256, 1, 1]
        x = F.interpolate(x, size=like.shape[2:], mode='bilinear', align_corners=False)  # [256, 63, 63]
        return x


class ASPPProject(nn.Sequential):
    """Block `ASPPProject`; instances: `classifier.0.project`."""

    def __init__(self):
        super().__init__(
            nn.Conv2d(1280, 256, 1, bias=False),  # [256, 63, 63]
            nn.BatchNorm2d(256),  # [256, 63, 63]
            nn.ReLU(),  # [256, 63, 63]
            nn.Dropout(),  # [256, 63, 63]
        )


class ASPP(nn.Module):
    """Block `ASPP(r1, r2, r3, features)` on [2048, 63, 63]; instances: `classifier.0`."""

    def __init__(self, r1=12, r2=24, r3=36):
        super().__init__()
        self.convs = nn.ModuleList([
            ASPPConv(),
            ASPPConv_2(r1),
            ASPPConv_2(r2),
            ASPPConv_2(r3),
            ASPPPooling(),
        ])
        self.project = ASPPProject()

    def forward(self, features):
        x = self.convs[0](features)  # [256, 63, 63]
        x1 = self.convs[1](features)  # [256, 63, 63]
        x2 = self.convs[2](features)  # [256, 63, 63]
        x3 = self.convs[3](features)  # [256, 63, 63]
        x4 = self.convs[4](features)  # [256, 63, 63]
        x = torch.cat([x, x1, x2, x3, x4], dim=1)  # [1280, 63, 63]
        x = self.project(x)  # [256, 63, 63]
        return x


class DeepLabHead(nn.Sequential):
    """Block `DeepLabHead(classes, features)` on [2048, 63, 63]; instances: `classifier`."""

    def __init__(self, classes):
        super().__init__(
            ASPP(),  # [256, 63, 63]
            nn.Conv2d(256, 256, 3, padding=1, bias=False),  # [256, 63, 63]
            nn.BatchNorm2d(256),  # [256, 63, 63]
            nn.ReLU(),  # [256, 63, 63]
            nn.Conv2d(256, classes, 1),  # [classes, 63, 63]
        )


class DeepLabV3(nn.Module):
    """Network `DeepLabV3(classes=21, height=500, width=500)`: image [3, 500, 500] -> [21, 500,
    500].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=21):
        super().__init__()
        self.backbone = Backbone()
        self.classifier = DeepLabHead(classes)

    def forward(self, image):
        """image [batch, 3, 500, 500] -> [batch, 21, 500, 500]"""
        features = self.backbone(image)  # [2048, 63, 63]
        classifier = self.classifier(features)  # [21, 63, 63]
        x = F.interpolate(classifier, size=image.shape[2:], mode='bilinear', align_corners=False)  # [21, 500, 500]
        return x
