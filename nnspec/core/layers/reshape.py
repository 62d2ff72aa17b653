"""Layers that only rearrange elements: ``flatten``, ``reshape``, ``permute``, ``channelshuffle``."""

from __future__ import annotations

from ..code import Attr, Code, Index, call, method
from ..dims import Sym, shape_str
from ..shapes import ShapeError, product, reshape
from .base import ArgError, Layer, TensorType, need_concrete, need_divisor, need_rank
from .schema import ArgsModel, Field, Int


class Flatten(Layer):
    """Joins every non-batch dimension into one: ``[d1, d2, ...] -> [d1·d2·...]``.

    Example: ``flatten`` on ``[16, 5, 5]`` gives ``[400]``.
    """

    kind = "flatten"
    keeps, view = (), True
    example = ("[3, 8, 8]", "flatten")
    family = "reshape"
    takes_int = True

    def infer(self, x: TensorType) -> TensorType:
        if not x.shape:  # nn.Flatten needs a dimension after the batch's
            raise ShapeError("`flatten` needs at least one dimension; the input is [], one number per example",
                             hint="remove the flatten: the value is already as flat as it can be")
        # flattening a [T] sequence changes nothing, so its padding mask stays
        return x.with_shape((product(x.shape),), keep_mask=len(x.shape) == 1)

    def module_code(self, x: TensorType) -> Code:
        return call("nn.Flatten")


class ReshapeArgs(ArgsModel):
    dims: list[Int | str]


class Reshape(Layer):
    """Gives the elements a new shape with the same count; one entry may be ``-1``.

    Example: ``reshape([16, 25])`` on ``[16, 5, 5]`` gives ``[16, 25]``; a symbol names an input
    dimension (``reshape([T, -1])``).
    """

    kind = "reshape"
    keeps, view = (), True
    example = ("[3, 8, 8]", "reshape([6, -1])")
    synonyms = ("view",)
    family = "reshape"
    takes_int = True
    Args = ReshapeArgs

    def target(self):
        return [Sym.symbol(d) if isinstance(d, str) else d for d in self.args.dims]

    def check_args(self):
        bad = [d for d in self.args.dims if isinstance(d, int) and (d == 0 or d < -1)]
        if bad:
            raise ArgError(f"reshape sizes must be positive or -1, got {bad[0]}", arg="dims")

    def infer(self, x: TensorType) -> TensorType:
        known = set().union(*(d.symbols() for d in x.shape if isinstance(d, Sym)))
        for d in self.args.dims:
            if isinstance(d, str) and d not in known:
                raise ShapeError(
                    f"`{d}` in `reshape` is no parameter and no size of the input {shape_str(x.shape)}",
                    arg="dims", unknown=d,
                    hint=f"a name there is a parameter, or a size that varies ({', '.join(sorted(known))})" if known
                    else "a name there is a parameter, or a size of the input that varies between batches",
                )
        shape = reshape(x.shape, self.target())
        y = x.with_shape(shape, channels_last=x.stays_channels_last(shape))
        if len(_runtime_unknowns(x.shape, y.shape)) > 1:
            raise ShapeError(
                f"reshaping {shape_str(x.shape)} to {shape_str(y.shape)} leaves more than one size that is "
                "neither fixed nor an input dimension, so it cannot be computed when the model runs",
                arg="dims",
                hint="give every size but one as a number or as a symbol of the input",
            )
        return y

    def forward_code(self, module, xs, types, lengths=None):
        x, y = types[0].shape, self.infer(types[0]).shape
        size = Attr(xs[0], "shape")
        if sum(1 for d in y if not isinstance(d, int)) <= 1:
            dims = [d if isinstance(d, int) else -1 for d in y]
        else:
            # several sizes vary between batches: read them off the input, infer at most one
            dims = [d if isinstance(d, int) else Index(size, (x.index(d) + 1,)) if d in x else -1 for d in y]
        return method(xs[0], "reshape", Index(size, (0,)), *dims)

    def describe(self) -> str:
        return f"reshape {shape_str(self.args.dims)}"


def _runtime_unknowns(before: tuple, after: tuple) -> list:
    """Sizes of ``after`` that are neither numbers nor dimensions of ``before``."""
    return [d for d in after if not isinstance(d, int) and d not in before]


# Emitted once in generated code that gives a `permute` a module of its own (see
# Permute.labelled_module_code); the generated file imports only torch.
PERMUTE_RUNTIME = '''\
class Permute(nn.Module):
    """Reorders the dimensions of x (the batch's included): forward(x) = x.permute(dims)."""

    def __init__(self, *dims):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return x.permute(self.dims)

    def extra_repr(self):
        return f"dims={tuple(self.dims)}"
'''


class PermuteArgs(ArgsModel):
    order: list[Int]


class Permute(Layer):
    """Reorders the non-batch dimensions. Example: ``permute([1, 0])`` on ``[T, F]`` gives ``[F, T]``."""

    kind = "permute"
    keeps, view = (), True
    example = ("[3, 8, 4]", "permute([2, 0, 1])")
    synonyms = ("transpose",)
    family = "reshape"
    takes_int = True
    Args = PermuteArgs
    runtime = PERMUTE_RUNTIME

    def infer(self, x: TensorType) -> TensorType:
        n = len(x.shape)
        order = [d % n if -n <= d < n else None for d in self.args.order]
        if len(order) != n or None in order or sorted(order) != list(range(n)):
            raise ShapeError(
                f"`permute({self.args.order})` must list each of the {n} dimensions of {shape_str(x.shape)} once",
                arg="order",
            )
        # the channels moved last (or stay last): `dense` may act on them at every position
        last = n >= 3 and (order[-1] == 0 or (x.channels_last and order[-1] == n - 1))
        return x.with_shape(tuple(x.shape[i] for i in order), channels_last=last)

    def dims(self, n: int) -> tuple[int, ...]:
        """The order of the batched value's dimensions, the batch first."""
        return (0, *(d % n + 1 for d in self.args.order))

    def labelled_module_code(self, x: TensorType) -> Code:
        # a module, so that a labelled permute can be hooked, and so that a run of numbered
        # modules it sits in stays one nn.Sequential (torchvision's ConvNeXt block does the same)
        return call("Permute", *self.dims(len(x.shape)))

    def forward_code(self, module, xs, types, lengths=None):
        if module is not None:
            return call(module, xs[0])
        return method(xs[0], "permute", *self.dims(len(types[0].shape)))

    def describe(self) -> str:
        return f"permute {shape_str(self.args.order)}"


class ChannelShuffleArgs(ArgsModel):
    groups: Int = Field(gt=0)


class ChannelShuffle(Layer):
    """Interleaves ``groups`` groups of channels (ShuffleNet's): channel ``g·(C/groups) + i``
    moves to ``i·groups + g``. ``[C, ...] -> [C, ...]``, ``groups`` divides ``C``, no parameters.

    Example: ``channelshuffle(2)`` on ``[116, 28, 28]``.
    """

    kind = "channelshuffle"
    keeps = ()
    example = ("[6, 4, 4]", "channelshuffle(3)")
    family = "reshape"
    Args = ChannelShuffleArgs

    def infer(self, x: TensorType) -> TensorType:
        need_rank(x, {2, 3, 4}, "`channelshuffle`", hint="it shuffles the channels of [C, L], [C, H, W] or [C, D, H, W]")
        c = need_concrete(x.shape[0], "the channel dimension of `channelshuffle`")
        need_divisor(c, "groups", self.args.groups, "channels", x)
        return x

    def module_code(self, x: TensorType) -> Code:
        return call("nn.ChannelShuffle", self.args.groups)

    def describe(self) -> str:
        return f"channelshuffle {self.args.groups}"
