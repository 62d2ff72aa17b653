"""What a walk of a definition makes: values in ``forward``, lines of ``__init__`` and
``forward`` as data (:class:`Stmt`), and what callers of a generated class know of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.code import Code, Repeat, params_in
from ...core.ir import TensorType
from .sizes import Unsupported


# -- what the walk makes -----------------------------------------------------------------------
@dataclass
class Value:
    """A tensor in ``forward``: the variable (or expression) holding it, its type over the
    class's symbols, and its spatial reduction since the class's input (None: unknown)."""

    code: Code
    t: TensorType
    red: object = 1
    lengths: Code | None = None  # each sequence's true length, where the value is padded


@dataclass
class Stmt:
    """A line of ``__init__`` or ``forward``: ``kind`` is ``set`` (a module under a key),
    ``add`` (an entry of an ``nn.Sequential``), ``extend`` (a run of entries), ``flag``,
    ``assign``, ``if`` or ``return``."""

    kind: str
    key: str | None = None
    code: object = None
    note: str | None = None
    then: list = field(default_factory=list)
    orelse: list = field(default_factory=list)
    count: object = None


@dataclass
class ClassInfo:
    """A generated class, as its callers see it."""

    name: str
    params: list  # (name, default code or None); the input's sizes it needs come first
    sizes: list  # (constructor parameter, (value index, dimension)) for the input sizes it takes
    values: list  # the parameters that are values, forward's arguments after x
    kinds: set  # the parameters that hold layer kinds
    kinds_of: dict = field(default_factory=dict)  # kind parameter -> a kind an instance gives it
    default_values: dict = field(default_factory=dict)
    size_symbols: dict = field(default_factory=dict)  # symbol -> (value index, dimension)
    rank: tuple = ()
    renamed: dict = field(default_factory=dict)
    lengths: list = field(default_factory=list)  # the inputs whose lengths forward takes, by index
    out: TensorType | None = None
    red: object = 1
    text: str = ""
    #: the class of one instance's arguments (the definition walked with their numbers): where
    #: the definition over symbols uses what only numbers decide, the class has no parameters
    #: rather than parameters that would not mean the block's for every value
    concrete: bool = False


def dim_names(rank: int) -> list[str]:
    return {1: ["in_features"], 2: ["L", "in_features"], 3: ["in_channels", "H", "W"],
            4: ["in_channels", "D", "H", "W"]}.get(rank, [f"d{k}" for k in range(rank)])


def starred(entries: list) -> list:
    out = []
    for s in entries:
        if s.kind == "extend":
            out.append(Repeat(s.code, s.count))
        elif s.kind == "add":
            out.append(s.code)
        else:
            raise Unsupported("a condition in a labelled repeat")
    return out


def all_stmts(stmts):
    for s in stmts:
        yield s
        yield from all_stmts(s.then)
        yield from all_stmts(s.orelse)


_INIT = ("set", "add", "extend", "local", "for", "sequence", "dict")


def is_init(s: Stmt) -> bool:
    if s.kind != "if":
        return s.kind in _INIT
    inner = list(all_stmts(s.then)) + list(all_stmts(s.orelse))
    return bool(inner) and all(t.kind in _INIT or t.kind == "if" for t in inner)


def used_by_init(stmts: list) -> set:
    """The names the modules of ``__init__`` read."""
    out: set = set()
    for s in all_stmts(stmts):
        if s.kind in ("set", "add", "extend", "if", "for"):
            out.update(params_in(s.code), params_in(s.count))
        if s.kind == "local":
            out.update(p for p in params_in(s.code) if p != s.key)
    return out

