"""Class bodies (:mod:`.body`) written as text: ``__init__`` and ``forward`` lines, shape
comments, docstrings. Spec text reaches the source only through :func:`comment` (every
character that is not printable ASCII escaped) or as a literal written by :mod:`.code`."""

from __future__ import annotations

import textwrap
from dataclasses import replace

from ...core.code import Attr, Call, Instance, Name, Not, Repeat, render, render_wrapped
from .body import Absent, Assign, Body, Built, Comment, Container, If, Module, Return
from .conditions import negated
from .naming import is_attribute

WIDTH = 92  # leaves room for the 8 columns of a method body within 100


def comment(text: str) -> str:
    """Text made safe on one comment line: every character that is not printable ASCII
    escaped, so that no line break Python (or an editor) knows (``\\r``, ``\\x0b``, ``\\x0c``,
    ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``, ``\\u2029``) ends the comment early. Every
    comment and docstring of the generated source goes through here.

    >>> comment("[q\\rimport os, 4]")
    '[q\\\\rimport os, 4]'
    """
    return text.encode("unicode_escape").decode("ascii")


def doc(text: str) -> str:
    """Text made safe inside a triple-quoted docstring."""
    return comment(text).replace('"', '\\"')


def docstring(one_line: str, summary: str, details: str, indent: str = "    ", width: int = 100) -> str:
    """A docstring: ``one_line`` when it fits in ``width``, else ``summary`` over wrapped ``details``."""
    if len(indent) + len(one_line) + 6 <= width:
        return f'{indent}"""{doc(one_line)}"""'
    wrap = textwrap.TextWrapper(width, initial_indent=indent, subsequent_indent=indent,
                                break_long_words=False, break_on_hyphens=False)
    head = wrap.fill(f'"""{doc(summary)}')
    return f'{head}\n\n{wrap.fill(doc(details))}\n{indent}"""'


class Writer:
    """Writes the bodies of one module: ``names`` are the generated classes' names, ``shapes``
    the shape comment of each value."""

    def __init__(self, names: dict[int, str], shapes: dict[int, str]):
        self.names = names
        self.shapes = shapes

    def fit(self, prefix: str, value, indent: int) -> str:
        """``prefix`` and a value on one line, or with an argument a line where that passes
        the width."""
        text = render(value, self.names)
        if isinstance(value, (Call, Instance)) and indent + len(prefix) + len(text) > WIDTH:
            return prefix + render_wrapped(value, indent, self.names)
        return prefix + text

    def value(self, value, depth: int) -> str:
        if not isinstance(value, Container):
            return render(value, self.names)
        pad = "    " * depth
        inner = "\n".join(self.items(value.items, depth + 1, value.kind == "ModuleDict"))
        if value.kind == "Sequential":
            return f"nn.Sequential(\n{inner}\n{pad})"
        if value.kind == "ModuleList":
            return f"nn.ModuleList([\n{inner}\n{pad}])"
        return f"nn.ModuleDict({{\n{inner}\n{pad}}})"

    def loop(self, value) -> str | None:
        """An ``nn.Sequential`` of one run written once, as one line
        (``nn.Sequential(*[Middle() for _ in range(8)])``); None for any other value."""
        if not (isinstance(value, Container) and value.kind == "Sequential" and len(value.items) == 1
                and isinstance(value.items[0].value, Repeat)):
            return None
        return f"nn.Sequential({render(value.items[0].value, self.names)})"

    def shape(self, value: int | None) -> str:
        """The shape comment of a value that has one, else nothing."""
        return f"  # {comment(self.shapes[value])}" if value in self.shapes else ""

    def items(self, modules, depth: int, with_keys: bool) -> list[str]:
        """A container's entries, one a line; a link of a chain says the shape it returns."""
        out = []
        pad = "    " * depth
        for m in modules:
            key = f'"{m.key}": ' if with_keys else ""
            loop = self.loop(m.value)
            if loop is not None and len(pad + key + loop) < WIDTH:
                out.append(pad + key + loop + "," + self.shape(m.value.items[0].returns))
                continue
            if isinstance(m.value, Container):
                line = pad + key + self.value(m.value, depth) + ","
            else:
                line = pad + self.fit(key, m.value, 4 * depth) + ","
            out.append(line + (f"  # {comment(self.shapes[m.returns])}" if m.returns is not None else ""))
        return out

    def init(self, body: Body, kept: list[tuple[str, str]], params: frozenset = frozenset(),
             attrs: tuple = ()) -> list[str]:
        """The lines of ``__init__``; a sequential or list class passes its modules up."""
        if body.base == "nn.Sequential" and any(isinstance(m.value, Built) for m in body.modules):
            return self.appended(body.modules, params)
        if body.base == "nn.Sequential":
            return ["super().__init__(", *self.items(body.modules, 1, False), ")"]
        # the conditions forward tests come first: a module built on one tests its attribute
        flags = [f"self.{name} = {render(cond, self.names)}" for name, cond in attrs]
        tested = {cond: Attr(Name("self"), name) for name, cond in attrs}
        tested |= {negated(cond): Not(Attr(Name("self"), name)) for name, cond in attrs if negated(cond) not in tested}
        if body.base == "nn.ModuleList":
            always = [m for m in body.modules if not isinstance(m.value, Built)]
            lines = ["super().__init__([", *self.items(always, 1, False), "])", *flags]
            cond = None
            for m in body.modules[len(always):]:  # the last modules, built on a condition
                if m.value.cond != cond:
                    cond = m.value.cond
                    lines.append(f"if {render(tested.get(cond, cond), self.names)}:")
                lines += ["    " + line for line in self.fit("self.append(", m.value.value, 4).split("\n")]
                lines[-1] += ")"
        else:
            lines = ["super().__init__()", *flags]
            for m in body.modules:
                if isinstance(m.value, Built) and m.value.cond in tested:
                    m = Module(m.key, replace(m.value, cond=tested[m.value.cond]), m.returns)
                lines += self.register(m).split("\n")
        return lines + [f"self.{attr} = {name}" for name, attr in kept]

    def appended(self, modules, params: frozenset) -> list[str]:
        """An ``nn.Sequential`` some of whose modules are built on a condition: a list the
        modules are appended to, those on one condition under one ``if``, passed up."""
        name, k = "layers", 2
        while name in params:
            name, k = f"layers_{k}", k + 1
        lines, cond = [f"{name} = []"], None
        for m in modules:
            value, pad = m.value, ""
            if isinstance(value, Built):
                if value.cond != cond:
                    lines.append(f"if {render(value.cond, self.names)}:")
                cond, value, pad = value.cond, value.value, "    "
            else:
                cond = None
            if isinstance(value, Repeat):
                line = (f"{name}.extend({render(value.value, self.names)} "
                        f"for _ in range({render(value.count, self.names)}))")
            elif isinstance(value, Container):
                line = f"{name}.append({self.value(value, 0)})"
            else:
                text = render(value, self.names)
                wide = isinstance(value, (Call, Instance)) and len(pad) + len(name) + len(text) + 9 > WIDTH
                line = f"{name}.append({render_wrapped(value, 0, self.names) if wide else text})"
            shape = f"  # {comment(self.shapes[m.returns])}" if m.returns in self.shapes else ""
            lines += [pad + part for part in (line + shape).split("\n")]
        return [*lines, f"super().__init__(*{name})"]

    def register(self, m: Module) -> str:
        none = f"self.{m.key} = None" if is_attribute(m.key) else f'self.add_module("{m.key}", None)'
        if isinstance(m.value, Absent):
            return none
        if isinstance(m.value, Built):  # None, or the module where the condition holds
            built = self.register(Module(m.key, m.value.value, m.returns)).replace("\n", "\n    ")
            return f"{none}\nif {render(m.value.cond, self.names)}:\n    {built}"
        if is_attribute(m.key):
            loop = self.loop(m.value)
            if loop is not None and len(f"self.{m.key} = {loop}") <= WIDTH:
                return f"self.{m.key} = {loop}{self.shape(m.value.items[0].returns)}"
            if isinstance(m.value, Container):
                return f"self.{m.key} = {self.value(m.value, 0)}"
            return self.fit(f"self.{m.key} = ", m.value, 0)
        return f'self.add_module("{m.key}", {self.value(m.value, 0)})'

    def forward(self, body: Body) -> list[str]:
        return self.lines(body.forward)

    def lines(self, stmts) -> list[str]:
        lines = []
        for s in stmts:
            if isinstance(s, If):
                lines.append(f"if {render(s.cond, self.names)}:")
                lines += ["    " + line for line in self.lines(s.then)]
                if s.orelse:
                    lines.append("else:")
                    lines += ["    " + line for line in self.lines(s.orelse)]
            elif isinstance(s, Comment):
                lines.append(comment(f"# {s.text}"))
            elif isinstance(s, Assign):
                note = self.shapes[s.value] if s.value is not None else s.note
                line = f"{s.target} = {render(s.expr, self.names)}"
                lines.append(f"{line}  # {comment(note)}" if note is not None else line)
            elif isinstance(s, Return):
                lines.append(f"return {', '.join(s.names)}")
        return lines

    def cls(self, name: str, body: Body, signature: list[str], doc_lines: tuple, forward_doc: str | None,
            kept: list[tuple[str, str]], attrs: tuple = ()) -> str:
        """The text of one class; ``attrs`` are the conditions ``forward`` tests (name,
        condition), constants to TorchScript so that it compiles only the branch an instance
        takes (the other may call a module the instance does not have)."""
        params = "".join(f", {p}" for p in signature)
        lines = [f"class {name}({body.base}):", docstring(*doc_lines), ""]
        if attrs:
            constants = ", ".join(f'"{n}"' for n, _ in attrs)  # names checked to be identifiers
            lines += [f"    __constants__ = [{constants}]", ""]
        lines.append(f"    def __init__(self{params}):")
        params = frozenset(p.partition("=")[0] for p in signature)
        lines += ["        " + line for line in "\n".join(self.init(body, kept, params, attrs)).split("\n")]
        if body.base != "nn.Sequential":
            lines += ["", f"    def forward(self, {', '.join(body.args)}):"]
            if forward_doc is not None:
                lines.append(f'        """{doc(forward_doc)}"""')
            lines += ["        " + line for line in self.forward(body)]
        return "\n".join(lines)
