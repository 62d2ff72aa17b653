"""The layer catalogue, derived from the registry: each kind's arguments and defaults, its
shapes, and the PyTorch code it matches, for ``nnspec layers`` and ``docs/layers.md``.

Nothing here is written by hand: the arguments come from a kind's schema, the description
from its docstring, and the example's shapes and PyTorch code from checking the kind's own
``example`` as a spec (the tests build, run and compile those examples).

>>> conv = entry("conv")
>>> conv.input, conv.output, conv.pytorch
('[3, 9, 9]', '[6, 5, 5]', 'nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3)')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..frontend.ast import value_text
from .layers import user_kinds
from .layers.base import describe_type


@dataclass(frozen=True)
class Argument:
    """One argument of a kind: its name, its type in words, and its default (None: required)."""

    name: str
    type: str
    default: str | None


@dataclass(frozen=True)
class Entry:
    """One kind of the catalogue."""

    kind: str
    summary: str  # the docstring's first paragraph
    details: str  # the rest of the docstring
    arguments: tuple[Argument, ...]
    example: str  # the example's chain
    input: str  # the example's input type
    output: str  # the type the kind gives there
    pytorch: str  # the PyTorch constructor (or expression) it compiles to there
    synonyms: tuple[str, ...]

    def signature(self) -> str:
        """``conv(out, kernel, stride=1, ...)``, or the bare kind when it takes no argument."""
        if not self.arguments:
            return self.kind
        args = [a.name if a.default is None else f"{a.name}={a.default}" for a in self.arguments]
        return f"{self.kind}({', '.join(args)})"


def kinds() -> list[str]:
    """Every kind a spec may call, in alphabetical order."""
    return sorted(user_kinds())


def entry(kind: str) -> Entry:
    return entries()[kind]


@cache
def entries() -> dict[str, Entry]:
    """Every kind's entry; the examples are checked as one spec with a network per kind."""
    from ..diagnostics import SpecError
    from ..frontend.program import load_program
    from .elaborate import Elaborator

    classes = user_kinds()
    text = "".join(f"network K_{k} {{\n  input x: {classes[k].example[0]}\n  {classes[k].example[1]}\n}}\n"
                   for k in kinds())
    program = load_program(text, "<examples>")
    out = {}
    for kind in kinds():
        graph = Elaborator(program).network(program.definitions[f"K_{kind}"])
        if not graph.ok:  # the tests check every example: a broken one is nnspec's own defect
            raise SpecError(graph.diagnostics, {"<examples>": text})
        node = next(n for n in graph.nodes if n.op == kind)
        types = [graph.nodes[i].out for i in node.inputs]
        pytorch = node.layer.torch_module(types[0]) or node.layer.torch_forward(
            None, ["x"] if len(types) == 1 else [f"x{i}" for i in range(len(types))], types)
        summary, _, details = _docstring(classes[kind]).partition("\n\n")
        out[kind] = Entry(
            kind=kind,
            summary=" ".join(summary.split()),
            details=details.strip(),
            arguments=_arguments(classes[kind]),
            example=classes[kind].example[1].replace("\n  ", "; "),
            input=str(types[0]),
            output=str(node.out),
            pytorch=pytorch,
            synonyms=classes[kind].synonyms,
        )
    return out


def _docstring(cls) -> str:
    import inspect

    # ``code`` in a docstring is `code` in the catalogue
    return re.sub(r"``(.+?)``", r"`\1`", inspect.cleandoc(cls.__doc__ or ""))


def _arguments(cls) -> tuple[Argument, ...]:
    types = cls.Args.annotations()
    out = []
    for name, field in cls.Args.model_fields.items():
        if field.is_required():
            default = None
        elif field.default is None:
            default = "auto"  # the description says what it defaults to
        else:
            default = value_text(field.default)
        kind = describe_type(types[name])
        if field.description:
            kind += f"; {field.description}"
        out.append(Argument(name, kind, default))
    return tuple(out)


def text(kind: str) -> str:
    """One kind in full, for ``nnspec layers KIND``."""
    e = entry(kind)
    lines = [e.signature(), "", e.summary]
    if e.details:
        lines += ["", e.details]
    if e.arguments:
        width = max(len(a.name) for a in e.arguments)
        lines += ["", "arguments:"]
        lines += [f"  {a.name:<{width}}  {a.type}" + (", required" if a.default is None else f", default {a.default}")
                  for a in e.arguments]
    lines += ["", f"example:  {e.example}", f"          {e.input} -> {e.output}", f"PyTorch:  {e.pytorch}"]
    if e.synonyms:
        lines.append(f"elsewhere called: {', '.join(e.synonyms)}")
    return "\n".join(lines)


def listing() -> str:
    """Every kind on one line, for ``nnspec layers``."""
    es = [entry(k) for k in kinds()]
    width = max(len(e.kind) for e in es)
    return "\n".join(f"{e.kind:<{width}}  {_first_sentence(e.summary)}" for e in es)


def _first_sentence(text: str) -> str:
    """The text up to its first `.`, `:` or `;` outside brackets and code."""
    depth, code = 0, False
    for i, ch in enumerate(text):
        if ch == "`":
            code = not code
        elif not code and ch in "([":
            depth += 1
        elif not code and ch in ")]":
            depth -= 1
        elif not code and depth == 0 and ch in ".:;" and (i + 1 == len(text) or text[i + 1] == " "):
            return text[:i]
    return text


def markdown() -> str:
    """The catalogue as ``docs/layers.md``."""
    es = [entry(k) for k in kinds()]
    out = [
        "# Layer catalogue",
        "",
        "Generated from the layer registry by `nnspec layers --markdown > docs/layers.md`; a test keeps",
        "it current. Shapes are without the batch dimension. Each example is checked, built and run",
        "by the tests; its PyTorch column is the code nnspec compiles it to.",
        "",
        "| kind | arguments | example: input → output | PyTorch |",
        "|---|---|---|---|",
    ]
    for e in es:
        args = ", ".join(a.name if a.default is None else f"{a.name}={a.default}" for a in e.arguments) or "—"
        out.append(f"| [`{e.kind}`](#{e.kind}) | `{args}` | `{e.input}` → `{e.output}` | `{e.pytorch}` |")
    for e in es:
        out += ["", f"## {e.kind}", "", f"`{e.signature()}`", "", e.summary]
        if e.details:
            out += ["", e.details]
        if e.arguments:
            out += ["", "| argument | type | default |", "|---|---|---|"]
            out += [f"| `{a.name}` | {a.type} | {'required' if a.default is None else f'`{a.default}`'} |"
                    for a in e.arguments]
        out += ["", f"Example: `{e.example}` on `{e.input}` gives `{e.output}`; PyTorch: `{e.pytorch}`."]
        if e.synonyms:
            out += ["", f"Elsewhere called: {', '.join(f'`{s}`' for s in e.synonyms)}."]
    return "\n".join(out) + "\n"
