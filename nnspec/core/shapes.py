"""Pure shape arithmetic, shared by every layer kind and nothing else.

Each function takes dimensions (ints or :class:`~nnspec.core.dims.Sym`) and returns the output
dimensions, raising :class:`ShapeError` with a message in the user's terms. The formulas are
PyTorch's, so that inferred shapes equal the shapes of the real modules.
"""

from __future__ import annotations

import math
from functools import reduce
from operator import mul

from .dims import Dim, Sym, ceildiv, differ_at, equal, evaluate, shape_str


class ShapeError(Exception):
    """A shape rule failed. ``arg`` names the argument at fault, so the caret can point at it."""

    def __init__(self, message: str, hint: str | None = None, arg: str | None = None, unknown: str | None = None):
        super().__init__(message)
        self.message, self.hint, self.arg = message, hint, arg
        #: a name the rule could not place (a misspelt parameter): the caller, who knows the
        #: names in scope, turns the hint into a did-you-mean
        self.unknown = unknown


class WindowError(ShapeError):
    """A sliding window larger than its padded input."""


def expand(value, n: int, name: str) -> tuple:
    """An int applies to every spatial dimension; a list must have one entry per dimension."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ShapeError(f"`{name}` has {len(value)} entries but the input has {n} spatial dimensions", arg=name)
        return tuple(value)
    return (value,) * n


def window_out(size: Dim, kernel: int, stride: int, padding: int, dilation: int = 1, ceil: bool = False) -> Dim:
    """Output length of a sliding window (conv or pool), PyTorch's formula.

    ``floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``; with ``ceil`` the
    division rounds up, but (as in PyTorch) the last window must start inside the input or the
    left padding, and may then reach past the right edge.
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if isinstance(size, int):
        out = (-(-span // stride) if ceil else span // stride) + 1
        if ceil and (out - 1) * stride >= size + padding:
            out -= 1
        if out < 1:
            raise WindowError(
                f"the window ({kernel} with dilation {dilation}) is larger than the padded input ({size + 2 * padding})",
                arg="kernel",
            )
        return out
    if not ceil:
        return span // stride + 1
    # The rounded-up division overshoots by less than `stride`; the last window can start
    # past the input only when `stride + padding` exceeds the window, and then whether it
    # does depends on the size modulo the stride: no single formula covers every size.
    if stride + padding > dilation * (kernel - 1) + 1:
        raise ShapeError(
            f"with `ceil=true`, the output length for `{size}` depends on `{size}` modulo {stride}",
            hint="give a known size, or use `ceil=false`",
            arg="ceil",
        )
    return ceildiv(span, stride) + 1


def same_padding(kernel: int, dilation: int) -> int:
    """Total padding that keeps the size at stride 1 (PyTorch pads the extra one on the right)."""
    return dilation * (kernel - 1)


def transposed_out(size: Dim, kernel: int, stride: int, padding: int, output_padding: int, dilation: int = 1) -> Dim:
    """Output length of a transposed convolution, PyTorch's formula.

    ``(size - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1``; the
    padding may not eat the whole output.
    """
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if isinstance(out, int) and out <= 0:
        raise ShapeError(f"the padding ({padding}) leaves no output from an input of length {size}", arg="padding")
    return out


def scaled(size: Dim, scale: float) -> Dim:
    """Length after resizing by ``scale``: ``floor(size * scale)``, as PyTorch's ``Upsample``.

    A symbolic length can only be scaled by a whole number, or the result has no closed form.
    """
    if isinstance(scale, float) and scale.is_integer():
        scale = int(scale)
    if isinstance(scale, int):
        return size * scale
    if not isinstance(size, int):
        raise ShapeError(
            f"scaling the length `{size}`, which varies between batches, by {scale} has no exact size",
            hint="use a whole-number scale",
            arg="scale",
        )
    out = math.floor(size * scale)
    if out <= 0:
        raise ShapeError(f"scaling a length of {size} by {scale} leaves nothing", arg="scale")
    return out


def adaptive_reads(size: Dim, out: int) -> Dim:
    """Input elements read by an adaptive pool from ``size`` down to ``out`` along one dimension.

    PyTorch's window ``i`` spans ``floor(i*size/out)`` to ``ceil((i+1)*size/out)``; windows overlap
    when ``out`` does not divide ``size``. A symbolic length counts each element once (exact when
    ``out`` divides it).
    """
    if not isinstance(size, int):
        return size
    # Summed over the windows, the ends telescope to `size`; each window whose end is not
    # exact reads one more element, and the end (i+1)*size/out is exact for gcd(size, out) of
    # them: a closed form, as an output of a billion windows must not be a loop.
    return size + out - math.gcd(size, out)


def product(dims) -> Dim:
    return reduce(mul, dims, 1)


def normalise_dim(dim: int, rank: int, name: str = "dim") -> int:
    """A possibly negative dimension index into ``rank`` non-batch dimensions."""
    if not -rank <= dim < rank:
        raise ShapeError(f"`{name}={dim}` is out of range for an input with {rank} dimensions", arg=name)
    return dim % rank


def drop_dim(shape: tuple, dim: int, name: str = "dim") -> tuple:
    """``shape`` without the (possibly negative) dimension ``dim``."""
    d = normalise_dim(dim, len(shape), name)
    return shape[:d] + shape[d + 1 :]


def slice_length(size: Dim, start: int, end: int | None, step: int) -> Dim:
    """Entries of Python's ``x[start:end:step]`` along a dimension of ``size`` (``step > 0``).

    A size that varies between batches allows only a start from the beginning and no end.

    >>> slice_length(197, 1, None, 1), slice_length(10, -3, None, 2), str(slice_length(Sym.symbol("T"), 1, None, 2))
    (196, 2, 'ceil((T - 1) / 2)')
    """
    if isinstance(size, int):
        n = len(range(*slice(start, end, step).indices(size)))
        if n == 0:
            raise ShapeError(f"the slice {start}:{'' if end is None else end} of a size {size} is empty", arg="start")
        return n
    if start < 0 or end is not None:
        raise ShapeError(
            f"slicing the size `{size}`, which varies between batches, needs a start of 0 or more and no end",
            arg="start" if start < 0 else "end",
            hint="give the sizes you slice as numbers",
        )
    return ceildiv(size - start, step)


def piece_sizes(size: int, each: int) -> list[int]:
    """The pieces of ``size`` entries cut every ``each``, the last one the rest (PyTorch's ``split``).

    >>> piece_sizes(10, 4)
    [4, 4, 2]
    """
    return [min(each, size - i) for i in range(0, size, each)]


def broadcast(a: tuple, b: tuple) -> tuple:
    """NumPy/PyTorch broadcasting of two shapes (without the batch dimension).

    Shapes of different rank align at their last dimensions. A shorter shape that repeats the
    longer one's leading sizes, such as a gate ``[C]`` against ``[C, H, W]``, was meant for
    those leading dimensions; it would meet the last ones instead (and silently broadcast
    along W when W == C), so it is an error that gives the fix.

    >>> broadcast((64, 56, 56), (64, 1, 1))
    (64, 56, 56)
    """
    long, short = (a, b) if len(a) >= len(b) else (b, a)
    leading = len(long) > len(short) and any(d != 1 for d in short) and all(
        equal(s, d) for s, d in zip(short, long))
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if equal(x, y) or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            message = f"shapes {shape_str(a)} and {shape_str(b)} do not broadcast"
            if len(a) != len(b):
                message += (f": broadcasting aligns the last dimensions, so dimension {len(short) - i} of "
                            f"{shape_str(short)} ({short[-i]}) meets dimension {len(long) - i} of {shape_str(long)} "
                            f"({long[-i]})")
            raise ShapeError(message, hint=_leading_fix(short, long) if leading else _where_they_differ(x, y))
    if leading:
        last = len(long) - 1
        raise ShapeError(
            f"{shape_str(short)} lines up with the last dimension{'s' if len(short) > 1 else ''} of {shape_str(long)}, "
            f"not the first: broadcasting aligns shapes at their last dimensions, so its values apply along dimension "
            f"{last if len(short) == 1 else f'{last - len(short) + 1} to {last}'}, the same for every channel",
            hint=_leading_fix(short, long),
        )
    return tuple(reversed(out))


def _leading_fix(short: tuple, long: tuple) -> str:
    ones = (1,) * (len(long) - len(short))
    return (f"to apply it along the first dimension{'s' if len(short) > 1 else ''} (per channel), make it "
            f"{shape_str(short + ones)}: end its branch with `reshape({shape_str(short + ones)})` (or use "
            f"`adaptiveavgpool(1)` and 1×1 `conv`s for `globalavgpool` and `dense`); to mean the last dimensions, "
            f"`reshape({shape_str(ones + short)})`")


def _where_they_differ(a: Dim, b: Dim) -> str | None:
    """For sizes that vary: the first lengths at which they differ, since they agree for some."""
    env = differ_at(a, b) if isinstance(a, Sym) or isinstance(b, Sym) else None
    if not env:
        return None
    at = ", ".join(f"{k} = {v}" for k, v in env.items())
    return f"`{a}` and `{b}` differ when {at} ({evaluate(a, env)} and {evaluate(b, env)})"


def concat(shapes: list[tuple], dim: int) -> tuple:
    """Join shapes along ``dim``; every other dimension must agree."""
    rank = len(shapes[0])
    for s in shapes[1:]:
        if len(s) != rank:
            raise ShapeError(
                "concat needs inputs of the same rank, got " + " and ".join(shape_str(s) for s in shapes)
            )
    d = normalise_dim(dim, rank)
    for s in shapes[1:]:
        for i in range(rank):
            if i != d and not equal(s[i], shapes[0][i]):
                raise ShapeError(
                    f"concat along dimension {dim} needs the other dimensions to agree, got "
                    + " and ".join(shape_str(s) for s in shapes),
                    hint=_where_they_differ(shapes[0][i], s[i]),
                )
    total = sum((s[d] for s in shapes[1:]), shapes[0][d])
    return shapes[0][:d] + (total,) + shapes[0][d + 1 :]


def reshape(shape: tuple, target: list) -> tuple:
    """Resolve a reshape target (one entry may be -1) against ``shape``'s element count."""
    total = product(shape)
    if sum(1 for t in target if isinstance(t, int) and t == -1) > 1:
        raise ShapeError("reshape allows at most one -1", arg="dims")
    known = product(t for t in target if not (isinstance(t, int) and t == -1))
    if any(isinstance(t, int) and t == -1 for t in target):
        if isinstance(total, int) and isinstance(known, int):
            if known == 0 or total % known:
                raise ShapeError(f"cannot reshape {shape_str(shape)} ({total} elements) to {shape_str(target)}", arg="dims")
            fill = total // known
        else:
            fill = _exact(total, known)
            if fill is None:
                raise ShapeError(f"cannot reshape {shape_str(shape)} to {shape_str(target)}: sizes do not divide", arg="dims")
        return tuple(fill if isinstance(t, int) and t == -1 else t for t in target)
    if total != known:
        raise ShapeError(f"cannot reshape {shape_str(shape)} ({total} elements) to {shape_str(target)} ({known} elements)", arg="dims")
    return tuple(target)


def _exact(total: Dim, known: Dim) -> Dim | None:
    if isinstance(known, int):
        return total.exact_div(known) if isinstance(total, Sym) else None
    # known is symbolic: divide when total == k * known
    for k in range(1, 1 << 16):
        if known * k == total:
            return k
        if k > 4096:
            break
    return None


def spatial_reduction(before: tuple, after: tuple) -> int | None:
    """The stride that maps ``before``'s spatial dims to ``after``'s (for `shortcut auto`).

    A strided 1×1 conv maps a length ``b`` to ``(b - 1) // s + 1`` (``ceil(b / s)``); None when
    no single stride maps every dimension. Symbolic lengths match when the expressions agree.
    """
    strides = set()
    for b, a in zip(before, after):
        s = _stride_between(b, a)
        if s is None:
            return None
        strides.add(s)
    return strides.pop() if len(strides) == 1 else (1 if not strides else None)


def _stride_between(b: Dim, a: Dim) -> int | None:
    if a == b:
        return 1
    if isinstance(a, int) and isinstance(b, int):
        if a <= 0:
            return None
        s = -(-b // a)
        return s if -(-b // s) == a else None
    if isinstance(a, int) or isinstance(b, int):
        return None
    # a symbolic length: try the strides a network plausibly uses
    return next((s for s in range(2, 65) if (b - 1) // s + 1 == a), None)
