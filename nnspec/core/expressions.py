"""Argument expressions: the value of ``4 * width``, ``[3, 3]`` or ``same`` in a scope.

An expression is evaluated against the parameters in scope (LANGUAGE.md §5). A name that is
no parameter is a :class:`Bare` symbol (``same``, ``max``) for a layer's schema to accept or
refuse; in a shape it is a symbolic dimension instead (``[T, 64]``).

>>> from nnspec.frontend import ast
>>> from nnspec.diagnostics import Span
>>> at = Span("<doc>", 1, 1, 1, 2)
>>> evaluate(ast.BinOp("*", ast.Num(4, at), ast.Ref("width", at), at), {"width": 16})
64
>>> evaluate(ast.Ref("same", at), {})
'same'
"""

from __future__ import annotations

from ..diagnostics import Located, did_you_mean
from ..frontend import ast
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
    if isinstance(v, ast.Not):
        return not _truth(v.operand, params, "not")
    if isinstance(v, ast.BinOp) and v.op in ("and", "or"):
        # both sides are checked even where the first decides: a misspelt name is an error either way
        a, b = _truth(v.left, params, v.op), _truth(v.right, params, v.op)
        return (a and b) if v.op == "and" else (a or b)
    if isinstance(v, ast.BinOp) and v.op in _COMPARISONS:
        return _compare(v, evaluate(v.left, params), evaluate(v.right, params), params)
    if isinstance(v, ast.BinOp):
        a, b = _number(v.left, params, symbolic), _number(v.right, params, symbolic)
        return _arith(v, a, b)
    raise Located("unsupported expression", getattr(v, "span", None))


def plain(v):
    """Strip the :class:`Bare` marker so that schemas see plain strings."""
    t = type(v)
    if t is int or t is float or t is bool or t is str:
        return v
    if isinstance(v, Bare):
        return str(v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


_COMPARISONS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _what(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    return f"the list {plain(x)}" if isinstance(x, list) else f"`{x}`" if isinstance(x, str) else str(x)


def _truth(v, params, op: str) -> bool:
    """The value of an operand of ``and``, ``or`` or ``not``: true or false, nothing else."""
    x = evaluate(v, params)
    if isinstance(x, Bare):
        raise Located(f"unknown name `{x}` in a condition", v.span, names_hint(x, params))
    if not isinstance(x, bool):
        hint = None
        if isinstance(x, (int, float)):
            hint = f"compare it, e.g. `{v.name} == {x}`" if isinstance(v, ast.Ref) else f"compare it, e.g. `... == {x}`"
        raise Located(f"`{op}` needs true or false, got {_what(x)}", v.span, hint)
    return x


def names_hint(name: str, params: dict) -> str | None:
    """A did-you-mean for an unknown name in a condition, else the names it may use."""
    close = did_you_mean(name, params)
    if close or not params:
        return close
    return f"a condition reads parameters: {', '.join(params)}"


def _compare(v: ast.BinOp, a, b, params: dict) -> bool:
    """``==`` and ``!=`` compare any two values (names as names: ``act == relu``); an order
    compares numbers. A size that varies between batches has no value to compare yet."""
    for x, side in ((a, v.left), (b, v.right)):
        if isinstance(x, Sym):
            raise Located(f"`{x}` varies between batches, so a condition cannot depend on it", side.span)
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    if v.op in ("==", "!=") and (numbers or type(plain(a)) is type(plain(b))):
        return _COMPARISONS[v.op](plain(a), plain(b))
    if numbers:
        return _COMPARISONS[v.op](a, b)
    for x, side in ((a, v.left), (b, v.right)):
        if isinstance(x, Bare) and not isinstance(a if x is b else b, Bare):
            raise Located(f"unknown name `{x}` in a condition", side.span, names_hint(x, params))
    raise Located(f"`{v.op}` cannot compare {_what(a)} with {_what(b)}", v.span)


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
