"""The abstract syntax tree: what a `.nn` file says, before any meaning is given to it.

Every node keeps the :class:`~nnspec.diagnostics.Span` it came from so that later phases
can point at the exact token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Span


# -- expressions and values ---------------------------------------------------
@dataclass
class Num:
    value: int | float
    span: Span


@dataclass
class Ref:
    name: str
    span: Span


@dataclass
class BinOp:
    op: str  # + - * / // %
    left: Expr
    right: Expr
    span: Span


@dataclass
class Neg:
    operand: Expr
    span: Span


@dataclass
class Str:
    value: str
    span: Span


@dataclass
class Bool:
    value: bool
    span: Span


@dataclass
class ListV:
    items: list[Value]
    span: Span


Expr = Num | Ref | BinOp | Neg
Value = Num | Ref | BinOp | Neg | Str | Bool | ListV


# -- chains and items -----------------------------------------------------------
@dataclass
class Arg:
    name: str | None
    value: Value
    span: Span
    name_span: Span | None = None


@dataclass
class Call:
    """``conv(64, 3)``, ``relu``, ``Bottleneck(64)``, ``concat(e1)``, ``concat { | ... }`` or a value name."""

    name: str
    args: list[Arg] | None  # None: no parentheses
    branches: list[Body] | None
    span: Span
    name_span: Span


@dataclass
class Repeat:
    count: Expr
    body: Body
    span: Span


@dataclass
class Residual:
    body: Body
    shortcut: Body | str | None  # None: identity, "auto", or an explicit body
    span: Span


@dataclass
class Each:
    body: Body
    span: Span


@dataclass
class Expect:
    dims: list[Expr]
    span: Span


Atom = Call | Repeat | Residual | Each | Expect


@dataclass
class Item:
    label: str | None
    atom: Atom
    span: Span
    label_span: Span | None = None


@dataclass
class Chain:
    items: list[Item]
    span: Span


# -- statements -------------------------------------------------------------------
@dataclass
class Input:
    name: str
    dims: list[Expr]
    dtype: str  # "float" or "int"
    pad: Expr | None
    span: Span
    name_span: Span


@dataclass
class Let:
    name: str
    chain: Chain
    span: Span
    name_span: Span


@dataclass
class Output:
    name: str
    chain: Chain
    span: Span
    name_span: Span


@dataclass
class Setting:
    name: str
    value: Value
    span: Span


@dataclass
class TrainSection:
    settings: list[Setting]
    span: Span


Stmt = Input | Let | Output | Chain | TrainSection


@dataclass
class Body:
    stmts: list[Stmt]
    span: Span


# -- definitions ----------------------------------------------------------------------
@dataclass
class Param:
    name: str
    default: Value | None
    span: Span


@dataclass
class Definition:
    """A ``network`` or a ``block``."""

    kind: str  # "network" or "block"
    name: str
    params: list[Param]
    body: Body
    span: Span
    name_span: Span

    @property
    def train(self) -> TrainSection | None:
        return next((s for s in self.body.stmts if isinstance(s, TrainSection)), None)


@dataclass
class Import:
    path: str
    span: Span


@dataclass
class File:
    path: str
    text: str
    imports: list[Import] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)


def plain(node):
    """A node as nested tuples without its spans: two parses of the same text, however it is
    laid out, compare equal (``plain(parse(fmt(t))) == plain(parse(t))``)."""
    if isinstance(node, list):
        return [plain(n) for n in node]
    if hasattr(node, "__dataclass_fields__"):
        return (type(node).__name__,) + tuple(
            plain(getattr(node, f)) for f in node.__dataclass_fields__ if f != "span" and not f.endswith("_span")
        )
    return node
