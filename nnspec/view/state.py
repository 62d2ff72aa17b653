"""What the ``nnspec view`` page shows of a spec file, as one JSON-able dict: the diagram
(SVG), what each of its boxes is (for hover and click), the summary table and the errors.

Computed from the file on disk, without torch, the same way ``check``, ``summary`` and
``diagram`` compute theirs.
"""

from __future__ import annotations

import os

from ..backends.diagram.structure import Run, Stack, Stage, analyse
from ..counts import human
from ..diagnostics import SpecError
from ..frontend.ast import value_text


def version(path: str) -> str:
    """What changes when the file does (its modification time and size), or ``missing``."""
    try:
        info = os.stat(path)
    except OSError:
        return "missing"
    return f"{info.st_mtime_ns}-{info.st_size}"


def state(path: str, network: str | None = None, expand: list[str] | None = None) -> dict:
    """The page's content for the file at ``path``: ``version``, ``file``, ``networks``,
    ``network``, ``svg`` (or None), ``items`` (by diagram id), ``summary`` (rows and totals,
    or None) and ``errors`` (each as ``check`` prints it)."""
    from ..spec import load

    out = {"version": version(path), "file": path, "networks": [], "network": None, "svg": None, "items": {},
           "summary": None, "errors": [], "warnings": []}
    try:
        spec = load(path)
        out["networks"] = spec.networks
        diags = spec.check()
        out["warnings"] = [d.render(spec.sources) for d in diags if d.severity == "warning"]
        errors = [d for d in diags if d.severity == "error"]
        if errors:
            out["errors"] = [d.render(spec.sources) for d in errors]
            return out
        name = spec.network_name(network if network in spec.networks else spec.networks[0] if spec.networks else None)
        out["network"] = name
        graph = spec.checked_graph(name)
        expand = [e for e in expand or [] if e]
        out["summary"] = _summary(spec.summary(name))
        out["items"] = _items(spec, graph, expand)
        out["svg"] = _svg(spec.to_dot(name, expand=expand or None))
    except SpecError as e:
        out["errors"] += [d.render(e.sources) for d in e.diagnostics]
    except _RenderError as e:
        out["errors"].append(str(e))
    return out


class _RenderError(Exception):
    """Graphviz could not draw the diagram (``dot`` missing or failing); its message says why."""


def _svg(dot: str) -> str:
    from ..backends.diagram.render import RenderError, render

    try:
        svg = render(dot, "svg").decode()
    except RenderError as e:
        raise _RenderError(str(e)) from None
    return svg[svg.index("<svg"):]  # the XML prologue and doctype cannot sit inside a page


def _summary(summary) -> dict:
    return {
        "rows": [{**r.to_json(), "macs": human(r.macs) if r.macs else "", "shape": _shape(r.shape)}
                 for r in summary.rows],
        "params": f"{summary.total_params:,}",
        "macs": human(summary.total_macs),
    }


def _shape(shape) -> str:
    return "" if shape is None else "[" + ", ".join(str(d) for d in shape) + "]"


def _line(spec, span) -> dict | None:
    if span is None:
        return None
    text = spec.sources.get(span.path, "").split("\n")
    source = text[span.line - 1].strip() if 0 < span.line <= len(text) else ""
    return {"where": f"{os.path.basename(span.path)}:{span.line}", "source": source}


def _items(spec, graph, expand: list[str]) -> dict:
    """Each box and frame of the diagram, by its id (a box's SVG title; a frame's is
    ``cluster_`` and its id): what it is, and for a run, a stack or an expanded block, the
    ``--expand`` change a click makes."""
    st = analyse(graph, expand or None)
    out: dict[str, dict] = {}
    for n in graph.nodes:
        drawn = st.ids.get(n.id)
        if drawn is None or drawn.startswith(("run:", "stack:", "stage:")):
            continue
        out[drawn] = {
            "kind": "input" if n.op == "input" else n.layer.describe(),
            "module": n.label if n.op == "input" else n.name or "",
            "shape": str(n.out) if n.out else "",
            "params": f"{n.params:,}",
            "macs": human(n.macs),
            "line": _line(spec, n.span),
        }

    def visit(group):
        for item in group.items:
            if isinstance(item, Run):
                first, last = item.scopes[0], item.scopes[-1]
                out[item.id] = {"kind": f"{first.name}{_args(first)} ×{len(item.scopes)}", "module": f"{first.path} … {last.path}",
                                "shape": str(item.nodes[-1].out or ""), "params": f"{item.params:,}",
                                "macs": human(sum_macs(item.nodes)), "line": _line(spec, first.span),
                                "expand": first.path}
            elif isinstance(item, (Stack, Stage)):
                s = item.scope
                out[item.id] = {"kind": s.name + _args(s), "module": s.path, "shape": str(item.nodes[-1].out or ""),
                                "params": f"{item.params:,}", "macs": human(sum_macs(item.nodes)),
                                "line": _line(spec, s.span), "expand": s.path}
        for g in group.groups:
            if g.kind == "block" and g.scope is not None:
                undo = [e for e in expand if _covers(e, g.scope.path)]
                out["cluster_" + g.key] = {"kind": g.scope.name + _args(g.scope), "module": g.scope.path,
                                           "params": f"{g.params:,}", "line": _line(spec, g.scope.span),
                                           **({"collapse": undo} if undo else {})}
            visit(g)

    visit(st.root)
    return out


def sum_macs(nodes):
    total = 0
    for n in nodes:
        total = total + n.macs
    return total


def _covers(expanded: str, path: str) -> bool:
    """Whether expanding ``expanded`` is what draws the block at ``path`` in full."""
    return expanded == path or path.startswith(expanded + ".") or expanded.startswith(path + ".")


def _args(scope) -> str:
    if not scope.args:
        return ""
    return "(" + ", ".join(value_text(v) if isinstance(v, (bool, int, float, str, list)) else str(v)
                           for v in scope.args.values()) + ")"
