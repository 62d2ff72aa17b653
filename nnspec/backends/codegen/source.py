"""The generated module of a checked graph: the classes, shared where they can be, written as text.

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

import ast

from ...core.code import holes, literal, numbers, render, substitute
from ...core.dims import shape_str
from ...core.ir import Graph, Scope
from ...frontend.ast import value_text
from .body import Body
from .emit import Writer, doc
from .explain import explain
from .naming import class_name, identifier, runtime, taken, top_level_names
from .plan import Plan, call_text
from .share import Class, Sharing

__all__ = ["class_name", "module_paths", "to_source"]

# Line breaks other than "\n" that Python or an editor knows.
_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def to_source(graph: Graph, origin: str = "<string>") -> str:
    """The standalone PyTorch source of a checked graph; ``origin`` names the spec file.

    Raises :class:`SpecError` when a spec name cannot be a PyTorch module name (``forward``).
    """
    source = _Module(graph, origin).source()
    # Defence in depth: spec text reaches the source only escaped (comments, docstrings) or as
    # `repr` literals, so no line break but "\n" can appear; one would let text escape a comment.
    if any(ch in source for ch in _LINE_BREAKS):
        raise AssertionError("nnspec generated source with a line break other than \\n")
    return source


def _names_used(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}


def _helpers(helpers: list[str], texts: list[str]) -> list[str]:
    """The runtime helpers the classes call, and those the called ones call (a layer kind's
    helpers come together: attention's causal mask only where a layer is causal)."""
    used = _names_used("\n\n\n".join(texts))
    keep: set[int] = set()
    changed = True
    while changed:
        changed = False
        for k, h in enumerate(helpers):
            if k not in keep and top_level_names(h) & used:
                keep.add(k)
                used |= _names_used(h)
                changed = True
    return [h for k, h in enumerate(helpers) if k in keep]


def _signature(c: Class) -> tuple:
    """What must be equal of a block's class in two builds of a network: its code but for the
    numbers its parameters give, and its parameters."""
    body = c.units[0].body
    return (substitute(body, c.exprs) if c.exprs else body), tuple(p for p, _ in c.params)


def _same_scopes(a: Scope, b: Scope) -> bool:
    """Whether two scope trees name the same blocks, labels, block arguments and ``if`` decisions."""
    return (a.path == b.path and a.kind == b.kind and a.name == b.name and a.defaulted == b.defaulted
            and a.values == b.values and a.guards == b.guards and a.decisions == b.decisions and a.on == b.on
            and (a.parent is None or a.args == b.args)
            and len(a.children) == len(b.children) and all(map(_same_scopes, a.children, b.children)))


def _same_blocks(plan: Plan, other: Graph) -> bool:
    """Whether another build of a planned network (a parameter changed) has the same block
    instances, node for node: kinds, arguments, inputs and their types, names, outputs; the
    network's own nodes may differ in their arguments and types only. Then its block classes
    are the planned ones, and only the network class's code can differ."""
    g = plan.g
    if (len(g.nodes) != len(other.nodes) or g.inputs != other.inputs or g.outputs != other.outputs
            or g.values != other.values or not _same_scopes(g.root, other.root)):
        return False
    own = set(plan.root.nodes)
    for a, b in zip(g.nodes, other.nodes):
        if (a.op, a.inputs, a.name, a.role, a.label, a.pair, a.guards) != \
                (b.op, b.inputs, b.name, b.role, b.label, b.pair, b.guards) \
                or type(a.layer) is not type(b.layer):
            return False
        if a.id in own:
            continue
        if a.out != b.out or any(g.nodes[i].out != other.nodes[i].out for i in a.inputs) \
                or (a.layer is not None and vars(a.layer) != vars(b.layer)):
            return False
    return True


def module_paths(graph: Graph) -> dict[str, str]:
    """The path in the generated module of each spec module name that a module runs
    (``5`` -> ``relu_2``): an unlabelled module without weights is named after its kind."""
    m = _Module(graph, "<string>")
    out: dict[str, str] = {}
    for c in m.classes():
        for u in c.units:
            prefix = u.scope.path + "." if u.scope.path else ""
            for nid, path in u.paths.items():
                name = graph.nodes[nid].name
                if name:
                    out[name] = prefix + ".".join(path)
    return out


class _Module:
    """The generated module of one graph: its classes, named and written in order."""

    def __init__(self, graph: Graph, origin: str):
        self.g = graph
        self.origin = origin
        self.nodes = graph.nodes
        self.net_name = class_name(graph)
        self.taken = taken(graph)
        self.plan = Plan(graph, self.taken)
        self.sharing = Sharing(self.plan)

    def classes(self) -> list[Class]:
        """The classes of the module, in the order they are written."""
        plan = self.plan
        order = plan.post_order()  # a class after the classes it instantiates
        # Every block instance is its definition's class, one used once too (a person reading
        # the spec looks for the block by its name).
        plan.inline = set()
        classes = self.sharing.classes(order)
        classes.sort(key=lambda c: order.index(c.units[0]))
        return classes

    def source(self) -> str:
        classes = self.classes()
        network = next(c for c in classes if c.units[0] is self.plan.root)
        network.params, network.exprs = self.network_arguments(classes)
        names = self.class_names(classes)
        texts = [self.class_text(names, c) for c in classes]
        code = "\n\n\n".join(_helpers(runtime(self.g), texts) + texts)
        used = {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
        imports = ["import torch"] if "torch" in used else []
        imports.append("from torch import nn")
        if "F" in used:
            imports.append("import torch.nn.functional as F")
        return f'{self.module_doc()}\n\n' + "\n".join(imports) + "\n\n\n" + code + "\n"

    def network_arguments(self, classes: list[Class]) -> tuple[list[tuple[str, list]], dict[int, object]]:
        """The network's parameters its class takes (``ResNet50(classes=1000)``), each with its
        default, and the expressions that replace the numbers following them.

        A parameter is an argument when the network built with it changed (by one) differs
        from the network only in numbers of the network class's own code that an expression
        of the parameter gives (``nn.Linear(2048, classes)``, a count of a run written as a
        loop). A parameter that changes the structure (a repeat written out), the code of a
        block's class, or that cannot change by one (a divisor) stays fixed at its value:
        compile again with ``--set`` to change it.
        """
        g = self.g
        if g.variant is None:
            return [], {}
        root = self.plan.root
        numbers_now = numbers(root.body)
        params: list[tuple[str, list]] = []
        exprs: dict[int, object] = {}
        taken_names = set(self.taken)
        for name, value in g.params.items():
            if not isinstance(value, int) or isinstance(value, bool):
                continue
            try:
                other = g.variant(**{name: value + 1})
                if not other.ok:
                    continue
                body = (self.network_body(other) if _same_blocks(self.plan, other) else
                        self.network_body_anew(other, classes))
            except Exception:  # noqa: BLE001 -- any failure to build the changed network: fixed
                continue
            if body is None or holes(body) != holes(root.body):
                continue
            numbers_then = numbers(body)
            differing = [j for j, (a, b) in enumerate(zip(numbers_now, numbers_then)) if a != b]
            arg = identifier(name, g.root, "a network parameter", frozenset(taken_names))
            found = {j: explain([numbers_now[j], numbers_then[j]], {arg: [value, value + 1]}) for j in differing}
            if not differing or any(e is None for e in found.values()) or any(j in exprs for j in found):
                continue
            taken_names.add(arg)
            params.append((arg, [value]))
            exprs.update(found)
        return params, exprs

    def network_body(self, other: Graph) -> Body:
        """The network class's body of another build of the network whose block instances are
        this one's (:func:`_same_blocks`): their classes are this module's, so that only the
        network's own code is planned again (a fifth of planning ResNet-152 anew)."""
        plan = Plan(other, self.taken)
        mine = {u.scope.path: u for u in self.plan.post_order()}
        theirs = {u.scope.path: u for u in plan.post_order()}
        plan.inline = {theirs[u.scope.path] for u in self.plan.inline}
        return plan.body(plan.root, lambda s: self.sharing.calls[id(mine[s.scope.path])])

    def network_body_anew(self, other: Graph, classes: list[Class]) -> Body | None:
        """The network class's body of another build of the network, planned anew; None when
        the classes of its blocks differ from this module's (``classes``)."""
        twin = _Module(other, self.origin)
        their = twin.classes()
        root = self.plan.root
        if len(their) != len(classes) or any(
                _signature(a) != _signature(b) for a, b in zip(classes, their) if a.units[0] is not root):
            return None
        return next(c for c in their if c.units[0] is twin.plan.root).units[0].body

    def class_names(self, classes: list[Class]) -> dict[int, str]:
        """The distinct block structures named in order of first appearance."""
        names: dict[int, str] = {}
        taken_names = {self.net_name} | self.taken
        for c in sorted(classes, key=lambda c: (c.units[0].first, -len(c.units[0].scope.path))):
            if c.units[0] is self.plan.root:
                names[c.index] = self.net_name
                continue
            base = identifier(c.units[0].scope.name, c.units[0].scope, "a block name", self.taken)
            name, k = base, 2
            while name in taken_names:
                name, k = f"{base}_{k}", k + 1
            taken_names.add(name)
            names[c.index] = name
        return names

    def class_text(self, names: dict[int, str], c: Class) -> str:
        u = c.units[0]
        body, kept = self.sharing.parametrise(c) if c.params else (c.body or u.body, [])
        shapes, in_shape = self.sharing.shapes(c)
        if u.scope is self.g.root:
            doc_lines = self.network_doc()
        else:
            paths = ", ".join(f"`{i.scope.path}`" for i in c.units[:6])
            if len(c.units) > 6:
                paths += f" and {len(c.units) - 6} more"
            if c.params:
                params = {p for p, _ in c.params}
                call = ", ".join([*(n if self.sharing.param_name(n, u.scope) in params else f"{n}={value_text(v)}"
                                    for n, v in u.scope.args.items()), *u.scope.values])
                block = f"Block `{u.scope.name}({call})` on {in_shape}"
            elif any(i.scope.args != u.scope.args for i in c.units):
                # instances alike in code but not in arguments: name those that differ
                call = ", ".join(n if any(i.scope.args.get(n) != v for i in c.units) else f"{n}={value_text(v)}"
                                 for n, v in u.scope.args.items())
                block = f"Block `{u.scope.name}({call})`"
            else:
                block = f"Block `{call_text(u.scope.name, u.scope.args, u.scope.values)}`"
            doc_lines = (f"{block}; instances: {paths}.", f"{block}.", f"Instances: {paths}.")
        forward_doc = self.forward_doc() if u.scope is self.g.root else None
        writer = Writer(names, shapes)
        # the network's arguments have their defaults; a block's are given by its parent
        signature = [f"{p}={literal(v[0])}" if u is self.plan.root else
                     f"{p}={render(c.defaults[p])}" if p in c.defaults else p for p, v in c.params]
        signature += [f"{f}=False" for f, _ in c.flags]
        return writer.cls(names[c.index], body, signature, doc_lines, forward_doc, kept, tuple(c.attrs))

    # -- docstrings ------------------------------------------------------------------------------
    def network_ins_outs(self) -> tuple[str, str]:
        ins = ", ".join(f"{name} {self.nodes[i].out}" for name, i in zip(self.g.input_names, self.g.inputs))
        outs = ", ".join((f"{name} " if name else "") + str(self.nodes[i].out) for name, i in self.g.outputs)
        return ins, outs

    def forward_doc(self) -> str:
        def batched(t) -> str:
            return shape_str(("batch", *t.shape)) + (" int" if t.dtype == "int" else "")

        ins = ", ".join(f"{name} {batched(self.nodes[i].out)}" for name, i in zip(self.g.input_names, self.g.inputs))
        outs = ", ".join(batched(self.nodes[i].out) for _, i in self.g.outputs)
        return f"{ins} -> {outs}" if len(self.g.outputs) == 1 else f"{ins} -> ({outs})"

    def network_doc(self) -> tuple[str, str, str]:
        """The network class's docstring: one line, or a summary and details."""
        ins, outs = self.network_ins_outs()
        summary = f"Network `{call_text(self.g.network, self.g.params)}`: {ins} -> {outs}"
        return (f"{summary} (shapes without the batch dimension).", f"{summary}.",
                "Shapes are without the batch dimension.")

    def module_doc(self) -> str:
        g = self.g
        ins, outs = self.network_ins_outs()
        lines = [
            f"{doc(g.network)}, compiled by nnspec from {doc(self.origin)}.",
            "",
            f"Inputs: {doc(ins)}; outputs: {doc(outs)} (shapes without the batch dimension).",
            f"Parameters: {g.total_params:,}. Generated code: edit the spec and compile it again.",
        ]
        return '"""' + "\n".join(lines) + '\n"""'
