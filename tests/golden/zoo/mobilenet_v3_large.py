"""MobileNetV3_Large, compiled by nnspec from specs/mobilenet_v3_large.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 5,483,032. Generated code: edit the spec and compile it again.
"""

from torch import nn


class ConvBNAct(nn.Sequential):
    """Block `ConvBNAct(out, k=1, stride=1, groups=1, act)` on [in_channels, H, W].

    Instances: `1.0.1`, `2.0.0`, `2.0.2`, `3.0.0`, `3.0.2`, `4.0.0` and 24 more.
    """

    def __init__(self, in_channels, out, act):
        super().__init__(
            nn.Conv2d(in_channels, out, 1, bias=False),  # [out, H, W]
            nn.BatchNorm2d(out, eps=0.001, momentum=0.01),  # [out, H, W]
            act(),  # [out, H, W]
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


class ConvBNAct_2(nn.Sequential):
    """Block `ConvBNAct(out=120, k=5, stride=1, groups=120, act=relu)`.

    Instances: `5.0.1`, `6.0.1`.
    """

    def __init__(self):
        super().__init__(
            nn.Conv2d(120, 120, 5, padding=2, groups=120, bias=False),  # [120, 28, 28]
            nn.BatchNorm2d(120, eps=0.001, momentum=0.01),  # [120, 28, 28]
            nn.ReLU(),  # [120, 28, 28]
        )


class BneckBody(nn.Sequential):
    """Block `BneckBody(k=5, exp=120, out=40, squeeze=32, act=relu, stride=1)`.

    Instances: `5.0`, `6.0`.
    """

    def __init__(self):
        super().__init__(
            ConvBNAct(40, 120, nn.ReLU),  # [120, 28, 28]
            ConvBNAct_2(),  # [120, 28, 28]
            SE(120, 32),  # [120, 28, 28]
            ConvBNAct(120, 40, nn.Identity),  # [40, 28, 28]
        )


class Bneck(nn.ModuleList):
    """Block `Bneck(k=5, exp=120, out=40, squeeze=32, act=relu, stride=1)`; instances: `5`, `6`."""

    def __init__(self):
        super().__init__([
            BneckBody(),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [40, 28, 28]
        x = x1 + x  # [40, 28, 28]
        return x


class ConvBNAct_3(nn.Sequential):
    """Block `ConvBNAct(out=184, k=3, stride=1, groups=184, act=hardswish)`.

    Instances: `9.0.1`, `10.0.1`.
    """

    def __init__(self):
        super().__init__(
            nn.Conv2d(184, 184, 3, padding=1, groups=184, bias=False),  # [184, 14, 14]
            nn.BatchNorm2d(184, eps=0.001, momentum=0.01),  # [184, 14, 14]
            nn.Hardswish(),  # [184, 14, 14]
        )


class BneckBody_2(nn.Sequential):
    """Block `BneckBody(k=3, exp=184, out=80, squeeze=0, act=hardswish, stride=1)`.

    Instances: `9.0`, `10.0`.
    """

    def __init__(self):
        super().__init__(
            ConvBNAct(80, 184, nn.Hardswish),  # [184, 14, 14]
            ConvBNAct_3(),  # [184, 14, 14]
            ConvBNAct(184, 80, nn.Identity),  # [80, 14, 14]
        )


class Bneck_2(nn.ModuleList):
    """Block `Bneck(k=3, exp=184, out=80, squeeze=0, act=hardswish, stride=1)`.

    Instances: `9`, `10`.
    """

    def __init__(self):
        super().__init__([
            BneckBody_2(),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [80, 14, 14]
        x = x1 + x  # [80, 14, 14]
        return x


class ConvBNAct_4(nn.Sequential):
    """Block `ConvBNAct(out=960, k=5, stride=1, groups=960, act=hardswish)`.

    Instances: `14.0.1`, `15.0.1`.
    """

    def __init__(self):
        super().__init__(
            nn.Conv2d(960, 960, 5, padding=2, groups=960, bias=False),  # [960, 7, 7]
            nn.BatchNorm2d(960, eps=0.001, momentum=0.01),  # [960, 7, 7]
            nn.Hardswish(),  # [960, 7, 7]
        )


class BneckBody_3(nn.Sequential):
    """Block `BneckBody(k=5, exp=960, out=160, squeeze=240, act=hardswish, stride=1)`.

    Instances: `14.0`, `15.0`.
    """

    def __init__(self):
        super().__init__(
            ConvBNAct(160, 960, nn.Hardswish),  # [960, 7, 7]
            ConvBNAct_4(),  # [960, 7, 7]
            SE(960, 240),  # [960, 7, 7]
            ConvBNAct(960, 160, nn.Identity),  # [160, 7, 7]
        )


class Bneck_3(nn.ModuleList):
    """Block `Bneck(k=5, exp=960, out=160, squeeze=240, act=hardswish, stride=1)`.

    Instances: `14`, `15`.
    """

    def __init__(self):
        super().__init__([
            BneckBody_3(),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [160, 7, 7]
        x = x1 + x  # [160, 7, 7]
        return x


class MobileNetV3_Large(nn.Module):
    """Network `MobileNetV3_Large(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.add_module("0", nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),  # [16, 112, 112]
            nn.BatchNorm2d(16, eps=0.001, momentum=0.01),  # [16, 112, 112]
            nn.Hardswish(),  # [16, 112, 112]
        ))
        self.add_module("1", nn.Sequential(
            nn.Sequential(
                nn.Sequential(
                    nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False),  # [16, 112, 112]
                    nn.BatchNorm2d(16, eps=0.001, momentum=0.01),  # [16, 112, 112]
                    nn.ReLU(),  # [16, 112, 112]
                ),  # [16, 112, 112]
                ConvBNAct(16, 16, nn.Identity),  # [16, 112, 112]
            ),  # [16, 112, 112]
        ))
        self.add_module("2", nn.Sequential(
            nn.Sequential(
                ConvBNAct(16, 64, nn.ReLU),  # [64, 112, 112]
                nn.Sequential(
                    nn.Conv2d(64, 64, 3, stride=2, padding=1, groups=64, bias=False),  # [64, 56, 56]
                    nn.BatchNorm2d(64, eps=0.001, momentum=0.01),  # [64, 56, 56]
                    nn.ReLU(),  # [64, 56, 56]
                ),  # [64, 56, 56]
                ConvBNAct(64, 24, nn.Identity),  # [24, 56, 56]
            ),  # [24, 56, 56]
        ))
        self.add_module("3", nn.Sequential(
            nn.Sequential(
                ConvBNAct(24, 72, nn.ReLU),  # [72, 56, 56]
                nn.Sequential(
                    nn.Conv2d(72, 72, 3, padding=1, groups=72, bias=False),  # [72, 56, 56]
                    nn.BatchNorm2d(72, eps=0.001, momentum=0.01),  # [72, 56, 56]
                    nn.ReLU(),  # [72, 56, 56]
                ),  # [72, 56, 56]
                ConvBNAct(72, 24, nn.Identity),  # [24, 56, 56]
            ),  # [24, 56, 56]
        ))
        self.add_module("4", nn.Sequential(
            nn.Sequential(
                ConvBNAct(24, 72, nn.ReLU),  # [72, 56, 56]
                nn.Sequential(
                    nn.Conv2d(72, 72, 5, stride=2, padding=2, groups=72, bias=False),  # [72, 28, 28]
                    nn.BatchNorm2d(72, eps=0.001, momentum=0.01),  # [72, 28, 28]
                    nn.ReLU(),  # [72, 28, 28]
                ),  # [72, 28, 28]
                SE(72, 24),  # [72, 28, 28]
                ConvBNAct(72, 40, nn.Identity),  # [40, 28, 28]
            ),  # [40, 28, 28]
        ))
        self.add_module("5", Bneck())
        self.add_module("6", Bneck())
        self.add_module("7", nn.Sequential(
            nn.Sequential(
                ConvBNAct(40, 240, nn.Hardswish),  # [240, 28, 28]
                nn.Sequential(
                    nn.Conv2d(240, 240, 3, stride=2, padding=1, groups=240, bias=False),  # [240, 14, 14]
                    nn.BatchNorm2d(240, eps=0.001, momentum=0.01),  # [240, 14, 14]
                    nn.Hardswish(),  # [240, 14, 14]
                ),  # [240, 14, 14]
                ConvBNAct(240, 80, nn.Identity),  # [80, 14, 14]
            ),  # [80, 14, 14]
        ))
        self.add_module("8", nn.Sequential(
            nn.Sequential(
                ConvBNAct(80, 200, nn.Hardswish),  # [200, 14, 14]
                nn.Sequential(
                    nn.Conv2d(200, 200, 3, padding=1, groups=200, bias=False),  # [200, 14, 14]
                    nn.BatchNorm2d(200, eps=0.001, momentum=0.01),  # [200, 14, 14]
                    nn.Hardswish(),  # [200, 14, 14]
                ),  # [200, 14, 14]
                ConvBNAct(200, 80, nn.Identity),  # [80, 14, 14]
            ),  # [80, 14, 14]
        ))
        self.add_module("9", Bneck_2())
        self.add_module("10", Bneck_2())
        self.add_module("11", nn.Sequential(
            nn.Sequential(
                ConvBNAct(80, 480, nn.Hardswish),  # [480, 14, 14]
                nn.Sequential(
                    nn.Conv2d(480, 480, 3, padding=1, groups=480, bias=False),  # [480, 14, 14]
                    nn.BatchNorm2d(480, eps=0.001, momentum=0.01),  # [480, 14, 14]
                    nn.Hardswish(),  # [480, 14, 14]
                ),  # [480, 14, 14]
                SE(480, 120),  # [480, 14, 14]
                ConvBNAct(480, 112, nn.Identity),  # [112, 14, 14]
            ),  # [112, 14, 14]
        ))
        self.add_module("12", nn.Sequential(
            nn.Sequential(
                ConvBNAct(112, 672, nn.Hardswish),  # [672, 14, 14]
                nn.Sequential(
                    nn.Conv2d(672, 672, 3, padding=1, groups=672, bias=False),  # [672, 14, 14]
                    nn.BatchNorm2d(672, eps=0.001, momentum=0.01),  # [672, 14, 14]
                    nn.Hardswish(),  # [672, 14, 14]
                ),  # [672, 14, 14]
                SE(672, 168),  # [672, 14, 14]
                ConvBNAct(672, 112, nn.Identity),  # [112, 14, 14]
            ),  # [112, 14, 14]
        ))
        self.add_module("13", nn.Sequential(
            nn.Sequential(
                ConvBNAct(112, 672, nn.Hardswish),  # [672, 14, 14]
                nn.Sequential(
                    nn.Conv2d(672, 672, 5, stride=2, padding=2, groups=672, bias=False),  # [672, 7, 7]
                    nn.BatchNorm2d(672, eps=0.001, momentum=0.01),  # [672, 7, 7]
                    nn.Hardswish(),  # [672, 7, 7]
                ),  # [672, 7, 7]
                SE(672, 168),  # [672, 7, 7]
                ConvBNAct(672, 160, nn.Identity),  # [160, 7, 7]
            ),  # [160, 7, 7]
        ))
        self.add_module("14", Bneck_3())
        self.add_module("15", Bneck_3())
        self.features = ConvBNAct(160, 960, nn.Hardswish)
        self.add_module("17", nn.Linear(960, 1280))
        self.hardswish = nn.Hardswish()
        self.dropout = nn.Dropout(0.2)
        self.add_module("20", nn.Linear(1280, classes))

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        # 0: ConvBNAct(out=16, k=3, stride=2, groups=1, act=hardswish)
        x = getattr(self, "0")(image)  # [16, 112, 112]
        # 1: Bneck(k=3, exp=16, out=16, squeeze=0, act=relu, stride=1)
        # 1.0: BneckBody(k=3, exp=16, out=16, squeeze=0, act=relu, stride=1)
        # 1.0.0: ConvBNAct(out=16, k=3, stride=1, groups=16, act=relu)
        x1 = getattr(self, "1")(x)  # [16, 112, 112]
        x = x1 + x  # [16, 112, 112]
        # 2: Bneck(k=3, exp=64, out=24, squeeze=0, act=relu, stride=2)
        # 2.0: BneckBody(k=3, exp=64, out=24, squeeze=0, act=relu, stride=2)
        x = getattr(self, "2")(x)  # [24, 56, 56]
        # 3: Bneck(k=3, exp=72, out=24, squeeze=0, act=relu, stride=1)
        # 3.0: BneckBody(k=3, exp=72, out=24, squeeze=0, act=relu, stride=1)
        x1 = getattr(self, "3")(x)  # [24, 56, 56]
        x = x1 + x  # [24, 56, 56]
        # 4: Bneck(k=5, exp=72, out=40, squeeze=24, act=relu, stride=2)
        # 4.0: BneckBody(k=5, exp=72, out=40, squeeze=24, act=relu, stride=2)
        x = getattr(self, "4")(x)  # [40, 28, 28]
        x = getattr(self, "5")(x)  # [40, 28, 28]
        x = getattr(self, "6")(x)  # [40, 28, 28]
        # 7: Bneck(k=3, exp=240, out=80, squeeze=0, act=hardswish, stride=2)
        # 7.0: BneckBody(k=3, exp=240, out=80, squeeze=0, act=hardswish, stride=2)
        x = getattr(self, "7")(x)  # [80, 14, 14]
        # 8: Bneck(k=3, exp=200, out=80, squeeze=0, act=hardswish, stride=1)
        # 8.0: BneckBody(k=3, exp=200, out=80, squeeze=0, act=hardswish, stride=1)
        x1 = getattr(self, "8")(x)  # [80, 14, 14]
        x = x1 + x  # [80, 14, 14]
        x = getattr(self, "9")(x)  # [80, 14, 14]
        x = getattr(self, "10")(x)  # [80, 14, 14]
        # 11: Bneck(k=3, exp=480, out=112, squeeze=120, act=hardswish, stride=1)
        # 11.0: BneckBody(k=3, exp=480, out=112, squeeze=120, act=hardswish, stride=1)
        x = getattr(self, "11")(x)  # [112, 14, 14]
        # 12: Bneck(k=3, exp=672, out=112, squeeze=168, act=hardswish, stride=1)
        # 12.0: BneckBody(k=3, exp=672, out=112, squeeze=168, act=hardswish, stride=1)
        x1 = getattr(self, "12")(x)  # [112, 14, 14]
        x = x1 + x  # [112, 14, 14]
        # 13: Bneck(k=5, exp=672, out=160, squeeze=168, act=hardswish, stride=2)
        # 13.0: BneckBody(k=5, exp=672, out=160, squeeze=168, act=hardswish, stride=2)
        x = getattr(self, "13")(x)  # [160, 7, 7]
        x = getattr(self, "14")(x)  # [160, 7, 7]
        x = getattr(self, "15")(x)  # [160, 7, 7]
        x = self.features(x)  # [960, 7, 7]
        x = x.mean((2, 3))  # [960]
        x = getattr(self, "17")(x)  # [1280]
        x = self.hardswish(x)  # [1280]
        x = self.dropout(x)  # [1280]
        x = getattr(self, "20")(x)  # [1000]
        return x
