"""Which block instances share a class, and the constructor parameters that class takes.

Three ``Bottleneck`` instances of widths 64, 128 and 256 have the same body but for their
sizes; one class ``Bottleneck(in_channels, width)`` serves them all when every number in which
they differ is a parameter of the block, a multiple of one (``4 * width``), or the input's
channels. Bodies are values (:mod:`.body`), so the numbers compared are the numbers of the code,
never of a name, a string or a comment.
Which expression explains a number is :mod:`.explain`; the shape comments of a shared class
are :mod:`.comments`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, fields, is_dataclass, replace

from ...core.code import (
    Attr,
    BinOp,
    Call,
    Defaulted,
    IfElse,
    Instance,
    Name,
    Param,
    Repeat,
    counts,
    holes,
    numbers,
    params_in,
    rewrite,
    substitute,
)
from ...core.names import TORCH_RESERVED
from .body import ABSENT, Absent, Assign, Body, Built, Container, If, Module
from .comments import ShapeComments
from .conditions import condition, decisions, origin, presence
from .explain import evaluated, explain, explain_count
from .forwards import as_list, line_up, written
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
    #: attributes ``__init__`` sets for ``forward``'s conditions: (name, condition)
    attrs: list = field(default_factory=list)


def _descendants(scope) -> list:
    """A scope and every scope below it."""
    out = [scope]
    for s in scope.children:
        out += _descendants(s)
    return out


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
    def leaf(v):
        if isinstance(v, Defaulted):
            return _LEFT_OUT if v.omitted else _shown(v.value)
        return tuple(_shown(x) for x in v) if isinstance(v, list) else None

    return rewrite(value, leaf)


_LEFT_OUT = Name("left out")

def _marked_absent(value):
    """A module an instance lacks, as its class builds it for others: its links show no
    shape of this instance."""
    if isinstance(value, Container):
        return replace(value, items=tuple(Module(m.key, _marked_absent(m.value), ABSENT if m.returns is not None
                                                 else None) for m in value.items))
    return value


_OP_WORDS = {"==": "is", "!=": "not", ">": "over", "<": "under", ">=": "at_least", "<=": "at_most"}


def _flag_name(cond) -> str:
    """The attribute that holds a condition ``forward`` tests: ``stride_is_1`` for
    ``stride == 1``, else ``branch``."""
    if isinstance(cond, BinOp) and cond.op in _OP_WORDS and isinstance(cond.left, Param) and \
            isinstance(cond.right, int) and not isinstance(cond.right, bool) and cond.right >= 0:
        return f"{cond.left.name}_{_OP_WORDS[cond.op]}_{cond.right}"
    return "branch"


def _assignments(stmts) -> list:
    """The assignments of forward lines, those under an ``if`` in place, in order."""
    out = []
    for s in stmts:
        if isinstance(s, If):
            out += _assignments(s.then) + _assignments(s.orelse)
        elif isinstance(s, Assign):
            out.append(s)
    return out


def _kinds_blind(value):
    """A value with the module classes it passes to generated classes (``nn.ReLU`` of
    ``ConvBNAct(16, 16, 3, nn.ReLU)``) marked alike."""
    def leaf(v):
        if isinstance(v, Instance):
            mark = lambda a: _KIND if isinstance(a, Name) else _kinds_blind(a)
            return replace(v, args=tuple(mark(a) for a in v.args), kwargs=tuple((k, mark(x)) for k, x in v.kwargs))
        return v if isinstance(v, Name) else None

    return rewrite(value, leaf)


def _interleaved(orders: list[list]) -> list | None:
    """One order of every item of several orders that keeps each one's (a module of some
    instances only goes where its instances have it); None when two orders disagree."""
    out = list(orders[0])
    for order in orders[1:]:
        at = 0
        for item in order:
            if item in out:
                k = out.index(item)
                if k < at:
                    return None
                at = k + 1
            else:
                out.insert(at, item)
                at += 1
    return out


@dataclass
class Merged:
    """Instances' modules lined up (:meth:`Sharing.merge`): each instance's body holding every
    module of the class, the numbers each really has, and per module of the class its
    condition (None: every instance has it) and the instance whose module the class writes."""

    bodies: list
    present: list
    conds: list
    owners: list
    flags: list = field(default_factory=list)
    #: where the forwards differ: the class's forward, and the attributes its `if`\ s test
    #: (name, condition over the constructor's parameters)
    forward: tuple | None = None
    attrs: list = field(default_factory=list)


class Sharing(ShapeComments):
    """Decides the classes of a plan's units, children before parents."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.nodes = plan.nodes
        #: id of a unit -> the call of its class, from the last :meth:`classes`
        self.calls: dict[int, Instance] = {}
        #: a class's number -> the parameters its calls pass by position
        self.positional: dict[int, list[str]] = {}

    def classes(self, order: list[Unit]) -> list[Class]:
        """The classes of the units in ``order`` (children before parents): instances of one
        block whose code is the same but for numbers share a class with those numbers as
        parameters; the parent of an instance calls its class with the instance's values."""
        plan = self.plan
        height: dict[int, int] = {}
        # children first: a unit is one above its highest child, and at the height of the
        # highest instance of its block (all instances of a block are shared at once)
        top: dict[str, int] = {}
        for _ in range(len(order) + 1):
            changed = False
            for u in order:
                h = max(1 + max((height[id(s)] for s in plan.members(u)[1]), default=-1), top.get(u.scope.name, 0))
                changed = changed or height.get(id(u)) != h
                height[id(u)] = top[u.scope.name] = h
            if not changed:
                break
        calls = self.calls = {}  # unit -> the call of its class, once that is known
        classes: list[Class] = []
        for level in sorted(set(height.values())):
            groups: dict[tuple, list[Unit]] = {}
            for u in (u for u in order if height[id(u)] == level):
                u.body = plan.body(u, lambda s: calls[id(s)])
                key = ("",) if u is plan.root else (u.scope.name,)
                groups.setdefault(key, []).append(u)
            for units in groups.values():
                for c in self.share(units):
                    c.index = len(classes)
                    classes.append(c)
                    self.positional[c.index] = [p for p, _ in c.params if p not in c.defaults]
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

    def sequence(self, u: Unit) -> list[tuple] | None:
        """The modules of an ``nn.Sequential`` body, each as (the spec item it comes from, the
        module, the guards it lies under); a run written once (:class:`Repeat`) is one item,
        unless its modules come from different places. None when the modules do not match
        the submodules."""
        slots = u.top.ordered()
        out, seen, k = [], {}, 0
        for m in u.body.modules:
            n = m.value.count if isinstance(m.value, Repeat) and isinstance(m.value.count, int) else 1
            run = slots[k:k + n]
            k += n
            origins = [self.origin(u, s) for s in run]
            # a run of equal modules from different places of the spec: each on its own
            parts = [(m, origins[0])] if len(set(origins)) == 1 else \
                [(Module(s.key, m.value.value, s.returns), o) for s, o in zip(run, origins)]
            for module, (place, guards) in parts:
                seen[place] = seen.get(place, -1) + 1
                out.append(((place, seen[place]), module, guards))
        return out if k == len(slots) else None

    def origin(self, u: Unit, slot) -> tuple[tuple, tuple]:
        """The spec item a submodule of ``u`` comes from, and the guards it lies under."""
        while slot.unit is None and not slot.nodes and slot.children:
            slot = slot.ordered()[0]
        if slot.unit is not None:
            nid = self.plan.below(slot.unit)[0]
        elif slot.nodes:
            nid = slot.nodes[0]
        else:
            return (None, slot.key), ()  # no node: a module other instances build (Absent)
        return origin(u.scope, self.nodes[nid])

    def condition_names(self, units: list[Unit]) -> dict[str, str]:
        """The spec names a condition of the block may read, each with its constructor
        parameter: the block's parameters, and the name ``on [...]`` gives the input's channels."""
        scope = units[0].scope
        names = {p: self.param_name(p, scope) for p in scope.args}
        _, inputs = self.candidates(units)
        t = self.nodes[units[0].inputs[0]].out
        if inputs and len(scope.on) == len(t.shape):
            spec = scope.on[-1 if t.masked or len(t.shape) == 1 else 0]
            if spec is not None:
                names[spec] = next(iter(inputs))
        return names

    def merge(self, units: list[Unit]) -> Merged | None:
        """The modules of a class serving instances that build different ones: every module
        of some instance, in the spec's order, each built on the condition of the ``if`` that
        decides which instances have it (:mod:`.conditions`), or on a flag where an optional
        shortcut projects in some only (``project=False``). Each instance's body gets the
        modules it lacks as its class builds them for others. None when the instances'
        modules cannot be lined up, or no condition tells those with a module from the rest."""
        bodies = [u.body for u in units]
        bases = {b.base for b in bodies}
        base = bodies[0].base if len(bases) == 1 else "nn.ModuleList" if bases == {"nn.Sequential", "nn.ModuleList"} \
            else None
        if base is None:
            return None
        forwards = [b.forward if b.base != "nn.Sequential" else as_list(b.modules) for b in bodies]
        if len(bases) > 1 and any(f is None or not u.plain for f, u in zip(forwards, units)):
            return None  # a run written once, or a forward that also takes other values or the lengths
        if bases == {"nn.Sequential"}:
            listed = [self.sequence(u) for u in units]
            if any(items is None for items in listed):
                return None
        else:
            listed = [[(m.key, m, self.origin(u, u.top.children[m.key])[1] if m.key in u.top.children else ())
                       for m in u.body.modules] for u in units]
        order = _interleaved([[place for place, _, _ in items] for items in listed])
        if order is None:
            return None
        by_place = [{place: (m, guards) for place, m, guards in items} for items in listed]
        decided = [decisions(u.scope) for u in units]
        names = self.condition_names(units)
        optional = self.optional()
        conds, owners, flag_values = [], [], []
        for place in order:
            has = [place in d and not isinstance(d[place][0].value, Absent) for d in by_place]
            owner = has.index(True) if any(has) else 0
            cond = None
            if any(has) and not all(has):
                cond = presence(by_place[owner][place][1], decided, has, names)
                if cond is None and base == "nn.Module" and place in optional:
                    cond = Param("project" if not flag_values else f"project_{len(flag_values) + 1}")
                    flag_values.append((cond.name, has))
                if cond is None:
                    return None
            conds.append(cond)
            owners.append(owner)
        if base == "nn.ModuleList" and any(a is not None and b is None for a, b in itertools.pairwise(conds)):
            return None  # a list's modules are numbered by position: only the last may be missing
        lined = None
        if base != "nn.Sequential" and len({holes(f) for f in forwards}) > 1:
            lined = self.forwards(units, forwards, decided, names)
            if lined is None:
                return None
        flagged = {place for place, c in zip(order, conds) if isinstance(c, Param)}
        filled, present = [], []
        for k, d in enumerate(by_place):
            modules, have, count = [], set(), 0
            for j, (place, owner) in enumerate(zip(order, owners)):
                key = place if base != "nn.Sequential" else str(j)
                real = place in d and not isinstance(d[place][0].value, Absent)
                m = d[place][0] if real else by_place[owner][place][0]
                if place in flagged:  # as before: a projection's links show no shapes
                    m = Module(key, _without_shapes(m.value))
                elif real:  # a list's modules show no shapes: its forward's lines do
                    m = Module(key, m.value, m.returns if base == "nn.Sequential" else None)
                else:
                    m = Module(key, _marked_absent(m.value), ABSENT if m.returns is not None and base == "nn.Sequential"
                               else None)
                n = len(numbers(m))
                if real:
                    have |= set(range(count, count + n))
                count += n
                modules.append(m)
            forward = bodies[k].forward
            if lined is None:
                have |= set(range(count, count + len(numbers(forward))))
            else:
                forward = lined[0][k]
                for s in _assignments(forward):
                    n = len(numbers(s))
                    if s.value != ABSENT:
                        have |= set(range(count, count + n))
                    count += n
            args = bodies[k].args if lined is None else ("x",)
            filled.append(replace(bodies[k], base=base, modules=tuple(modules), args=args, forward=forward))
            present.append(have)
        if lined is None:
            return Merged(filled, present, conds, owners, flag_values)
        return Merged(filled, present, conds, owners, flag_values, lined[1], lined[2])

    def forwards(self, units: list[Unit], forwards: list[tuple], decided: list[dict], names: dict):
        """One forward for instances whose forwards differ in lines that an ``if`` adds
        (:mod:`.forwards`): each instance's, the class's, and the attributes its conditions
        test (name, condition); None where no condition explains a difference."""
        lined = line_up(forwards, ("x",))
        if lined is None:
            return None
        order, returns = lined
        taken = set(TORCH_RESERVED) | {self.param_name(p, units[0].scope) for p in units[0].scope.args} | \
            {k for u in units for k in u.top.children} | {"in_channels", "in_features"}
        attrs: dict[object, str] = {}  # condition -> its attribute

        def flag_of(lines, has):
            found = set()
            for line in lines:
                k = min(line.own)
                value = line.own[k][0].value
                if value is None:
                    return None
                # a line after the `if` that reads its branch's value lies under no condition
                cond = presence(origin(units[k].scope, self.nodes[value])[1], decided, has, names)
                if cond is not None:
                    found.add(cond)
            if len(found) != 1:
                return None
            cond = found.pop()
            if cond not in attrs:
                residual = any(self.nodes[line.own[min(line.own)][0].value].role == "residual" for line in lines)
                base = "residual" if residual else _flag_name(cond)
                name, k = base, 2
                while name in taken:
                    name, k = f"{base}_{k}", k + 1
                taken.add(name)
                attrs[cond] = name
            return attrs[cond]

        done = written(order, returns, ("x",), flag_of)
        if done is None:
            return None
        out, shared, flags = done
        by_name = {name: cond for cond, name in attrs.items()}
        return out, shared, [(name, by_name[name]) for name, _ in flags]

    def share(self, units: list[Unit]) -> list[Class]:
        """The classes of the instances of one block: one for all where their code differs
        only in numbers that the block's parameters (or the input's size) explain, and in
        modules that the spec's conditions (or a flag) build in some only; else one class for
        each group of instances that differ in those ways only, else one per distinct code."""
        bodies = [u.body for u in units]
        if all(b == bodies[0] for b in bodies[1:]):
            return [self.alike(units)]
        parts: dict = {}
        for u in units:
            parts.setdefault(self.skeleton(u.body), []).append(u)
        merged = self.merge(units) or Merged(bodies, [set(range(len(numbers(b)))) for b in bodies], [], [])
        c = self.numbered(units, merged)
        if c is not None:
            return [c]
        if len(parts) == 1:
            return self.distinct(units)
        coarse: dict = {}  # first those that differ in the layer kinds they pass on only
        for u in units:
            coarse.setdefault(self.skeleton(_kinds_blind(u.body)), []).append(u)
        groups = coarse if 1 < len(coarse) < len(parts) else parts
        return [c for part in groups.values() for c in self.share(part)]

    def numbered(self, units: list[Unit], merged: Merged) -> Class | None:
        """The class of instances whose modules line up (:meth:`merge`), when every number in
        which they differ is explained; None otherwise."""
        bodies, present, flags = merged.bodies, merged.present, merged.flags
        bodies, kinds, classes = self.kinds(units, bodies)
        bodies, passed = self.kinds_passed(units, bodies, {name for name, _ in kinds})
        kinds += passed
        for name, values in passed:
            classes[name] = dict(zip([u.scope.args[self.spec_name(name, units[0].scope)] for u in units], values))
        found = [numbers(b) for b in bodies]
        if len({len(f) for f in found}) != 1 or any(holes(b) != holes(bodies[0]) for b in bodies[1:]):
            return None
        # numbers that differ; and those of a module some instances lack, which a parameter
        # explains where one does (the projection from `in_channels` to `4 * width`)
        partial = {j for j in range(len(found[0])) if any(j not in have for have in present)}
        differing = [j for j in range(len(found[0]))
                     if j in partial or len({f[j] for k, f in enumerate(found) if j in present[k]}) > 1]
        args, inputs = self.candidates(units)
        exprs: dict[int, object] = {}
        repeat_counts = counts(bodies[0])
        in_init = len(numbers(bodies[0].modules))  # numbers of __init__, where a condition may be read
        # numbers every instance has first: a number of a module some lack then takes the
        # expression one of those found where it gives that number in each instance having
        # it (`in_channels * expand` rather than `6 * in_channels` where all have 6)
        for j in sorted(differing, key=lambda j: j in partial):
            have = [k for k in range(len(units)) if j in present[k]]
            values = [found[k][j] for k in have]
            sub_args = {n: [vs[k] for k in have] for n, vs in args.items()}
            sub_inputs = {n: [vs[k] for k in have] for n, vs in inputs.items()}
            constant = len(set(values)) == 1
            if j in partial and constant and (values[0] in (0, 1) or j >= in_init):
                continue  # a kernel of 1, no padding, a forward's chunk count: not a size
            strict = j in partial and constant
            env = {**args, **inputs}
            reuse = next((e for e in exprs.values() if j in partial and
                          all(evaluated(e, env, k) == found[k][j] for k in have)), None)
            if reuse is not None:
                exprs[j] = reuse
                continue
            # the block's own parameters first, so that `4 * width` wins over a new parameter;
            # a number seen once is first a parameter itself (`in_channels`), then a multiple
            e = (explain(values, {**sub_args, **sub_inputs}, strict) if strict else
                 explain(values, sub_args) or explain(values, {**sub_args, **sub_inputs}) or
                 explain(values, {**sub_args, **sub_inputs}, products=True))
            if e is None and j in repeat_counts:  # a repeat's count: a parameter less one or two
                e = explain_count(values, sub_args)
            if e is None and j in partial and len(set(values)) == 1:
                continue  # the same in every instance that has it
            if e is None and j < in_init and j not in partial:
                e = self.branched(units, values, args, inputs)
            if e is None:
                return None
            exprs[j] = e
        conds = [c for c in merged.conds if (c is not None and not isinstance(c, Param)) or
                 (isinstance(c, Param) and c.name not in dict(flags))]
        used = {name for e in exprs.values() for name in params_in(e)} | {name for name, _ in kinds}
        used |= {name for c in [*conds, *(c for _, c in merged.attrs)] for name in params_in(c)}
        scope = units[0].scope
        read = {self.param_name(p, scope): [u.scope.args.get(p) for u in units] for p in scope.args}
        values_of = {**inputs, **args, **dict(kinds)}
        values_of.update({n: vs for n, vs in read.items() if n in used and n not in values_of})
        if not used <= set(values_of):
            return None
        spec_order = [*inputs, *(self.param_name(p, scope) for p in scope.args)]
        params = sorted(((name, values) for name, values in values_of.items() if name in used),
                        key=lambda p: spec_order.index(p[0]) if p[0] in spec_order else len(spec_order))
        defaults = self.defaults(units, [name for name, _ in params])
        for name, kind_classes in classes.items():
            if name in defaults:
                defaults[name] = kind_classes[defaults[name]]
        params.sort(key=lambda p: p[0] in defaults)  # the parameters with defaults last
        for u, b in zip(units, bodies):
            u.body = b
        class_body = None
        if merged.forward is not None:
            class_body = replace(bodies[0], forward=merged.forward)
        if any(c is not None for c in merged.conds):
            class_body = replace(class_body or bodies[0], modules=tuple(
                Module(m.key, Built(cond, bodies[owner].modules[j].value), bodies[owner].modules[j].returns)
                if cond is not None else m
                for j, (m, cond, owner) in enumerate(zip(bodies[0].modules, merged.conds, merged.owners))))
        return Class(units, params, exprs, flags=flags, body=class_body, defaults=defaults, attrs=merged.attrs)

    def branched(self, units: list[Unit], values: list, args: dict, inputs: dict):
        """A number that follows one expression in the instances where an ``if`` held and
        another where it did not: ``in_channels if stride != 1 else out // 2``; None when no
        decision of the block splits the instances so."""
        decided = [decisions(u.scope) for u in units]
        names = self.condition_names(units)
        sites = {g.site: g.cond for u in units for g in u.scope.decisions}
        for site, cond in sites.items():
            side = [d.get(site) for d in decided]
            code = condition(cond, names)
            if None in side or len(set(side)) < 2 or code is None:
                continue
            parts = []
            for taken in (True, False):
                ks = [k for k, s in enumerate(side) if s is taken]
                vs = [values[k] for k in ks]
                sub = {n: [v[k] for k in ks] for n, v in {**args, **inputs}.items()}
                e = explain(vs, {n: sub[n] for n in args}) or explain(vs, sub)
                parts.append(e if e is not None else vs[0] if len(set(vs)) == 1 else None)
            if None not in parts:
                return IfElse(parts[0], code, parts[1])
        return None

    def kinds_passed(self, units: list[Unit], bodies: list[Body], taken: set[str]) -> tuple[list[Body], list]:
        """Module classes passed to a nested block's class (``ConvBNAct(..., nn.ReLU)``) that
        differ between instances as a parameter of the block that holds a layer kind does
        (``act``): that parameter, passed on (``ConvBNAct(..., act)``). Returns the bodies and
        the parameters (name, one class per instance)."""
        scope = units[0].scope
        spots: list[tuple[tuple, list]] = []

        def walk(values, path):
            first = values[0]
            if all(v == first for v in values[1:]):
                return
            if all(isinstance(v, Name) for v in values):
                spots.append((path, values))
            elif all(type(v) is type(first) for v in values):
                if isinstance(first, tuple):
                    if all(len(v) == len(first) for v in values):
                        for i in range(len(first)):
                            walk([v[i] for v in values], (*path, i))
                elif is_dataclass(first) and not isinstance(first, Name):
                    for f in fields(first):
                        if not f.metadata.get("structure"):
                            walk([getattr(v, f.name) for v in values], (*path, f.name))

        walk([b.modules for b in bodies], ())
        params: dict[str, list] = {}
        changes: list[tuple[tuple, str]] = []
        for path, names in spots:
            for p in scope.args:
                values = [u.scope.args.get(p) for u in units]
                pairs = set(zip(values, names))
                if all(isinstance(v, str) for v in values) and len(pairs) == len(set(values)) == len(set(names)):
                    name = self.param_name(p, scope)
                    if name in taken or (params.get(name, names) != names and \
                            dict(zip(values, params[name])) != dict(pairs)):
                        break
                    params[name] = names
                    changes.append((path, name))
                    break
            else:
                return bodies, []
        if len(changes) != len(spots):
            return bodies, []

        def put(value, path, name):
            if not path:
                return Param(name)
            step, rest = path[0], path[1:]
            if isinstance(value, tuple):
                return (*value[:step], put(value[step], rest, name), *value[step + 1:])
            return replace(value, **{step: put(getattr(value, step), rest, name)})

        out = []
        for b in bodies:
            modules = b.modules
            for path, name in changes:
                modules = put(modules, path, name)
            out.append(replace(b, modules=modules))
        return out, list(params.items())

    def spec_name(self, name: str, scope) -> str:
        """The block parameter a constructor parameter stands for."""
        return next(p for p in scope.args if self.param_name(p, scope) == name)
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
        written = self.written(u)
        exprs: dict[int, object] = {}
        for j, value in enumerate(found):
            if value in (0, 1) or not isinstance(value, int):
                continue
            # the instances' bodies are equal: the parameter must have this value in each
            matches = [name for name, vs in {**args, **inputs}.items() if all(v == value for v in vs)]
            if len(matches) > 1 and written.get(j) in matches:  # the spec names which it is
                matches = [written[j]]
            if len(matches) == 1 and matches[0] in args:  # a size two could have is either's
                exprs[j] = Param(matches[0])
        if not exprs:
            return Class(units)
        used = {name for e in exprs.values() for name in params_in(e)}
        params = [(name, values) for name, values in {**inputs, **args}.items() if name in used]
        defaults = self.defaults(units, [name for name, _ in params])
        params.sort(key=lambda p: p[0] in defaults)
        return Class(units, params, exprs, defaults=defaults)

    def written(self, u: Unit) -> dict[int, str]:
        """The numbers of a unit's modules (by index, as :func:`numbers` counts them) that the
        spec writes as one of the block's parameters by name, each with that parameter's
        constructor name: an argument of a nested instance (``EncoderLayer(dim, heads)``), and
        the count of a labelled ``repeat layers`` whose modules are one run written once."""
        scope = u.scope
        scopes = {s.path: s for s in _descendants(scope)}
        prefix = scope.path + "." if scope.path else ""
        out: dict[int, str] = {}
        at = 0

        def mark(name: str | None):
            if name in scope.args:
                out[at] = self.param_name(name, scope)

        def call(value, slot):
            nonlocal at
            child = slot.unit.scope if slot is not None and slot.unit is not None else None
            if not isinstance(value, Instance) or child is None:
                at += len(numbers(value))
                return
            spec = {self.param_name(p, child): p for p in child.args}
            passed = [*zip(self.positional.get(value.cls, ()), value.args),
                      *((k, v.value if isinstance(v, Defaulted) else v) for k, v in value.kwargs)]
            for name, v in passed:
                if isinstance(v, int) and not isinstance(v, bool):
                    mark(child.named.get(spec.get(name)))
                at += len(numbers(v))

        def walk(modules, slot, path):
            nonlocal at
            for m in modules:
                child = slot.children.get(m.key) if slot is not None else None
                if isinstance(m.value, Container):
                    walk(m.value.items, child, [*path, m.key])
                elif isinstance(m.value, Repeat):
                    call(m.value.value, child)
                    repeat = scopes.get(prefix + ".".join(path))
                    if len(modules) == 1 and repeat is not None and repeat.kind == "repeat":
                        mark(repeat.named.get("repeat"))
                    at += len(numbers(m.value.count))
                else:
                    call(m.value, child)

        walk(u.body.modules, u.top, [])
        return out if at == len(numbers(u.body.modules)) else {}

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
        taken = set(u.top.children) | TORCH_RESERVED | {name for name, _ in c.attrs}

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


