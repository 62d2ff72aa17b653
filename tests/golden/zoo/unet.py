"""UNet, compiled by nnspec from specs/unet.nn.

Inputs: image [3, 256, 256]; outputs: [2, 256, 256] (shapes without the batch dimension).
Parameters: 31,037,698. Generated code: edit the spec and compile it again.
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


class DoubleConv(nn.Sequential):
    """Block `DoubleConv(c)` on [in_channels, H, W]."""

    def __init__(self, in_channels, c):
        super().__init__(
            nn.Conv2d(in_channels, c, 3, padding=1, bias=False),  # [c, H, W]
            nn.BatchNorm2d(c),  # [c, H, W]
            nn.ReLU(),  # [c, H, W]
            nn.Conv2d(c, c, 3, padding=1, bias=False),  # [c, H, W]
            nn.BatchNorm2d(c),  # [c, H, W]
            nn.ReLU(),  # [c, H, W]
        )


class Down(nn.Module):
    """Block `Down(c)` on [in_channels, H, W]."""

    def __init__(self, in_channels, c):
        super().__init__()
        self.maxpool = nn.MaxPool2d(2)
        self.conv = DoubleConv(in_channels, c)

    def forward(self, x):
        x = self.maxpool(x)  # [in_channels, H // 2, W // 2]
        x = self.conv(x)  # [c, H // 2, W // 2]
        return x


class Up(nn.Module):
    """Block `Up(skip)` on [C, H, W]."""

    def __init__(self, C, skip_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(C, C // 2, 2, stride=2)
        self.conv = DoubleConv(skip_channels + C // 2, C // 2)

    def forward(self, x, skip):
        x = self.up(x)  # [C // 2, 2 * H, 2 * W]
        x = torch.cat([x, skip], dim=1)  # [skip_channels + C // 2, 2 * H, 2 * W]
        x = self.conv(x)  # [C // 2, 2 * H, 2 * W]
        return x


class UNet(nn.Module):
    """Network `UNet(classes=2, size=256)`: image [3, 256, 256] -> [2, 256, 256].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=2, size=256):
        super().__init__()
        self.size = size
        self.inc = DoubleConv(3, 64)
        self.down1 = Down(64, 128)
        self.down2 = Down(128, 256)
        self.down3 = Down(256, 512)
        self.down4 = Down(512, 1024)
        self.up1 = Up(1024, 512)
        self.up2 = Up(512, 256)
        self.up3 = Up(256, 128)
        self.up4 = Up(128, 64)
        self.head = nn.Conv2d(64, classes, 1)

    def forward(self, image):
        """image [batch, 3, 256, 256] -> [batch, 2, 256, 256]"""
        check_input(image, 'image', [3, self.size, self.size])
        e1 = self.inc(image)  # [64, size, size]
        e2 = self.down1(e1)  # [128, size // 2, size // 2]
        e3 = self.down2(e2)  # [256, size // 4, size // 4]
        e4 = self.down3(e3)  # [512, size // 8, size // 8]
        x = self.down4(e4)  # [1024, size // 16, size // 16]
        x = self.up1(x, e4)  # [512, 2 * (size // 16), 2 * (size // 16)]
        x = self.up2(x, e3)  # [256, 4 * (size // 16), 4 * (size // 16)]
        x = self.up3(x, e2)  # [128, 8 * (size // 16), 8 * (size // 16)]
        x = self.up4(x, e1)  # [64, 16 * (size // 16), 16 * (size // 16)]
        x = self.head(x)  # [classes, 16 * (size // 16), 16 * (size // 16)]
        return x
