"""Graph IR -> DOT text. Pure: the same graph and options always give the same text.

>>> from nnspec import load
>>> g = load('network N { input x: [4]\\n dense(2) }').graph()
>>> print(to_dot(g).splitlines()[0])
digraph "N" {
"""

from __future__ import annotations

from ...core.ir import Graph, Node
from ...counts import human
from ...frontend.ast import value_text
from . import style
from .structure import Group, Run, Stack, Stage, Structure, analyse
from .style import FONT, html, quote, small


def to_dot(graph: Graph, expand=None, direction: str = "TB", shapes: bool = True, compact: bool = False,
           depth: int | None = None) -> str:
    """The diagram of a typed graph as DOT text for Graphviz's ``dot``.

    ``expand``: ``"all"``, or block names / module paths whose runs of identical instances
    are drawn one by one (by default a run of N collapses to one node marked ``×N``);
    ``direction``: ``TB`` (top to bottom) or ``LR``; ``shapes``: label every edge with the
    tensor shape it carries (``[64, 56, 56]``, batch dimension left out); ``compact``: fold
    activations and normalisations into the layer before them (``conv 64 3×3`` then a line
    ``+ batchnorm + relu``), for slides; ``depth``: draw each block instance or labelled group
    nested deeper than ``depth`` as one box (0: the network's top-level stages).
    """
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction must be TB or LR, got {direction!r}")
    st = analyse(graph, expand, compact=compact, depth=depth)
    st.shapes = shapes
    out = [f"digraph {quote(graph.network)} {{"]
    out += _header(st, direction)
    out += _group_body(st, st.root, "  ")
    out += _outputs(st, shapes)
    out += _edge_lines(st, shapes, side="e" if direction == "TB" else "s")
    out.append("}")
    return "\n".join(out) + "\n"


def _header(st: Structure, direction: str) -> list[str]:
    font, text, muted = quote(FONT), quote(style.TEXT), quote(style.MUTED)
    return [
        # A left-to-right diagram is wide: its title belongs where reading starts.
        (f"  graph [rankdir={direction}, fontname={font}, fontcolor={text}, labelloc=t, "
         f"labeljust={'c' if direction == 'TB' else 'l'}, "
         'nodesep=0.3, ranksep=0.32, pad=0.3, newrank=true, bgcolor="white", '
         f"label=<{_title(st)}>];"),
        (f"  node [fontname={font}, fontsize=11, fontcolor={text}, shape=box, "
         'style="rounded,filled", penwidth=1.2, margin="0.14,0.05", height=0.3];'),
        (f"  edge [fontname={font}, fontsize=9, fontcolor={muted}, color={quote(style.EDGE)}, "
         "arrowsize=0.6, penwidth=1.0];"),
    ]


def _title(st: Structure) -> str:
    g = st.graph
    facts = f"{human(g.total_params)} params"
    macs = g.total_macs
    if isinstance(macs, int) and macs:  # a count over symbols (T) would crowd the title
        facts += f" · {human(macs)} MACs"
    swatches = "".join(
        f'<td bgcolor="{style.colours(f)[0]}" border="1" color="{style.colours(f)[1]}" style="rounded" width="12"> </td>'
        f'<td align="left">{small(f, style.TEXT, 9)}</td><td width="6"></td>'
        for f in st.families
    )
    return (
        '<table border="0" cellborder="0" cellspacing="2" cellpadding="2">'
        f'<tr><td><font point-size="15"><b>{html(g.network)}</b></font>  {small(facts, style.MUTED, 11)}</td></tr>'
        f'<tr><td><table border="0" cellspacing="2" cellpadding="1"><tr>{swatches}</tr></table></td></tr>'
        "</table>"
    )


def _group_body(st: Structure, group: Group, pad: str, frame: Group | None = None) -> list[str]:
    """``frame`` is the innermost group drawn with a frame: names inside it are relative to it."""
    out = []
    for child in group.children():
        if isinstance(child, Group):
            out += _cluster(st, child, pad, frame or group)
        elif isinstance(child, Run):
            out.append(pad + _run_node(child))
        elif isinstance(child, Stage):
            out.append(pad + _stage_node(child))
        elif isinstance(child, Stack):
            out.append(pad + _stack_node(child, st.shapes))
        else:
            out.append(pad + _node(st, child, frame or group))
    return out


def _cluster(st: Structure, g: Group, pad: str, frame: Group) -> list[str]:
    # A projection shortcut is plumbing: its nodes are drawn dashed, without a frame.
    if g.kind == "label" and all(isinstance(i, Node) and i.role == "shortcut" for i in g.items) and not g.groups:
        return _group_body(st, g, pad, frame)
    look = style.CLUSTER[g.kind]
    out = [f"{pad}subgraph {quote('cluster_' + g.key)} {{"]
    out.append(f'{pad}  graph [style="{look["style"]}", fillcolor="{look["fill"]}", color="{look["line"]}", '
               f"penwidth=1.0, labeljust=l, labelloc=b, fontsize=11, margin=10, label=<{_cluster_label(g)}>];")
    out += _group_body(st, g, pad + "  ")
    out.append(pad + "}")
    return out


def _cluster_label(g: Group) -> str:
    params = small(f"{style.count(g.params)} params") if g.params else ""
    if g.kind == "each":
        steps = f" ×{g.steps}" if g.steps is not None else ""
        return f"<b>each</b>{html(steps)} {small('time-distributed; shapes per step')}" + (f"  {params}" if params else "")
    s = g.scope
    if g.kind == "block":
        return _call(s) + "  " + small(s.path + (" · " if params else "")) + params
    return f"<b>{html(s.name)}</b>" + (f"  {params}" if params else "")


def _shown(v) -> str:
    """An argument as a slide shows it: a float to four significant digits (a drop rate of
    ``0.1 * 1 / 17`` is ``0.005882``, not ``0.0058823529411764705``), anything else as the spec
    writes it."""
    if isinstance(v, float) and len(repr(v)) > 6:
        return f"{v:.4g}"
    return value_text(v)


def _call(scope) -> str:
    """``<b>Bottleneck</b>(64, 2)``; a block without parameters shows its bare name."""
    args = ", ".join(_shown(v) for v in scope.args.values())
    return f"<b>{html(scope.name)}</b>" + (f"({html(args)})" if scope.args else "")


def _node(st: Structure, n: Node, group: Group) -> str:
    nid = quote(st.ids[n.id])
    fill, line = style.colours(n.layer.family)
    if n.op == "input":
        label = f"<b>input</b> {html(n.label)}"
        return f'{nid} [label=<{label}>, shape=box, style="rounded,filled,bold", fillcolor="{fill}", color="{line}"];'
    if n.layer.glyph is not None:
        return (f'{nid} [label=<<b>{html(n.layer.glyph)}</b>>, shape=circle, width=0.32, height=0.32, fixedsize=true, '
                f'fontsize=14, margin=0, fillcolor="{fill}", color="{line}"];')
    text = style.bold_head(n.layer.describe())
    after = st.folded_into.get(n.id)
    if after:
        text += "<br/>" + small(" ".join("+ " + m.layer.describe() for m in after), style.TEXT)
    name = _local_name(n, group)
    if name:
        text += "<br/>" + small(name)
    attrs = f'label=<{text}>, fillcolor="{fill}", color="{line}"'
    if n.role == "shortcut":
        attrs += ', style="rounded,filled,dashed"'
    if n.layer.font_size is not None:
        attrs += f", fontsize={n.layer.font_size}"
    return f"{nid} [{attrs}];"


def _local_name(n: Node, group: Group) -> str:
    """The module name inside its frame (``conv1`` in ``layer1.0``); unnamed nodes show none."""
    if not n.name:
        return ""
    prefix = group.scope.path + "." if group.scope is not None and group.scope.path else ""
    return n.name.removeprefix(prefix)


def _stack_node(stack: Stack, shapes: bool) -> str:
    """One box: the block's call and path, then a row per layer in its family's colour, with
    the shape each layer gives (the edges a frame would have drawn)."""
    s = stack.scope
    line = style.CLUSTER["block"]["line"]
    span = ' colspan="2"' if shapes else ""
    rows = [f'<tr><td align="left"{span}>{_call(s)}  '
            + small(s.path + (f" · {style.count(stack.params)} params" if stack.params else "")) + "</td></tr>"]
    for n in stack.nodes:
        fill, edge = style.colours(n.layer.family)
        cell = f'<td align="left" bgcolor="{fill}" color="{edge}" border="1" style="rounded">{style.bold_head(n.layer.describe())}</td>'
        if shapes:
            cell += f'<td align="right">{small(str(n.out) if n.out else "?")}</td>'
        rows.append(f"<tr>{cell}</tr>")
    table = (f'<table border="1" cellborder="0" cellspacing="3" cellpadding="3" style="rounded" color="{line}" '
             f'bgcolor="{style.CLUSTER["block"]["fill"]}">' + "".join(rows) + "</table>")
    return f"{quote(stack.id)} [label=<{table}>, shape=plain, style=\"\"];"


def _stage_node(stage: Stage) -> str:
    """One box for a whole block instance or group: its call (or label), path and parameters."""
    s = stage.scope
    fill, line = style.colours("block")
    head = _call(s) if s.kind == "block" else f"<b>{html(s.name)}</b>"
    facts = s.path + (f" · {style.count(stage.params)} params" if stage.params else "")
    return (f'{quote(stage.id)} [label=<{head}<br/>{small(facts)}>, fillcolor="{fill}", color="{line}", '
            'penwidth=1.6, margin="0.2,0.08"];')


def _run_node(run: Run) -> str:
    s = run.scopes[0]
    fill, line = style.colours("block")
    where = f"{run.scopes[0].path} … {run.scopes[-1].path}"
    label = (f"{_call(s)}  <font point-size=\"13\"><b>×{len(run.scopes)}</b></font><br/>"
             + small(f"{where} · {style.count(run.params)} params"))
    return (f'{quote(run.id)} [label=<{label}>, fillcolor="{fill}", color="{line}", penwidth=1.6, '
            'margin="0.2,0.08"];')


def _outputs(st: Structure, shapes: bool) -> list[str]:
    g = st.graph
    out = []
    fill, line = style.colours("io")
    for k, (name, nid) in enumerate(g.outputs):
        oid = f"output:{name}" if name else ("output" if len(g.outputs) == 1 else f"output{k}")
        label = "<b>output</b>" + (f" {html(name)}" if name else "")
        out.append(f'  {quote(oid)} [label=<{label}>, style="rounded,filled,bold", fillcolor="{fill}", color="{line}"];')
        src = st.ids.get(nid)
        t = g.nodes[nid].out
        if src is not None:
            out.append(f"  {quote(src)} -> {quote(oid)}" + (f" [label={quote(' ' + str(t))}]" if shapes and t else "") + ";")
    return out


def _edge_lines(st: Structure, shapes: bool, side: str) -> list[str]:
    out = []
    for e in st.edges:
        attrs = []
        if shapes:
            attrs.append(f"label={quote(' ' + e.shape)}")
        if e.shortcut:
            attrs.append(f'style=dashed, color="{style.SHORTCUT}"')
        if e.identity:
            attrs.append("constraint=false")
        # Leaving and joining at the side keeps the dashed path clear of the main path's
        # edges and of frame titles.
        if e.forks:
            attrs.append(f"tailport={side}")
        if e.joins:
            attrs.append(f"headport={side}")
        out.append(f"  {quote(e.src)} -> {quote(e.dst)}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    for n in st.graph.nodes:
        if n.layer is not None and n.layer.family == "recurrent":
            nid = _visible(st, n)
            if nid is None:
                continue
            x = st.graph.nodes[n.inputs[0]].out if n.inputs else None
            steps = x.shape[0] if x is not None and x.shape else "T"
            out.append(f'  {quote(nid)} -> {quote(nid)} [label=<<b>×{html(steps)}</b> steps>, '
                       f'color="{style.colours("recurrent")[1]}", fontcolor="{style.colours("recurrent")[1]}", '
                       "penwidth=1.4];")
    return out


def _visible(st: Structure, n: Node) -> str | None:
    """The node's own id when it is drawn by itself (not folded into a run or a stack)."""
    nid = st.ids.get(n.id)
    return nid if nid is not None and not nid.startswith(("run:", "stack:", "stage:")) else None
