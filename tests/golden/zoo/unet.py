"""UNet, compiled by nnspec from specs/unet.nn.

Inputs: image [3, 256, 256]; outputs: [2, 256, 256] (shapes without the batch dimension).
Parameters: 31,037,698. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class DoubleConv(nn.Sequential):
    """Block `DoubleConv(c)` on [in_channels, H, W].

    Instances: `inc`, `down1.conv`, `down2.conv`, `down3.conv`, `down4.conv`, `up1.conv` and 3 more.
    """

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
    """Block `Down(c)` on [c // 2, H, W]; instances: `down1`, `down2`, `down3`, `down4`."""

    def __init__(self, c):
        super().__init__()
        self.maxpool = nn.MaxPool2d(2)
        self.conv = DoubleConv(c // 2, c)

    def forward(self, x):
        x = self.maxpool(x)  # [c // 2, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        x = self.conv(x)  # [c, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        return x


class Up(nn.Module):
    """Block `Up(skip)` on [in_channels, H, W]; instances: `up1`, `up2`, `up3`, `up4`."""

    def __init__(self, in_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2)
        self.conv = DoubleConv(in_channels, in_channels // 2)

    def forward(self, x, skip):
        x = self.up(x)  # [in_channels // 2, 2*H, 2*W]
        x = torch.cat([x, skip], dim=1)  # [in_channels, 2*H, 2*W]
        x = self.conv(x)  # [in_channels // 2, 2*H, 2*W]
        return x


class UNet(nn.Module):
    """Network `UNet(classes=2, size=256)`: image [3, 256, 256] -> [2, 256, 256].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=2):
        super().__init__()
        self.inc = DoubleConv(3, 64)
        self.down1 = Down(128)
        self.down2 = Down(256)
        self.down3 = Down(512)
        self.down4 = Down(1024)
        self.up1 = Up(1024)
        self.up2 = Up(512)
        self.up3 = Up(256)
        self.up4 = Up(128)
        self.head = nn.Conv2d(64, classes, 1)

    def forward(self, image):
        """image [batch, 3, 256, 256] -> [batch, 2, 256, 256]"""
        e1 = self.inc(image)  # [64, 256, 256]
        e2 = self.down1(e1)  # [128, 128, 128]
        e3 = self.down2(e2)  # [256, 64, 64]
        e4 = self.down3(e3)  # [512, 32, 32]
        x = self.down4(e4)  # [1024, 16, 16]
        x = self.up1(x, e4)  # [512, 32, 32]
        x = self.up2(x, e3)  # [256, 64, 64]
        x = self.up3(x, e2)  # [128, 128, 128]
        x = self.up4(x, e1)  # [64, 256, 256]
        x = self.head(x)  # [2, 256, 256]
        return x
