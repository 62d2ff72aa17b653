"""Scans of a definition's body in the spec's syntax tree: the calls and labels it holds, and the
names that decide its structure."""

from __future__ import annotations

from ...frontend import ast


def calls_in(body: ast.Body) -> list[ast.Call]:
    """Every call in a body, nested bodies included."""
    return [n for n in _nodes(body) if isinstance(n, ast.Call)]


def labels_in(body: ast.Body) -> list[str]:
    """Every label in a body, nested bodies included."""
    return [n.label for n in _nodes(body) if isinstance(n, ast.Item) and n.label is not None]


def _nodes(node):
    """A syntax tree's nodes, the node itself first."""
    yield node
    for name in node._fields:
        value = getattr(node, name, None)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, ast.Node):
                yield from _nodes(v)


def structural_names(body: ast.Body) -> set[str]:
    """The names a body's ``repeat`` counts and ``if`` conditions read: values that decide which
    modules there are, not only their sizes."""
    out: set[str] = set()
    for node in _nodes(body):
        expr = node.count if isinstance(node, ast.Repeat) else node.cond if isinstance(node, ast.If) else None
        if expr is not None:
            out |= {n.name for n in _nodes(expr) if isinstance(n, ast.Ref)}
    return out


def names_read(body: ast.Body) -> set[str]:
    """Every name a body reads: calls (a value's name starts a chain) and references in arguments."""
    return {n.name for n in _nodes(body) if isinstance(n, (ast.Call, ast.Ref))}
