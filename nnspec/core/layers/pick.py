"""Layers that take a part of a value along one dimension: ``select``, ``slice``, ``chunk`` and
``split``, and ``zeropad``, which adds to one. Each gives one piece, so a piece is used where it is needed: ShuffleNet's channel
split is ``concat { | chunk(2, 0) | chunk(2, 1) -> ... }`` and ViT's class token ``select(0)``.

``dim`` counts the non-batch dimensions from 0 (``-1`` is the last), as everywhere.
"""

from __future__ import annotations

from ..code import Index, ListOf, call, method
from ..code import Slice as Range
from ..dims import shape_str
from ..shapes import ShapeError, normalise_dim, piece_sizes, slice_length
from .base import ArgError, Layer, TensorType, need_concrete
from .schema import ArgsModel, Field, Int, IntOrList


class Pick(Layer):
    """What every piece-taking kind shares: the dimension it acts on, and the padding rule."""

    family = "reshape"
    keeps, view = (), True  # a part of the input, viewed in place
    takes_int = True

    def axis(self, x: TensorType) -> int:
        if not x.shape:
            raise ShapeError(f"`{self.kind}` needs a dimension to take a part of, got []")
        d = normalise_dim(self.args.dim, len(x.shape))
        if d == 0 and x.masked and not self.keeps_time(x):
            # the padding mask counts positions from the start of each sequence
            raise ShapeError(
                f"`{self.kind}` along the time dimension of a padded sequence {shape_str(x.shape)} "
                "would lose track of where each sequence's padding starts",
                arg="dim",
                hint="take parts of the features instead (`dim=-1`), or reduce over time first "
                "(`last`, `mean(0)`)",
            )
        return d

    def keeps_time(self, x: TensorType) -> bool:
        """Whether taking this part along time keeps each sequence's real positions."""
        return False

    def index_expr(self, x, d: int, part) -> Index:
        """``x[:, :, part]``: ``part`` at dimension ``d`` (0 is the first after the batch)."""
        return Index(x, (*[Range()] * (d + 1), part))


class SelectArgs(ArgsModel):
    index: Int
    dim: Int = 0


class Select(Pick):
    """The entry at ``index`` along ``dim``, which is removed: ``[T, D] -> [D]`` for ``dim=0``.

    A negative index counts from the end. On a size that varies between batches only ``0`` and
    ``-1`` are allowed (every sequence has them). Example: ViT's class token, ``select(0)`` on
    ``[197, 768]``, gives ``[768]``.
    """

    kind = "select"
    example = ("[T, 6]", "select(-1)")
    Args = SelectArgs

    def keeps_time(self, x):
        return self.args.index == 0

    def infer(self, x: TensorType) -> TensorType:
        d = self.axis(x)
        size, i = x.shape[d], self.args.index
        if isinstance(size, int):
            if not -size <= i < size:
                raise ShapeError(
                    f"`select({i})` is out of range for dimension {self.args.dim} of {shape_str(x.shape)}, "
                    f"which has {size} entr{'y' if size == 1 else 'ies'}",
                    arg="index",
                    hint=f"indices run from 0 to {size - 1} (or from -{size} to -1 from the end)",
                )
        elif i not in (0, -1):
            raise ShapeError(
                f"`select({i})` on the size `{size}`, which varies between batches, may be out of range",
                arg="index",
                hint="only 0 (the first) and -1 (the last) exist at every size",
            )
        shape = x.shape[:d] + x.shape[d + 1 :]
        return x.with_shape(shape, keep_mask=d != 0, channels_last=d != len(shape) and x.stays_channels_last(shape))

    def forward_code(self, module, xs, types, lengths=None):
        return self.index_expr(xs[0], normalise_dim(self.args.dim, len(types[0].shape)), self.args.index)

    def describe(self) -> str:
        return f"select {self.args.index}" + (f" dim {self.args.dim}" if self.args.dim else "")


class SliceArgs(ArgsModel):
    start: Int = 0
    end: Int | None = Field(None, description="defaults to the end of the dimension")
    step: Int = Field(1, gt=0)
    dim: Int = 0


class Slice(Pick):
    """Entries ``start`` up to (not including) ``end`` every ``step`` along ``dim``, as Python's
    ``x[start:end:step]``; negative positions count from the end, ``end`` defaults to the end.

    Example: ``slice(1)`` on ``[197, 768]`` gives ``[196, 768]``; ``slice(0, 64, dim=-1)`` on
    ``[T, 128]`` gives ``[T, 64]``.
    """

    kind = "slice"
    example = ("[T, 6]", "slice(1) -> slice(0, 4, 2, dim=-1)")
    Args = SliceArgs

    def keeps_time(self, x):
        a = self.args
        return a.start == 0 and a.end is None and a.step == 1

    def infer(self, x: TensorType) -> TensorType:
        d = self.axis(x)
        a = self.args
        n = slice_length(x.shape[d], a.start, a.end, a.step)
        return x.with_shape(x.shape[:d] + (n,) + x.shape[d + 1 :], channels_last=x.channels_last)

    def forward_code(self, module, xs, types, lengths=None):
        a = self.args
        part = Range(a.start or None, a.end, a.step if a.step != 1 else None)
        return self.index_expr(xs[0], normalise_dim(a.dim, len(types[0].shape)), part)

    def describe(self) -> str:
        a = self.args
        return f"slice {a.start}:{'' if a.end is None else a.end}" + (f":{a.step}" if a.step != 1 else "")


class ChunkArgs(ArgsModel):
    chunks: Int = Field(gt=0)
    index: Int
    dim: Int = 0


class Chunk(Pick):
    """Piece ``index`` of ``chunks`` equal pieces along ``dim`` (PyTorch's ``chunk``: each piece
    has ``ceil(size / chunks)`` entries, the last one the rest).

    Example: ``chunk(2, 1)`` on ``[116, 28, 28]`` gives the second half, ``[58, 28, 28]``.
    """

    kind = "chunk"
    example = ("[6, 4, 4]", "concat { | chunk(2, 0) | chunk(2, 1) -> conv(3, 1) } -> channelshuffle(2)")
    Args = ChunkArgs

    def infer(self, x: TensorType) -> TensorType:
        d = self.axis(x)
        size = need_concrete(x.shape[d], "the dimension `chunk` divides")
        each = (size + self.args.chunks - 1) // self.args.chunks
        if not isinstance(size, int):  # a block's size: pieces of `each`, the last one the rest
            last = self.args.index in (-1, self.args.chunks - 1)
            piece = size - (self.args.chunks - 1) * each if last else each
        else:
            piece = self.piece(piece_sizes(size, each))
        return x.with_shape(x.shape[:d] + (piece,) + x.shape[d + 1 :], channels_last=x.channels_last)

    def piece(self, sizes: list[int]) -> int:
        i = self.args.index
        if not -len(sizes) <= i < len(sizes):
            raise ShapeError(
                f"`{self.kind}` makes {len(sizes)} piece{'s' if len(sizes) != 1 else ''} "
                f"({', '.join(map(str, sizes))}), so there is no piece {i}",
                arg="index",
                hint=f"pieces are numbered from 0 to {len(sizes) - 1}",
            )
        return sizes[i]

    def forward_code(self, module, xs, types, lengths=None):
        d = normalise_dim(self.args.dim, len(types[0].shape)) + 1
        return Index(method(xs[0], "chunk", self.args.chunks, dim=d), (self.args.index,))

    def describe(self) -> str:
        return f"chunk {self.args.index} of {self.args.chunks}"


class SplitArgs(ArgsModel):
    sizes: IntOrList
    index: Int
    dim: Int = 0


class Split(Chunk):
    """Piece ``index`` of a split along ``dim`` into pieces of the given ``sizes`` (a list that
    adds up to the dimension), or into pieces of one size (the last one the rest), as PyTorch's
    ``split``.

    Example: ``split([16, 48], 1)`` on ``[64, 8, 8]`` gives ``[48, 8, 8]``.
    """

    kind = "split"
    example = ("[T, 6]", "split([2, 4], 1, dim=1)")
    Args = SplitArgs

    def check_args(self):
        sizes = self.args.sizes if isinstance(self.args.sizes, list) else [self.args.sizes]
        if not sizes or any(s <= 0 for s in sizes):
            raise ArgError(f"`sizes` must be positive, got {self.args.sizes}", arg="sizes")

    def infer(self, x: TensorType) -> TensorType:
        d = self.axis(x)
        size = need_concrete(x.shape[d], "the dimension `split` divides")
        if isinstance(self.args.sizes, int):
            sizes = piece_sizes(size, self.args.sizes)
        else:
            sizes = self.args.sizes
            if sum(sizes) != size:
                raise ShapeError(
                    f"the sizes {sizes} add up to {sum(sizes)}, but dimension {self.args.dim} of "
                    f"{shape_str(x.shape)} has {size} entries",
                    arg="sizes",
                )
        return x.with_shape(x.shape[:d] + (self.piece(sizes),) + x.shape[d + 1 :], channels_last=x.channels_last)

    def forward_code(self, module, xs, types, lengths=None):
        d = normalise_dim(self.args.dim, len(types[0].shape)) + 1
        sizes = self.args.sizes if isinstance(self.args.sizes, int) else ListOf(tuple(self.args.sizes))
        return Index(method(xs[0], "split", sizes, dim=d), (self.args.index,))

    def describe(self) -> str:
        return f"split {self.args.index} of {self.args.sizes}"


class ZeroPadArgs(ArgsModel):
    before: Int = Field(ge=0)
    after: Int = Field(0, ge=0)
    dim: Int = -1


class ZeroPad(Layer):
    """Zeros added before and after the entries of ``dim`` (default the last): ``[C, T] ->
    [C, before + T + after]``, at any length ``T``.

    Example: a causal convolution (WaveNet's, a TCN's) pads only the past:
    ``zeropad(2 * d) -> conv(c, 3, dilation=d)`` on ``[C, T]`` gives ``[c, T]``, each step
    seeing itself and the steps before it.
    """

    kind = "zeropad"
    example = ("[3, T]", "zeropad(2) -> conv(4, 3)")
    keeps = ()  # its gradient is the incoming one, cut
    synonyms = ("zeropadding1d", "constantpad1d", "pad", "causalpad")
    family = "reshape"
    Args = ZeroPadArgs

    def infer(self, x: TensorType) -> TensorType:
        d = normalise_dim(self.args.dim, len(x.shape))
        size = x.shape[d] + self.args.before + self.args.after
        return x.with_shape(x.shape[:d] + (size,) + x.shape[d + 1 :], channels_last=x.channels_last)

    def forward_code(self, module, xs, types, lengths=None):
        rank = len(types[0].shape)
        after = rank - 1 - normalise_dim(self.args.dim, rank)  # F.pad lists the last dimension first
        return call("F.pad", xs[0], ListOf((0, 0) * after + (self.args.before, self.args.after)))

    def describe(self) -> str:
        return f"zeropad {self.args.before}, {self.args.after}" + (f" dim {self.args.dim}" if self.args.dim != -1 else "")
