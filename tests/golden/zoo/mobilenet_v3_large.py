"""MobileNetV3_Large, compiled by nnspec from specs/mobilenet_v3_large.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 5,483,032. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class ConvBNAct(nn.Sequential):
    """Block `ConvBNAct(out, k, stride, groups, act)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out, k, stride=1, groups=1, act=nn.ReLU):
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
            nn.BatchNorm2d(out, eps=0.001, momentum=0.01),  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
            act(),  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        )


class SE(nn.Module):
    """Block `SE(squeeze)` on [C, H, W]."""

    def __init__(self, C, squeeze):
        super().__init__()
        self.identity = nn.Identity()
        self.adaptiveavgpool = nn.AdaptiveAvgPool2d(1)
        self.add_module("2", nn.Conv2d(C, squeeze, 1))
        self.relu = nn.ReLU()
        self.add_module("4", nn.Conv2d(squeeze, C, 1))
        self.hardsigmoid = nn.Hardsigmoid()

    def forward(self, x):
        x1 = self.identity(x)  # [C, H, W]
        x2 = self.adaptiveavgpool(x)  # [C, 1, 1]
        x2 = getattr(self, "2")(x2)  # [squeeze, 1, 1]
        x2 = self.relu(x2)  # [squeeze, 1, 1]
        x2 = getattr(self, "4")(x2)  # [C, 1, 1]
        x2 = self.hardsigmoid(x2)  # [C, 1, 1]
        x = x1 * x2  # [C, H, W]
        return x


class BneckBody(nn.Sequential):
    """Block `BneckBody(k, exp, out, squeeze, act, stride)` on [inp, H, W]."""

    def __init__(self, inp, k, exp, out, squeeze, act, stride):
        layers = []
        if exp != inp:
            layers.append(ConvBNAct(inp, exp, 1, act=act))  # [exp, H, W]
        layers.append(ConvBNAct(exp, exp, k, stride=stride, groups=exp, act=act))  # [exp, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        if squeeze > 0:
            layers.append(SE(exp, squeeze))  # [exp, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        layers.append(ConvBNAct(exp, out, 1, act=nn.Identity))  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        super().__init__(*layers)


class Bneck(nn.Module):
    """Block `Bneck(k, exp, out, squeeze, act, stride)` on [inp, H, W]."""

    __constants__ = ['use_branch']

    def __init__(self, inp, k, exp, out, squeeze, act, stride):
        super().__init__()
        self.use_branch = stride == 1 and inp == out
        self.add_module("0", BneckBody(inp, k, exp, out, squeeze, act, stride))

    def forward(self, x):
        if self.use_branch:
            x1 = getattr(self, "0")(x)  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
            x = x1 + x  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        else:
            x = getattr(self, "0")(x)  # [out, (H - k + 2 * ((k - 1) // 2)) // stride + 1, (W - k + 2 * ((k - 1) // 2)) // stride + 1]
        return x


class MobileNetV3_Large(nn.Module):
    """Network `MobileNetV3_Large(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.add_module("0", ConvBNAct(3, 16, 3, stride=2, act=nn.Hardswish))
        self.add_module("1", Bneck(16, 3, 16, 16, 0, nn.ReLU, 1))
        self.add_module("2", Bneck(16, 3, 64, 24, 0, nn.ReLU, 2))
        self.add_module("3", Bneck(24, 3, 72, 24, 0, nn.ReLU, 1))
        self.add_module("4", Bneck(24, 5, 72, 40, 24, nn.ReLU, 2))
        self.add_module("5", Bneck(40, 5, 120, 40, 32, nn.ReLU, 1))
        self.add_module("6", Bneck(40, 5, 120, 40, 32, nn.ReLU, 1))
        self.add_module("7", Bneck(40, 3, 240, 80, 0, nn.Hardswish, 2))
        self.add_module("8", Bneck(80, 3, 200, 80, 0, nn.Hardswish, 1))
        self.add_module("9", Bneck(80, 3, 184, 80, 0, nn.Hardswish, 1))
        self.add_module("10", Bneck(80, 3, 184, 80, 0, nn.Hardswish, 1))
        self.add_module("11", Bneck(80, 3, 480, 112, 120, nn.Hardswish, 1))
        self.add_module("12", Bneck(112, 3, 672, 112, 168, nn.Hardswish, 1))
        self.add_module("13", Bneck(112, 5, 672, 160, 168, nn.Hardswish, 2))
        self.add_module("14", Bneck(160, 5, 960, 160, 240, nn.Hardswish, 1))
        self.add_module("15", Bneck(160, 5, 960, 160, 240, nn.Hardswish, 1))
        self.add_module("16", ConvBNAct(160, 960, 1, act=nn.Hardswish))
        self.adaptiveavgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.add_module("19", nn.Linear(960, 1280))
        self.hardswish = nn.Hardswish()
        self.dropout = nn.Dropout(0.2)
        self.add_module("22", nn.Linear(1280, classes))

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = getattr(self, "0")(image)  # [16, 112, 112]
        x = getattr(self, "1")(x)  # [16, 112, 112]
        x = getattr(self, "2")(x)  # [24, 56, 56]
        x = getattr(self, "3")(x)  # [24, 56, 56]
        x = getattr(self, "4")(x)  # [40, 28, 28]
        x = getattr(self, "5")(x)  # [40, 28, 28]
        x = getattr(self, "6")(x)  # [40, 28, 28]
        x = getattr(self, "7")(x)  # [80, 14, 14]
        x = getattr(self, "8")(x)  # [80, 14, 14]
        x = getattr(self, "9")(x)  # [80, 14, 14]
        x = getattr(self, "10")(x)  # [80, 14, 14]
        x = getattr(self, "11")(x)  # [112, 14, 14]
        x = getattr(self, "12")(x)  # [112, 14, 14]
        x = getattr(self, "13")(x)  # [160, 7, 7]
        x = getattr(self, "14")(x)  # [160, 7, 7]
        x = getattr(self, "15")(x)  # [160, 7, 7]
        x = getattr(self, "16")(x)  # [960, 7, 7]
        x = self.adaptiveavgpool(x)  # [960, 1, 1]
        x = self.flatten(x)  # [960]
        x = getattr(self, "19")(x)  # [1280]
        x = self.hardswish(x)  # [1280]
        x = self.dropout(x)  # [1280]
        x = getattr(self, "22")(x)  # [classes]
        return x
