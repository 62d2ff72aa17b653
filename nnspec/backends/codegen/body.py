"""The body of a generated class as values: the modules ``__init__`` registers and the lines
of ``forward``. Two block instances whose bodies are equal but for numbers can share a class
(:mod:`.share`); :mod:`.emit` writes a body as text. The value a line computes is kept beside
it (not compared) so that its shape comment can be written for every instance a class serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.code import STRUCTURE, Code

#: the value id of a module or line an instance lacks, which its class builds or runs for others
#: (no shape of this instance to show)
ABSENT = -1


def _value():
    """A field holding the id of a graph value: not part of the code, never compared."""
    return field(default=None, compare=False, metadata=STRUCTURE)


@dataclass(frozen=True)
class Module:
    """A submodule registered under ``key``: a layer's module, a class instance or a container."""

    key: str = field(metadata=STRUCTURE)
    value: Code = None
    #: in a container run as one chain, the value this module returns (its shape comment)
    returns: int | None = _value()


@dataclass(frozen=True)
class Container(Code):
    """``nn.Sequential(...)``, ``nn.ModuleList([...])`` or ``nn.ModuleDict({...})`` of modules."""

    kind: str = field(metadata=STRUCTURE)  # "Sequential", "ModuleList" or "ModuleDict"
    items: tuple = ()


@dataclass(frozen=True)
class Assign:
    """``target = expr`` in forward, commented with the shape of ``value`` (or with ``note``)."""

    target: str = field(metadata=STRUCTURE)
    expr: Code = None
    value: int | None = _value()
    note: str | None = field(default=None, metadata=STRUCTURE)


@dataclass(frozen=True)
class Comment:
    """A comment line of forward (spec text, escaped when written)."""

    text: str = field(metadata=STRUCTURE)


@dataclass(frozen=True)
class If:
    """``if cond:`` over forward lines, and ``else:`` over ``orelse`` where it has lines."""

    cond: Code = None
    then: tuple = ()
    orelse: tuple = ()


@dataclass(frozen=True)
class Absent(Code):
    """No module: an instance without the module its class builds for others (``None``)."""


@dataclass(frozen=True)
class Built(Code):
    """A module built only where ``cond`` holds (``None`` elsewhere; left out of an
    ``nn.Sequential``). The condition is structure: its numbers (``squeeze > 0``) are the spec's
    own, never sizes to explain."""

    cond: Code = field(default=None, metadata=STRUCTURE)
    value: Code = None


@dataclass(frozen=True)
class Return:
    names: tuple = field(metadata=STRUCTURE)


@dataclass(frozen=True)
class Body:
    """A class body: its base, its modules, and (unless it is an ``nn.Sequential``) forward's
    arguments and lines."""

    base: str = field(metadata=STRUCTURE)  # "nn.Module", "nn.Sequential" or "nn.ModuleList"
    modules: tuple = ()
    args: tuple = field(default=(), metadata=STRUCTURE)
    forward: tuple = ()


def shaped(body: Body) -> list[int]:
    """The values whose shapes a body's comments show, in the order they are written."""
    out: list[int] = []

    def visit(modules):
        for m in modules:
            value = m.value.value if isinstance(m.value, Built) else m.value
            if isinstance(value, Container):
                visit(value.items)
            if m.returns is not None:
                out.append(m.returns)

    def lines(stmts):
        for s in stmts:
            if isinstance(s, If):
                lines(s.then)
                lines(s.orelse)
            elif isinstance(s, Assign) and s.value is not None:
                out.append(s.value)

    visit(body.modules)
    lines(body.forward)
    return out
