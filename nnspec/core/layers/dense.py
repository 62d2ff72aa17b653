"""Fully connected: ``dense`` (PyTorch ``Linear`` on the last dimension)."""

from __future__ import annotations

from ..code import Code, call
from ..dims import shape_str
from ..shapes import ShapeError, product
from .base import Layer, TensorType, need_concrete
from .schema import ArgsModel, Bool, Field, Int
from .weightnorm import WEIGHT_NORM_RUNTIME, kept_per_batch, length_params, module_name


class DenseArgs(ArgsModel):
    units: Int = Field(gt=0)
    bias: Bool = True
    weight_norm: Bool = False


class Dense(Layer):
    """A linear map of the last dimension: ``[..., F] -> [..., units]``.

    Example: ``dense(10)`` on ``[128]`` gives ``[10]`` and 1,290 parameters. On a sequence
    ``[T, F]`` it applies at every position, like PyTorch's ``Linear``, and so on an image
    whose channels a ``permute`` moved last (``[H, W, C]``, ConvNeXt's MLP).
    ``weight_norm=true`` learns each unit's weights as a direction and a length, named as
    PyTorch's ``parametrizations.weight_norm`` names them (``units`` more parameters).
    """

    kind = "dense"
    example = ("[T, 6]", "dense(3)")
    synonyms = ("linear", "fc", "fullyconnected", "innerproduct")
    family = "dense"
    Args = DenseArgs
    runtime = WEIGHT_NORM_RUNTIME

    def infer(self, x: TensorType) -> TensorType:
        if not x.shape:
            raise ShapeError("`dense` needs at least one dimension")
        if len(x.shape) >= 3 and not x.channels_last:
            order = ", ".join(str(d) for d in [*range(1, len(x.shape)), 0])
            raise ShapeError(
                f"`dense` acts on the last dimension, but its input {shape_str(x.shape)} looks like an image",
                hint=f"insert `flatten` (or a global pool) before `dense`; to act on the channels at every "
                     f"position, move them last first: `permute([{order}])`",
            )
        need_concrete(x.shape[-1], "the feature dimension of `dense`")
        return x.with_shape((*x.shape[:-1], self.args.units), channels_last=x.channels_last)

    def param_count(self, x: TensorType) -> int:
        a = self.args
        return x.shape[-1] * a.units + (a.units if a.bias else 0) + length_params(a.units, a.weight_norm)

    def kept_extra(self, xs, y):
        return 0, kept_per_batch(xs[0].shape[-1] * self.args.units, self.args.units) if self.args.weight_norm else 0

    def macs(self, x: TensorType, y: TensorType):
        return product(x.shape) * self.args.units

    def module_code(self, x: TensorType) -> Code:
        return call(module_name("nn.Linear", self.args.weight_norm), x.shape[-1], self.args.units,
                    bias=None if self.args.bias else False)

    def describe(self) -> str:
        return f"dense {self.args.units}" + (" wn" if self.args.weight_norm else "")
