"""PyTorch code generation: a typed :class:`~nnspec.ir.Graph` to one standalone Python module.

The module imports only torch. It holds a class per network and a class per instantiated
structure of a block used more than once (instances whose modules and forward are identical
share one class; a structure used once is written inline in its parent, under a comment naming
the instance), submodules named by the spec's names (LANGUAGE.md §8), and a ``forward`` with
the shape of every value as a comment. Everything a layer contributes (its constructor, its
forward expression, its runtime helpers) comes from the layer kind itself; this module only
arranges it.

>>> from nnspec import load
>>> print(to_source(load("network N { input x: [4]\\n fc: dense(2) }").checked_graph()))  # doctest: +ELLIPSIS
\"\"\"N, compiled by nnspec from <string>.
...
class N(nn.Module):
...
        x = self.fc(x)  # [2]
...
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, SpecError
from .dims import shape_str
from .ir import Graph, Node, Scope

# Attribute names of nn.Module, nn.ModuleList and nn.ModuleDict: a submodule of one of these
# names cannot be registered (torch refuses, or the attribute shadows it). Kept as data so that
# generating source never imports torch; tests compare it with torch's own.
TORCH_RESERVED = frozenset(
    """T_destination add_module append apply bfloat16 buffers call_super_init children clear compile
    cpu cuda double dump_patches eval extend extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half insert ipu items keys load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters pop register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
    register_full_backward_pre_hook register_load_state_dict_post_hook
    register_load_state_dict_pre_hook register_module register_parameter
    register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state
    set_submodule share_memory state_dict to to_empty train training type update values xpu
    zero_grad""".split()  # noqa: SIM905 (a word list reads better than 90 quoted strings)
)
# Names the generated module itself binds at its top level or in every forward.
TOP_NAMES = frozenset({"torch", "nn", "F", "self", "lengths"})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INDEX = re.compile(r"(0|[1-9][0-9]*)\Z")


def to_source(graph: Graph, origin: str = "<string>") -> str:
    """The standalone PyTorch source of a checked graph; ``origin`` names the spec file.

    Raises :class:`SpecError` when a spec name cannot be a PyTorch module name (``forward``).
    """
    return _Generator(graph, origin).source()


def class_name(graph: Graph) -> str:
    """The name of the network's class in the generated source."""
    return _identifier(graph.network, graph.root, "a network name", suffix_taken=_taken(graph))


def _runtime(graph: Graph) -> list[str]:
    """The helper sources the graph's layer kinds need, each once, in order of first use."""
    out: list[str] = []
    for n in graph.nodes:
        text = type(n.layer).runtime.strip() if n.layer is not None else ""
        if text and text not in out:
            out.append(text)
    return out


def _taken(graph: Graph) -> frozenset:
    """Names a spec's name must not take: the module's own and its helpers' top-level names."""
    helpers = re.findall(r"^(?:def|class)\s+(\w+)|^(\w+)\s*=", "\n".join(_runtime(graph)), re.MULTILINE)
    return TOP_NAMES | {a or b for a, b in helpers}


# -- names --------------------------------------------------------------------------------------
def _fail(message: str, scope: Scope | None, node: Node | None = None, hint: str | None = None):
    span = (node.span if node is not None else None) or (scope.span if scope is not None else None)
    raise SpecError([Diagnostic("error", message, span, hint)])


def _identifier(name: str, scope: Scope, what: str, suffix_taken=frozenset()) -> str:
    """A spec name as a Python identifier; a name Python reserves gets a trailing ``_``."""
    if not isinstance(name, str) or not _NAME.match(name):
        _fail(f"{what} `{name}` is not a valid identifier", scope)
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in suffix_taken:
        return name + "_"
    return name


def _module_key(key: str, scope: Scope, node: Node | None) -> str:
    """One component of a module path: an identifier or an index, and not a torch attribute."""
    if not (_NAME.match(key) or _INDEX.match(key)):
        _fail(f"`{key}` cannot name a PyTorch module", scope, node)
    if key in TORCH_RESERVED or key.startswith("_"):
        _fail(f"`{key}` cannot name a module: PyTorch modules reserve that attribute", scope, node,
              "rename the label")
    return key


def _doc(text: str) -> str:
    """Text made safe inside a triple-quoted docstring."""
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')


def _comment(text: str) -> str:
    """Text made safe on one comment line."""
    return text.encode("unicode_escape").decode("ascii")


def _fmt_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt_value(x) for x in v) + "]"
    return str(v)


def _call_text(name: str, args: dict) -> str:
    return f"{name}({', '.join(f'{k}={_fmt_value(v)}' for k, v in args.items())})" if args else name


# -- the module tree of one class -------------------------------------------------------------
@dataclass
class _Slot:
    """A submodule: a layer's module (``ctor``), a block instance (``unit``) or a container."""

    key: str
    first: int  # the first node id below it: children are registered in node order
    ctor: str | None = None
    unit: _Unit | None = None
    children: dict[str, _Slot] = field(default_factory=dict)

    @property
    def is_list(self) -> bool:
        return [c for c in self.children] == [str(i) for i in range(len(self.children))]

    def ordered(self) -> list[_Slot]:
        return sorted(self.children.values(), key=lambda s: s.first)


@dataclass(eq=False)
class _Unit:
    """The network or one block instance: a class of its own, or code inlined in its parent's."""

    scope: Scope
    nodes: list[int] = field(default_factory=list)  # own nodes, not those of nested units
    subunits: list[_Unit] = field(default_factory=list)
    first: int = 0
    inputs: list[int] = field(default_factory=list)  # values flowing in from outside
    output: int | None = None
    key: str = ""  # the class body with placeholders: equal keys share a class
    masked_in: bool = False  # its input is a padded sequence: its forward also takes `lengths`


class _Generator:
    """Generates the source of one graph: finds the units, then renders each as a class."""

    def __init__(self, graph: Graph, origin: str):
        self.g = graph
        self.origin = origin
        self.nodes = graph.nodes
        self.consumers = graph.consumers()
        self.outputs = {i for _, i in graph.outputs}
        self.net_name = class_name(graph)
        self.taken = _taken(graph)
        self.inline: set[_Unit] = set()  # block instances written inline in their parent's class

    # -- units ------------------------------------------------------------------------------
    def units(self) -> _Unit:
        root = _Unit(self.g.root)
        by_scope: dict[int, _Unit] = {id(self.g.root): root}

        def unit_of(scope: Scope) -> _Unit:
            for s in scope.ancestors():
                if s.kind == "block" or s is self.g.root:
                    if id(s) not in by_scope:
                        u = by_scope[id(s)] = _Unit(s)
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
            leaving = [n for n in below if n in self.outputs or any(c not in inside for c in self.consumers[n])]
            u.output = leaving[-1] if leaving else below[-1]
            if len(u.inputs) != 1 or len(set(leaving)) > 1:
                _fail(f"block `{u.scope.name}` at `{u.scope.path}` does not have one input and one output",
                      u.scope)
            u.masked_in = bool(self.nodes[u.inputs[0]].out.masked)
        return root

    def members(self, u: _Unit) -> tuple[list[int], list[_Unit], list[_Unit]]:
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

    def below(self, u: _Unit) -> list[int]:
        out = list(u.nodes)
        for s in u.subunits:
            out += self.below(s)
        return sorted(out)

    # -- one class ---------------------------------------------------------------------------
    def slots(self, u: _Unit) -> _Slot:
        """The submodule tree of a unit: its layers' modules and its nested block instances."""
        top = _Slot("", u.first)
        prefix = u.scope.path + "." if u.scope.path else ""

        def place(path: str, first: int, scope: Scope, node: Node | None) -> _Slot:
            if not path.startswith(prefix):
                _fail(f"module `{path}` lies outside its block `{u.scope.path}`", scope, node)
            keys = path[len(prefix):].split(".")
            slot = top
            for key in keys:
                key = _module_key(key, scope, node)
                if key not in slot.children:
                    slot.children[key] = _Slot(key, first)
                slot = slot.children[key]
                slot.first = min(slot.first, first)
            if slot.ctor is not None or slot.unit is not None:
                _fail(f"two modules are named `{path}`", scope, node)
            return slot

        nodes, calls, _ = self.members(u)
        for nid in nodes:
            n = self.nodes[nid]
            if n.layer is None or not n.inputs:
                continue
            ctor = n.layer.torch_module(self.nodes[n.inputs[0]].out)
            if ctor is None:
                continue
            if not n.name:
                _fail(f"a `{n.op}` with a module has no name", n.scope, n)
            slot = place(n.name, n.id, n.scope, n)
            if slot.children:
                _fail(f"`{n.name}` names both a module and a group of modules", n.scope, n)
            slot.ctor = ctor
        for s in calls:
            slot = place(s.scope.path, s.first, s.scope, None)
            slot.unit = s
        return top

    def ref(self, top: _Slot, path: list[str]) -> str:
        """The expression reaching a submodule from ``self``."""
        key = path[0]
        out = f"self.{key}" if _NAME.match(key) and not keyword.iskeyword(key) else f'getattr(self, "{key}")'
        slot = top.children[key]
        for key in path[1:]:
            out += f"[{key}]" if slot.is_list else f'["{key}"]'
            slot = slot.children[key]
        return out

    def init_lines(self, top: _Slot, placeholder) -> list[str]:
        lines = []
        for slot in top.ordered():
            value = self.slot_expr(slot, placeholder, 0)
            if _NAME.match(slot.key) and not keyword.iskeyword(slot.key):
                lines.append(f"self.{slot.key} = {value}")
            else:
                lines.append(f'self.add_module("{slot.key}", {value})')
        return lines

    def slot_expr(self, slot: _Slot, placeholder, depth: int) -> str:
        if slot.ctor is not None:
            return slot.ctor
        if slot.unit is not None:
            return f"{placeholder(slot.unit)}()"
        pad, inner = "    " * depth, "    " * (depth + 1)
        items = [(s.key, self.slot_expr(s, placeholder, depth + 1)) for s in slot.ordered()]
        if slot.is_list:
            body = "".join(f"{inner}{v},\n" for _, v in items)
            return f"nn.ModuleList([\n{body}{pad}])"
        body = "".join(f'{inner}"{k}": {v},\n' for k, v in items)
        return f"nn.ModuleDict({{\n{body}{pad}}})"

    def forward_lines(self, u: _Unit, top: _Slot) -> tuple[list[str], list[str]]:
        """The forward's arguments and body of a unit."""
        nodes = self.nodes
        # The steps of the forward: own nodes, and one call per nested block instance.
        own, calls, inlined = self.members(u)
        steps: list[tuple[int, object]] = [(nid, nodes[nid]) for nid in own if nodes[nid].op != "input"]
        steps += [(s.first, s) for s in calls]
        steps.sort(key=lambda t: t[0])
        # an inlined block instance is introduced by a comment naming it
        headings: dict[int, list[str]] = {}
        for s in sorted(inlined, key=lambda s: (s.first, s.scope.depth)):
            headings.setdefault(s.first, []).append(f"# {s.scope.path}: {_call_text(s.scope.name, s.scope.args)}")

        # Pair `each` edges: an `each_out` restores the batch of its `each_in`'s input.
        each_src: dict[int, int] = {}
        stack = []
        for _, step in steps:
            if isinstance(step, Node) and step.role == "each_in":
                stack.append(step.inputs[0])
            elif isinstance(step, Node) and step.role == "each_out":
                each_src[step.id] = stack.pop()

        def needs_src(step) -> bool:
            return isinstance(step, Node) and step.id in each_src and not isinstance(
                nodes[step.id].out.shape[0], int)

        # Where each value is used last: values die there and free their variable.
        last: dict[int, int] = {}
        for k, (_, step) in enumerate(steps):
            for i in step.inputs:
                last[i] = k
            if needs_src(step):
                last[each_src[step.id]] = k
        finals = [u.output] if u.scope.kind == "block" else [i for _, i in self.g.outputs]
        for i in finals:
            last[i] = len(steps)

        var: dict[int, str] = {}
        args: list[str] = []
        lengths: dict[int, str] = {}  # value id -> the variable holding its sequence lengths
        fixed: set[str] = set()
        body: list[str] = []
        if u.scope.kind == "block":
            var[u.inputs[0]] = "x"
            args.append("x")
            if u.masked_in:
                args.append("lengths")
                lengths[u.inputs[0]] = "lengths"
        else:
            masked = [i for i in self.g.inputs if nodes[i].out.masked]
            for i in self.g.inputs:
                name = _identifier(nodes[i].layer.args.name, u.scope, "an input name", self.taken)
                var[i] = name
                args.append(name)
                if name != "x":  # `x = layer(x)` reads naturally; `image = layer(image)` does not
                    fixed.add(name)
            for i in masked:
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

        for k, (_, step) in enumerate(steps):
            ins = step.inputs
            xs = [var[i] for i in ins]
            mask = next((lengths[i] for i in ins if i in lengths), None)
            if isinstance(step, _Unit):
                ref = self.ref(top, step.scope.path[len(u.scope.path) + 1 if u.scope.path else 0:].split("."))
                expr = f"{ref}({', '.join(xs + ([mask] if step.masked_in and mask else []))})"
                out = step.output
            else:
                out = step.id
                expr = self.node_expr(step, top, u, xs, mask, var, each_src)
            # Values that die here free their variables; the first input's is reused when free.
            dying = [var[i] for i in ins if last.get(i) == k and var[i] not in fixed]
            for i in ins:
                if last.get(i) == k:
                    live.discard(var[i])
            if needs_src(step) and last.get(each_src[step.id]) == k:
                live.discard(var[each_src[step.id]])
            name = dying[0] if dying and var[ins[0]] == dying[0] else fresh()
            var[out] = name
            live.add(name)
            if nodes[out].out.masked and mask is not None:
                lengths[out] = mask
            first = step.first if isinstance(step, _Unit) else step.id
            body += [_comment(h) for h in headings.pop(first, [])]
            body.append(f"{name} = {expr}  # {shape_str(nodes[out].out.shape)}")
        results = [var[i] for i in finals]
        body.append(f"return {', '.join(results)}")
        return args, body

    @staticmethod
    def lengths_line(name: str, t, out: str) -> str:
        pad = t.pad if t.pad is not None else 0
        real = f"({name} != {pad!r})"
        if len(t.shape) > 1:
            real += ".flatten(2).any(2)"
        return f"{out} = {real}.sum(1)  # each sequence's true length: its tokens that are not padding"

    def node_expr(self, n: Node, top: _Slot, u: _Unit, xs, mask, var, each_src) -> str:
        nodes = self.nodes
        if n.role == "each_in":
            return f"{xs[0]}.flatten(0, 1)"
        if n.role == "each_out":
            steps = n.out.shape[0]
            if isinstance(steps, int):
                return f"{xs[0]}.unflatten(0, (-1, {steps!r}))"
            return f"{xs[0]}.unflatten(0, ({var[each_src[n.id]]}.shape[0], -1))"
        types = [nodes[i].out for i in n.inputs]
        ref = None
        if n.layer.torch_module(types[0]) is not None:
            prefix = u.scope.path + "." if u.scope.path else ""
            ref = self.ref(top, n.name[len(prefix):].split("."))
        return n.layer.torch_forward(ref, xs, types, mask if any(t.masked for t in types) else None)

    # -- the whole module ---------------------------------------------------------------------
    def source(self) -> str:
        root = self.units()
        order: list[_Unit] = []  # post-order: a class after the classes it instantiates

        def visit(u: _Unit):
            for s in sorted(u.subunits, key=lambda s: s.first):
                visit(s)
            order.append(u)

        visit(root)

        bodies: dict[int, tuple[_Slot, list[str], list[str], list[str]]] = {}
        keys: dict[str, int] = {}

        def placeholder(u: _Unit) -> str:
            return f"\0{keys[u.key]}\0"

        def render(units: list[_Unit]) -> None:
            keys.clear()
            for u in units:
                top = self.slots(u)
                init = self.init_lines(top, placeholder)
                args, fwd = self.forward_lines(u, top)
                bodies[id(u)] = (top, init, args, fwd)
                u.key = "\n".join(init) + "\n#\n" + ", ".join(args) + "\n" + "\n".join(fwd)
                keys.setdefault(u.key, len(keys))

        # A block structure used once is written inline in its parent; one used more than once
        # becomes a class. Inlining a child never makes two equal parents differ, so the
        # structures counted with every block as a class decide.
        self.inline = set()
        render(order)
        uses: dict[str, int] = {}
        for u in order:
            uses[u.key] = uses.get(u.key, 0) + 1
        self.inline = {u for u in order if u is not root and uses[u.key] == 1}
        order = [u for u in order if u not in self.inline]
        render(order)

        # Name the distinct block structures in order of first appearance.
        names: dict[str, str] = {}
        taken = {self.net_name} | self.taken
        instances: dict[str, list[_Unit]] = {}
        for u in sorted(order, key=lambda u: (u.first, -len(u.scope.path))):
            if u is root:
                continue
            instances.setdefault(u.key, []).append(u)
            if u.key not in names:
                base = _identifier(u.scope.name, u.scope, "a block name", self.taken)
                name, k = base, 2
                while name in taken:
                    name, k = f"{base}_{k}", k + 1
                taken.add(name)
                names[u.key] = name
        by_index = {i: names.get(k, self.net_name) for k, i in keys.items()}

        def resolve(text: str) -> str:
            return re.sub("\0(\\d+)\0", lambda m: by_index[int(m.group(1))], text)

        classes, emitted = [], set()
        for u in order:
            if u is not root and u.key in emitted:
                continue
            emitted.add(u.key)
            _, init, args, fwd = bodies[id(u)]
            if u is root:
                doc = self.network_doc()
                name = self.net_name
            else:
                name = names[u.key]
                paths = ", ".join(f"`{i.scope.path}`" for i in instances[u.key])
                doc = f"Block `{_call_text(u.scope.name, u.scope.args)}`; instances: {paths}."
            classes.append(resolve(self.class_text(name, doc, init, args, fwd, u)))

        code = "\n\n\n".join(_runtime(self.g) + classes)
        imports = ["import torch"] if re.search(r"\btorch\.", code) else []
        imports.append("from torch import nn")
        if re.search(r"\bF\.", code):
            imports.append("import torch.nn.functional as F")
        return f'{self.module_doc()}\n\n' + "\n".join(imports) + "\n\n\n" + code + "\n"

    def class_text(self, name, doc, init, args, fwd, u: _Unit) -> str:
        lines = [f"class {name}(nn.Module):", f'    """{_doc(doc)}"""', "", "    def __init__(self):",
                 "        super().__init__()"]
        lines += ["        " + line.replace("\n", "\n        ") for line in init]
        lines += ["", f"    def forward(self, {', '.join(args)}):"]
        if u.scope is self.g.root:
            lines.append(f'        """{_doc(self.forward_doc())}"""')
        lines += ["        " + line for line in fwd]
        return "\n".join(lines)

    def network_ins_outs(self) -> tuple[str, str]:
        ins = ", ".join(f"{self.nodes[i].layer.args.name} {self.nodes[i].out}" for i in self.g.inputs)
        outs = ", ".join((f"{name} " if name else "") + str(self.nodes[i].out) for name, i in self.g.outputs)
        return ins, outs

    def forward_doc(self) -> str:
        def batched(t) -> str:
            return shape_str(("batch", *t.shape)) + (" int" if t.dtype == "int" else "")

        ins = ", ".join(f"{self.nodes[i].layer.args.name} {batched(self.nodes[i].out)}" for i in self.g.inputs)
        outs = ", ".join(batched(self.nodes[i].out) for _, i in self.g.outputs)
        return f"{ins} -> {outs}" if len(self.g.outputs) == 1 else f"{ins} -> ({outs})"

    def network_doc(self) -> str:
        ins, outs = self.network_ins_outs()
        return (f"Network `{_call_text(self.g.network, self.g.params)}`: {ins} -> {outs} "
                f"(shapes without the batch dimension).")

    def module_doc(self) -> str:
        g = self.g
        ins, outs = self.network_ins_outs()
        lines = [
            f"{_doc(g.network)}, compiled by nnspec from {_doc(self.origin)}.",
            "",
            f"Inputs: {_doc(ins)}; outputs: {_doc(outs)} (shapes without the batch dimension).",
            f"Parameters: {g.total_params:,}. Generated code: edit the spec and compile it again.",
        ]
        return '"""' + "\n".join(lines) + '\n"""'
