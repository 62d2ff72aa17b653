"""The graph IR: what every backend reads.

A :class:`Graph` is one elaborated network: a list of :class:`Node` in topological order
(blocks inlined, repeats unrolled, names resolved), each with its inferred output type,
parameter count and MACs. :class:`Scope` keeps the block structure so that the diagram can
collapse it and the summary can roll it up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, Span
from .dims import Dim, shape_str

if TYPE_CHECKING:  # the layers build on this module's types
    from .layers.base import Layer


@dataclass(frozen=True)
class TensorType:
    """What flows along an edge: the shape without the batch dimension and the element type.

    ``masked`` marks a padded sequence (from an ``int`` input with ``pad=``): its leading
    dimension is time and some trailing positions are padding. ``pad`` is the padding token id
    while the values are still token ids (``embedding`` reads it as ``padding_idx``).
    ``channels_last`` marks an image whose channels a ``permute`` moved to the last dimension
    (``[H, W, C]``): ``dense`` then acts on the channels at every position.

    >>> from nnspec.core.dims import Sym
    >>> T = Sym.symbol("T")
    >>> TensorType((T,), "int", masked=True, pad=0).with_shape((T, 64), dtype="float")
    TensorType(shape=(Sym('T'), 64), dtype='float', masked=True, pad=None)
    """

    shape: tuple[Dim, ...]
    dtype: str = "float"
    masked: bool = False
    pad: int | None = None
    channels_last: bool = field(default=False, repr=False)
    #: every id is below this, where the ids are made knowing it (``positions``: the sequence's
    #: length); a layer that makes a new value from them (``with_shape``) forgets it
    ids_below: Dim | None = field(default=None, repr=False, compare=False)

    def with_shape(self, shape, keep_mask: bool | None = None, dtype: str | None = None,
                   channels_last: bool = False) -> TensorType:
        """The same kind of value with a new shape; ``dtype`` changes the element type.

        A mask survives while the leading (time) dimension does, unless ``keep_mask`` says
        otherwise; the pad id survives only while the values stay token ids. The channels are
        last only where the caller says so.
        """
        shape = tuple(shape)
        if keep_mask is None:
            keep_mask = bool(shape) and bool(self.shape) and shape[0] == self.shape[0]
        dtype = dtype or self.dtype
        masked = self.masked and keep_mask
        return TensorType(shape, dtype, masked, self.pad if masked and dtype == "int" else None, channels_last)

    def stays_channels_last(self, shape) -> bool:
        """Whether this value's channels are still last once its elements take ``shape``
        (a ``reshape`` of the positions, Swin's windows): it was channels-last, is still an
        image (3 dimensions or more), and its last dimension is still the channels."""
        return self.channels_last and len(shape) >= 3 and shape[-1] == self.shape[-1]

    def __str__(self) -> str:
        return shape_str(self.shape) + (" int" if self.dtype == "int" else "")




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
    #: of a block instance, the parameters the call left at their defaults
    defaulted: tuple = ()
    #: of a block instance, the names its ``on [...]`` gives the input's sizes (None for ``_``
    #: or a number), by position
    on: tuple = ()
    #: of a block instance, the named values given for its parameters (``Up(skip=e4)``):
    #: parameter -> node id, in the block's parameter order; values it reads besides its input
    values: dict = field(default_factory=dict)

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
    ``each_in``/``each_out`` around a time-distributed body; an ``each_out``'s ``pair`` is its
    ``each_in``. ``consumers`` are the nodes that read this one's value, in node order.
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
    label: str | None = None  # the user's label (an input's name), when the item had one
    consumers: list[int] = field(default_factory=list)
    pair: int | None = None

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
    #: the definitions the network and its blocks were elaborated from (name -> the AST's
    #: ``Definition``): the code generator writes each class from its definition
    definitions: dict = field(default_factory=dict, repr=False, compare=False)

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

    @property
    def input_names(self) -> list[str]:
        """The inputs' names, in declaration order."""
        return [self.nodes[i].label for i in self.inputs]

    def uses(self, i: int) -> int:
        """How many times node ``i``'s value is read: by other nodes, and as a result."""
        return len(self.nodes[i].consumers) + sum(j == i for _, j in self.outputs)

    def each_regions(self) -> list[tuple[Node, Node]]:
        """The (``each_in``, ``each_out``) pair of every ``each``, innermost first; the
        body is the nodes between them."""
        return [(self.nodes[n.pair], n) for n in self.nodes if n.role == "each_out"]
