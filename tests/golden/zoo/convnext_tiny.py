"""ConvNeXt_Tiny, compiled by nnspec from specs/convnext_tiny.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 28,589,128. Generated code: edit the spec and compile it again.
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


class DropPath(nn.Module):
    """Stochastic depth: while training, zero each sample's whole value with probability p and
    scale the kept ones by 1/(1-p); the identity in evaluation. x [B, ...] -> [B, ...]."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        # one draw per sample, broadcast over the rest of its dimensions
        draw = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        if keep > 0.0:
            draw.div_(keep)
        return x * draw

    def extra_repr(self):
        return f"p={self.p}"


def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))


class LayerNorm2d(nn.Module):
    """Block `LayerNorm2d()` on [in_channels, H, W]."""

    def __init__(self, in_channels):
        super().__init__()
        self.add_module("1", nn.LayerNorm(in_channels, eps=1e-06))

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)  # [H, W, in_channels]
        x = getattr(self, "1")(x)  # [H, W, in_channels]
        x = x.permute(0, 3, 1, 2)  # [in_channels, H, W]
        return x


class CNBody(nn.Module):
    """Block `CNBody()` on [C, H, W]."""

    def __init__(self, C):
        super().__init__()
        self.add_module("0", nn.Conv2d(C, C, 7, padding=3, groups=C))
        self.add_module("2", nn.LayerNorm(C, eps=1e-06))
        self.add_module("3", nn.Linear(C, 4 * C))
        self.gelu = nn.GELU()
        self.add_module("5", nn.Linear(4 * C, C))

    def forward(self, x):
        x = getattr(self, "0")(x)  # [C, H, W]
        x = x.permute(0, 2, 3, 1)  # [H, W, C]
        x = getattr(self, "2")(x)  # [H, W, C]
        x = getattr(self, "3")(x)  # [H, W, 4 * C]
        x = self.gelu(x)  # [H, W, 4 * C]
        x = getattr(self, "5")(x)  # [H, W, C]
        x = x.permute(0, 3, 1, 2)  # [C, H, W]
        return x


class CNBlock(nn.Module):
    """Block `CNBlock(p)` on [C, H, W]."""

    def __init__(self, C, p):
        super().__init__()
        self.layer_scale = Learned(C, 1, 1, init=1e-06, batch=False)
        self.body = CNBody(C)
        self.stochastic_depth = DropPath(p)

    def forward(self, x):
        layer_scale = self.layer_scale(x)  # [C, 1, 1]
        body = self.body(x)  # [C, H, W]
        x1 = layer_scale * body  # [C, H, W]
        x1 = self.stochastic_depth(x1)  # [C, H, W]
        x = x1 + x  # [C, H, W]
        return x


class Downsample(nn.Sequential):
    """Block `Downsample(out)` on [in_channels, H, W]."""

    def __init__(self, in_channels, out):
        super().__init__(
            LayerNorm2d(in_channels),  # [in_channels, H, W]
            nn.Conv2d(in_channels, out, 2, stride=2),  # [out, H // 2, W // 2]
        )


class ConvNeXt_Tiny(nn.Module):
    """Network `ConvNeXt_Tiny(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.add_module("0", nn.Conv2d(3, 96, 4, stride=4))
        self.add_module("1", LayerNorm2d(96))
        self.add_module("2", CNBlock(96, 0.0))
        self.add_module("3", CNBlock(96, 0.0058823529411764705))
        self.add_module("4", CNBlock(96, 0.011764705882352941))
        self.add_module("5", Downsample(96, 192))
        self.add_module("6", CNBlock(192, 0.017647058823529415))
        self.add_module("7", CNBlock(192, 0.023529411764705882))
        self.add_module("8", CNBlock(192, 0.029411764705882353))
        self.add_module("9", Downsample(192, 384))
        self.add_module("10", CNBlock(384, 0.03529411764705883))
        self.add_module("11", CNBlock(384, 0.0411764705882353))
        self.add_module("12", CNBlock(384, 0.047058823529411764))
        self.add_module("13", CNBlock(384, 0.052941176470588235))
        self.add_module("14", CNBlock(384, 0.058823529411764705))
        self.add_module("15", CNBlock(384, 0.06470588235294118))
        self.add_module("16", CNBlock(384, 0.07058823529411766))
        self.add_module("17", CNBlock(384, 0.07647058823529412))
        self.add_module("18", CNBlock(384, 0.0823529411764706))
        self.add_module("19", Downsample(384, 768))
        self.add_module("20", CNBlock(768, 0.08823529411764706))
        self.add_module("21", CNBlock(768, 0.09411764705882353))
        self.add_module("22", CNBlock(768, 0.1))
        self.adaptiveavgpool = nn.AdaptiveAvgPool2d(1)
        self.add_module("24", LayerNorm2d(768))
        self.flatten = nn.Flatten()
        self.add_module("26", nn.Linear(768, classes))

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        check_input(image, 'image', [3, 224, 224])
        x = getattr(self, "0")(image)  # [96, 56, 56]
        x = getattr(self, "1")(x)  # [96, 56, 56]
        x = getattr(self, "2")(x)  # [96, 56, 56]
        x = getattr(self, "3")(x)  # [96, 56, 56]
        x = getattr(self, "4")(x)  # [96, 56, 56]
        x = getattr(self, "5")(x)  # [192, 28, 28]
        x = getattr(self, "6")(x)  # [192, 28, 28]
        x = getattr(self, "7")(x)  # [192, 28, 28]
        x = getattr(self, "8")(x)  # [192, 28, 28]
        x = getattr(self, "9")(x)  # [384, 14, 14]
        x = getattr(self, "10")(x)  # [384, 14, 14]
        x = getattr(self, "11")(x)  # [384, 14, 14]
        x = getattr(self, "12")(x)  # [384, 14, 14]
        x = getattr(self, "13")(x)  # [384, 14, 14]
        x = getattr(self, "14")(x)  # [384, 14, 14]
        x = getattr(self, "15")(x)  # [384, 14, 14]
        x = getattr(self, "16")(x)  # [384, 14, 14]
        x = getattr(self, "17")(x)  # [384, 14, 14]
        x = getattr(self, "18")(x)  # [384, 14, 14]
        x = getattr(self, "19")(x)  # [768, 7, 7]
        x = getattr(self, "20")(x)  # [768, 7, 7]
        x = getattr(self, "21")(x)  # [768, 7, 7]
        x = getattr(self, "22")(x)  # [768, 7, 7]
        x = self.adaptiveavgpool(x)  # [768, 1, 1]
        x = getattr(self, "24")(x)  # [768, 1, 1]
        x = self.flatten(x)  # [768]
        x = getattr(self, "26")(x)  # [classes]
        return x
