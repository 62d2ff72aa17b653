"""Python code as values, and the one place that writes them as source text.

A layer kind says what its module's constructor is and how its forward calls it as values of
this module (``Call(Name("nn.Conv2d"), (3, 64, 7), (("stride", 2),))``), never as text. Numbers
stay numbers: the code generator compares the code of block instances as values, finds the
numbers in which they differ (:func:`numbers`) and puts expressions over a class's constructor
parameters in their place (:func:`substitute`). :func:`render` is the only place a value becomes
text: strings and numbers are written as ``repr`` literals, so nothing from a spec reaches the
source but as a literal.

>>> render(call("nn.Conv2d", 3, 64, [3, 3], stride=2, bias=None))
'nn.Conv2d(3, 64, 3, stride=2)'
>>> conv = call("nn.Conv2d", 256, 64, 1)
>>> numbers(conv)
[256, 64, 1]
>>> render(substitute(conv, {0: BinOp(4, "*", Param("width")), 1: Param("width")}))
'nn.Conv2d(4 * width, width, 1)'
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any


class Code:
    """A piece of Python code: an expression nnspec writes into generated source."""


# A field that is structure, not code: never a number to explain, never substituted.
STRUCTURE = {"structure": True}
_STRUCTURE = STRUCTURE


@dataclass(frozen=True)
class Name(Code):
    """A name nnspec itself writes (``nn.Conv2d``, ``torch.cat``, a runtime helper, a local
    variable of a forward): never text from a spec."""

    text: str


@dataclass(frozen=True)
class Param(Code):
    """A constructor parameter of a generated class (``width``)."""

    name: str = field(metadata=_STRUCTURE)


@dataclass(frozen=True)
class Call(Code):
    """``func(*args, **kwargs)``; ``kwargs`` is a tuple of ``(name, value)`` pairs."""

    func: Any
    args: tuple = ()
    kwargs: tuple = ()


@dataclass(frozen=True)
class Attr(Code):
    """``obj.name``."""

    obj: Any
    name: str = field(metadata=_STRUCTURE)


@dataclass(frozen=True)
class Index(Code):
    """``obj[i, j]``: ``items`` are values or :class:`Slice`."""

    obj: Any
    items: tuple


@dataclass(frozen=True)
class Slice(Code):
    """``start:stop:step`` inside an :class:`Index` (``:`` when all are None)."""

    start: Any = None
    stop: Any = None
    step: Any = None


@dataclass(frozen=True)
class BinOp(Code):
    """``left op right`` for ``+``, ``-``, ``*``, ``//``, ``/``, ``%``, a comparison, ``is not``,
    ``and`` or ``or``."""

    left: Any
    op: str = field(metadata=_STRUCTURE)
    right: Any = None


@dataclass(frozen=True)
class IfElse(Code):
    """``then if cond else other``."""

    then: Any
    cond: Any
    other: Any


@dataclass(frozen=True)
class Not(Code):
    """``not value``."""

    value: Any


@dataclass(frozen=True)
class ListOf(Code):
    """``[a, b]``."""

    items: tuple


@dataclass(frozen=True)
class TupleOf(Code):
    """``(a, b)``, written as a tuple whatever its entries."""

    items: tuple


@dataclass(frozen=True)
class Ref(Code):
    """A submodule reached from ``self`` (``self.layer1[0].conv1``): each step is ``(key, how)``,
    how ``"."`` (an attribute), ``"[]"`` (a position in a list), ``"getattr"`` or ``"item"`` (a
    key that is no identifier, of ``self`` or of a dict). The keys are names the code generator
    has checked, and strings are written as literals."""

    steps: tuple = field(metadata=_STRUCTURE)


@dataclass(frozen=True)
class Instance(Code):
    """A call of a generated class (``Bottleneck(64)``): ``cls`` is its number, named once every
    class is known."""

    cls: int = field(metadata=_STRUCTURE)
    args: tuple = ()
    kwargs: tuple = ()


@dataclass(frozen=True)
class Defaulted(Code):
    """A keyword's value that is left out where it is its ``default`` (PyTorch's), so that
    code reads as a person writes it (``nn.Conv2d(64, 64, 3)``, no ``stride=1``); it is still
    there to compare, so a class can take it as a parameter (``stride=stride``)."""

    value: Any
    default: Any = field(default=None, metadata=STRUCTURE)

    @property
    def omitted(self) -> bool:
        return (not isinstance(self.value, Code) or isinstance(self.value, Name)) and self.value == self.default


@dataclass(frozen=True)
class Repeat(Code):
    """``count`` modules built alike, in a container: ``*[value for _ in range(count)]``."""

    value: Any
    count: Any = 1


def call(func: str | Code, *args, **kwargs) -> Call:
    """``func(*args, **kwargs)`` with keywords whose value is None left out; a spec's list of
    equal entries is that entry (``kernel=[3, 3]`` is ``3``), any other list a tuple."""
    fn = Name(func) if isinstance(func, str) else func
    return Call(fn, tuple(_arg(a) for a in args), tuple((k, _arg(v)) for k, v in kwargs.items() if v is not None))


def _arg(value):
    if isinstance(value, Defaulted):
        return Defaulted(_arg(value.value), _arg(value.default))
    if isinstance(value, list):
        if value and len(set(map(repr, value))) == 1:
            return _arg(value[0])
        return TupleOf(tuple(_arg(v) for v in value))
    return value


def as_float(value):
    """A number as a float literal (``nn.Dropout(1.0)``, not ``1``); a symbol the code generator
    walks a definition with (a block's ``p``) stays itself."""
    return float(value) if isinstance(value, (int, float)) else value


def method(obj, name: str, *args, **kwargs) -> Call:
    """``obj.name(*args, **kwargs)``."""
    return call(Attr(obj, name), *args, **kwargs)


# -- numbers as leaves ---------------------------------------------------------------------------
def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _code_fields(cls: type) -> tuple[str, ...] | None:
    """The fields of a value's class that hold code (not structure), looked up once; None
    for a class that is no dataclass (a number, a string)."""
    try:
        return _FIELDS[cls]
    except KeyError:
        names = None
        if is_dataclass(cls):
            names = tuple(f.name for f in fields(cls) if not f.metadata.get("structure"))
        _FIELDS[cls] = names
        return names


def _cached(value, key: str, make):
    """``make(value)``, kept on a value (immutable, so it never changes) when it can hold it."""
    store = getattr(value, "__dict__", None)
    if store is None or not is_dataclass(value):
        return make(value)
    if key not in store:
        object.__setattr__(value, key, make(value))
    return store[key]


def map_numbers(value, fn, start: int = 0) -> tuple[Any, int]:
    """``value`` with each number replaced by ``fn(index, number)``, numbers counted from
    ``start`` in a fixed order; returns the new value and the count after it."""
    count = start

    def walk(v):
        nonlocal count
        if _is_number(v):
            count += 1
            return fn(count - 1, v)
        if isinstance(v, (tuple, list)):  # a list is kept as a tuple: values are compared and hashed
            return tuple(walk(x) for x in v)
        names = _code_fields(type(v))
        if names is not None:
            if not names:
                return v
            changes = {}
            for name in names:
                old = getattr(v, name)
                new = walk(old)
                if new is not old:
                    changes[name] = new
            return replace(v, **changes) if changes else v
        return v

    return walk(value), count


def counts(value) -> set[int]:
    """The indices (as :func:`numbers` counts) of the numbers that are repeat counts."""
    found: set[int] = set()
    count = 0

    def walk(v, is_count=False):
        nonlocal count
        if _is_number(v):
            if is_count:
                found.add(count)
            count += 1
        elif isinstance(v, (tuple, list)):
            for x in v:
                walk(x)
        elif is_dataclass(v) and not isinstance(v, type):
            for name in _code_fields(type(v)):
                walk(getattr(v, name), isinstance(v, Repeat) and name == "count")

    walk(value)
    return found


def numbers(value) -> list:
    """The numbers of a value, in order."""
    return list(_cached(value, "_numbers", _numbers))


def _numbers(value) -> tuple:
    found: list = []

    def walk(v):
        if _is_number(v):
            found.append(v)
        elif isinstance(v, (tuple, list)):
            for x in v:
                walk(x)
        else:
            for name in _code_fields(type(v)) or ():
                walk(getattr(v, name))

    walk(value)
    return tuple(found)


def holes(value):
    """``value`` with every number replaced by one mark: equal holes, the same code but for numbers."""
    return _cached(value, "_holes", lambda v: map_numbers(v, lambda i, n: _HOLE)[0])


_HOLE = Name("#")


def parts_of(value, kind: type) -> list:
    """The parts of ``value`` of type ``kind``, in order (outermost first; a part's own parts
    are not searched).

    >>> [p.name for p in parts_of(BinOp(Param("a"), "*", Param("b")), Param)]
    ['a', 'b']
    """
    if isinstance(value, kind):
        return [value]
    if isinstance(value, (tuple, list)):
        return [p for v in value for p in parts_of(v, kind)]
    if is_dataclass(value) and not isinstance(value, type):
        return [p for f in fields(value) if not f.metadata.get("structure") for p in parts_of(getattr(value, f.name), kind)]
    return []


def params_in(value) -> list[str]:
    """The constructor parameters a value reads, in order."""
    return [p.name for p in parts_of(value, Param)]


def rewrite(value, leaf) -> Any:
    """``value`` with each part that ``leaf`` answers for replaced by its answer, top down:
    ``leaf(part)`` is a replacement, or None to look inside the part (its tuples, lists and
    fields that are not structure).

    >>> render(rewrite(BinOp(Name("x"), "+", 1), lambda v: Name("y") if v == Name("x") else None))
    'y + 1'
    """
    new = leaf(value)
    if new is not None:
        return new
    if isinstance(value, (tuple, list)):
        return type(value)(rewrite(v, leaf) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: rewrite(getattr(value, f.name), leaf) for f in fields(value)
                   if not f.metadata.get("structure")}
        return replace(value, **changes) if changes else value
    return value


def substitute(value, exprs: dict[int, Any], start: int = 0) -> Any:
    """``value`` with its numbers at the given indices replaced by expressions."""
    return map_numbers(value, lambda i, n: exprs.get(i, n), start)[0]


# -- text ----------------------------------------------------------------------------------------
# Python's: a comparison is written with both operands above it, so that two never chain
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "is not")
_PRECEDENCE = {"if": 0, "or": 1, "and": 2, "not": 3, **dict.fromkeys(_COMPARISONS, 4), "+": 5, "-": 5,
               "*": 6, "//": 6, "/": 6, "%": 6}


def literal(value) -> str:
    """A Python literal: numbers, strings (quoted by ``repr``), booleans, None."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float, str)):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def _quoted(key: str) -> str:
    """A module key in double quotes; keys are identifiers or indices, checked before."""
    if not (key.isidentifier() or key.isdigit()) or not key.isascii():
        raise ValueError(f"not a module key: {key!r}")
    return f'"{key}"'


def render(value, names: dict[int, str] | None = None) -> str:
    """The source text of a value; ``names`` gives the names of generated classes."""
    return _render(value, names or {}, 0)


def _render(v, names, outer: int) -> str:
    r = lambda x, p=0: _render(x, names, p)
    if not isinstance(v, Code):
        if isinstance(v, (list, tuple)):
            return r(TupleOf(tuple(v)))
        text = literal(v)
        return f"({text})" if outer > 7 and _is_number(v) and v < 0 else text
    if isinstance(v, Name):
        return v.text
    if isinstance(v, Param):
        return v.name
    if isinstance(v, Defaulted):
        return r(v.value, outer)
    if isinstance(v, Call):
        parts = [r(a) for a in v.args] + [f"{k}={r(a)}" for k, a in _keywords(v)]
        return f"{r(v.func, 9)}({', '.join(parts)})"
    if isinstance(v, Attr):
        return f"{r(v.obj, 9)}.{v.name}"
    if isinstance(v, Index):
        return f"{r(v.obj, 9)}[{', '.join(r(i) for i in v.items)}]"
    if isinstance(v, Slice):
        text = ("" if v.start is None else r(v.start)) + ":" + ("" if v.stop is None else r(v.stop))
        return text + (f":{r(v.step)}" if v.step is not None else "")
    if isinstance(v, BinOp):
        p = _PRECEDENCE[v.op]
        # a right operand of the same precedence keeps its parentheses unless the operator is
        # associative (`a * (b // c)` is not `a * b // c`)
        right = p if v.op in ("+", "*") and isinstance(v.right, BinOp) and v.right.op == v.op else p + 1
        left = p + 1 if v.op in _COMPARISONS else p
        text = f"{r(v.left, left)} {v.op} {r(v.right, right)}"
        return f"({text})" if p < outer else text
    if isinstance(v, IfElse):
        text = f"{r(v.then, 1)} if {r(v.cond, 1)} else {r(v.other)}"
        return f"({text})" if outer > 0 else text
    if isinstance(v, Not):
        text = f"not {r(v.value, 3)}"
        return f"({text})" if outer > 3 else text
    if isinstance(v, ListOf):
        return f"[{', '.join(r(i) for i in v.items)}]"
    if isinstance(v, TupleOf):
        inner = ", ".join(r(i) for i in v.items)
        return f"({inner},)" if len(v.items) == 1 else f"({inner})"
    if isinstance(v, Ref):
        out = "self"
        for key, how in v.steps:
            if how == ".":
                out += f".{key}"
            elif how == "[]":
                out += f"[{int(key)}]"
            elif how == "getattr":
                out = f"getattr({out}, {_quoted(key)})"
            else:
                out += f"[{_quoted(key)}]"
        return out
    if isinstance(v, Repeat):
        return f"*[{r(v.value)} for _ in range({r(v.count)})]"
    if isinstance(v, Instance):
        parts = [r(a) for a in v.args] + [f"{k}={r(a)}" for k, a in _keywords(v)]
        return f"{names[v.cls]}({', '.join(parts)})"
    raise TypeError(f"cannot render {type(v).__name__}")


def _keywords(c: Call | Instance) -> list:
    return [(k, a) for k, a in c.kwargs if not (isinstance(a, Defaulted) and a.omitted)]


def render_wrapped(value: Call | Instance, indent: int, names: dict[int, str] | None = None) -> str:
    """A call with one argument a line, closed at ``indent``."""
    names = names or {}
    if isinstance(value, Instance):
        head = names[value.cls]
        parts = [_render(a, names, 0) for a in value.args] + [f"{k}={_render(a, names, 0)}" for k, a in _keywords(value)]
    else:
        head = _render(value.func, names, 9)
        parts = [_render(a, names, 0) for a in value.args] + [f"{k}={_render(a, names, 0)}" for k, a in _keywords(value)]
    if not parts:
        return render(value, names)
    pad = " " * indent
    return f"{head}(" + "".join(f"\n{pad}    {p}," for p in parts) + f"\n{pad})"
