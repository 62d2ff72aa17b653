"""The graph IR: what every backend reads.

A :class:`Graph` is one elaborated network: a list of :class:`Node` in topological order
(blocks inlined, repeats unrolled, names resolved), each with its inferred output type,
parameter count and MACs. :class:`Scope` keeps the block structure so that the diagram can
collapse it and the summary can roll it up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Diagnostic, Span
from .dims import Dim
from .layers.base import Layer, TensorType


@dataclass(eq=False)
class Scope:
    """A naming level: the network, a block instance, or a labelled construct.

    ``path`` is the module prefix (``layer1.0``; empty for the network itself); ``block`` is
    the block's name for a block instance; ``args`` are the instance's bound arguments.
    """

    path: str
    kind: str  # "network", "block", "repeat", "label"
    name: str  # block or network name, or the label
    parent: Scope | None = None
    args: dict = field(default_factory=dict)
    span: Span | None = None
    children: list[Scope] = field(default_factory=list)

    def __post_init__(self):
        if self.parent is not None:
            self.parent.children.append(self)

    def ancestors(self) -> list[Scope]:
        """This scope and its parents, innermost first."""
        out, s = [], self
        while s is not None:
            out.append(s)
            s = s.parent
        return out

    @property
    def depth(self) -> int:
        return len(self.ancestors()) - 1


@dataclass(eq=False)
class Node:
    """One operation. ``op`` is a layer kind from the registry, or ``input``.

    ``role`` marks structural meaning for the backends: ``residual`` on the ``add`` that
    closes a residual (inputs: body, shortcut), ``shortcut`` on the auto projection's nodes,
    ``each_in``/``each_out`` around a time-distributed body.
    """

    id: int
    op: str
    layer: Layer | None
    inputs: list[int]
    name: str | None
    scope: Scope
    span: Span | None
    out: TensorType | None = None
    params: int = 0
    buffers: int = 0
    macs: Dim = 0
    role: str | None = None
    label: str | None = None  # the user's label, when the item had one

    @property
    def failed(self) -> bool:
        return self.out is None


@dataclass
class Graph:
    """An elaborated, shape-checked network."""

    network: str
    nodes: list[Node]
    inputs: list[int]  # input nodes, in declaration order
    outputs: list[tuple[str | None, int]]  # (output name or None, node id), in order
    root: Scope
    params: dict  # the network's parameters after defaults and overrides
    diagnostics: list[Diagnostic] = field(default_factory=list)
    train: dict = field(default_factory=dict)  # the `train { }` section's settings
    values: dict = field(default_factory=dict)  # the network's `let` names and inputs -> node id

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    def node(self, i: int) -> Node:
        return self.nodes[i]

    @property
    def total_params(self) -> int:
        return sum(n.params for n in self.nodes)

    @property
    def total_buffers(self) -> int:
        return sum(n.buffers for n in self.nodes)

    @property
    def total_macs(self) -> Dim:
        total: Dim = 0
        for n in self.nodes:
            total = total + n.macs
        return total

    def output_types(self) -> list[TensorType | None]:
        return [self.nodes[i].out for _, i in self.outputs]

    def consumers(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {n.id: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                out[i].append(n.id)
        return out
