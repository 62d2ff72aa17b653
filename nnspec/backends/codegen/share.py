"""Which block instances share a class, and the constructor parameters that class takes.

Three ``Bottleneck`` instances of widths 64, 128 and 256 have the same body but for their
sizes; one class ``Bottleneck(in_channels, width)`` serves them all when every number in which
they differ is a parameter of the block, a multiple of one (``4 * width``), or the input's
channels. Bodies are values (:mod:`.body`), so the numbers compared are the numbers of the code,
never of a name, a string or a comment.

>>> from .code import render
>>> render(explain([256, 512], {"width": [64, 128], "stride": [1, 1]}))
'4 * width'
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, fields, is_dataclass, replace

from ...core.dims import Sym
from ...core.dims import equal as dims_equal
from ...core.names import TORCH_RESERVED
from .body import Absent, Body, Built, Container, Module, shaped
from .code import Attr, BinOp, Call, Defaulted, Instance, Name, Param, counts, holes, numbers, render, substitute
from .naming import identifier
from .plan import Plan, Unit


@dataclass(eq=False)
class Class:
    """A class of the generated module and the units it serves; ``params`` are its
    constructor's (name, one value per unit), ``exprs`` what replaces each varying number."""

    units: list[Unit]
    params: list[tuple[str, list]] = field(default_factory=list)
    exprs: dict[int, object] = field(default_factory=dict)
    index: int = 0
    #: keyword parameters that say whether an instance builds a module (``project=True``),
    #: (name, one bool per unit); their default is False
    flags: list[tuple[str, list]] = field(default_factory=list)
    #: the body the class writes, when it is not its first instance's (modules built on a flag)
    body: Body | None = None
    #: the defaults of parameters (those of the block's that its instances left at one value)
    defaults: dict = field(default_factory=dict)


def explain(values: list, candidates: dict[str, list], strict: bool = False):
    """An expression over the candidates (name -> one value per instance) that gives
    ``values`` (one per instance) in every instance: a candidate itself, a whole multiple of
    one (``4 * width``), an exact fraction (``width // 2``) or a sum of several (the channels
    of a concat, ``c1 + c3``); None when there is none. ``strict``: a candidate or a multiple
    only, for numbers seen in too few instances to tell a fraction or a sum from chance.

    >>> render(explain([96, 160], {"c1": [64, 128], "c3": [32, 32], "c5": [16, 16]}))
    'c1 + c3'
    """
    for name, vs in candidates.items():
        if list(vs) == list(values):
            return Param(name)
    for name, vs in candidates.items():
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (*vs, *values)) or 0 in vs:
            continue
        if all(x % v == 0 for x, v in zip(values, vs)):
            ks = {x // v for x, v in zip(values, vs)}
            if len(ks) == 1 and (k := ks.pop()) > 1:
                return BinOp(k, "*", Param(name))
        if not strict and 0 not in values and all(v % x == 0 for x, v in zip(values, vs)):
            ks = {v // x for x, v in zip(values, vs)}
            if len(ks) == 1 and (k := ks.pop()) > 1:
                return BinOp(Param(name), "//", k)
    if strict:
        return None
    if len(set(values)) > 1:  # a rounded fraction, seen at several values (`k // 2`, a padding)
        for name, vs in candidates.items():
            if all(isinstance(v, int) and not isinstance(v, bool) for v in (*vs, *values)):
                k = next((k for k in range(2, 9) if all(v // k == x for x, v in zip(values, vs))), None)
                if k is not None:
                    return BinOp(Param(name), "//", k)
    ints = {n: vs for n, vs in candidates.items() if all(isinstance(v, int) and not isinstance(v, bool) for v in vs)}
    for size in range(2, len(ints) + 1 if len(ints) <= 10 else 2):  # sums of up to 10: 1,013 tries at most
        for names in itertools.combinations(ints, size):
            if all(sum(ints[n][i] for n in names) == x for i, x in enumerate(values)):
                out = Param(names[0])
                for n in names[1:]:
                    out = BinOp(out, "+", Param(n))
                return out
    return None


def explain_count(values: list, candidates: dict[str, list]):
    """A repeat count as a parameter and an offset (``blocks - 1``), or None."""
    for name, vs in candidates.items():
        if all(isinstance(v, int) and not isinstance(v, bool) for v in vs):
            offsets = {x - v for x, v in zip(values, vs)}
            if len(offsets) == 1 and (k := offsets.pop()) in (-2, -1, 1, 2):
                return BinOp(Param(name), "-" if k < 0 else "+", abs(k))
    return None


def _strided(ds: list, ins: list | None, params: dict[str, list]) -> str:
    """``(H - 1) // stride + 1`` when that gives each instance's size from its input's ``H``
    and its value of a parameter, else ``?``."""
    if ins is None or not all(isinstance(x, Sym) and x.is_atom() for x in ins) or len({str(x) for x in ins}) != 1:
        return "?"
    for name, vs in params.items():
        if all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in vs) and \
                all(dims_equal((x - 1) // v + 1, d) for x, v, d in zip(ins, vs, ds)):
            return f"({ins[0]} - 1) // {name} + 1"
    return "?"


def params_in(expr) -> list[str]:
    """The constructor parameters an expression reads, in order."""
    if isinstance(expr, Param):
        return [expr.name]
    if isinstance(expr, BinOp):
        return params_in(expr.left) + params_in(expr.right)
    return []


_OPTIONAL = Name("optional module")
_KIND = Name("a module built without arguments")


def _bare(value) -> bool:
    """Whether a module is built without arguments (``nn.ReLU()``, a kind's module)."""
    return (isinstance(value, Call) and isinstance(value.func, Name) and not value.args
            and all(isinstance(a, Defaulted) and a.omitted for _, a in value.kwargs))


def _without_shapes(value):
    """A module value without the shape comments of its chain's links."""
    if isinstance(value, Container):
        return replace(value, items=tuple(Module(m.key, _without_shapes(m.value)) for m in value.items))
    return value


def _shown(value):
    """A value with each keyword left at its default marked as left out: what its text shows."""
    if isinstance(value, Defaulted):
        return _LEFT_OUT if value.omitted else _shown(value.value)
    if isinstance(value, (tuple, list)):
        return tuple(_shown(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _shown(getattr(value, f.name)) for f in fields(value)
                                 if not f.metadata.get("structure")})
    return value


_LEFT_OUT = Name("left out")


class Sharing:
    """Decides the classes of a plan's units, children before parents."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.nodes = plan.nodes

    def classes(self, order: list[Unit]) -> list[Class]:
        """The classes of the units in ``order`` (children before parents): instances of one
        block whose code is the same but for numbers share a class with those numbers as
        parameters; the parent of an instance calls its class with the instance's values."""
        plan = self.plan
        height: dict[int, int] = {}
        for u in order:  # children first: a unit is one above its highest child
            height[id(u)] = 1 + max((height[id(s)] for s in plan.members(u)[1]), default=-1)
        calls: dict[int, Instance] = {}  # unit -> the call of its class, once that is known
        classes: list[Class] = []
        for level in sorted(set(height.values())):
            groups: dict[tuple, list[Unit]] = {}
            for u in (u for u in order if height[id(u)] == level):
                u.body = plan.body(u, lambda s: calls[id(s)])
                key = ("",) if u is plan.root else (u.scope.name, self.skeleton(u.body))
                groups.setdefault(key, []).append(u)
            for units in groups.values():
                for c in self.share(units):
                    c.index = len(classes)
                    classes.append(c)
                    for k, u in enumerate(c.units):
                        args = tuple(values[k] for p, values in c.params if p not in c.defaults)
                        kwargs = tuple((p, Defaulted(values[k], c.defaults[p])) for p, values in c.params
                                       if p in c.defaults)
                        kwargs += tuple((f, Defaulted(values[k], False)) for f, values in c.flags)
                        calls[id(u)] = Instance(c.index, args, kwargs)
        return classes

    def optional(self) -> set[str]:
        return set(self.plan.optional.values())

    def skeleton(self, body: Body):
        """What instances that share a class have equal: the code but for numbers, and but for
        the modules an optional shortcut builds in some instances only."""
        keys = self.optional()
        modules = tuple(Module(m.key, _OPTIONAL) if m.key in keys else m for m in body.modules)
        return holes(self.without_kinds(replace(body, modules=modules)))

    @staticmethod
    def without_kinds(body: Body) -> Body:
        """A body with its modules built without arguments marked alike."""
        return replace(body, modules=tuple(Module(m.key, _KIND, m.returns) if _bare(m.value) else m
                                           for m in body.modules))

    def kinds(self, units: list[Unit], bodies: list[Body]) -> tuple[list[Body], list[tuple[str, list]], dict]:
        """Modules built without arguments that differ between instances as a parameter of
        the block that holds a layer kind does (``act``): the module class becomes a
        parameter (``act=nn.ReLU``), called in the class (``act()``). Returns the bodies with
        those modules so built, the parameters (name, one class per instance), and each
        parameter's class for each kind name."""
        scope = units[0].scope
        params, classes = [], {}
        bodies = list(bodies)
        for i in range(len(bodies[0].modules)):
            funcs = [b.modules[i].value.func if i < len(b.modules) and _bare(b.modules[i].value) else None
                     for b in bodies]
            if None in funcs or len(set(funcs)) == 1:
                continue
            for p in scope.args:
                values = [u.scope.args.get(p) for u in units]
                if not all(isinstance(v, str) for v in values):
                    continue
                pairs = set(zip(values, funcs))
                if len(pairs) == len(set(values)) == len(set(funcs)):  # one class per kind name
                    name = self.param_name(p, scope)
                    if name in (n for n, _ in params):
                        break
                    params.append((name, funcs))
                    classes[name] = dict(pairs)
                    bodies = [replace(b, modules=tuple(
                        Module(x.key, Call(Param(name)), x.returns) if k == i else x
                        for k, x in enumerate(b.modules))) for b in bodies]
                    break
        return bodies, params, classes

    def fill(self, units: list[Unit]) -> tuple[list[Body], list[set[int]], list[tuple[str, list]], Body | None]:
        """The bodies of instances that differ in optional modules, each with the module its
        class builds (the first instance's, without shape comments) where it has none; the
        numbers each instance really has; the flags that say which have it; the class's body."""
        keys = [m.key for m in units[0].body.modules if m.key in self.optional()]
        present = [set(range(len(numbers(u.body)))) for u in units]
        if not keys:
            return [u.body for u in units], present, [], None
        templates = {}
        for key in keys:
            template = next((m.value for u in units for m in u.body.modules
                             if m.key == key and not isinstance(m.value, Absent)), None)
            templates[key] = _without_shapes(template) if template is not None else None
        bodies, present, flags = [], [], {key: [] for key in keys}
        for u in units:
            modules, have, count = [], set(), 0
            for m in u.body.modules:
                if m.key in templates and templates[m.key] is not None:
                    real = not isinstance(m.value, Absent)
                    flags[m.key].append(real)
                    m = Module(m.key, templates[m.key] if not real else _without_shapes(m.value))
                    n = len(numbers(m))
                    if real:
                        have |= set(range(count, count + n))
                else:
                    n = len(numbers(m))
                    have |= set(range(count, count + n))
                count += n
                modules.append(m)
            forward_numbers = len(numbers(u.body.forward))
            have |= set(range(count, count + forward_numbers))
            bodies.append(replace(u.body, modules=tuple(modules)))
            present.append(have)
        named = [(("project" if k == 0 else f"project_{k + 1}"), flags[key]) for k, key in enumerate(keys)
                 if templates[key] is not None and len(set(flags[key])) > 1]
        if not named:
            return [u.body for u in units], [set(range(len(numbers(u.body)))) for u in units], [], None
        built = dict(zip([key for key in keys if templates[key] is not None and len(set(flags[key])) > 1],
                         [name for name, _ in named]))
        class_body = replace(bodies[0], modules=tuple(
            Module(m.key, Built(Param(built[m.key]), m.value)) if m.key in built else m for m in bodies[0].modules))
        return bodies, present, named, class_body

    def share(self, units: list[Unit]) -> list[Class]:
        """One class for instances whose code differs only in numbers that the block's
        parameters (or the input's size) explain, and in modules an optional shortcut builds
        in some only (a flag); else one class per distinct code."""
        bodies = [u.body for u in units]
        if all(b == bodies[0] for b in bodies[1:]):
            return [self.alike(units)]
        bodies, present, flags, class_body = self.fill(units)
        bodies, kinds, classes = self.kinds(units, bodies)
        if kinds and class_body is not None:
            class_body = replace(class_body, modules=tuple(
                b if isinstance(b.value, Call) and isinstance(b.value.func, Param) else c
                for b, c in zip(bodies[0].modules, class_body.modules)))
        found = [numbers(b) for b in bodies]
        if len({len(f) for f in found}) != 1 or any(holes(b) != holes(bodies[0]) for b in bodies[1:]):
            return self.distinct(units)
        # numbers that differ; and those of a module some instances lack, which a parameter
        # explains where one does (the projection from `in_channels` to `4 * width`)
        partial = {j for j in range(len(found[0])) if any(j not in have for have in present)}
        differing = [j for j in range(len(found[0]))
                     if j in partial or len({f[j] for k, f in enumerate(found) if j in present[k]}) > 1]
        args, inputs = self.candidates(units)
        exprs: dict[int, object] = {}
        repeat_counts = counts(bodies[0])
        for j in differing:
            have = [k for k in range(len(units)) if j in present[k]]
            values = [found[k][j] for k in have]
            sub_args = {n: [vs[k] for k in have] for n, vs in args.items()}
            sub_inputs = {n: [vs[k] for k in have] for n, vs in inputs.items()}
            constant = len(set(values)) == 1
            if j in partial and constant and values[0] in (0, 1):
                continue  # a kernel of 1, no padding: not a size that follows a parameter
            strict = j in partial and constant
            # the block's own parameters first, so that `4 * width` wins over a new parameter;
            # a number seen once is first a parameter itself (`in_channels`), then a multiple
            e = (explain(values, {**sub_args, **sub_inputs}, strict) if strict else
                 explain(values, sub_args) or explain(values, {**sub_args, **sub_inputs}))
            if e is None and j in repeat_counts:  # a repeat's count: a parameter less one or two
                e = explain_count(values, sub_args)
            if e is None and j in partial and len(set(values)) == 1:
                continue  # the same in every instance that has it
            if e is None:
                return self.distinct(units)
            exprs[j] = e
        used = {name for e in exprs.values() for name in params_in(e)} | {name for name, _ in kinds}
        values_of = {**inputs, **args, **dict(kinds)}
        params = [(name, values) for name, values in values_of.items() if name in used]
        defaults = self.defaults(units, [name for name, _ in params])
        for name, kind_classes in classes.items():
            if name in defaults:
                defaults[name] = kind_classes[defaults[name]]
        params.sort(key=lambda p: p[0] in defaults)  # the parameters with defaults last
        for u, b in zip(units, bodies):
            u.body = b
        return [Class(units, params, exprs, flags=flags, body=class_body, defaults=defaults)]

    def defaults(self, units: list[Unit], names: list[str]) -> dict:
        """The default of each of a class's parameters that is a block parameter some instances
        left at its default, the same for all of them (``stride=1``)."""
        scope = units[0].scope
        spec_name = {self.param_name(p, scope): p for p in scope.args}
        out = {}
        for name in names:
            p = spec_name.get(name)
            values = {repr(u.scope.args[p]): u.scope.args[p] for u in units if p is not None and p in u.scope.defaulted}
            if len(values) == 1:
                out[name] = next(iter(values.values()))
        return out

    def alike(self, units: list[Unit]) -> Class:
        """The class of instances with one body: the sizes of its modules that are a block
        parameter's value in every instance are written as that parameter (``nn.Linear(dim,
        hidden)``), so the class reads as its block does. Only whole sizes other than 0 and 1
        that one of the block's parameters alone has (not the input's channels too); a number
        of ``forward`` (a dimension) stays as it is."""
        u = units[0]
        if u is self.plan.root or not u.inputs:
            return Class(units)
        args, inputs = self.candidates(units)
        found = numbers(u.body.modules)
        exprs: dict[int, object] = {}
        for j, value in enumerate(found):
            if value in (0, 1) or not isinstance(value, int):
                continue
            # the instances' bodies are equal: the parameter must have this value in each
            matches = [name for name, vs in {**args, **inputs}.items() if all(v == value for v in vs)]
            if len(matches) == 1 and matches[0] in args:  # a size two could have is either's
                exprs[j] = Param(matches[0])
        if not exprs:
            return Class(units)
        used = {name for e in exprs.values() for name in params_in(e)}
        params = [(name, values) for name, values in {**inputs, **args}.items() if name in used]
        defaults = self.defaults(units, [name for name, _ in params])
        params.sort(key=lambda p: p[0] in defaults)
        return Class(units, params, exprs, defaults=defaults)

    def distinct(self, units: list[Unit]) -> list[Class]:
        """The classes of instances that cannot all share one: those that show the same
        keywords (a changed stride among default ones) try again on their own; else one class
        per distinct body."""
        for key in (lambda b: holes(_shown(self.without_kinds(b))), lambda b: holes(_shown(b))):
            parts: dict = {}
            for u in units:
                parts.setdefault(key(u.body), []).append(u)
            if len(parts) > 1:
                return [c for part in parts.values() for c in self.share(part)]
        groups: list[tuple[Body, list[Unit]]] = []
        for u in units:
            group = next((us for b, us in groups if b == u.body), None)
            if group is None:
                groups.append((u.body, [u]))
            else:
                group.append(u)
        return [self.alike(us) for _, us in groups]

    def candidates(self, units: list[Unit]) -> tuple[dict[str, list], dict[str, list]]:
        """What may explain a number, one value per instance: the block's numeric parameters,
        and the input's channels (or features)."""
        scope = units[0].scope
        args: dict[str, list] = {}
        for name in scope.args:
            values = [u.scope.args.get(name) for u in units]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                args[self.param_name(name, scope)] = values
        ins = [self.nodes[u.inputs[0]].out for u in units]
        inputs: dict[str, list] = {}
        feature = -1 if ins[0].masked or len(ins[0].shape) == 1 else 0
        name = "in_features" if feature == -1 else "in_channels"
        values = [t.shape[feature] if t.shape else None for t in ins]
        if name not in args and all(isinstance(v, int) for v in values):
            inputs[name] = values
        return args, inputs

    def param_name(self, name: str, scope) -> str:
        """A block parameter as a constructor parameter: a Python identifier that hides no
        name the constructor uses, nor another parameter's."""
        names: dict[str, str] = {}
        for p in scope.args:
            names[p] = identifier(p, scope, "a block parameter", self.plan.taken | set(names.values()))
        return names[name]

    # -- the shared body -----------------------------------------------------------------------
    def parametrise(self, c: Class) -> tuple[Body, list[tuple[str, str]]]:
        """The body of a shared class with its varying numbers replaced by expressions over its
        constructor's parameters, and the parameters ``__init__`` keeps on ``self``.

        A number of ``forward`` (a reshape's size, a dimension) cannot name a constructor
        parameter, which ``forward`` does not see: the constructor keeps each such parameter
        as an attribute (``self.c = c``), and ``forward`` reads it there.
        """
        u = c.units[0]
        body = c.body or u.body
        in_init = len(numbers(body.modules))
        attrs: dict[str, str] = {}
        taken = set(u.top.children) | TORCH_RESERVED

        def attribute(expr):
            if isinstance(expr, Param):
                if expr.name not in attrs:
                    attr = expr.name
                    # a submodule or a name of nn.Module's own (`_modules`) would be overwritten
                    while attr in taken or (attr.startswith("_") and not attr.endswith("_")):
                        attr += "_"
                    taken.add(attr)
                    attrs[expr.name] = attr
                return Attr(Name("self"), attrs[expr.name])
            if isinstance(expr, BinOp):
                return replace(expr, left=attribute(expr.left), right=attribute(expr.right))
            return expr

        modules = substitute(body.modules, c.exprs)
        forward = substitute(body.forward, {j: attribute(e) for j, e in c.exprs.items() if j >= in_init}, in_init)
        return replace(body, modules=modules, forward=forward), list(attrs.items())

    def symbolic_shapes(self, c: Class) -> list[dict[int, tuple]] | None:
        """For each instance of a class, the shape of every value of its code with the input's
        varying sizes as symbols (``H``, ``W``), its channels as they are; None when a layer
        cannot say."""
        ins = [self.nodes[u.inputs[0]].out for u in c.units]
        if len({len(t.shape) for t in ins}) != 1:
            return None
        rank, masked = len(ins[0].shape), ins[0].masked
        letters = {1: "F", 2: "TF" if masked else "CL", 3: "CHW", 4: "TCHW" if masked else "CDHW"}.get(rank)
        if letters is None:
            return None
        keep = rank - 1 if masked else 0  # channels (features of a sequence) stay numbers
        used = set().union(*(d.symbols() for t in ins for d in t.shape if isinstance(d, Sym)))
        out = []
        for u, t in zip(c.units, ins):
            shape = tuple(
                d if j == keep or len({str(x.shape[j]) for x in ins}) == 1 else
                Sym.symbol(letters[j] if letters[j] not in used else letters[j].lower())
                for j, d in enumerate(t.shape))
            types = {u.inputs[0]: replace(t, shape=shape)}
            try:
                for nid in self.plan.below(u):
                    n = self.nodes[nid]
                    xs = [types[i] for i in n.inputs]
                    types[nid] = n.layer.infer_many(xs) if n.layer.merges else n.layer.infer(xs[0])
            except Exception:  # noqa: BLE001 -- any layer that needs a number here: no symbols
                return None
            out.append({i: tt.shape for i, tt in types.items()})
        return out

    @staticmethod
    def shape_text(shapes: list[tuple], c: Class, inputs: list[tuple] | None = None) -> str:
        """One shape comment for all instances of a class: a size the instances share, else a
        parameter expression, else ``?``. A size a stride divides (``(H - 1) // stride + 1``,
        a convolution's that keeps the size at stride 1) is found from the input's sizes."""
        if len({len(s) for s in shapes}) != 1:
            return "?"
        params = dict(c.params)
        dims = []
        for j in range(len(shapes[0])):
            ds = [s[j] for s in shapes]
            if all(dims_equal(ds[0], d) for d in ds[1:]):
                dims.append(str(ds[0]))
            elif all(isinstance(d, int) for d in ds):
                e = explain(ds, params)
                dims.append(render(e) if e is not None else "?")
            else:
                dims.append(_strided(ds, [s[j] for s in inputs] if inputs and j < len(inputs[0]) else None, params))
        return "[" + ", ".join(dims) + "]"

    def shapes(self, c: Class) -> tuple[dict[int, str], str]:
        """The shape comment of each value of a class's body (keyed by its first instance's
        value ids), and the shape of its input."""
        from ...core.dims import shape_str

        if (not c.params and not c.flags) or c.units[0] is self.plan.root:  # the network's at its defaults
            u = c.units[0]
            return {i: shape_str(self.nodes[i].out.shape) for i in shaped(u.body)}, ""
        sym = self.symbolic_shapes(c)

        def shapes_of(ids: list[int]) -> list[tuple]:
            return [(sym[k][i] if sym else self.nodes[i].out.shape) for k, i in enumerate(ids)]

        per_unit = [shaped(u.body) for u in c.units]
        out = {}
        ins = shapes_of([u.inputs[0] for u in c.units])
        if any(len(x) != len(ins[0]) for x in ins):
            ins = None
        for k, i in enumerate(per_unit[0]):
            out[i] = self.shape_text(shapes_of([ids[k] for ids in per_unit]), c, ins)
        return out, self.shape_text(ins, c) if ins is not None else "?"
