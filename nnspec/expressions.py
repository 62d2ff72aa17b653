"""Argument expressions: the value of ``4 * width``, ``[3, 3]`` or ``same`` in a scope.

An expression is evaluated against the parameters in scope (LANGUAGE.md §5). A name that is
no parameter is a :class:`Bare` symbol (``same``, ``max``) for a layer's schema to accept or
refuse; in a shape it is a symbolic dimension instead (``[T, 64]``).

>>> from nnspec import ast
>>> from nnspec.diagnostics import Span
>>> at = Span("<doc>", 1, 1, 1, 2)
>>> evaluate(ast.BinOp("*", ast.Num(4, at), ast.Ref("width", at), at), {"width": 16})
64
>>> evaluate(ast.Ref("same", at), {})
'same'
"""

from __future__ import annotations

from . import ast
from .diagnostics import Located, did_you_mean
from .dims import Sym


class Bare(str):
    """A bare identifier used as an argument value: a symbol such as ``same``, or a value name."""


def evaluate(v: ast.Value, params: dict, symbolic: bool = False):
    """The value of an argument expression. A name that is not a parameter is a :class:`Bare`
    symbol (``same``), or with ``symbolic`` a :class:`Sym` dimension."""
    if isinstance(v, (ast.Num, ast.Str, ast.Bool)):
        return v.value
    if isinstance(v, ast.ListV):
        return [evaluate(x, params, symbolic) for x in v.items]
    if isinstance(v, ast.Ref):
        if v.name in params:
            return params[v.name]
        return Sym.symbol(v.name) if symbolic else Bare(v.name)
    if isinstance(v, ast.Neg):
        return -_number(v.operand, params, symbolic)
    if isinstance(v, ast.BinOp):
        a, b = _number(v.left, params, symbolic), _number(v.right, params, symbolic)
        return _arith(v, a, b)
    raise Located("unsupported expression", getattr(v, "span", None))


def plain(v):
    """Strip the :class:`Bare` marker so that schemas see plain strings."""
    if isinstance(v, Bare):
        return str(v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def _number(v, params, symbolic):
    x = evaluate(v, params, symbolic)
    if isinstance(x, Bare):
        raise Located(f"unknown name `{x}` in an expression", v.span, did_you_mean(x, params))
    if isinstance(x, (bool, str, list)):
        raise Located(f"arithmetic needs numbers, got {x!r}", v.span)
    return x


def _arith(v: ast.BinOp, a, b):
    op = v.op
    symbolic = isinstance(a, Sym) or isinstance(b, Sym)
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op in ("/", "//", "%") and isinstance(b, (int, float)) and b == 0:
            raise Located("division by zero", v.right.span)
        if op == "/":
            if symbolic:
                q = a.exact_div(b) if isinstance(a, Sym) and isinstance(b, int) else None
                if q is None:
                    raise Located(f"`{a} / {b}` does not divide exactly", v.span, "use `//` for floor division")
                return q
            if isinstance(a, int) and isinstance(b, int) and a % b == 0:
                return a // b
            return a / b
        if op == "//":
            if symbolic and not (isinstance(b, int) and b > 0):
                raise Located("a symbolic dimension divides only by a positive integer", v.right.span)
            r = a // b
            return int(r) if isinstance(r, float) and isinstance(a, int) else r
        if op == "%":
            if symbolic:
                raise Located("`%` needs known sizes", v.span)
            return a % b
    except TypeError:
        raise Located(f"cannot compute `{op}` on {a} and {b}", v.span) from None
    raise Located(f"unknown operator {op}", v.span)
