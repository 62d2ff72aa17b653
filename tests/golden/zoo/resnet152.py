"""ResNet152, compiled by nnspec from specs/resnet152.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 60,192,808. Generated code: edit the spec and compile it again.
"""

from torch import nn


class Bottleneck(nn.Module):
    """Block `Bottleneck(width, stride=1)` on [4 * width, H, W].

    Instances: `layer1.1`, `layer1.2`, `layer2.1`, `layer2.2`, `layer2.3`, `layer2.4` and 40 more.
    """

    def __init__(self, width):
        super().__init__()
        self.conv1 = nn.Conv2d(4 * width, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)

    def forward(self, x):
        x1 = self.conv1(x)  # [width, H, W]
        x1 = self.bn1(x1)  # [width, H, W]
        x1 = self.relu(x1)  # [width, H, W]
        x1 = self.conv2(x1)  # [width, H, W]
        x1 = self.bn2(x1)  # [width, H, W]
        x1 = self.relu(x1)  # [width, H, W]
        x1 = self.conv3(x1)  # [4 * width, H, W]
        x1 = self.bn3(x1)  # [4 * width, H, W]
        x = x1 + x  # [4 * width, H, W]
        x = self.relu(x)  # [4 * width, H, W]
        return x


class Bottleneck_2(nn.Module):
    """Block `Bottleneck(width, stride=2)` on [2 * width, H, W].

    Instances: `layer2.0`, `layer3.0`, `layer4.0`.
    """

    def __init__(self, width):
        super().__init__()
        self.conv1 = nn.Conv2d(2 * width, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.shortcut = nn.Sequential(
            nn.Conv2d(2 * width, 4 * width, 1, stride=2, bias=False),  # [4 * width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            nn.BatchNorm2d(4 * width),  # [4 * width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        )

    def forward(self, x):
        x1 = self.conv1(x)  # [width, H, W]
        x1 = self.bn1(x1)  # [width, H, W]
        x1 = self.relu(x1)  # [width, H, W]
        x1 = self.conv2(x1)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x1 = self.bn2(x1)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x1 = self.relu(x1)  # [width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x1 = self.conv3(x1)  # [4 * width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x1 = self.bn3(x1)  # [4 * width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        shortcut = self.shortcut(x)  # [4 * width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x = x1 + shortcut  # [4 * width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x = self.relu(x)  # [4 * width, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        return x


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
        self.layer1 = nn.ModuleList([
            nn.ModuleDict({
                "conv1": nn.Conv2d(64, 64, 1, bias=False),
                "bn1": nn.BatchNorm2d(64),
                "relu": nn.ReLU(),
                "conv2": nn.Conv2d(64, 64, 3, padding=1, bias=False),
                "bn2": nn.BatchNorm2d(64),
                "conv3": nn.Conv2d(64, 256, 1, bias=False),
                "bn3": nn.BatchNorm2d(256),
                "shortcut": nn.Sequential(
                    nn.Conv2d(64, 256, 1, bias=False),  # [256, 56, 56]
                    nn.BatchNorm2d(256),  # [256, 56, 56]
                ),
            }),
            Bottleneck(64),
            Bottleneck(64),
        ])
        self.layer2 = nn.Sequential(
            Bottleneck_2(128),  # [512, 28, 28]
            Bottleneck(128),  # [512, 28, 28]
            Bottleneck(128),  # [512, 28, 28]
            Bottleneck(128),  # [512, 28, 28]
            Bottleneck(128),  # [512, 28, 28]
            Bottleneck(128),  # [512, 28, 28]
            Bottleneck(128),  # [512, 28, 28]
            Bottleneck(128),  # [512, 28, 28]
        )
        self.layer3 = nn.Sequential(
            Bottleneck_2(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
            Bottleneck(256),  # [1024, 14, 14]
        )
        self.layer4 = nn.Sequential(
            Bottleneck_2(512),  # [2048, 7, 7]
            Bottleneck(512),  # [2048, 7, 7]
            Bottleneck(512),  # [2048, 7, 7]
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        x = self.conv1(image)  # [64, 112, 112]
        x = self.bn1(x)  # [64, 112, 112]
        x = self.relu(x)  # [64, 112, 112]
        x = self.maxpool(x)  # [64, 56, 56]
        # layer1: Stage(width=64, blocks=3, stride=1)
        # layer1.0: Bottleneck(width=64, stride=1)
        x1 = self.layer1[0].conv1(x)  # [64, 56, 56]
        x1 = self.layer1[0].bn1(x1)  # [64, 56, 56]
        x1 = self.layer1[0].relu(x1)  # [64, 56, 56]
        x1 = self.layer1[0].conv2(x1)  # [64, 56, 56]
        x1 = self.layer1[0].bn2(x1)  # [64, 56, 56]
        x1 = self.layer1[0].relu(x1)  # [64, 56, 56]
        x1 = self.layer1[0].conv3(x1)  # [256, 56, 56]
        x1 = self.layer1[0].bn3(x1)  # [256, 56, 56]
        shortcut = self.layer1[0].shortcut(x)  # [256, 56, 56]
        x = x1 + shortcut  # [256, 56, 56]
        x = self.layer1[0].relu(x)  # [256, 56, 56]
        x = self.layer1[1](x)  # [256, 56, 56]
        x = self.layer1[2](x)  # [256, 56, 56]
        # layer2: Stage(width=128, blocks=8, stride=2)
        x = self.layer2(x)  # [512, 28, 28]
        # layer3: Stage(width=256, blocks=36, stride=2)
        x = self.layer3(x)  # [1024, 14, 14]
        # layer4: Stage(width=512, blocks=3, stride=2)
        x = self.layer4(x)  # [2048, 7, 7]
        x = self.avgpool(x).flatten(1)  # [2048]
        x = self.fc(x)  # [1000]
        return x
