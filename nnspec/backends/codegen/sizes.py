"""Sizes of a definition as symbols, and symbols as code: ``(H - 1) // stride + 1`` from a
:class:`~nnspec.core.dims.Sym`, sizes an ``if`` chooses between, and the exceptions of a walk."""

from __future__ import annotations

import ast as pyast
import operator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from ...core.code import BinOp, IfElse, Not, Param, render, rewrite
from ...core.dims import Sym, equal
from ...core.ir import TensorType
from ...core.layers.base import SIZES_ARE_PARAMETERS

UNKNOWN = None
#: a size no expression of the class's parameters gives (the result of a loop that halves it)
UNKNOWN_SIZE = Sym.symbol("_unknown")


class SameSize(Exception):
    """An identity residual or an ``add`` says that a size of the class's input is a size its
    body computes (``in_channels`` is ``width``): the class is generated again with that."""

    def __init__(self, name: str, value):
        super().__init__(name)
        self.name, self.value = name, value


class Unsupported(Exception):
    """A construct the definition walk does not cover (yet)."""


# -- symbols as code ---------------------------------------------------------------------------
def sym_code(d):
    """A size as a code value: an int stays one, a :class:`Sym` becomes an expression over
    :class:`Param` names (``(H - 1) // stride + 1``)."""
    if not isinstance(d, Sym):
        return d
    text = str(tidy(d))
    try:
        # a size an if chooses reads this generation's table; any other is the same code always
        return _py(pyast.parse(text, mode="eval").body) if "_chosen" in text else _parsed(text)
    except SyntaxError:  # a size named like a Python keyword (`if`): no code can read it
        raise Unsupported(f"a size named {d}") from None


@lru_cache(maxsize=4096)
def _parsed(text: str):
    return _py(pyast.parse(text, mode="eval").body)


ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod,
          "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
          ">=": operator.ge}
_OPS = {pyast.Add: "+", pyast.Sub: "-", pyast.Mult: "*", pyast.FloorDiv: "//", pyast.Div: "/"}


#: the sizes an ``if`` makes differ by branch, while a module's source is generated: symbol ->
#: (condition, size where it holds, size where not), written ``a if cond else b``
CHOSEN: ContextVar[dict] = ContextVar("chosen")


def chosen(cond, a, b) -> Sym:
    """A size that is ``a`` where ``cond`` holds and ``b`` elsewhere, as one symbol."""
    known = _constant(cond)
    if known is not None:
        return a if known else b
    if equal(a, b):
        return a
    if isinstance(cond, BinOp) and cond.op in ("==", "!=") and \
            {(sym_code(a), sym_code(b)), (sym_code(b), sym_code(a))} == {(cond.left, cond.right), (cond.right, cond.left)}:
        return a if cond.op == "!=" else b  # `exp if exp != inp else inp` is `exp`
    if isinstance(cond, BinOp) and cond.op in ("==", "!=") and isinstance(cond.left, Param) and type(cond.right) is int:
        # the branch that holds where `p != v` gives the other's size at `p == v`: it is the size
        # (`expand * inp if expand != 1 else inp` is `expand * inp`)
        wide, narrow = (a, b) if cond.op == "!=" else (b, a)
        if equal(subst(wide, {cond.left.name: cond.right}), narrow):
            return wide
    table = CHOSEN.get()
    for name, entry in table.items():
        if entry[0] == cond and equal(entry[1], a) and equal(entry[2], b):
            return Sym.symbol(name)
    name = f"_chosen{len(table) + 1}"
    table[name] = (cond, a, b)
    return Sym.symbol(name)


def _constant(code):
    """The value of a condition without names (``2 == 1``), or None."""
    if isinstance(code, (bool, int, float)):
        return code
    if isinstance(code, Not):
        v = _constant(code.value)
        return None if v is None else not v
    if isinstance(code, BinOp) and (code.op in ARITH or code.op in ("and", "or")):
        a, b = _constant(code.left), _constant(code.right)
        if a is None or b is None:
            return None
        if code.op in ("and", "or"):
            return (a and b) if code.op == "and" else (a or b)
        try:
            return ARITH[code.op](a, b)
        except ArithmeticError:
            return None
    return None


def _py(node):
    if isinstance(node, pyast.Constant):
        return node.value
    if isinstance(node, pyast.Name):
        entry = CHOSEN.get().get(node.id)
        if entry is not None:
            return IfElse(sym_code(entry[1]), entry[0], sym_code(entry[2]))
        return Param(node.id)
    if isinstance(node, pyast.UnaryOp) and isinstance(node.op, pyast.USub):
        inner = _py(node.operand)
        return -inner if isinstance(inner, int) else BinOp(0, "-", inner)
    if isinstance(node, pyast.BinOp):
        return _folded(_py(node.left), _OPS[type(node.op)], _py(node.right))
    if isinstance(node, pyast.Call):  # ceil(a / b): -(-a // b)
        num, den = _py(node.args[0].left), _py(node.args[0].right)
        return BinOp(0, "-", BinOp(BinOp(0, "-", num), "//", den))
    raise Unsupported(f"size {pyast.dump(node)}")


def _folded(left, op: str, right):
    """``left op right``, with a constant added to a floor division by a number folded into
    it: ``(H - 2) // 2 + 1`` is ``H // 2``."""
    if op in ("+", "-") and type(right) is int and isinstance(left, BinOp) and left.op == "//" \
            and type(left.right) is int and left.right > 0:
        shift = (right if op == "+" else -right) * left.right
        inner = left.left
        if isinstance(inner, BinOp) and inner.op in ("+", "-") and type(inner.right) is int:
            shift += inner.right if inner.op == "+" else -inner.right
            inner = inner.left
        if shift:
            inner = BinOp(inner, "+" if shift > 0 else "-", abs(shift))
        return BinOp(inner, "//", left.right)
    return BinOp(left, op, right)


def as_code(value):
    """Any value of a walk (a size, a list, a code value) as a code value."""
    return rewrite(value, lambda v: sym_code(v) if isinstance(v, Sym) else None)


def subst(d, env: dict):
    """A size with its symbols replaced by sizes (``env``: symbol -> int or Sym)."""
    if not isinstance(d, Sym):
        return d
    total = 0
    for mono, c in d.terms.items():
        term = c
        for atom in mono:
            if isinstance(atom, str) and atom in CHOSEN.get():
                cond, a, b = CHOSEN.get()[atom]
                term = term * chosen(rewrite(cond, lambda v: as_code(env[v.name]) if isinstance(v, Param) and v.name in env
                                             else None), subst(a, env), subst(b, env))
            elif isinstance(atom, str):
                term = term * env.get(atom, Sym.symbol(atom))
            else:
                num, den = subst(atom.num, env), subst(atom.den, env)
                term = term * (-(-num // den) if atom.ceil else num // den)
        total = total + term
    return total


def tidy(d):
    """A size written as a person would: a constant that a division's divisor divides comes out
    of it (``(H - 2) // 2 + 1`` is ``H // 2``), so that nested divisions fold (``size // 16``).
    The same size for every value of its symbols."""
    if not isinstance(d, Sym):
        return d
    total = 0
    for mono, c in d.terms.items():
        term = c
        for atom in mono:
            if isinstance(atom, str):
                term = term * Sym.symbol(atom)
                continue
            num, den = tidy(atom.num), tidy(atom.den)
            const = num.terms.get((), 0) if isinstance(num, Sym) else 0
            if isinstance(den, int) and den > 0 and const and const % den == 0:
                num, shift = num - const, const // den  # (x + q*d) // d == x // d + q
            else:
                shift = 0
            term = term * ((-(-num // den) if atom.ceil else num // den) + shift)
        total = total + term
    return total


def symbols_of(d) -> set:
    return d.symbols() if isinstance(d, Sym) else set()


def is_size(v) -> bool:
    return isinstance(v, Sym) or (type(v) is int)


def same_type(a: TensorType, b: TensorType) -> bool:
    return (len(a.shape) == len(b.shape) and a.dtype == b.dtype
            and all(equal(x, y) for x, y in zip(a.shape, b.shape)))


def shape_str_code(shape) -> str:
    """A shape as a comment shows it: its sizes as code, ``?`` where no expression gives one."""
    def size(d) -> str:
        if "_unknown" in symbols_of(d):
            return "?"
        try:
            return render(sym_code(d))
        except Unsupported:
            return str(d)  # a size no code can read (named `if`) is still a comment's text

    return "[" + ", ".join(size(d) for d in shape) + "]"


@contextmanager
def symbolic(what: str):
    """A layer kind's own rules (shapes, code) run on a definition's symbols: a rule written for
    numbers that fails on them is a construct this walk does not cover (:class:`Unsupported`)."""
    token = SIZES_ARE_PARAMETERS.set(True)
    try:
        yield
    except Unsupported:
        raise
    except Exception as e:  # noqa: BLE001 -- any rule that needs numbers
        raise Unsupported(f"{what}: {e}") from None
    finally:
        SIZES_ARE_PARAMETERS.reset(token)


def resized(t: TensorType, shape) -> TensorType:
    """``t`` with other sizes, and everything else it says (padded, channels last) kept."""
    return t.with_shape(tuple(shape), keep_mask=t.masked, channels_last=t.channels_last)
