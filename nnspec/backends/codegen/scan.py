"""Scans of a definition's body in the spec's syntax tree: the calls and labels it holds."""

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

