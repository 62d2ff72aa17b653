"""LeNet5, compiled by nnspec from specs/lenet5.nn.

Inputs: image [1, 32, 32]; outputs: [10] (shapes without the batch dimension).
Parameters: 60,840. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class Learned(nn.Module):
    """A learned tensor of the given shape, the same for every sample: forward(x) -> [B, *shape],
    where x only tells the batch size. Stored as [1, *shape], or as shape with batch=False."""

    def __init__(self, *shape, init=0.0, std=0.0, batch=True):
        super().__init__()
        self.shape = tuple(shape)
        stored = (1, *shape) if batch else self.shape
        value = torch.full(stored, float(init))
        if std:
            value = nn.init.normal_(value, mean=float(init), std=float(std))
        self.weight = nn.Parameter(value)

    def forward(self, x):
        return self.weight.expand(x.shape[0], *self.shape)


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class Subsample(nn.Module):
    """Block `Subsample(maps)` on [maps, H, W]."""

    def __init__(self, maps):
        super().__init__()
        self.avgpool = nn.AvgPool2d(2)
        self.coefficient = Learned(maps, 1, 1, init=1.0, batch=False)
        self.identity = nn.Identity()
        self.identity_2 = nn.Identity()
        self.bias = Learned(maps, 1, 1, batch=False)

    def forward(self, x):
        x = self.avgpool(x)  # [maps, H // 2, W // 2]
        x = x * 4  # [maps, H // 2, W // 2]
        coefficient = self.coefficient(x)  # [maps, 1, 1]
        x1 = self.identity(x)  # [maps, H // 2, W // 2]
        x = coefficient * x1  # [maps, H // 2, W // 2]
        x2 = self.identity_2(x)  # [maps, H // 2, W // 2]
        bias = self.bias(x)  # [maps, 1, 1]
        x = x2 + bias  # [maps, H // 2, W // 2]
        x = 1.7159 * torch.tanh(0.6666666666666666 * x)  # [maps, H // 2, W // 2]
        return x


class PartialConv(nn.Module):
    """Block `PartialConv()` on [in_channels, H, W]."""

    def __init__(self, in_channels):
        super().__init__()
        self.map0 = nn.Conv2d(3, 1, 5)
        self.map1 = nn.Conv2d(3, 1, 5)
        self.map2 = nn.Conv2d(3, 1, 5)
        self.map3 = nn.Conv2d(3, 1, 5)
        self.map4 = nn.Conv2d(3, 1, 5)
        self.map5 = nn.Conv2d(3, 1, 5)
        self.map6 = nn.Conv2d(4, 1, 5)
        self.map7 = nn.Conv2d(4, 1, 5)
        self.map8 = nn.Conv2d(4, 1, 5)
        self.map9 = nn.Conv2d(4, 1, 5)
        self.map10 = nn.Conv2d(4, 1, 5)
        self.map11 = nn.Conv2d(4, 1, 5)
        self.map12 = nn.Conv2d(4, 1, 5)
        self.map13 = nn.Conv2d(4, 1, 5)
        self.map14 = nn.Conv2d(4, 1, 5)
        self.map15 = nn.Conv2d(in_channels, 1, 5)

    def forward(self, x):
        x1 = x[:, :3]  # [3, H, W]
        x1 = self.map0(x1)  # [1, H - 4, W - 4]
        x2 = x[:, 1:4]  # [3, H, W]
        x2 = self.map1(x2)  # [1, H - 4, W - 4]
        x3 = x[:, 2:5]  # [3, H, W]
        x3 = self.map2(x3)  # [1, H - 4, W - 4]
        x4 = x[:, 3:6]  # [3, H, W]
        x4 = self.map3(x4)  # [1, H - 4, W - 4]
        x6 = x[:, :1]  # [1, H, W]
        x7 = x[:, 4:6]  # [2, H, W]
        x5 = torch.cat([x6, x7], dim=1)  # [3, H, W]
        x5 = self.map4(x5)  # [1, H - 4, W - 4]
        x9 = x[:, :2]  # [2, H, W]
        x10 = x[:, 5:6]  # [1, H, W]
        x8 = torch.cat([x9, x10], dim=1)  # [3, H, W]
        x8 = self.map5(x8)  # [1, H - 4, W - 4]
        x11 = x[:, :4]  # [4, H, W]
        x11 = self.map6(x11)  # [1, H - 4, W - 4]
        x12 = x[:, 1:5]  # [4, H, W]
        x12 = self.map7(x12)  # [1, H - 4, W - 4]
        x13 = x[:, 2:6]  # [4, H, W]
        x13 = self.map8(x13)  # [1, H - 4, W - 4]
        x15 = x[:, :1]  # [1, H, W]
        x16 = x[:, 3:6]  # [3, H, W]
        x14 = torch.cat([x15, x16], dim=1)  # [4, H, W]
        x14 = self.map9(x14)  # [1, H - 4, W - 4]
        x18 = x[:, :2]  # [2, H, W]
        x19 = x[:, 4:6]  # [2, H, W]
        x17 = torch.cat([x18, x19], dim=1)  # [4, H, W]
        x17 = self.map10(x17)  # [1, H - 4, W - 4]
        x21 = x[:, :3]  # [3, H, W]
        x22 = x[:, 5:6]  # [1, H, W]
        x20 = torch.cat([x21, x22], dim=1)  # [4, H, W]
        x20 = self.map11(x20)  # [1, H - 4, W - 4]
        x24 = x[:, :2]  # [2, H, W]
        x25 = x[:, 3:5]  # [2, H, W]
        x23 = torch.cat([x24, x25], dim=1)  # [4, H, W]
        x23 = self.map12(x23)  # [1, H - 4, W - 4]
        x27 = x[:, 1:3]  # [2, H, W]
        x28 = x[:, 4:6]  # [2, H, W]
        x26 = torch.cat([x27, x28], dim=1)  # [4, H, W]
        x26 = self.map13(x26)  # [1, H - 4, W - 4]
        x30 = x[:, :1]  # [1, H, W]
        x31 = x[:, 2:4]  # [2, H, W]
        x32 = x[:, 5:6]  # [1, H, W]
        x29 = torch.cat([x30, x31, x32], dim=1)  # [4, H, W]
        x29 = self.map14(x29)  # [1, H - 4, W - 4]
        map15 = self.map15(x)  # [1, H - 4, W - 4]
        x = torch.cat(
            [x1, x2, x3, x4, x5, x8, x11, x12, x13, x14, x17, x20, x23, x26, x29, map15],
            dim=1,
        )  # [16, H - 4, W - 4]
        return x


class EuclideanRBF(nn.Module):
    """Block `EuclideanRBF(classes)` on [features]."""

    def __init__(self, features, classes):
        super().__init__()
        self.identity = nn.Identity()
        self.centres = Learned(classes, features, batch=False)

    def forward(self, x):
        x = x.reshape(x.shape[0], 1, -1)  # [1, features]
        x1 = self.identity(x)  # [1, features]
        centres = self.centres(x)  # [classes, features]
        centres = centres * -1  # [classes, features]
        x = x1 + centres  # [classes, features]
        x = torch.pow(x, 2)  # [classes, features]
        x = x.sum(2)  # [classes]
        return x


class LeNet5(nn.Module):
    """Network `LeNet5`: image [1, 32, 32] -> [10] (shapes without the batch dimension)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsample(6)
        self.c3 = PartialConv(6)
        self.s4 = Subsample(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.flatten = nn.Flatten()
        self.f6 = nn.Linear(120, 84)
        self.rbf = EuclideanRBF(84, 10)

    def forward(self, image):
        """image [batch, 1, 32, 32] -> [batch, 10]"""
        check_input(image, 'image', [1, 32, 32])
        x = self.c1(image)  # [6, 28, 28]
        x = 1.7159 * torch.tanh(0.6666666666666666 * x)  # [6, 28, 28]
        x = self.s2(x)  # [6, 14, 14]
        x = self.c3(x)  # [16, 10, 10]
        x = 1.7159 * torch.tanh(0.6666666666666666 * x)  # [16, 10, 10]
        x = self.s4(x)  # [16, 5, 5]
        x = self.c5(x)  # [120, 1, 1]
        x = 1.7159 * torch.tanh(0.6666666666666666 * x)  # [120, 1, 1]
        x = self.flatten(x)  # [120]
        x = self.f6(x)  # [84]
        x = 1.7159 * torch.tanh(0.6666666666666666 * x)  # [84]
        x = self.rbf(x)  # [10]
        return x
