"""The abstract syntax tree: what a `.nn` file says, before any meaning is given to it.

Every node keeps the :class:`~nnspec.diagnostics.Span` it came from so that later phases
can point at the exact token.
"""

from __future__ import annotations

from ..diagnostics import Span


def value_text(v) -> str:
    """A value as a spec writes it: booleans as ``true``/``false``, lists in brackets.

    >>> value_text([1, True, "same", 0.5])
    '[1, true, same, 0.5]'
    """
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(value_text(x) for x in v) + "]"
    return str(v)


class Node:
    """The base of every AST node: its fields are its class annotations, in order, given by
    position or keyword (a class attribute is the default); nodes are equal when of one type
    with equal fields.

    Deliberately not ``@dataclass``: generating two dozen dataclasses costs more at import
    than a whole ``nnspec check`` of a small spec spends on everything else it owns.
    """

    _fields: tuple[str, ...] = ()
    __hash__ = None  # mutable, compared by value

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls._fields = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063 -- own fields only

    def __init__(self, *args, **kw):
        if not kw and len(args) == len(self._fields):  # every field given in order: the parser's way
            self.__dict__.update(zip(self._fields, args))
            return
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes {len(self._fields)} fields, got {len(args)}")
        values = dict(zip(self._fields, args))
        for name, value in kw.items():
            if name not in self._fields or name in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated field {name!r}")
            values[name] = value
        for name in self._fields:
            if name not in values:
                if not hasattr(type(self), name):
                    raise TypeError(f"{type(self).__name__} needs the field {name!r}")
                values[name] = getattr(type(self), name)
        self.__dict__.update(values)

    def __eq__(self, other):
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


# -- expressions and values ---------------------------------------------------
class Num(Node):
    value: int | float
    span: Span


class Ref(Node):
    name: str
    span: Span


class BinOp(Node):
    op: str  # + - * / // %, == != < <= > >=, and or
    left: Expr
    right: Expr
    span: Span


class Neg(Node):
    operand: Expr
    span: Span


class Not(Node):
    operand: Expr
    span: Span


class Str(Node):
    value: str
    span: Span


class Bool(Node):
    value: bool
    span: Span


class ListV(Node):
    items: list[Value]
    span: Span


Expr = Num | Ref | BinOp | Neg | Not
Value = Num | Ref | BinOp | Neg | Not | Str | Bool | ListV


# -- chains and items -----------------------------------------------------------
class Arg(Node):
    name: str | None
    value: Value
    span: Span
    name_span: Span | None = None


class Call(Node):
    """``conv(64, 3)``, ``relu``, ``Bottleneck(64)``, ``concat(e1)``, ``concat { | ... }`` or a value name."""

    name: str
    args: list[Arg] | None  # None: no parentheses
    branches: list[Body] | None
    span: Span
    name_span: Span


class Repeat(Node):
    count: Expr
    body: Body
    span: Span


class Residual(Node):
    body: Body
    shortcut: Body | str | None  # None: identity, "auto", or an explicit body
    span: Span
    shortcut_first: bool = False  # written (and its parameters created) before the body


class Each(Node):
    body: Body
    span: Span


class Expect(Node):
    dims: list[Expr]
    span: Span


class If(Node):
    """``if cond { then } else { orelse }``: decided when the network is elaborated."""

    cond: Expr
    then: Body
    orelse: Body | If | None  # `else if ...` is an If
    span: Span


Atom = Call | Repeat | Residual | Each | Expect | If


class Item(Node):
    label: str | None
    atom: Atom
    span: Span
    label_span: Span | None = None


class Chain(Node):
    items: list[Item]
    span: Span


# -- statements -------------------------------------------------------------------
class Input(Node):
    name: str
    dims: list[Expr]
    dtype: str  # "float" or "int"
    pad: Expr | None
    span: Span
    name_span: Span


class Let(Node):
    name: str
    chain: Chain
    span: Span
    name_span: Span


class Output(Node):
    name: str
    chain: Chain
    span: Span
    name_span: Span


class Setting(Node):
    name: str
    value: Value
    span: Span


class TrainSection(Node):
    settings: list[Setting]
    span: Span


Stmt = Input | Let | Output | Chain | TrainSection


class Body(Node):
    stmts: list[Stmt]
    span: Span


# -- definitions ----------------------------------------------------------------------
class Param(Node):
    name: str
    default: Value | None
    span: Span


class Definition(Node):
    """A ``network`` or a ``block``."""

    kind: str  # "network" or "block"
    name: str
    params: list[Param]
    body: Body
    span: Span
    name_span: Span
    on: list[Expr] | None = None  # a block's `on [C, H, W]`: names for its input's sizes

    @property
    def train(self) -> TrainSection | None:
        return next((s for s in self.body.stmts if isinstance(s, TrainSection)), None)


class Import(Node):
    path: str
    span: Span


class File(Node):
    path: str
    text: str
    imports: list[Import]
    definitions: list[Definition]

    def __init__(self, path: str, text: str, imports: list | None = None, definitions: list | None = None):
        super().__init__(path, text, imports if imports is not None else [], definitions if definitions is not None else [])


def plain(node):
    """A node as nested tuples without its spans: two parses of the same text, however it is
    laid out, compare equal (``plain(parse(fmt(t))) == plain(parse(t))``)."""
    if isinstance(node, list):
        return [plain(n) for n in node]
    if isinstance(node, Node):
        return (type(node).__name__,) + tuple(
            plain(getattr(node, f)) for f in node._fields if f != "span" and not f.endswith("_span")
        )
    return node
