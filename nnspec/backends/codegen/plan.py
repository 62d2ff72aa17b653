"""What the generated module holds: the units (the network and each block instance), the
submodules of each, and each unit's class body as values (:mod:`.body`).

A unit's submodules are named by the spec's names (LANGUAGE.md §8). Numbered modules
(unlabelled items) that run as one chain form an ``nn.Sequential``: a container
(``self.features(x)``) or a whole class, which then needs no ``forward``; a class whose modules
are all numbered otherwise is an ``nn.ModuleList`` (``self[0](x)``). The values of labelled
branches that a merge joins are named by their labels (``branch1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.code import BinOp, Call, Name, Ref, Repeat, method
from ...core.ir import Graph, Node, Scope
from ...core.names import label_problem
from ...frontend.ast import value_text
from .body import Absent, Assign, Body, Comment, Container, If, Module, Return
from .naming import fail, free, identifier, is_attribute, module_key


@dataclass
class Slot:
    """A submodule: a layer's module (``ctor``), a block instance (``unit``) or a container."""

    key: str
    first: int  # the first node id below it: children are registered in node order
    ctor: object = None
    unit: Unit | None = None
    children: dict[str, Slot] = field(default_factory=dict)
    sequential: bool = False  # a numbered container its forward runs as one chain: nn.Sequential
    returns: int | None = None  # the value its module returns, when it is a link of a chain
    nodes: list[int] = field(default_factory=list)  # the nodes that call its module
    absent: bool = False  # the place of a module other instances of the block build (None here)

    @property
    def is_list(self) -> bool:
        # numbered 0, 1, ... in the order they run: a list registers its modules by position
        return [s.key for s in self.ordered()] == [str(i) for i in range(len(self.children))]

    def ordered(self) -> list[Slot]:
        return sorted(self.children.values(), key=lambda s: s.first)


@dataclass(eq=False)
class Unit:
    """The network or one block instance: a class of its own, or code inlined in its parent's."""

    scope: Scope
    nodes: list[int] = field(default_factory=list)  # own nodes, not those of nested units
    subunits: list[Unit] = field(default_factory=list)
    first: int = 0
    #: values flowing in from outside: the chain's value, then those given for parameters
    inputs: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # the forward's argument of each input
    #: the padded inputs whose sequence lengths its forward also takes, one per distinct padding
    #: (``lengths``, ``memory_lengths``), each as (input, argument)
    lengths: list[tuple[int, str]] = field(default_factory=list)
    output: int | None = None
    top: Slot | None = None  # its submodules, once planned
    paths: dict[int, list[str]] = field(default_factory=dict)  # a node -> its module's path in the class
    body: Body | None = None  # its class body, once planned

    @property
    def plain(self) -> bool:
        """Whether its forward takes one tensor and nothing else (it can be a link of an
        ``nn.Sequential``)."""
        return len(self.inputs) == 1 and not self.lengths


@dataclass(eq=False)
class Chain:
    """Steps of a forward that run the modules of one numbered container in order, each on the
    value the one before returned: one call of the container, written as an ``nn.Sequential``."""

    path: list[str]  # the container, from the class
    inputs: list[int]
    output: int


def repeats(modules: tuple, least: int = 2) -> tuple:
    """Modules of a chain with runs of ``least`` or more built alike written once with their
    count (``*[Bottleneck(4 * width, width) for _ in range(blocks - 1)]``), as a person writes
    a repeat, so that instances that repeat them a different number of times can share a
    class; a shorter run stays written out, a module a line."""
    runs: list[list] = []
    for m in modules:
        if runs and runs[-1][0].value == m.value:
            runs[-1].append(m)
        else:
            runs.append([m])
    out: list = []
    for run in runs:
        if len(run) >= least:
            out.append(Module(run[0].key, Repeat(run[0].value, len(run)), run[-1].returns))
        else:
            out += run
    return tuple(out)


def call_text(name: str, args: dict, values=()) -> str:
    """A block or network call as the spec writes it: ``Stage(width=64, blocks=3)``; the
    parameters named in ``values`` (given named values) are written by their names (``Up(skip)``)."""
    shown = [*(f"{k}={value_text(v)}" for k, v in args.items()), *values]
    return f"{name}({', '.join(shown)})" if shown else name


class Plan:
    """The units of one graph and, on request, the body of each."""

    def __init__(self, graph: Graph, taken: frozenset):
        self.g = graph
        self.nodes = graph.nodes
        self.outputs = {i for _, i in graph.outputs}
        self.taken = taken
        self.inline: set[Unit] = set()  # block instances written inline in their parent's class
        # unlabelled items that register their kind's module to fill a gap in the numbers
        self.filled: set[int] = set()
        self.padding = self.paddings()
        self.reads_lengths = self.lengths_readers()
        self.root = self.units()
        # residual adds whose auto shortcut projects in some instances of their block and not
        # in others -> the key of the projection's module
        self.optional: dict[int, str] = self.optional_shortcuts()

    def optional_shortcuts(self) -> dict[int, str]:
        """The residual adds of blocks whose `shortcut auto` projects in some instances and is
        the identity in others, each with the key of the projection's module: all of them are
        written as ``if self.shortcut is not None:``, so that one class can serve both."""
        nodes = self.nodes
        found: dict[tuple, list[tuple[int, str | None]]] = {}
        for u in self.post_order():
            if u is self.root:
                continue
            adds = [nid for nid in u.nodes if nodes[nid].role == "residual" and len(nodes[nid].inputs) == 2]
            for k, nid in enumerate(adds):
                short = nodes[nodes[nid].inputs[1]]
                key = None
                if short.role == "shortcut":
                    prefix = u.scope.path + "."
                    key = short.scope.path[len(prefix):] if short.scope.path.startswith(prefix) else "."
                found.setdefault((u.scope.name, k), []).append((nid, key))
        out: dict[int, str] = {}
        for entries in found.values():
            keys = {key for _, key in entries if key is not None}
            if len(keys) == 1 and is_attribute(key := keys.pop()) and any(k is None for _, k in entries):
                out.update({nid: key for nid, _ in entries})
        return out

    # -- units ------------------------------------------------------------------------------
    def units(self) -> Unit:
        root = Unit(self.g.root)
        by_scope: dict[int, Unit] = {id(self.g.root): root}

        def unit_of(scope: Scope) -> Unit:
            for s in scope.ancestors():
                if s.kind == "block" or s is self.g.root:
                    if id(s) not in by_scope:
                        u = by_scope[id(s)] = Unit(s)
                        unit_of(s.parent).subunits.append(u)
                    return by_scope[id(s)]
            return root

        for n in self.nodes:
            unit_of(n.scope).nodes.append(n.id)
        for u in by_scope.values():
            below = self.below(u)
            u.first = min(below) if below else 0
            if u is root:
                continue
            inside = set(below)
            u.inputs = sorted({i for n in below for i in self.nodes[n].inputs if i not in inside})
            leaving = [n for n in below if n in self.outputs or any(c not in inside for c in self.nodes[n].consumers)]
            u.output = leaving[-1] if leaving else below[-1]
            if len(set(leaving)) > 1:
                fail(f"block `{u.scope.name}` at `{u.scope.path}` does not have one output", u.scope)
            self.arguments(u)
        return root

    def arguments(self, u: Unit) -> None:
        """A block instance's inputs in the order its forward takes them, with their names:
        the chain's value (``x``), then each value given for a parameter, named after the
        parameter (``def forward(self, x, skip)``); then the lengths of its padded inputs."""
        given = {nid: p for p, nid in reversed(u.scope.values.items()) if nid in u.inputs}
        chain = [i for i in u.inputs if i not in given]
        if len(chain) > 1:  # a block reads only its input and the values given to it
            fail(f"block `{u.scope.name}` at `{u.scope.path}` reads values it was not given", u.scope)
        u.inputs = chain + [nid for p, nid in u.scope.values.items() if given.get(nid) == p]
        names = ["x"] if chain else []
        for i in u.inputs[len(chain):]:
            names.append(identifier(given[i], u.scope, "a block parameter", self.taken | {"x", *names}))
        u.names = names
        # the lengths its code reads (a padded attention's keys, a recurrent layer's steps)
        wanted = {self.reads_lengths[n] for n in self.below(u) if n in self.reads_lengths}
        u.lengths = []
        for i, name in zip(u.inputs, names):
            origin = self.padding.get(i)
            if origin in wanted:
                wanted.discard(origin)
                arg = "lengths" if name == "x" else f"{name}_lengths"
                while arg in names or arg in self.taken - {"lengths"}:
                    arg += "_"
                u.lengths.append((i, arg))
        if wanted:  # padding flows only from the inputs, so an input brings every lengths read
            raise AssertionError(f"block `{u.scope.path}` reads sequence lengths none of its inputs has")

    def lengths_readers(self) -> dict[int, int]:
        """The nodes whose code reads sequence lengths, each with the padded network input
        whose lengths those are: an attention's, of the sequence it attends to; another
        layer's, of its first padded input."""
        out: dict[int, int] = {}
        for n in self.nodes:
            types = [self.nodes[i].out for i in n.inputs]
            if n.layer is None or not any(t.masked for t in types):
                continue
            source = (n.inputs[n.layer.padding_of] if n.layer.values else
                      next((i for i in n.inputs if self.nodes[i].out.masked), None))
            if self.padding.get(source) is None:
                continue
            xs = [Name(f"v{k}") for k in range(len(n.inputs) + self.needs_source(n))]
            m = Name("m")
            if n.layer.forward_code(m, xs, types, Name("lengths")) != n.layer.forward_code(m, xs, types, None):
                out[n.id] = self.padding[source]
        return out

    def paddings(self) -> dict[int, int]:
        """The padded values, each with the padded network input whose sequence lengths it
        keeps: a layer's output keeps those of its first padded input (``attention``'s, of the
        sequence that attends)."""
        out: dict[int, int] = {}
        for n in self.nodes:
            if n.out is None or not n.out.masked:
                continue
            if n.op == "input":
                out[n.id] = n.id
                continue
            origin = next((out[i] for i in n.inputs if i in out), None)
            if origin is not None:
                out[n.id] = origin
        return out

    def post_order(self) -> list[Unit]:
        """Every unit, a unit after the units it holds."""
        order: list[Unit] = []

        def visit(u: Unit):
            for s in sorted(u.subunits, key=lambda s: s.first):
                visit(s)
            order.append(u)

        visit(self.root)
        return order

    def members(self, u: Unit) -> tuple[list[int], list[Unit], list[Unit]]:
        """What a class's code covers: its nodes, those of the block instances written inline
        in it, the instances it calls as classes, and the inlined ones (for their comments)."""
        nodes, calls, inlined = list(u.nodes), [], []
        for s in u.subunits:
            if s in self.inline:
                more, sub_calls, sub_inlined = self.members(s)
                nodes += more
                calls += sub_calls
                inlined += [s, *sub_inlined]
            else:
                calls.append(s)
        return sorted(nodes), calls, inlined

    def below(self, u: Unit) -> list[int]:
        out = list(u.nodes)
        for s in u.subunits:
            out += self.below(s)
        return sorted(out)

    # -- the module tree of one class ----------------------------------------------------------
    def slots(self, u: Unit) -> Slot:
        """The submodule tree of a unit: its layers' modules and its nested block instances."""
        top = Slot("", u.first)
        prefix = u.scope.path + "." if u.scope.path else ""

        def place(path: str, first: int, scope: Scope, node: Node | None) -> Slot:
            if not path.startswith(prefix):
                fail(f"module `{path}` lies outside its block `{u.scope.path}`", scope, node)
            keys = path[len(prefix):].split(".")
            slot = top
            for key in keys:
                key = module_key(key, scope, node)
                if key not in slot.children:
                    slot.children[key] = Slot(key, first)
                slot = slot.children[key]
                slot.first = min(slot.first, first)
            if slot.ctor is not None or slot.unit is not None:
                fail(f"two modules are named `{path}`", scope, node)
            return slot

        nodes, calls, _ = self.members(u)
        for nid in nodes:
            n = self.nodes[nid]
            if n.layer is None or not n.inputs:
                continue
            ctor = self.ctor(n)
            if ctor is None:
                continue
            if not n.name:
                fail(f"a `{n.op}` with a module has no name", n.scope, n)
            slot = place(n.name, n.id, n.scope, n)
            if slot.children:
                fail(f"`{n.name}` names both a module and a group of modules", n.scope, n)
            slot.ctor = ctor
            slot.nodes.append(nid)
        for s in calls:
            slot = place(s.scope.path, s.first, s.scope, None)
            slot.unit = s
        self.fill_gaps(top, prefix, [self.nodes[nid] for nid in nodes], place)
        for nid in nodes:
            n = self.nodes[nid]
            if nid in self.optional and self.nodes[n.inputs[1]].role != "shortcut" and self.optional[nid] not in top.children:
                top.children[self.optional[nid]] = Slot(self.optional[nid], nid, absent=True)
        kinds = {v: p for p, v in u.scope.args.items() if isinstance(v, str) and is_attribute(p)}
        self.name_by_kind(top, kinds)
        u.paths = {}

        def walk(slot: Slot, path: list[str]):
            for key, child in slot.children.items():
                for nid in child.nodes:
                    u.paths[nid] = [*path, key]
                walk(child, [*path, key])

        walk(top, [])
        return top

    def fill_gaps(self, top: Slot, prefix: str, nodes: list[Node], place) -> None:
        """Numbered items without a module (a `permute`) between numbered modules leave gaps
        in the numbers, so the modules can be neither a list nor a chain (``self[1]``): where
        every gap of a group of numbered modules is an item of a kind that has a module form,
        those items get their modules (``Permute``), and the group becomes a list."""
        gaps: dict[tuple[str, ...], list[Node]] = {}
        for n in nodes:
            if n.layer is None or not n.inputs or not n.name or n.label is not None or n.id in self.filled:
                continue
            x = self.nodes[n.inputs[0]].out
            if n.layer.module_code(x) is not None or n.layer.labelled_module_code(x) is None:
                continue
            if not n.name.startswith(prefix):
                continue
            *parent, key = n.name[len(prefix):].split(".")
            if key.isdigit():
                gaps.setdefault(tuple(parent), []).append(n)
        for parent, items in gaps.items():
            slot = top
            for key in parent:
                slot = slot.children.get(key)
                if slot is None:
                    break
            if slot is None or not slot.children or slot.ctor is not None or slot.unit is not None:
                continue
            # only the gaps: an item after the last module is computed as it is
            top_key = max((int(k) for k in slot.children if k.isdigit()), default=-1)
            items = [n for n in items if int(n.name.rpartition(".")[2]) < top_key]
            keys = {*slot.children, *(n.name.rpartition(".")[2] for n in items)}
            if not items or keys != {str(i) for i in range(len(keys))}:
                continue  # a gap no module can fill, or a label among the numbers: as it is
            for n in items:
                self.filled.add(n.id)
                filled = place(n.name, n.id, n.scope, n)
                filled.ctor = self.ctor(n)
                filled.nodes.append(n.id)

    def name_by_kind(self, slot: Slot, kinds: dict[str, str] | None = None) -> None:
        """Modules of unlabelled items without parameters or buffers (a `relu`), numbered among
        named modules, are named after their kind (``self.relu``, ``self.relu_2``) rather than by
        a quoted number (no weights depend on them: the state dict keeps its keys); each item
        keeps a module of its own, so a hook on it sees that item only. A kind a block parameter gives is named
        after the parameter (``self.act``, for ``act = relu``): ``kinds`` maps kinds to those
        parameters."""
        for child in list(slot.children.values()):
            self.name_by_kind(child)
        if not slot.children or slot.is_list:
            return
        for key, child in list(slot.children.items()):
            if not key.isdigit() or child.ctor is None or len(child.nodes) != 1:
                continue
            n = self.nodes[child.nodes[0]]
            if n.label is not None or n.params or n.buffers:
                continue
            del slot.children[key]
            base = (kinds or {}).get(n.op, n.op)
            name, k = base, 2
            while name in slot.children or label_problem(name) is not None or not is_attribute(name):
                name, k = f"{base}_{k}", k + 1
            child.key = name
            slot.children[name] = child

    def ctor(self, n: Node):
        """The constructor of a node's module, or None: a labelled item of a kind that needs
        no module (a global pool) still registers one, so that it can be reached and hooked."""
        x = self.nodes[n.inputs[0]].out
        code = n.layer.module_code(x)
        if code is None and (n.label is not None or n.id in self.filled):
            code = n.layer.labelled_module_code(x)
        return code

    @staticmethod
    def ref(top: Slot, path: list[str]) -> Ref:
        """The value reaching a submodule from ``self``."""
        key = path[0]
        steps = [(key, "[]" if top.is_list else "." if is_attribute(key) else "getattr")]
        slot = top.children[key]
        for key in path[1:]:
            # a ModuleDict's modules are also its attributes
            steps.append((key, "[]" if slot.is_list else "." if is_attribute(key) else "item"))
            slot = slot.children[key]
        return Ref(tuple(steps))

    def modules(self, top: Slot, instance) -> tuple:
        """The modules of a slot tree as values; ``instance`` gives a block instance's call."""

        def value(slot: Slot):
            if slot.absent:
                return Absent()
            if slot.ctor is not None:
                return slot.ctor
            if slot.unit is not None:
                return instance(slot.unit)
            if slot.sequential:  # a chain of 3 or more alike is written as a loop; 2 read as well written out
                return Container("Sequential", repeats(entries(slot), 3))
            return Container("ModuleList" if slot.is_list else "ModuleDict", entries(slot))

        def entries(slot: Slot) -> tuple:
            return tuple(Module(s.key, value(s), s.returns) for s in slot.ordered())

        return entries(top)

    def body(self, u: Unit, instance) -> Body:
        """The class body of a unit; ``instance`` gives the call of a nested instance's class."""
        top = self.slots(u)
        steps = self.steps(u, top)
        u.top = top
        if top.sequential:
            modules = self.modules(top, instance)
            # a block's runs of 2 too: its instances with runs of 2 and of 3 share a class
            return Body("nn.Sequential", repeats(modules, 2 if u.scope.kind == "block" else 3))
        base = "nn.ModuleList" if top.children and top.is_list else "nn.Module"
        args, forward = self.forward(u, top, steps)
        return Body(base, self.modules(top, instance), tuple(args), tuple(forward))

    # -- forward ---------------------------------------------------------------------------------
    def steps(self, u: Unit, top: Slot) -> list[tuple[int, object]]:
        """The steps of a unit's forward, in order, each as (its first node, the step): own
        nodes, one call per nested block instance, and one call per chain of a numbered
        container (which marks the container, or the whole class, sequential)."""
        nodes = self.nodes
        own, calls, _ = self.members(u)
        steps: list[tuple[int, object]] = [(nid, nodes[nid]) for nid in own if nodes[nid].op != "input"]
        steps += [(s.first, s) for s in calls]
        steps.sort(key=lambda t: t[0])
        each_src = self.each_sources(steps)
        uses: dict[int, int] = {}
        for _, step in steps:
            for i in {*step.inputs, *([each_src[step.id]] if self.needs_source(step) else [])}:
                uses[i] = uses.get(i, 0) + 1
        finals = self.finals(u)
        for i in finals:
            uses[i] = uses.get(i, 0) + 1
        # a class can be an nn.Sequential when its forward takes one tensor and returns one
        plain_io = (u.plain if u.scope.kind == "block" else
                    len(self.g.inputs) == 1 and not nodes[self.g.inputs[0]].out.masked and len(finals) == 1)
        prefix = len(u.scope.path.split(".")) if u.scope.path else 0
        m, x = Name("m"), Name("x")

        def call_path(step) -> tuple[list[str] | None, bool]:
            """The module a step calls, relative to the class, and whether it only calls it."""
            if isinstance(step, Chain):
                return step.path, True
            if isinstance(step, Unit):
                return step.scope.path.split(".")[prefix:], step.plain
            types = [nodes[i].out for i in step.inputs]
            if step.layer is None or step.role in ("each_in", "each_out") or self.ctor(step) is None:
                return None, False
            mask = Name("lengths") if any(t.masked for t in types) else None
            return u.paths[step.id], step.layer.forward_code(m, [x], types, mask) == Call(m, (x,))

        def containers(slot: Slot, path: list[str]):
            for s in slot.ordered():
                yield from containers(s, [*path, s.key])
            if slot.children and slot.ctor is None and slot.unit is None and slot.is_list:
                yield path, slot

        for path, slot in containers(top, []):  # innermost first: a chain may hold chains
            paths = [call_path(st)[0] for _, st in steps]
            touching = [k for k, p in enumerate(paths) if p is not None and p[:len(path)] == path]
            n = len(slot.children)
            if len(touching) != n or touching[-1] - touching[0] != n - 1:
                continue
            run = [st for _, st in steps[touching[0]:touching[0] + n]]
            outs = [st.output if isinstance(st, (Unit, Chain)) else st.id for st in run]
            if not all(call_path(st) == ([*path, str(j)], True) for j, st in enumerate(run)):
                continue
            if not all(run[j].inputs == [outs[j - 1]] and uses.get(outs[j - 1]) == 1 for j in range(1, n)):
                continue
            if not path and not (plain_io and n == len(steps) and finals == [outs[-1]]):
                continue
            for j, s in enumerate(slot.ordered()):
                s.returns = outs[j]
            slot.sequential = True
            chain = Chain(path, run[0].inputs, outs[-1])
            steps[touching[0]:touching[0] + n] = [(steps[touching[0]][0], chain)]
        return steps

    def finals(self, u: Unit) -> list[int]:
        """The values a unit's forward returns."""
        return [u.output] if u.scope.kind == "block" else [i for _, i in self.g.outputs]

    def each_sources(self, steps) -> dict[int, int]:
        """The value whose batch each `each_out` of the steps restores: its `each_in`'s input."""
        return {step.id: self.nodes[step.pair].inputs[0] for _, step in steps
                if isinstance(step, Node) and step.role == "each_out"}

    def needs_source(self, step) -> bool:
        """An `each_out` whose number of steps is symbolic reads the batch size of its source."""
        return (isinstance(step, Node) and step.role == "each_out"
                and not isinstance(self.nodes[step.id].out.shape[0], int))

    def forward(self, u: Unit, top: Slot, steps) -> tuple[list[str], list]:
        """The forward's arguments and lines of a unit."""
        nodes = self.nodes
        _, _, inlined = self.members(u)
        # an inlined block instance is introduced by a comment naming it
        headings: dict[int, list[str]] = {}
        for s in sorted(inlined, key=lambda s: (s.first, s.scope.depth)):
            headings.setdefault(s.first, []).append(f"{s.scope.path}: {call_text(s.scope.name, s.scope.args, s.scope.values)}")
        each_src = self.each_sources(steps)
        needs_src = self.needs_source

        # Where each value is used last: values die there and free their variable.
        last: dict[int, int] = {}
        for k, (_, step) in enumerate(steps):
            for i in step.inputs:
                last[i] = k
            if needs_src(step):
                last[each_src[step.id]] = k
        finals = self.finals(u)
        for i in finals:
            last[i] = len(steps)

        var: dict[int, str] = {}
        args: list[str] = []
        lengths: dict[int, str] = {}  # a padded network input -> the variable holding its sequence lengths
        fixed: set[str] = set()
        body: list = []

        def mask_of(i: int) -> str | None:
            return lengths.get(self.padding.get(i))

        if u.scope.kind == "block":
            for i, name in zip(u.inputs, u.names):
                var[i] = name
                args.append(name)
                if name != "x":
                    fixed.add(name)
            for i, name in u.lengths:
                args.append(name)
                lengths[self.padding[i]] = name
                fixed.add(name)
        else:
            masked = [i for i in self.g.inputs if nodes[i].out.masked]
            for i in self.g.inputs:
                name = identifier(nodes[i].label, u.scope, "an input name", self.taken | set(args))
                var[i] = name
                args.append(name)
                if name != "x":  # `x = layer(x)` reads naturally; `image = layer(image)` does not
                    fixed.add(name)
            read = set(self.reads_lengths.values())
            for i in masked:
                if i not in read:  # no layer needs them
                    continue
                name = "lengths" if len(masked) == 1 else f"{var[i]}_lengths"
                lengths[i] = name
                fixed.add(name)
                body.append(self.lengths_line(var[i], nodes[i].out, name))

        live: set[str] = set(var.values())

        def fresh() -> str:
            for k in range(len(nodes) + 2):
                name = "x" if k == 0 else f"x{k}"
                if name not in live and name not in fixed and name not in self.taken:
                    return name
            raise AssertionError("unreachable: more variables than nodes")

        wanted = self.value_names(u, steps, finals)
        for k, (first, step) in enumerate(steps):
            ins = step.inputs
            xs = [Name(var[i]) for i in ins]
            mask = next((mask_of(i) for i in ins if mask_of(i) is not None), None)
            before: list = []  # lines that come first
            optional = None  # the key of an optional shortcut this step projects
            if isinstance(step, Unit):
                ref = self.ref(top, step.scope.path[len(u.scope.path) + 1 if u.scope.path else 0:].split("."))
                expr = Call(ref, (*xs, *(Name(mask_of(i)) for i, _ in step.lengths)))
                out = step.output
            elif isinstance(step, Chain):
                expr = Call(self.ref(top, step.path), (xs[0],))
                out = step.output
                key = self.optional_key(u, step.path)
                if key is not None and key not in live | fixed:
                    optional = key
            else:
                out = step.id
                key = self.optional.get(step.id)
                if key is not None and self.nodes[ins[1]].role != "shortcut" and key not in live | fixed \
                        and key in top.children:
                    # no projection here, where other instances of the block have one
                    ref = self.ref(top, [key])
                    before = [Assign(key, xs[1]), If(BinOp(ref, "is not", None), (Assign(key, Call(ref, (xs[1],)), out),))]
                    xs = [xs[0], Name(key)]
                # a kind that takes named values reads the padding of the input it names (the
                # sequence `attention` attends to); its output keeps the first one's
                attended = mask_of(ins[step.layer.padding_of]) if step.layer is not None and step.layer.values \
                    else mask
                expr = self.node_expr(step, top, u, xs, attended, var, each_src)
            # Values that die here free their variables: a value takes the name it wants when
            # that is free, else the first free one of `x`, `x1`, ...
            for i in ins:
                if last.get(i) == k:
                    live.discard(var[i])
            if needs_src(step) and last.get(each_src[step.id]) == k:
                live.discard(var[each_src[step.id]])
            want = optional or wanted.get(out)
            name = want if want is not None and want not in live | fixed else fresh()
            var[out] = name
            live.add(name)
            body += [Comment(h) for h in headings.pop(first, [])]
            body += before
            if optional is not None:  # the projection, where this instance has one
                body += [Assign(name, xs[0]), If(BinOp(self.ref(top, [name]), "is not", None), (Assign(name, expr, out),))]
            else:
                body.append(Assign(name, expr, out))
        body.append(Return(tuple(var[i] for i in finals)))
        return args, body

    def optional_key(self, u: Unit, path: list[str]) -> str | None:
        """The key of a projection of an optional shortcut (:meth:`optional_shortcuts`) that
        ``path`` names in ``u``, else None."""
        if len(path) != 1:
            return None
        for nid in u.nodes:
            n = self.nodes[nid]
            if self.optional.get(nid) == path[0] and self.nodes[n.inputs[1]].role == "shortcut":
                return path[0]
        return None

    def value_names(self, u: Unit, steps, finals: list[int]) -> dict[int, str]:
        """The variable names values want: a network's ``let`` and ``output`` names, for the
        named value and the values of the chain leading to it, and the labels of branches."""
        names: dict[int, str] = {}
        if u.scope is self.g.root:
            for name, i in [*self.g.values.items(), *self.g.outputs]:
                if name and i not in self.g.inputs and free(name, self.taken):
                    names.setdefault(i, name)
        made = {(s.id if isinstance(s, Node) else s.output): s for _, s in steps}
        readers: dict[int, int] = {}
        for i in [*(i for _, s in steps for i in s.inputs), *finals]:
            readers[i] = readers.get(i, 0) + 1
        for value, name in list(names.items()):
            # the chain into a named value: each link read only by the next
            while value in made and made[value].inputs:
                value = made[value].inputs[0]
                if value in names or value not in made or readers.get(value) != 1:
                    break
                names[value] = name
        return {**self.branch_names(steps), **names}

    def branch_names(self, steps) -> dict[int, str]:
        """Variable names for the values of labelled branches: a value computed inside a
        labelled scope whose result a merge (``concat``, ``add``, ...) of the enclosing scope
        takes is named by the label (``branch1``), and so are the values leading to it."""
        nodes = self.nodes
        labels: dict[int, str] = {}  # id of a branch's scope -> its label
        for _, step in steps:
            if not isinstance(step, Node) or len(step.inputs) < 2:
                continue
            for i in step.inputs:
                scope = next((s for s in nodes[i].scope.ancestors() if s.parent is step.scope), None)
                label = scope.path.rpartition(".")[2] if scope is not None else ""
                if free(label, self.taken):
                    labels[id(scope)] = label

        def branch_of(value: int) -> int | None:
            return next((id(s) for s in nodes[value].scope.ancestors() if id(s) in labels), None)

        starts: dict[int, list[int]] = {}  # a branch -> the inputs of its first step
        member: dict[int, int] = {}  # a value -> its branch
        for _, step in steps:
            out = step.id if isinstance(step, Node) else step.output
            key = branch_of(out)
            if key is not None:
                starts.setdefault(key, step.inputs)
                member[out] = key
        # only a real branch: one that starts from a value other steps also read
        forks = {key for key, ins in starts.items() if any(len(self.nodes[i].consumers) > 1 for i in ins)}
        return {out: labels[key] for out, key in member.items() if key in forks}

    @staticmethod
    def lengths_line(name: str, t, out: str) -> Assign:
        real = BinOp(Name(name), "!=", t.pad if t.pad is not None else 0)
        if len(t.shape) > 1:
            real = method(method(real, "flatten", 2), "any", 2)
        return Assign(out, method(real, "sum", 1), note="each sequence's true length: its tokens that are not padding")

    def node_expr(self, n: Node, top: Slot, u: Unit, xs, mask, var, each_src):
        types = [self.nodes[i].out for i in n.inputs]
        if self.needs_source(n):
            xs = [*xs, Name(var[each_src[n.id]])]
        ref = None
        if n.id in u.paths:
            ref = self.ref(top, u.paths[n.id])
        masked = mask if any(t.masked for t in types) else None
        return n.layer.forward_code(ref, xs, types, Name(masked) if masked is not None else None)
