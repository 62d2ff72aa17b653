"""Resizing: ``upsample`` (PyTorch ``Upsample`` with a scale factor) and ``resize`` (to the size of
another value, PyTorch's ``F.interpolate`` with ``size``)."""

from __future__ import annotations

from typing import Literal

from ..code import Attr, Code, Index, Slice, call
from ..dims import shape_str
from ..shapes import ShapeError, expand, product, scaled
from .base import ArgError, Layer, TensorType, need_rank
from .schema import ArgsModel, Bool, Number

Mode = Literal["nearest", "linear", "bilinear", "bicubic", "trilinear"]

#: the interpolating modes, by the number of spatial dimensions they work on
_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
_RANKED = {"bilinear": 2, "bicubic": 2, "trilinear": 3}
#: interpolation weights per output element
_TAPS = {"nearest": 0, "linear": 2, "bilinear": 4, "trilinear": 8, "bicubic": 16}


class UpsampleArgs(ArgsModel):
    scale: Number | list[Number]
    mode: Mode = "nearest"


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

    def spatial_rank(self, x: TensorType) -> int:
        """The input's number of spatial dimensions, which the mode must fit."""
        need_rank(x, {2, 3, 4}, f"`{self.kind}`", hint="resizing needs channels first: [C, L], [C, H, W] or [C, D, H, W]")
        n = len(x.shape) - 1
        needs = _RANKED.get(self.args.mode)
        if needs is not None and needs != n:
            raise ShapeError(
                f"`mode={self.args.mode}` works on {needs} spatial dimensions, but the input {shape_str(x.shape)} has {n}",
                arg="mode",
                hint="`mode=linear` picks linear, bilinear or trilinear by the input's rank",
            )
        return n

    def infer(self, x: TensorType) -> TensorType:
        n = self.spatial_rank(x)
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


class ResizeArgs(ArgsModel):
    mode: Mode = "nearest"
    corners: Bool = False


class Resize(Upsample):
    """Resizes to the spatial size of a named value: ``resize(image, mode=linear)`` on
    ``[C, h, w]``, with ``image`` ``[3, H, W]``, gives ``[C, H, W]`` at any ``H`` and ``W``.

    The modes are ``upsample``'s; ``corners=true`` aligns the corner pixels (PyTorch's
    ``align_corners``; for the interpolating modes). DeepLabV3's head ends so:
    ``resize(image, mode=bilinear)``, exact at an input size that no stride divides.
    """

    kind = "resize"
    example = ("[3, T, 8]", "let small = avgpool(2) -> conv(4, 1)\n  small -> resize(x, mode=linear, corners=true)")
    synonyms = ("interpolatelike", "resizelike")
    Args = ResizeArgs
    values = 1

    def check_args(self):
        if self.args.corners and self.args.mode == "nearest":
            raise ArgError("`corners=true` needs an interpolating mode", arg="corners",
                           hint="`mode=linear` (linear, bilinear or trilinear by the input's rank)")

    def infer(self, x: TensorType) -> TensorType:
        raise ShapeError("`resize` takes the size of a named value: `resize(image)`")

    def infer_many(self, xs: list[TensorType]) -> TensorType:
        x, target = xs
        n = self.spatial_rank(x)
        if len(target.shape) != n + 1:
            raise ShapeError(f"`resize` of {shape_str(x.shape)} takes the size of a value of {n + 1} dimensions "
                             f"(channels, then {n} spatial), got {shape_str(target.shape)}")
        return x.with_shape((x.shape[0], *target.shape[1:]), keep_mask=False)

    def module_code(self, x: TensorType) -> None:
        return None

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        mode = self.spatial_mode(len(types[0].shape) - 1)
        size = Index(Attr(xs[1], "shape"), (Slice(2, None),))
        corners = self.args.corners if mode != "nearest" else None
        return call("F.interpolate", xs[0], size=size, mode=mode, align_corners=corners)

    def describe(self) -> str:
        return "resize" + (f" {self.args.mode}" if self.args.mode != "nearest" else "") + (" corners" if self.args.corners else "")
