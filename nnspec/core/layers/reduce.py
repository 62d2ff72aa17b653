"""Reductions that remove dimensions: ``last``, ``mean``, ``max`` and ``sum``.

On a padded sequence (a mask from an ``int`` input with ``pad=``) the time dimension's
reductions see only each sequence's real positions.
"""

from __future__ import annotations

from typing import ClassVar

from ..code import Index, Slice, TupleOf, call, method
from ..dims import shape_str
from ..shapes import ShapeError, normalise_dim, product
from .base import ArgError, Layer, TensorType
from .schema import ArgsModel, Int

# Emitted once at the top of generated code; the generated file imports only torch.
LAST_RUNTIME = '''\
def last_step(x, lengths):
    """The value at each sequence's last real position: x [B, T, ...] -> [B, ...]."""
    return x[torch.arange(x.shape[0], device=x.device), lengths.to(x.device) - 1]
'''

MASKED_RUNTIME = '''\
def time_mask(x, lengths):
    """True at each sequence's real positions, shaped to broadcast over x [B, T, ...]."""
    mask = torch.arange(x.shape[1], device=x.device) < lengths.to(x.device)[:, None]
    for _ in range(x.dim() - 2):  # a loop, not a computed shape: torch.jit.script takes it
        mask = mask.unsqueeze(-1)
    return mask


def masked_mean(x, lengths):
    """Mean over the real positions of each sequence: x [B, T, ...] -> [B, ...]."""
    mask = time_mask(x, lengths)
    return (x * mask).sum(1) / mask.sum(1).to(x.dtype)


def masked_max(x, lengths):
    """Maximum over the real positions of each sequence: x [B, T, ...] -> [B, ...]."""
    return x.masked_fill(~time_mask(x, lengths), float("-inf")).amax(1)
'''

SUM_RUNTIME = '''\
def masked_sum(x, lengths):
    """Sum over the real positions of each sequence: x [B, T, ...] -> [B, ...]."""
    real = torch.arange(x.shape[1], device=x.device) < lengths.to(x.device)[:, None]
    return torch.einsum("bt...,bt->b...", x, real.to(x.dtype))
'''


class Last(Layer):
    """The value at the last position of a sequence: ``[T, F] -> [F]`` (``[T, ...] -> [...]``).

    On a padded sequence it is each sequence's last real token, not the padding.
    Example: ``embedding(1000, 32) -> last`` on ``[T] int pad=0`` gives ``[32]``.
    """

    kind = "last"
    keeps = ()
    example = ("[T] int pad=0", "embedding(9, 4) -> last")
    family = "reshape"
    takes_int = True
    runtime = LAST_RUNTIME

    def infer(self, x: TensorType) -> TensorType:
        if not x.shape:
            raise ShapeError(f"`last` needs a sequence [T, ...], got {shape_str(x.shape)}")
        return x.with_shape(x.shape[1:], keep_mask=False)

    def forward_code(self, module, xs, types, lengths=None):
        if lengths is not None and types[0].masked:
            return call("last_step", xs[0], lengths)
        return Index(xs[0], (Slice(), -1))


class ReduceArgs(ArgsModel):
    dim: Int | list[Int]


class Mean(Layer):
    """The mean along ``dim``, which is removed: ``mean(0)`` on ``[T, F]`` gives ``[F]``.

    ``dim`` counts the non-batch dimensions from 0 (``-1`` is the last); a list reduces several
    at once (``mean([1, 2])`` on ``[C, H, W]`` gives ``[C]``). Averaging a padded sequence over
    time uses each sequence's real positions only; time is then reduced alone.
    """

    kind = "mean"
    keeps = ()  # its gradient is the incoming one spread evenly
    example = ("[3, 8, 8]", "mean(1)")
    family = "pool"
    Args = ReduceArgs
    runtime = MASKED_RUNTIME
    torch_name: ClassVar[str] = "mean"
    masked_name: ClassVar[str] = "masked_mean"

    def check_args(self):
        dims = self.args.dim
        if isinstance(dims, list) and (not dims or len(set(dims)) != len(dims)):
            raise ArgError(f"`dim` must list distinct dimensions, got {dims}", arg="dim")

    def axes(self, rank: int) -> list[int]:
        """The dimensions reduced, counted from 0, in order."""
        dims = self.args.dim if isinstance(self.args.dim, list) else [self.args.dim]
        axes = sorted(normalise_dim(d, rank) for d in dims)
        if len(set(axes)) != len(axes):
            raise ShapeError(f"`dim={self.args.dim}` names a dimension twice", arg="dim")
        return axes

    def infer(self, x: TensorType) -> TensorType:
        axes = self.axes(len(x.shape))
        if x.masked and 0 in axes and len(axes) > 1:
            raise ShapeError(f"`{self.kind}` over the time dimension of a padded sequence reduces it alone",
                             arg="dim", hint=f"`{self.kind}(0)`, then the others")
        shape = tuple(d for k, d in enumerate(x.shape) if k not in axes)
        return x.with_shape(shape, keep_mask=0 not in axes)

    def macs(self, x, y):
        return product(x.shape)

    def forward_code(self, module, xs, types, lengths=None):
        axes = self.axes(len(types[0].shape))
        if axes == [0] and lengths is not None and types[0].masked:
            return call(self.masked_name, xs[0], lengths)
        dims = [d + 1 for d in axes]  # + 1: the batch comes first
        return method(xs[0], self.torch_name, dims[0] if len(dims) == 1 else TupleOf(tuple(dims)))

    def describe(self) -> str:
        return f"{self.kind} dim {shape_str(self.args.dim) if isinstance(self.args.dim, list) else self.args.dim}"


class Max(Mean):
    """The maximum along ``dim``, which is removed: ``max(-1)`` on ``[C, L]`` gives ``[C]``.

    Over the time dimension of a padded sequence, only real positions count.
    """

    kind = "max"
    keeps = ("inputs", "output")  # where the maximum was
    example = ("[3, 8, 8]", "max(-1)")
    torch_name = "amax"
    masked_name = "masked_max"


class Sum(Mean):
    """The sum along ``dim`` (a dimension or a list of them), which is removed: ``sum(-1)`` on
    ``[10, 84]`` gives ``[10]``.

    Over the time dimension of a padded sequence, only real positions count.
    """

    kind = "sum"
    example = ("[3, 8, 8]", "sum([1, 2])")
    runtime = SUM_RUNTIME
    torch_name = "sum"
    masked_name = "masked_sum"
