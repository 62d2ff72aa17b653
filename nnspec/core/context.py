"""What elaboration carries through a body: its context (:class:`Ctx`), its naming level
(:class:`Naming`), and the limits that keep a spec from elaborating without end."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..frontend.ast import value_text
from .expressions import Bare
from .ir import Scope

#: "no value flows here yet": the top of a network with several inputs, or none. A failed
#: value is None instead, and is passed on silently so that nothing cascades.
NOTHING = -1

#: the most nodes one network may elaborate to: a guard against `repeat 10**9`
MAX_NODES = 100_000
#: the most numbers one value may hold per example (PyTorch indexes sizes with 64-bit ints, and a
#: value of more than 8 GiB per example is a mistake rather than a model)
MAX_VALUES = 2**31
#: a value whose size grows with symbols must hold at most :data:`MAX_VALUES` numbers per example
#: for each symbol up to this size, not only at 1: a symbol stands for a size of the data, and
#: ``[T, 1000000000]`` fits at T = 1 but asks for 40 GB at a batch of 10 sequences of 10
ROOM = 64
#: how deep block instances may nest (elaboration recurses once per level)
MAX_BLOCK_DEPTH = 500


@dataclass
class Naming:
    """A naming level: its IR scope, the counter for unlabelled items and the labels used."""

    scope: Scope
    counter: int = 0
    labels: dict = field(default_factory=dict)

    def child(self, name: str) -> str:
        return f"{self.scope.path}.{name}" if self.scope.path else name


@dataclass
class Ctx:
    """What a body sees: parameters, value names and where its modules are named."""

    params: dict
    naming: Naming
    values: dict = field(default_factory=dict)  # name -> node id
    value_spans: dict = field(default_factory=dict)
    used: set = field(default_factory=set)
    failed: set = field(default_factory=set)  # value names whose chain failed (reported already)
    stack: tuple = ()  # block names being expanded
    in_block: bool = False
    arg_spans: dict = field(default_factory=dict)  # a block parameter -> the argument that gave it


def shown(v) -> str:
    """A value for a message: text quoted with its control characters escaped, so that a
    message never carries a line break or a terminal escape from a spec or a flag."""
    if isinstance(v, str):
        if isinstance(v, Bare):
            return f"the name `{v}`"
        text = repr(str(v))
        return text if len(text) <= 40 else text[:37] + "...\""
    if type(v) in (int, float, bool, list):
        text = value_text(v)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a Python {type(v).__name__}"
