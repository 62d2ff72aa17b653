"""Classes generated from the spec's definitions: one class per block definition and one for
the network, each written from the definition the user wrote, never from its instances.

A definition is walked once with symbols: its parameters are :class:`~nnspec.core.dims.Sym`
symbols (``width``), and so are the sizes of its input (``in_channels``, ``H``, ``W``, or the
names of its ``on [...]``). Each layer kind's own ``infer`` and ``module_code`` run on them
(:data:`~nnspec.core.layers.base.SIZES_ARE_PARAMETERS`), so that every argument is the spec's
expression (``nn.Conv2d(width, 2 * width, 3, padding=1)``) and every size the spec leaves
implicit is an expression of the parameters and the input's sizes; an input size the class's
modules need is a constructor parameter its caller passes. ``if`` is a Python ``if`` (its flag a
TorchScript constant), ``repeat`` a loop, ``shortcut auto`` a condition on the class's own sizes
(``stride != 1 or in_channels != 4 * width``), a parameter that names a value an argument of
``forward``. The elaborated graph only says what a definition cannot: the rank of a block's
input, and which parameters hold layer kinds or values.

A construct this walk does not cover raises :class:`Unsupported`; :func:`definition_source`
then returns None.
"""

from __future__ import annotations

import ast as pyast
import operator
from contextvars import ContextVar
from dataclasses import dataclass, field

from ...core.code import Repeat, Attr, BinOp, Call, Code, IfElse, ListOf, Name, Not, Param, Ref, TupleOf, literal, render, render_wrapped, rewrite
from ...core.dims import Sym, equal, shape_str
from ...core.expressions import Bare
from ...core.ir import Graph, TensorType
from ...core.layers import REGISTRY
from ...core.layers.base import SIZES_ARE_PARAMETERS
from ...frontend import ast
from .emit import WIDTH, comment, doc, docstring
from .naming import is_attribute, runtime, top_level_names

__all__ = ["Unsupported", "definition_source"]
import os
_DEBUG = os.environ.get("NNSPEC_DEBUG")


_UNKNOWN = None
#: a size no expression of the class's parameters gives (the result of a loop that halves it)
_UNKNOWN_SIZE = Sym.symbol("_unknown")


class _Same(Exception):
    """An identity residual or an ``add`` says that a size of the class's input is a size its
    body computes (``in_channels`` is ``width``): the class is generated again with that."""

    def __init__(self, name: str, value):
        super().__init__(name)
        self.name, self.value = name, value


class Unsupported(Exception):
    """A construct the definition walk does not cover (yet)."""


# -- symbols as code ---------------------------------------------------------------------------
def sym_code(d):
    """A size as a code value: an int stays one, a :class:`Sym` becomes an expression over
    :class:`Param` names (``(H - 1) // stride + 1``)."""
    if not isinstance(d, Sym):
        return d
    return _py(pyast.parse(str(d), mode="eval").body)


_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod,
          "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
          ">=": operator.ge}
_OPS = {pyast.Add: "+", pyast.Sub: "-", pyast.Mult: "*", pyast.FloorDiv: "//", pyast.Div: "/"}


#: the sizes an ``if`` makes differ by branch, while a module's source is generated: symbol ->
#: (condition, size where it holds, size where not), written ``a if cond else b``
_CHOSEN: ContextVar[dict] = ContextVar("chosen")


def chosen(cond, a, b) -> Sym:
    """A size that is ``a`` where ``cond`` holds and ``b`` elsewhere, as one symbol."""
    known = _constant(cond)
    if known is not None:
        return a if known else b
    if equal(a, b):
        return a
    table = _CHOSEN.get()
    for name, entry in table.items():
        if entry[0] == cond and equal(entry[1], a) and equal(entry[2], b):
            return Sym.symbol(name)
    name = f"_chosen{len(table) + 1}"
    table[name] = (cond, a, b)
    return Sym.symbol(name)


def _constant(code):
    """The value of a condition without names (``2 == 1``), or None."""
    if isinstance(code, (bool, int, float)):
        return code
    if isinstance(code, Not):
        v = _constant(code.value)
        return None if v is None else not v
    if isinstance(code, BinOp) and (code.op in _ARITH or code.op in ("and", "or")):
        a, b = _constant(code.left), _constant(code.right)
        if a is None or b is None:
            return None
        if code.op in ("and", "or"):
            return (a and b) if code.op == "and" else (a or b)
        try:
            return _ARITH[code.op](a, b)
        except ArithmeticError:
            return None
    return None


def _py(node):
    if isinstance(node, pyast.Constant):
        return node.value
    if isinstance(node, pyast.Name):
        entry = _CHOSEN.get().get(node.id)
        if entry is not None:
            return IfElse(sym_code(entry[1]), entry[0], sym_code(entry[2]))
        return Param(node.id)
    if isinstance(node, pyast.UnaryOp) and isinstance(node.op, pyast.USub):
        inner = _py(node.operand)
        return -inner if isinstance(inner, int) else BinOp(0, "-", inner)
    if isinstance(node, pyast.BinOp):
        return _folded(_py(node.left), _OPS[type(node.op)], _py(node.right))
    if isinstance(node, pyast.Call):  # ceil(a / b): -(-a // b)
        num, den = _py(node.args[0].left), _py(node.args[0].right)
        return BinOp(0, "-", BinOp(BinOp(0, "-", num), "//", den))
    raise Unsupported(f"size {pyast.dump(node)}")


def _folded(left, op: str, right):
    """``left op right``, with a constant added to a floor division by a number folded into
    it: ``(H - 2) // 2 + 1`` is ``H // 2``."""
    if op in ("+", "-") and type(right) is int and isinstance(left, BinOp) and left.op == "//" \
            and type(left.right) is int and left.right > 0:
        shift = (right if op == "+" else -right) * left.right
        inner = left.left
        if isinstance(inner, BinOp) and inner.op in ("+", "-") and type(inner.right) is int:
            shift += inner.right if inner.op == "+" else -inner.right
            inner = inner.left
        if shift:
            inner = BinOp(inner, "+" if shift > 0 else "-", abs(shift))
        return BinOp(inner, "//", left.right)
    return BinOp(left, op, right)


def as_code(value):
    """Any value of a walk (a size, a list, a code value) as a code value."""
    return rewrite(value, lambda v: sym_code(v) if isinstance(v, Sym) else None)


def subst(d, env: dict):
    """A size with its symbols replaced by sizes (``env``: symbol -> int or Sym)."""
    if not isinstance(d, Sym):
        return d
    total = 0
    for mono, c in d.terms.items():
        term = c
        for atom in mono:
            if isinstance(atom, str) and atom in _CHOSEN.get():
                cond, a, b = _CHOSEN.get()[atom]
                term = term * chosen(rewrite(cond, lambda v: as_code(env[v.name]) if isinstance(v, Param) and v.name in env
                                             else None), subst(a, env), subst(b, env))
            elif isinstance(atom, str):
                term = term * env.get(atom, Sym.symbol(atom))
            else:
                num, den = subst(atom.num, env), subst(atom.den, env)
                term = term * (-(-num // den) if atom.ceil else num // den)
        total = total + term
    return total


def _symbols(d) -> set:
    return d.symbols() if isinstance(d, Sym) else set()


def is_size(v) -> bool:
    return isinstance(v, Sym) or (type(v) is int)


# -- what the walk makes -----------------------------------------------------------------------
@dataclass
class Value:
    """A tensor in ``forward``: the variable (or expression) holding it, its type over the
    class's symbols, and its spatial reduction since the class's input (None: unknown)."""

    code: Code
    t: TensorType
    red: object = 1
    lengths: Code | None = None  # each sequence's true length, where the value is padded


@dataclass
class Stmt:
    """A line of ``__init__`` or ``forward``: ``kind`` is ``set`` (a module under a key),
    ``add`` (an entry of an ``nn.Sequential``), ``extend`` (a run of entries), ``flag``,
    ``assign``, ``if`` or ``return``."""

    kind: str
    key: str | None = None
    code: object = None
    note: str | None = None
    then: list = field(default_factory=list)
    orelse: list = field(default_factory=list)
    count: object = None


@dataclass
class ClassInfo:
    """A generated class, as its callers see it."""

    name: str
    params: list  # (name, default code or None); the input's sizes it needs come first
    sizes: list  # (constructor parameter, (value index, dimension)) for the input sizes it takes
    values: list  # the parameters that are values, forward's arguments after x
    kinds: set  # the parameters that hold layer kinds
    kinds_of: dict = field(default_factory=dict)  # kind parameter -> a kind an instance gives it
    default_values: dict = field(default_factory=dict)
    size_symbols: dict = field(default_factory=dict)  # symbol -> (value index, dimension)
    rank: tuple = ()
    renamed: dict = field(default_factory=dict)
    lengths: list = field(default_factory=list)  # the inputs whose lengths forward takes, by index
    out: TensorType | None = None
    red: object = 1
    text: str = ""


def _dim_names(rank: int) -> list[str]:
    return {1: ["in_features"], 2: ["L", "in_features"], 3: ["in_channels", "H", "W"],
            4: ["in_channels", "D", "H", "W"]}.get(rank, [f"d{k}" for k in range(rank)])


# -- the walk of one definition ----------------------------------------------------------------
class Walk:
    """Generates the class of one definition."""

    def __init__(self, gen: Generator, defn: ast.Definition, info: ClassInfo, env: dict, sequential: bool):
        self.gen, self.defn, self.info, self.env = gen, defn, info, env
        self.sequential = sequential
        self.counter = 0
        self.labels: set[str] = set()
        self.values: dict[str, Value] = {}
        self.vars: set[str] = set()
        self.flags: list[tuple[str, object]] = []
        self.kind_keys: set[str] = set(_labels(defn.body))  # a kind's name takes no label's
        self.renamed: dict[str, str] = {}  # the spec's number -> the kind's name it is written as
        self.conditional = 0  # the depth of ifs decided by the arguments
        self.outputs: list[Value] = []
        self.extra: list | None = None  # in a labelled repeat, what its loop passes besides x

    # -- expressions
    def eval(self, v):
        """An expression of the spec over symbols: a size, a number, text, a name, or (for a
        comparison of symbols) a code value."""
        if isinstance(v, (ast.Num, ast.Str, ast.Bool)):
            return v.value
        if isinstance(v, ast.Ref):
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
            return self.binop(v.op, a, b)
        raise Unsupported(type(v).__name__)

    def binop(self, op: str, a, b):
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
                return _ARITH[op](a, b)
            if is_size(a) and is_size(b) and op in ("==", "!=") and equal(a, b):
                return op == "=="
            return BinOp(as_code(a), op, as_code(b))
        if concrete:
            if op == "/":
                q = a / b
                return int(q) if isinstance(a, int) and isinstance(b, int) and a % b == 0 else q
            return _ARITH[op](a, b)
        if is_size(a) and is_size(b) and op in ("+", "-", "*", "//"):
            if op == "//" and isinstance(b, int) and b <= 0:
                raise Unsupported("division by a non-positive number")
            return _ARITH[op](a, b)
        return BinOp(as_code(a), op, as_code(b))

    # -- names
    def next_key(self, item: ast.Item) -> str:
        if item.label is not None:
            if self.sequential:
                raise Unsupported("a label in a sequential class")
            self.labels.add(item.label)
            return item.label
        if self.counter is _UNKNOWN and not self.sequential:
            return "?"  # a number that depends on the branch an if took: only a kind's name will do
        key = str(self.counter)
        self.counter = self.counter + 1 if self.counter is not _UNKNOWN else _UNKNOWN
        return key

    def kind_key(self, layer, t: TensorType, key: str) -> str:
        """An unlabelled module without weights is named after its kind (``relu``, ``relu_2``):
        its number names nothing a state dict holds."""
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
        base = layer.kind
        name, k = base, 2
        while name in self.labels or name in self.kind_keys:
            name, k = f"{base}_{k}", k + 1
        self.kind_keys.add(name)
        self.renamed[key] = name
        return name

    def ref(self, key: str):
        if self.sequential:
            raise Unsupported("a forward in a sequential class")
        return Ref(((key, "." if is_attribute(key) else "getattr"),))

    def fresh(self, base: str = "x") -> str:
        name, k = base, 1
        while name in self.vars or name in self.env:
            name, k = f"{base}{k}", k + 1
        self.vars.add(name)
        return name

    # -- bodies
    def body(self, body: ast.Body, x: Value, target: str, out: list) -> Value:
        for stmt in body.stmts:
            if isinstance(stmt, ast.Let):
                if self.sequential:
                    raise Unsupported("let in a sequential class")
                name = stmt.name if stmt.name.isidentifier() else self.fresh("v")
                self.vars.add(name)
                x = self.chain(stmt.chain, x, name, out)
                self.values[stmt.name] = x
            elif isinstance(stmt, ast.Output):
                name = self.fresh(stmt.name if stmt.name.isidentifier() and stmt.name not in ("self", "x") else "out")
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
            if name in self.info.kinds:
                return self.layer(item, atom, x, target, out, kind_param=name)
            if name in self.gen.blocks:
                return self.block(item, atom, x, target, out)
            cls = REGISTRY.get(name)
            if cls is None or cls.internal:
                raise Unsupported(f"call of {name}")
            if cls.merges:
                return self.merge(item, atom, cls, x, target, out)
            return self.layer(item, atom, x, target, out)
        if item.label is not None:
            if isinstance(atom, ast.Repeat):
                return self.labelled_repeat(item, atom, x, target, out)
            raise Unsupported("a labelled structure")
        if isinstance(atom, ast.Repeat):
            return self.repeat(atom, x, target, out)
        if isinstance(atom, ast.If):
            return self.choose(atom, x, target, out)
        if isinstance(atom, ast.Residual):
            return self.residual(atom, x, target, out)
        if isinstance(atom, ast.Each):
            return self.each(atom, x, target, out)
        raise Unsupported(type(atom).__name__)

    def each(self, atom: ast.Each, x: Value, target: str, out: list) -> Value:
        """``each``: the body runs on the steps folded into the batch, unfolded after it."""
        if self.sequential or x.t.masked:
            raise Unsupported("each in a sequential class, or on padded sequences")
        fold = REGISTRY["each_in"](REGISTRY["each_in"].Args.construct())
        t = self.infer(fold, [x.t])
        inner = self.fresh()
        out.append(Stmt("assign", inner, as_code(fold.forward_code(None, [x.code], [x.t])), shape_str_code(t.shape)))
        y = self.body(atom.body, Value(Name(inner), t, None), inner, out)
        unfold = REGISTRY["each_out"](REGISTRY["each_out"].Args.construct(steps=x.t.shape[0]))
        t = self.infer(unfold, [y.t])
        steps = x.t.shape[0]
        expr = unfold.forward_code(None, [y.code, x.code], [y.t, x.t])
        if isinstance(steps, Sym) and not (_symbols(steps) & {n for n, (i, _) in self.info.size_symbols.items()}):
            pass  # a symbol of the network's input: the folded value's batch says it
        out.append(Stmt("assign", target, as_code(expr), shape_str_code(t.shape)))
        return Value(Name(target), t, None)

    # -- layers
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
        xs = [x] + [self.values[a.value.name] for a in value_args]
        if item.label is None and not self.sequential:
            key = self.kind_key(layer, x.t, key)
        if key == "?":
            raise Unsupported("an unlabelled item after an if whose branches number differently")
        try:
            t = self.infer_or_probe(layer, pairs, [v.t for v in xs])
        except Unsupported:
            for v in xs[1:]:  # attention's memory has the features of the chain's value
                if v.t.shape and x.t.shape:
                    self.same(x.t.with_shape(x.t.shape[-1:]), v.t.with_shape(v.t.shape[-1:]), values=True)
            raise
        token = SIZES_ARE_PARAMETERS.set(True)
        try:
            module = layer.module_code(x.t)
            if module is None and item.label is not None:
                module = layer.labelled_module_code(x.t)
        finally:
            SIZES_ARE_PARAMETERS.reset(token)
        if module is not None:
            module = as_code(module)
            if kind_param is not None:
                module = Call(Param(kind_param), ())
        red = self.reduction(layer, x, t)
        if self.sequential:
            plain = Call(Name("m"), (Name("x"),))
            if module is None or layer.forward_code(Name("m"), [Name("x")], [x.t], None) != plain:
                raise Unsupported(f"{cls.kind} is not called as its module")
            out.append(Stmt("add", key, module, shape_str_code(t.shape)))
            return Value(Name(target), t, red)
        ref = None
        if module is not None:
            out.append(Stmt("set", key, module))
            ref = self.ref(key)
        lengths = xs[cls.padding_of].lengths if xs[cls.padding_of].t.masked else None
        expr = as_code(layer.forward_code(ref, [v.code for v in xs], [v.t for v in xs], lengths))
        out.append(Stmt("assign", target, expr, shape_str_code(t.shape)))
        return Value(Name(target), t, red, x.lengths if t.masked else None)

    def infer_or_probe(self, layer, pairs: list, types: list) -> TensorType:
        """The layer's output type over symbols; where its rule needs numbers (a ceil-mode pool
        over a block's size), the type of probe numbers: a size the output shares with the input
        is the input's, any other no expression (``?``)."""
        try:
            return self.infer(layer, types)
        except Unsupported as e:
            if _DEBUG:
                print(e)
            if len(types) != 1 or not types[0].shape:
                raise
        x = types[0]
        names = sorted(set().union(*(_symbols(d) for d in x.shape)) | set().union(
            *(_symbols(v) for _, v in pairs if isinstance(v, Sym))))
        small = iter([3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47])
        probe = {n: next(small, 1) for n in names}
        primes = iter([1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049, 1051, 1061])
        for d in x.shape:
            if isinstance(d, Sym) and d.is_atom():
                probe[str(d)] = next(primes, 1063)
        by_value = {v: Sym.symbol(n) for n, v in probe.items() if v < 1000}
        px = x.with_shape(tuple(subst(d, probe) for d in x.shape), keep_mask=True)
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
                shape.append(by_value.get(d, d if isinstance(d, int) and d < 256 else _UNKNOWN_SIZE))
        if _DEBUG:
            print("probed", layer.kind, x, "->", shape)
        return t.with_shape(tuple(shape), keep_mask=t.masked)

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
        value_types = [given[p].t for p in self.gen.value_params(call.name) if isinstance(given.get(p), Value)]
        info = self.gen.class_for(call.name, x.t, value_types)
        key = self.next_key(item)
        if key == "?":
            raise Unsupported("an unlabelled item after an if whose branches number differently")
        env: dict = {}
        # the callee's symbols as the caller's sizes: its input's sizes and its parameters
        inputs = [x.t] + value_types
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
                env[pname] = v
            if pname in info.kinds:
                code = Param(v) if isinstance(v, Bare) and v in self.info.kinds else self.gen.kind_code(v)
            else:
                code = as_code(v)
            if isinstance(v, Bare) and pname not in info.kinds:
                code = str(v)
            if default is None:
                args.append(code)
            elif pname in given:
                kwargs.append((pname, code))
        sizes = [as_code(env[sym]) for sym, _ in info.sizes]
        ctor = Call(Name(info.name), tuple(sizes + args), tuple(kwargs))
        t = info.out.with_shape(tuple(subst(d, env) for d in info.out.shape), keep_mask=info.out.masked)
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

    # -- structures
    def repeat(self, atom: ast.Repeat, x: Value, target: str, out: list) -> Value:
        """``repeat n``: a loop. A size the body changes is a variable of ``__init__`` the loop
        carries (``channels = in_channels``, then ``channels = 64`` in the loop)."""
        if not self.sequential:
            raise Unsupported("an unlabelled repeat in a module class")
        n = self.eval(atom.count)
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
        start = x.t.with_shape(tuple(Sym.symbol(carried[d]) if d in carried else x.t.shape[d] for d in range(rank)),
                               keep_mask=x.t.masked)
        body: list = []
        y = self.body(atom.body, Value(x.code, start, x.red, x.lengths), target, body)
        self.counter = counter if isinstance(n, int) is False else counter  # numbering is positional here
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
            elif carried[d] in _symbols(y.t.shape[d]):
                after.append(Sym.symbol(carried[d]))  # a size only the loop computes
            elif isinstance(n, int):
                after.append(y.t.shape[d])
            else:
                after.append(chosen(BinOp(as_code(n), ">", 0), y.t.shape[d], x.t.shape[d]))
        return Value(Name(target), x.t.with_shape(tuple(after), keep_mask=x.t.masked), red,
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
        inner = Walk(self.gen, self.defn, self.info, self.env, sequential=True)
        inner.values, inner.vars, inner.extra = self.values, self.vars, []
        entries: list = []
        y = inner.repeat(atom, x, target, entries)
        key = self.next_key(item)
        if all(e.kind in ("add", "extend") for e in entries):
            # an nn.Sequential's forward passes x alone: a loop that passes more needs a list
            kind = Call(Name("nn.ModuleList"), (ListOf(tuple(_starred(entries))),)) if inner.extra else \
                Call(Name("nn.Sequential"), tuple(_starred(entries)))
            out.append(Stmt("set", key, kind))
        else:
            out.append(Stmt("sequence", key, then=entries, code="nn.ModuleList" if inner.extra else "nn.Sequential"))
        if inner.extra:
            if sum(1 for e in _all(entries) if e.kind in ("add", "extend")) != 1:
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
        counter, labels = self.counter, set(self.labels)
        then: list = []
        self.conditional += 1
        y = self.body(atom.then, x, target, then)
        after_then, self.counter, self.labels = self.counter, counter, labels
        other: list = []
        if orelse is None:
            z = x
        elif isinstance(orelse, ast.If):
            z = self.item(ast.Item(None, orelse, orelse.span), x, target, other)
        else:
            z = self.body(orelse, x, target, other)
        self.conditional -= 1
        if self.counter != after_then:
            self.counter = _UNKNOWN  # no unlabelled item may follow: its number depends on the branch
        cond_code = as_code(cond)
        if len(y.t.shape) != len(z.t.shape) or y.t.dtype != z.t.dtype:
            raise Unsupported(f"branches of an if that differ in shape: {y.t} and {z.t}")
        t = y.t.with_shape(tuple(a if equal(a, b) else chosen(cond_code, a, b) for a, b in zip(y.t.shape, z.t.shape)))
        red = y.red if y.red is not None and z.red is not None and equal(y.red, z.red) else None
        if self.sequential:
            out.append(Stmt("if", code=cond_code, then=then, orelse=other))
            return Value(Name(target), t, red)
        for branch, v in ((then, y), (other, z)):
            if v.code != Name(target):
                branch.append(Stmt("assign", target, v.code, shape_str_code(v.t.shape)))
        flag = self.flag(cond_code)
        inits = [s for s in then if s.kind == "set"], [s for s in other if s.kind == "set"]
        out.append(Stmt("if", code=cond_code, then=inits[0], orelse=inits[1]))
        out.append(Stmt("if", code=Attr(Name("self"), flag), then=[s for s in then if s.kind != "set"],
                        orelse=[s for s in other if s.kind != "set"]))
        return Value(Name(target), t, red)

    def same(self, a: TensorType, b: TensorType, values: bool = False) -> None:
        """Two shapes the spec says are equal: a size of the class's input that differs from
        the other side is that side (raises :class:`_Same`)."""
        if len(a.shape) != len(b.shape) or self.conditional:
            return  # under an if, the sizes are equal only where its condition holds
        inputs = {n for n, (i, _) in self.info.size_symbols.items() if i == 0 or values}
        for p, q in zip(a.shape, b.shape):
            if equal(p, q) or p == 1 or q == 1:
                continue
            for u, v in ((p, q), (q, p)):
                if isinstance(u, Sym) and u.is_atom() and str(u) in inputs and str(u) not in _symbols(v) \
                        and "_unknown" not in _symbols(v) and not (_symbols(v) & self.vars):
                    raise _Same(str(u), v)

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
        if atom.shortcut_first:
            raise Unsupported("a shortcut written first")
        inner = self.fresh()
        y = self.body(atom.body, x, inner, out)
        if isinstance(atom.shortcut, ast.Body):
            short = self.body(atom.shortcut, x, self.fresh("shortcut"), out)
        elif atom.shortcut == "auto" and not _same_type(x.t, y.t):
            short = self.projection(x, y, out)
        else:
            short = x
        self.same(short.t, y.t)
        out.append(Stmt("assign", target, BinOp(y.code, "+", short.code), shape_str_code(y.t.shape)))
        return Value(Name(target), y.t, y.red)

    def projection(self, x: Value, y: Value, out: list) -> Value:
        """``shortcut auto``: the class projects where its own sizes say the shape changes."""
        if y.red is None or x.red is None or len(x.t.shape) < 2 or len(x.t.shape) != len(y.t.shape):
            raise Unsupported("shortcut auto over an unknown reduction")
        stride = y.red // x.red if isinstance(x.red, int) and x.red == 1 else None
        if stride is None:
            raise Unsupported("shortcut auto after a reduction")
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
        token = SIZES_ARE_PARAMETERS.set(True)
        try:
            mid = conv.infer(x.t)
            modules = (as_code(conv.module_code(x.t)), as_code(norm.module_code(mid)))
        finally:
            SIZES_ARE_PARAMETERS.reset(token)
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

    def merge(self, item, call: ast.Call, cls, x: Value, target: str, out: list) -> Value:
        if self.sequential:
            raise Unsupported("a merge in a sequential class")
        args = call.args or []
        value_args = [a for a in args if a.name is None and isinstance(a.value, ast.Ref) and a.value.name in self.values]
        layer = self.bind(cls, [(a.name, self.eval(a.value)) for a in args if a not in value_args])
        if item.label is not None:
            raise Unsupported("a labelled merge")
        if call.branches is not None:
            xs = []
            for branch in call.branches:
                xs.append(self.body(branch, x, self.fresh(), out) if branch.stmts else x)
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
                t = x.t.with_shape(tuple(sum(v.t.shape[d] for v in xs) if k == d else x.t.shape[k]
                                         for k in range(len(x.t.shape))))
            else:
                raise
        lengths = next((v.lengths for v in xs if v.lengths is not None), None)
        expr = as_code(layer.forward_code(None, [v.code for v in xs], [v.t for v in xs], lengths))
        out.append(Stmt("assign", target, expr, shape_str_code(t.shape)))
        if t.masked:
            x = Value(x.code, x.t, x.red, lengths)
        reds = [v.red for v in xs]
        red = reds[0] if all(r is not None and reds[0] is not None and equal(r, reds[0]) for r in reds) else None
        return Value(Name(target), t, red, x.lengths if t.masked else None)


def _starred(entries: list) -> list:
    out = []
    for s in entries:
        if s.kind == "extend":
            out.append(Repeat(s.code, s.count))
        elif s.kind == "add":
            out.append(s.code)
        else:
            raise Unsupported("a condition in a labelled repeat")
    return out


def _texts(stmts: list) -> list:
    return [(s.kind, s.key if not s.key or not s.key.isdigit() else None, render(s.code) if s.code is not None else None, _texts(s.then), _texts(s.orelse))
            for s in stmts]


def _same_type(a: TensorType, b: TensorType) -> bool:
    return (len(a.shape) == len(b.shape) and a.dtype == b.dtype
            and all(equal(x, y) for x, y in zip(a.shape, b.shape)))


def shape_str_code(shape) -> str:
    return "[" + ", ".join("?" if "_unknown" in _symbols(d) else render(sym_code(d)) for d in shape) + "]"


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
        called = {c.name for c in _calls(defn.body) if c.name not in REGISTRY and c.name not in self.blocks}
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
        names = _dim_names(len(t.shape))
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
            for k, n in enumerate(_dim_names(len(vt.shape))):
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
                except _Same as e:
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
            except Unsupported as e:
                if sequential:
                    if _DEBUG:
                        print("sequential", defn.name, e)
                    continue
                raise
            break
        inner = walk.vars - {"x"}
        info.out = y.t.with_shape(tuple(_UNKNOWN_SIZE if _symbols(d) & inner else d for d in y.t.shape))
        info.red = y.red if not _symbols(y.red) & inner else None
        if y.code != Name("x") and not sequential:
            out.append(Stmt("assign", "x", y.code))
        used = _used(out) | {n for _, c in walk.flags for n in _params(c)}
        if "_unknown" in used:
            raise Unsupported("a size only an instance knows")
        read = {n.text for s in _all(out) if s.kind == "assign" for n in _names(s.code)}
        inputs = [x, *value_vals.values()]
        info.lengths = [i for i, v in enumerate(inputs) if v.lengths is not None and v.lengths.text in read]
        forward_params = set()
        for s in _all(out):
            if s.kind == "assign":
                forward_params |= _params(s.code)
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
        args = ", ".join(f"{p.name}={_shown(v)}" if False else p.name for p in defn.params)
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
                    out.append(Stmt("assign", lengths.text, _lengths_code(n.label, n.out),
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
        forward_params = {n for s in _all(out) if s.kind == "assign" for n in _params(s.code)}
        if forward_params or "_unknown" in _used(out):
            raise Unsupported(f"sizes in forward, or sizes no expression gives: {forward_params}")
        ins = ", ".join(f"{n.label} {n.out}" for n in inputs)
        outs = ", ".join(str(g.nodes[i].out) for _, i in g.outputs)
        summary = f"Network `{call_text(g.network, g.params)}`: {ins} -> {outs}"
        lines = (f"{summary} (shapes without the batch dimension).", f"{summary}.",
                 "Shapes are without the batch dimension.")
        self.network_renamed = walk.renamed
        return write_class(g.network, out, walk, sequential, params, names, lines, _forward_doc(g))

    @staticmethod
    def input_dims(defn, node, walk: Walk) -> tuple:
        """An input's sizes as the spec writes them, over the network's parameters."""
        stmt = next(s for s in defn.body.stmts if isinstance(s, ast.Input) and s.name == node.label)
        dims = []
        for d, known in zip(stmt.dims, node.out.shape):
            v = walk.eval(d)
            dims.append(Sym.symbol(v) if isinstance(v, Bare) else v if is_size(v) else known)
        return tuple(dims)

    def source(self, origin: str) -> str:
        token = _CHOSEN.set({})
        try:
            return self._source(origin)
        finally:
            _CHOSEN.reset(token)

    def _source(self, origin: str) -> str:
        network = self.network()
        texts = [i.text for i in self.order] + [network]
        helpers = _helpers([*runtime(self.g), CHECK_INPUT], texts)
        code = "\n\n\n".join(helpers + texts)
        used = {n.id for n in pyast.walk(pyast.parse(code)) if isinstance(n, pyast.Name)}
        imports = ["import torch"] if "torch" in used else []
        imports.append("from torch import nn")
        if "F" in used:
            imports.append("import torch.nn.functional as F")
        g = self.g
        ins = ", ".join(f"{n} {g.nodes[i].out}" for n, i in zip(g.input_names, g.inputs))
        outs = ", ".join(str(g.nodes[i].out) for _, i in g.outputs)
        head = [f"{doc(g.network)}, compiled by nnspec from {doc(origin)}.", "",
                f"Inputs: {doc(ins)}; outputs: {doc(outs)} (shapes without the batch dimension).",
                f"Parameters: {g.total_params:,}. Generated code: edit the spec and compile it again."]
        return '"""' + "\n".join(head) + '\n"""\n\n' + "\n".join(imports) + "\n\n\n" + code + "\n"


#: the check of a network's input on entry: a batch of another size fails with a message that
#: names the input, the axis and both sizes, not deep inside with a raw shape error
CHECK_INPUT = '''\
def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))
'''


def _lengths_code(name: str, t: TensorType):
    real = BinOp(Name(name), "!=", t.pad if t.pad is not None else 0)
    if len(t.shape) > 1:
        real = Call(Attr(Call(Attr(real, "flatten"), (2,)), "any"), (2,))
    return Call(Attr(real, "sum"), (1,))


def call_text(name: str, args: dict) -> str:
    """``Name(a=1, b=2)``, or ``Name`` without arguments."""
    from ...frontend.ast import value_text

    return f"{name}({', '.join(f'{k}={value_text(v)}' for k, v in args.items())})" if args else name


def _forward_doc(g: Graph) -> str:
    def batched(t) -> str:
        return shape_str(("batch", *t.shape)) + (" int" if t.dtype == "int" else "")

    ins = ", ".join(f"{n} {batched(g.nodes[i].out)}" for n, i in zip(g.input_names, g.inputs))
    outs = ", ".join(batched(g.nodes[i].out) for _, i in g.outputs)
    return f"{ins} -> {outs}" if len(g.outputs) == 1 else f"{ins} -> ({outs})"


def _pieces(helpers: list[str]) -> list[str]:
    """Each helper source cut into its top-level definitions (a layer kind's runtime holds
    several functions; a network calls some)."""
    out = []
    for text in helpers:
        tree = pyast.parse(text)
        lines = text.split("\n")
        for node in tree.body:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
            out.append("\n".join(lines[start:node.end_lineno]))
    return out


def _helpers(helpers: list[str], texts: list[str]) -> list[str]:
    """The runtime helpers the classes call, and those the called ones call, each function
    alone."""
    def names(src):
        return {n.id for n in pyast.walk(pyast.parse(src)) if isinstance(n, pyast.Name)}

    helpers = _pieces(helpers)
    used = names("\n\n\n".join(texts))
    keep: set[int] = set()
    changed = True
    while changed:
        changed = False
        for k, h in enumerate(helpers):
            if k not in keep and top_level_names(h) & used:
                keep.add(k)
                used |= names(h)
                changed = True
    return [h for k, h in enumerate(helpers) if k in keep]


def _calls(body: ast.Body):
    """Every call in a body, nested bodies included."""
    for stmt in body.stmts:
        chain = stmt.chain if isinstance(stmt, (ast.Let, ast.Output)) else stmt
        if not isinstance(chain, ast.Chain):
            continue
        for item in chain.items:
            yield from _atom_calls(item.atom)


def _labels(body: ast.Body):
    """Every label in a body, nested bodies included."""
    for stmt in body.stmts:
        chain = stmt.chain if isinstance(stmt, (ast.Let, ast.Output)) else stmt
        if not isinstance(chain, ast.Chain):
            continue
        for item in chain.items:
            if item.label is not None:
                yield item.label
            atom = item.atom
            bodies = [b for b in (getattr(atom, "body", None), getattr(atom, "then", None),
                                  getattr(atom, "shortcut", None), getattr(atom, "orelse", None)) if isinstance(b, ast.Body)]
            bodies += list(getattr(atom, "branches", None) or [])
            if isinstance(getattr(atom, "orelse", None), ast.If):
                bodies.append(ast.Body([ast.Chain([ast.Item(None, atom.orelse, atom.span)], atom.span)], atom.span))
            for b in bodies:
                yield from _labels(b)


def _atom_calls(atom):
    if isinstance(atom, ast.Call):
        yield atom
        for b in atom.branches or []:
            yield from _calls(b)
    elif isinstance(atom, (ast.Repeat, ast.Each)):
        yield from _calls(atom.body)
    elif isinstance(atom, ast.Residual):
        yield from _calls(atom.body)
        if isinstance(atom.shortcut, ast.Body):
            yield from _calls(atom.shortcut)
    elif isinstance(atom, ast.If):
        yield from _calls(atom.then)
        if isinstance(atom.orelse, ast.If):
            yield from _atom_calls(atom.orelse)
        elif atom.orelse is not None:
            yield from _calls(atom.orelse)


def _all(stmts):
    for s in stmts:
        yield s
        yield from _all(s.then)
        yield from _all(s.orelse)


def _names(code) -> list:
    out: list = []

    def leaf(v):
        if isinstance(v, Name):
            out.append(v)
            return v
        return None

    if code is not None:
        rewrite(code, leaf)
    return out


def _params(code) -> set:
    out: set = set()

    def leaf(v):
        if isinstance(v, Param):
            out.add(v.name)
            return v
        return None

    if code is not None:
        rewrite(code, leaf)
    return out


# -- text ----------------------------------------------------------------------------------------
def _fit(prefix: str, value, indent: int, suffix: str = "") -> list[str]:
    """``prefix``, a value and ``suffix`` (a comment is not counted) on one line, or with an
    argument a line where that passes the width."""
    text = render(value)
    closing = suffix.split("  #")[0]
    if isinstance(value, Call) and value.args and indent + len(prefix) + len(text) + len(closing) > WIDTH:
        return (prefix + render_wrapped(value, 0) + suffix).split("\n")
    return [prefix + text + suffix]


def _note(s: Stmt) -> str:
    return f"  # {comment(s.note)}" if s.note else ""


def _init_lines(stmts: list, sequential: bool, name: str, used: set) -> list[str]:
    """The lines of ``__init__``; ``used``: the names its modules read (a loop's variables)."""
    lines = []
    for s in stmts:
        if s.kind == "set":
            if s.code is None:
                lines.append(f"self.{s.key} = None" if is_attribute(s.key) else f'self.add_module("{s.key}", None)')
            elif is_attribute(s.key):
                lines += _fit(f"self.{s.key} = ", s.code, 8)
            else:
                lines += _fit(f'self.add_module("{s.key}", ', s.code, 8, ")")
        elif s.kind == "add":
            lines += [ln for ln in _fit(f"{name}.append(", s.code, 8, ")")]
            lines[-1] += _note(s)
        elif s.kind == "extend":
            lines.append(f"{name}.extend({render(s.code)} for _ in range({render(s.count)}))" + _note(s))
        elif s.kind == "local":
            if s.key in used:
                lines.append(f"{s.key} = {render(s.code)}")
        elif s.kind == "for":
            lines.append(f"for _ in range({render(s.count)}):")
            lines += ["    " + ln for ln in _init_lines(s.then, sequential, name, used)]
        elif s.kind == "sequence":
            lines += ["layers = []", *_init_lines(s.then, True, "layers", used)]
            container = f"{s.code}(layers)" if s.code == "nn.ModuleList" else f"{s.code}(*layers)"
            lines.append(f"self.{s.key} = {container}" if is_attribute(s.key)
                         else f'self.add_module("{s.key}", {container})')
        elif s.kind == "if":
            lines.append(f"if {render(s.code)}:")
            lines += ["    " + ln for ln in _init_lines(s.then, sequential, name, used) or ["pass"]]
            if s.orelse:
                lines.append("else:")
                lines += ["    " + ln for ln in _init_lines(s.orelse, sequential, name, used)]
    return lines


def _forward_lines(stmts: list) -> list[str]:
    lines = []
    for s in stmts:
        if s.kind == "assign":
            if s.code == Name(s.key):
                continue
            lines += _fit(f"{s.key} = ", s.code, 8, _note(s))
        elif s.kind == "if":
            then = _forward_lines(s.then)
            other = _forward_lines(s.orelse)
            if not then and not other:
                continue
            lines.append(f"if {render(s.code)}:")
            lines += ["    " + ln for ln in then or ["pass"]]
            if other:
                lines += ["else:"] + ["    " + ln for ln in other]
        elif s.kind == "return":
            lines.append(f"return {render(s.code)}")
        elif s.kind == "check":
            lines.append(render(s.code))
        elif s.kind == "loop":
            lines.append(f"for layer in {render(s.count)}:")
            lines += ["    " + ln for ln in _fit(f"{s.key} = ", s.code, 12, _note(s))]
    return lines


def write_class(name: str, out: list, walk: Walk, sequential: bool, signature: list, args: list,
                doc_lines: tuple, forward_doc: str | None = None) -> str:
    params = "".join(f", {p}" for p in signature)
    base = "nn.Sequential" if sequential else "nn.Module"
    lines = [f"class {name}({base}):", docstring(*doc_lines), ""]
    if walk.flags:
        lines += [f"    __constants__ = [{', '.join(repr(n) for n, _ in walk.flags)}]", ""]
    lines.append(f"    def __init__(self{params}):")
    if sequential:
        if all(s.kind == "add" for s in out):
            body = ["super().__init__("]
            for s in out:
                body += ["    " + ln for ln in _fit("", s.code, 12, ",")]
                body[-1] += _note(s)
            body.append(")")
        elif all(s.kind in ("add", "extend") for s in out):
            body = ["super().__init__("]
            for s in out:
                value = s.code if s.kind == "add" else Repeat(s.code, s.count)
                body += ["    " + ln for ln in _fit("", value, 12, ",")]
                body[-1] += _note(s)
            body.append(")")
        else:
            body = ["layers = []", *_init_lines(out, True, "layers", _used(out)), "super().__init__(*layers)"]
    else:
        body = ["super().__init__()"]
        body += [f"self.{n} = {render(c)}" for n, c in walk.flags]
        body += _init_lines([s for s in out if _is_init(s)], False, "", _used(out))
    lines += ["        " + ln for ln in body]
    if not sequential:
        fwd = _forward_lines([s for s in out if not _is_init(s)])
        if not any(ln.startswith("return") for ln in fwd):
            fwd.append("return x")
        lines += ["", f"    def forward(self, {', '.join(args)}):"]
        if forward_doc is not None:
            lines.append(f'        """{doc(forward_doc)}"""')
        lines += ["        " + ln for ln in fwd]
    return "\n".join(lines)


_INIT = ("set", "add", "extend", "local", "for", "sequence")


def _is_init(s: Stmt) -> bool:
    if s.kind != "if":
        return s.kind in _INIT
    inner = list(_all(s.then)) + list(_all(s.orelse))
    return bool(inner) and all(t.kind in _INIT or t.kind == "if" for t in inner)


def _used(stmts: list) -> set:
    """The names the modules of ``__init__`` read."""
    out: set = set()
    for s in _all(stmts):
        if s.kind in ("set", "add", "extend", "if", "for"):
            out |= _params(s.code) | _params(s.count)
        if s.kind == "local":
            out |= _params(s.code) - {s.key}
    return out


def definition_source(graph: Graph, origin: str = "<string>") -> str:
    """The module generated from the definitions of the graph's network and its blocks."""
    return Generator(graph).source(origin)
