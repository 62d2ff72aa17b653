"""Python names in generated source: spec names checked and made identifiers, and the names
the generated module itself takes (its imports, its runtime helpers)."""

from __future__ import annotations

import ast
import re

from ...core.ir import Graph, Node, Scope
from ...core.names import PYTHON_NAMES, TOP_NAMES, python_name
from ...diagnostics import Diagnostic, SpecError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INDEX = re.compile(r"(0|[1-9][0-9]*)\Z")


def is_name(text: str) -> bool:
    """Whether ``text`` is an ASCII identifier (a keyword too)."""
    return bool(_NAME.match(text))


def is_attribute(key: str) -> bool:
    """Whether a module key can be written as an attribute (``self.conv1``)."""
    return is_name(key) and key not in _KEYWORDS


_KEYWORDS = frozenset(__import__("keyword").kwlist)


def fail(message: str, scope: Scope | None, node: Node | None = None, hint: str | None = None):
    span = (node.span if node is not None else None) or (scope.span if scope is not None else None)
    raise SpecError([Diagnostic("error", message, span, hint)])


def identifier(name: str, scope: Scope, what: str, suffix_taken=frozenset()) -> str:
    """A spec name as a Python identifier; a name Python or the module has gets a trailing ``_``."""
    if not isinstance(name, str) or not _NAME.match(name):
        fail(f"{what} `{name}` is not a valid identifier", scope)
    return python_name(name, suffix_taken)



def runtime(graph: Graph) -> list[str]:
    """The helper sources the graph's layer kinds need, each once, in order of first use."""
    out: list[str] = []
    for n in graph.nodes:
        text = type(n.layer).runtime.strip() if n.layer is not None else ""
        if text and text not in out:
            out.append(text)
    return out


def top_level_names(source: str) -> set[str]:
    """The functions, classes and variables a piece of Python source defines at its top level."""
    out: set[str] = set()
    for stmt in ast.parse(source).body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            out.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            out |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    return out


def taken(graph: Graph) -> frozenset:
    """Names a spec's name must not take: the module's own and its helpers' top-level names."""
    return TOP_NAMES | top_level_names("\n\n".join(runtime(graph)))


def class_name(graph: Graph) -> str:
    """The name of the network's class in the generated source."""
    return identifier(graph.network, graph.root, "a network name", suffix_taken=taken(graph))


def free(name: str, taken_names) -> bool:
    """Whether a spec name can be a local variable of a forward as it is."""
    return bool(_NAME.match(name)) and name not in PYTHON_NAMES and name not in taken_names
