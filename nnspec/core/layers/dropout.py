"""Randomness while training: ``dropout`` (per element), ``droppath`` (per sample: stochastic
depth) and ``noise`` (normal samples, a VAE's reparameterisation)."""

from __future__ import annotations

from ..code import Code, as_float, call
from ..shapes import product
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
    keeps = ()

    def kept_extra(self, xs, y):
        """Its mask, scaled: a float32 per value on the CPU (CUDA's fused kernel keeps a byte);
        none with ``p=0``, the identity."""
        return (4 * product(y.shape) if self.args.p else 0), 0

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
    keeps = ()  # x * draw: the draw is kept, which needs no gradient

    def kept_extra(self, xs, y):
        return 4, 0  # each sample's draw, float32

    def infer(self, x: TensorType) -> TensorType:
        return x

    def module_code(self, x: TensorType) -> Code:
        return call("DropPath", as_float(self.args.p))

    def describe(self) -> str:
        return f"droppath {self.args.p:g}"


# Emitted once at the top of generated code; the generated file imports only torch.
NOISE_RUNTIME = '''\
class Noise(nn.Module):
    """Samples of a normal distribution of mean 0 and deviation std, shaped as x, while
    training (from torch's generator: torch.manual_seed repeats them); zeros, the mean, in
    evaluation. x [B, ...] -> [B, ...]; x itself only gives the shape."""

    def __init__(self, std=1.0):
        super().__init__()
        self.std = std

    def forward(self, x):
        if not self.training:
            return torch.zeros_like(x)
        return torch.randn_like(x) * self.std

    def extra_repr(self):
        return f"std={self.std}"
'''


class NoiseArgs(ArgsModel):
    std: Number = Field(1, gt=0)


class Noise(Layer):
    """Normal samples of deviation ``std`` (mean 0), shaped as the input, while training; zeros
    (their mean) in evaluation. ``[...] -> [...]``, no parameters; the input gives only the shape.

    A VAE's sample ``mu + eps * exp(logvar / 2)`` is ``sigma -> mul { | identity | noise } ->
    add(mu)`` with ``let sigma = logvar -> scale(0.5) -> exp``: random while training, its mean
    ``mu`` in evaluation. The samples come from torch's generator, so ``--seed`` (or
    ``torch.manual_seed``) repeats them.
    """

    kind = "noise"
    example = ("[3, 8]", "mul { | identity | noise(0.1) }")
    keeps, passes_gradient = (), False  # samples of the input's shape, not of its values
    synonyms = ("gaussiannoise", "randn", "sample")
    family = "regularize"
    Args = NoiseArgs
    runtime = NOISE_RUNTIME

    def infer(self, x: TensorType) -> TensorType:
        return x

    def module_code(self, x: TensorType) -> Code:
        return call("Noise", std=self.changed("std", float))

    def describe(self) -> str:
        return "noise" + (f" std {self.args.std:g}" if self.args.std != 1 else "")
