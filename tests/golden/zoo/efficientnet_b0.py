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


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class ConvBNSiLU(nn.Sequential):
    """Block `ConvBNSiLU(out, k, stride, groups)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out, k, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(
                in_channels,
                out,
                k,
                stride=stride,
                padding=(k - 1) // 2,
                groups=groups,
                bias=False,
            ),  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
            nn.BatchNorm2d(out),  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
            nn.SiLU(),  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        )


class SE(nn.Module):
    """Block `SE(squeeze)` on [C, H, W]."""

    def __init__(self, C, squeeze):
        super().__init__()
        self.identity = nn.Identity()
        self.adaptiveavgpool = nn.AdaptiveAvgPool2d(1)
        self.add_module("2", nn.Conv2d(C, squeeze, 1))
        self.silu = nn.SiLU()
        self.add_module("4", nn.Conv2d(squeeze, C, 1))
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x1 = self.identity(x)  # [C, H, W]
        x2 = self.adaptiveavgpool(x)  # [C, 1, 1]
        x2 = getattr(self, "2")(x2)  # [squeeze, 1, 1]
        x2 = self.silu(x2)  # [squeeze, 1, 1]
        x2 = getattr(self, "4")(x2)  # [C, 1, 1]
        x2 = self.sigmoid(x2)  # [C, 1, 1]
        x = x1 * x2  # [C, H, W]
        return x


class MBConvBody(nn.Sequential):
    """Block `MBConvBody(expand, k, stride, out)` on [inp, H, W]."""

    def __init__(self, inp, expand, k, stride, out):
        layers = []
        if expand != 1:
            layers.append(ConvBNSiLU(inp, expand * inp, 1))  # [expand * inp, H, W]
        layers.append(ConvBNSiLU(
            expand * inp,
            expand * inp,
            k,
            stride=stride,
            groups=expand * inp,
        ))  # [expand * inp, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        layers.append(SE(expand * inp, inp // 4))  # [expand * inp, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        layers.append(nn.Conv2d(expand * inp, out, 1, bias=False))  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        layers.append(nn.BatchNorm2d(out))  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        super().__init__(*layers)


class MBConv(nn.Module):
    """Block `MBConv(expand, k, stride, out, p)` on [inp, H, W]."""

    __constants__ = ['use_branch']

    def __init__(self, inp, expand, k, stride, out, p):
        super().__init__()
        self.use_branch = stride == 1 and inp == out
        self.add_module("0", MBConvBody(inp, expand, k, stride, out))
        if stride == 1 and inp == out:
            self.droppath = DropPath(p)

    def forward(self, x):
        if self.use_branch:
            x1 = getattr(self, "0")(x)  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
            x1 = self.droppath(x1)  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
            x = x1 + x  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        else:
            x = getattr(self, "0")(x)  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        return x


class EfficientNet_B0(nn.Module):
    """Network `EfficientNet_B0(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.add_module("0", ConvBNSiLU(3, 32, 3, stride=2))
        self.add_module("1", MBConv(32, 1, 3, 1, 16, 0.0))
        self.add_module("2", MBConv(16, 6, 3, 2, 24, 0.0125))
        self.add_module("3", MBConv(24, 6, 3, 1, 24, 0.025))
        self.add_module("4", MBConv(24, 6, 5, 2, 40, 0.037500000000000006))
        self.add_module("5", MBConv(40, 6, 5, 1, 40, 0.05))
        self.add_module("6", MBConv(40, 6, 3, 2, 80, 0.0625))
        self.add_module("7", MBConv(80, 6, 3, 1, 80, 0.07500000000000001))
        self.add_module("8", MBConv(80, 6, 3, 1, 80, 0.08750000000000001))
        self.add_module("9", MBConv(80, 6, 5, 1, 112, 0.1))
        self.add_module("10", MBConv(112, 6, 5, 1, 112, 0.1125))
        self.add_module("11", MBConv(112, 6, 5, 1, 112, 0.125))
        self.add_module("12", MBConv(112, 6, 5, 2, 192, 0.1375))
        self.add_module("13", MBConv(192, 6, 5, 1, 192, 0.15000000000000002))
        self.add_module("14", MBConv(192, 6, 5, 1, 192, 0.1625))
        self.add_module("15", MBConv(192, 6, 5, 1, 192, 0.17500000000000002))
        self.add_module("16", MBConv(192, 6, 3, 1, 320, 0.1875))
        self.add_module("17", ConvBNSiLU(320, 1280, 1))
        self.adaptiveavgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(0.2)
        self.add_module("21", nn.Linear(1280, classes))

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = getattr(self, "0")(image)  # [32, 112, 112]
        x = getattr(self, "1")(x)  # [16, 112, 112]
        x = getattr(self, "2")(x)  # [24, 56, 56]
        x = getattr(self, "3")(x)  # [24, 56, 56]
        x = getattr(self, "4")(x)  # [40, 28, 28]
        x = getattr(self, "5")(x)  # [40, 28, 28]
        x = getattr(self, "6")(x)  # [80, 14, 14]
        x = getattr(self, "7")(x)  # [80, 14, 14]
        x = getattr(self, "8")(x)  # [80, 14, 14]
        x = getattr(self, "9")(x)  # [112, 14, 14]
        x = getattr(self, "10")(x)  # [112, 14, 14]
        x = getattr(self, "11")(x)  # [112, 14, 14]
        x = getattr(self, "12")(x)  # [192, 7, 7]
        x = getattr(self, "13")(x)  # [192, 7, 7]
        x = getattr(self, "14")(x)  # [192, 7, 7]
        x = getattr(self, "15")(x)  # [192, 7, 7]
        x = getattr(self, "16")(x)  # [320, 7, 7]
        x = getattr(self, "17")(x)  # [1280, 7, 7]
        x = self.adaptiveavgpool(x)  # [1280, 1, 1]
        x = self.flatten(x)  # [1280]
        x = self.dropout(x)  # [1280]
        x = getattr(self, "21")(x)  # [classes]
        return x
