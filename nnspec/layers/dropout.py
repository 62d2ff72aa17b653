"""Regularisation: ``dropout``."""

from __future__ import annotations

from .base import Layer, TensorType
from .pyfmt import call
from .schema import ArgsModel, Field, Number


class DropoutArgs(ArgsModel):
    p: Number = Field(0.5, ge=0, le=1)


class Dropout(Layer):
    """Zeroes each element with probability ``p`` while training (scaling the rest by ``1/(1-p)``).

    ``[...] -> [...]``, no parameters; the identity in evaluation. Example: ``dropout(0.3)``.
    """

    kind = "dropout"
    family = "regularize"
    Args = DropoutArgs

    def infer(self, x: TensorType) -> TensorType:
        return x

    def torch_module(self, x: TensorType) -> str:
        return call("nn.Dropout", float(self.args.p)) if self.args.p != 0.5 else "nn.Dropout()"

    def describe(self) -> str:
        return f"dropout {self.args.p:g}"
