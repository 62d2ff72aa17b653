"""The classes of one graph's network and the blocks it uses, each from its definition."""

from __future__ import annotations

from ...core.code import (
    Attr,
    BinOp,
    Call,
    Code,
    ListOf,
    Name,
    TupleOf,
    literal,
    render,
)
from ...core.dims import Sym, shape_str
from ...core.expressions import Bare
from ...core.ir import Graph, TensorType
from ...core.layers import REGISTRY
from ...frontend import ast
from .scan import calls_in
from .sizes import UNKNOWN_SIZE, SameSize, Unsupported, is_size, shape_str_code, subst, symbols_of
from .statements import ClassInfo, Stmt, Value, all_stmts, dim_names, names_in, params_in, used_by_init
from .text import write_class
from .walk import Walk


# -- the module ----------------------------------------------------------------------------------
class Generator:
    """The classes of one graph's network and the blocks it uses, from their definitions."""

    def __init__(self, graph: Graph):
        self.g = graph
        self.definitions = graph.definitions
        self.blocks = {n: d for n, d in graph.definitions.items() if d.kind == "block"}
        self.infos: dict[str, ClassInfo] = {}
        self.order: list[ClassInfo] = []
        self.instances = {}
        stack = [graph.root]
        while stack:
            s = stack.pop()
            if s.kind == "block":
                self.instances.setdefault(s.name, s)
            stack.extend(reversed(s.children))

    def value_params(self, name: str) -> list[str]:
        scope = self.instances.get(name)
        if scope is None:
            raise Unsupported(f"block {name} without an instance")
        return [p.name for p in self.blocks[name].params if p.name not in scope.args]

    @staticmethod
    def kind_code(v):
        if not isinstance(v, str) or v not in REGISTRY:
            raise Unsupported(f"kind {v!r}")
        module = REGISTRY[v].bind([], {}).module_code(TensorType((1, 1, 1)))
        if not isinstance(module, Call) or module.args or module.kwargs:
            raise Unsupported(f"kind {v}")
        return module.func

    def class_for(self, name: str, t: TensorType, value_types: list) -> ClassInfo:
        rank = (len(t.shape), t.dtype, t.masked, *((len(v.shape), v.dtype, v.masked) for v in value_types))
        info = self.infos.get(name)
        if info is not None:
            if info.rank != rank:
                raise Unsupported(f"block {name} on inputs of different ranks")
            return info
        defn = self.blocks[name]
        scope = self.instances[name]
        values = self.value_params(name)
        called = {c.name for c in calls_in(defn.body) if c.name not in REGISTRY and c.name not in self.blocks}
        kinds = {p.name for p in defn.params if p.name in called or (
            isinstance(scope.args.get(p.name), str) and scope.args[p.name] in REGISTRY)}
        info = ClassInfo(name, [], [], values, kinds, rank=rank)
        info.kinds_of = {k: scope.args.get(k) for k in kinds}
        env: dict = {}
        for p in defn.params:
            if p.name in values or p.name in kinds:
                continue
            env[p.name] = Sym.symbol(p.name)
        taken = {p.name for p in defn.params} | {"x", "self"}
        names = dim_names(len(t.shape))
        if defn.on is not None:
            if len(defn.on) != len(t.shape):
                raise Unsupported("on [...] of another rank")
            names = [d.name if isinstance(d, ast.Ref) and d.name != "_" else n for d, n in zip(defn.on, names)]
            for d in defn.on:
                if not isinstance(d, ast.Ref):
                    raise Unsupported("a number in on [...]")
        dims = []
        for k, n in enumerate(names):
            n = n if n not in taken else f"in_{n}"
            taken.add(n)
            dims.append(Sym.symbol(n))
            info.size_symbols[n] = (0, k)
            if defn.on is not None and isinstance(defn.on[k], ast.Ref) and defn.on[k].name != "_":
                env[defn.on[k].name] = dims[-1]
        x = Value(Name("x"), TensorType(tuple(dims), t.dtype, t.masked, t.pad), 1,
                  Name("lengths") if t.masked else None)
        value_vals = {}
        for i, (v, vt) in enumerate(zip(values, value_types), start=1):
            vd = []
            for k, n in enumerate(dim_names(len(vt.shape))):
                n = f"{v}_{n.replace('in_', '')}"
                info.size_symbols[n] = (i, k)
                vd.append(Sym.symbol(n))
            value_vals[v] = Value(Name(v), TensorType(tuple(vd), vt.dtype, vt.masked, vt.pad), None,
                                  Name(f"{v}_lengths") if vt.masked else None)
        self.infos[name] = info
        try:
            same: dict = {}
            while True:
                try:
                    self.generate(info, defn, {k: subst(v, same) for k, v in env.items()},
                                  Value(x.code, x.t.with_shape(tuple(subst(d, same) for d in x.t.shape),
                                                               keep_mask=x.t.masked), 1, x.lengths), value_vals)
                    break
                except SameSize as e:
                    if e.name in same or len(same) > 8:
                        raise Unsupported("sizes the spec says are equal") from None
                    same = {k: subst(v, {e.name: e.value}) for k, v in same.items()}
                    same[e.name] = e.value
        except Unsupported:
            del self.infos[name]
            raise
        self.order.append(info)
        return info

    def generate(self, info: ClassInfo, defn, env: dict, x: Value, value_vals: dict) -> None:
        for sequential in (True, False):
            walk = Walk(self, defn, info, env, sequential)
            walk.values = dict(value_vals)
            walk.vars = {"x", *value_vals}
            out: list = []
            try:
                y = walk.body(defn.body, x, "x", out)
            except Unsupported:
                if sequential:
                    continue
                raise
            break
        inner = walk.vars - {"x"}
        info.out = y.t.with_shape(tuple(UNKNOWN_SIZE if symbols_of(d) & inner else d for d in y.t.shape))
        info.red = y.red if not symbols_of(y.red) & inner else None
        if y.code != Name("x") and not sequential:
            out.append(Stmt("assign", "x", y.code))
        used = used_by_init(out) | {n for _, c in walk.flags for n in params_in(c)}
        if "_unknown" in used:
            raise Unsupported("a size only an instance knows")
        read = {n.text for s in all_stmts(out) if s.kind == "assign" for n in names_in(s.code)}
        inputs = [x, *value_vals.values()]
        info.lengths = [i for i, v in enumerate(inputs) if v.lengths is not None and v.lengths.text in read]
        forward_params = set()
        for s in all_stmts(out):
            if s.kind == "assign":
                forward_params |= params_in(s.code)
        if forward_params:
            raise Unsupported(f"sizes in forward: {forward_params}")
        info.sizes = [(n, pos) for n, pos in info.size_symbols.items() if n in used]
        params = []
        for p in defn.params:
            if p.name in info.values:
                continue
            if p.default is None:
                params.append((p.name, None))
        for p in defn.params:
            if p.name in info.values or p.default is None:
                continue
            v = Walk(self, defn, info, {}, False).eval(p.default)
            if isinstance(v, (Sym, Code)):
                raise Unsupported("a default over other parameters")
            info.default_values[p.name] = v
            params.append((p.name, self.kind_code(v) if p.name in info.kinds else v))
        info.params = params
        signature = [n for n, _ in info.sizes] + [
            n if d is None else f"{n}={render(d) if isinstance(d, Code) else literal(d)}" for n, d in params]
        args = ", ".join(p.name for p in defn.params)
        on = shape_str_code(x.t.shape)
        lines = (f"Block `{defn.name}({args})` on {on}.", f"Block `{defn.name}({args})` on {on}.", "")
        args = ["x", *info.values, *(inputs[i].lengths.text for i in info.lengths)]
        info.renamed = walk.renamed
        info.text = write_class(info.name, out, walk, sequential, signature, args, lines)

    def network(self) -> str:
        g = self.g
        defn = self.definitions[g.network]
        env = {}
        params = []
        for p in defn.params:
            value = g.params[p.name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                env[p.name] = value
                continue
            env[p.name] = Sym.symbol(p.name) if isinstance(value, int) else value
            if isinstance(value, int):
                params.append(f"{p.name}={literal(value)}")
        inputs = [self.g.nodes[i] for i in g.inputs]
        names = [n.label for n in inputs]
        if any(not n.isidentifier() or n == "self" for n in names):
            raise Unsupported("an input name that is no identifier")
        info = ClassInfo(g.network, [], [], [], set())
        checked = any(isinstance(d, int) for n in inputs for d in n.out.shape)  # forward checks the input
        for sequential in (True, False) if len(inputs) == 1 and not inputs[0].out.masked and not checked else (False,):
            walk = Walk(self, defn, info, env, sequential)
            walk.vars = set(names)
            target = walk.fresh()
            out: list = []
            for n in inputs:
                sizes = [d if isinstance(d, int) else -1 for d in n.out.shape]
                if any(d >= 0 for d in sizes):
                    out.append(Stmt("check", code=Call(Name("check_input"), (Name(n.label), n.label, ListOf(tuple(sizes))))))
                lengths = None
                if n.out.masked:
                    lengths = Name(walk.fresh(f"{n.label}_lengths" if len(inputs) > 1 else "lengths"))
                    out.append(Stmt("assign", lengths.text, lengths_code(n.label, n.out),
                                    "each sequence's true length: its tokens that are not padding"))
                t = n.out.with_shape(self.input_dims(defn, n, walk), keep_mask=n.out.masked)
                walk.values[n.label] = Value(Name(n.label), t, 1, lengths)
            x = walk.values[names[0]] if len(inputs) == 1 else None
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
        forward_params = {n for s in all_stmts(out) if s.kind == "assign" for n in params_in(s.code)}
        if forward_params or "_unknown" in used_by_init(out):
            raise Unsupported(f"sizes in forward, or sizes no expression gives: {forward_params}")
        ins = ", ".join(f"{n.label} {n.out}" for n in inputs)
        outs = ", ".join(str(g.nodes[i].out) for _, i in g.outputs)
        summary = f"Network `{call_text(g.network, g.params)}`: {ins} -> {outs}"
        lines = (f"{summary} (shapes without the batch dimension).", f"{summary}.",
                 "Shapes are without the batch dimension.")
        self.network_renamed = walk.renamed
        return write_class(g.network, out, walk, sequential, params, names, lines, forward_doc_text(g))

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

