"""Normalisation: ``batchnorm`` (BatchNorm1d/2d/3d by rank), ``layernorm``, ``groupnorm``, ``lrn``."""

from __future__ import annotations

from ..code import Code, call
from ..dims import shape_str
from ..shapes import ShapeError, product
from .base import Layer, TensorType, need_concrete, need_divisor
from .schema import ArgsModel, Field, Int, Number

_CHANNELS = "normalisation over channels needs channels first: [C, L], [C, H, W] or [C, D, H, W]"


class BatchNormArgs(ArgsModel):
    eps: Number = Field(1e-5, gt=0)
    momentum: Number = Field(0.1, ge=0, le=1)


class BatchNorm(Layer):
    """Batch normalisation over the channel dimension: ``[C, ...] -> [C, ...]``.

    Parameters: a scale and a shift per channel (``2·C``); the running mean and variance and
    the count of batches seen are buffers. Example: ``batchnorm`` on ``[64, 56, 56]`` has 128
    parameters and 129 buffer elements.
    """

    kind = "batchnorm"
    example = ("[3, 8, 8]", "batchnorm(eps=0.001)")
    synonyms = ("batchnorm1d", "batchnorm2d", "batchnorm3d", "batchnormalization", "bn")
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

    def kept_extra(self, xs, y):
        return 0, 8 * xs[0].shape[0]  # the batch's mean and inverse deviation per channel

    def macs(self, x, y):
        return product(x.shape)

    def module_code(self, x: TensorType) -> Code:
        rank = max(1, len(x.shape) - 1)
        return call(
            f"nn.BatchNorm{rank}d",
            x.shape[0],
            eps=self.changed("eps", float),
            momentum=self.changed("momentum", float),
        )


class LayerNormArgs(ArgsModel):
    eps: Number = Field(1e-5, gt=0)


class LayerNorm(Layer):
    """Normalises each position over the last dimension, with a learned scale and shift.

    ``[..., F] -> [..., F]``, ``2·F`` parameters. Example: ``layernorm`` on ``[T, 512]`` has
    1,024 parameters.
    """

    kind = "layernorm"
    example = ("[T, 6]", "layernorm")
    synonyms = ("layernormalization", "ln")
    family = "norm"
    Args = LayerNormArgs

    def infer(self, x: TensorType) -> TensorType:
        if not x.shape:
            raise ShapeError("`layernorm` needs at least one dimension to normalise")
        need_concrete(x.shape[-1], "the last dimension of `layernorm`")
        return x

    def param_count(self, x: TensorType) -> int:
        return 2 * x.shape[-1]

    def kept_extra(self, xs, y):
        return 8 * product(xs[0].shape[:-1]), 0  # the mean and inverse deviation of each position

    def macs(self, x, y):
        return product(x.shape)

    def module_code(self, x: TensorType) -> Code:
        return call("nn.LayerNorm", x.shape[-1], eps=self.changed("eps", float))


class GroupNormArgs(ArgsModel):
    groups: Int = Field(gt=0)
    eps: Number = Field(1e-5, gt=0)


class GroupNorm(Layer):
    """Normalises groups of channels over their channels and positions: ``[C, ...] -> [C, ...]``.

    ``groups`` must divide ``C``; a scale and a shift per channel (``2·C`` parameters).
    Example: ``groupnorm(32)`` on ``[256, 14, 14]`` has 512 parameters.
    """

    kind = "groupnorm"
    example = ("[4, 8, 8]", "groupnorm(2)")
    synonyms = ("groupnormalization",)
    family = "norm"
    Args = GroupNormArgs

    def infer(self, x: TensorType) -> TensorType:
        if len(x.shape) < 1:
            raise ShapeError(f"`groupnorm` needs a [C, ...] input, got {shape_str(x.shape)}", hint=_CHANNELS)
        c = need_concrete(x.shape[0], "the channel dimension of `groupnorm`")
        need_divisor(c, "groups", self.args.groups, "channels", x)
        return x

    def param_count(self, x: TensorType) -> int:
        return 2 * x.shape[0]

    def kept_extra(self, xs, y):
        return 8 * self.args.groups, 0  # the mean and inverse deviation of each group

    def macs(self, x, y):
        return product(x.shape)

    def module_code(self, x: TensorType) -> Code:
        return call("nn.GroupNorm", self.args.groups, x.shape[0], eps=self.changed("eps", float))

    def describe(self) -> str:
        return f"groupnorm {self.args.groups}"


class LRNArgs(ArgsModel):
    size: Int = Field(gt=0)
    alpha: Number = 1e-4
    beta: Number = 0.75
    k: Number = 1


class LRN(Layer):
    """Local response normalisation across ``size`` neighbouring channels (AlexNet's).

    ``[C, L]``, ``[C, H, W]`` or ``[C, D, H, W]`` -> the same shape; no parameters.
    Example: ``lrn(5, alpha=1e-4, beta=0.75, k=2)``.
    """

    kind = "lrn"
    example = ("[4, 8, 8]", "lrn(3)")
    synonyms = ("localresponsenorm", "localresponsenormalization")
    family = "norm"
    Args = LRNArgs

    def infer(self, x: TensorType) -> TensorType:
        if len(x.shape) < 2:
            # PyTorch's local_response_norm needs a batch, channels and at least one position
            raise ShapeError(f"`lrn` needs a [C, ...] input with positions, got {shape_str(x.shape)}", hint=_CHANNELS)
        return x

    def macs(self, x, y):
        return product(x.shape) * self.args.size

    def kept_extra(self, xs, y):
        """PyTorch's ``local_response_norm`` keeps the squares, padded by ``size - 1``
        channels, the scaled sums and their power: ``2 + (C + size - 1) / C`` inputs."""
        x = xs[0]
        return 4 * product(x.shape) * 2 + 4 * product(x.shape[1:]) * (x.shape[0] + self.args.size - 1), 0

    def module_code(self, x: TensorType) -> Code:
        a = self.args
        return call(
            "nn.LocalResponseNorm",
            a.size,
            alpha=self.changed("alpha", float),
            beta=self.changed("beta", float),
            k=self.changed("k", float),
        )

    def describe(self) -> str:
        return f"lrn {self.args.size}"
