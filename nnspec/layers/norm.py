"""Normalisation: ``batchnorm`` (BatchNorm1d/2d/3d by rank)."""

from __future__ import annotations

from ..dims import shape_str
from ..shapes import ShapeError, product
from .base import ArgsModel, Layer, Number, TensorType, need_concrete
from .pyfmt import call


class BatchNormArgs(ArgsModel):
    eps: Number = 1e-5
    momentum: Number = 0.1


class BatchNorm(Layer):
    """Batch normalisation over the channel dimension: ``[C, ...] -> [C, ...]``.

    Parameters: a scale and a shift per channel (``2·C``); the running mean and variance are
    buffers. Example: ``batchnorm`` on ``[64, 56, 56]`` has 128 parameters.
    """

    kind = "batchnorm"
    family = "norm"
    Args = BatchNormArgs

    def infer(self, x: TensorType) -> TensorType:
        if not 1 <= len(x.shape) <= 4:
            raise ShapeError(f"`batchnorm` needs a [C], [C, L], [C, H, W] or [C, D, H, W] input, got {shape_str(x.shape)}")
        need_concrete(x.shape[0], "the channel dimension of `batchnorm`")
        return x

    def param_count(self, x: TensorType) -> int:
        return 2 * x.shape[0]

    def buffer_count(self, x: TensorType) -> int:
        return 2 * x.shape[0] + 1  # running mean, running variance, batches seen

    def macs(self, x, y):
        return product(x.shape)

    def torch_module(self, x: TensorType) -> str:
        a = self.args
        rank = max(1, len(x.shape) - 1)
        return call(
            f"nn.BatchNorm{rank}d",
            x.shape[0],
            eps=float(a.eps) if a.eps != 1e-5 else None,
            momentum=float(a.momentum) if a.momentum != 0.1 else None,
        )
