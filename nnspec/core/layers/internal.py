"""Nodes the elaborator creates that a user does not call by name: inputs and ``each``'s edges."""

from __future__ import annotations

from typing import Any, Literal

from ..code import Attr, Index, TupleOf, method
from ..dims import shape_str
from ..shapes import ShapeError
from .base import Layer, TensorType
from .schema import ArgsModel


class InputArgs(ArgsModel):
    name: str
    shape: tuple[Any, ...]
    dtype: Literal["float", "int"] = "float"
    pad: int | None = None


class Input(Layer):
    """A declared input: ``input image: [3, 224, 224]``; ``pad=P`` on an ``int`` input masks padding."""

    kind = "input"
    family = "io"
    internal = True
    keeps = ()
    takes_int = True
    Args = InputArgs

    def describe(self) -> str:
        a = self.args
        return f"{a.name} {shape_str(a.shape)}" + (" int" if a.dtype == "int" else "")


class EachIn(Layer):
    """Folds the leading (time) dimension into the batch: ``[T, ...] -> [...]`` per position."""

    kind = "each_in"
    family = "reshape"
    internal = True
    keeps, view = (), True
    takes_int = True

    def infer(self, x: TensorType) -> TensorType:
        if len(x.shape) < 2:
            raise ShapeError(
                f"`each` needs a sequence [T, ...] with at least one dimension per position, got {shape_str(x.shape)}"
            )
        return x.with_shape(x.shape[1:], keep_mask=False)

    def forward_code(self, module, xs, types, lengths=None):
        return method(xs[0], "flatten", 0, 1)


class EachArgs(ArgsModel):
    steps: Any  # the folded leading dimension (an int or a symbol)


class EachOut(Layer):
    """Unfolds the batch back into ``[T, ...]`` after a time-distributed body."""

    kind = "each_out"
    family = "reshape"
    internal = True
    keeps, view = (), True
    takes_int = True
    Args = EachArgs

    def infer(self, x: TensorType) -> TensorType:
        return x.with_shape((self.args.steps, *x.shape), keep_mask=False)

    def forward_code(self, module, xs, types, lengths=None):
        """``xs[1]``, given when the number of steps varies, is the value its `each` folded:
        its batch size says how many sequences there are."""
        steps = self.args.steps
        if isinstance(steps, int):
            return method(xs[0], "unflatten", 0, TupleOf((-1, steps)))
        return method(xs[0], "unflatten", 0, TupleOf((Index(Attr(xs[1], "shape"), (0,)), -1)))
