"""Operations across the batch: ``batchdot``, each sample's vector against every sample's of a
value (CLIP's image × text logits).

Every other kind computes each sample from that sample alone. A ``batchdot`` value has one
entry per sample of the batch, so its shape names the batch size, :data:`BATCH`, the one
size no spec writes: ``[D] -> [batch]``. That symbol lets the rest of the pipeline tell such a
value apart: ``each`` refuses one in its body (where the batch holds every step of every
sequence), and training, which compares each sample's output with that sample's own label,
refuses a network whose output depends on one.
"""

from __future__ import annotations

from ..code import Code, call, method
from ..dims import Dim, Sym, shape_str
from ..shapes import ShapeError
from .base import Layer, TensorType, need_concrete

#: the batch size, as a size of a value that ranges over the batch
BATCH_NAME = "batch"
BATCH = Sym.symbol(BATCH_NAME)


def mentions_batch(shape) -> bool:
    """Whether a shape has a size that is (or is computed from) the batch size."""
    return any(isinstance(d, Sym) and BATCH_NAME in d.symbols() for d in shape)


def across_batch(nodes) -> object | None:
    """The first of a graph's nodes whose output depends on the other samples of the batch
    (a ``batchdot``), or None: whatever follows it does too, even reduced to one value per
    sample (``batchdot -> sum(0)``)."""
    return next((n for n in nodes if n.layer is not None and n.layer.across_batch), None)


def across_batch_text(node) -> str:
    """``its output depends on the other samples of its batch (`batchdot`, line 9)``."""
    where = f", line {node.span.line}" if node.span is not None else ""
    return f"depends on the other samples of its batch (`{node.op}`{where})"


class BatchDot(Layer):
    """The dot product of each sample's vector with every sample's vector of a named value:
    ``[D] -> [batch]``, row ``i`` of the batch's ``[batch, batch]`` being ``x[i] · other[j]``
    for every ``j`` (``x @ other.T``). Without a value, each sample against the batch itself
    (a Gram matrix).

    The output's size is the batch size, so it depends on which samples share a batch:
    training's losses, which compare a sample with its own label, refuse it. Example: CLIP's
    logits, ``normalize -> batchdot(text) -> mul { | identity | param([1], batch=false) -> exp }``
    on image and text embeddings ``[512]``, give ``[batch]``: 512 MACs per pair.
    """

    kind = "batchdot"
    example = ("[8]", "let t = dense(8) -> normalize\n  normalize -> batchdot(t)")
    synonyms = ("crossbatch", "similaritymatrix", "logitsperimage")
    family = "attention"
    values = 1
    across_batch = True

    def infer(self, x: TensorType) -> TensorType:
        return self.infer_many([x])

    def infer_many(self, xs: list[TensorType]) -> TensorType:
        x, other = xs[0], xs[-1]
        for t, what in ((x, "its input"), (other, "the value it is given")):
            if len(t.shape) != 1 or t.masked:
                raise ShapeError(
                    f"`batchdot` takes one vector per sample [D] as {what}, got {shape_str(t.shape)}"
                    + (" (a padded sequence)" if t.masked else ""),
                    hint="pool or flatten each sample to one vector first (`globalavgpool`, `last`, `flatten`)"
                    if len(t.shape) > 1 or t.masked else None,
                )
            if mentions_batch(t.shape):
                raise ShapeError(f"`batchdot` of a value that already ranges over the batch, {shape_str(t.shape)}")
        need_concrete(x.shape[0], "the vector size of `batchdot`")
        if other.shape != x.shape:
            raise ShapeError(
                f"`batchdot` of {shape_str(x.shape)} needs a value of the same size, got {shape_str(other.shape)}",
                hint=f"project it with `dense({x.shape[0]})` first",
            )
        return x.with_shape((BATCH,), keep_mask=False)

    def macs(self, x: TensorType, y: TensorType) -> Dim:
        return x.shape[0] * BATCH

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        return call("torch.mm", xs[0], method(xs[-1], "t"))

    def describe(self) -> str:
        return "batchdot"
