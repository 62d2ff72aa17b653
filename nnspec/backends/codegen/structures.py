"""The structures of a definition: ``repeat`` as a loop, ``if`` as a Python ``if``, ``residual``
and its ``shortcut auto`` decided by the class's own sizes."""

from __future__ import annotations

from ...core.code import Attr, BinOp, Call, ListOf, Name
from ...core.dims import Sym, equal
from ...core.ir import TensorType
from ...core.layers import REGISTRY
from ...core.shapes import spatial_reduction
from ...frontend import ast
from .sizes import (
    UNKNOWN,
    SameSize,
    Unsupported,
    as_code,
    chosen,
    resized,
    same_type,
    shape_str_code,
    symbolic,
    symbols_of,
)
from .statements import Stmt, Value, all_stmts, is_init, starred


class Structures:
    """The structures of :class:`~.walk.Walk`."""

    def repeat(self, atom: ast.Repeat, x: Value, target: str, out: list) -> Value:
        """``repeat n``: a loop. A size the body changes is a variable of ``__init__`` the loop
        carries (``channels = in_channels``, then ``channels = 64`` in the loop)."""
        n = self.eval(atom.count)
        if not self.sequential:
            if not isinstance(n, int):
                raise Unsupported("an unlabelled repeat of a parameter's count in a module class")
            for _ in range(n):  # its modules are numbered among the class's own: written out
                x = self.body(atom.body, x, target, out)
            return x
        if isinstance(n, int) and n == 0:
            return x
        counter = self.counter
        y = self.body(atom.body, x, target, [])
        self.counter = counter
        rank = len(x.t.shape)
        if len(y.t.shape) != rank or y.t.dtype != x.t.dtype:
            raise Unsupported("a repeat that changes the rank")
        changing = [d for d in range(rank) if not equal(x.t.shape[d], y.t.shape[d])]
        carried = {d: self.loop_variable(d, rank) for d in changing}
        start = resized(x.t, (Sym.symbol(carried[d]) if d in carried else x.t.shape[d] for d in range(rank)))
        body: list = []
        y = self.body(atom.body, Value(x.code, start, x.red, x.lengths), target, body)
        self.counter = counter  # numbering is positional here
        if len(y.t.shape) != rank:
            raise Unsupported("a repeat that changes the rank")
        if not carried and len(body) == 1 and body[0].kind == "add":
            out.append(Stmt("extend", None, body[0].code, body[0].note, count=as_code(n)))
        else:
            out += [Stmt("local", carried[d], as_code(x.t.shape[d])) for d in changing]
            body += [Stmt("local", carried[d], as_code(y.t.shape[d])) for d in changing]
            out.append(Stmt("for", count=as_code(n), then=body))
        red = x.red if not changing or all(d == 0 for d in changing) else None
        after = []
        for d in range(rank):
            if d not in carried:
                after.append(x.t.shape[d])
            elif carried[d] in symbols_of(y.t.shape[d]):
                after.append(Sym.symbol(carried[d]))  # a size only the loop computes
            elif isinstance(n, int):
                after.append(y.t.shape[d])
            else:
                after.append(chosen(BinOp(as_code(n), ">", 0), y.t.shape[d], x.t.shape[d]))
        return Value(Name(target), resized(x.t, after), red,
                     x.lengths if x.t.masked else None)

    def loop_variable(self, d: int, rank: int) -> str:
        base = {1: ["features"], 2: ["steps", "features"], 3: ["channels", "height", "width"]}.get(
            rank, ["channels", *(f"size{k}" for k in range(1, rank))])[d]
        name, k = base, 2
        while name in self.env or name in self.vars or name in self.info.size_symbols \
                or name in {p.name for p in self.defn.params}:
            name, k = f"{base}_{k}", k + 1
        self.vars.add(name)
        return name

    def labelled_repeat(self, item, atom: ast.Repeat, x: Value, target: str, out: list) -> Value:
        if self.sequential:
            raise Unsupported("a labelled repeat in a sequential class")
        inner = type(self)(self.gen, self.defn, self.info, self.env, sequential=True)
        inner.values, inner.vars, inner.extra = self.values, self.vars, []
        entries: list = []
        y = inner.repeat(atom, x, target, entries)
        key = self.next_key(item)
        if all(e.kind in ("add", "extend") for e in entries):
            # an nn.Sequential's forward passes x alone: a loop that passes more needs a list
            kind = Call(Name("nn.ModuleList"), (ListOf(tuple(starred(entries))),)) if inner.extra else \
                Call(Name("nn.Sequential"), tuple(starred(entries)))
            out.append(Stmt("set", key, kind))
        else:
            out.append(Stmt("sequence", key, then=entries, code="nn.ModuleList" if inner.extra else "nn.Sequential"))
        if inner.extra:
            if sum(1 for e in all_stmts(entries) if e.kind in ("add", "extend")) != 1:
                raise Unsupported("a loop over modules that take different arguments")
            if x.code != Name(target):
                out.append(Stmt("assign", target, x.code))
            out.append(Stmt("loop", target, Call(Name("layer"), (Name(target), *inner.extra)), shape_str_code(y.t.shape),
                            count=self.ref(key)))
        else:
            out.append(Stmt("assign", target, Call(self.ref(key), (x.code,)), shape_str_code(y.t.shape)))
        return Value(Name(target), y.t, y.red, x.lengths if y.t.masked else None)

    def choose(self, atom: ast.If, x: Value, target: str, out: list) -> Value:
        cond = self.eval(atom.cond)
        orelse = atom.orelse
        if isinstance(cond, bool):
            if cond:
                return self.body(atom.then, x, target, out)
            if orelse is None:
                return x
            if isinstance(orelse, ast.If):
                return self.item(ast.Item(None, orelse, orelse.span), x, target, out)
            return self.body(orelse, x, target, out)
        counter, labels, kind_keys = self.counter, set(self.labels), set(self.kind_keys)
        then: list = []
        self.conditional += 1
        y = self.body(atom.then, x, target, then)
        # the branches exclude each other: a kind's name in one is free in the other, so that
        # a number and a kind name one module whichever branch an instance takes
        after_then, self.counter, self.labels = self.counter, counter, labels
        self.kind_keys, kind_keys = kind_keys, self.kind_keys
        other: list = []
        if orelse is None:
            z = x
        elif isinstance(orelse, ast.If):
            z = self.item(ast.Item(None, orelse, orelse.span), x, target, other)
        else:
            z = self.body(orelse, x, target, other)
        self.conditional -= 1
        self.kind_keys |= kind_keys
        if self.counter != after_then:
            self.counter = UNKNOWN  # no unlabelled item may follow: its number depends on the branch
        cond_code = as_code(cond)
        if len(y.t.shape) != len(z.t.shape) or y.t.dtype != z.t.dtype:
            raise Unsupported(f"branches of an if that differ in shape: {y.t} and {z.t}")
        t = resized(y.t, (a if equal(a, b) else chosen(cond_code, a, b) for a, b in zip(y.t.shape, z.t.shape)))
        red = y.red if y.red is not None and z.red is not None and equal(y.red, z.red) else None
        if self.sequential:
            out.append(Stmt("if", code=cond_code, then=then, orelse=other))
            return Value(Name(target), t, red)
        for branch, v in ((then, y), (other, z)):
            if v.code != Name(target):
                branch.append(Stmt("assign", target, v.code, shape_str_code(v.t.shape)))
        flag = self.flag(cond_code)
        # __init__ builds a branch's modules (nested ifs' included), forward runs its lines; the
        # modules both branches begin with alike are built before the if
        inits = [s for s in then if is_init(s)], [s for s in other if is_init(s)]
        while inits[0] and inits[1] and inits[0][0].kind == inits[1][0].kind == "set" and \
                (inits[0][0].key, inits[0][0].code) == (inits[1][0].key, inits[1][0].code):
            out.append(inits[0][0])
            inits = inits[0][1:], inits[1][1:]
        out.append(Stmt("if", code=cond_code, then=inits[0], orelse=inits[1]))
        out.append(Stmt("if", code=Attr(Name("self"), flag), then=[s for s in then if not is_init(s)],
                        orelse=[s for s in other if not is_init(s)]))
        return Value(Name(target), t, red)

    def same(self, a: TensorType, b: TensorType) -> None:
        """Two shapes the spec says are equal: a size of the class's inputs that differs from
        the other side is that side (raises :class:`SameSize`); a value's size is named after
        the input's (``memory`` has ``in_features``)."""
        if len(a.shape) != len(b.shape) or self.conditional:
            return  # under an if, the sizes are equal only where its condition holds
        order = {n: i != 0 for n, (i, _) in self.info.size_symbols.items()}
        for p, q in zip(a.shape, b.shape):
            if equal(p, q) or p == 1 or q == 1:
                continue
            pairs = sorted(((p, q), (q, p)), key=lambda uv: not order.get(str(uv[0]), False))
            for u, v in pairs:
                if isinstance(u, Sym) and u.is_atom() and str(u) in order and str(u) not in symbols_of(v) \
                        and "_unknown" not in symbols_of(v) and not (symbols_of(v) & self.vars):
                    raise SameSize(str(u), v)

    def flag(self, cond) -> str:
        for name, c in self.flags:
            if c == cond:
                return name
        name = "use_branch" if not self.flags else f"use_branch_{len(self.flags) + 1}"
        self.flags.append((name, cond))
        return name

    def residual(self, atom: ast.Residual, x: Value, target: str, out: list) -> Value:
        if self.sequential:
            raise Unsupported("a residual in a sequential class")
        inner = self.fresh()
        written = isinstance(atom.shortcut, ast.Body)
        if written and atom.shortcut_first:  # its modules are created, and numbered, first
            short = self.body(atom.shortcut, x, self.fresh("shortcut"), out)
        start = len(out)
        # the body's reduction counts from the residual's input: a projection strides by it alone
        y = self.body(atom.body, Value(x.code, x.t, 1, x.lengths), inner, out)
        if written and not atom.shortcut_first:
            short = self.body(atom.shortcut, x, self.fresh("shortcut"), out)
        elif atom.shortcut == "auto" and not same_type(x.t, y.t):
            projecting: list = []
            short = self.projection(Value(x.code, x.t, 1, x.lengths), y, projecting)
            at = start if atom.shortcut_first else len(out)  # written first: created and run first
            out[at:at] = projecting
        elif not written:
            short = x
        self.same(short.t, y.t)
        out.append(Stmt("assign", target, BinOp(y.code, "+", short.code), shape_str_code(y.t.shape)))
        red = None if x.red is None or y.red is None else y.red if isinstance(x.red, int) and x.red == 1 else x.red * y.red
        return Value(Name(target), y.t, red)

    def projection(self, x: Value, y: Value, out: list) -> Value:
        """``shortcut auto``: the class projects where its own sizes say the shape changes."""
        if len(x.t.shape) < 2 or len(x.t.shape) != len(y.t.shape):
            raise Unsupported("shortcut auto between ranks")
        if all(isinstance(d, int) for d in (*x.t.shape[1:], *y.t.shape[1:])):
            stride = spatial_reduction(x.t.shape[1:], y.t.shape[1:])  # as elaboration finds it
        else:  # the body's stride since the class's input, over its parameters
            stride = y.red if y.red is not None and isinstance(x.red, int) and x.red == 1 else None
        if stride is None:
            raise Unsupported("shortcut auto over an unknown reduction")
        terms = []
        if not (isinstance(stride, int) and stride == 1):
            terms.append(self.binop("!=", stride, 1))
        terms.append(self.binop("!=", x.t.shape[0], y.t.shape[0]))
        cond = False
        for term in terms:
            cond = self.binop("or", cond, term)
        key = "shortcut"
        k = 1
        while key in self.labels:
            key, k = f"shortcut_{k}", k + 1
        self.labels.add(key)
        conv = self.bind(REGISTRY["conv"], [(None, y.t.shape[0]), (None, 1), ("stride", stride), ("bias", False)])
        norm = REGISTRY["batchnorm"].bind([], {})
        with symbolic("shortcut auto"):
            mid = conv.infer(x.t)
            modules = (as_code(conv.module_code(x.t)), as_code(norm.module_code(mid)))
        name = self.fresh("shortcut")
        project = Stmt("assign", name, Call(self.ref(key), (x.code,)), shape_str_code(y.t.shape))
        if cond is False:
            return x
        module = Call(Name("nn.Sequential"), modules)
        if cond is True:
            out.append(Stmt("set", key, module))
            out.append(project)
            return Value(Name(name), y.t, y.red)
        out.append(Stmt("set", key, None))
        out.append(Stmt("if", code=as_code(cond), then=[Stmt("set", key, module)]))
        out.append(Stmt("assign", name, x.code))
        out.append(Stmt("if", code=BinOp(Attr(Name("self"), key), "is not", None), then=[project]))
        return Value(Name(name), y.t, y.red)

