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


class Subsample(nn.Module):
    """Block `Subsample(maps)` on [maps, H, W]; instances: `s2`, `s4`."""

    def __init__(self, maps):
        super().__init__()
        self.avgpool = nn.AvgPool2d(2)
        self.coefficient = Learned(maps, 1, 1, init=1.0, batch=False)
        self.identity = nn.Identity()
        self.identity_2 = nn.Identity()
        self.bias = Learned(maps, 1, 1, batch=False)

    def forward(self, x):
        x = self.avgpool(x)  # [maps, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        x = x * 4  # [maps, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        x1 = self.coefficient(x)  # [maps, 1, 1]
        x = self.identity(x)  # [maps, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        x = x1 * x  # [maps, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        x1 = self.identity_2(x)  # [maps, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        x = self.bias(x)  # [maps, 1, 1]
        x = x1 + x  # [maps, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        x = 1.7159 * torch.tanh(0.6666666666666666 * x)  # [maps, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        return x


class PartialConv(nn.Module):
    """Block `PartialConv`; instances: `c3`."""

    def __init__(self):
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
        self.map15 = nn.Conv2d(6, 1, 5)

    def forward(self, x):
        x1 = x[:, :3]  # [3, 14, 14]
        x1 = self.map0(x1)  # [1, 10, 10]
        x2 = x[:, 1:4]  # [3, 14, 14]
        x2 = self.map1(x2)  # [1, 10, 10]
        x3 = x[:, 2:5]  # [3, 14, 14]
        x3 = self.map2(x3)  # [1, 10, 10]
        x4 = x[:, 3:6]  # [3, 14, 14]
        x4 = self.map3(x4)  # [1, 10, 10]
        x5 = x[:, :1]  # [1, 14, 14]
        x6 = x[:, 4:6]  # [2, 14, 14]
        x5 = torch.cat([x5, x6], dim=1)  # [3, 14, 14]
        x5 = self.map4(x5)  # [1, 10, 10]
        x6 = x[:, :2]  # [2, 14, 14]
        x7 = x[:, 5:6]  # [1, 14, 14]
        x6 = torch.cat([x6, x7], dim=1)  # [3, 14, 14]
        x6 = self.map5(x6)  # [1, 10, 10]
        x7 = x[:, :4]  # [4, 14, 14]
        x7 = self.map6(x7)  # [1, 10, 10]
        x8 = x[:, 1:5]  # [4, 14, 14]
        x8 = self.map7(x8)  # [1, 10, 10]
        x9 = x[:, 2:6]  # [4, 14, 14]
        x9 = self.map8(x9)  # [1, 10, 10]
        x10 = x[:, :1]  # [1, 14, 14]
        x11 = x[:, 3:6]  # [3, 14, 14]
        x10 = torch.cat([x10, x11], dim=1)  # [4, 14, 14]
        x10 = self.map9(x10)  # [1, 10, 10]
        x11 = x[:, :2]  # [2, 14, 14]
        x12 = x[:, 4:6]  # [2, 14, 14]
        x11 = torch.cat([x11, x12], dim=1)  # [4, 14, 14]
        x11 = self.map10(x11)  # [1, 10, 10]
        x12 = x[:, :3]  # [3, 14, 14]
        x13 = x[:, 5:6]  # [1, 14, 14]
        x12 = torch.cat([x12, x13], dim=1)  # [4, 14, 14]
        x12 = self.map11(x12)  # [1, 10, 10]
        x13 = x[:, :2]  # [2, 14, 14]
        x14 = x[:, 3:5]  # [2, 14, 14]
        x13 = torch.cat([x13, x14], dim=1)  # [4, 14, 14]
        x13 = self.map12(x13)  # [1, 10, 10]
        x14 = x[:, 1:3]  # [2, 14, 14]
        x15 = x[:, 4:6]  # [2, 14, 14]
        x14 = torch.cat([x14, x15], dim=1)  # [4, 14, 14]
        x14 = self.map13(x14)  # [1, 10, 10]
        x15 = x[:, :1]  # [1, 14, 14]
        x16 = x[:, 2:4]  # [2, 14, 14]
        x17 = x[:, 5:6]  # [1, 14, 14]
        x15 = torch.cat([x15, x16, x17], dim=1)  # [4, 14, 14]
        x15 = self.map14(x15)  # [1, 10, 10]
        x = self.map15(x)  # [1, 10, 10]
        x = torch.cat([x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15, x], dim=1)  # [16, 10, 10]
        return x


class EuclideanRBF(nn.Module):
    """Block `EuclideanRBF(classes)` on [84]; instances: `rbf`."""

    def __init__(self, classes):
        super().__init__()
        self.identity = nn.Identity()
        self.centres = Learned(classes, 84, batch=False)

    def forward(self, x):
        x = x.reshape(x.shape[0], 1, 84)  # [1, 84]
        x1 = self.identity(x)  # [1, 84]
        x = self.centres(x)  # [10, 84]
        x = x * -1  # [10, 84]
        x = x1 + x  # [10, 84]
        x = torch.pow(x, 2)  # [10, 84]
        x = x.sum(2)  # [classes]
        return x


class LeNet5(nn.Module):
    """Network `LeNet5`: image [1, 32, 32] -> [10] (shapes without the batch dimension)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsample(6)
        self.c3 = PartialConv()
        self.s4 = Subsample(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.flatten = nn.Flatten()
        self.f6 = nn.Linear(120, 84)
        self.rbf = EuclideanRBF(10)

    def forward(self, image):
        """image [batch, 1, 32, 32] -> [batch, 10]"""
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
