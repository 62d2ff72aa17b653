"""Merges of several values: ``concat``, ``add`` and ``mul``."""

from __future__ import annotations

from ..code import BinOp, Index, ListOf, Slice, call
from ..shapes import broadcast, concat, normalise_dim
from .base import Layer, TensorType
from .schema import ArgsModel, Int


class ConcatArgs(ArgsModel):
    dim: Int = 0


class Concat(Layer):
    """Joins its inputs along ``dim`` (default 0: channels, or time for a sequence).

    Example: branches giving ``[64, 28, 28]`` and ``[128, 28, 28]`` concat to ``[192, 28, 28]``.
    """

    kind = "concat"
    keeps = ()  # its gradient is the incoming one, split
    example = ("[3, 8, 8]", "concat(dim=1) { | conv(3, 1) | identity }")
    synonyms = ("concatenate", "cat")
    family = "merge"
    merges = True
    font_size = 10
    Args = ConcatArgs

    def infer_many(self, xs: list[TensorType]) -> TensorType:
        shape = concat([x.shape for x in xs], self.args.dim)
        # joining channels-last images (along the channels or a position) keeps them so
        return xs[0].with_shape(shape, keep_mask=normalise_dim(self.args.dim, len(shape)) != 0,
                                channels_last=any(x.channels_last for x in xs))

    def forward_code(self, module, xs, types, lengths=None):
        d = normalise_dim(self.args.dim, len(types[0].shape)) + 1
        return call("torch.cat", ListOf(tuple(xs)), dim=d)

    def describe(self) -> str:
        return "concat"


class Add(Layer):
    """Element-wise sum of its inputs, with broadcasting. Example: a residual ``body(x) + x``."""

    kind = "add"
    keeps = ()
    example = ("[3, 8, 8]", "add { | conv(3, 1) | identity }")
    family = "merge"
    merges = True
    symbol = "+"  # Python's operator
    glyph = "+"

    def infer_many(self, xs: list[TensorType]) -> TensorType:
        shape = xs[0].shape
        for x in xs[1:]:
            shape = broadcast(shape, x.shape)
        # a sum with a channels-last image (a residual around a ConvNeXt or Swin body) is one
        last = any(x.channels_last and len(x.shape) == len(shape) for x in xs)
        return xs[0].with_shape(shape, channels_last=last)

    def forward_code(self, module, xs, types, lengths=None):
        # Broadcasting aligns trailing dimensions; a lower-rank input gets singleton dimensions
        # after the batch, so that its batch dimension meets the others' batch dimension.
        rank = max(len(t.shape) for t in types)
        terms = [x if len(t.shape) == rank else Index(x, (Slice(), *[None] * (rank - len(t.shape))))
                 for x, t in zip(xs, types)]
        out = terms[0]
        for term in terms[1:]:
            out = BinOp(out, self.symbol, term)
        return out

    def describe(self) -> str:
        return self.symbol


class Mul(Add):
    """Element-wise product with broadcasting: ``[C, H, W] * [C, 1, 1]`` for a channel gate."""

    kind = "mul"
    keeps = ("others",)  # each factor's gradient is the other factor
    example = ("[3, 8, 8]", "mul { | identity | globalavgpool -> reshape([3, 1, 1]) }")
    synonyms = ("multiply",)
    symbol = "*"
    glyph = "×"
