"""Resizing: ``upsample`` (PyTorch ``Upsample`` with a scale factor)."""

from __future__ import annotations

from typing import Literal

from ..code import Code, call
from ..dims import shape_str
from ..shapes import ShapeError, expand, product, scaled
from .base import ArgError, Layer, TensorType, need_rank
from .schema import ArgsModel, Number

#: the interpolating modes, by the number of spatial dimensions they work on
_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
_RANKED = {"bilinear": 2, "bicubic": 2, "trilinear": 3}
#: interpolation weights per output element
_TAPS = {"nearest": 0, "linear": 2, "bilinear": 4, "trilinear": 8, "bicubic": 16}


class UpsampleArgs(ArgsModel):
    scale: Number | list[Number]
    mode: Literal["nearest", "linear", "bilinear", "bicubic", "trilinear"] = "nearest"


class Upsample(Layer):
    """Scales every spatial dimension: ``[C, H, W] -> [C, floor(H·scale), floor(W·scale)]``.

    Inputs ``[C, L]``, ``[C, H, W]``, ``[C, D, H, W]``; ``scale`` is a number or one per spatial
    dimension. ``mode=nearest`` (default) repeats values; ``mode=linear`` interpolates, and
    means linear, bilinear or trilinear interpolation by the input's rank (so a spec need not
    change with it); ``bilinear``, ``bicubic`` (2-d) and ``trilinear`` (3-d) may be named when
    they fit the rank. Corners are not aligned (PyTorch's default). Example: ``upsample(2)`` on
    ``[64, 28, 28]`` gives ``[64, 56, 56]``.
    """

    kind = "upsample"
    example = ("[3, 4, 4]", "upsample(2, mode=bilinear)")
    synonyms = ("upsampling1d", "upsampling2d", "upsampling3d", "interpolate")
    family = "resize"
    Args = UpsampleArgs
    keeps = ()  # its backward needs only the sizes

    def check_args(self):
        scales = self.args.scale if isinstance(self.args.scale, list) else [self.args.scale]
        if not scales:
            raise ArgError("`scale` must not be an empty list", arg="scale")
        if any(s <= 0 for s in scales):
            raise ArgError(f"`scale` must be positive, got {self.args.scale}", arg="scale")

    def spatial_mode(self, n: int) -> str:
        mode = self.args.mode
        return _LINEAR[n] if mode == "linear" else mode

    def infer(self, x: TensorType) -> TensorType:
        need_rank(x, {2, 3, 4}, "`upsample`", hint="upsampling needs channels first: [C, L], [C, H, W] or [C, D, H, W]")
        n = len(x.shape) - 1
        needs = _RANKED.get(self.args.mode)
        if needs is not None and needs != n:
            raise ShapeError(
                f"`mode={self.args.mode}` works on {needs} spatial dimensions, but the input {shape_str(x.shape)} has {n}",
                arg="mode",
                hint="`mode=linear` picks linear, bilinear or trilinear by the input's rank",
            )
        out = [scaled(d, s) for d, s in zip(x.shape[1:], expand(self.args.scale, n, "scale"))]
        return x.with_shape((x.shape[0], *out), keep_mask=False)

    def macs(self, x, y):
        return product(y.shape) * _TAPS[self.spatial_mode(len(x.shape) - 1)]

    def module_code(self, x: TensorType) -> Code:
        scale = self.args.scale
        scale = [float(s) for s in scale] if isinstance(scale, list) else float(scale)
        mode = self.spatial_mode(len(x.shape) - 1)
        return call("nn.Upsample", scale_factor=scale, mode=mode if mode != "nearest" else None)

    def describe(self) -> str:
        scale = self.args.scale
        text = f"upsample ×{scale:g}" if not isinstance(scale, list) else "upsample ×" + "×".join(f"{s:g}" for s in scale)
        return text + (f" {self.args.mode}" if self.args.mode != "nearest" else "")
