"""Convolution: ``conv`` (Conv1d/2d/3d chosen by the input's rank)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..shapes import ShapeError, expand, product, window_out
from .base import ArgError, ArgsModel, Bool, Int, IntOrList, Layer, TensorType, need_concrete, need_rank
from .pyfmt import call, times


class ConvArgs(ArgsModel):
    out: Int = Field(gt=0)
    kernel: IntOrList
    stride: IntOrList = 1
    padding: IntOrList | Literal["same", "valid"] = 0
    dilation: IntOrList = 1
    groups: Int = Field(1, gt=0)
    bias: Bool = True


def positive(layer: Layer, *names: str) -> None:
    for name in names:
        value = getattr(layer.args, name)
        values = value if isinstance(value, list) else [value]
        if any(v <= 0 for v in values):
            raise ArgError(f"`{name}` must be positive, got {value}", arg=name)


class Conv(Layer):
    """Convolution over 1, 2 or 3 spatial dimensions, chosen by the input's rank.

    ``[C, L] -> [out, L']``, ``[C, H, W] -> [out, H', W']``, ``[C, D, H, W] -> [out, D', H', W']``
    with PyTorch's output-size formula. Example: ``conv(64, 3, padding=1)`` on ``[3, 32, 32]``
    gives ``[64, 32, 32]`` and 1,792 parameters.
    """

    kind = "conv"
    family = "conv"
    Args = ConvArgs

    def check_args(self):
        positive(self, "kernel", "stride", "dilation")

    def spatial(self, x: TensorType) -> int:
        need_rank(x, {2, 3, 4}, f"`{self.kind}`")
        return len(x.shape) - 1

    def in_channels(self, x: TensorType) -> int:
        return need_concrete(x.shape[0], f"the input channels of `{self.kind}`")

    def infer(self, x: TensorType) -> TensorType:
        a = self.args
        n = self.spatial(x)
        cin = self.in_channels(x)
        if cin % a.groups or a.out % a.groups:
            raise ShapeError(
                f"`groups={a.groups}` must divide both the input channels ({cin}) and `out` ({a.out})", arg="groups"
            )
        k, s, d = expand(a.kernel, n, "kernel"), expand(a.stride, n, "stride"), expand(a.dilation, n, "dilation")
        if a.padding == "same":
            if any(v != 1 for v in s):
                raise ShapeError(
                    "`padding=same` needs stride 1 (as in PyTorch)",
                    arg="padding",
                    hint="give the padding as a number, e.g. `padding=1` for a 3×3 kernel",
                )
            return x.with_shape((a.out, *x.shape[1:]))
        p = (0,) * n if a.padding == "valid" else expand(a.padding, n, "padding")
        out = [window_out(size, *kspd) for size, *kspd in zip(x.shape[1:], k, s, p, d)]
        return x.with_shape((a.out, *out))

    def param_count(self, x: TensorType) -> int:
        a = self.args
        k = expand(a.kernel, len(x.shape) - 1, "kernel")
        return a.out * (x.shape[0] // a.groups) * product(k) + (a.out if a.bias else 0)

    def macs(self, x: TensorType, y: TensorType):
        a = self.args
        k = expand(a.kernel, len(x.shape) - 1, "kernel")
        return product(y.shape) * (x.shape[0] // a.groups) * product(k)

    def torch_module(self, x: TensorType) -> str:
        a = self.args
        return call(
            f"nn.Conv{len(x.shape) - 1}d",
            x.shape[0],
            a.out,
            a.kernel,
            stride=a.stride if a.stride != 1 else None,
            padding=a.padding if a.padding != 0 else None,
            dilation=a.dilation if a.dilation != 1 else None,
            groups=a.groups if a.groups != 1 else None,
            bias=False if not a.bias else None,
        )

    def describe(self) -> str:
        a = self.args
        text = f"{self.kind} {a.out} {times(a.kernel)}"
        if a.stride != 1:
            text += f" /{a.stride if isinstance(a.stride, int) else times(a.stride)}"
        if a.groups != 1:
            text += f" g{a.groups}"
        return text
