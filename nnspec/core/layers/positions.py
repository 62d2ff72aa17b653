"""Positions and fixed tables: ``positions`` (the index of each step of a sequence) and
``sinusoid`` (the sines and cosines of values, for position and time embeddings).

Together they write the tables that other code keeps as fixed tensors: a learned position
table cut to the sequence's length (GPT-2's ``positions -> embedding(1024, 768)``), a
sinusoidal one (a Whisper-style encoder's ``positions -> sinusoid(384)``), and a diffusion
model's embedding of its time step (``t -> sinusoid(128)``); each works at any length.
"""

from __future__ import annotations

from ..code import Attr, Code, Index, call, method
from ..dims import shape_str
from ..shapes import ShapeError
from .base import ArgError, Layer, TensorType
from .schema import ArgsModel, Field, Int, Number


class Positions(Layer):
    """The position of each step of a sequence, ``0, 1, ..., T - 1``, as token ids:
    ``[T, ...] -> [T] int``, whatever the values.

    Example: GPT-2's position embedding, ``add { | embedding(50257, 768) | positions ->
    embedding(1024, 768) }`` on ``[T] int``: the table is cut to the sequence's length. On a
    padded sequence the positions of the padding are there too (the mask stays).
    """

    kind = "positions"
    example = ("[T, 6]", "positions -> embedding(16, 4)")
    family = "embedding"
    takes_int = True
    keeps = ()
    batchless = True  # one arange, expanded over the batch

    def infer(self, x: TensorType) -> TensorType:
        if not x.shape:
            raise ShapeError(f"`positions` numbers the steps of a sequence [T, ...], got {shape_str(x.shape)}")
        # no pad id: position 0 is a position, not padding
        return TensorType((x.shape[0],), "int", masked=x.masked, ids_below=x.shape[0])

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        size = Attr(xs[0], "shape")
        steps = call("torch.arange", Index(size, (1,)), device=Attr(xs[0], "device"))
        return method(steps, "expand", Index(size, (0,)), -1)


# Emitted once at the top of generated code; the generated file imports only torch.
SINUSOID_RUNTIME = '''\
class Sinusoid(nn.Module):
    """The sines, then the cosines, of each value at dim // 2 frequencies from 1 down to
    1 / base (geometrically): x [B, ...] -> [B, ..., dim]. The frequencies are a buffer that
    is computed, not learned, and not kept in the state dict."""

    def __init__(self, dim, base=10000.0):
        super().__init__()
        half = dim // 2
        steps = torch.arange(half, dtype=torch.float32) / max(half - 1, 1)
        self.register_buffer("freqs", torch.exp(-torch.log(torch.tensor(float(base))) * steps), persistent=False)

    def forward(self, x):
        angles = x.to(self.freqs.dtype)[..., None] * self.freqs
        return torch.cat([angles.sin(), angles.cos()], dim=-1)
'''


class SinusoidArgs(ArgsModel):
    dim: Int = Field(gt=0)
    base: Number = Field(10000, gt=1)


class Sinusoid(Layer):
    """Each value as the sines and cosines of ``dim / 2`` frequencies from 1 down to
    ``1 / base``, geometrically: ``[...] -> [..., dim]``, values or token ids in.

    ``sin(v·f_i)`` for ``i < dim / 2``, then ``cos(v·f_i)``, with ``f_i = base ** (-i / (dim/2 -
    1))``: the table of Whisper's encoder and of DDPM's time embedding. The frequencies are a
    buffer of ``dim / 2`` values, computed when the module is made and not kept in the state dict
    (a checkpoint's copy of a table is not needed; PyTorch's ``persistent=False``).

    Example: a position table added to a sequence, ``add { | identity | positions ->
    sinusoid(384) }``; a time step ``t: []`` embedded, ``t -> sinusoid(128) -> dense(512)``.
    """

    kind = "sinusoid"
    example = ("[T, 6]", "add { | identity | positions -> sinusoid(6) }")
    synonyms = ("sinusoidal", "positionalencoding", "timestepembedding")
    family = "embedding"
    takes_int = True
    Args = SinusoidArgs
    runtime = SINUSOID_RUNTIME

    def check_args(self):
        if self.args.dim % 2:
            raise ArgError(f"`dim` must be even (a sine and a cosine per frequency), got {self.args.dim}", arg="dim")

    def infer(self, x: TensorType) -> TensorType:
        return x.with_shape((*x.shape, self.args.dim), dtype="float")

    def buffer_count(self, x: TensorType) -> int:
        return self.args.dim // 2

    def module_code(self, x: TensorType) -> Code:
        return call("Sinusoid", self.args.dim, base=self.changed("base", float))

    def describe(self) -> str:
        return f"sinusoid {self.args.dim}"
