"""Arithmetic with constants, element by element: ``scale``, ``shift``, ``pow``, ``exp``, ``log``,
``sqrt``, and ``normalize`` (L2 normalisation along a dimension).

None has parameters or a module: each is an expression in ``forward`` (``x * 0.5``,
``torch.exp(x)``), so each costs nothing to build and exports as the operator it is. The shape,
and whether the value is a padded sequence or a channels-last image, pass through unchanged.
"""

from __future__ import annotations

from math import prod

from ..code import BinOp, Code, call
from ..dims import Dim
from ..shapes import normalise_dim
from .base import Layer, TensorType
from .schema import ArgsModel, Field, Int, Number


class Elementwise(Layer):
    """A function of each element: any shape in, the same shape out, no parameters."""

    family = "activation"

    def infer(self, x: TensorType) -> TensorType:
        return x


class ScaleArgs(ArgsModel):
    factor: Number


class Scale(Elementwise):
    """Multiplies by a number: ``x * factor``; ``[...] -> [...]``.

    Example: ``scale(0.5)`` halves; a Conformer's half-step feed-forward is
    ``residual { FeedForward(d) -> scale(0.5) }``.
    """

    kind = "scale"
    example = ("[3, 8, 8]", "scale(0.5)")
    Args = ScaleArgs
    keeps = ()  # the gradient is the factor

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        return BinOp(xs[0], "*", self.args.factor)

    def describe(self) -> str:
        return f"scale ×{self.args.factor:g}"


class ShiftArgs(ArgsModel):
    amount: Number


class Shift(Elementwise):
    """Adds a number: ``x + amount``; ``[...] -> [...]``. Example: ``shift(-1)``."""

    kind = "shift"
    example = ("[3, 8, 8]", "shift(-1)")
    Args = ShiftArgs
    keeps = ()

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        return BinOp(xs[0], "+", self.args.amount)

    def describe(self) -> str:
        return f"shift {self.args.amount:+g}"


class PowArgs(ArgsModel):
    exponent: Number


class Pow(Elementwise):
    """Raises to a power: ``x ** exponent``; ``[...] -> [...]``. Example: ``pow(2)`` squares."""

    kind = "pow"
    example = ("[3, 8, 8]", "pow(2)")
    synonyms = ("power",)
    Args = PowArgs

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        return call("torch.pow", xs[0], self.args.exponent)

    def describe(self) -> str:
        return f"pow {self.args.exponent:g}"


class Exp(Elementwise):
    """``e ** x``; ``[...] -> [...]``. Example: a VAE's standard deviation ``scale(0.5) -> exp``."""

    kind = "exp"
    example = ("[3, 8, 8]", "exp")
    function = "torch.exp"
    keeps = ("output",)  # exp' = exp

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        return call(self.function, xs[0])


class Log(Exp):
    """The natural logarithm; ``[...] -> [...]`` (``-inf`` at 0, NaN below)."""

    kind = "log"
    example = ("[3, 8, 8]", "exp -> log")
    function = "torch.log"
    keeps = ("inputs",)  # log' = 1 / x


class Sqrt(Exp):
    """The square root; ``[...] -> [...]`` (NaN below 0)."""

    kind = "sqrt"
    example = ("[3, 8, 8]", "pow(2) -> sqrt")
    function = "torch.sqrt"


class NormalizeArgs(ArgsModel):
    dim: Int = -1
    eps: Number = Field(1e-12, gt=0)


class Normalize(Elementwise):
    """Divides by the L2 norm along ``dim`` (default the last), so that each vector there has
    length 1: ``x / max(‖x‖, eps)``, PyTorch's ``F.normalize``; ``[...] -> [...]``.

    Example: CLIP's embeddings, ``dense(512, bias=false) -> normalize``.
    """

    kind = "normalize"
    example = ("[5, 4]", "normalize")
    synonyms = ("l2normalize", "l2norm")
    Args = NormalizeArgs

    def infer(self, x: TensorType) -> TensorType:
        normalise_dim(self.args.dim, len(x.shape))
        return x

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        d = normalise_dim(self.args.dim, len(types[0].shape)) + 1  # + 1: the batch comes first
        return call("F.normalize", xs[0], dim=d, eps=self.changed("eps", float))

    def kept_extra(self, xs: list[TensorType], y: TensorType) -> tuple[Dim, int]:
        # besides the input: the norms and their clamp to eps, one float per vector each
        vectors = prod(xs[0].shape, start=1) // xs[0].shape[normalise_dim(self.args.dim, len(xs[0].shape))]
        return 2 * 4 * vectors, 0

    def describe(self) -> str:
        return f"normalize dim {self.args.dim}"
