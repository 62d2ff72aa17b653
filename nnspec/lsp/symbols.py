"""Every name of a program, where it is defined and where it is used: what go to
definition, find references, rename and document highlights read.

A symbol is a key: ``("block", name)``, ``("network", name)``, ``("param", definition,
name)`` (a parameter, or a size named by ``on [...]``), ``("value", definition, name)`` (an
input, a ``let`` or an ``output``) or ``("label", definition, name)``. A keyword argument of a
block call (``Bottleneck(64, stride=2)``) is a use of the block's parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Span
from ..frontend import ast
from ..frontend.program import Program
from .analysis import contains, name_span, walk


@dataclass(frozen=True)
class Occurrence:
    key: tuple
    span: Span  # the name itself
    definition: bool


def occurrences(program: Program) -> list[Occurrence]:
    """Every definition and use of a name, in the files of ``program``."""
    blocks = program.blocks
    out: list[Occurrence] = []
    for f in program.files:
        for d in f.definitions:
            out += _in_definition(d, blocks, {n for n, x in program.definitions.items() if x.kind == "network"})
    return out


def _in_definition(d: ast.Definition, blocks, networks) -> list[Occurrence]:
    out = [Occurrence((d.kind, d.name), d.name_span, True)]
    params = {p.name for p in d.params}
    for p in d.params:
        out.append(Occurrence(("param", d.name, p.name), name_span(p.span, p.name), True))
    for e in d.on or []:
        if isinstance(e, ast.Ref):
            params.add(e.name)
            out.append(Occurrence(("param", d.name, e.name), e.span, True))
    values = {s.name for n in walk(d.body) if isinstance(n, ast.Body)
              for s in n.stmts if isinstance(s, (ast.Input, ast.Let, ast.Output))}
    roots = [p.default for p in d.params if p.default is not None] + [d.body]
    for root in roots:
        for n in walk(root):
            if isinstance(n, (ast.Input, ast.Let, ast.Output)):
                out.append(Occurrence(("value", d.name, n.name), n.name_span, True))
            elif isinstance(n, ast.Item) and n.label is not None and n.label_span is not None:
                out.append(Occurrence(("label", d.name, n.label), n.label_span, True))
            elif isinstance(n, ast.Call):
                if n.args is None and not n.branches and n.name in values:
                    out.append(Occurrence(("value", d.name, n.name), n.name_span, False))
                elif n.name in params:  # a parameter that holds a layer kind or a block (`act`)
                    out.append(Occurrence(("param", d.name, n.name), n.name_span, False))
                elif n.name in blocks or n.name in networks:
                    kind = "block" if n.name in blocks else "network"
                    out.append(Occurrence((kind, n.name), n.name_span, False))
                    for a in n.args or []:
                        if a.name is not None and a.name_span is not None and n.name in blocks:
                            out.append(Occurrence(("param", n.name, a.name), a.name_span, False))
            elif isinstance(n, ast.Ref):
                key = (("param", d.name, n.name) if n.name in params else ("value", d.name, n.name)
                       if n.name in values else ("block", n.name) if n.name in blocks else None)
                if key is not None:
                    out.append(Occurrence(key, n.span, False))
    return out


def at(occs: list[Occurrence], path: str, line: int, col: int) -> Occurrence | None:
    """The occurrence under the position, if any."""
    return next((o for o in occs if o.span.path == path and contains(o.span, line, col)), None)


def of(occs: list[Occurrence], key: tuple) -> list[Occurrence]:
    """Every occurrence of a symbol, its definition first."""
    return sorted((o for o in occs if o.key == key), key=lambda o: (not o.definition, o.span.path, o.span.line, o.span.col))
