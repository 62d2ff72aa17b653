"""Completion and signature help.

What to offer depends on where the cursor is, read from the text before it (which, while
the user types, seldom parses): inside a call's parentheses, its keyword arguments and the
names in scope; inside ``train { }``, the settings; elsewhere, layer kinds, blocks and names.
The names come from the latest analysis whose text parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from ..core.catalogue import entries
from ..frontend import ast
from .analysis import Analysis, walk
from .present import signature


@dataclass
class Context:
    """Where the cursor is: the call whose parentheses hold it (name, arguments before the
    cursor), the keyword being written, and whether it is in a ``train { }`` section."""

    call: str | None = None
    keyword: str | None = None  # the `name=` written in the current argument, if any
    given: list[str] = field(default_factory=list)  # keywords given before the cursor
    positional: int = 0  # arguments before the current one
    train: bool = False
    dims: bool = False  # in square brackets (a shape, a list): values only, no layers
    quiet: bool = False  # in a comment or a string: nothing to offer


_WORD_BEFORE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


def context(text: str, offset: int) -> Context:
    """The context at ``offset`` of ``text``: one scan that knows comments and strings."""
    opens: list[tuple[str, int]] = []  # open brackets: (char, position)
    i = 0
    while i < offset:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            if end < 0 or end >= offset:
                return Context(quiet=True)  # in a comment
            i = end
            continue
        if ch == '"':
            i += 1
            while i < offset and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
            if i >= offset:
                return Context(quiet=True)  # in a string
        elif ch in "([{":
            opens.append((ch, i))
        elif ch in ")]}" and opens:
            opens.pop()
        i += 1
    ctx = Context()
    paren = next((k for k in range(len(opens) - 1, -1, -1) if opens[k][0] == "("), None)
    brace = next((k for k in range(len(opens) - 1, -1, -1) if opens[k][0] == "{"), None)
    if paren is not None and (brace is None or paren > brace):
        start = opens[paren][1]
        name = _WORD_BEFORE.search(text[:start].rstrip())
        ctx.call = name.group(0) if name else None
        args = _split_args(text[start + 1:offset])
        for a in args[:-1]:
            m = re.match(r"\s*([A-Za-z_]\w*)\s*=(?!=)", a)
            if m:
                ctx.given.append(m.group(1))
            else:
                ctx.positional += 1
        m = re.match(r"\s*([A-Za-z_]\w*)\s*=(?!=)", args[-1])
        ctx.keyword = m.group(1) if m else None
    ctx.dims = bool(opens) and opens[-1][0] == "["
    if brace is not None and (paren is None or brace > paren):
        ctx.train = re.search(r"\btrain\s*$", text[:opens[brace][1]]) is not None
    return ctx


def _split_args(text: str) -> list[str]:
    """A call's argument texts, split at its own commas (not those inside brackets)."""
    out, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:k])
            start = k + 1
    return out + [text[start:]]


@dataclass
class Item:
    """One completion: its label, LSP kind name, detail, documentation and text to insert."""

    label: str
    kind: str  # Function, Class, Variable, Field, Property, Keyword
    detail: str = ""
    documentation: str = ""
    insert: str | None = None  # a snippet, when it differs from the label


def completions(text: str, offset: int, a: Analysis | None, line: int) -> list[Item]:
    """What may be written at ``offset`` (on line ``line``, for the enclosing definition)."""
    ctx = context(text, offset)
    d = _definition(a, line)
    if ctx.quiet:
        return []
    if ctx.train:
        from ..train.config import Settings  # pure Python, as check uses it

        line_start = text.rfind("\n", 0, offset) + 1
        if "=" in text[line_start:offset]:
            return []
        return [Item(f.name, "Property", _default_of(f), insert=f"{f.name} = ") for f in fields(Settings)]
    if ctx.dims or ctx.keyword is not None:  # a size, or a keyword's value
        return _names(d)
    if ctx.call is not None:
        return _keywords(ctx, a) + _names(d)
    return _kinds() + _blocks(a) + _names(d)


def _default_of(f) -> str:
    from dataclasses import MISSING

    if f.default is not MISSING:
        return f"default {value_shown(f.default)}"
    return "default []"


def value_shown(v) -> str:
    from ..frontend.ast import value_text

    return "none" if v is None else value_text(v)


def _definition(a: Analysis | None, line: int) -> ast.Definition | None:
    if a is None or a.file is None:
        return None
    defs = a.file.definitions
    return next((d for d in defs if d.span.line <= line <= d.span.end_line), None)


def _kinds() -> list[Item]:
    out = []
    for kind, e in entries().items():
        required = [x.name for x in e.arguments if x.default is None]
        insert = f"{kind}({', '.join(f'${{{k + 1}:{n}}}' for k, n in enumerate(required))})" if required else None
        out.append(Item(kind, "Function", e.signature(), e.summary, insert))
    return out


def _blocks(a: Analysis | None) -> list[Item]:
    if a is None:
        return []
    out = []
    for name, d in a.spec.program.blocks.items():
        required = [p.name for p in d.params if p.default is None]
        insert = f"{name}({', '.join(f'${{{k + 1}:{n}}}' for k, n in enumerate(required))})" if required else None
        out.append(Item(name, "Class", signature(d), "", insert))
    return out


def _names(d: ast.Definition | None) -> list[Item]:
    if d is None:
        return []
    out = [Item(p.name, "Variable", f"parameter of {d.name}") for p in d.params]
    out += [Item(e.name, "Variable", f"size of {d.name}'s input") for e in d.on or [] if isinstance(e, ast.Ref)]
    for n in walk(d.body):
        if isinstance(n, (ast.Input, ast.Let)):
            out.append(Item(n.name, "Variable", "input" if isinstance(n, ast.Input) else "value"))
    return out


def arguments_of(name: str, a: Analysis | None) -> list[tuple[str, str | None, str]] | None:
    """A layer kind's or block's arguments: (name, default or None, type in words); None
    when ``name`` is neither."""
    e = entries().get(name)
    if e is not None:
        return [(x.name, x.default, x.type) for x in e.arguments]
    d = a.spec.program.blocks.get(name) if a is not None else None
    if d is not None:
        from ..frontend.fmt import value

        return [(p.name, value(p.default) if p.default is not None else None, "") for p in d.params]
    return None


def _keywords(ctx: Context, a: Analysis | None) -> list[Item]:
    args = (arguments_of(ctx.call, a) or [])[ctx.positional:]  # those given by position are bound
    return [Item(f"{n}=", "Field", (t + ", " if t else "") + ("required" if default is None else f"default {default}"),
                 insert=f"{n}=") for n, default, t in args if n not in ctx.given]


@dataclass
class Signature:
    label: str
    parameters: list[tuple[int, int]]  # each argument's place in the label
    active: int


def signature_help(text: str, offset: int, a: Analysis | None) -> Signature | None:
    """The signature of the call whose parentheses hold the cursor, its current argument marked."""
    ctx = context(text, offset)
    if ctx.call is None:
        return None
    args = arguments_of(ctx.call, a)
    if args is None:
        return None
    label = ctx.call + "("
    places = []
    for k, (n, default, _) in enumerate(args):
        part = n if default is None else f"{n}={default}"
        places.append((len(label), len(label) + len(part)))
        label += part + (", " if k + 1 < len(args) else "")
    label += ")"
    names = [n for n, _, _ in args]
    active = names.index(ctx.keyword) if ctx.keyword in names else min(ctx.positional, max(len(args) - 1, 0))
    return Signature(label, places, active)
