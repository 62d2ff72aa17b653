"""PyTorch code generation: a typed :class:`~nnspec.ir.Graph` to one standalone Python module.

The module imports only torch. It holds a class per network and a class per structure of a
block used more than once: instances whose code differs only in numbers share one class, whose
constructor takes the numbers that differ as the block's parameters (``Bottleneck(width)``,
``4 * width``; see :mod:`nnspec.templates`); a structure used once is written inline in its
parent, under a comment naming the instance. Submodules are named by the spec's names
(LANGUAGE.md §8), and ``forward`` has the shape of every value as a comment; in a class that
serves several sizes, the shape is written in its parameters and in symbols for the input's
sizes (``[width, (H - 1) // 2 + 1, W]``), ``?`` where no expression fits every instance. Numbered modules (unlabelled items) that run as one chain
form an ``nn.Sequential``, with the shapes as comments on its modules: a container
(``self.features(x)``) or a whole class, which then needs no ``forward``; a class whose modules
are all numbered otherwise is an ``nn.ModuleList`` (``self[0](x)``). The values of labelled
branches that a merge joins are named by their labels (``branch1``). Everything a layer contributes (its constructor, its
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
import textwrap
from dataclasses import dataclass, field, replace

from .ast import value_text
from .diagnostics import Diagnostic, SpecError
from .dims import Sym, shape_str
from .dims import equal as dims_equal
from .ir import Graph, Node, Scope
from .names import PYTHON_NAMES, TOP_NAMES, TORCH_RESERVED, label_problem, python_name
from .templates import explain, numbers, parse_number, substitute, template

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INDEX = re.compile(r"(0|[1-9][0-9]*)\Z")


def to_source(graph: Graph, origin: str = "<string>") -> str:
    """The standalone PyTorch source of a checked graph; ``origin`` names the spec file.

    Raises :class:`SpecError` when a spec name cannot be a PyTorch module name (``forward``).
    """
    source = _Generator(graph, origin).source()
    # Defence in depth: spec text reaches the source only escaped (comments, docstrings) or as
    # `repr` literals, so no line break but "\n" can appear; one would let text escape a comment.
    if _LINE_BREAKS.search(source):
        raise AssertionError("nnspec generated source with a line break other than \\n")
    return source


_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


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
    """A spec name as a Python identifier; a name Python or the module has gets a trailing ``_``."""
    if not isinstance(name, str) or not _NAME.match(name):
        _fail(f"{what} `{name}` is not a valid identifier", scope)
    return python_name(name, suffix_taken)


def _module_key(key: str, scope: Scope, node: Node | None) -> str:
    """One component of a module path: an identifier or an index, and not a torch attribute."""
    if not (_NAME.match(key) or _INDEX.match(key)):
        _fail(f"`{key}` cannot name a PyTorch module", scope, node)
    problem = label_problem(key) if _NAME.match(key) else None
    if problem is not None:  # elaboration refuses such labels; a graph made by hand may hold one
        _fail(problem[0], scope, node, problem[1])
    return key


def _doc(text: str) -> str:
    """Text made safe inside a triple-quoted docstring."""
    return _comment(text).replace('"', '\\"')


def _docstring(one_line: str, summary: str, details: str, indent: str = "    ", width: int = 100) -> str:
    """A docstring: ``one_line`` when it fits in ``width``, else ``summary`` over wrapped ``details``."""
    if len(indent) + len(one_line) + 6 <= width:
        return f'{indent}"""{_doc(one_line)}"""'
    wrap = textwrap.TextWrapper(width, initial_indent=indent, subsequent_indent=indent,
                                break_long_words=False, break_on_hyphens=False)
    head = wrap.fill(f'"""{_doc(summary)}')
    return f'{head}\n\n{wrap.fill(_doc(details))}\n{indent}"""'


def _fit(expr: str, indent: int, width: int = 92) -> str:
    """A one-line call that would pass ``width`` at ``indent``, with an argument a line (the
    width leaves room for the 8 columns of a method body)."""
    if "\n" in expr or indent + len(expr) <= width or not expr.endswith(")"):
        return expr
    args, depth, quote, start = [], 0, "", expr.find("(") + 1
    for k, ch in enumerate(expr[:-1]):
        if quote:
            quote = "" if ch == quote and expr[k - 1] != "\\" else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 1:
            args.append(expr[start:k].strip())
            start = k + 1
    args.append(expr[start:-1].strip())
    if start == 0 or depth != 1:
        return expr
    pad = " " * indent
    return expr[:expr.find("(") + 1] + "".join(f"\n{pad}    {a}," for a in args) + f"\n{pad})"


def _comment(text: str) -> str:
    """Text made safe on one comment line: every character that is not printable ASCII
    escaped, so that no line break Python (or an editor) knows (``\\r``, ``\\x0b``, ``\\x0c``,
    ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``, ``\\u2029``) ends the comment early. Every
    comment and docstring of the generated source goes through here.

    >>> _comment("[q\\rimport os, 4]")
    '[q\\\\rimport os, 4]'
    """
    return text.encode("unicode_escape").decode("ascii")


def _mark(value: int) -> str:
    """Where a value's shape goes in a comment: filled in when the class is written, with
    the value's own shape or, in a class several instances share, one for all of them."""
    return f"\x02{value}\x02"


def _unmark(text: str) -> str:
    return re.sub("\x02\\d+\x02", "\x02", text)


def _letters(k: int) -> str:
    """A class's number as letters, so that it is never taken for a number of the code."""
    out = ""
    while True:
        k, r = divmod(k, 26)
        out = chr(97 + r) + out
        if k == 0:
            return out
        k -= 1


def _from_letters(text: str) -> int:
    k = 0
    for ch in text:
        k = k * 26 + ord(ch) - 96
    return k - 1


def _call_text(name: str, args: dict) -> str:
    return f"{name}({', '.join(f'{k}={value_text(v)}' for k, v in args.items())})" if args else name


# -- the module tree of one class -------------------------------------------------------------
@dataclass
class _Slot:
    """A submodule: a layer's module (``ctor``), a block instance (``unit``) or a container."""

    key: str
    first: int  # the first node id below it: children are registered in node order
    ctor: str | None = None
    unit: _Unit | None = None
    children: dict[str, _Slot] = field(default_factory=dict)
    sequential: bool = False  # a numbered container its forward runs as one chain: nn.Sequential
    shape: str = ""  # the shape its module returns, when it is a link of a sequential chain

    @property
    def is_list(self) -> bool:
        # numbered 0, 1, ... in the order they run: a list registers its modules by position
        return [s.key for s in self.ordered()] == [str(i) for i in range(len(self.children))]

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
    masked_in: bool = False  # its input is a padded sequence: its forward also takes `lengths`
    top: _Slot | None = None  # its submodules, once rendered
    text: str = ""  # its class body once rendered: __init__'s lines, `#`, forward's arguments and lines


@dataclass(eq=False)
class _Class:
    """A class of the generated module and the units it serves; ``params`` are its
    constructor's (name, one value per unit), ``exprs`` what replaces each varying number."""

    units: list[_Unit]
    params: list[tuple[str, list]] = field(default_factory=list)
    exprs: dict[int, str] = field(default_factory=dict)
    index: int = 0


@dataclass(eq=False)
class _Chain:
    """Steps of a forward that run the modules of one numbered container in order, each on the
    value the one before returned: one call of the container, written as an ``nn.Sequential``."""

    path: list[str]  # the container, from the class
    inputs: list[int]
    output: int


class _Generator:
    """Generates the source of one graph: finds the units, then renders each as a class."""

    def __init__(self, graph: Graph, origin: str):
        self.g = graph
        self.origin = origin
        self.nodes = graph.nodes
        self.outputs = {i for _, i in graph.outputs}
        self.net_name = class_name(graph)
        self.taken = _taken(graph)
        self.inline: set[_Unit] = set()  # block instances written inline in their parent's class
        # instances that read more than the chain's value (a named value given for a parameter):
        # a class's forward takes one input, so they are always written inline
        self.multi: set[_Unit] = set()

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
            leaving = [n for n in below if n in self.outputs or any(c not in inside for c in self.nodes[n].consumers)]
            u.output = leaving[-1] if leaving else below[-1]
            if len(set(leaving)) > 1:
                _fail(f"block `{u.scope.name}` at `{u.scope.path}` does not have one output", u.scope)
            if len(u.inputs) != 1:
                self.multi.add(u)
                continue
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
        if top.is_list:
            out = f"self[{key}]"
        else:
            out = f"self.{key}" if _NAME.match(key) and not keyword.iskeyword(key) else f'getattr(self, "{key}")'
        slot = top.children[key]
        for key in path[1:]:
            if slot.is_list:
                out += f"[{key}]"
            else:  # a ModuleDict's modules are also its attributes
                out += f".{key}" if _NAME.match(key) and not keyword.iskeyword(key) else f'["{key}"]'
            slot = slot.children[key]
        return out

    def init_lines(self, top: _Slot, placeholder) -> list[str]:
        """The body of ``__init__``; a sequential class passes its modules to ``nn.Sequential``."""
        if top.sequential:
            return ["super().__init__(", *self.items(top, placeholder, 1, with_keys=False), ")"]
        if top.children and top.is_list:
            return ["super().__init__([", *self.items(top, placeholder, 1, with_keys=False), "])"]
        lines = ["super().__init__()"]
        for slot in top.ordered():
            value = self.slot_expr(slot, placeholder, 0)
            if _NAME.match(slot.key) and not keyword.iskeyword(slot.key):
                lines.append(_fit(f"self.{slot.key} = {value}", 0))
            else:
                lines.append(f'self.add_module("{slot.key}", {value})')
        return lines

    def items(self, slot: _Slot, placeholder, depth: int, with_keys: bool) -> list[str]:
        """A container's entries, one a line; a link of a chain says the shape it returns."""
        out = []
        for s in slot.ordered():
            line = "    " * depth + (f'"{s.key}": ' if with_keys else "") + self.slot_expr(s, placeholder, depth)
            line = "    " * depth + _fit(line.lstrip(), 4 * depth) + ","
            out.append(line + (f"  # {s.shape}" if s.shape else ""))
        return out

    def slot_expr(self, slot: _Slot, placeholder, depth: int) -> str:
        if slot.ctor is not None:
            return slot.ctor
        if slot.unit is not None:
            return placeholder(slot.unit)
        pad = "    " * depth
        if slot.sequential:
            return "nn.Sequential(\n" + "\n".join(self.items(slot, placeholder, depth + 1, False)) + f"\n{pad})"
        if slot.is_list:
            return "nn.ModuleList([\n" + "\n".join(self.items(slot, placeholder, depth + 1, False)) + f"\n{pad}])"
        return "nn.ModuleDict({\n" + "\n".join(self.items(slot, placeholder, depth + 1, True)) + f"\n{pad}}})"

    def steps(self, u: _Unit, top: _Slot) -> list[tuple[int, object]]:
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
        plain_io = (not u.masked_in if u.scope.kind == "block" else
                    len(self.g.inputs) == 1 and not nodes[self.g.inputs[0]].out.masked and len(finals) == 1)
        prefix = len(u.scope.path.split(".")) if u.scope.path else 0

        def call_path(step) -> tuple[list[str] | None, bool]:
            """The module a step calls, relative to the class, and whether it only calls it."""
            if isinstance(step, _Chain):
                return step.path, True
            if isinstance(step, _Unit):
                return step.scope.path.split(".")[prefix:], not step.masked_in
            types = [nodes[i].out for i in step.inputs]
            if step.layer is None or step.role in ("each_in", "each_out") or step.layer.torch_module(types[0]) is None:
                return None, False
            mask = "lengths" if any(t.masked for t in types) else None
            return step.name.split(".")[prefix:], step.layer.torch_forward("m", ["x"], types, mask) == "m(x)"

        def containers(slot: _Slot, path: list[str]):
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
            outs = [st.output if isinstance(st, (_Unit, _Chain)) else st.id for st in run]
            if not all(call_path(st) == ([*path, str(j)], True) for j, st in enumerate(run)):
                continue
            if not all(run[j].inputs == [outs[j - 1]] and uses.get(outs[j - 1]) == 1 for j in range(1, n)):
                continue
            if not path and not (plain_io and n == len(steps) and finals == [outs[-1]]):
                continue
            for j, s in enumerate(slot.ordered()):
                s.shape = _mark(outs[j])
            slot.sequential = True
            chain = _Chain(path, run[0].inputs, outs[-1])
            steps[touching[0]:touching[0] + n] = [(steps[touching[0]][0], chain)]
        return steps

    def finals(self, u: _Unit) -> list[int]:
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

    def forward_lines(self, u: _Unit, top: _Slot, steps) -> tuple[list[str], list[str]]:
        """The forward's arguments and body of a unit."""
        nodes = self.nodes
        _, _, inlined = self.members(u)
        # an inlined block instance is introduced by a comment naming it
        headings: dict[int, list[str]] = {}
        for s in sorted(inlined, key=lambda s: (s.first, s.scope.depth)):
            headings.setdefault(s.first, []).append(f"# {s.scope.path}: {_call_text(s.scope.name, s.scope.args)}")
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
                name = _identifier(nodes[i].label, u.scope, "an input name", self.taken | set(args))
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

        wanted = self.value_names(u, steps, finals)
        for k, (first, step) in enumerate(steps):
            ins = step.inputs
            xs = [var[i] for i in ins]
            mask = next((lengths[i] for i in ins if i in lengths), None)
            if isinstance(step, _Unit):
                ref = self.ref(top, step.scope.path[len(u.scope.path) + 1 if u.scope.path else 0:].split("."))
                expr = f"{ref}({', '.join(xs + ([mask] if step.masked_in and mask else []))})"
                out = step.output
            elif isinstance(step, _Chain):
                expr = f"{self.ref(top, step.path)}({xs[0]})"
                out = step.output
            else:
                out = step.id
                # a kind that takes named values reads the padding of the input it names (the
                # sequence `attention` attends to); its output keeps the first one's
                attended = lengths.get(ins[step.layer.padding_of]) if step.layer is not None and step.layer.values \
                    else mask
                expr = self.node_expr(step, top, u, xs, attended, var, each_src)
            # Values that die here free their variables: a value takes the name it wants when
            # that is free, else the first free one of `x`, `x1`, ...
            for i in ins:
                if last.get(i) == k:
                    live.discard(var[i])
            if needs_src(step) and last.get(each_src[step.id]) == k:
                live.discard(var[each_src[step.id]])
            want = wanted.get(out)
            name = want if want is not None and want not in live | fixed else fresh()
            var[out] = name
            live.add(name)
            if nodes[out].out.masked and mask is not None:
                lengths[out] = mask
            body += [_comment(h) for h in headings.pop(first, [])]
            body.append(f"{name} = {expr}  # {_mark(out)}")
        results = [var[i] for i in finals]
        body.append(f"return {', '.join(results)}")
        return args, body

    def value_names(self, u: _Unit, steps, finals: list[int]) -> dict[int, str]:
        """The variable names values want: a network's ``let`` and ``output`` names, for the
        named value and the values of the chain leading to it, and the labels of branches."""
        names: dict[int, str] = {}
        if u.scope is self.g.root:
            for name, i in [*self.g.values.items(), *self.g.outputs]:
                if name and i not in self.g.inputs and self.free(name):
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
                if self.free(label):
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
        names = {out: labels[key] for out, key in member.items() if key in forks}
        return names

    @staticmethod
    def lengths_line(name: str, t, out: str) -> str:
        pad = t.pad if t.pad is not None else 0
        real = f"({name} != {pad!r})"
        if len(t.shape) > 1:
            real += ".flatten(2).any(2)"
        return f"{out} = {real}.sum(1)  # each sequence's true length: its tokens that are not padding"

    def node_expr(self, n: Node, top: _Slot, u: _Unit, xs, mask, var, each_src) -> str:
        types = [self.nodes[i].out for i in n.inputs]
        if self.needs_source(n):
            xs = [*xs, var[each_src[n.id]]]
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
        # A block structure used once is written inline in its parent; one used more than once
        # becomes a class. Inlining a child never makes two equal parents differ, so the
        # structures counted with every block as a class decide.
        self.inline = set(self.multi)
        classes = self.classes([u for u in order if u not in self.multi], root)
        self.inline = {u for c in classes for u in c.units if u is not root and len(c.units) == 1} | self.multi
        order = [u for u in order if u not in self.inline]
        classes = self.classes(order, root)
        classes.sort(key=lambda c: order.index(c.units[0]))

        # Name the distinct block structures in order of first appearance.
        names: dict[int, str] = {}
        taken = {self.net_name} | self.taken
        for c in sorted(classes, key=lambda c: (c.units[0].first, -len(c.units[0].scope.path))):
            if c.units[0] is root:
                names[c.index] = self.net_name
                continue
            base = _identifier(c.units[0].scope.name, c.units[0].scope, "a block name", self.taken)
            name, k = base, 2
            while name in taken:
                name, k = f"{base}_{k}", k + 1
            taken.add(name)
            names[c.index] = name

        def resolve(text: str) -> str:
            return re.sub("\0([a-z]+)\0", lambda m: names[_from_letters(m.group(1))], text)

        code = "\n\n\n".join(_runtime(self.g) + [resolve(self.class_text(names[c.index], c)) for c in classes])
        imports = ["import torch"] if re.search(r"\btorch\.", code) else []
        imports.append("from torch import nn")
        if re.search(r"\bF\.", code):
            imports.append("import torch.nn.functional as F")
        return f'{self.module_doc()}\n\n' + "\n".join(imports) + "\n\n\n" + code + "\n"

    def classes(self, order: list[_Unit], root: _Unit) -> list[_Class]:
        """The classes of the units in ``order`` (children before parents): instances of one
        block whose code is the same but for numbers share a class with those numbers as
        parameters; the parent of an instance calls its class with the instance's values."""
        height: dict[int, int] = {}
        for u in order:  # children first: a unit is one above its highest child
            height[id(u)] = 1 + max((height[id(s)] for s in self.calls_of(u)), default=-1)
        self.calls: dict[int, str] = {}  # unit -> the call of its class, once that is known
        classes: list[_Class] = []
        for level in sorted(set(height.values())):
            groups: dict[tuple, list[_Unit]] = {}
            for u in (u for u in order if height[id(u)] == level):
                top = self.slots(u)
                steps = self.steps(u, top)
                init = self.init_lines(top, lambda s: self.calls[id(s)])
                args, fwd = self.forward_lines(u, top, steps) if not top.sequential else (["x"], [])
                u.top, u.text = top, "\n".join(init) + "\n#\n" + ", ".join(args) + "\n" + "\n".join(fwd)
                key = ("",) if u is root else (u.scope.name, template(_unmark(u.text)))
                groups.setdefault(key, []).append(u)
            for units in groups.values():
                for c in self.share(units):
                    c.index = len(classes)
                    classes.append(c)
                    for u in c.units:
                        args = ", ".join(repr(values[c.units.index(u)]) for _, values in c.params)
                        self.calls[id(u)] = f"\0{_letters(c.index)}\0({args})"
        return classes

    def calls_of(self, u: _Unit) -> list[_Unit]:
        return self.members(u)[1]

    def share(self, units: list[_Unit]) -> list[_Class]:
        """One class for instances whose code differs only in numbers that the block's
        parameters (or the input's size) explain; else one class per distinct code."""
        texts = [_unmark(u.text) for u in units]
        if len(set(texts)) == 1:
            return [_Class(units)]
        found = [numbers(t) for t in texts]
        differing = [j for j in range(len(found[0])) if len({f[j] for f in found}) > 1]
        args, inputs = self.candidates(units)
        exprs: dict[int, str] = {}
        for j in differing:
            values = [parse_number(f[j]) for f in found]
            # the block's own parameters first, so that `4 * width` wins over a new parameter
            e = explain(values, args) or explain(values, {**args, **inputs})
            if e is None:
                distinct: dict[str, list[_Unit]] = {}
                for u, t in zip(units, texts):
                    distinct.setdefault(t, []).append(u)
                return [_Class(us) for us in distinct.values()]
            exprs[j] = e
        used = {name for e in exprs.values() for name in re.findall(r"[A-Za-z_]\w*", e)}
        params = [(name, values) for name, values in {**inputs, **args}.items() if name in used]
        return [_Class(units, params, exprs)]

    def candidates(self, units: list[_Unit]) -> tuple[dict[str, list], dict[str, list]]:
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

    def param_name(self, name: str, scope: Scope) -> str:
        """A block parameter as a constructor parameter: a Python identifier that hides no
        name the constructor uses, nor another parameter's."""
        names: dict[str, str] = {}
        for p in scope.args:
            names[p] = _identifier(p, scope, "a block parameter", self.taken | set(names.values()))
        return names[name]

    def free(self, name: str) -> bool:
        """Whether a spec name can be a local variable of a forward as it is."""
        return bool(_NAME.match(name)) and name not in PYTHON_NAMES and name not in self.taken

    def symbolic_shapes(self, c: _Class) -> list[dict[int, tuple]] | None:
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
                for nid in self.below(u):
                    n = self.nodes[nid]
                    xs = [types[i] for i in n.inputs]
                    types[nid] = n.layer.infer_many(xs) if n.layer.merges else n.layer.infer(xs[0])
            except Exception:  # noqa: BLE001 -- any layer that needs a number here: no symbols
                return None
            out.append({i: tt.shape for i, tt in types.items()})
        return out

    def shape_text(self, shapes: list[tuple], c: _Class) -> str:
        """One shape comment for all instances of a class: a size the instances share, else a
        parameter expression, else ``?``."""
        if len({len(s) for s in shapes}) != 1:
            return "?"
        params = dict(c.params)
        dims = []
        for j in range(len(shapes[0])):
            ds = [s[j] for s in shapes]
            if all(dims_equal(ds[0], d) for d in ds[1:]):
                dims.append(str(ds[0]))
            elif all(isinstance(d, int) for d in ds):
                dims.append(explain(ds, params) or "?")
            else:
                dims.append("?")
        return "[" + ", ".join(dims) + "]"

    def class_text(self, name: str, c: _Class) -> str:
        u = c.units[0]
        kept: list[str] = []
        text = u.text
        if c.params:
            text, kept = self.parametrise(u, c)
            sym = self.symbolic_shapes(c)
            marks = [[int(m) for m in re.findall("\x02(\\d+)\x02", v.text)] for v in c.units]

            def shapes_of(ids: list[int]) -> list[tuple]:
                return [(sym[k][i] if sym else self.nodes[i].out.shape) for k, i in enumerate(ids)]

            position = iter(range(len(marks[0])))

            def fill(m) -> str:  # the k-th comment of the first instance stands for the k-th of each
                k = next(position)
                return self.shape_text(shapes_of([ms[k] for ms in marks]), c)

            text = re.sub("\x02\\d+\x02", lambda m: _comment(fill(m)), text)
            in_shape = self.shape_text(shapes_of([v.inputs[0] for v in c.units]), c)
        else:
            text = re.sub("\x02(\\d+)\x02", lambda m: _comment(shape_str(self.nodes[int(m.group(1))].out.shape)),
                          text)
        init, rest = text.split("\n#\n", 1)
        args, _, fwd = rest.partition("\n")
        top = u.top
        sequential = top.sequential
        base = "nn.Sequential" if sequential else "nn.ModuleList" if top.children and top.is_list else "nn.Module"
        if u.scope is self.g.root:
            doc = self.network_doc()
        else:
            paths = ", ".join(f"`{i.scope.path}`" for i in c.units[:6])
            if len(c.units) > 6:
                paths += f" and {len(c.units) - 6} more"
            if c.params:
                params = {p for p, _ in c.params}
                call = ", ".join(n if self.param_name(n, u.scope) in params else f"{n}={value_text(v)}"
                                 for n, v in u.scope.args.items())
                block = f"Block `{u.scope.name}({call})` on {in_shape}"
            else:
                block = f"Block `{_call_text(u.scope.name, u.scope.args)}`"
            doc = (f"{block}; instances: {paths}.", f"{block}.", f"Instances: {paths}.")
        signature = "".join(f", {p}" for p, _ in c.params)
        lines = [f"class {name}({base}):", _docstring(*doc), "", f"    def __init__(self{signature}):"]
        lines += ["        " + line for line in init.split("\n")]
        lines += [f"        {line}" for line in kept]
        if not sequential:
            lines += ["", f"    def forward(self, {args}):"]
            if u.scope is self.g.root:
                lines.append(f'        """{_doc(self.forward_doc())}"""')
            lines += ["        " + line for line in fwd.split("\n")]
        return "\n".join(lines)

    def parametrise(self, u: _Unit, c: _Class) -> tuple[str, list[str]]:
        """The text of a shared class with its varying numbers replaced by expressions over
        its constructor's parameters, and the lines that keep those parameters on ``self``.

        A number of ``forward`` (a reshape's size, a dimension) cannot name a constructor
        parameter, which ``forward`` does not see: the constructor keeps each such parameter
        as an attribute (``self.c = c``), and ``forward`` reads it there.
        """
        init = u.text.split("\n#\n", 1)[0]
        in_init = len(numbers(init))
        attrs: dict[str, str] = {}
        taken = set(u.top.children) | TORCH_RESERVED

        def attribute(m: re.Match) -> str:
            name = m.group()
            if name not in attrs:
                attr = name
                # a submodule or a name of nn.Module's own (`_modules`) would be overwritten
                while attr in taken or (attr.startswith("_") and not attr.endswith("_")):
                    attr += "_"
                taken.add(attr)
                attrs[name] = attr
            return f"self.{attrs[name]}"

        exprs = {}
        for j, e in c.exprs.items():
            if j >= in_init:  # in forward: the parameters from self; a sum kept whole in any context
                e = re.sub(r"[A-Za-z_]\w*", attribute, e)
                e = f"({e})" if " " in e else e
            exprs[j] = e
        return substitute(u.text, exprs), [f"self.{attr} = {name}" for name, attr in attrs.items()]

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
        summary = f"Network `{_call_text(self.g.network, self.g.params)}`: {ins} -> {outs}"
        return (f"{summary} (shapes without the batch dimension).", f"{summary}.",
                "Shapes are without the batch dimension.")

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
