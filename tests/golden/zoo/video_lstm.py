"""VideoLSTM, compiled by nnspec from specs/video_lstm.nn.

Inputs: video [T, 3, 64, 64]; outputs: [10] (shapes without the batch dimension).
Parameters: 491,530. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


def final_state(h: torch.Tensor, directions: int) -> torch.Tensor:
    """The last layer's final state [B, H*dirs] (forward then backward) of a recurrent
    module's states h [layers*dirs, B, H]."""
    return h[-directions:].transpose(0, 1).flatten(1)


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class FrameEncoder(nn.Module):
    """Block `FrameEncoder(width)` on [in_channels, H, W]."""

    def __init__(self, in_channels, width=32):
        super().__init__()
        self.add_module("0", nn.Conv2d(in_channels, width, 3, padding=1))
        self.add_module("1", nn.BatchNorm2d(width))
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(2)
        self.add_module("4", nn.Conv2d(width, 2 * width, 3, padding=1))
        self.add_module("5", nn.BatchNorm2d(2 * width))
        self.relu_2 = nn.ReLU()
        self.maxpool_2 = nn.MaxPool2d(2)
        self.add_module("8", nn.Conv2d(2 * width, 4 * width, 3, padding=1))
        self.add_module("9", nn.BatchNorm2d(4 * width))
        self.relu_3 = nn.ReLU()
        self.maxpool_3 = nn.MaxPool2d(2)

    def forward(self, x):
        x = getattr(self, "0")(x)  # [width, H, W]
        x = getattr(self, "1")(x)  # [width, H, W]
        x = self.relu(x)  # [width, H, W]
        x = self.maxpool(x)  # [width, H // 2, W // 2]
        x = getattr(self, "4")(x)  # [2 * width, H // 2, W // 2]
        x = getattr(self, "5")(x)  # [2 * width, H // 2, W // 2]
        x = self.relu_2(x)  # [2 * width, H // 2, W // 2]
        x = self.maxpool_2(x)  # [2 * width, H // 4, W // 4]
        x = getattr(self, "8")(x)  # [4 * width, H // 4, W // 4]
        x = getattr(self, "9")(x)  # [4 * width, H // 4, W // 4]
        x = self.relu_3(x)  # [4 * width, H // 4, W // 4]
        x = self.maxpool_3(x)  # [4 * width, H // 8, W // 8]
        x = x.mean((2, 3))  # [4 * width]
        return x


class VideoLSTM(nn.Module):
    """Network `VideoLSTM(classes=10, hidden=256)`: video [T, 3, 64, 64] -> [10].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=10, hidden=256):
        super().__init__()
        self.encoder = FrameEncoder(3)
        self.lstm = nn.LSTM(128, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, video):
        """video [batch, T, 3, 64, 64] -> [batch, 10]"""
        check_input(video, 'video', [-1, 3, 64, 64])
        x1 = video.flatten(0, 1)  # [3, 64, 64]
        x1 = self.encoder(x1)  # [128]
        x = x1.unflatten(0, (video.shape[0], -1))  # [T, 128]
        x = final_state(self.lstm(x)[1][0], 1)  # [hidden]
        x = self.fc(x)  # [classes]
        return x
