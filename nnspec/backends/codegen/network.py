"""The network's class: its int parameters its constructor's, its inputs checked on entry."""

from __future__ import annotations

from ...core.code import Attr, BinOp, Call, ListOf, Name, Param, TupleOf, literal, params_in, parts_of, rewrite
from ...core.dims import Sym, shape_str
from ...core.expressions import Bare
from ...core.ir import Graph, TensorType
from ...frontend import ast
from .naming import class_name
from .scan import names_read, structural_names
from .sizes import Unsupported, is_size, resized, sym_code, symbols_of
from .statements import ClassInfo, Stmt, Value, all_stmts, used_by_init
from .text import write_class
from .walk import Walk


class NetworkClass:
    """The network's class, a part of :class:`~.classes.Generator`."""

    def network(self) -> str:
        """The network's class: its int parameters are its constructor's, or where the
        definition needs their numbers (a block whose class needs numbers, called with them),
        the class of these numbers."""
        defn = self.definitions[self.g.network]
        try:
            return self.network_class(set())
        except Unsupported:
            pass
        try:  # the parameters that decide the structure (repeat counts, conditions) as numbers
            return self.network_class(structural_names(defn.body))
        except Unsupported:
            return self.network_class({p.name for p in defn.params})

    def network_class(self, fixed: set) -> str:
        """The network's class with the parameters ``fixed`` names at their numbers."""
        g = self.g
        defn = self.definitions[g.network]
        env = {}
        params = []
        for p in defn.params:
            value = g.params[p.name]
            if p.name in fixed or isinstance(value, bool) or not isinstance(value, (int, float)):
                env[p.name] = value
                continue
            env[p.name] = Sym.symbol(self.py(p.name)) if isinstance(value, int) else value
            if isinstance(value, int):
                params.append(f"{self.py(p.name)}={literal(value)}")
        inputs = [self.g.nodes[i] for i in g.inputs]
        names = [self.py(n.label) for n in inputs]
        info = ClassInfo(class_name(g), [], [], [], set())
        checked = any(isinstance(d, int) for n in inputs for d in n.out.shape)  # forward checks the input
        for sequential in (True, False) if len(inputs) == 1 and not inputs[0].out.masked and not checked else (False,):
            walk = Walk(self, defn, info, env, sequential)
            walk.vars = set(names)
            # an input `x` no statement names again is forward's running value, as a person
            # writes it; any other input keeps its name (`x = self.stem(image)`)
            alone = names == ["x"] and "x" not in names_read(defn.body)
            target = "x" if alone else walk.fresh()
            out: list = []
            for n in inputs:
                t = resized(n.out, self.input_dims(defn, n, walk))
                # sizes of the network's parameters are checked too; named sizes (T) may vary
                sizes = [sym_code(d) if is_size(d) and symbols_of(d) <= set(env) else -1 for d in t.shape]
                if any(d != -1 for d in sizes):
                    out.append(Stmt("check", code=Call(Name("check_input"), (Name(self.py(n.label)), n.label, ListOf(tuple(sizes))))))
                lengths = None
                if n.out.masked:
                    lengths = Name(walk.fresh(f"{n.label}_lengths" if len(inputs) > 1 else "lengths"))
                    out.append(Stmt("assign", lengths.text, lengths_code(self.py(n.label), n.out),
                                    "each sequence's true length: its tokens that are not padding"))
                walk.values[n.label] = Value(Name(self.py(n.label)), t, 1, lengths)
            x = walk.values[inputs[0].label] if len(inputs) == 1 else None
            try:
                y = walk.body(defn.body, x, target, out)
            except Unsupported:
                if sequential:
                    continue
                raise
            break
        results = walk.outputs or [y]
        if not sequential:
            out.append(Stmt("return", code=results[0].code if len(results) == 1
                            else TupleOf(tuple(r.code for r in results))))
        read = {n.text for s in all_stmts(out) if s.kind in ("assign", "return") for n in parts_of(s.code, Name)}
        out = [s for s in out if not (s.kind == "assign" and s.key.endswith("lengths") and s.key not in read)]
        if "_unknown" in used_by_init(out):
            raise Unsupported("sizes no expression gives")
        keep_for_forward(out, walk)
        ins = ", ".join(f"{n.label} {n.out}" for n in inputs)
        outs = ", ".join(str(g.nodes[i].out) for _, i in g.outputs)
        summary = f"Network `{call_text(g.network, g.params)}`: {ins} -> {outs}"
        lines = (f"{summary} (shapes without the batch dimension).", f"{summary}.",
                 "Shapes are without the batch dimension.")
        self.network_renamed = walk.renamed
        return write_class(info.name, out, walk, sequential, params, names, lines, forward_doc_text(g))

    @staticmethod
    def input_dims(defn, node, walk: Walk) -> tuple:
        """An input's sizes as the spec writes them, over the network's parameters."""
        stmt = next(s for s in defn.body.stmts if isinstance(s, ast.Input) and s.name == node.label)
        dims = []
        for d, known in zip(stmt.dims, node.out.shape):
            v = walk.eval(d)
            dims.append(Sym.symbol(v) if isinstance(v, Bare) else v if is_size(v) else known)
        return tuple(dims)


def lengths_code(name: str, t: TensorType):
    real = BinOp(Name(name), "!=", t.pad if t.pad is not None else 0)
    if len(t.shape) > 1:
        real = Call(Attr(Call(Attr(real, "flatten"), (2,)), "any"), (2,))
    return Call(Attr(real, "sum"), (1,))


def call_text(name: str, args: dict) -> str:
    """``Name(a=1, b=2)``, or ``Name`` without arguments."""
    from ...frontend.ast import value_text

    return f"{name}({', '.join(f'{k}={value_text(v)}' for k, v in args.items())})" if args else name


def forward_doc_text(g: Graph) -> str:
    def batched(t) -> str:
        return shape_str(("batch", *t.shape)) + (" int" if t.dtype == "int" else "")

    ins = ", ".join(f"{n} {batched(g.nodes[i].out)}" for n, i in zip(g.input_names, g.inputs))
    outs = ", ".join(batched(g.nodes[i].out) for _, i in g.outputs)
    return f"{ins} -> {outs}" if len(g.outputs) == 1 else f"{ins} -> ({outs})"


def keep_for_forward(out: list, walk: Walk) -> set:
    """The parameters and input sizes ``forward`` reads (a ``reshape([c, H * W])``), kept on
    the instance as ``self.c``: forward's code reads them there."""
    kept = set()
    for s in all_stmts(out):
        if s.kind in ("assign", "check"):
            kept.update(params_in(s.code))
    if not kept:
        return kept
    if kept & (walk.labels | walk.kind_keys):
        raise Unsupported(f"a size forward reads named like a module: {sorted(kept)}")

    def attribute(v):
        return Attr(Name("self"), v.name) if isinstance(v, Param) and v.name in kept else None

    for s in all_stmts(out):
        if s.kind in ("assign", "check"):
            s.code = rewrite(s.code, attribute)
    out[:0] = [Stmt("set", n, Param(n)) for n in sorted(kept)]
    return kept
