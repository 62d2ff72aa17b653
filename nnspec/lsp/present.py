"""What the editor shows of an analysis: inlay hints (the shape each chain line gives) and
hover text (a layer's shape, parameters, MACs and PyTorch module; a block call's roll-up; a
block's signature and instances; a parameter's value; a value's shape).

Texts are Markdown; positions are the parser's (see :mod:`.analysis`).
"""

from __future__ import annotations

from ..core.ir import Scope, TensorType
from ..counts import human
from ..frontend import ast
from ..frontend.ast import value_text
from ..frontend.fmt import value
from .analysis import Analysis, contains, name_span, path_to, walk

#: the most instances a hover lists, and the most shapes one inlay hint shows
MAX_LISTED = 8
MAX_SHAPES = 3


def inlay_hints(a: Analysis) -> list[tuple[int, int, str]]:
    """``(line, col, text)``: at the end of each line of a chain, the shape its last item
    gives there (in a block, each distinct shape of its instances)."""
    f = a.file
    if f is None:
        return []
    best: dict[int, tuple[int, str]] = {}  # line -> (column, text): the outermost item ending last wins
    for d in f.definitions:
        for chain in (n for n in walk(d.body) if isinstance(n, ast.Chain)):
            last: dict[int, ast.Item] = {}
            for item in chain.items:
                last[item.span.end_line] = item
            for line, item in last.items():
                types = a.types_of(item.atom)
                if types and (line not in best or item.span.end_col > best[line][0]):
                    best[line] = (item.span.end_col, shapes_text(types))
    return [(line, col, text) for line, (col, text) in sorted(best.items())]


def shapes_text(types: list[TensorType]) -> str:
    """``[64, 56, 56]``, or the first few of several: ``[64, 56, 56] | [128, 28, 28] | … (4)``."""
    shown = " | ".join(str(t) for t in types[:MAX_SHAPES])
    return shown + (f" | … ({len(types)})" if len(types) > MAX_SHAPES else "")


def hover(a: Analysis, line: int, col: int) -> tuple[str, object] | None:
    """The hover text at a position and the span it is about, or None."""
    d = a.definition_at(line, col)
    if d is None:
        return None
    if contains(d.name_span, line, col):
        return (_block(a, d) if d.kind == "block" else _network(a, d)), d.name_span
    for p in d.params:
        if contains(name_span(p.span, p.name), line, col):
            return _param(a, d, p.name), name_span(p.span, p.name)
    path = path_to(d, line, col)
    node = path[-1]
    params = {p.name for p in d.params} | {e.name for e in d.on or [] if isinstance(e, ast.Ref)}
    if isinstance(node, ast.Ref) and node.name in params:
        return _param(a, d, node.name), node.span
    if isinstance(node, ast.Ref) and node.name in _values(d):  # `concat(e1)`, `Up(skip=e1)`
        return _value(a, d, node.name), node.span
    if isinstance(node, (ast.Input, ast.Let, ast.Output)) and contains(node.name_span, line, col):
        return _value(a, d, node.name), node.name_span
    if isinstance(node, ast.Setting) and contains(name_span(node.span, node.name), line, col):
        return _setting(node.name), name_span(node.span, node.name)
    item = next((n for n in reversed(path) if isinstance(n, ast.Item)), None)
    if item is not None and item.label_span is not None and contains(item.label_span, line, col):
        return _item(a, item.atom, item.label), item.label_span
    call = next((n for n in reversed(path) if isinstance(n, ast.Call)), None)
    if call is not None and contains(call.name_span, line, col):
        if call.name in params:
            return _param(a, d, call.name), call.name_span
        if call.args is None and not call.branches and call.name in _values(d):
            return _value(a, d, call.name), call.name_span
        return _item(a, call, item.label if item is not None and item.atom is call else None), call.name_span
    return None


def _setting(name: str) -> str | None:
    """A ``train { }`` key: its default and, for a choice, the values it takes."""
    from dataclasses import MISSING, fields

    from ..train.config import CHOICES, Settings  # pure Python, as check uses it

    f = next((f for f in fields(Settings) if f.name == name), None)
    if f is None:
        return None
    default = f.default if f.default is not MISSING else f.default_factory()
    text = f"training setting `{name}`, default {'none' if default is None else value_text(default)}"
    if name in CHOICES:
        text += f"; one of {', '.join(CHOICES[name])}"
    return text


def _values(d: ast.Definition) -> dict[str, ast.Node]:
    return {s.name: s for n in walk(d.body) if isinstance(n, ast.Body) for s in n.stmts
            if isinstance(s, (ast.Input, ast.Let, ast.Output))}


def _counts(params: int, macs) -> str:
    return f"{params:,} parameters, {human(macs)} MACs"


def _item(a: Analysis, atom, label: str | None) -> str | None:
    """A layer's or block call's text: per instance, its module, shapes and counts."""
    head = f"`{label}: {atom.name}`" if label else f"`{atom.name}`"
    if atom.span in a.nodes_at and not (isinstance(atom, ast.Call) and atom.name in a.spec.program.blocks):
        nodes = a.nodes_at[atom.span]
        layer = next((n.layer for n in nodes if n.layer is not None), None)
        lines = [f"**{head}**" + (f" — {_kind_summary(layer.kind)}" if layer is not None else "")]
        rows = []
        for n in nodes[:MAX_LISTED]:
            entered = ", ".join(str(a_type) for a_type in _inputs(a, n))
            rows.append(f"- `{n.name or '(no module)'}`: {entered} → {n.out or 'error'}; {_counts(n.params, n.macs)}")
        lines += rows + _more(len(nodes))
        torch = _torch(a, nodes)
        if torch:
            lines += ["", "PyTorch:", "```python", *torch, "```"]
        return "\n".join(lines)
    scopes = a.scopes_at.get(atom.span, [])
    if not scopes:
        return None
    lines = [f"**{head}** — block" if atom.name in a.spec.program.blocks else f"**{head}**"]
    for s in scopes[:MAX_LISTED]:
        info = a.scope_info[id(s)]
        lines.append(f"- `{s.path}`{_args(s)}: {info.entered or '?'} → {info.out or 'error'}; "
                     f"{_counts(info.params, info.macs)}")
    return "\n".join(lines + _more(len(scopes)))


def _inputs(a: Analysis, n) -> list[TensorType]:
    return [t for t in a.entered.get(id(n), []) if t is not None]


def _torch(a: Analysis, nodes) -> list[str]:
    """The distinct PyTorch modules the nodes build (for their first input)."""
    out: list[str] = []
    for n in nodes:
        types = _inputs(a, n)
        if n.layer is None or not types or n.out is None:
            continue
        code = n.layer.torch_module(types[0])
        if code and code not in out:
            out.append(code)
        if len(out) == MAX_SHAPES:
            break
    return out


def _kind_summary(kind: str) -> str:
    from ..core.catalogue import entries

    e = entries().get(kind)
    return e.summary if e is not None else ""


def _more(n: int) -> list[str]:
    return [f"- … and {n - MAX_LISTED} more"] if n > MAX_LISTED else []


def _args(s: Scope) -> str:
    if not s.args:
        return ""
    return " (" + ", ".join(f"{k}={_shown(v)}" for k, v in s.args.items()) + ")"


def _shown(v) -> str:
    return value_text(v) if isinstance(v, (bool, int, float, str, list)) else str(v)


def signature(d: ast.Definition) -> str:
    """``block Bottleneck(width, stride = 1) on [C, _, _]``, as the file declares it."""
    params = ", ".join(p.name + (f" = {value(p.default)}" if p.default is not None else "") for p in d.params)
    text = f"{d.kind} {d.name}" + (f"({params})" if d.params else "")
    if d.on:
        text += " on [" + ", ".join(value(e) for e in d.on) + "]"
    return text


def _instances(a: Analysis, name: str) -> list[Scope]:
    return sorted((s for ss in a.scopes_at.values() for s in ss if s.kind == "block" and s.name == name),
                  key=lambda s: s.path)


def _block(a: Analysis, d: ast.Definition) -> str:
    lines = ["```nnspec", signature(d), "```"]
    scopes = _instances(a, d.name)
    if scopes:
        lines.append(f"{len(scopes)} instance{'s' if len(scopes) != 1 else ''}:")
        for s in scopes[:MAX_LISTED]:
            info = a.scope_info[id(s)]
            lines.append(f"- `{s.path}`{_args(s)}: {info.entered or '?'} → {info.out or 'error'}; "
                         f"{_counts(info.params, info.macs)}")
        lines += _more(len(scopes))
    return "\n".join(lines)


def _network(a: Analysis, d: ast.Definition) -> str:
    lines = ["```nnspec", signature(d), "```"]
    g = next((g for g in a.graphs if g.network == d.name), None)
    if g is not None:
        outs = ", ".join(str(t) for t in g.output_types() if t is not None)
        lines.append(f"{_counts(g.total_params, g.total_macs)}" + (f"; output {outs}" if outs else ""))
    return "\n".join(lines)


def _param(a: Analysis, d: ast.Definition, name: str) -> str:
    if d.kind == "network":
        g = next((g for g in a.graphs if g.network == d.name), None)
        values = [g.params[name]] if g is not None and name in g.params else []
    else:
        values = []
        for s in _instances(a, d.name):
            v = s.args.get(name)
            entered = a.scope_info[id(s)].entered
            if v is None and name in s.on and entered is not None:  # a size its `on [...]` names
                v = entered.shape[s.on.index(name)]
            if v is not None and _shown(v) not in values:
                values.append(_shown(v))
    shown = ", ".join(_shown(v) for v in values[:MAX_LISTED]) + (", …" if len(values) > MAX_LISTED else "")
    return f"parameter `{name}` of `{d.name}`" + (f" = {shown}" if shown else "")


def _value(a: Analysis, d: ast.Definition, name: str) -> str:
    stmt = _values(d).get(name)
    if isinstance(stmt, ast.Input):
        g = next((g for g in a.graphs if g.network == d.name), None)
        i = g.values.get(name) if g is not None else None
        types = [g.nodes[i].out] if i is not None and g.nodes[i].out is not None else []
        what = "input"
    else:
        types = a.types_of(stmt.chain.items[-1].atom) if stmt is not None else []
        what = "output" if isinstance(stmt, ast.Output) else "value"
    return f"{what} `{name}`" + (f": {shapes_text(types)}" if types else "")
