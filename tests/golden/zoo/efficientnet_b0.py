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


class ConvBNSiLU(nn.Sequential):
    """Block `ConvBNSiLU(out, k, stride, groups)` on [in_channels, H, W].

    Instances: `0`, `1.0.0`, `2.0.0`, `2.0.1`, `3.0.0`, `3.0.1` and 27 more.
    """

    def __init__(self, in_channels, out, k, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(in_channels, out, k, stride=stride, padding=k // 2, groups=groups, bias=False),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(out),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.SiLU(),  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


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


class MBConvBody(nn.Sequential):
    """Block `MBConvBody(expand, k, stride, out)` on [in_channels, H, W].

    Instances: `1.0`, `2.0`, `3.0`, `4.0`, `5.0`, `6.0` and 10 more.
    """

    def __init__(self, in_channels, expand, k, stride, out):
        layers = []
        if expand != 1:
            layers.append(ConvBNSiLU(in_channels, in_channels * expand, 1))  # [in_channels * expand, H, W]
        layers.append(ConvBNSiLU(
            in_channels * expand,
            in_channels * expand,
            k,
            stride=stride,
            groups=in_channels * expand,
        ))  # [in_channels * expand, (H - 1) // stride + 1, (W - 1) // stride + 1]
        layers.append(SE(in_channels * expand, in_channels // 4))  # [in_channels * expand, (H - 1) // stride + 1, (W - 1) // stride + 1]
        layers.append(nn.Conv2d(in_channels * expand, out, 1, bias=False))  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        layers.append(nn.BatchNorm2d(out))  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        super().__init__(*layers)


class MBConv(nn.ModuleList):
    """Block `MBConv(expand, k, stride, out, p)` on [in_channels, H, W].

    Instances: `1`, `2`, `3`, `4`, `5`, `6` and 10 more.
    """

    __constants__ = ["residual"]

    def __init__(self, in_channels, expand, k, stride, out, p):
        super().__init__([
            MBConvBody(in_channels, expand, k, stride, out),
        ])
        self.residual = stride == 1 and in_channels == out
        if self.residual:
            self.append(DropPath(p))

    def forward(self, x):
        x1 = self[0](x)  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
        if self.residual:
            x1 = self[1](x1)  # [in_channels, H, W]
            x1 = x1 + x  # [in_channels, H, W]
        return x1


class EfficientNet_B0(nn.Sequential):
    """Network `EfficientNet_B0(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__(
            ConvBNSiLU(3, 32, 3, stride=2),  # [32, 112, 112]
            MBConv(32, 1, 3, 1, 16, 0.0),  # [16, 112, 112]
            MBConv(16, 6, 3, 2, 24, 0.0125),  # [24, 56, 56]
            MBConv(24, 6, 3, 1, 24, 0.025),  # [24, 56, 56]
            MBConv(24, 6, 5, 2, 40, 0.037500000000000006),  # [40, 28, 28]
            MBConv(40, 6, 5, 1, 40, 0.05),  # [40, 28, 28]
            MBConv(40, 6, 3, 2, 80, 0.0625),  # [80, 14, 14]
            MBConv(80, 6, 3, 1, 80, 0.07500000000000001),  # [80, 14, 14]
            MBConv(80, 6, 3, 1, 80, 0.08750000000000001),  # [80, 14, 14]
            MBConv(80, 6, 5, 1, 112, 0.1),  # [112, 14, 14]
            MBConv(112, 6, 5, 1, 112, 0.1125),  # [112, 14, 14]
            MBConv(112, 6, 5, 1, 112, 0.125),  # [112, 14, 14]
            MBConv(112, 6, 5, 2, 192, 0.1375),  # [192, 7, 7]
            MBConv(192, 6, 5, 1, 192, 0.15000000000000002),  # [192, 7, 7]
            MBConv(192, 6, 5, 1, 192, 0.1625),  # [192, 7, 7]
            MBConv(192, 6, 5, 1, 192, 0.17500000000000002),  # [192, 7, 7]
            MBConv(192, 6, 3, 1, 320, 0.1875),  # [320, 7, 7]
            ConvBNSiLU(320, 1280, 1),  # [1280, 7, 7]
            nn.AdaptiveAvgPool2d(1),  # [1280, 1, 1]
            nn.Flatten(),  # [1280]
            nn.Dropout(0.2),  # [1280]
            nn.Linear(1280, classes),  # [1000]
        )
