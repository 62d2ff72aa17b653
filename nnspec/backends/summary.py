"""The summary table: every module with its output shape, parameters and MACs, block roll-ups
and totals, computed from the typed graph alone (no tensors, no torch). ``summary --json``
prints :meth:`Summary.to_json`, whose schema (:data:`SCHEMA`) docs/summary.md documents.

>>> from nnspec import load
>>> s = load('network N { input x: [4]\\n dense(2) }').summary()
>>> s.total_params
10
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..core.dims import Dim, shape_str, to_json
from ..core.ir import Graph, Scope
from ..counts import human, human_bytes

SCHEMA = "nnspec.summary/1"  # bumped when a field changes meaning or goes away


def count_json(key: str, value: Dim) -> dict:
    """``{key: 123, key_expr: None}``, or ``{key: None, key_expr: "64*T + 8"}`` for a symbolic
    count: the number is always an integer or null, never a string.

    >>> from nnspec.core.dims import Sym
    >>> count_json("macs", 5), count_json("macs", 4 * Sym.symbol("T"))
    ({'macs': 5, 'macs_expr': None}, {'macs': None, 'macs_expr': '4*T'})
    """
    return {key: value, f"{key}_expr": None} if isinstance(value, int) else {key: None, f"{key}_expr": str(value)}


def _bytes(shape, dtype: str) -> Dim:
    """Bytes of one sample of a tensor: float32, or int64 token ids."""
    return prod(shape, start=8 if dtype == "int" else 4)


@dataclass
class Row:
    name: str  # module path, the input's name, or "" for a merge
    kind: str  # the layer kind (``conv``, ``input``); for a roll-up row, its scope's kind (``block``)
    label: str  # what the table shows: ``conv 4 3×3``, or a block's name
    shape: tuple | None
    params: int
    macs: Dim
    depth: int  # nesting level (0: directly in the network)
    block: bool = False  # a roll-up row for a block instance or a labelled group
    kept: Dim | None = None  # bytes per sample training keeps for the backward pass (with a batch size)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "label": self.label,
            "rollup": self.block,
            "depth": self.depth,
            "shape": [to_json(d) for d in self.shape] if self.shape is not None else None,
            "params": self.params,
            **count_json("macs", self.macs),
            **(count_json("kept_bytes", self.kept) if self.kept is not None else {}),
        }


class Summary:
    """Rows of a network's summary. ``depth`` hides rows nested deeper than it (their
    figures stay in the roll-up of their enclosing block). ``freeze`` are module-path globs
    (:mod:`nnspec.freeze`) whose parameters count as frozen; by default those of the network's
    ``train { freeze = [...] }``. With ``batch``, it also gives the memory of a training step
    (:mod:`.memory`) on batches of that size with ``optimizer`` and, with ``amp``, autocast."""

    def __init__(self, graph: Graph, depth: int | None = None, freeze: list[str] | None = None,
                 batch: int | None = None, optimizer: str | None = None, amp: bool = False):
        self.graph = graph
        self.depth = depth
        default = graph.train.get("freeze") or []
        self.freeze = list(freeze) if freeze is not None else [default] if isinstance(default, str) else list(default)
        self.memory = None
        if batch is not None:
            from .memory import training_memory

            self.memory = training_memory(graph, batch, optimizer, amp, self.freeze)
        self.rows = self._rows()

    @property
    def frozen_params(self) -> int:
        from ..freeze import frozen_params

        return frozen_params(self.graph, self.freeze)

    @property
    def total_params(self) -> int:
        return self.graph.total_params

    @property
    def total_macs(self) -> Dim:
        return self.graph.total_macs

    def _rows(self) -> list[Row]:
        g = self.graph
        kept = self.memory.kept if self.memory is not None else None
        totals: dict[int, list] = {}  # id(scope) -> [params, macs, kept]
        for n in g.nodes:
            for s in n.scope.ancestors():
                t = totals.setdefault(id(s), [0, 0, 0])
                t[0] += n.params
                t[1] = t[1] + n.macs
                t[2] = t[2] + (kept[n.id] if kept is not None else 0)
        last_out: dict[int, tuple] = {}
        for n in g.nodes:
            for s in n.scope.ancestors():
                if n.out is not None:
                    last_out[id(s)] = n.out.shape
        rows: list[Row] = []
        open_scopes: list[Scope] = []
        for n in g.nodes:
            if n.op in ("each_in", "each_out"):
                continue
            chain = list(reversed(n.scope.ancestors()))[1:]  # outermost first, without the network
            keep = 0
            while keep < min(len(chain), len(open_scopes)) and chain[keep] is open_scopes[keep]:
                keep += 1
            open_scopes = open_scopes[:keep]
            for s in chain[keep:]:
                open_scopes.append(s)
                p, m, k = totals[id(s)]
                label = s.name if s.kind == "block" else ""
                rows.append(Row(s.path, s.kind, label, last_out.get(id(s)), p, m, s.depth - 1, block=True,
                                kept=k if kept is not None else None))
            depth = len(chain)
            mine = kept[n.id] if kept is not None else None
            if n.op == "input":
                rows.append(Row(n.label, "input", "input", n.out.shape, 0, 0, 0, kept=mine))
            else:
                rows.append(Row(n.name or "", n.op, n.layer.describe(), n.out.shape if n.out else None, n.params,
                                n.macs, depth, kept=mine))
        if self.depth is not None:
            rows = [r for r in rows if r.depth <= self.depth]
        return rows

    @property
    def input_bytes(self) -> Dim:
        """Bytes of one sample's inputs (float32; token ids int64), as torchinfo's input size."""
        g = self.graph
        return sum((_bytes(g.nodes[i].out.shape, g.nodes[i].out.dtype) for i in g.inputs), start=0)

    @property
    def activation_bytes(self) -> Dim:
        """Bytes of one sample's forward pass: every layer's and merge's output, float32 (token
        ids int64). Training keeps them for the backward pass, which needs about as much again."""
        total: Dim = 0
        for n in self.graph.nodes:
            if n.out is not None and n.op not in ("input", "each_in", "each_out"):
                total = total + _bytes(n.out.shape, n.out.dtype)
        return total

    def to_json(self) -> dict:
        """The summary as one JSON object (:data:`SCHEMA`; fields in docs/summary.md)."""
        g = self.graph
        tensor = lambda name, t: {"name": name, "shape": [to_json(d) for d in t.shape], "dtype": t.dtype}
        return {
            "schema": SCHEMA,
            "network": g.network,
            "network_params": dict(g.params),
            "inputs": [tensor(name, g.nodes[i].out) for name, i in zip(g.input_names, g.inputs)],
            "outputs": [tensor(name, g.nodes[i].out) for name, i in g.outputs],
            "params": g.total_params,
            "trainable_params": g.total_params - self.frozen_params,
            "frozen_params": self.frozen_params,
            "freeze": list(self.freeze),
            "buffers": g.total_buffers,
            **count_json("macs", g.total_macs),
            "param_bytes": g.total_params * 4,
            **count_json("input_bytes", self.input_bytes),
            **count_json("activation_bytes", self.activation_bytes),
            "depth": self.depth,
            **({"training": self.memory.to_json()} if self.memory is not None else {}),
            "layers": [r.to_json() for r in self.rows],
        }

    def __str__(self) -> str:
        """The table and totals as ``nnspec summary`` prints them off a terminal: ``print(spec.summary())``."""
        return self.plain()

    def table(self):
        """A :class:`rich.table.Table` of the rows and totals."""
        from rich.table import Table

        g = self.graph
        t = Table(title=f"{g.network}", title_justify="left", show_lines=False, header_style="bold")
        t.add_column("Module")
        t.add_column("Layer")
        t.add_column("Output shape")
        t.add_column("Params", justify="right")
        t.add_column("MACs", justify="right")
        if self.memory is not None:
            t.add_column("Kept/sample", justify="right")
        for r in self.rows:
            name = "  " * r.depth + (r.name or "·")
            shape = shape_str(r.shape) if r.shape is not None else "-"
            style = "bold cyan" if r.block else None
            kept = [_kept(r.kept)] if self.memory is not None else []
            t.add_row(name, r.label, shape, f"{r.params:,}" if r.params else "", human(r.macs) if r.macs else "",
                      *kept, style=style)
        return t

    def _repr_html_(self) -> str:
        """Jupyter shows a summary as its table and totals (HTML, every cell escaped)."""
        import html

        e = html.escape
        head = "".join(f"<th>{h}</th>" for h in ("Module", "Layer", "Output shape", "Params", "MACs"))
        body = []
        for r in self.rows:
            cells = ["&nbsp;" * 4 * r.depth + e(r.name or "·"), e(r.label),
                     e(shape_str(r.shape)) if r.shape is not None else "-",
                     f"{r.params:,}" if r.params else "", e(human(r.macs)) if r.macs else ""]
            style = ' style="font-weight: bold"' if r.block else ""
            body.append(f"<tr{style}>" + "".join(
                f'<td style="text-align: {"right" if i >= 3 else "left"}">{c}</td>' for i, c in enumerate(cells))
                + "</tr>")
        totals = "<br>".join(e(line) for line in self.totals_text().splitlines())
        return (f"<div><b>{e(self.graph.network)}</b><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table><p>{totals}</p></div>")

    def totals_text(self) -> str:
        g = self.graph
        lines = [
            f"Total params: {g.total_params:,}",
            f"Trainable params: {g.total_params - self.frozen_params:,}",
            f"Frozen params: {self.frozen_params:,}" + (f" ({', '.join(self.freeze)})" if self.freeze else ""),
            f"Buffers: {g.total_buffers:,} (batch-norm statistics and counters)",
            f"MACs per sample: {human(g.total_macs)}",
            f"Parameter memory (float32): {human_bytes(g.total_params * 4)}",
            f"Input size per sample: {human_bytes(self.input_bytes)}",
            f"Activations per sample (forward pass): {human_bytes(self.activation_bytes)}",
        ]
        m = self.memory
        if m is not None:
            state = {"adam": "Adam's 2 moments", "adamw": "AdamW's 2 moments", "sgd": "SGD's momentum"}[m.optimizer]
            lines += [
                f"Training memory (batch {m.batch}, {m.optimizer}{', autocast' if m.amp else ''}):",
                f"  Parameters and buffers: {human_bytes(m.params)}",
                f"  Gradients: {human_bytes(m.grads)}",
                f"  Optimizer state: {human_bytes(m.optimizer_state)} ({state if m.optimizer_state else 'none'})",
                f"  Kept for the backward pass: {human_bytes(m.kept_per_sample)} per sample, "
                f"{human_bytes(m.kept_batch)} for the batch" + (f" (with {human_bytes(m.autocast_weights)} of 16-bit "
                                                               "weight copies)" if m.amp else ""),
                f"  Total: {human_bytes(m.total)}",
            ]
        return "\n".join(lines)

    def plain(self) -> str:
        """The table as plain text, for pipes and files."""
        headers = ["Module", "Layer", "Output shape", "Params", "MACs"] + (["Kept/sample"] if self.memory else [])
        body = []
        for r in self.rows:
            body.append([
                "  " * r.depth + (r.name or "·") + (f" ({r.label})" if r.block and r.label else ""),
                "" if r.block else r.label,
                shape_str(r.shape) if r.shape is not None else "-",
                f"{r.params:,}" if r.params else "",
                human(r.macs) if r.macs else "",
            ] + ([_kept(r.kept)] if self.memory else []))
        widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(headers)]
        right = {3, 4, 5}

        def fmt(cells):
            return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        out = [self.graph.network, rule, fmt(headers), rule] + [fmt(b) for b in body] + [rule, self.totals_text()]
        return "\n".join(out)


def _kept(n: Dim | None) -> str:
    """A row's bytes kept for the backward pass; blank when it keeps nothing."""
    return human_bytes(n) if n else ""
