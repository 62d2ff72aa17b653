"""Elaboration of calls: a layer's arguments bound to its kind, a merge of named values, a
block instance (its arguments, the sizes its ``on [...]`` names, its own scope), each a method
of :class:`~.elaborate.Elaborator` through :class:`Calls`."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Located, did_you_mean
from ..frontend import ast
from ..frontend.ast import value_text
from .binding import FAILED, ArgError, Signature
from .context import MAX_BLOCK_DEPTH, Ctx, Naming
from .expressions import evaluate, plain
from .ir import Scope
from .layers import suggest
from .layers.base import Layer


class Calls:
    """Calls of layer kinds, merges and blocks (LANGUAGE.md §4, §6)."""

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
            for problem in (e, *e.others):
                self.report_binding(problem, args, names, call, ctx)
            return None, spans

    # -- bodies and chains -------------------------------------------------------------------------

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
                return self.unknown(x, ctx, call.span)
            return None
        if cls.merges:
            return self.merge(item, cls, call, x, ctx)
        if call.branches is not None:
            self.error(f"`{name}` does not take branches; only `concat`, `add` and `mul` do", call.span)
            return None
        value_args = self.value_args(call, ctx) if cls.values else {}
        # a value given by keyword (`mask=m`) is bound as its name too, so the layer knows it
        keyword_values = self.value_args(call, ctx, cls.value_keywords) if cls.value_keywords else {}
        for a in call.args or []:
            if a.name in cls.value_keywords and id(a) not in keyword_values:
                self.error(f"`{a.name}=` takes a named value (a `let` name or an input)", a.span)
                return self.unknown(x, ctx, call.span)
        layer, spans = self.bind_layer(cls, call, ctx, values=value_args)
        node_name = self.next_name(item, ctx)
        if layer is None:
            return self.unknown(x, ctx, call.span)
        if len(value_args) > cls.values:
            extra = list(value_args.values())[cls.values]
            self.error(f"`{name}` takes at most {cls.values} named value{'s' if cls.values != 1 else ''}",
                       extra.value.span)
            return None
        inputs = self.named_inputs([x], {**value_args, **keyword_values}, ctx)
        if inputs is None:
            return None
        return self.add(layer, inputs, node_name, ctx, call.span, label=item.label, arg_spans=spans)

    @staticmethod
    def value_args(call: ast.Call, ctx: Ctx, keywords: tuple[str, ...] = ()) -> dict:
        """The positional arguments of a call that name values (not parameters), by id; with
        ``keywords``, those of its keyword arguments of these names that name values."""
        return {id(a): a for a in call.args or []
                if (a.name in keywords if keywords else a.name is None)
                and isinstance(a.value, ast.Ref) and a.value.name not in ctx.params}

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
            return self.unknown(x, ctx, call.span)
        params, values, spans = bound
        sizes = self.input_sizes(defn, call, x, params) if defn.on is not None else {}
        if sizes is None:
            return None
        scope = Scope(path, "block", call.name, ctx.naming.scope, args=params, span=call.span,
                      defaulted=tuple(p for p in params if p not in spans),
                      on=tuple(d.name if isinstance(d, ast.Ref) and d.name != "_" else None for d in defn.on or ()),
                      values={p.name: values[p.name] for p in defn.params if p.name in values})
        inner = Ctx({**params, **sizes}, Naming(scope), stack=ctx.stack + (call.name,), in_block=True,
                    arg_spans=spans)
        for p in defn.params:
            if p.name in values:  # a named value given for a parameter: a value inside the block
                inner.values[p.name] = values[p.name]
                inner.value_spans[p.name] = p.span
        start = len(self.nodes)
        y = self.body(defn.body, x, inner)
        if y is not None and y != x and defn.name not in self.unread_blocks \
                and not any(c >= start for c in self.nodes[x].consumers):
            self.unread_blocks.add(defn.name)  # said once, at the definition: each instance is alike
            self.diags.append(Diagnostic(
                "warning", f"block `{defn.name}` never reads its input", defn.name_span,
                "a chain in a block starts from the block's input unless it starts from a name "
                "(`let t = e -> ...` starts from `e`)"))
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
