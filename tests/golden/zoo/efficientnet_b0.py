"""EfficientNet_B0, compiled by nnspec from specs/efficientnet_b0.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 5,288,548. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class DropPath(nn.Module):
    """Stochastic depth: while training, zero each sample's whole value with probability p and
    scale the kept ones by 1/(1-p); the identity in evaluation. x [B, ...] -> [B, ...]."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        # one draw per sample, broadcast over the rest of its dimensions
        draw = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        if keep > 0.0:
            draw.div_(keep)
        return x * draw

    def extra_repr(self):
        return f"p={self.p}"


class SE(nn.ModuleList):
    """Block `SE(squeeze)` on [in_channels, H, W].

    Instances: `1.0.1`, `2.0.2`, `3.0.2`, `4.0.2`, `5.0.2`, `6.0.2` and 10 more.
    """

    def __init__(self, in_channels, squeeze):
        super().__init__([
            nn.Identity(),
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, squeeze, 1),
            nn.SiLU(),
            nn.Conv2d(squeeze, in_channels, 1),
            nn.Sigmoid(),
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


class ConvBNSiLU(nn.Sequential):
    """Block `ConvBNSiLU(out, k=1, stride=1, groups=1)` on [in_channels, H, W].

    Instances: `2.0.0`, `3.0.0`, `4.0.0`, `5.0.0`, `6.0.0`, `7.0.0` and 10 more.
    """

    def __init__(self, in_channels, out):
        super().__init__(
            nn.Conv2d(in_channels, out, 1, bias=False),  # [out, H, W]
            nn.BatchNorm2d(out),  # [out, H, W]
            nn.SiLU(),  # [out, H, W]
        )


class ConvBNSiLU_2(nn.Sequential):
    """Block `ConvBNSiLU(out=480, k=3, stride=1, groups=480)`; instances: `7.0.1`, `8.0.1`."""

    def __init__(self):
        super().__init__(
            nn.Conv2d(480, 480, 3, padding=1, groups=480, bias=False),  # [480, 14, 14]
            nn.BatchNorm2d(480),  # [480, 14, 14]
            nn.SiLU(),  # [480, 14, 14]
        )


class MBConvBody(nn.Sequential):
    """Block `MBConvBody(expand=6, k=3, stride=1, out=80)`; instances: `7.0`, `8.0`."""

    def __init__(self):
        super().__init__(
            ConvBNSiLU(80, 480),  # [480, 14, 14]
            ConvBNSiLU_2(),  # [480, 14, 14]
            SE(480, 20),  # [480, 14, 14]
            nn.Conv2d(480, 80, 1, bias=False),  # [80, 14, 14]
            nn.BatchNorm2d(80),  # [80, 14, 14]
        )


class MBConv(nn.ModuleList):
    """Block `MBConv(expand=6, k=3, stride=1, out=80, p)` on [80, 14, 14]; instances: `7`, `8`."""

    def __init__(self, p):
        super().__init__([
            MBConvBody(),
            DropPath(p),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [80, 14, 14]
        x1 = self[1](x1)  # [80, 14, 14]
        x = x1 + x  # [80, 14, 14]
        return x


class ConvBNSiLU_3(nn.Sequential):
    """Block `ConvBNSiLU(out=672, k=5, stride=1, groups=672)`; instances: `10.0.1`, `11.0.1`."""

    def __init__(self):
        super().__init__(
            nn.Conv2d(672, 672, 5, padding=2, groups=672, bias=False),  # [672, 14, 14]
            nn.BatchNorm2d(672),  # [672, 14, 14]
            nn.SiLU(),  # [672, 14, 14]
        )


class MBConvBody_2(nn.Sequential):
    """Block `MBConvBody(expand=6, k=5, stride=1, out=112)`; instances: `10.0`, `11.0`."""

    def __init__(self):
        super().__init__(
            ConvBNSiLU(112, 672),  # [672, 14, 14]
            ConvBNSiLU_3(),  # [672, 14, 14]
            SE(672, 28),  # [672, 14, 14]
            nn.Conv2d(672, 112, 1, bias=False),  # [112, 14, 14]
            nn.BatchNorm2d(112),  # [112, 14, 14]
        )


class MBConv_2(nn.ModuleList):
    """Block `MBConv(expand=6, k=5, stride=1, out=112, p)` on [112, 14, 14].

    Instances: `10`, `11`.
    """

    def __init__(self, p):
        super().__init__([
            MBConvBody_2(),
            DropPath(p),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [112, 14, 14]
        x1 = self[1](x1)  # [112, 14, 14]
        x = x1 + x  # [112, 14, 14]
        return x


class ConvBNSiLU_4(nn.Sequential):
    """Block `ConvBNSiLU(out=1152, k=5, stride=1, groups=1152)`.

    Instances: `13.0.1`, `14.0.1`, `15.0.1`.
    """

    def __init__(self):
        super().__init__(
            nn.Conv2d(1152, 1152, 5, padding=2, groups=1152, bias=False),  # [1152, 7, 7]
            nn.BatchNorm2d(1152),  # [1152, 7, 7]
            nn.SiLU(),  # [1152, 7, 7]
        )


class MBConvBody_3(nn.Sequential):
    """Block `MBConvBody(expand=6, k=5, stride=1, out=192)`; instances: `13.0`, `14.0`, `15.0`."""

    def __init__(self):
        super().__init__(
            ConvBNSiLU(192, 1152),  # [1152, 7, 7]
            ConvBNSiLU_4(),  # [1152, 7, 7]
            SE(1152, 48),  # [1152, 7, 7]
            nn.Conv2d(1152, 192, 1, bias=False),  # [192, 7, 7]
            nn.BatchNorm2d(192),  # [192, 7, 7]
        )


class MBConv_3(nn.ModuleList):
    """Block `MBConv(expand=6, k=5, stride=1, out=192, p)` on [192, 7, 7].

    Instances: `13`, `14`, `15`.
    """

    def __init__(self, p):
        super().__init__([
            MBConvBody_3(),
            DropPath(p),
        ])

    def forward(self, x):
        x1 = self[0](x)  # [192, 7, 7]
        x1 = self[1](x1)  # [192, 7, 7]
        x = x1 + x  # [192, 7, 7]
        return x


class EfficientNet_B0(nn.Module):
    """Network `EfficientNet_B0(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.add_module("0", nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False),  # [32, 112, 112]
            nn.BatchNorm2d(32),  # [32, 112, 112]
            nn.SiLU(),  # [32, 112, 112]
        ))
        self.add_module("1", nn.Sequential(
            nn.Sequential(
                nn.Sequential(
                    nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False),  # [32, 112, 112]
                    nn.BatchNorm2d(32),  # [32, 112, 112]
                    nn.SiLU(),  # [32, 112, 112]
                ),  # [32, 112, 112]
                SE(32, 8),  # [32, 112, 112]
                nn.Conv2d(32, 16, 1, bias=False),  # [16, 112, 112]
                nn.BatchNorm2d(16),  # [16, 112, 112]
            ),  # [16, 112, 112]
        ))
        self.add_module("2", nn.Sequential(
            nn.Sequential(
                ConvBNSiLU(16, 96),  # [96, 112, 112]
                nn.Sequential(
                    nn.Conv2d(96, 96, 3, stride=2, padding=1, groups=96, bias=False),  # [96, 56, 56]
                    nn.BatchNorm2d(96),  # [96, 56, 56]
                    nn.SiLU(),  # [96, 56, 56]
                ),  # [96, 56, 56]
                SE(96, 4),  # [96, 56, 56]
                nn.Conv2d(96, 24, 1, bias=False),  # [24, 56, 56]
                nn.BatchNorm2d(24),  # [24, 56, 56]
            ),  # [24, 56, 56]
        ))
        self.add_module("3", nn.Sequential(
            nn.Sequential(
                ConvBNSiLU(24, 144),  # [144, 56, 56]
                nn.Sequential(
                    nn.Conv2d(144, 144, 3, padding=1, groups=144, bias=False),  # [144, 56, 56]
                    nn.BatchNorm2d(144),  # [144, 56, 56]
                    nn.SiLU(),  # [144, 56, 56]
                ),  # [144, 56, 56]
                SE(144, 6),  # [144, 56, 56]
                nn.Conv2d(144, 24, 1, bias=False),  # [24, 56, 56]
                nn.BatchNorm2d(24),  # [24, 56, 56]
            ),  # [24, 56, 56]
            DropPath(0.025),  # [24, 56, 56]
        ))
        self.add_module("4", nn.Sequential(
            nn.Sequential(
                ConvBNSiLU(24, 144),  # [144, 56, 56]
                nn.Sequential(
                    nn.Conv2d(144, 144, 5, stride=2, padding=2, groups=144, bias=False),  # [144, 28, 28]
                    nn.BatchNorm2d(144),  # [144, 28, 28]
                    nn.SiLU(),  # [144, 28, 28]
                ),  # [144, 28, 28]
                SE(144, 6),  # [144, 28, 28]
                nn.Conv2d(144, 40, 1, bias=False),  # [40, 28, 28]
                nn.BatchNorm2d(40),  # [40, 28, 28]
            ),  # [40, 28, 28]
        ))
        self.add_module("5", nn.Sequential(
            nn.Sequential(
                ConvBNSiLU(40, 240),  # [240, 28, 28]
                nn.Sequential(
                    nn.Conv2d(240, 240, 5, padding=2, groups=240, bias=False),  # [240, 28, 28]
                    nn.BatchNorm2d(240),  # [240, 28, 28]
                    nn.SiLU(),  # [240, 28, 28]
                ),  # [240, 28, 28]
                SE(240, 10),  # [240, 28, 28]
                nn.Conv2d(240, 40, 1, bias=False),  # [40, 28, 28]
                nn.BatchNorm2d(40),  # [40, 28, 28]
            ),  # [40, 28, 28]
            DropPath(0.05),  # [40, 28, 28]
        ))
        self.add_module("6", nn.Sequential(
            nn.Sequential(
                ConvBNSiLU(40, 240),  # [240, 28, 28]
                nn.Sequential(
                    nn.Conv2d(240, 240, 3, stride=2, padding=1, groups=240, bias=False),  # [240, 14, 14]
                    nn.BatchNorm2d(240),  # [240, 14, 14]
                    nn.SiLU(),  # [240, 14, 14]
                ),  # [240, 14, 14]
                SE(240, 10),  # [240, 14, 14]
                nn.Conv2d(240, 80, 1, bias=False),  # [80, 14, 14]
                nn.BatchNorm2d(80),  # [80, 14, 14]
            ),  # [80, 14, 14]
        ))
        self.add_module("7", MBConv(0.07500000000000001))
        self.add_module("8", MBConv(0.08750000000000001))
        self.add_module("9", nn.Sequential(
            nn.Sequential(
                ConvBNSiLU(80, 480),  # [480, 14, 14]
                nn.Sequential(
                    nn.Conv2d(480, 480, 5, padding=2, groups=480, bias=False),  # [480, 14, 14]
                    nn.BatchNorm2d(480),  # [480, 14, 14]
                    nn.SiLU(),  # [480, 14, 14]
                ),  # [480, 14, 14]
                SE(480, 20),  # [480, 14, 14]
                nn.Conv2d(480, 112, 1, bias=False),  # [112, 14, 14]
                nn.BatchNorm2d(112),  # [112, 14, 14]
            ),  # [112, 14, 14]
        ))
        self.add_module("10", MBConv_2(0.1125))
        self.add_module("11", MBConv_2(0.125))
        self.add_module("12", nn.Sequential(
            nn.Sequential(
                ConvBNSiLU(112, 672),  # [672, 14, 14]
                nn.Sequential(
                    nn.Conv2d(672, 672, 5, stride=2, padding=2, groups=672, bias=False),  # [672, 7, 7]
                    nn.BatchNorm2d(672),  # [672, 7, 7]
                    nn.SiLU(),  # [672, 7, 7]
                ),  # [672, 7, 7]
                SE(672, 28),  # [672, 7, 7]
                nn.Conv2d(672, 192, 1, bias=False),  # [192, 7, 7]
                nn.BatchNorm2d(192),  # [192, 7, 7]
            ),  # [192, 7, 7]
        ))
        self.add_module("13", MBConv_3(0.15000000000000002))
        self.add_module("14", MBConv_3(0.1625))
        self.add_module("15", MBConv_3(0.17500000000000002))
        self.add_module("16", nn.Sequential(
            nn.Sequential(
                ConvBNSiLU(192, 1152),  # [1152, 7, 7]
                nn.Sequential(
                    nn.Conv2d(1152, 1152, 3, padding=1, groups=1152, bias=False),  # [1152, 7, 7]
                    nn.BatchNorm2d(1152),  # [1152, 7, 7]
                    nn.SiLU(),  # [1152, 7, 7]
                ),  # [1152, 7, 7]
                SE(1152, 48),  # [1152, 7, 7]
                nn.Conv2d(1152, 320, 1, bias=False),  # [320, 7, 7]
                nn.BatchNorm2d(320),  # [320, 7, 7]
            ),  # [320, 7, 7]
        ))
        self.features = ConvBNSiLU(320, 1280)
        self.dropout = nn.Dropout(0.2)
        self.add_module("19", nn.Linear(1280, classes))

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        # 0: ConvBNSiLU(out=32, k=3, stride=2, groups=1)
        x = getattr(self, "0")(image)  # [32, 112, 112]
        # 1: MBConv(expand=1, k=3, stride=1, out=16, p=0.0)
        # 1.0: MBConvBody(expand=1, k=3, stride=1, out=16)
        # 1.0.0: ConvBNSiLU(out=32, k=3, stride=1, groups=32)
        x = getattr(self, "1")(x)  # [16, 112, 112]
        # 2: MBConv(expand=6, k=3, stride=2, out=24, p=0.0125)
        # 2.0: MBConvBody(expand=6, k=3, stride=2, out=24)
        x = getattr(self, "2")(x)  # [24, 56, 56]
        # 3: MBConv(expand=6, k=3, stride=1, out=24, p=0.025)
        # 3.0: MBConvBody(expand=6, k=3, stride=1, out=24)
        x1 = getattr(self, "3")(x)  # [24, 56, 56]
        x = x1 + x  # [24, 56, 56]
        # 4: MBConv(expand=6, k=5, stride=2, out=40, p=0.037500000000000006)
        # 4.0: MBConvBody(expand=6, k=5, stride=2, out=40)
        x = getattr(self, "4")(x)  # [40, 28, 28]
        # 5: MBConv(expand=6, k=5, stride=1, out=40, p=0.05)
        # 5.0: MBConvBody(expand=6, k=5, stride=1, out=40)
        x1 = getattr(self, "5")(x)  # [40, 28, 28]
        x = x1 + x  # [40, 28, 28]
        # 6: MBConv(expand=6, k=3, stride=2, out=80, p=0.0625)
        # 6.0: MBConvBody(expand=6, k=3, stride=2, out=80)
        x = getattr(self, "6")(x)  # [80, 14, 14]
        x = getattr(self, "7")(x)  # [80, 14, 14]
        x = getattr(self, "8")(x)  # [80, 14, 14]
        # 9: MBConv(expand=6, k=5, stride=1, out=112, p=0.1)
        # 9.0: MBConvBody(expand=6, k=5, stride=1, out=112)
        x = getattr(self, "9")(x)  # [112, 14, 14]
        x = getattr(self, "10")(x)  # [112, 14, 14]
        x = getattr(self, "11")(x)  # [112, 14, 14]
        # 12: MBConv(expand=6, k=5, stride=2, out=192, p=0.1375)
        # 12.0: MBConvBody(expand=6, k=5, stride=2, out=192)
        x = getattr(self, "12")(x)  # [192, 7, 7]
        x = getattr(self, "13")(x)  # [192, 7, 7]
        x = getattr(self, "14")(x)  # [192, 7, 7]
        x = getattr(self, "15")(x)  # [192, 7, 7]
        # 16: MBConv(expand=6, k=3, stride=1, out=320, p=0.1875)
        # 16.0: MBConvBody(expand=6, k=3, stride=1, out=320)
        x = getattr(self, "16")(x)  # [320, 7, 7]
        x = self.features(x)  # [1280, 7, 7]
        x = x.mean((2, 3))  # [1280]
        x = self.dropout(x)  # [1280]
        x = getattr(self, "19")(x)  # [1000]
        return x
