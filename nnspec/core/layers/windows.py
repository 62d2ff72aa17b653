"""Shifted windows (Swin's): ``roll`` (a cyclic shift of the positions) and ``shiftmask``
(the mask that keeps a shifted window's attention within the regions it joined).

Cutting an image into windows and putting it back together are a ``reshape`` and a
``permute``; attention over the windows is ``attention`` on ``[windows, positions, C]``.
"""

from __future__ import annotations

from ..code import Code, TupleOf, call
from ..dims import shape_str
from ..shapes import ShapeError
from .base import ArgError, Layer, TensorType, need_concrete
from .schema import ArgsModel, Field, Int, IntOrList


class RollArgs(ArgsModel):
    shifts: IntOrList
    dims: IntOrList = 0


class Roll(Layer):
    """Shifts the entries along ``dims`` by ``shifts`` places, cyclically: those pushed off the
    end come back at the start (``torch.roll``). Same shape out.

    Example: Swin's shifted windows on ``[56, 56, 96]``: ``roll([-3, -3], [0, 1])`` before the
    window attention, ``roll([3, 3], [0, 1])`` after.
    """

    kind = "roll"
    example = ("[T, 6, 4]", "roll([-1, 2], [0, 1])")
    synonyms = ("cyclicshift",)
    family = "reshape"
    takes_int = True
    keeps = ()
    Args = RollArgs

    def pairs(self) -> tuple[list[int], list[int]]:
        s, d = self.args.shifts, self.args.dims
        return (s if isinstance(s, list) else [s]), (d if isinstance(d, list) else [d])

    def check_args(self):
        shifts, dims = self.pairs()
        if len(shifts) != len(dims):
            raise ArgError(f"`roll` needs one shift per dimension, got {len(shifts)} shifts for {len(dims)} "
                           f"dimensions", arg="dims")

    def infer(self, x: TensorType) -> TensorType:
        n = len(x.shape)
        _, dims = self.pairs()
        bad = [d for d in dims if not -n <= d < n]
        if bad:
            raise ShapeError(f"`roll` along dimension {bad[0]}, but {shape_str(x.shape)} has {n}", arg="dims")
        if len({d % n for d in dims}) != len(dims):
            raise ShapeError(f"`roll` names a dimension twice: {dims}", arg="dims")
        return x

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        shifts, dims = self.pairs()
        n = len(types[0].shape)
        return call("torch.roll", xs[0], TupleOf(tuple(shifts)), TupleOf(tuple(d % n + 1 for d in dims)))

    def describe(self) -> str:
        shifts, _ = self.pairs()
        return f"roll {shape_str(shifts)}"


# Emitted once at the top of generated code; the generated file imports only torch.
SHIFTMASK_RUNTIME = '''\
def shifted_window_mask(x: torch.Tensor, window: int, shift: int) -> torch.Tensor:
    """For the windows of window x window positions of x [B, H, W, ...] rolled back by shift
    places: -100 where two positions of a window came from different regions of the image
    (the roll brought them together), 0 where they did not, [B, H * W / window^2, window^2,
    window^2], expanded over the batch."""
    height, width = x.shape[1], x.shape[2]
    region = torch.zeros(height, width, device=x.device)
    count = 0
    for rows in ((0, height - window), (height - window, height - shift), (height - shift, height)):
        for cols in ((0, width - window), (width - window, width - shift), (width - shift, width)):
            region[rows[0]:rows[1], cols[0]:cols[1]] = count
            count += 1
    region = region.view(height // window, window, width // window, window).transpose(1, 2)
    region = region.reshape(-1, window * window)
    mask = (region[:, None, :] - region[:, :, None] != 0).to(x.dtype) * -100.0
    return mask.expand([x.shape[0]] + list(mask.shape))
'''


class ShiftMaskArgs(ArgsModel):
    window: Int = Field(gt=0)
    shift: Int = Field(gt=0)


class ShiftMask(Layer):
    """Swin's mask for attention in windows after a ``roll`` by ``-shift``:
    ``[H, W, ...] -> [H·W / window², window², window²]``, added to the scores by
    ``attention(heads, mask=m)``.

    Rolling the image brings positions from its far edges into the last windows; the mask is
    ``-100`` between two positions of a window that came from different regions (so softmax
    gives them no weight) and ``0`` elsewhere, as torchvision computes it. It depends on the
    input's size only, and is computed in ``forward``: no parameters, no buffers. ``window``
    must divide ``H`` and ``W``, and ``shift`` be less than ``window``.

    Example: ``let m = x -> shiftmask(7, 3)`` on ``[56, 56, 96]`` is ``[64, 49, 49]``.
    """

    kind = "shiftmask"
    example = ("[4, 4, 4]", "let y = permute([1, 2, 0]) -> layernorm\n  let m = y -> shiftmask(2, 1)\n"
                            "  y -> attention(2, mask=m)")
    synonyms = ("attentionmask", "windowmask")
    family = "attention"
    Args = ShiftMaskArgs
    runtime = SHIFTMASK_RUNTIME
    keeps = ()
    passes_gradient = False  # the input gives only its size
    batchless = True  # one mask, expanded over the batch

    def check_args(self):
        if self.args.shift >= self.args.window:
            raise ArgError(f"`shift` must be less than the window ({self.args.window}), got {self.args.shift}",
                           arg="shift")

    def infer(self, x: TensorType) -> TensorType:
        if len(x.shape) < 2:
            raise ShapeError(f"`shiftmask` needs an image [H, W, ...], got {shape_str(x.shape)}")
        w = self.args.window
        height = need_concrete(x.shape[0], "the height of `shiftmask`'s input")
        width = need_concrete(x.shape[1], "the width of `shiftmask`'s input")
        if height % w or width % w:
            raise ShapeError(f"`shiftmask` cuts {height}×{width} positions into windows of {w}×{w}, so {w} must "
                             f"divide both, got {shape_str(x.shape)}", arg="window")
        return TensorType((height * width // (w * w), w * w, w * w))

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        return call("shifted_window_mask", xs[0], self.args.window, self.args.shift)

    def describe(self) -> str:
        return f"shiftmask {self.args.window}×{self.args.window} shift {self.args.shift}"
