"""Elaboration of the structural constructs: ``if``, ``repeat``, ``expect`` and ``residual``
(with its ``shortcut``), each a method of :class:`~.elaborate.Elaborator` through
:class:`Structures`."""

from __future__ import annotations

from dataclasses import replace

from ..diagnostics import Located
from ..frontend import ast
from ..frontend.ast import value_text
from .context import MAX_NODES, Ctx, Naming, shown
from .dims import Sym, same_shape, shape_str
from .expressions import Bare, evaluate, names_hint
from .ir import Scope, TensorType
from .layers import REGISTRY
from .shapes import spatial_reduction


class Structures:
    """The constructs that arrange items: they choose, copy, check or join what the items
    they hold make (LANGUAGE.md §5)."""

    def choose(self, atom: ast.If, x: int, ctx: Ctx):
        """``if``: the condition is decided now, and only the branch it picks is elaborated
        (no branch: the value passes unchanged). The branch adds no naming level."""
        params = ctx.params
        while True:
            cond = self.guard(lambda atom=atom: evaluate(atom.cond, params))
            if cond is None:
                return None
            if not isinstance(cond, bool):
                self.bad_condition(atom.cond, cond, ctx)
                return None
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
                    hint = (f"`{d.name}` is a parameter whose value is {shown(v)}; a symbol is a name that is no "
                            "parameter, and a parameter used as a size must be an integer")
                self.error(f"a dimension must be an integer or a symbol, got {shown(v)}", d.span, hint)
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
        # block instances among the moved nodes name the values given for their parameters
        scopes = {id(s): s for n in self.nodes[start:] for s in n.scope.ancestors() if s.values}
        for s in scopes.values():
            s.values = {p: new.get(nid, nid) for p, nid in s.values.items()}
        return new

    def projection(self, x: int, xt: TensorType, bt: TensorType, atom: ast.Residual, ctx: Ctx):
        """`shortcut auto`: a strided 1×1 conv to the body's channels, then batchnorm."""
        stride = spatial_reduction(xt.shape[1:], bt.shape[1:]) if len(xt.shape) == len(bt.shape) >= 2 else None
        if stride is None or not isinstance(bt.shape[0], int):  # a conv's channels are a number, not a symbol
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
