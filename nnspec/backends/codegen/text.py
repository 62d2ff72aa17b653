"""A generated class as text: ``__init__`` and ``forward`` from the walk's lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.code import Call, Name, Repeat, render, render_wrapped
from .emit import WIDTH, comment, doc, docstring
from .naming import is_attribute
from .statements import Stmt, is_init, used_by_init

if TYPE_CHECKING:  # only in annotations: walk imports this module
    from .walk import Walk


# -- text ----------------------------------------------------------------------------------------
def _fit(prefix: str, value, indent: int, suffix: str = "") -> list[str]:
    """``prefix``, a value and ``suffix`` (a comment is not counted) on one line, or with an
    argument a line where that passes the width."""
    text = render(value)
    closing = suffix.split("  #")[0]
    if isinstance(value, Call) and value.args and indent + len(prefix) + len(text) + len(closing) > WIDTH:
        return (prefix + render_wrapped(value, 0) + suffix).split("\n")
    return [prefix + text + suffix]


def _note(s: Stmt) -> str:
    return f"  # {comment(s.note)}" if s.note else ""


def _init_lines(stmts: list, sequential: bool, name: str, used: set) -> list[str]:
    """The lines of ``__init__``; ``used``: the names its modules read (a loop's variables)."""
    lines = []
    for s in stmts:
        if s.kind == "set":
            if s.code is None:
                lines.append(f"self.{s.key} = None" if is_attribute(s.key) else f'self.add_module("{s.key}", None)')
            elif is_attribute(s.key):
                lines += _fit(f"self.{s.key} = ", s.code, 8)
            else:
                lines += _fit(f'self.add_module("{s.key}", ', s.code, 8, ")")
        elif s.kind == "add":
            lines += [ln for ln in _fit(f"{name}.append(", s.code, 8, ")")]
            lines[-1] += _note(s)
        elif s.kind == "extend":
            lines.append(f"{name}.extend({render(s.code)} for _ in range({render(s.count)}))" + _note(s))
        elif s.kind == "local":
            if s.key in used:
                lines.append(f"{s.key} = {render(s.code)}")
        elif s.kind == "for":
            lines.append(f"for _ in range({render(s.count)}):")
            lines += ["    " + ln for ln in _init_lines(s.then, sequential, name, used)]
        elif s.kind == "dict":
            entries = []
            for e in s.then:
                entries += [f"    {ln}" for ln in _fit(f'"{e.key}": ', e.code, 12, ",")]
            container = "\n".join(["nn.ModuleDict({", *entries, "})"])
            lines += (f"self.{s.key} = {container}" if is_attribute(s.key)
                      else f'self.add_module("{s.key}", {container})').split("\n")
        elif s.kind == "sequence":
            lines += ["layers = []", *_init_lines(s.then, True, "layers", used)]
            container = f"{s.code}(layers)" if s.code == "nn.ModuleList" else f"{s.code}(*layers)"
            lines.append(f"self.{s.key} = {container}" if is_attribute(s.key)
                         else f'self.add_module("{s.key}", {container})')
        elif s.kind == "if":
            lines.append(f"if {render(s.code)}:")
            lines += ["    " + ln for ln in _init_lines(s.then, sequential, name, used) or ["pass"]]
            if s.orelse:
                lines.append("else:")
                lines += ["    " + ln for ln in _init_lines(s.orelse, sequential, name, used)]
    return lines


def _forward_lines(stmts: list) -> list[str]:
    lines = []
    for s in stmts:
        if s.kind == "assign":
            if s.code == Name(s.key):
                continue
            lines += _fit(f"{s.key} = ", s.code, 8, _note(s))
        elif s.kind == "if":
            then = _forward_lines(s.then)
            other = _forward_lines(s.orelse)
            if not then and not other:
                continue
            lines.append(f"if {render(s.code)}:")
            lines += ["    " + ln for ln in then or ["pass"]]
            if other:
                lines += ["else:"] + ["    " + ln for ln in other]
        elif s.kind == "return":
            lines.append(f"return {render(s.code)}")
        elif s.kind == "check":
            lines.append(render(s.code))
        elif s.kind == "loop":
            lines.append(f"for layer in {render(s.count)}:")
            lines += ["    " + ln for ln in _fit(f"{s.key} = ", s.code, 12, _note(s))]
    return lines


def write_class(name: str, out: list, walk: Walk, sequential: bool, signature: list, args: list,
                doc_lines: tuple, forward_doc: str | None = None) -> str:
    params = "".join(f", {p}" for p in signature)
    base = "nn.Sequential" if sequential else "nn.Module"
    lines = [f"class {name}({base}):", docstring(*doc_lines), ""]
    if walk.flags:
        lines += [f"    __constants__ = [{', '.join(repr(n) for n, _ in walk.flags)}]", ""]
    lines.append(f"    def __init__(self{params}):")
    if sequential:
        if all(s.kind == "add" for s in out):
            body = ["super().__init__("]
            for s in out:
                body += ["    " + ln for ln in _fit("", s.code, 12, ",")]
                body[-1] += _note(s)
            body.append(")")
        elif all(s.kind in ("add", "extend") for s in out):
            body = ["super().__init__("]
            for s in out:
                value = s.code if s.kind == "add" else Repeat(s.code, s.count)
                body += ["    " + ln for ln in _fit("", value, 12, ",")]
                body[-1] += _note(s)
            body.append(")")
        else:
            body = ["layers = []", *_init_lines(out, True, "layers", used_by_init(out)), "super().__init__(*layers)"]
    else:
        body = ["super().__init__()"]
        body += [f"self.{n} = {render(c)}" for n, c in walk.flags]
        body += _init_lines([s for s in out if is_init(s)], False, "", used_by_init(out))
    lines += ["        " + ln for ln in body]
    if not sequential:
        fwd = _forward_lines([s for s in out if not is_init(s)])
        if not any(ln.startswith("return") for ln in fwd):
            fwd.append("return x")
        lines += ["", f"    def forward(self, {', '.join(args)}):"]
        if forward_doc is not None:
            lines.append(f'        """{doc(forward_doc)}"""')
        lines += ["        " + ln for ln in fwd]
    return "\n".join(lines)

