"""Token lookup: ``embedding`` (PyTorch ``Embedding``)."""

from __future__ import annotations

from ..code import Code, call
from ..dims import shape_str
from ..shapes import ShapeError
from .base import Layer, TensorType
from .schema import ArgsModel, Field, Int


class EmbeddingArgs(ArgsModel):
    vocab: Int = Field(gt=0)
    dim: Int = Field(gt=0)


class Embedding(Layer):
    """A learned vector per token id: ``[T] int -> [T, dim]`` (any shape of ids gains a last ``dim``).

    When the input was declared with ``pad=P``, ``P`` is PyTorch's ``padding_idx``: its vector
    stays zero and gets no gradient, and the output keeps the sequence's padding mask.
    ``vocab·dim`` parameters. Example: ``embedding(20000, 128)`` on ``[T] int pad=0`` gives
    ``[T, 128]`` and 2,560,000 parameters.
    """

    kind = "embedding"
    example = ("[T] int pad=0", "embedding(11, 4)")
    synonyms = ("embed",)
    family = "embedding"
    takes_int = True
    Args = EmbeddingArgs

    def infer(self, x: TensorType) -> TensorType:
        if x.dtype != "int":
            raise ShapeError(
                f"`embedding` looks up token ids, but its input {shape_str(x.shape)} holds float values",
                hint="declare the input as token ids: `input tokens: [T] int`",
            )
        if x.pad is not None and isinstance(self.args.vocab, int) and not 0 <= x.pad < self.args.vocab:
            raise ShapeError(
                f"the input's padding id {x.pad} is not a token of a vocabulary of {self.args.vocab}",
                arg="vocab",
                hint=f"ids run from 0 to {self.args.vocab - 1}",
            )
        if isinstance(x.ids_below, int) and x.ids_below > self.args.vocab:  # a symbolic length may fit
            raise ShapeError(
                f"the input's ids run to {x.ids_below - 1}, past a vocabulary of {self.args.vocab}",
                arg="vocab",
                hint=f"a table of positions needs a row for each of them: `embedding({x.ids_below}, {self.args.dim})`",
            )
        return x.with_shape((*x.shape, self.args.dim), dtype="float")

    def param_count(self, x: TensorType) -> int:
        return self.args.vocab * self.args.dim

    def vocabulary(self) -> int:
        return self.args.vocab

    def module_code(self, x: TensorType) -> Code:
        return call("nn.Embedding", self.args.vocab, self.args.dim, padding_idx=x.pad)

    def describe(self) -> str:
        return f"embedding {self.args.vocab}→{self.args.dim}"
