"""Scans of a definition's body in the spec's syntax tree: the calls and labels it holds, and the
names that decide its structure."""

from __future__ import annotations

from ...frontend import ast


def calls_in(body: ast.Body):
    """Every call in a body, nested bodies included."""
    for stmt in body.stmts:
        chain = stmt.chain if isinstance(stmt, (ast.Let, ast.Output)) else stmt
        if not isinstance(chain, ast.Chain):
            continue
        for item in chain.items:
            yield from _atom_calls(item.atom)


def labels_in(body: ast.Body):
    """Every label in a body, nested bodies included."""
    for stmt in body.stmts:
        chain = stmt.chain if isinstance(stmt, (ast.Let, ast.Output)) else stmt
        if not isinstance(chain, ast.Chain):
            continue
        for item in chain.items:
            if item.label is not None:
                yield item.label
            atom = item.atom
            bodies = [b for b in (getattr(atom, "body", None), getattr(atom, "then", None),
                                  getattr(atom, "shortcut", None), getattr(atom, "orelse", None)) if isinstance(b, ast.Body)]
            bodies += list(getattr(atom, "branches", None) or [])
            if isinstance(getattr(atom, "orelse", None), ast.If):
                bodies.append(ast.Body([ast.Chain([ast.Item(None, atom.orelse, atom.span)], atom.span)], atom.span))
            for b in bodies:
                yield from labels_in(b)


def _atom_calls(atom):
    if isinstance(atom, ast.Call):
        yield atom
        for b in atom.branches or []:
            yield from calls_in(b)
    elif isinstance(atom, (ast.Repeat, ast.Each)):
        yield from calls_in(atom.body)
    elif isinstance(atom, ast.Residual):
        yield from calls_in(atom.body)
        if isinstance(atom.shortcut, ast.Body):
            yield from calls_in(atom.shortcut)
    elif isinstance(atom, ast.If):
        yield from calls_in(atom.then)
        if isinstance(atom.orelse, ast.If):
            yield from _atom_calls(atom.orelse)
        elif atom.orelse is not None:
            yield from calls_in(atom.orelse)


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
