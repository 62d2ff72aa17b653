"""One version of a document, analysed once: loaded with its imports, checked as ``nnspec
check`` checks it, each network elaborated, and indexed by source span so that the editor's
questions (what is at this position, which shapes does this line give) are look-ups.

Positions here are the parser's: lines and columns count from 1, in characters; the server
converts them to and from the editor's units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.dims import Dim
from ..core.ir import Graph, Node, Scope, TensorType
from ..diagnostics import Diagnostic, Span
from ..frontend import ast
from ..frontend.program import load_program
from ..spec import Spec


@dataclass
class ScopeInfo:
    """A block instance's (or labelled construct's) roll-up: the type that entered it, the
    type its last node gives, its parameters and MACs."""

    entered: TensorType | None = None
    out: TensorType | None = None
    params: int = 0
    macs: Dim = 0


@dataclass
class Analysis:
    """What the server knows of one version of a document."""

    path: str
    text: str
    spec: Spec
    #: the diagnostics ``nnspec check`` gives for this text, in its order
    diagnostics: list[Diagnostic]
    #: each network's graph; when the file has errors, as far as elaboration got
    graphs: list[Graph]
    #: the nodes made from a call, by the call's span (several: a block's body, a repeat)
    nodes_at: dict[Span, list[Node]] = field(default_factory=dict)
    #: block instances and labelled constructs, by the span of the call or item that made them
    scopes_at: dict[Span, list[Scope]] = field(default_factory=dict)
    #: of each node (by id), the types of its inputs
    entered: dict[int, list[TensorType | None]] = field(default_factory=dict)
    #: of each scope (by id), what it takes, gives and holds
    scope_info: dict[int, ScopeInfo] = field(default_factory=dict)

    @property
    def file(self) -> ast.File | None:
        """The document's own AST (None when it does not parse)."""
        main = self.spec.program.main
        return main if main is not None and main.path == self.path else None

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    def types_of(self, atom) -> list[TensorType]:
        """The distinct types an item's atom gives, over every instance of it (a line of a
        block gives one per instance that differs)."""
        nodes = self.nodes_at.get(atom.span, [])
        if (isinstance(atom, ast.Call) and atom.name in self.spec.program.blocks) or not nodes:
            outs = [self.scope_info[id(s)].out for s in self.scopes_at.get(atom.span, [])]
        else:
            outs = [n.out for n in nodes]
        return _distinct(t for t in outs if t is not None)

    def definition_at(self, line: int, col: int) -> ast.Definition | None:
        f = self.file
        if f is None:
            return None
        return next((d for d in f.definitions if contains(d.span, line, col)), None)


def analyse(text: str, path: str) -> Analysis:
    """Load ``text`` as the file ``path`` (imports relative to it), check it and elaborate
    every network."""
    program = load_program(text, path, store=False)
    spec = Spec(program)
    diagnostics = spec.check()
    graphs = []
    for name in spec.networks:
        if program.definitions.get(name) is not program.networks()[spec.networks.index(name)]:
            continue  # a network defined twice: the first is the one checked
        if not any(d.severity == "error" for d in program.diagnostics):
            graphs.append(spec.graph(name))  # check made it: it is remembered
            continue
        try:  # shapes up to the error: check reports these errors, elaboration only feeds the hints
            graphs.append(spec.graph(name))
        except Exception:  # noqa: BLE001 -- a broken program may stop elaboration anywhere; check said why
            continue
    a = Analysis(path, text, spec, diagnostics, graphs)
    for g in graphs:
        _index(a, g)
    return a


def _index(a: Analysis, g: Graph) -> None:
    for n in g.nodes:
        if n.span is not None and n.op != "input":
            a.nodes_at.setdefault(n.span, []).append(n)
            a.entered[id(n)] = [g.nodes[i].out for i in n.inputs]
        for s in n.scope.ancestors():
            info = a.scope_info.get(id(s))
            if info is None:
                info = a.scope_info[id(s)] = ScopeInfo(g.nodes[n.inputs[0]].out if n.inputs else None)
                if s.span is not None and s.kind in ("block", "label"):
                    a.scopes_at.setdefault(s.span, []).append(s)
            info.out = n.out or info.out
            info.params += n.params
            info.macs = info.macs + n.macs


def _distinct(types) -> list[TensorType]:
    out, seen = [], set()
    for t in types:
        if str(t) not in seen:
            seen.add(str(t))
            out.append(t)
    return out


def contains(span: Span | None, line: int, col: int) -> bool:
    """Whether the position lies in the span, its end included (a cursor just after a name is on it)."""
    if span is None:
        return False
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def children(node):
    """The AST nodes directly under ``node``."""
    for f in node._fields:
        v = getattr(node, f)
        if isinstance(v, ast.Node):
            yield v
        elif isinstance(v, list):
            yield from (x for x in v if isinstance(x, ast.Node))


def walk(node):
    """Every AST node under ``node`` (itself first), depth first, with a stack of its own."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))


def path_to(node, line: int, col: int) -> list:
    """The nodes from ``node`` down to the innermost one holding the position."""
    out = [node]
    while True:
        inner = next((c for c in children(out[-1]) if contains(getattr(c, "span", None), line, col)), None)
        if inner is None:
            return out
        out.append(inner)


def name_span(span: Span, name: str) -> Span:
    """The part of ``span`` that is ``name``, at its start (a parameter's span holds its default too)."""
    return Span(span.path, span.line, span.col, span.line, span.col + len(name))
