"""Regularisation: ``dropout`` (per element) and ``droppath`` (per sample: stochastic depth)."""

from __future__ import annotations

from ..code import Code, as_float, call
from .base import Layer, TensorType
from .schema import ArgsModel, Field, Number


class DropoutArgs(ArgsModel):
    p: Number = Field(0.5, ge=0, le=1)


class Dropout(Layer):
    """Zeroes each element with probability ``p`` while training (scaling the rest by ``1/(1-p)``).

    ``[...] -> [...]``, no parameters; the identity in evaluation. Example: ``dropout(0.3)``.
    """

    kind = "dropout"
    example = ("[3, 8]", "dropout(0.25)")
    family = "regularize"
    Args = DropoutArgs

    def infer(self, x: TensorType) -> TensorType:
        return x

    def module_code(self, x: TensorType) -> Code:
        return call("nn.Dropout", as_float(self.args.p)) if self.args.p != 0.5 else call("nn.Dropout")

    def describe(self) -> str:
        return f"dropout {self.args.p:g}"


# Emitted once at the top of generated code; the generated file imports only torch.
DROP_PATH_RUNTIME = '''\
class DropPath(nn.Module):
    """Stochastic depth: while training, zero each sample's whole value with probability p and
    scale the kept ones by 1/(1-p); the identity in evaluation. x [B, ...] -> [B, ...]."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        # one draw per sample, broadcast over the rest of its dimensions
        draw = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        if keep > 0.0:
            draw.div_(keep)
        return x * draw

    def extra_repr(self):
        return f"p={self.p}"
'''


class DropPathArgs(ArgsModel):
    p: Number = Field(ge=0, le=1)


class DropPath(Layer):
    """Stochastic depth: while training, drops a sample's whole value with probability ``p``
    (the others are scaled by ``1/(1-p)``); the identity in evaluation.

    ``[...] -> [...]``, no parameters. Put it at the end of a residual's body so that the block
    is skipped for that sample, as torchvision's ``StochasticDepth(p, "row")`` does.
    Example: ``residual { conv(64, 3, padding=1) -> droppath(0.1) }``.
    """

    kind = "droppath"
    example = ("[3, 8, 8]", "residual { conv(3, 3, padding=1) -> droppath(0.2) }")
    synonyms = ("stochasticdepth",)
    family = "regularize"
    Args = DropPathArgs
    runtime = DROP_PATH_RUNTIME

    def infer(self, x: TensorType) -> TensorType:
        return x

    def module_code(self, x: TensorType) -> Code:
        return call("DropPath", as_float(self.args.p))

    def describe(self) -> str:
        return f"droppath {self.args.p:g}"
