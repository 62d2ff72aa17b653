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
    """Block `BneckBody(k=3, exp, out=24, squeeze=0, act=relu, stride)` on [in_channels, H, W].

    Instances: `2.0`, `3.0`.
    """

    def __init__(self, in_channels, exp, stride):
        super().__init__(
            ConvBNAct(in_channels, exp, 1, nn.ReLU),  # [exp, H, W]
            ConvBNAct(exp, exp, 3, nn.ReLU, stride=stride, groups=exp),  # [exp, (H - 1) // stride + 1, (W - 1) // stride + 1]
            ConvBNAct(exp, 24, 1, nn.Identity),  # [24, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


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


class BneckBody_2(nn.Sequential):
    """Block `BneckBody(k=5, exp, out=40, squeeze, act=relu, stride)` on [exp // 3, H, W].

    Instances: `4.0`, `5.0`, `6.0`.
    """

    def __init__(self, exp, squeeze, stride):
        super().__init__(
            ConvBNAct(exp // 3, exp, 1, nn.ReLU),  # [exp, H, W]
            ConvBNAct(exp, exp, 5, nn.ReLU, stride=stride, groups=exp),  # [exp, (H - 1) // stride + 1, (W - 1) // stride + 1]
            SE(exp, squeeze),  # [exp, (H - 1) // stride + 1, (W - 1) // stride + 1]
            ConvBNAct(exp, 40, 1, nn.Identity),  # [40, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class Bneck(nn.ModuleList):
    """Block `Bneck(k=5, exp, out=40, squeeze, act=relu, stride=1)` on [40, 28, 28].

    Instances: `5`, `6`.
    """

    def __init__(self, exp, squeeze):
        super().__init__([
            BneckBody_2(exp, squeeze, 1),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [40, 28, 28]
        x = x1 + x  # [40, 28, 28]
        return x


class BneckBody_3(nn.Sequential):
    """Block `BneckBody(k=3, exp, out=80, squeeze=0, act=hardswish, stride)` on [in_channels, H, W].

    Instances: `7.0`, `8.0`, `9.0`, `10.0`.
    """

    def __init__(self, in_channels, exp, stride):
        super().__init__(
            ConvBNAct(in_channels, exp, 1, nn.Hardswish),  # [exp, H, W]
            ConvBNAct(exp, exp, 3, nn.Hardswish, stride=stride, groups=exp),  # [exp, (H - 1) // stride + 1, (W - 1) // stride + 1]
            ConvBNAct(exp, 80, 1, nn.Identity),  # [80, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class Bneck_2(nn.ModuleList):
    """Block `Bneck(k=3, exp, out=80, squeeze=0, act=hardswish, stride=1)` on [80, 14, 14].

    Instances: `8`, `9`, `10`.
    """

    def __init__(self, exp):
        super().__init__([
            BneckBody_3(80, exp, 1),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [80, 14, 14]
        x = x1 + x  # [80, 14, 14]
        return x


class BneckBody_4(nn.Sequential):
    """Block `BneckBody(k, exp, out, squeeze, act=hardswish, stride)` on [exp // 6, H, W].

    Instances: `11.0`, `12.0`, `13.0`, `14.0`, `15.0`.
    """

    def __init__(self, k, exp, out, squeeze, stride):
        super().__init__(
            ConvBNAct(exp // 6, exp, 1, nn.Hardswish),  # [exp, H, W]
            ConvBNAct(exp, exp, k, nn.Hardswish, stride=stride, groups=exp),  # [exp, (H - 1) // stride + 1, (W - 1) // stride + 1]
            SE(exp, squeeze),  # [exp, (H - 1) // stride + 1, (W - 1) // stride + 1]
            ConvBNAct(exp, out, 1, nn.Identity),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class Bneck_3(nn.Sequential):
    """Block `Bneck(k, exp, out, squeeze, act=hardswish, stride)` on [exp // 6, 14, 14].

    Instances: `11`, `13`.
    """

    def __init__(self, k, exp, out, squeeze, stride):
        super().__init__(
            BneckBody_4(k, exp, out, squeeze, stride),  # [out, ?, ?]
        )


class Bneck_4(nn.ModuleList):
    """Block `Bneck(k, exp, out, squeeze, act=hardswish, stride=1)` on [out, H, W].

    Instances: `12`, `14`, `15`.
    """

    def __init__(self, k, exp, out, squeeze):
        super().__init__([
            BneckBody_4(k, exp, out, squeeze, 1),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [out, H, W]
        x = x1 + x  # [out, H, W]
        return x


class MobileNetV3_Large(nn.ModuleList):
    """Network `MobileNetV3_Large(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__([
            ConvBNAct(3, 16, 3, nn.Hardswish, stride=2),
            nn.Sequential(
                nn.Sequential(
                    ConvBNAct(16, 16, 3, nn.ReLU, groups=16),  # [16, 112, 112]
                    ConvBNAct(16, 16, 1, nn.Identity),  # [16, 112, 112]
                ),  # [16, 112, 112]
            ),
            nn.Sequential(
                BneckBody(16, 64, 2),  # [24, 56, 56]
            ),
            nn.Sequential(
                BneckBody(24, 72, 1),  # [24, 56, 56]
            ),
            nn.Sequential(
                BneckBody_2(72, 24, 2),  # [40, 28, 28]
            ),
            Bneck(120, 32),
            Bneck(120, 32),
            nn.Sequential(
                BneckBody_3(40, 240, 2),  # [80, 14, 14]
            ),
            Bneck_2(200),
            Bneck_2(184),
            Bneck_2(184),
            Bneck_3(3, 480, 112, 120, 1),
            Bneck_4(3, 672, 112, 168),
            Bneck_3(5, 672, 160, 168, 2),
            Bneck_4(5, 960, 160, 240),
            Bneck_4(5, 960, 160, 240),
            ConvBNAct(160, 960, 1, nn.Hardswish),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(960, 1280),
            nn.Hardswish(),
            nn.Dropout(0.2),
            nn.Linear(1280, classes),
        ])

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        x = self[0](image)  # [16, 112, 112]
        # 1: Bneck(k=3, exp=16, out=16, squeeze=0, act=relu, stride=1)
        # 1.0: BneckBody(k=3, exp=16, out=16, squeeze=0, act=relu, stride=1)
        x1 = self[1](x)  # [16, 112, 112]
        x = x1 + x  # [16, 112, 112]
        # 2: Bneck(k=3, exp=64, out=24, squeeze=0, act=relu, stride=2)
        x = self[2](x)  # [24, 56, 56]
        # 3: Bneck(k=3, exp=72, out=24, squeeze=0, act=relu, stride=1)
        x1 = self[3](x)  # [24, 56, 56]
        x = x1 + x  # [24, 56, 56]
        # 4: Bneck(k=5, exp=72, out=40, squeeze=24, act=relu, stride=2)
        x = self[4](x)  # [40, 28, 28]
        x = self[5](x)  # [40, 28, 28]
        x = self[6](x)  # [40, 28, 28]
        # 7: Bneck(k=3, exp=240, out=80, squeeze=0, act=hardswish, stride=2)
        x = self[7](x)  # [80, 14, 14]
        x = self[8](x)  # [80, 14, 14]
        x = self[9](x)  # [80, 14, 14]
        x = self[10](x)  # [80, 14, 14]
        x = self[11](x)  # [112, 14, 14]
        x = self[12](x)  # [112, 14, 14]
        x = self[13](x)  # [160, 7, 7]
        x = self[14](x)  # [160, 7, 7]
        x = self[15](x)  # [160, 7, 7]
        x = self[16](x)  # [960, 7, 7]
        x = self[17](x)  # [960, 1, 1]
        x = self[18](x)  # [960]
        x = self[19](x)  # [1280]
        x = self[20](x)  # [1280]
        x = self[21](x)  # [1280]
        x = self[22](x)  # [1000]
        return x
