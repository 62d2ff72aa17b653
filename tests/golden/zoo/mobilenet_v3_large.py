"""MobileNetV3_Large, compiled by nnspec from specs/mobilenet_v3_large.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 5,483,032. Generated code: edit the spec and compile it again.
"""

from torch import nn


class ConvBNAct(nn.Sequential):
    """Block `ConvBNAct(out, k, stride, groups, act)` on [in_channels, H, W].

    Instances: `0`, `1.0.0`, `1.0.1`, `2.0.0`, `2.0.1`, `2.0.2` and 40 more.
    """

    def __init__(self, in_channels, out, k, act, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(in_channels, out, k, stride=stride, padding=k // 2, groups=groups, bias=False),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(out, eps=0.001, momentum=0.01),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
            act(),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class BneckBody(nn.Sequential):
    """Block `BneckBody(k, exp, out, squeeze, act, stride)` on [in_channels, H, W].

    Instances: `1.0`, `2.0`, `3.0`, `4.0`, `5.0`, `6.0` and 9 more.
    """

    def __init__(self, in_channels, k, exp, out, squeeze, act, stride):
        layers = []
        if exp != in_channels:
            layers.append(ConvBNAct(in_channels, exp, 1, act))  # [exp, H, W]
        layers.append(ConvBNAct(exp, exp, k, act, stride=stride, groups=exp))  # [exp, (H - 1) // stride + 1, (W - 1) // stride + 1]
        if squeeze > 0:
            layers.append(SE(exp, squeeze))  # [exp, (H - 1) // stride + 1, (W - 1) // stride + 1]
        layers.append(ConvBNAct(exp, out, 1, nn.Identity))  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        super().__init__(*layers)


class Bneck(nn.ModuleList):
    """Block `Bneck(k, exp, out, squeeze, act, stride)` on [in_channels, H, W].

    Instances: `1`, `2`, `3`, `4`, `5`, `6` and 9 more.
    """

    __constants__ = ["residual"]

    def __init__(self, in_channels, k, exp, out, squeeze, act, stride):
        super().__init__([
            BneckBody(in_channels, k, exp, out, squeeze, act, stride),
        ])
        self.residual = stride == 1 and in_channels == out

    def forward(self, x):
        x1 = self[0](x)  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        if self.residual:
            x1 = x1 + x  # [in_channels, H, W]
        return x1


class SE(nn.ModuleList):
    """Block `SE(squeeze)` on [in_channels, H, W].

    Instances: `4.0.2`, `5.0.2`, `6.0.2`, `11.0.2`, `12.0.2`, `13.0.2` and 2 more.
    """

    def __init__(self, in_channels, squeeze):
        super().__init__([
            nn.Identity(),
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, squeeze, 1),
            nn.ReLU(),
            nn.Conv2d(squeeze, in_channels, 1),
            nn.Hardsigmoid(),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [in_channels, H, W]
        x = self[1](x)  # [in_channels, 1, 1]
        x = self[2](x)  # [squeeze, 1, 1]
        x = self[3](x)  # [squeeze, 1, 1]
        x = self[4](x)  # [in_channels, 1, 1]
        x = self[5](x)  # [in_channels, 1, 1]
        x = x1 * x  # [in_channels, H, W]
        return x


class MobileNetV3_Large(nn.Sequential):
    """Network `MobileNetV3_Large(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__(
            ConvBNAct(3, 16, 3, nn.Hardswish, stride=2),  # [16, 112, 112]
            Bneck(16, 3, 16, 16, 0, nn.ReLU, 1),  # [16, 112, 112]
            Bneck(16, 3, 64, 24, 0, nn.ReLU, 2),  # [24, 56, 56]
            Bneck(24, 3, 72, 24, 0, nn.ReLU, 1),  # [24, 56, 56]
            Bneck(24, 5, 72, 40, 24, nn.ReLU, 2),  # [40, 28, 28]
            Bneck(40, 5, 120, 40, 32, nn.ReLU, 1),  # [40, 28, 28]
            Bneck(40, 5, 120, 40, 32, nn.ReLU, 1),  # [40, 28, 28]
            Bneck(40, 3, 240, 80, 0, nn.Hardswish, 2),  # [80, 14, 14]
            Bneck(80, 3, 200, 80, 0, nn.Hardswish, 1),  # [80, 14, 14]
            Bneck(80, 3, 184, 80, 0, nn.Hardswish, 1),  # [80, 14, 14]
            Bneck(80, 3, 184, 80, 0, nn.Hardswish, 1),  # [80, 14, 14]
            Bneck(80, 3, 480, 112, 120, nn.Hardswish, 1),  # [112, 14, 14]
            Bneck(112, 3, 672, 112, 168, nn.Hardswish, 1),  # [112, 14, 14]
            Bneck(112, 5, 672, 160, 168, nn.Hardswish, 2),  # [160, 7, 7]
            Bneck(160, 5, 960, 160, 240, nn.Hardswish, 1),  # [160, 7, 7]
            Bneck(160, 5, 960, 160, 240, nn.Hardswish, 1),  # [160, 7, 7]
            ConvBNAct(160, 960, 1, nn.Hardswish),  # [960, 7, 7]
            nn.AdaptiveAvgPool2d(1),  # [960, 1, 1]
            nn.Flatten(),  # [960]
            nn.Linear(960, 1280),  # [1280]
            nn.Hardswish(),  # [1280]
            nn.Dropout(0.2),  # [1280]
            nn.Linear(1280, classes),  # [1000]
        )
