"""ConvNeXt_Tiny, compiled by nnspec from specs/convnext_tiny.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 28,589,128. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


class Permute(nn.Module):
    """Reorders the dimensions of x (the batch's included): forward(x) = x.permute(dims)."""

    def __init__(self, *dims):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return x.permute(self.dims)

    def extra_repr(self):
        return f"dims={tuple(self.dims)}"


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


class LayerNorm2d(nn.ModuleList):
    """Block `LayerNorm2d()` on [in_channels, H, W]; instances: `1`, `5.0`, `9.0`, `19.0`, `24`."""

    def __init__(self, in_channels):
        super().__init__([
            Permute(0, 2, 3, 1),
            nn.LayerNorm(in_channels, eps=1e-06),
        ])

    def forward(self, x):
        x = self[0](x)  # [H, W, in_channels]
        x = self[1](x)  # [H, W, in_channels]
        x = x.permute(0, 3, 1, 2)  # [in_channels, H, W]
        return x


class CNBody(nn.ModuleList):
    """Block `CNBody()` on [in_channels, H, W].

    Instances: `2.body`, `3.body`, `4.body`, `6.body`, `7.body`, `8.body` and 12 more.
    """

    def __init__(self, in_channels):
        super().__init__([
            nn.Conv2d(in_channels, in_channels, 7, padding=3, groups=in_channels),
            Permute(0, 2, 3, 1),
            nn.LayerNorm(in_channels, eps=1e-06),
            nn.Linear(in_channels, 4 * in_channels),
            nn.GELU(),
            nn.Linear(4 * in_channels, in_channels),
        ])

    def forward(self, x):
        x = self[0](x)  # [in_channels, H, W]
        x = self[1](x)  # [H, W, in_channels]
        x = self[2](x)  # [H, W, in_channels]
        x = self[3](x)  # [H, W, 4 * in_channels]
        x = self[4](x)  # [H, W, 4 * in_channels]
        x = self[5](x)  # [H, W, in_channels]
        x = x.permute(0, 3, 1, 2)  # [in_channels, H, W]
        return x


class CNBlock(nn.Module):
    """Block `CNBlock(p)` on [in_channels, H, W].

    Instances: `2`, `3`, `4`, `6`, `7`, `8` and 12 more.
    """

    def __init__(self, in_channels, p):
        super().__init__()
        self.layer_scale = Learned(in_channels, 1, 1, init=1e-06, batch=False)
        self.body = CNBody(in_channels)
        self.stochastic_depth = DropPath(p)

    def forward(self, x):
        x1 = self.layer_scale(x)  # [in_channels, 1, 1]
        body = self.body(x)  # [in_channels, H, W]
        x1 = x1 * body  # [in_channels, H, W]
        x1 = self.stochastic_depth(x1)  # [in_channels, H, W]
        x = x1 + x  # [in_channels, H, W]
        return x


class Downsample(nn.Sequential):
    """Block `Downsample(out)` on [out // 2, H, W]; instances: `5`, `9`, `19`."""

    def __init__(self, out):
        super().__init__(
            LayerNorm2d(out // 2),  # [out // 2, H, W]
            nn.Conv2d(out // 2, out, 2, stride=2),  # [out, (H - 2) // 2 + 1, (W - 2) // 2 + 1]
        )


class ConvNeXt_Tiny(nn.Sequential):
    """Network `ConvNeXt_Tiny(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__(
            nn.Conv2d(3, 96, 4, stride=4),  # [96, 56, 56]
            LayerNorm2d(96),  # [96, 56, 56]
            CNBlock(96, 0.0),  # [96, 56, 56]
            CNBlock(96, 0.0058823529411764705),  # [96, 56, 56]
            CNBlock(96, 0.011764705882352941),  # [96, 56, 56]
            Downsample(192),  # [192, 28, 28]
            CNBlock(192, 0.017647058823529415),  # [192, 28, 28]
            CNBlock(192, 0.023529411764705882),  # [192, 28, 28]
            CNBlock(192, 0.029411764705882353),  # [192, 28, 28]
            Downsample(384),  # [384, 14, 14]
            CNBlock(384, 0.03529411764705883),  # [384, 14, 14]
            CNBlock(384, 0.0411764705882353),  # [384, 14, 14]
            CNBlock(384, 0.047058823529411764),  # [384, 14, 14]
            CNBlock(384, 0.052941176470588235),  # [384, 14, 14]
            CNBlock(384, 0.058823529411764705),  # [384, 14, 14]
            CNBlock(384, 0.06470588235294118),  # [384, 14, 14]
            CNBlock(384, 0.07058823529411766),  # [384, 14, 14]
            CNBlock(384, 0.07647058823529412),  # [384, 14, 14]
            CNBlock(384, 0.0823529411764706),  # [384, 14, 14]
            Downsample(768),  # [768, 7, 7]
            CNBlock(768, 0.08823529411764706),  # [768, 7, 7]
            CNBlock(768, 0.09411764705882353),  # [768, 7, 7]
            CNBlock(768, 0.1),  # [768, 7, 7]
            nn.AdaptiveAvgPool2d(1),  # [768, 1, 1]
            LayerNorm2d(768),  # [768, 1, 1]
            nn.Flatten(),  # [768]
            nn.Linear(768, classes),  # [1000]
        )
