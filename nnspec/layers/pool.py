"""Pooling: ``maxpool`` and ``avgpool`` (MaxPool/AvgPool 1d/2d/3d chosen by the input's rank)."""

from __future__ import annotations

from pydantic import Field

from ..shapes import ShapeError, expand, product, window_out
from .base import ArgsModel, Bool, IntOrList, Layer, TensorType, need_rank
from .conv import positive
from .pyfmt import call, times


class PoolArgs(ArgsModel):
    kernel: IntOrList
    stride: IntOrList | None = Field(None, description="defaults to the kernel")
    padding: IntOrList = 0
    ceil: Bool = False


class MaxPool(Layer):
    """Maximum over sliding windows: ``[C, H, W] -> [C, H', W']`` (and 1-d, 3-d).

    The stride defaults to the kernel. Example: ``maxpool(2)`` on ``[64, 56, 56]`` gives
    ``[64, 28, 28]``.
    """

    kind = "maxpool"
    family = "pool"
    Args = PoolArgs
    torch_name = "MaxPool"

    def check_args(self):
        positive(self, "kernel", *(["stride"] if self.args.stride is not None else []))

    def infer(self, x: TensorType) -> TensorType:
        need_rank(x, {2, 3, 4}, f"`{self.kind}`")
        a, n = self.args, len(x.shape) - 1
        k = expand(a.kernel, n, "kernel")
        s = expand(a.stride if a.stride is not None else a.kernel, n, "stride")
        p = expand(a.padding, n, "padding")
        if any(pi * 2 > ki for pi, ki in zip(p, k)):
            raise ShapeError(f"`padding` must be at most half the kernel ({times(a.kernel, n)}), got {a.padding}", arg="padding")
        out = [window_out(size, ki, si, pi, 1, a.ceil) for size, ki, si, pi in zip(x.shape[1:], k, s, p)]
        return x.with_shape((x.shape[0], *out))

    def macs(self, x, y):
        return product(y.shape) * product(expand(self.args.kernel, len(x.shape) - 1, "kernel"))

    def torch_module(self, x: TensorType) -> str:
        a = self.args
        return call(
            f"nn.{self.torch_name}{len(x.shape) - 1}d",
            a.kernel,
            stride=a.stride if a.stride is not None and a.stride != a.kernel else None,
            padding=a.padding if a.padding != 0 else None,
            ceil_mode=True if a.ceil else None,
        )

    def describe(self) -> str:
        a = self.args
        text = f"{self.kind} {times(a.kernel)}"
        stride = a.stride if a.stride is not None else a.kernel
        return text + (f" /{stride}" if stride != 1 else "")


class AvgPool(MaxPool):
    """Mean over sliding windows: ``[C, H, W] -> [C, H', W']``. Example: ``avgpool(2)``."""

    kind = "avgpool"
    torch_name = "AvgPool"
