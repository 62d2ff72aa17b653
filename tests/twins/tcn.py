"""A hand-written PyTorch temporal convolutional network (Bai, Kolter and Koltun, 2018), the
reference that the TCN of ``tests/test_weight_norm.py`` is measured against: residual blocks
of two causal dilated convolutions under weight normalisation, each padded on both sides and
then chomped at the end (the paper's own way of keeping the past only), and a 1×1
convolution on the shortcut where the width changes; a linear head on the last step."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm


class Chomp1d(nn.Module):
    """Drops the last ``size`` steps: what padding both sides added after the sequence."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, : -self.size].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, inputs: int, outputs: int, kernel: int, dilation: int, dropout: float = 0.2):
        super().__init__()
        padding = (kernel - 1) * dilation
        self.net = nn.Sequential(
            weight_norm(nn.Conv1d(inputs, outputs, kernel, padding=padding, dilation=dilation)),
            Chomp1d(padding), nn.ReLU(), nn.Dropout(dropout),
            weight_norm(nn.Conv1d(outputs, outputs, kernel, padding=padding, dilation=dilation)),
            Chomp1d(padding), nn.ReLU(), nn.Dropout(dropout),
        )
        self.downsample = nn.Conv1d(inputs, outputs, 1) if inputs != outputs else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.net(x) + res)


class TCN(nn.Module):
    def __init__(self, inputs: int = 1, channels=(16, 16, 16), kernel: int = 3, classes: int = 10):
        super().__init__()
        widths = [inputs, *channels]
        self.blocks = nn.Sequential(*(TemporalBlock(widths[i], widths[i + 1], kernel, 2**i)
                                      for i in range(len(channels))))
        self.head = weight_norm(nn.Linear(channels[-1], classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x)[:, :, -1])
