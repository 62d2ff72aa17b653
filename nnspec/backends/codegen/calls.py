"""Calls in a definition: layers, merges and blocks, each a module of ``__init__`` and a line
of ``forward``."""

from __future__ import annotations

from ...core.code import Call, Code, Name, Param
from ...core.dims import Sym, equal
from ...core.expressions import Bare
from ...core.ir import TensorType
from ...core.layers import REGISTRY
from ...core.layers.base import SIZES_ARE_PARAMETERS
from ...frontend import ast
from .sizes import UNKNOWN_SIZE, Unsupported, as_code, is_size, resized, shape_str_code, subst, symbolic, symbols_of
from .statements import ClassInfo, Stmt, Value


class Calls:
    """The calls of :class:`~.walk.Walk`."""

    def bind(self, cls, pairs: list):
        symbolic = any(isinstance(v, (Sym, Code)) or (isinstance(v, list) and any(isinstance(i, (Sym, Code)) for i in v))
                       for _, v in pairs)
        if not symbolic:
            try:
                return cls.bind_pairs(pairs)
            except Exception as e:  # noqa: BLE001 -- a call only some arguments make valid
                raise Unsupported(f"{cls.kind}: {e}") from None
        values, problems = cls.signature().bind(pairs)
        if problems:
            raise Unsupported(str(problems[0]))
        return cls(cls.Args.construct(**values))

    def infer(self, layer, types: list):
        token = SIZES_ARE_PARAMETERS.set(True)
        try:
            return layer.infer_many(types) if layer.merges or len(types) > 1 else layer.infer(types[0])
        except Exception as e:  # noqa: BLE001 -- a rule that needs numbers: not covered
            raise Unsupported(f"{layer.kind} on {types[0]}: {e}") from None
        finally:
            SIZES_ARE_PARAMETERS.reset(token)

    def layer(self, item, call: ast.Call, x: Value, target: str, out: list, kind_param: str | None = None) -> Value:
        if kind_param is not None:
            kind = self.info.kinds_of[kind_param]
            if kind is None:
                raise Unsupported("a kind parameter that neither an instance nor the call gives")
            if call.args or kind in self.gen.blocks:
                raise Unsupported("a kind parameter with arguments")
            cls = REGISTRY[kind]
        else:
            cls = REGISTRY[call.name]
        args = call.args or []
        value_args = [a for a in args if cls.values and a.name is None and isinstance(a.value, ast.Ref)
                      and a.value.name in self.values]
        pairs = [(a.name, self.eval(a.value)) for a in args if a not in value_args]
        layer = self.bind(cls, pairs)
        key = self.next_key(item)
        # a value given by keyword (`mask=m`) is an input after those given by position, and
        # the layer's argument names it, as elaboration binds it
        keyword_values = [a for a in args if a.name in cls.value_keywords and isinstance(a.value, ast.Ref)
                          and a.value.name in self.values]
        xs = [x] + [self.values[a.value.name] for a in value_args + keyword_values]
        if item.label is None and not self.sequential:
            key = self.kind_key(layer, x.t, key, call.span, kind_param)
        if key == "?":
            raise Unsupported("an unlabelled item after an if whose branches number differently")
        try:
            t = self.infer_or_probe(layer, pairs, [v.t for v in xs])
        except Unsupported:
            for v in xs[1:]:  # attention's memory has the features of the chain's value
                if v.t.shape and x.t.shape:
                    self.same(x.t.with_shape(x.t.shape[-1:]), v.t.with_shape(v.t.shape[-1:]))
            raise
        with symbolic(cls.kind):
            module = layer.module_code(x.t)
            if module is None and item.label is not None:
                module = layer.labelled_module_code(x.t)
        if module is not None:
            module = as_code(module)
            if kind_param is not None:
                module = Call(Param(self.gen.py(kind_param)), ())
        red = self.reduction(layer, x, t)
        if self.sequential:
            plain = Call(Name("m"), (Name("x"),))
            with symbolic(cls.kind):
                called = module is not None and layer.forward_code(Name("m"), [Name("x")], [x.t], None) == plain
            if not called:
                raise Unsupported(f"{cls.kind} is not called as its module")
            out.append(Stmt("add", key, module, shape_str_code(t.shape)))
            return Value(Name(target), t, red)
        ref = None
        if module is not None:
            out.append(Stmt("set", key, module))
            ref = self.ref(key)
        lengths = xs[cls.padding_of].lengths if xs[cls.padding_of].t.masked else None
        with symbolic(cls.kind):
            expr = as_code(layer.forward_code(ref, [v.code for v in xs], [v.t for v in xs], lengths))
        out.append(Stmt("assign", target, expr, shape_str_code(t.shape)))
        return Value(Name(target), t, red, x.lengths if t.masked else None)

    def infer_or_probe(self, layer, pairs: list, types: list) -> TensorType:
        """The layer's output type over symbols; where its rule needs numbers (a ceil-mode pool
        over a block's size), the type of probe numbers: a size the output shares with the input
        is the input's, any other no expression (``?``)."""
        try:
            return self.infer(layer, types)
        except Unsupported:
            if len(types) != 1 or not types[0].shape:
                raise
        x = types[0]
        names = sorted(set().union(*(symbols_of(d) for d in x.shape)) | set().union(
            *(symbols_of(v) for _, v in pairs if isinstance(v, Sym))))
        small = iter([3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47])
        probe = {n: next(small, 1) for n in names}
        primes = iter([1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049, 1051, 1061])
        for d in x.shape:
            if isinstance(d, Sym) and d.is_atom():
                probe[str(d)] = next(primes, 1063)
        by_value = {v: Sym.symbol(n) for n, v in probe.items() if v < 1000}
        px = resized(x, (subst(d, probe) for d in x.shape))
        try:
            t = self.bind(type(layer), [(k, subst(v, probe)) for k, v in pairs]).infer(px)
        except Exception:  # noqa: BLE001 -- probe numbers the layer refuses: every parameter 1
            probe = {n: v if v >= 1000 else 1 for n, v in probe.items()}
            by_value = {}
            try:
                t = self.bind(type(layer), [(k, subst(v, probe)) for k, v in pairs]).infer(px)
            except Exception as e:  # noqa: BLE001
                raise Unsupported(f"{layer.kind}: {e}") from None
        shape = []
        for k, d in enumerate(t.shape):
            same = [j for j, e in enumerate(px.shape) if e == d and isinstance(x.shape[j], Sym)]
            if same and (k == same[0] or k == 0):
                shape.append(x.shape[same[0]])
            else:
                # a number from the probe sizes (at least 1009, divided) is no size of the block
                shape.append(by_value.get(d, d if isinstance(d, int) and d < 256 else UNKNOWN_SIZE))
        return resized(t, shape)

    @staticmethod
    def reduction(layer, x: Value, t: TensorType):
        if x.red is None or len(t.shape) != len(x.t.shape) or len(t.shape) < 2:
            return None
        if all(equal(a, b) for a, b in zip(t.shape[1:], x.t.shape[1:])):
            return x.red
        stride = getattr(layer.args, "stride", None)
        if stride is None or isinstance(stride, list) or not is_size(stride):
            return None
        return x.red * stride

    # -- blocks
    def block(self, item, call: ast.Call, x: Value, target: str, out: list) -> Value:
        defn = self.gen.blocks[call.name]
        names = [p.name for p in defn.params]
        given: dict = {}
        for k, a in enumerate(call.args or []):
            pname = a.name or (names[k] if k < len(names) else None)
            if pname is None or pname in given:
                raise Unsupported("a call's arguments")
            if isinstance(a.value, ast.Ref) and a.value.name in self.values:
                given[pname] = self.values[a.value.name]
            else:
                given[pname] = self.eval(a.value)
        value_types = [given[p].t for p in self.gen.value_params(call.name, given) if isinstance(given.get(p), Value)]
        info = self.gen.class_for(call.name, x.t, value_types, given)
        try:
            ctor, env = constructor(self.gen, self.info, info, given, [x.t] + value_types)
        except Unsupported:  # an argument its definition's class cannot take (a kind with settings)
            if info.concrete or not self.gen.numbers_only(given):
                raise
            info = self.gen.instance_class(call.name, x.t, value_types, given)
            ctor, env = constructor(self.gen, self.info, info, given, [x.t] + value_types)
        key = self.next_key(item)
        if key == "?":
            raise Unsupported("an unlabelled item after an if whose branches number differently")
        t = resized(info.out, (subst(d, env) for d in info.out.shape))
        red = None if x.red is None or info.red is None else x.red * subst(info.red, env)
        if self.sequential:
            if info.values or info.lengths:
                # a run of instances that read more than x: a loop in forward calls each
                inputs = [x, *(given[p] for p in info.values)]
                extra = [given[p].code for p in info.values] + [inputs[i].lengths for i in info.lengths]
                if self.extra is None or (self.extra and self.extra != extra) or None in extra:
                    raise Unsupported("values in a sequential class")
                self.extra = extra
            out.append(Stmt("add", key, ctor, shape_str_code(t.shape)))
            return Value(Name(target), t, red, x.lengths if t.masked else None)
        out.append(Stmt("set", key, ctor))
        inputs = [x, *(given[p] for p in info.values)]
        extra = [given[p].code for p in info.values] + [inputs[i].lengths for i in info.lengths]
        if any(e is None for e in extra):
            raise Unsupported("lengths of a value that has none")
        out.append(Stmt("assign", target, Call(self.ref(key), (x.code, *extra)), shape_str_code(t.shape)))
        return Value(Name(target), t, red, x.lengths if t.masked else None)


    def merge(self, item, call: ast.Call, cls, x: Value, target: str, out: list) -> Value:
        if self.sequential:
            raise Unsupported("a merge in a sequential class")
        args = call.args or []
        value_args = [a for a in args if a.name is None and isinstance(a.value, ast.Ref) and a.value.name in self.values]
        layer = self.bind(cls, [(a.name, self.eval(a.value)) for a in args if a not in value_args])
        if item.label is not None:
            raise Unsupported("a labelled merge of values")  # one of branches is a labelled structure
        if call.branches is not None:
            xs = [self.body(branch, x, self.fresh(_branch_label(branch)), out) if branch.stmts else x
                  for branch in call.branches]
        else:
            xs = [x] + [self.values[a.value.name] for a in value_args]
        try:
            t = self.infer(layer, [v.t for v in xs])
        except Unsupported:
            if cls.kind in ("add", "mul"):
                for v in xs[1:]:
                    self.same(xs[0].t, v.t)
                t = max((v.t for v in xs), key=lambda t: len(t.shape))  # equal in every instance
            elif cls.kind == "concat" and all(len(v.t.shape) == len(x.t.shape) for v in xs):
                d = layer.args.dim % len(x.t.shape)
                t = resized(x.t, (sum(v.t.shape[d] for v in xs) if k == d else x.t.shape[k]
                                         for k in range(len(x.t.shape))))
            else:
                raise
        lengths = next((v.lengths for v in xs if v.lengths is not None), None)
        with symbolic(cls.kind):
            expr = as_code(layer.forward_code(None, [v.code for v in xs], [v.t for v in xs], lengths))
        out.append(Stmt("assign", target, expr, shape_str_code(t.shape)))
        if t.masked:
            x = Value(x.code, x.t, x.red, lengths)
        reds = [v.red for v in xs]
        red = reds[0] if all(r is not None and reds[0] is not None and equal(r, reds[0]) for r in reds) else None
        if red is None and len(t.shape) == len(x.t.shape) and all(equal(a, b) for a, b in zip(t.shape[1:], x.t.shape[1:])):
            red = x.red  # the sizes of the value merged in (concat(skip)) do not change the reduction
        return Value(Name(target), t, red, x.lengths if t.masked else None)


def _branch_label(branch: ast.Body) -> str:
    """The name of a branch's value in forward: the label its first item has (``left``)."""
    first = branch.stmts[0] if branch.stmts else None
    if isinstance(first, ast.Chain) and first.items[0].label is not None and first.items[0].label.isidentifier():
        return first.items[0].label
    return "x"


def constructor(gen, caller: ClassInfo, info: ClassInfo, given: dict, inputs: list) -> tuple[Call, dict]:
    """The call in ``caller``'s class that constructs ``info``'s class with a call's arguments,
    and the callee's symbols as the caller's sizes (its input's sizes and its parameters)."""
    env: dict = {}
    for sym, (i, d) in info.size_symbols.items():
        env[sym] = inputs[i].shape[d]
    args, kwargs = [], []
    for pname, default in info.params:
        if pname in info.values:
            continue
        if pname in given:
            v = given[pname]
        elif default is not None:
            v = info.default_values[pname]
        else:
            raise Unsupported(f"missing argument {pname}")
        if is_size(v):
            env[gen.py(pname)] = v
        if pname in info.kinds:
            code = Param(gen.py(v)) if isinstance(v, Bare) and v in caller.kinds else gen.kind_code(v)
        else:
            code = as_code(v)
        if isinstance(v, Bare) and pname not in info.kinds:
            code = str(v)
        if default is None:
            args.append(code)
        elif pname in given:
            kwargs.append((gen.py(pname), code))
    sizes = [as_code(env[sym]) for sym, _ in info.sizes]
    return Call(Name(info.name), tuple(sizes + args), tuple(kwargs)), env
