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
        self.up1 = nn.ModuleDict({
            "up": nn.ConvTranspose2d(1024, 512, 2, stride=2),
            "conv": DoubleConv(1024, 512),
        })
        self.up2 = nn.ModuleDict({
            "up": nn.ConvTranspose2d(512, 256, 2, stride=2),
            "conv": DoubleConv(512, 256),
        })
        self.up3 = nn.ModuleDict({
            "up": nn.ConvTranspose2d(256, 128, 2, stride=2),
            "conv": DoubleConv(256, 128),
        })
        self.up4 = nn.ModuleDict({
            "up": nn.ConvTranspose2d(128, 64, 2, stride=2),
            "conv": DoubleConv(128, 64),
        })
        self.head = nn.Conv2d(64, classes, 1)

    def forward(self, image):
        """image [batch, 3, 256, 256] -> [batch, 2, 256, 256]"""
        e1 = self.inc(image)  # [64, 256, 256]
        e2 = self.down1(e1)  # [128, 128, 128]
        e3 = self.down2(e2)  # [256, 64, 64]
        e4 = self.down3(e3)  # [512, 32, 32]
        x = self.down4(e4)  # [1024, 16, 16]
        # up1: Up
        x = self.up1.up(x)  # [512, 32, 32]
        x = torch.cat([x, e4], dim=1)  # [1024, 32, 32]
        x = self.up1.conv(x)  # [512, 32, 32]
        # up2: Up
        x = self.up2.up(x)  # [256, 64, 64]
        x = torch.cat([x, e3], dim=1)  # [512, 64, 64]
        x = self.up2.conv(x)  # [256, 64, 64]
        # up3: Up
        x = self.up3.up(x)  # [128, 128, 128]
        x = torch.cat([x, e2], dim=1)  # [256, 128, 128]
        x = self.up3.conv(x)  # [128, 128, 128]
        # up4: Up
        x = self.up4.up(x)  # [64, 256, 256]
        x = torch.cat([x, e1], dim=1)  # [128, 256, 256]
        x = self.up4.conv(x)  # [64, 256, 256]
        x = self.head(x)  # [2, 256, 256]
        return x
