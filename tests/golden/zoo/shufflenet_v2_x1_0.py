"""ShuffleNetV2_x1_0, compiled by nnspec from specs/shufflenet_v2_x1_0.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 2,278,604. Generated code: edit the spec and compile it again.
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


class ConvBNReLU(nn.Sequential):
    """Block `ConvBNReLU(out, k, stride, padding)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out, k, stride=1, padding=0):
        super().__init__(
            nn.Conv2d(in_channels, out, k, stride=stride, padding=padding, bias=False),  # [out, (H - k + 2 * padding) // stride + 1, (W - k + 2 * padding) // stride + 1]
            nn.BatchNorm2d(out),  # [out, (H - k + 2 * padding) // stride + 1, (W - k + 2 * padding) // stride + 1]
            nn.ReLU(),  # [out, (H - k + 2 * padding) // stride + 1, (W - k + 2 * padding) // stride + 1]
        )


class Branch(nn.Sequential):
    """Block `Branch(c, stride)` on [in_channels, H, W]."""

    def __init__(self, in_channels, c, stride):
        super().__init__(
            nn.Conv2d(in_channels, c, 1, bias=False),  # [c, H, W]
            nn.BatchNorm2d(c),  # [c, H, W]
            nn.ReLU(),  # [c, H, W]
            nn.Conv2d(c, c, 3, stride=stride, padding=1, groups=c, bias=False),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(c),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.Conv2d(c, c, 1, bias=False),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(c),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.ReLU(),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class Shrink(nn.Sequential):
    """Block `Shrink(c, stride)` on [inp, H, W]."""

    def __init__(self, inp, c, stride):
        super().__init__(
            nn.Conv2d(inp, inp, 3, stride=stride, padding=1, groups=inp, bias=False),  # [inp, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(inp),  # [inp, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.Conv2d(inp, c, 1, bias=False),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.BatchNorm2d(c),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
            nn.ReLU(),  # [c, (H - 1) // stride + 1, (W - 1) // stride + 1]
        )


class ShuffleUnit(nn.Module):
    """Block `ShuffleUnit(out, stride)` on [inp, H, W]."""

    __constants__ = ['use_branch']

    def __init__(self, inp, out, stride=1):
        super().__init__()
        self.use_branch = stride == 1
        if stride == 1:
            self.branch2 = Branch(inp - (inp + 1) // 2, out // 2, 1)
        else:
            self.branch1 = Shrink(inp, out // 2, stride)
            self.branch2 = Branch(inp, out // 2, stride)
        self.channelshuffle = nn.ChannelShuffle(2)

    def forward(self, x):
        if self.use_branch:
            x1 = x.chunk(2, dim=1)[0]  # [(inp + 1) // 2, H, W]
            x2 = x.chunk(2, dim=1)[1]  # [inp - (inp + 1) // 2, H, W]
            x2 = self.branch2(x2)  # [out // 2, H, W]
            x = torch.cat([x1, x2], dim=1)  # [out // 2 + (inp + 1) // 2, H, W]
        else:
            branch1 = self.branch1(x)  # [out // 2, (H - 1) // stride + 1, (W - 1) // stride + 1]
            branch2 = self.branch2(x)  # [out // 2, (H - 1) // stride + 1, (W - 1) // stride + 1]
            x = torch.cat([branch1, branch2], dim=1)  # [2 * (out // 2), (H - 1) // stride + 1, (W - 1) // stride + 1]
        x = self.channelshuffle(x)  # [out // 2 + (inp + 1) // 2 if stride == 1 else 2 * (out // 2), (H - 1) // stride + 1, (W - 1) // stride + 1]
        return x


class ShuffleStage(nn.Sequential):
    """Block `ShuffleStage(out, n)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out, n):
        super().__init__(
            ShuffleUnit(in_channels, out, stride=2),  # [2 * (out // 2), (H + 1) // 2, (W + 1) // 2]
            *[ShuffleUnit(2 * (out // 2), out) for _ in range(n - 1)],  # [2 * (out // 2), (H + 1) // 2, (W + 1) // 2]
        )


class ShuffleNetV2_x1_0(nn.Module):
    """Network `ShuffleNetV2_x1_0(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = ConvBNReLU(3, 24, 3, stride=2, padding=1)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.stage2 = ShuffleStage(24, 116, 4)
        self.stage3 = ShuffleStage(116, 232, 8)
        self.stage4 = ShuffleStage(232, 464, 4)
        self.conv5 = ConvBNReLU(464, 1024, 1)
        self.fc = nn.Linear(1024, classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = self.conv1(image)  # [24, 112, 112]
        x = self.maxpool(x)  # [24, 56, 56]
        x = self.stage2(x)  # [116, 28, 28]
        x = self.stage3(x)  # [232, 14, 14]
        x = self.stage4(x)  # [464, 7, 7]
        x = self.conv5(x)  # [1024, 7, 7]
        x = x.mean((2, 3))  # [1024]
        x = self.fc(x)  # [classes]
        return x
