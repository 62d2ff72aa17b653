"""The classes of one graph's network and the blocks it uses, each from its definition."""

from __future__ import annotations

from ...core.code import Call, Code, Name, literal, params_in, parts_of, render
from ...core.dims import Sym
from ...core.ir import Graph, TensorType
from ...core.layers import REGISTRY
from ...core.names import python_name
from ...frontend import ast
from .naming import class_name, taken
from .network import NetworkClass, keep_for_forward
from .scan import calls_in
from .sizes import UNKNOWN_SIZE, SameSize, Unsupported, resized, shape_str_code, subst, symbols_of
from .statements import ClassInfo, Stmt, Value, all_stmts, dim_names, used_by_init
from .text import write_class
from .walk import Walk


# -- the module ----------------------------------------------------------------------------------
class Generator(NetworkClass):
    """The classes of one graph's network and the blocks it uses, from their definitions."""

    def __init__(self, graph: Graph):
        self.g = graph
        self.definitions = graph.definitions
        self.blocks = {n: d for n, d in graph.definitions.items() if d.kind == "block"}
        self.infos: dict[str, ClassInfo] = {}
        self.failed: dict[str, str] = {}  # blocks whose definition needs numbers: why
        self.instance_infos: dict[tuple, ClassInfo] = {}
        # spec names as Python names: a keyword, a builtin or a name of the module gets a ``_``
        self.taken = taken(graph)
        self.class_names = {n: python_name(n, self.taken) for n in self.blocks}
        self.order: list[ClassInfo] = []
        self.instances = {}
        stack = [graph.root]
        while stack:
            s = stack.pop()
            if s.kind == "block":
                self.instances.setdefault(s.name, s)
            stack.extend(reversed(s.children))

    def py(self, name: str) -> str:
        """A spec name (a parameter, an input) as the generated code's."""
        return python_name(name, self.taken)

    def value_params(self, name: str, given: dict) -> list[str]:
        """The parameters of a block that name values; ``given``: a call's arguments."""
        scope = self.instances.get(name)
        if scope is None:  # called only by a repeat that runs no time or an if not taken here
            return [p.name for p in self.blocks[name].params if isinstance(given.get(p.name), Value)]
        return [p.name for p in self.blocks[name].params if p.name not in scope.args]

    @staticmethod
    def kind_code(v):
        if not isinstance(v, str) or v not in REGISTRY:
            raise Unsupported(f"kind {v!r}")
        module = REGISTRY[v].bind([], {}).module_code(TensorType((1, 1, 1)))
        if not isinstance(module, Call) or render(module) != f"{render(module.func)}()":  # settings left at defaults
            raise Unsupported(f"kind {v}")
        return module.func

    def class_for(self, name: str, t: TensorType, value_types: list, given: dict) -> ClassInfo:
        """The class of block ``name`` called with ``given`` on an input of type ``t``: the
        class of its definition, or where that needs numbers only an instance has (and the
        call gives numbers), the class of this call's arguments."""
        try:
            return self.definition_class(name, t, value_types, given)
        except Unsupported:
            if not self.numbers_only(given):
                raise
            return self.instance_class(name, t, value_types, given)

    @staticmethod
    def numbers_only(given: dict) -> bool:
        """Whether a call's arguments (its values aside) are numbers, not the caller's symbols."""
        def symbolic(v):
            return isinstance(v, (Sym, Code)) or (isinstance(v, list) and any(symbolic(i) for i in v))

        return not any(symbolic(v) for v in given.values() if not isinstance(v, Value))

    def definition_class(self, name: str, t: TensorType, value_types: list, given: dict) -> ClassInfo:
        rank = (len(t.shape), t.dtype, t.masked, t.channels_last,
                *((len(v.shape), v.dtype, v.masked, v.channels_last) for v in value_types))
        if name in self.failed:
            raise Unsupported(self.failed[name])
        info = self.infos.get(name)
        if info is not None:
            if info.rank != rank:
                raise Unsupported(f"block {name} on inputs of different ranks")
            return info
        defn = self.blocks[name]
        values = self.value_params(name, given)
        # a block no instance shows (called by a repeat that runs no time): its call's arguments
        args = self.instances[name].args if name in self.instances else given
        called = {c.name for c in calls_in(defn.body) if c.name not in REGISTRY and c.name not in self.blocks}
        kinds = {p.name for p in defn.params if p.name in called or (
            isinstance(args.get(p.name), str) and args[p.name] in REGISTRY)}
        info = ClassInfo(self.class_names[name], [], [], values, kinds, rank=rank)
        info.kinds_of = {k: args.get(k) for k in kinds}
        env: dict = {}
        for p in defn.params:
            if p.name in values or p.name in kinds:
                continue
            env[p.name] = Sym.symbol(self.py(p.name))
        taken = {self.py(p.name) for p in defn.params} | {"x", "self"}
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
        x = Value(Name("x"), TensorType(tuple(dims), t.dtype, t.masked, t.pad, t.channels_last), 1,
                  Name("lengths") if t.masked else None)
        value_vals = {}
        for i, (v, vt) in enumerate(zip(values, value_types), start=1):
            vd = []
            for k, n in enumerate(dim_names(len(vt.shape))):
                n = f"{v}_{n.replace('in_', '')}"
                info.size_symbols[n] = (i, k)
                vd.append(Sym.symbol(n))
            value_vals[v] = Value(Name(self.py(v)), TensorType(tuple(vd), vt.dtype, vt.masked, vt.pad, vt.channels_last), None,
                                  Name(f"{self.py(v)}_lengths") if vt.masked else None)
        self.infos[name] = info
        try:
            same: dict = {}
            while True:
                try:
                    self.generate(info, defn, {k: subst(v, same) for k, v in env.items()}, _known(x, same, 1),
                                  {k: _known(v, same, None) for k, v in value_vals.items()})
                    break
                except SameSize as e:
                    if e.name in same or len(same) > 8:
                        raise Unsupported("sizes the spec says are equal") from None
                    same = {k: subst(v, {e.name: e.value}) for k, v in same.items()}
                    same[e.name] = e.value
        except Unsupported as e:
            del self.infos[name]
            self.failed[name] = str(e)
            raise
        self.order.append(info)
        return info

    def instance_class(self, name: str, t: TensorType, value_types: list, given: dict) -> ClassInfo:
        """The class of one call's arguments: the definition walked with their numbers and the
        input's sizes, so that nothing is left to a parameter."""
        defn = self.blocks[name]
        values = self.value_params(name, given)
        numbers = tuple((k, repr(v)) for k, v in given.items() if k not in values)
        key = (name, numbers, t, tuple(value_types))
        info = self.instance_infos.get(key)
        if info is not None:
            return info
        info = ClassInfo(self.fresh_class_name(self.class_names[name]), [], [], values, set(), concrete=True)
        env: dict = {}
        walk = Walk(self, defn, info, env, False)
        for p in defn.params:
            if p.name in values:
                continue
            env[p.name] = given[p.name] if p.name in given else walk.eval(p.default)
        info.kinds = {p.name for p in defn.params if isinstance(env.get(p.name), str)
                      and (env[p.name] in REGISTRY or env[p.name] in self.blocks)}
        info.kinds_of = {k: env.pop(k) for k in info.kinds}
        for d, size in zip(defn.on or (), t.shape):  # the sizes its `on [...]` names
            if isinstance(d, ast.Ref) and d.name != "_":
                env[d.name] = size
        x = Value(Name("x"), t, 1, Name("lengths") if t.masked else None)
        value_vals = {v: Value(Name(self.py(v)), vt, None, Name(f"{self.py(v)}_lengths") if vt.masked else None)
                      for v, vt in zip(values, value_types)}
        self.generate(info, defn, env, x, value_vals)
        self.instance_infos[key] = info
        self.order.append(info)
        return info

    def fresh_class_name(self, base: str) -> str:
        """The name of an instance's class: the block's own where no class of its definition
        took it, else with a number (``P_2``)."""
        taken = ({class_name(self.g)} | {n for b, n in self.class_names.items() if b not in self.failed}
                 | {i.name for i in self.order} | {i.name for i in self.infos.values()} | self.taken)
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        return name

    def generate(self, info: ClassInfo, defn, env: dict, x: Value, value_vals: dict) -> None:
        # a class whose forward takes values (read or not: its callers pass them) is no nn.Sequential
        for sequential in (True, False) if not value_vals else (False,):
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
        info.out = resized(y.t, (UNKNOWN_SIZE if symbols_of(d) & inner else d for d in y.t.shape))
        info.red = y.red if not symbols_of(y.red) & inner else None
        if y.code != Name("x") and not sequential:
            out.append(Stmt("assign", "x", y.code))
        used = used_by_init(out) | {n for _, c in walk.flags for n in params_in(c)}
        if "_unknown" in used:
            raise Unsupported("a size only an instance knows")
        read = {n.text for s in all_stmts(out) if s.kind == "assign" for n in parts_of(s.code, Name)}
        inputs = [x, *value_vals.values()]
        info.lengths = [i for i, v in enumerate(inputs) if v.lengths is not None and v.lengths.text in read]
        if info.concrete and (used or any(params_in(s.code) for s in all_stmts(out) if s.kind == "assign")):
            # the input's sizes are the caller's symbols: sizes of a module or of forward it cannot take
            raise Unsupported(f"block {defn.name} needs its input's sizes as numbers")
        used |= keep_for_forward(out, walk)
        info.sizes = [(n, pos) for n, pos in info.size_symbols.items() if n in used]
        params = []
        for p in defn.params:
            if p.name in info.values:
                continue
            if p.default is None:
                params.append((p.name, None))
        for p in defn.params:
            if p.name in info.values or p.default is None or info.concrete:
                continue
            v = Walk(self, defn, info, {}, False).eval(p.default)
            if isinstance(v, (Sym, Code)):
                raise Unsupported("a default over other parameters")
            info.default_values[p.name] = v
            params.append((p.name, self.kind_code(v) if p.name in info.kinds else v))
        info.params = params = [] if info.concrete else params
        signature = [n for n, _ in info.sizes] + [
            self.py(n) if d is None else f"{self.py(n)}={render(d) if isinstance(d, Code) else literal(d)}"
            for n, d in params]
        if info.concrete:
            args = ", ".join(p.name if p.name in info.values else
                             f"{p.name}={literal(env[p.name]) if p.name in env else info.kinds_of[p.name]}"
                             for p in defn.params)
        else:
            args = ", ".join(p.name for p in defn.params)
        on = shape_str_code(x.t.shape)
        lines = (f"Block `{defn.name}({args})` on {on}.", f"Block `{defn.name}({args})` on {on}.", "")
        args = ["x", *(self.py(v) for v in info.values), *(inputs[i].lengths.text for i in info.lengths)]
        info.renamed = walk.renamed
        info.text = write_class(info.name, out, walk, sequential, signature, args, lines)


def _known(v: Value, same: dict, red) -> Value:
    """A value with the sizes found equal (``same``: symbol -> size) replaced."""
    return Value(v.code, resized(v.t, (subst(d, same) for d in v.t.shape)), red, v.lengths)
