"""ResNet18, compiled by nnspec from specs/resnet18.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 11,689,512. Generated code: edit the spec and compile it again.
"""

from torch import nn


class BasicBlock(nn.Module):
    """Block `BasicBlock(width)` on [width, H, W].

    Instances: `layer1.0`, `layer1.1`, `layer2.1`, `layer3.1`, `layer4.1`.
    """

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
    """Block `Projection(width, stride=2)` on [width // 2, H, W].

    Instances: `layer2.0.downsample`, `layer3.0.downsample`, `layer4.0.downsample`.
    """

    def __init__(self, width):
        super().__init__(
            nn.Conv2d(width // 2, width, 1, stride=2, bias=False),  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            nn.BatchNorm2d(width),  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        )


class DownBlock(nn.Module):
    """Block `DownBlock(width, stride=2)` on [width // 2, H, W].

    Instances: `layer2.0`, `layer3.0`, `layer4.0`.
    """

    def __init__(self, width):
        super().__init__()
        self.conv1 = nn.Conv2d(width // 2, width, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = Projection(width)
        self.relu_2 = nn.ReLU()

    def forward(self, x):
        x1 = self.conv1(x)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x1 = self.bn1(x1)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x1 = self.relu(x1)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x1 = self.conv2(x1)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x1 = self.bn2(x1)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        downsample = self.downsample(x)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x = x1 + downsample  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x = self.relu_2(x)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        return x


class BasicStage(nn.Sequential):
    """Block `BasicStage(width, blocks=2)` on [width // 2, H, W].

    Instances: `layer2`, `layer3`, `layer4`.
    """

    def __init__(self, width):
        super().__init__(
            DownBlock(width),  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            BasicBlock(width),  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
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
        self.layer1 = nn.Sequential(
            BasicBlock(64),  # [64, 56, 56]
            BasicBlock(64),  # [64, 56, 56]
        )
        self.layer2 = BasicStage(128)
        self.layer3 = BasicStage(256)
        self.layer4 = BasicStage(512)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        x = self.conv1(image)  # [64, 112, 112]
        x = self.bn1(x)  # [64, 112, 112]
        x = self.relu(x)  # [64, 112, 112]
        x = self.maxpool(x)  # [64, 56, 56]
        x = self.layer1(x)  # [64, 56, 56]
        x = self.layer2(x)  # [128, 28, 28]
        x = self.layer3(x)  # [256, 14, 14]
        x = self.layer4(x)  # [512, 7, 7]
        x = self.avgpool(x).flatten(1)  # [512]
        x = self.fc(x)  # [1000]
        return x
