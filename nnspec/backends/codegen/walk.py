"""The walk of one definition: its body, statement by statement, into the lines of a class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.code import BinOp, Code, Name, Not, Ref
from ...core.dims import Sym, equal
from ...core.expressions import Bare
from ...core.ir import TensorType
from ...core.layers import REGISTRY
from ...core.layers.base import SIZES_ARE_PARAMETERS
from ...frontend import ast
from .calls import Calls
from .naming import free, is_attribute
from .scan import labels_in
from .sizes import ARITH, UNKNOWN, Unsupported, as_code, is_size, shape_str_code
from .statements import ClassInfo, Stmt, Value
from .structures import Structures

if TYPE_CHECKING:  # only in annotations: classes imports this module
    from .classes import Generator


# -- the walk of one definition ----------------------------------------------------------------
class Walk(Calls, Structures):
    """Generates the class of one definition."""

    def __init__(self, gen: Generator, defn: ast.Definition, info: ClassInfo, env: dict, sequential: bool):
        self.gen, self.defn, self.info, self.env = gen, defn, info, env
        self.sequential = sequential
        self.counter = 0
        self.labels: set[str] = set()
        self.values: dict[str, Value] = {}
        self.vars: set[str] = set()
        self.numbered: dict[str, int] = {}  # base -> the number fresh tries next
        self.flags: list[tuple[str, object]] = []
        self.kind_keys: set[str] = set(labels_in(defn.body))  # a kind's name takes no label's
        #: where the spec calls a layer -> the names its modules are written as, in the walk's
        #: order: a number that depends on the branch an ``if`` took cannot say which it is
        self.renamed: dict = {}
        self.conditional = 0  # the depth of ifs decided by the arguments
        self.outputs: list[Value] = []
        self.container: str | None = None  # the label of the labelled merge whose branches these are
        self.extra: list | None = None  # in a labelled repeat, what its loop passes besides x

    # -- expressions
    def eval(self, v):
        """An expression of the spec over symbols: a size, a number, text, a name, or (for a
        comparison of symbols) a code value."""
        if isinstance(v, (ast.Num, ast.Str, ast.Bool)):
            return v.value
        if isinstance(v, ast.Ref):
            if v.name in self.info.kinds and self.info.concrete:
                return Bare(self.info.kinds_of[v.name])  # the kind this call gave
            return self.env[v.name] if v.name in self.env else Bare(v.name)
        if isinstance(v, ast.ListV):
            return [self.eval(i) for i in v.items]
        if isinstance(v, ast.Neg):
            x = self.eval(v.operand)
            return -x if not isinstance(x, Code) else BinOp(0, "-", x)
        if isinstance(v, ast.Not):
            x = self.eval(v.operand)
            return (not x) if isinstance(x, bool) else Not(as_code(x))
        if isinstance(v, ast.BinOp):
            a, b = self.eval(v.left), self.eval(v.right)
            if v.op in ("==", "!=", "<", "<=", ">", ">=") and \
                    any(isinstance(x, Bare) and (x in self.info.kinds or x not in REGISTRY) for x in (a, b)):
                # a kind parameter's kind is an instance's; a name no size holds is not text
                raise Unsupported(f"a comparison of {a} and {b}")
            return self.binop(v.op, a, b)
        raise Unsupported(type(v).__name__)

    def binop(self, op: str, a, b):
        if op in ("+", "-", "*", "//", "/", "%"):  # a free name in arithmetic is a size (`(T + 1) // 2`)
            a, b = (Sym.symbol(str(v)) if isinstance(v, Bare) else v for v in (a, b))
        concrete = not any(isinstance(x, (Sym, Code)) for x in (a, b))
        if op in ("and", "or"):
            if isinstance(a, bool) and isinstance(b, bool):
                return (a and b) if op == "and" else (a or b)
            if isinstance(a, bool):
                return (b if a else False) if op == "and" else (True if a else b)
            if isinstance(b, bool):
                return (a if b else False) if op == "and" else (True if b else a)
            return BinOp(as_code(a), op, as_code(b))
        if op in ("==", "!=", "<", "<=", ">", ">="):
            if concrete:
                return ARITH[op](a, b)
            if is_size(a) and is_size(b) and op in ("==", "!=") and equal(a, b):
                return op == "=="
            return BinOp(as_code(a), op, as_code(b))
        if concrete:
            if op == "/":
                q = a / b
                return int(q) if isinstance(a, int) and isinstance(b, int) and a % b == 0 else q
            return ARITH[op](a, b)
        if is_size(a) and is_size(b) and op in ("+", "-", "*", "//"):
            if op == "//" and isinstance(b, int) and b <= 0:
                raise Unsupported("division by a non-positive number")
            return ARITH[op](a, b)
        return BinOp(as_code(a), op, as_code(b))

    # -- names
    def next_key(self, item: ast.Item) -> str:
        if item.label is not None:
            if self.sequential:
                raise Unsupported("a label in a sequential class")
            self.labels.add(item.label)
            return item.label
        if self.counter is UNKNOWN and not self.sequential:
            return "?"  # a number that depends on the branch an if took: only a kind's name will do
        key = str(self.counter)
        self.counter = self.counter + 1 if self.counter is not UNKNOWN else UNKNOWN
        return key

    def kind_key(self, layer, t: TensorType, key: str, span, base: str | None = None) -> str:
        """An unlabelled module without weights is named after its kind (``relu``, ``relu_2``),
        or ``base``: a kind parameter's module after the parameter (``act``), whatever kind an
        instance gives it. Its number names nothing a state dict holds."""
        token = SIZES_ARE_PARAMETERS.set(True)
        try:
            count = layer.param_count(t)
            buffers = getattr(layer, "buffer_count", None)
            count = count + (buffers(t) if buffers is not None else 0)
        except Exception:  # noqa: BLE001 -- a count that needs numbers: keep the number
            return key
        finally:
            SIZES_ARE_PARAMETERS.reset(token)
        if count != 0:
            return key
        base = base or layer.kind
        name, k = base, 2
        while name in self.labels or name in self.kind_keys:
            name, k = f"{base}_{k}", k + 1
        self.kind_keys.add(name)
        self.renamed.setdefault(span, []).append(name)
        return name

    def ref(self, key: str):
        if self.sequential:
            raise Unsupported("a forward in a sequential class")
        if self.container is not None:  # a module of a labelled merge's dict
            return Ref(((self.container, "." if is_attribute(self.container) else "getattr"),
                        (key, "." if is_attribute(key) else "item")))
        return Ref(((key, "." if is_attribute(key) else "getattr"),))

    def fresh(self, base: str = "x") -> str:
        """A new variable's name: ``base``, else ``base1``, ``base2``, ... (counted on from the
        last one taken, so that 20,000 branches cost no more than 20,000 names)."""
        name, k = base, self.numbered.get(base, 1)
        if k > 1:
            name = f"{base}{k - 1}"
        while name in self.vars or name in self.env or not free(name, self.gen.taken):
            name, k = f"{base}{k}", k + 1
        self.numbered[base] = k
        self.vars.add(name)
        return name

    # -- bodies
    def body(self, body: ast.Body, x: Value, target: str, out: list) -> Value:
        for stmt in body.stmts:
            if isinstance(stmt, ast.Let):
                if self.sequential:
                    raise Unsupported("let in a sequential class")
                name = stmt.name if free(stmt.name, self.gen.taken | self.vars | set(self.env)) else self.fresh("v")
                self.vars.add(name)
                x = self.chain(stmt.chain, x, name, out)
                self.values[stmt.name] = x
            elif isinstance(stmt, ast.Output):
                name = self.fresh(stmt.name if free(stmt.name, self.gen.taken | {"self", "x"}) else "out")
                x = self.chain(stmt.chain, x, name, out)
                self.values[stmt.name] = x
                self.outputs.append(x)
            elif isinstance(stmt, (ast.Input, ast.TrainSection)):
                continue
            else:
                x = self.chain(stmt, x, target, out)
        return x

    def chain(self, chain: ast.Chain, x: Value, target: str, out: list) -> Value:
        items = chain.items
        first = items[0].atom
        if isinstance(first, ast.Call) and first.args is None and first.branches is None and first.name in self.values:
            x = self.values[first.name]
            items = items[1:]
        for item in items:
            x = self.item(item, x, target, out)
        return x

    def item(self, item: ast.Item, x: Value, target: str, out: list) -> Value:
        atom = item.atom
        if isinstance(atom, ast.Expect):
            return x
        if isinstance(atom, ast.Call):
            name = atom.name
            if name in self.info.kinds and self.info.concrete:
                atom = ast.Call(self.info.kinds_of[name], atom.args, atom.branches, atom.span, atom.name_span)  # its kind
                name = atom.name
            elif name in self.info.kinds:
                return self.layer(item, atom, x, target, out, kind_param=name)
            if name in self.gen.blocks:
                return self.block(item, atom, x, target, out)
            cls = REGISTRY.get(name)
            if cls is None or cls.internal:
                raise Unsupported(f"call of {name}")
            if cls.merges and item.label is not None and atom.branches is not None:
                return self.labelled(item, atom, x, target, out)  # its branches' modules: self.head.a
            if cls.merges:
                return self.merge(item, atom, cls, x, target, out)
            return self.layer(item, atom, x, target, out)
        if item.label is not None:
            if isinstance(atom, ast.Repeat):
                return self.labelled_repeat(item, atom, x, target, out)
            return self.labelled(item, atom, x, target, out)
        if isinstance(atom, ast.Repeat):
            return self.repeat(atom, x, target, out)
        if isinstance(atom, ast.If):
            return self.choose(atom, x, target, out)
        if isinstance(atom, ast.Residual):
            return self.residual(atom, x, target, out)
        if isinstance(atom, ast.Each):
            return self.each(atom, x, target, out)
        raise Unsupported(type(atom).__name__)

    def labelled(self, item: ast.Item, atom, x: Value, target: str, out: list) -> Value:
        """A labelled structure (``r: residual { ... }``): its modules are a dict of its own
        (``self.r.shortcut``), as its scope names them; what it runs is forward's."""
        if self.sequential:
            raise Unsupported("a labelled structure in a sequential class")
        owner = type(self)(self.gen, self.defn, self.info, self.env, sequential=False)
        owner.values, owner.vars, owner.numbered, owner.container = self.values, self.vars, self.numbered, self.next_key(item)
        lines: list = []
        y = owner.item(ast.Item(None, atom, item.span), x, target, lines)
        if any(s.kind not in ("set", "assign") for s in lines):
            raise Unsupported("a condition in a labelled structure")  # the class of a call's numbers has none
        out.append(Stmt("dict", owner.container, then=[s for s in lines if s.kind == "set"]))
        out += [s for s in lines if s.kind == "assign"]
        return y

    def each(self, atom: ast.Each, x: Value, target: str, out: list) -> Value:
        """``each``: the body runs on the steps folded into the batch, unfolded after it."""
        if self.sequential:
            raise Unsupported("each in a sequential class")
        fold = REGISTRY["each_in"](REGISTRY["each_in"].Args.construct())
        t = self.infer(fold, [x.t])
        inner = self.fresh()
        out.append(Stmt("assign", inner, as_code(fold.forward_code(None, [x.code], [x.t])), shape_str_code(t.shape)))
        y = self.body(atom.body, Value(Name(inner), t, None), inner, out)
        unfold = REGISTRY["each_out"](REGISTRY["each_out"].Args.construct(steps=x.t.shape[0]))
        t = self.infer(unfold, [y.t])
        expr = unfold.forward_code(None, [y.code, x.code], [y.t, x.t])
        out.append(Stmt("assign", target, as_code(expr), shape_str_code(t.shape)))
        return Value(Name(target), t, None, x.lengths if t.masked else None)

