"""Elaboration: AST to the typed graph IR (LANGUAGE.md §3–§8).

Blocks are inlined (their scopes kept), repeats unrolled, argument expressions evaluated
(:mod:`.expressions`) and bound (:mod:`.binding`), value names resolved and module names
assigned and checked (:mod:`.names`). Each node's type is inferred as it is
created, because ``shortcut auto`` and ``expect`` need the shapes on the way. Errors are
collected; a node fed by a failed node fails silently, so nothing cascades.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..diagnostics import Diagnostic, Located, Span, did_you_mean
from ..frontend import ast
from ..frontend.ast import value_text
from ..frontend.parser import KEYWORDS
from ..frontend.program import Program
from .binding import FAILED, ArgError, Signature
from .dims import Sym, same_shape, shape_str
from .expressions import Bare, evaluate, names_hint, plain
from .ir import Graph, Guard, Node, Scope, TensorType
from .layers import REGISTRY, suggest, user_kinds
from .layers.base import Layer
from .names import label_problem, name_problem
from .shapes import ShapeError, spatial_reduction

#: "no value flows here yet": the top of a network with several inputs, or none. A failed
#: value is None instead, and is passed on silently so that nothing cascades.
NOTHING = -1

#: the most nodes one network may elaborate to: a guard against `repeat 10**9`
MAX_NODES = 100_000
#: the most numbers one value may hold per example (PyTorch indexes sizes with 64-bit ints, and a
#: value of more than 8 GiB per example is a mistake rather than a model)
MAX_VALUES = 2**31
#: how deep block instances may nest (elaboration recurses once per level)
MAX_BLOCK_DEPTH = 500


@dataclass
class Naming:
    """A naming level: its IR scope, the counter for unlabelled items and the labels used."""

    scope: Scope
    counter: int = 0
    labels: dict = field(default_factory=dict)

    def child(self, name: str) -> str:
        return f"{self.scope.path}.{name}" if self.scope.path else name


@dataclass
class Ctx:
    """What a body sees: parameters, value names and where its modules are named."""

    params: dict
    naming: Naming
    values: dict = field(default_factory=dict)  # name -> node id
    value_spans: dict = field(default_factory=dict)
    used: set = field(default_factory=set)
    failed: set = field(default_factory=set)  # value names whose chain failed (reported already)
    stack: tuple = ()  # block names being expanded
    in_block: bool = False
    arg_spans: dict = field(default_factory=dict)  # a block parameter -> the argument that gave it
    guards: tuple = ()  # the `if` decisions the body lies under within its block instance


class Elaborator:
    """Builds the :class:`Graph` of one network of a :class:`Program`."""

    def __init__(self, program: Program):
        self.program = program
        self.kinds = user_kinds()
        self.blocks = program.blocks
        self.block_signatures: dict[str, Signature] = {}

    # -- entry point -------------------------------------------------------------------------
    def network(self, defn: ast.Definition, overrides: dict | None = None) -> Graph:
        self.nodes: list[Node] = []
        self.diags: list[Diagnostic] = []
        self.pending: dict[str, Span] = {}
        root = Scope("", "network", defn.name, span=defn.span)
        params = self.bind_network_params(defn, overrides or {})
        ctx = Ctx(params, Naming(root))
        inputs = [s for s in defn.body.stmts if isinstance(s, ast.Input)]
        self.input_ids: list[int] = []
        self.outputs: list[tuple[str | None, int]] = []
        try:
            result = self.guard(lambda: self.body(defn.body, NOTHING, ctx, top=True, single_input=len(inputs) == 1))
        except RecursionError:
            result = None
            self.error("nesting is too deep to elaborate", defn.name_span)
        if not self.outputs and result not in (None, NOTHING):
            self.outputs = [(None, result)]
        self.check_name(defn.name, defn.name_span, "a network name")
        for name, block in self.blocks.items():
            if name in self.kinds:  # the block would silently take the layer's place
                self.error(f"block `{name}` has the name of a layer kind", block.name_span,
                           f"rename it, e.g. `{name.capitalize()}`")
            else:
                self.check_name(name, block.name_span, "a block name")
            for p in block.params:
                self.check_name(p.name, p.span, "a parameter name")
        if not inputs:
            self.error(f"network `{defn.name}` declares no input", defn.name_span,
                       "declare one, e.g. `input image: [3, 224, 224]`")
        elif not self.outputs and not any(d.severity == "error" for d in self.diags):
            self.error(f"network `{defn.name}` computes nothing", defn.name_span,
                       "end its body with a chain, or name its results with `output name = ...`")
        result_ids = {i for _, i in self.outputs}
        for name, nid in ctx.values.items():
            if name not in ctx.used and nid not in result_ids and name in ctx.value_spans and name not in self.input_names():
                self.diags.append(Diagnostic("warning", f"`{name}` is bound but never used", ctx.value_spans[name]))
        graph = Graph(defn.name, self.nodes, self.input_ids, self.outputs, root, params, self.diags)
        graph.train = self.train_settings(defn, params)
        graph.values = dict(ctx.values)
        return graph

    def bind_network_params(self, defn: ast.Definition, overrides: dict) -> dict:
        params: dict = {}
        names = [p.name for p in defn.params]
        for p in defn.params:
            if p.name in params:
                self.error(f"parameter `{p.name}` is declared twice", p.span)
                continue
            self.check_name(p.name, p.span, "a parameter name")
            if p.name in overrides:
                if not _is_literal(overrides[p.name]):
                    self.error(f"`{p.name}` of `{defn.name}` was given {_shown(overrides[p.name])}, which no spec "
                               "can write", p.span, "a parameter takes a number, true or false, a name, text or "
                               "a list of these")
                    params[p.name] = self.guard(lambda p=p: evaluate(p.default, params), 1) \
                        if p.default is not None else 1
                    continue
                params[p.name] = overrides[p.name]
                if p.default is not None:
                    default = self.guard(lambda p=p: evaluate(p.default, params), None)
                    if not self.check_override(defn, p, default, overrides[p.name]):
                        params[p.name] = default  # go on with the default: no cascade
            elif p.default is None:
                self.error(f"network parameter `{p.name}` needs a default value", p.span,
                           f"write `{p.name} = ...`, or give it with `--set {p.name}=...`")
                params[p.name] = 1
            else:
                params[p.name] = self.guard(lambda p=p: evaluate(p.default, params), 1)
        for name in overrides:
            if name not in names:
                self.error(
                    f"network `{defn.name}` has no parameter `{name}`"
                    + (f"; its parameters are {', '.join(names)}" if names else ""),
                    defn.name_span,
                    did_you_mean(name, names),
                )
        return params

    def check_override(self, defn: ast.Definition, p: ast.Param, default, given) -> bool:
        """``--set`` gives text; it must be of the kind the default is (an int where an int
        is, a number where a float is, true/false where a bool is)."""
        def kind(v):
            if isinstance(v, bool):
                return "true or false"
            if isinstance(v, int):
                return "an integer"
            if isinstance(v, float):
                return "a number"
            return "a list" if isinstance(v, list) else "a name or text"

        ok = kind(given) == kind(default) or (isinstance(default, float) and isinstance(given, int)
                                               and not isinstance(given, bool))
        if default is not None and not ok:
            typed = given if isinstance(given, str) and given.isprintable() and len(given) <= 40 else _shown(given)
            self.error(f"`--set {p.name}={typed}`: `{p.name}` of `{defn.name}` is {kind(default)} "
                       f"(its default is {_shown(default)}), got {kind(given)}", p.span)
            return False
        return True

    def train_settings(self, defn: ast.Definition, params: dict) -> dict:
        """The ``train { }`` section's values, each checked as ``nnspec train`` will read it."""
        out = {}
        section = defn.train
        if section is not None:
            # imported here, not above: a spec without a `train { }` section never needs it
            from ..train.config import section_problems  # pure Python, like the rest of `check`

            for s in section.settings:
                out[s.name] = self.guard(lambda s=s: evaluate(s.value, params), None)
            known = {k: v for k, v in out.items() if v is not None}
            keys = {s.name: Span(s.span.path, s.span.line, s.span.col, s.span.line, s.span.col + len(s.name))
                    for s in section.settings}
            self.diags += section_problems(known, keys, {s.name: getattr(s.value, "span", None) for s in section.settings})[1]
        return out

    # -- helpers -------------------------------------------------------------------------------
    def input_names(self) -> list[str]:
        return [self.nodes[i].label for i in self.input_ids]

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diags.append(Diagnostic("error", message, span, hint))

    def error_count(self) -> int:
        return sum(d.severity == "error" for d in self.diags)

    def guard(self, fn, default=None):
        try:
            return fn()
        except Located as e:
            self.diags.append(e.diagnostic())
            return default

    def check_name(self, name: str, span: Span | None, what: str, label: bool = False) -> bool:
        """Report a name that cannot be ``what`` (LANGUAGE.md §2, :mod:`.names`); a label
        also names a PyTorch module."""
        if name in KEYWORDS:
            self.error(f"`{name}` is a keyword and cannot be {what}", span)
            return False
        problem = name_problem(name) or (label_problem(name) if label else None)
        if problem is not None:
            self.error(problem[0], span, problem[1])
            return False
        return True

    def add(self, layer: Layer, inputs: list[int], name: str | None, ctx: Ctx, span: Span | None,
            role: str | None = None, label: str | None = None, arg_spans: dict | None = None) -> int:
        """Create a node and infer its type; report a failure at the argument at fault."""
        nodes = self.nodes
        if len(nodes) >= MAX_NODES:
            raise Located(f"this network has more than {MAX_NODES:,} layers", span)
        node = Node(len(nodes), layer.kind, layer, list(inputs), name, ctx.naming.scope, span, role=role,
                    label=label, guards=ctx.guards)
        nodes.append(node)
        types, fed_by_failure = [], False
        for i in inputs:
            source = nodes[i]
            source.consumers.append(node.id)
            types.append(source.out)
            fed_by_failure = fed_by_failure or source.out is None
        if fed_by_failure:
            return node.id  # a failure already reported
        try:
            if layer.merges:
                node.out = layer.infer_many(types)
            elif not inputs:
                node.out = layer.infer(None)
            else:
                if types[0].dtype == "int" and not layer.takes_int:
                    raise ShapeError(
                        f"`{layer.kind}` needs float values, but its input {shape_str(types[0].shape)} holds integer ids",
                        hint="token ids go through `embedding` first",
                    )
                node.out = layer.infer_many(types) if len(types) > 1 else layer.infer(types[0])
            _check_size(node.out.shape)
            if inputs:
                node.params = layer.param_count(types[0])
                buffers = getattr(layer, "buffer_count", None)
                node.buffers = buffers(types[0]) if buffers is not None else 0
                node.macs = layer.macs(types[0], node.out)
        except ShapeError as e:
            node.out = None
            where = (arg_spans or {}).get(e.arg) or span
            message = e.message
            if inputs and not layer.merges and "got" not in message and str(types[0].shape) not in message \
                    and shape_str(types[0].shape) not in message:
                message += f"; the input is {types[0]}"
            self.error(message, where, e.hint)
        return node.id

    def arguments(self, args: list[ast.Arg], ctx: Ctx, every: bool) -> list | None:
        """A call's arguments as (keyword or None, value) pairs, evaluated in the caller's
        scope. A failed one is reported; it ends the call, or with ``every`` stays in its place
        as :data:`~nnspec.core.binding.FAILED` so that the others are still bound and checked."""
        out = []
        for a in args:
            try:
                out.append((a.name, plain(evaluate(a.value, ctx.params))))
            except Located as e:
                self.diags.append(e.diagnostic())
                if not every:
                    return None
                out.append((a.name, FAILED))
        return out

    def report_binding(self, e: ArgError, args: list[ast.Arg], names: tuple, call: ast.Call, ctx: Ctx) -> None:
        """Report a binding problem at the argument at fault; a bare name that is no
        parameter may be a misspelt one."""
        at = _argument_at(e.arg, args, names)
        hint = e.hint
        if at is not None and isinstance(at.value, ast.Ref) and at.value.name not in ctx.params:
            hint = did_you_mean(at.value.name, ctx.params) or hint
        where = None if at is None else (at.name_span or at.span) if e.keyword else at.span
        self.error(e.message, where or call.span, hint)

    def bind_layer(self, cls: type[Layer], call: ast.Call, ctx: Ctx, values: dict | None = None):
        """Evaluate and validate a call's arguments (less the named ``values`` a merge takes);
        returns (layer or None, the argument spans by name)."""
        args = [a for a in call.args if id(a) not in values] if values and call.args else call.args or []
        names = cls.signature().names
        spans = {a.name or (names[k] if k < len(names) else k): a.span for k, a in enumerate(args)}
        given = self.arguments(args, ctx, every=False)
        if given is None:
            return None, spans
        try:
            return cls.bind_pairs(given), spans
        except ArgError as e:
            self.report_binding(e, args, names, call, ctx)
            return None, spans

    # -- bodies and chains -------------------------------------------------------------------------
    def body(self, body: ast.Body, x: int | None, ctx: Ctx, top: bool = False, single_input: bool = False):
        # names this body binds further down: using one early is "used before it is bound"
        later = {s.name: s.name_span for s in body.stmts
                 if isinstance(s, (ast.Let, ast.Output)) and s.name not in self.pending}
        self.pending.update(later)
        try:
            return self.statements(body, x, ctx, top, single_input)
        finally:
            for name in later:
                self.pending.pop(name, None)

    def statements(self, body: ast.Body, x: int | None, ctx: Ctx, top: bool, single_input: bool):
        current = x
        for stmt in body.stmts:
            if type(stmt) is ast.Chain:  # the common statement first (no AST class has subclasses)
                current = self.chain(stmt, current, ctx)
                continue
            if isinstance(stmt, (ast.Let, ast.Output)):
                self.pending.pop(stmt.name, None)
            if isinstance(stmt, ast.Input):
                nid = self.input(stmt, ctx, top)
                if single_input and top and not ctx.in_block:
                    current = nid
            elif isinstance(stmt, ast.Let):
                current = self.bind_value(stmt, current, ctx)
            elif isinstance(stmt, ast.Output):
                if ctx.in_block or not top:
                    self.error("`output` belongs at the top of a network body", stmt.span)
                    continue
                current = self.bind_value(stmt, current, ctx)
                if current is not None:
                    self.outputs.append((stmt.name, current))
            elif isinstance(stmt, ast.TrainSection):
                if ctx.in_block or not top:
                    self.error("a `train` section belongs at the top of a network body", stmt.span)
            else:
                current = self.chain(stmt, current, ctx)
        return current

    def input(self, stmt: ast.Input, ctx: Ctx, top: bool) -> int | None:
        if ctx.in_block or not top:
            self.error("`input` belongs at the top of a network body", stmt.span,
                       "a block receives the value of the chain that calls it")
            return None
        if not self.check_name(stmt.name, stmt.name_span, "an input name") or not self.fresh_value(stmt.name, stmt.name_span, ctx):
            return None
        dims = self.dims(stmt.dims, ctx)
        if dims is None:
            return None
        for d, v in zip(stmt.dims, dims):
            if isinstance(v, int) and v <= 0:
                self.error(f"a dimension must be a positive integer or a symbol, got {v}", d.span)
                return None
        pad = None
        if stmt.pad is not None:
            pad = self.guard(lambda: evaluate(stmt.pad, ctx.params))
            if stmt.dtype != "int":
                self.error("`pad=` marks padding in token ids; it needs an `int` input", stmt.pad.span,
                           f"write `input {stmt.name}: {shape_str(dims)} int pad={pad}`")
                pad = None
            elif not isinstance(pad, int) or isinstance(pad, bool):
                self.error(f"`pad` must be an integer token id, got {pad}", stmt.pad.span)
                pad = None
        layer = REGISTRY["input"].bind([], {"name": stmt.name, "shape": tuple(dims), "dtype": stmt.dtype, "pad": pad})
        node = Node(len(self.nodes), "input", layer, [], None, ctx.naming.scope, stmt.span, label=stmt.name)
        node.out = TensorType(tuple(dims), stmt.dtype, masked=pad is not None, pad=pad)
        self.nodes.append(node)
        self.input_ids.append(node.id)
        ctx.values[stmt.name] = node.id
        return node.id

    def fresh_value(self, name: str, span: Span, ctx: Ctx) -> bool:
        if name in ctx.values:
            self.error(f"`{name}` is an input; a value cannot take its name" if name in self.input_names()
                       else f"`{name}` is already bound", span)
            return False
        if name in self.kinds or name in self.blocks or name in ctx.params:
            what = "a layer kind" if name in self.kinds else "a block" if name in self.blocks else "a parameter"
            self.error(f"`{name}` is {what}; a value cannot take its name", span)
            return False
        return True

    def bind_value(self, stmt, current, ctx: Ctx):
        if not self.check_name(stmt.name, stmt.name_span, "a value name") or not self.fresh_value(stmt.name, stmt.name_span, ctx):
            if stmt.name not in ctx.values:
                ctx.failed.add(stmt.name)  # later uses are not reported again
            return self.chain(stmt.chain, current, ctx)
        value = self.chain(stmt.chain, current, ctx)
        if value is None:
            ctx.failed.add(stmt.name)
        else:
            ctx.values[stmt.name] = value
            ctx.value_spans[stmt.name] = stmt.name_span
        return value

    def chain(self, chain: ast.Chain, x: int | None, ctx: Ctx):
        items = chain.items
        first = items[0].atom
        bare = isinstance(first, ast.Call) and first.args is None and first.branches is None
        if bare and first.name in ctx.failed:
            return None  # its chain failed, and that was reported
        if bare and first.name in ctx.values:
            if items[0].label:
                self.error("a label names a layer or block, not a value", items[0].label_span)
            ctx.used.add(first.name)
            x = ctx.values[first.name]
            items = items[1:]
        elif x == NOTHING:
            if bare and first.name in self.pending:
                return self.used_early(first.name, first.name_span)
            if self.input_ids:
                names = self.input_names()
                self.error(
                    "this network has several inputs; say which one this chain starts from",
                    first.span,
                    f"start the chain with a name: `{names[0]} -> ...`",
                )
            return None  # with no input at all, the network's own error says so
        for item in items:
            x = self.item(item, x, ctx)
            if x is None:
                return None
        return x

    def used_early(self, name: str, span: Span) -> None:
        where = self.pending[name]
        self.error(f"`{name}` is used before it is bound", span, f"it is bound at {where.line}:{where.col}")

    # -- items --------------------------------------------------------------------------------------
    def label_ok(self, item: ast.Item, ctx: Ctx) -> bool:
        if item.label is None:
            return True
        if not self.check_name(item.label, item.label_span, "a label", label=True):
            return False
        if item.label in ctx.naming.labels:
            first = ctx.naming.labels[item.label]
            if first == item.label_span:  # the same label again: a copy of a `repeat` body
                self.error(f"label `{item.label}` would name a module in every copy of a `repeat`", item.label_span,
                           "put the labelled items in a block and repeat the block: each copy then has its own scope")
            else:
                self.error(f"label `{item.label}` is used twice in this scope (first at {first})", item.label_span)
            return False
        ctx.naming.labels[item.label] = item.label_span
        return True

    def next_name(self, item: ast.Item, ctx: Ctx) -> str:
        if item.label is not None:
            return ctx.naming.child(item.label)
        name = ctx.naming.child(str(ctx.naming.counter))
        ctx.naming.counter += 1
        return name

    def labelled_scope(self, item: ast.Item, ctx: Ctx, kind: str):
        """A labelled structural construct opens a naming level; an unlabelled one does not."""
        if item.label is None:
            return ctx
        scope = Scope(ctx.naming.child(item.label), kind, item.label, ctx.naming.scope, span=item.span)
        return replace(ctx, naming=Naming(scope))

    def item(self, item: ast.Item, x: int | None, ctx: Ctx):
        atom = item.atom
        if not self.label_ok(item, ctx):
            item = ast.Item(None, atom, item.span)
        if type(atom) is ast.Call:  # the common item first (no AST class has subclasses)
            return self.call(item, atom, x, ctx) if x is not None else None
        if isinstance(atom, ast.Expect):
            if item.label is not None:
                self.error("a label names a module, and `expect` creates none", item.label_span)
            return self.expect(atom, x, ctx)
        if x is None:
            return None  # fed by a failure already reported
        if isinstance(atom, ast.Repeat):
            inner = self.labelled_scope(item, ctx, "repeat")
            n = self.guard(lambda: evaluate(atom.count, ctx.params))
            if n is None:
                return None
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                self.error(f"`repeat` needs a whole number of at least 0, got {plain(n)}", atom.count.span)
                return None
            return self.repeat(atom, n, x, inner)
        if isinstance(atom, ast.Residual):
            return self.residual(item, atom, x, self.labelled_scope(item, ctx, "label"))
        if isinstance(atom, ast.If):
            return self.choose(atom, x, self.labelled_scope(item, ctx, "label"))
        if isinstance(atom, ast.Each):
            inner = self.labelled_scope(item, ctx, "label")
            steps = self.nodes[x].out.shape[0] if self.nodes[x].out is not None and self.nodes[x].out.shape else None
            folded = self.add(REGISTRY["each_in"].bind([], {}), [x], None, inner, atom.span, role="each_in")
            y = self.body(atom.body, folded, inner)
            if y is None:
                return None
            if steps is not None:
                # the body runs once per step: a sample costs `steps` times its MACs
                for node in self.nodes[folded + 1 :]:
                    node.macs = node.macs * steps
            out = self.add(REGISTRY["each_out"].bind([], {"steps": steps}), [y], None, inner, atom.span, role="each_out")
            self.nodes[out].pair = folded
            return out
        return self.call(item, atom, x, ctx)

    def choose(self, atom: ast.If, x: int, ctx: Ctx):
        """``if``: the condition is decided now, and only the branch it picks is elaborated
        (no branch: the value passes unchanged). The branch adds no naming level. Each
        decision is kept (:class:`Guard`): on the block instance, and on the nodes under it."""
        decider = next(s for s in ctx.naming.scope.ancestors() if s.kind in ("block", "network"))
        params = ctx.params
        while True:
            cond = self.guard(lambda atom=atom: evaluate(atom.cond, params))
            if cond is None:
                return None
            if not isinstance(cond, bool):
                self.bad_condition(atom.cond, cond, ctx)
                return None
            span = atom.span
            decision = Guard((span.path, span.line, span.col) if span is not None else ("", id(atom), 0), atom.cond, cond)
            decider.decisions.append(decision)
            ctx = replace(ctx, guards=(*ctx.guards, decision))
            if cond:
                return self.body(atom.then, x, ctx)
            if not isinstance(atom.orelse, ast.If):
                return x if atom.orelse is None else self.body(atom.orelse, x, ctx)
            atom = atom.orelse

    def bad_condition(self, cond: ast.Expr, value, ctx: Ctx) -> None:
        if isinstance(value, Bare):
            self.error(f"unknown name `{value}` in a condition", cond.span, names_hint(value, ctx.params))
            return
        shown = value_text(value)
        hint = None
        if isinstance(value, (int, float)):
            name = cond.name if isinstance(cond, ast.Ref) else "the value"
            hint = f"compare it, e.g. `if {name} == {shown}`, or `if {name} != 0`" if isinstance(cond, ast.Ref) \
                else f"compare {name}, e.g. `== {shown}`"
        self.error(f"the condition of `if` must be true or false, got {shown}", cond.span, hint)

    def repeat(self, atom: ast.Repeat, n: int, x: int, ctx: Ctx):
        nodes, errors = len(self.nodes), self.error_count()
        for i in range(n):
            x = self.body(atom.body, x, ctx)
            if x is None:
                return None
            if i == 0 and n > 1:
                if self.error_count() > errors:
                    return None  # the same errors again in every copy would only repeat them
                each = len(self.nodes) - nodes
                if each == 0:
                    break  # a body that creates nothing leaves the value as it is
                if nodes + each * n > MAX_NODES:
                    raise Located(f"`repeat {n}` would bring this network to {nodes + each * n:,} layers; "
                                  f"the limit is {MAX_NODES:,}", atom.count.span)
        return x

    def dims(self, exprs: list, ctx: Ctx) -> list | None:
        """A shape written in the spec (``[T, 3, 64, 64]``); a name that is no parameter is a
        symbol. None when a dimension failed (already reported)."""
        dims = []
        for d in exprs:
            v = self.guard(lambda d=d: evaluate(d, ctx.params, symbolic=True))
            if v is None:
                return None
            if not (isinstance(v, Sym) or type(v) is int):
                # a parameter holding text, a name, a list or a number that is not whole: never a
                # size (text would otherwise reach shape comments and messages as a "symbol")
                hint = None
                if isinstance(d, ast.Ref) and isinstance(v, str):
                    hint = (f"`{d.name}` is a parameter whose value is {_shown(v)}; a symbol is a name that is no "
                            "parameter, and a parameter used as a size must be an integer")
                self.error(f"a dimension must be an integer or a symbol, got {_shown(v)}", d.span, hint)
                return None
            dims.append(v)
        return dims

    def expect(self, atom: ast.Expect, x: int | None, ctx: Ctx):
        if x is None or self.nodes[x].out is None:
            return x
        dims = self.dims(atom.dims, ctx)
        if dims is None:
            return x
        got = self.nodes[x].out.shape
        if not same_shape(dims, got):
            self.error(f"expected shape {shape_str(dims)}, got {shape_str(got)}", atom.span)
        return x

    def residual(self, item: ast.Item, atom: ast.Residual, x: int, ctx: Ctx):
        if atom.shortcut_first and isinstance(atom.shortcut, ast.Body):  # in source order
            short = self.body(atom.shortcut, x, ctx)
            body = self.body(atom.body, x, ctx) if short is not None else None
            if body is None:
                return None
            return self.add(REGISTRY["add"].bind([], {}), [body, short], None, ctx, atom.span, role="residual")
        start = len(self.nodes)
        body = self.body(atom.body, x, ctx)
        if body is None:
            return None
        if isinstance(atom.shortcut, ast.Body):
            short = self.body(atom.shortcut, x, ctx)
            if short is None:
                return None
        else:
            short = x
            xt, bt = self.nodes[x].out, self.nodes[body].out
            if xt is not None and bt is not None and not same_shape(xt.shape, bt.shape):
                if atom.shortcut == "auto":
                    projection = len(self.nodes)
                    short = self.projection(x, xt, bt, atom, ctx)
                    if short is None:
                        return None
                    if atom.shortcut_first:  # the projection needed the body's shape; it runs first
                        moved = self.hoist(start, projection, ctx)
                        body, short = moved[body], moved[short]
                else:
                    self.error(
                        f"the residual body changes the shape from {shape_str(xt.shape)} to {shape_str(bt.shape)}, "
                        "so it cannot be added to its input",
                        atom.span,
                        "write `residual { ... } shortcut auto` to project the input, or give `shortcut { ... }`",
                    )
                    return None
        return self.add(REGISTRY["add"].bind([], {}), [body, short], None, ctx, atom.span, role="residual")

    def hoist(self, start: int, moved: int, ctx: Ctx) -> dict[int, int]:
        """Put the nodes from ``moved`` on before those from ``start`` (which they do not
        read), so that their modules and parameters come first; returns the new id of every
        node that moved."""
        order = [*range(moved, len(self.nodes)), *range(start, moved)]
        new = {old: start + k for k, old in enumerate(order)}
        self.nodes[start:] = [self.nodes[i] for i in order]
        for n in self.nodes[start:]:
            n.id = new[n.id]
            n.inputs = [new.get(i, i) for i in n.inputs]
            n.consumers = [new[i] for i in n.consumers]
            n.pair = new.get(n.pair, n.pair) if n.pair is not None else None
        for i in {i for n in self.nodes[start:] for i in n.inputs if i < start}:
            self.nodes[i].consumers = sorted(new.get(c, c) for c in self.nodes[i].consumers)
        for name, nid in ctx.values.items():
            ctx.values[name] = new.get(nid, nid)
        return new

    def projection(self, x: int, xt: TensorType, bt: TensorType, atom: ast.Residual, ctx: Ctx):
        """`shortcut auto`: a strided 1×1 conv to the body's channels, then batchnorm."""
        stride = spatial_reduction(xt.shape[1:], bt.shape[1:]) if len(xt.shape) == len(bt.shape) >= 2 else None
        if stride is None:
            self.error(
                f"`shortcut auto` cannot project {shape_str(xt.shape)} to {shape_str(bt.shape)} with a strided 1×1 conv",
                atom.span,
                "give the shortcut explicitly: `shortcut { ... }`",
            )
            return None
        name = "shortcut"
        k = 1
        while name in ctx.naming.labels:
            name, k = f"shortcut_{k}", k + 1
        ctx.naming.labels[name] = atom.span
        scope = Scope(ctx.naming.child(name), "label", name, ctx.naming.scope, span=atom.span)
        sub = replace(ctx, naming=Naming(scope))
        conv = REGISTRY["conv"].bind([bt.shape[0], 1], {"stride": stride, "bias": False})
        y = self.add(conv, [x], sub.naming.child("0"), sub, atom.span, role="shortcut")
        return self.add(REGISTRY["batchnorm"].bind([], {}), [y], sub.naming.child("1"), sub, atom.span, role="shortcut")

    def kind_argument(self, call: ast.Call, ctx: Ctx) -> ast.Call | None:
        """A call of a block parameter that holds a layer kind or a block (``act`` in
        ``block CBA(c, act = relu) { conv(c, 3) -> act }``): the call of that kind."""
        name = call.name
        target = ctx.params[name]
        where = ctx.arg_spans.get(name)
        if isinstance(target, str) and target in ctx.stack:
            self.error(f"block `{target}` would contain itself through its parameter `{name}`", where or call.name_span,
                       "a block cannot contain itself; use `repeat` for repetition")
            return None
        if isinstance(target, str) and (target in self.kinds or target in self.blocks):
            return ast.Call(target, call.args, call.branches, call.span, call.name_span)
        given = f"`{target}`" if isinstance(target, str) else value_text(target)
        hint = did_you_mean(target, list(self.kinds) + list(self.blocks)) if isinstance(target, str) else None
        if where is not None:  # the argument is at fault, not the block that uses it
            self.error(f"`{name}` is used as a layer in block `{ctx.naming.scope.name}`, so it needs a layer kind "
                       f"or a block, got {given}", where,
                       hint or f"it is called at {call.name_span.line}:{call.name_span.col}")
        else:
            self.error(f"`{name}` is called as a layer here, but it is {given}, which is no layer kind or block",
                       call.name_span, hint)
        return None

    def call(self, item: ast.Item, call: ast.Call, x: int, ctx: Ctx):
        if call.name in ctx.params and call.name not in self.kinds and call.name not in self.blocks:
            call = self.kind_argument(call, ctx)
            if call is None:
                return None
        name = call.name
        if name in self.blocks:
            return self.block(item, call, x, ctx)
        cls = self.kinds.get(name)
        if cls is None:
            if name in ctx.values:
                ctx.used.add(name)
                self.error(f"`{name}` is a value, and a value can only start a chain", call.name_span,
                           f"to merge it here, write `concat({name})`, `add({name})` or `mul({name})`")
            elif name in ctx.failed:
                pass  # its chain failed, and that was reported
            elif name in self.pending:
                self.used_early(name, call.name_span)
            elif name in self.program.definitions:
                self.error(f"`{name}` is a network; only a block can be used inside another", call.name_span,
                           f"turn it into `block {name}`, or move its body into a block both can use")
            else:
                self.error(f"unknown layer or block `{name}`", call.name_span,
                           suggest(name, list(self.kinds) + list(self.blocks)))
            return None
        if cls.merges:
            return self.merge(item, cls, call, x, ctx)
        if call.branches is not None:
            self.error(f"`{name}` does not take branches; only `concat`, `add` and `mul` do", call.span)
            return None
        value_args = self.value_args(call, ctx) if cls.values else {}
        layer, spans = self.bind_layer(cls, call, ctx, values=value_args)
        node_name = self.next_name(item, ctx)
        if layer is None:
            return None
        if len(value_args) > cls.values:
            extra = list(value_args.values())[cls.values]
            self.error(f"`{name}` takes at most {cls.values} named value{'s' if cls.values != 1 else ''}",
                       extra.value.span)
            return None
        inputs = self.named_inputs([x], value_args, ctx)
        if inputs is None:
            return None
        return self.add(layer, inputs, node_name, ctx, call.span, label=item.label, arg_spans=spans)

    @staticmethod
    def value_args(call: ast.Call, ctx: Ctx) -> dict:
        """The positional arguments of a call that name values (not parameters), by id."""
        return {id(a): a for a in call.args or []
                if a.name is None and isinstance(a.value, ast.Ref) and a.value.name not in ctx.params}

    def named_inputs(self, inputs: list[int], value_args: dict, ctx: Ctx) -> list[int] | None:
        """``inputs`` followed by the values the arguments name; None when one cannot be used
        (the error is reported)."""
        inputs = list(inputs)
        for a in value_args.values():
            v = a.value.name
            if v in ctx.failed:
                return None
            if v in self.pending:
                return self.used_early(v, a.value.span)
            if v not in ctx.values:
                hint = did_you_mean(v, ctx.values)
                if hint:  # the value meant is used, not unused
                    ctx.used.add(hint.split("`")[1])
                self.error(f"unknown value `{v}`", a.value.span, hint)
                return None
            ctx.used.add(v)
            inputs.append(ctx.values[v])
        return inputs

    def merge(self, item: ast.Item, cls, call: ast.Call, x: int, ctx: Ctx):
        inner = self.labelled_scope(item, ctx, "label")
        value_args = self.value_args(call, ctx)
        layer, spans = self.bind_layer(cls, call, ctx, values=value_args)
        if call.branches is not None:
            if value_args:
                self.error(f"`{call.name}` takes either branches or named values, not both", call.span)
                return None
            inputs = []
            for branch in call.branches:
                y = self.body(branch, x, inner) if branch.stmts else x
                if y is None:
                    return None
                inputs.append(y)
            if len(inputs) < 2:
                self.error(f"`{call.name}` needs at least two branches, each starting with `|`", call.span)
                return None
        else:
            inputs = self.named_inputs([x], value_args, ctx)
            if inputs is None:
                return None
            if len(inputs) < 2:
                self.error(
                    f"`{call.name}` merges the current value with named values or branches",
                    call.span,
                    f"write `{call.name}(name)` or `{call.name} {{ | ... | ... }}`",
                )
                return None
        if layer is None:
            return None
        return self.add(layer, inputs, None, inner, call.span, arg_spans=spans)

    def block(self, item: ast.Item, call: ast.Call, x: int, ctx: Ctx):
        defn = self.blocks[call.name]
        if call.branches is not None:
            self.error(f"block `{call.name}` does not take branches", call.span)
            return None
        if call.name in ctx.stack:
            return None  # a cycle, reported once by the program's static check
        if len(ctx.stack) >= MAX_BLOCK_DEPTH:
            self.error(f"blocks call each other more than {MAX_BLOCK_DEPTH} deep here", call.name_span,
                       "a chain of blocks that deep is a `repeat`")
            return None
        bound = self.bind_block_args(defn, call, ctx)
        path = self.next_name(item, ctx)
        if bound is None:
            return None
        params, values, spans = bound
        sizes = self.input_sizes(defn, call, x, params) if defn.on is not None else {}
        if sizes is None:
            return None
        scope = Scope(path, "block", call.name, ctx.naming.scope, args=params, span=call.span,
                      defaulted=tuple(p for p in params if p not in spans), guards=ctx.guards,
                      on=tuple(d.name if isinstance(d, ast.Ref) and d.name != "_" else None for d in defn.on or ()))
        inner = Ctx({**params, **sizes}, Naming(scope), stack=ctx.stack + (call.name,), in_block=True,
                    arg_spans=spans)
        for p in defn.params:
            if p.name in values:  # a named value given for a parameter: a value inside the block
                inner.values[p.name] = values[p.name]
                inner.value_spans[p.name] = p.span
        y = self.body(defn.body, x, inner)
        for name, nid in inner.values.items():
            if name not in inner.used and nid != y:
                self.diags.append(Diagnostic("warning", f"`{name}` is bound but never used", inner.value_spans[name]))
        return y

    def input_sizes(self, defn: ast.Definition, call: ast.Call, x: int, params: dict) -> dict | None:
        """``block B(...) on [C, H, W]``: the names of the input's sizes, bound to them; a
        number there must be the size. None when the input does not fit (reported)."""
        t = self.nodes[x].out
        if t is None:
            return None
        from ..frontend.fmt import expr as fmt_expr  # for the messages below only

        pattern = "[" + ", ".join(fmt_expr(d) for d in defn.on) + "]"
        if len(t.shape) != len(defn.on):
            self.error(f"block `{defn.name}` works on {pattern} ({len(defn.on)} dimensions), but its input is {t}",
                       call.span)
            return None
        sizes: dict = {}
        for d, size in zip(defn.on, t.shape):
            if isinstance(d, ast.Ref) and d.name in params:
                self.error(f"`{d.name}` is a parameter of block `{defn.name}`; a size of its input needs another name",
                           d.span)
                return None
            if isinstance(d, ast.Ref):
                if d.name != "_":  # `_`: a size the block does not read
                    sizes[d.name] = size
            elif isinstance(d, ast.Num) and isinstance(d.value, int):
                if d.value != size:
                    self.error(f"block `{defn.name}` works on {pattern}, but its input is {t}", call.span)
                    return None
            else:
                self.error("a size in `on [...]` is a name or a whole number", d.span,
                           "name the size (`on [C, H, W]`) and compute with the name in the body")
                return None
        return sizes

    def bind_block_args(self, defn: ast.Definition, call: ast.Call, ctx: Ctx) -> tuple | None:
        """A block call's arguments bound to the block's parameters, defaults filled in: the
        parameters, the named values given for parameters (name -> node id), and the span of
        each argument given."""
        sig = self.block_signatures.get(defn.name)
        if sig is None:
            sig = self.block_signatures[defn.name] = Signature(f"block `{defn.name}`", tuple(p.name for p in defn.params),
                                                               noun="parameter")
        args = call.args or []
        named = {id(a): a for a in args if isinstance(a.value, ast.Ref) and a.value.name not in ctx.params
                 and (a.value.name in ctx.values or a.value.name in ctx.failed or a.value.name in self.pending)}
        given = self.arguments(args, ctx, every=True)
        values, problems = sig.bind(given)
        for e in problems:
            self.report_binding(e, args, sig.names, call, ctx)
        if problems or any(v is FAILED for _, v in given):
            return None
        spans, nodes = {}, {}
        for k, a in enumerate(args):
            key = a.name or sig.names[k]
            spans[key] = a.value.span
            if id(a) in named:
                ids = self.named_inputs([], {id(a): a}, ctx)
                if ids is None:
                    return None
                nodes[key] = ids[0]
        params: dict = {}
        for p in defn.params:
            if p.name in nodes:
                continue
            if p.name in values:
                params[p.name] = values[p.name]
            elif p.default is not None:
                v = self.guard(lambda p=p: evaluate(p.default, params))
                if v is None:
                    return None
                params[p.name] = plain(v)
            else:
                e = sig.missing(p.name, hint=f"call it as `{defn.name}({', '.join(sig.names)})`")
                self.error(e.message, call.span, e.hint)
                return None
        return params, nodes, spans


def _argument_at(arg: str | int | None, args: list[ast.Arg], names: tuple) -> ast.Arg | None:
    """The argument an :class:`ArgError` is about: by its position in the call, or by the
    name it binds to (a keyword, or the name of its position)."""
    if isinstance(arg, int):
        return args[arg] if arg < len(args) else None
    for k, a in enumerate(args):
        if (a.name or (names[k] if k < len(names) else None)) == arg:
            return a
    return None


def _check_size(shape) -> None:
    """A value no computer holds is an error here, not at build time: at most
    :data:`MAX_VALUES` numbers per example (2^31, 8 GiB of float32)."""
    total = 1
    for d in shape:
        if isinstance(d, int):
            total *= d
    if total > MAX_VALUES:
        shown = [d if not isinstance(d, int) or d < 10**12 else f"{str(d)[0]}e{len(str(d)) - 1}" for d in shape]
        raise ShapeError(f"the output {shape_str(shown)} would hold more than {MAX_VALUES:,} values per example")


def _is_literal(v, depth: int = 0) -> bool:
    """Whether ``v`` is a value a spec can write (a finite number, a bool, text, a list of
    these): overrides from ``--set``, the API and checkpoints are held to it."""
    t = type(v)
    if t in (int, bool, str, Bare):
        return t is not int or v.bit_length() <= 63
    if t is float:
        return v == v and abs(v) != float("inf")
    return t is list and depth < 8 and all(_is_literal(x, depth + 1) for x in v)


def _shown(v) -> str:
    """A value for a message: text quoted with its control characters escaped, so that a
    message never carries a line break or a terminal escape from a spec or a flag."""
    if isinstance(v, str):
        if isinstance(v, Bare):
            return f"the name `{v}`"
        text = repr(str(v))
        return text if len(text) <= 40 else text[:37] + "...\""
    if type(v) in (int, float, bool, list):
        text = value_text(v)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a Python {type(v).__name__}"
