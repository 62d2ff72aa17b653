"""The ``if`` decisions behind the differences between instances of one block, and a spec's
condition as code over a generated class's constructor parameters.

Elaboration keeps, on each node, the decisions (:class:`~nnspec.core.ir.Guard`) it lies under
within its block instance, and on each instance those of its parent it was called under. An
item that some instances of a block build and others do not is built on the condition of the
``if`` whose decisions tell them apart (``if exp != in_channels:``), written from the spec's
expression with the spec's names mapped to the constructor's; where no decision tells them
apart there is no condition, and the instances keep classes of their own.

>>> from nnspec.frontend import ast
>>> span = None
>>> e = ast.BinOp("and", ast.BinOp("==", ast.Ref("stride", span), ast.Num(1, span), span),
...               ast.BinOp("==", ast.Ref("inp", span), ast.Ref("out", span), span), span)
>>> from nnspec.core.code import render
>>> render(condition(e, {"stride": "stride", "inp": "in_channels", "out": "out"}))
'stride == 1 and in_channels == out'
>>> render(negated(condition(e.left, {"stride": "stride"})))
'stride != 1'
"""

from __future__ import annotations

from ...core.code import BinOp, Code, Not, Param
from ...core.ir import Guard, Scope
from ...frontend import ast

_OPS = {"+", "-", "*", "//", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or"}
_INVERSE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def condition(expr, names: dict[str, str]) -> Code | None:
    """A spec expression as code: its names through ``names`` (spec name -> constructor
    parameter), numbers and booleans as literals; None when it reads a name ``names`` lacks
    or holds what a condition of generated code cannot (a string, a list)."""
    if isinstance(expr, (ast.Num, ast.Bool)):
        return expr.value
    if isinstance(expr, ast.Ref):
        return Param(names[expr.name]) if expr.name in names else None
    if isinstance(expr, ast.Not):
        inner = condition(expr.operand, names)
        return None if inner is None else negated(inner)
    if isinstance(expr, ast.Neg):
        inner = condition(expr.operand, names)
        return None if inner is None else BinOp(0, "-", inner) if isinstance(inner, Code) else -inner
    if isinstance(expr, ast.BinOp) and expr.op in _OPS:
        left, right = condition(expr.left, names), condition(expr.right, names)
        return None if left is None or right is None else BinOp(left, expr.op, right)
    return None


def negated(code) -> Code:
    """``not code``, a comparison inverted (``a != b`` rather than ``not a == b``)."""
    if isinstance(code, BinOp) and code.op in _INVERSE:
        return BinOp(code.left, _INVERSE[code.op], code.right)
    if isinstance(code, Not):
        return code.value
    return Not(code)


def conjunction(parts: list) -> Code:
    out = parts[0]
    for p in parts[1:]:
        out = BinOp(out, "and", p)
    return out


def decisions(scope: Scope) -> dict:
    """A block instance's own decisions: site -> the branch taken (None for a site decided
    both ways, as in the copies of a ``repeat``)."""
    out: dict = {}
    for g in scope.decisions:
        out[g.site] = g.taken if out.get(g.site, g.taken) == g.taken else None
    return out


def origin(scope: Scope, node) -> tuple[tuple, tuple]:
    """The spec item of ``scope``'s block body a node comes from, as its position, and the
    guards it lies under within that block instance: a node of a nested block instance comes
    from the call of that block."""
    inner = None
    for s in node.scope.ancestors():
        if s is scope:
            break
        if s.kind == "block":
            inner = s
    span, guards = (inner.span, inner.guards) if inner is not None else (node.span, node.guards)
    return ((span.path, span.line, span.col) if span is not None else None), guards


def presence(guards: tuple, decided: list[dict], has: list[bool], names: dict[str, str]) -> Code | None:
    """The condition, over the constructor's parameters, that holds in exactly the instances
    that ``has`` an item lying under ``guards``: the guards whose decisions differ between
    instances, each as the spec wrote it (negated for an ``else``), joined by ``and``. None
    when the decisions do not tell the instances apart, or a condition reads a name the
    constructor lacks."""
    varying: list[Guard] = [g for g in guards if len({d.get(g.site, "unset") for d in decided}) > 1]
    if not varying or any(d.get(g.site) is None for g in varying for d in decided):
        return None
    if any(all(d[g.site] == g.taken for g in varying) != h for d, h in zip(decided, has)):
        return None
    parts = []
    for g in varying:
        code = condition(g.cond, names)
        if code is None:
            return None
        parts.append(code if g.taken else negated(code))
    return conjunction(parts)
