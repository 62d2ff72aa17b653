"""The summary table: every module with its output shape, parameters and MACs, block roll-ups
and totals, computed from the typed graph alone (no tensors, no torch).

>>> from nnspec import load
>>> s = load('network N { input x: [4]\\n dense(2) }').summary()
>>> s.total_params
10
"""

from __future__ import annotations

from dataclasses import dataclass

from .counts import human
from .dims import Dim, shape_str, to_json
from .ir import Graph, Scope


@dataclass
class Row:
    name: str  # module path, the input's name, or "" for a merge
    kind: str  # layer description, or the block's name
    shape: tuple | None
    params: int
    macs: Dim
    depth: int  # nesting level (0: directly in the network)
    block: bool = False  # a roll-up row for a block instance or a labelled group

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "shape": [to_json(d) for d in self.shape] if self.shape is not None else None,
            "params": self.params,
            "macs": to_json(self.macs),
            "depth": self.depth,
            "block": self.block,
        }


class Summary:
    """Rows of a network's summary. ``depth`` hides rows nested deeper than it (their
    figures stay in the roll-up of their enclosing block). ``freeze`` are module-path globs
    (:mod:`nnspec.freeze`) whose parameters count as frozen; by default those of the network's
    ``train { freeze = [...] }``."""

    def __init__(self, graph: Graph, depth: int | None = None, freeze: list[str] | None = None):
        self.graph = graph
        self.depth = depth
        default = graph.train.get("freeze") or []
        self.freeze = list(freeze) if freeze is not None else [default] if isinstance(default, str) else list(default)
        self.rows = self._rows()

    @property
    def frozen_params(self) -> int:
        from .freeze import frozen_params

        return frozen_params(self.graph, self.freeze)

    @property
    def total_params(self) -> int:
        return self.graph.total_params

    @property
    def total_macs(self) -> Dim:
        return self.graph.total_macs

    def _rows(self) -> list[Row]:
        g = self.graph
        totals: dict[int, list] = {}  # id(scope) -> [params, macs]
        for n in g.nodes:
            for s in n.scope.ancestors():
                t = totals.setdefault(id(s), [0, 0])
                t[0] += n.params
                t[1] = t[1] + n.macs
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
                p, m = totals[id(s)]
                kind = s.name if s.kind == "block" else ""
                rows.append(Row(s.path, kind, last_out.get(id(s)), p, m, s.depth - 1, block=True))
            depth = len(chain)
            if n.op == "input":
                rows.append(Row(n.label, "input", n.out.shape, 0, 0, 0))
            else:
                rows.append(Row(n.name or "", n.layer.describe(), n.out.shape if n.out else None, n.params, n.macs, depth))
        if self.depth is not None:
            rows = [r for r in rows if r.depth <= self.depth]
        return rows

    def to_json(self) -> dict:
        g = self.graph
        return {
            "network": g.network,
            "inputs": [[to_json(d) for d in g.nodes[i].out.shape] for i in g.inputs],
            "input_names": g.input_names,
            "outputs": [[to_json(d) for d in g.nodes[i].out.shape] for _, i in g.outputs],
            "output_names": [name for name, _ in g.outputs],
            "params": g.total_params,
            "trainable": g.total_params - self.frozen_params,
            "frozen": self.frozen_params,
            "buffers": g.total_buffers,
            "macs": to_json(g.total_macs),
            "layers": [r.to_json() for r in self.rows],
        }

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
        for r in self.rows:
            name = "  " * r.depth + (r.name or "·")
            shape = shape_str(r.shape) if r.shape is not None else "-"
            style = "bold cyan" if r.block else None
            t.add_row(name, r.kind, shape, f"{r.params:,}" if r.params else "", human(r.macs) if r.macs else "",
                      style=style)
        return t

    def totals_text(self) -> str:
        g = self.graph
        lines = [
            f"Total params: {g.total_params:,}",
            f"Trainable params: {g.total_params - self.frozen_params:,}",
            f"Frozen params: {self.frozen_params:,}" + (f" ({', '.join(self.freeze)})" if self.freeze else ""),
            f"Buffers: {g.total_buffers:,} (batch-norm statistics and counters)",
            f"MACs per sample: {human(g.total_macs)}",
            f"Parameter memory (float32): {g.total_params * 4 / 2**20:,.2f} MiB",
        ]
        return "\n".join(lines)

    def plain(self) -> str:
        """The table as plain text, for pipes and files."""
        headers = ["Module", "Layer", "Output shape", "Params", "MACs"]
        body = []
        for r in self.rows:
            body.append([
                "  " * r.depth + (r.name or "·") + (f" ({r.kind})" if r.block and r.kind else ""),
                "" if r.block else r.kind,
                shape_str(r.shape) if r.shape is not None else "-",
                f"{r.params:,}" if r.params else "",
                human(r.macs) if r.macs else "",
            ])
        widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(headers)]
        right = {3, 4}

        def fmt(cells):
            return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        out = [self.graph.network, rule, fmt(headers), rule] + [fmt(b) for b in body] + [rule, self.totals_text()]
        return "\n".join(out)

