"""A hand-written PyTorch LeNet-5 as published (LeCun et al., 1998), the reference that
``specs/lenet5.nn`` is measured against: scaled tanh squashing, trainable subsampling, C3's
partial connections (the paper's Table I) and a Euclidean RBF output layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Table I: the maps of S2 that each map of C3 reads
C3_TABLE = [
    [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5],
    [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5],
    [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5],
]


def squash(a: torch.Tensor) -> torch.Tensor:
    return 1.7159 * torch.tanh(2 * a / 3)


class Subsampling(nn.Module):
    """The sum of each 2×2 window, times a coefficient, plus a bias, per map."""

    def __init__(self, maps: int):
        super().__init__()
        self.coefficient = nn.Parameter(torch.ones(maps, 1, 1))
        self.bias = nn.Parameter(torch.zeros(maps, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return squash(F.avg_pool2d(x, 2) * 4 * self.coefficient + self.bias)


class EuclideanRBF(nn.Module):
    """The squared distance from the input to each class's centre."""

    def __init__(self, features: int, classes: int):
        super().__init__()
        self.centres = nn.Parameter(torch.randn(classes, features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x[:, None, :] - self.centres) ** 2).sum(-1)


class LeNet5(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsampling(6)
        self.c3 = nn.ModuleList(nn.Conv2d(len(maps), 1, 5) for maps in C3_TABLE)
        self.s4 = Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.rbf = EuclideanRBF(84, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s2(squash(self.c1(x)))
        x = squash(torch.cat([conv(x[:, maps]) for conv, maps in zip(self.c3, C3_TABLE)], dim=1))
        x = squash(self.c5(self.s4(x))).flatten(1)
        return self.rbf(squash(self.f6(x)))
