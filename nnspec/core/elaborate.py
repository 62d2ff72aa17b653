"""Elaboration: AST to the typed graph IR (LANGUAGE.md §3–§8).

Blocks are inlined (their scopes kept), repeats unrolled, argument expressions evaluated
(:mod:`.expressions`) and bound (:mod:`.binding`), value names resolved and module names
assigned and checked (:mod:`.names`). Each node's type is inferred as it is
created, because ``shortcut auto`` and ``expect`` need the shapes on the way. Errors are
collected; a node fed by a failed node fails silently, so nothing cascades.

The :class:`Elaborator` holds the network, its statements, chains and items; the structural
constructs (:mod:`.structures`: ``if``, ``repeat``, ``expect``, ``residual``) and the calls of
layers, merges and blocks (:mod:`.calls`) are its methods through those classes, and what a
body sees as it is elaborated is :mod:`.context`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..diagnostics import Diagnostic, Located, Span, did_you_mean
from ..frontend import ast
from ..frontend.parser import KEYWORDS
from ..frontend.program import Program
from .binding import Signature
from .calls import Calls
from .context import MAX_NODES, MAX_VALUES, NOTHING, ROOM, Ctx, Naming, shown
from .dims import Sym, at_size, dim_str, shape_str
from .expressions import Bare, evaluate, plain
from .ir import Graph, Node, Scope, TensorType
from .layers import REGISTRY, user_kinds
from .layers.base import Layer
from .layers.batch import BATCH_NAME, across_batch, across_batch_text
from .names import label_problem, name_problem
from .shapes import ShapeError, WindowError
from .structures import Structures


class Elaborator(Structures, Calls):
    """Builds the :class:`Graph` of one network of a :class:`Program`."""

    def __init__(self, program: Program, typed: dict[str, str] | None = None):
        self.program = program
        self.typed = typed or {}  # --set values as typed, which messages echo
        self.kinds = user_kinds()
        self.blocks = program.blocks
        self.block_signatures: dict[str, Signature] = {}

    # -- entry point -------------------------------------------------------------------------
    def network(self, defn: ast.Definition, overrides: dict | None = None) -> Graph:
        self.nodes: list[Node] = []
        self.diags: list[Diagnostic] = []
        self.pending: dict[str, Span] = {}
        self.unread_blocks: set[str] = set()  # blocks whose body ignores its input (warned)
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
        for i in self.input_ids:
            node = self.nodes[i]
            if not node.consumers and i not in result_ids and self.error_count() == 0:
                self.diags.append(Diagnostic("warning", f"input `{node.label}` is never read", node.span,
                                             f"start a chain from it (`{node.label} -> ...`), or remove it"))
        for name, nid in ctx.values.items():
            if name not in ctx.used and nid not in result_ids and name in ctx.value_spans and name not in self.input_names():
                self.diags.append(Diagnostic("warning", f"`{name}` is bound but never used", ctx.value_spans[name]))
        graph = Graph(defn.name, self.nodes, self.input_ids, self.outputs, root, params, self.diags)
        graph.train = self.train_settings(defn, params)
        self.check_freeze(defn, graph)
        self.check_per_sample_outputs(defn, graph)
        graph.values = dict(ctx.values)
        graph.definitions = self.program.definitions
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
                    self.error(f"`{p.name}` of `{defn.name}` was given {shown(overrides[p.name])}, which no spec "
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
            typed = self.typed.get(p.name, given)  # `1e3` as the user wrote it, not the 1000.0 read from it
            typed = typed if isinstance(typed, str) and typed.isprintable() and len(typed) <= 40 else shown(given)
            self.error(f"`--set {p.name}={typed}`: `{p.name}` of `{defn.name}` is {kind(default)} "
                       f"(its default is {shown(default)}), got {kind(given)}", p.span)
            return False
        return True

    def check_freeze(self, defn: ast.Definition, graph: Graph) -> None:
        """The section's ``freeze`` patterns must each match a module with parameters, as
        ``nnspec train`` will require: said by ``check``, at the value, before any run."""
        patterns = graph.train.get("freeze")
        if not patterns or any(d.severity == "error" for d in self.diags):
            return
        from ..freeze import first_unmatched, graph_paths

        missing = first_unmatched([patterns] if isinstance(patterns, str) else patterns, graph_paths(graph))
        if missing:
            setting = next(x for x in defn.train.settings if x.name == "freeze")
            self.error(f"`freeze` pattern `{missing[0]}` matches no module with parameters",
                       getattr(setting.value, "span", None) or setting.span, missing[1])

    def check_per_sample_outputs(self, defn: ast.Definition, graph: Graph) -> None:
        """A `train` section needs outputs that are each sample's own: training's losses
        compare a sample's output with that sample's label, which an output computed across
        the batch (`batchdot`) is not."""
        node = across_batch(self.nodes) if defn.train is not None else None
        if node is not None:
            self.error(f"`nnspec train` cannot train `{defn.name}`: its output {across_batch_text(node)}, and "
                       "training's losses compare each sample's output with that sample's own label",
                       defn.train.span, "train it with a loss of your own on the compiled module "
                       "(`nnspec compile`), or remove the `train` section")

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
                    label=label)
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
                if len({t.dtype for t in types}) > 1:  # torch would make floats of the ids, silently
                    ints = [shape_str(t.shape) for t in types if t.dtype == "int"]
                    raise ShapeError(f"`{layer.kind}` would mix integer ids ({', '.join(ints)}) with float values",
                                     hint="token ids go through `embedding` first; merge them with ids only")
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
            if e.unknown:
                hint = did_you_mean(e.unknown, ctx.params) or e.hint
            else:
                hint = e.hint or (self.channels_last_hint() if isinstance(e, WindowError) else None)
            self.error(message, where, hint)
        return node.id

    def channels_last_hint(self) -> str | None:
        """For a window too large for its input: the hint that an input looks channels-last
        (``[28, 28, 1]``, Keras's order), where nnspec puts the channels first."""
        for i in self.input_ids:
            s = self.nodes[i].out.shape
            if len(s) >= 3 and s[-1] in (1, 3) and isinstance(s[0], int) and s[0] > 3:
                return (f"the input `{self.nodes[i].label}: {shape_str(s)}` looks channels-last; nnspec puts "
                        f"the channels first: `{shape_str((s[-1], *s[:-1]))}`")
        return None

    def unknown(self, x: int, ctx: Ctx, span: Span | None) -> int:
        """A node for a call whose kind or arguments failed (reported): its value is unknown
        and the chain goes on through it, so that the items after it are still checked (their
        names and arguments), but, fed by a failure, not their shapes: nothing cascades."""
        node = Node(len(self.nodes), "unknown", None, [x], None, ctx.naming.scope, span)
        self.nodes[x].consumers.append(node.id)
        self.nodes.append(node)
        return node.id

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
            if isinstance(v, Sym) and BATCH_NAME in v.symbols():
                self.error(f"`{BATCH_NAME}` is the batch size's name, which no input's shape includes", d.span,
                           "name this dimension otherwise (`N`)")
                return None
        try:
            _check_size(dims, "input")
        except ShapeError as e:
            self.error(e.message, stmt.span, e.hint)
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
            if y is None or not self._per_step(folded, y, atom, inner):
                return None
            if steps is not None:
                # the body runs once per step: a sample costs `steps` times its MACs
                for node in self.nodes[folded + 1 :]:
                    node.macs = node.macs * steps
            out = self.add(REGISTRY["each_out"].bind([], {"steps": steps}), [y], None, inner, atom.span, role="each_out")
            self.nodes[out].pair = folded
            return out
        return self.call(item, atom, x, ctx)

    def _per_step(self, folded: int, y: int, atom: ast.Each, ctx: Ctx) -> bool:
        """Whether the body of an ``each`` (its nodes after ``folded``, ending in ``y``) reads
        only the position it is given; a value from outside the ``each`` holds every position
        of every sequence (a batch of another size), so it is reported where it is read, and
        not folded into a wrong computation."""
        across = next((n for n in self.nodes[folded + 1:] if n.layer is not None and n.layer.across_batch), None)
        if across is not None:
            self.error(f"`{across.op}` compares the samples of a batch, but inside `each` the batch holds every "
                       "position of every sequence", across.span or atom.span,
                       f"take `{across.op}` out of the `each`, after it has made one vector per sample")
            return False
        readers = [(n.span, i) for n in self.nodes[folded + 1:] for i in n.inputs if i < folded]
        if y < folded:
            readers.append((atom.span, y))
        if not readers:
            return True
        span, outer = readers[0]
        name = next((n for n, v in ctx.values.items() if v == outer), None)
        self.error(f"`each` runs its body on one position at a time, but this reads "
                   f"{f'`{name}`, ' if name else ''}a value from outside the `each`", span or atom.span,
                   "a body starts from the `each`'s own input; to apply it to another value, write `value -> each { ... }`")
        return False


def _check_size(shape, what: str = "output") -> None:
    """A value no computer holds is an error here, not at build time: at most
    :data:`MAX_VALUES` numbers per example (2^31, 8 GiB of float32), with each symbol at its
    least (1), so that ``upsample(1e308)`` or doubling concats on ``[T, T]`` are refused too,
    and with each symbol up to :data:`ROOM`, so that ``[T, 1000000000]`` is too."""
    def count(size: int) -> int:
        total = 1
        for d in shape:
            total *= at_size(d, size)
        return total

    def written() -> str:  # numbers of more than 12 digits as 1e308: a size's digits would fill the screen
        return ", ".join(re.sub(r"\d{13,}", lambda m: f"{m[0][0]}e{len(m[0]) - 1}", dim_str(d)) for d in shape)

    symbolic = not all(isinstance(d, int) for d in shape)
    if count(1) > MAX_VALUES:
        raise ShapeError(f"the {what} [{written()}] would hold more than {MAX_VALUES:,} values per example"
                         + (" for any size of its symbols" if symbolic else ""))
    if symbolic and count(ROOM) > MAX_VALUES:
        size = next(k for k in range(2, ROOM + 1) if count(k) > MAX_VALUES)
        names = sorted(set().union(*(d.symbols() for d in shape if not isinstance(d, int))))
        raise ShapeError(f"the {what} [{written()}] would hold more than {MAX_VALUES:,} values per example "
                         f"once {' and '.join(f'`{n}`' for n in names)} reach{'es' if len(names) == 1 else ''} {size}",
                         hint=f"a size that grows with a symbol must fit for the symbol up to {ROOM}")


def _is_literal(v, depth: int = 0) -> bool:
    """Whether ``v`` is a value a spec can write (a finite number, a bool, text, a list of
    these): overrides from ``--set``, the API and checkpoints are held to it."""
    t = type(v)
    if t in (int, bool, str, Bare):
        return t is not int or v.bit_length() <= 63
    if t is float:
        return v == v and abs(v) != float("inf")
    return t is list and depth < 8 and all(_is_literal(x, depth + 1) for x in v)
