"""Training memory, statically: what one training step holds, from the typed graph alone (no
torch, no tensors) — the parameters, their gradients, the optimizer's state and the values the
forward pass keeps for the backward pass, per item and for a batch. ``nnspec summary
--batch-size B`` prints it; docs/summary.md explains each figure.

Each layer kind declares what its backward pass needs (:attr:`~nnspec.core.layers.base.Layer.keeps`:
its inputs, its output, or nothing; :meth:`~nnspec.core.layers.base.Layer.kept_extra`: indices,
masks, statistics), and a value kept by several layers, or viewed by a reshape, counts once.
Only what a gradient flows through is kept: the layers before the first with trainable
parameters keep nothing, so frozen layers at the start of a network cost no activations.

>>> from nnspec import load
>>> g = load('network N { input x: [4]\\n dense(8) -> relu -> dense(2) }').graph()
>>> m = training_memory(g, batch=32)
>>> # the input x (16 bytes, read by the first dense) and relu's output (32, read by relu and the second dense)
>>> m.params, m.grads, m.optimizer_state, m.kept_per_sample, m.kept_batch
(232, 232, 464, 48, 1536)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from ..core.dims import Dim
from ..core.ir import Graph, TensorType
from ..freeze import is_frozen

#: float32 values of state per trainable parameter: Adam's two moments, SGD's momentum buffer
OPTIMIZER_STATE = {"adam": 2, "adamw": 2, "sgd": 1}


def value_bytes(t: TensorType, half: bool = False) -> Dim:
    """Bytes of one sample of a value: float32 (16-bit with ``half``), or int64 token ids."""
    return prod(t.shape, start=8 if t.dtype == "int" else 2 if half else 4)


@dataclass
class TrainingMemory:
    """What a training step holds, in bytes. ``kept`` is what each node keeps for the backward
    pass, per sample, by node id (a kept value is counted at the node that made it);
    ``kept_fixed`` is kept once per batch whatever its size (batch norm's statistics)."""

    batch: int
    optimizer: str
    amp: bool
    params: int  # parameters and buffers, float32
    grads: int  # one float32 gradient per trainable parameter
    optimizer_state: int
    kept: dict[int, Dim] = field(default_factory=dict)
    kept_fixed: int = 0
    autocast_weights: int = 0  # with --amp: the 16-bit copies of the weights autocast makes

    @property
    def kept_per_sample(self) -> Dim:
        return sum(self.kept.values(), start=0)

    @property
    def kept_batch(self) -> Dim:
        return self.kept_per_sample * self.batch + self.kept_fixed + self.autocast_weights

    @property
    def total(self) -> Dim:
        return self.params + self.grads + self.optimizer_state + self.kept_batch

    def to_json(self) -> dict:
        from .summary import count_json

        return {
            "batch_size": self.batch,
            "optimizer": self.optimizer,
            "amp": self.amp,
            "param_bytes": self.params,
            "grad_bytes": self.grads,
            "optimizer_bytes": self.optimizer_state,
            **count_json("kept_bytes_per_sample", self.kept_per_sample),
            **count_json("kept_bytes", self.kept_batch),
            **count_json("total_bytes", self.total),
        }


def gradients(graph: Graph, freeze) -> dict[int, bool]:
    """Whether a gradient flows back from each node to a parameter that trains (one not under
    the module globs ``freeze``): a node with such parameters, or one that passes its inputs'
    gradient on (``noise`` passes none; integer values, token ids and positions, carry none)."""
    grad: dict[int, bool] = {}
    for n in graph.nodes:
        own = bool(n.params) and not is_frozen(n.name or "", freeze)
        passed = n.layer.passes_gradient and any(grad[i] for i in n.inputs)
        grad[n.id] = (own or passed) and (n.out is None or n.out.dtype != "int")
    return grad


def training_memory(graph: Graph, batch: int, optimizer: str | None = None, amp: bool = False,
                    freeze: list[str] | None = None) -> TrainingMemory:
    """The memory of a training step of ``graph`` on batches of ``batch`` samples with
    ``optimizer`` (default: the train section's, else adam; ``sgd`` with the section's
    momentum, 0.9 by default) and, with ``amp``, 16-bit autocast; ``freeze`` are module globs
    whose parameters are not trained (default: the section's)."""
    settings = graph.train
    optimizer = optimizer or settings.get("optimizer") or "adam"
    if freeze is None:
        freeze = settings.get("freeze") or []
        freeze = [freeze] if isinstance(freeze, str) else list(freeze)
    nodes = graph.nodes
    trainable = sum(n.params for n in nodes if n.params and not is_frozen(n.name or "", freeze))
    state = OPTIMIZER_STATE[optimizer] if optimizer != "sgd" or settings.get("momentum", 0.9) else 0
    grad = gradients(graph, freeze)
    root: dict[int, int] = {}  # the node whose memory the value is (a view's is its input's)
    kept: dict[int, Dim] = {n.id: 0 for n in nodes}
    values: set[int] = set()
    fixed = 0
    for n in nodes:
        root[n.id] = root[n.inputs[0]] if n.layer.view and n.inputs else n.id
        if not grad[n.id]:
            continue
        if "inputs" in n.layer.keeps:
            values.update(root[i] for i in n.layer.kept_inputs(n.inputs))
        if "others" in n.layer.keeps:  # a factor is kept for the gradient of the other factors
            values.update(root[i] for k, i in enumerate(n.inputs)
                          if any(grad[j] for m, j in enumerate(n.inputs) if m != k))
        if "output" in n.layer.keeps:
            values.add(root[n.id])
        per_sample, per_batch = n.layer.kept_extra([nodes[i].out for i in n.inputs], n.out)
        kept[n.id] = kept[n.id] + per_sample
        fixed += per_batch
    for i in values:
        # under autocast the layers' results are 16-bit; the data stays float32
        size = value_bytes(nodes[i].out, half=amp and nodes[i].op != "input")
        if nodes[i].layer.batchless:
            fixed += size
        else:
            kept[i] = kept[i] + size
    for start, end in graph.each_regions():  # an `each` body runs once per step of a sample
        for i in range(start.id + 1, end.id):
            kept[i] = kept[i] * end.layer.args.steps
    # float32, but batch norm's count of batches seen is an int64
    params = 4 * (graph.total_params + graph.total_buffers) + 4 * sum(n.op == "batchnorm" for n in nodes)
    return TrainingMemory(batch, optimizer, amp, params, 4 * trainable, 4 * state * trainable, kept, fixed,
                          2 * graph.total_params if amp else 0)
