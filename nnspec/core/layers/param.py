"""A learned tensor as a value: ``param`` (a class token, a positional embedding, a layer scale)."""

from __future__ import annotations

from ..code import Code, call
from ..dims import shape_str
from ..shapes import product
from .base import ArgError, Layer, TensorType
from .schema import ArgsModel, Bool, Field, Int, Number

# Emitted once at the top of generated code; the generated file imports only torch.
LEARNED_RUNTIME = '''\
class Learned(nn.Module):
    """A learned tensor of the given shape, the same for every sample: forward(x) -> [B, *shape],
    where x only tells the batch size. Stored as [1, *shape], or as shape with batch=False."""

    def __init__(self, *shape, init=0.0, std=0.0, batch=True):
        super().__init__()
        self.shape = tuple(shape)
        stored = (1, *shape) if batch else self.shape
        value = torch.full(stored, float(init))
        if std:
            value = nn.init.normal_(value, mean=float(init), std=float(std))
        self.weight = nn.Parameter(value)

    def forward(self, x):
        return self.weight.expand(x.shape[0], *self.shape)
'''


class ParamArgs(ArgsModel):
    shape: list[Int]
    init: Number = 0
    std: Number = Field(0, ge=0)
    batch: Bool = True


class Param(Layer):
    """A learned tensor of ``shape``, the same for every sample; its input only gives the batch.

    ``[...] -> shape``, ``product(shape)`` parameters, starting at ``init`` (plus normal noise of
    ``std`` when given). It is stored as ``[1, *shape]``, as torchvision stores ViT's class token
    and positional embedding, or exactly as ``shape`` with ``batch=false`` (ConvNeXt's layer
    scale). Used in branches:

    - a class token prepended: ``concat { | param([1, 768]) | ... -> [196, 768] }``
    - a positional embedding added: ``add { | identity | param([197, 768], std=0.02) }``
    - a per-channel scale: ``mul { | param([96, 1, 1], init=1e-6, batch=false) | ... }``

    Parameters are created in source order, so a branch that comes first puts the tensor before
    the other branch's weights, where torchvision registers it.
    """

    kind = "param"
    example = ("[4, 6]", "concat { | param([1, 6]) | identity } -> add { | identity | param([5, 6], std=0.02) }")
    synonyms = ("parameter",)
    family = "embedding"
    takes_int = True
    Args = ParamArgs
    runtime = LEARNED_RUNTIME
    keeps = ()  # it ignores the value it is given

    def check_args(self):
        if not self.args.shape or any(d <= 0 for d in self.args.shape):
            raise ArgError(f"`shape` must list positive sizes, got {shape_str(self.args.shape)}", arg="shape")

    def infer(self, x: TensorType) -> TensorType:
        return TensorType(tuple(self.args.shape))

    def param_count(self, x: TensorType) -> int:
        return product(self.args.shape)

    def module_code(self, x: TensorType) -> Code:
        a = self.args
        return call(
            "Learned",
            *a.shape,
            init=self.changed("init", float),
            std=self.changed("std", float),
            batch=self.changed("batch"),
        )

    def describe(self) -> str:
        return f"param {shape_str(self.args.shape)}"
