"""ShuffleNetV2_x1_0, compiled by nnspec from specs/shufflenet_v2_x1_0.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 2,278,604. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class ConvBNReLU(nn.Sequential):
    """Block `ConvBNReLU(out, k, stride, padding)` on [in_channels, H, W].

    Instances: `conv1`, `conv5`.
    """

    def __init__(self, in_channels, out, k, stride=1, padding=0):
        super().__init__(
            nn.Conv2d(in_channels, out, k, stride=stride, padding=padding, bias=False),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(out),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.ReLU(),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class Shrink(nn.Sequential):
    """Block `Shrink(c, stride=2)` on [in_channels, H, W].

    Instances: `stage2.0.branch1`, `stage3.0.branch1`, `stage4.0.branch1`.
    """

    def __init__(self, in_channels, c):
        super().__init__(
            nn.Conv2d(
                in_channels,
                in_channels,
                3,
                stride=2,
                padding=1,
                groups=in_channels,
                bias=False,
            ),  # [in_channels, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            nn.BatchNorm2d(in_channels),  # [in_channels, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            nn.Conv2d(in_channels, c, 1, bias=False),  # [c, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            nn.BatchNorm2d(c),  # [c, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            nn.ReLU(),  # [c, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        )


class Branch(nn.Sequential):
    """Block `Branch(c, stride)` on [in_channels, H, W].

    Instances: `stage2.0.branch2`, `stage2.1.branch2`, `stage2.2.branch2`, `stage2.3.branch2`,
    `stage3.0.branch2`, `stage3.1.branch2` and 10 more.
    """

    def __init__(self, in_channels, c, stride):
        super().__init__(
            nn.Conv2d(in_channels, c, 1, bias=False),  # [c, H, W]
            nn.BatchNorm2d(c),  # [c, H, W]
            nn.ReLU(),  # [c, H, W]
            nn.Conv2d(c, c, 3, stride=stride, padding=1, groups=c, bias=False),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(c),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.Conv2d(c, c, 1, bias=False),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(c),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.ReLU(),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class ShuffleUnit(nn.Module):
    """Block `ShuffleUnit(out, stride)` on [in_channels, H, W].

    Instances: `stage2.0`, `stage2.1`, `stage2.2`, `stage2.3`, `stage3.0`, `stage3.1` and 10 more.
    """

    __constants__ = ["stride_is_1"]

    def __init__(self, in_channels, out, stride=1):
        super().__init__()
        self.stride_is_1 = stride == 1
        self.branch1 = None
        if not self.stride_is_1:
            self.branch1 = Shrink(in_channels, out // 2)
        self.branch2 = Branch(out // 2 if stride == 1 else in_channels, out // 2, stride)
        self.channelshuffle = nn.ChannelShuffle(2)

    def forward(self, x):
        if self.stride_is_1:
            x1 = x.chunk(2, dim=1)[0]  # [out // 2, H, W]
            x = x.chunk(2, dim=1)[1]  # [out // 2, H, W]
            x = self.branch2(x)  # [out // 2, H, W]
            x = torch.cat([x1, x], dim=1)  # [in_channels, H, W]
        else:
            branch1 = self.branch1(x)  # [out // 2, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            branch2 = self.branch2(x)  # [out // 2, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            x = torch.cat([branch1, branch2], dim=1)  # [out, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        x = self.channelshuffle(x)  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        return x


class ShuffleStage(nn.Sequential):
    """Block `ShuffleStage(out, n)` on [in_channels, H, W].

    Instances: `stage2`, `stage3`, `stage4`.
    """

    def __init__(self, in_channels, out, n):
        super().__init__(
            ShuffleUnit(in_channels, out, stride=2),  # [out, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
            *[ShuffleUnit(out, out) for _ in range(n - 1)],  # [out, (H - 1) // 2 + 1, (W - 1) // 2 + 1]
        )


class ShuffleNetV2_x1_0(nn.Module):
    """Network `ShuffleNetV2_x1_0(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = ConvBNReLU(3, 24, 3, stride=2, padding=1)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.stage2 = ShuffleStage(24, 116, 4)
        self.stage3 = ShuffleStage(116, 232, 8)
        self.stage4 = ShuffleStage(232, 464, 4)
        self.conv5 = ConvBNReLU(464, 1024, 1)
        self.fc = nn.Linear(1024, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        x = self.conv1(image)  # [24, 112, 112]
        x = self.maxpool(x)  # [24, 56, 56]
        x = self.stage2(x)  # [116, 28, 28]
        x = self.stage3(x)  # [232, 14, 14]
        x = self.stage4(x)  # [464, 7, 7]
        x = self.conv5(x)  # [1024, 7, 7]
        x = x.mean((2, 3))  # [1024]
        x = self.fc(x)  # [1000]
        return x
