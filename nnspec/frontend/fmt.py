"""Canonical formatting of `.nn` source: ``nnspec fmt``.

The AST is printed back with fixed rules, and the comments (which the grammar folds into
line breaks) are recovered from the text and put back where they were:

- two spaces per level; one statement per line; one blank line kept where the source had
  any; one blank line between top-level definitions;
- ``a -> b`` with one space around arrows, ``f(x, y, k=v)`` in calls, ``name = default`` in
  parameter lists, numbers in their shortest exact form (``1e-5``, ``0.5``), strings with
  ``\\"`` and ``\\\\`` escapes, the fewest parentheses that keep an expression's meaning;
- a chain longer than :data:`WIDTH` wraps before an arrow, continuation lines indented
  two more and starting with ``->``;
- ``repeat``/``each``/``residual``/``shortcut`` bodies of one short statement stay on one
  line (``repeat n { Bottleneck(w) }``), others open a block; branches of ``concat``,
  ``add`` and ``mul`` each start a line with ``|``, a branch's further lines aligned after it.

An own-line comment keeps its line before the statement that follows it; a comment after
code stays at the end of the line that holds that code.

>>> format_source("network N(c=2){\\ninput x:[4]  # features\\ndense( c )}")
'network N(c = 2) {\\n  input x: [4]  # features\\n  dense(c)\\n}\\n'
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ..diagnostics import Located, Span
from . import ast
from .parser import parse

#: the line length beyond which a chain wraps
WIDTH = 100

_PRECEDENCE = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
               "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6}
_NOT, _NEG, _COMPARE = 3, 7, 4


# -- the text around the AST: comments, braces, blank lines ------------------------------------
@dataclass
class _Comment:
    line: int
    text: str  # from `#` to the end of the line, trailing white space removed
    own_line: bool  # nothing but white space before it


class _Source:
    """What the AST does not hold: comments, brace positions and blank lines, found by a scan
    that knows strings (a `#` or `{` inside a string is text)."""

    def __init__(self, text: str):
        # lines as the parser counts them: only "\n" ends one (not a form feed, as splitlines has it)
        self.lines = [line.rstrip("\r") for line in text.split("\n")]
        self.comments: list[_Comment] = []
        self.opens: list[tuple[int, int]] = []  # `{` positions in order
        self.match: dict[tuple[int, int], tuple[int, int]] = {}  # `{` -> its `}`
        self.bars: list[tuple[int, int]] = []
        stack = []
        for ln, line in enumerate(self.lines, start=1):
            i, n = 0, len(line)
            while i < n:
                ch = line[i]
                if ch == '"':
                    i += 1
                    while i < n and line[i] != '"':
                        i += 2 if line[i] == "\\" else 1
                elif ch == "#":
                    self.comments.append(_Comment(ln, line[i:].rstrip(), not line[:i].strip()))
                    break
                elif ch == "{":
                    stack.append((ln, i + 1))
                    self.opens.append((ln, i + 1))
                elif ch == "}" and stack:
                    self.match[stack.pop()] = (ln, i + 1)
                elif ch == "|":
                    self.bars.append((ln, i + 1))
                i += 1
        self.next_comment = 0

    def brace_after(self, pos: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """The first `{` at or after ``pos`` and its matching `}`."""
        k = bisect.bisect_left(self.opens, pos)
        if k >= len(self.opens):
            return pos, pos
        o = self.opens[k]
        return o, self.match.get(o, o)

    def blank_between(self, a: int, b: int) -> bool:
        """Whether a blank line lies strictly between source lines ``a`` and ``b``."""
        return any(not self.lines[i - 1].strip() for i in range(max(a + 1, 1), min(b, len(self.lines) + 1)))

    def comments_before(self, line: int) -> list[_Comment]:
        out = []
        while self.next_comment < len(self.comments) and self.comments[self.next_comment].line < line:
            out.append(self.comments[self.next_comment])
            self.next_comment += 1
        return out

    def has_comments(self, first: int, last: int) -> bool:
        return any(first <= c.line <= last for c in self.comments[self.next_comment :])


# -- leaf printing -------------------------------------------------------------------------------
def number(v: float) -> str:
    """The shortest text that reads back as the same number: ``1e-05`` prints as ``1e-5``."""
    if isinstance(v, int):
        return str(v)
    text = repr(float(v))
    if "e" in text:
        mant, exp = text.split("e")
        if "." in mant and mant.endswith(".0"):
            mant = mant[:-2]
        text = f"{mant}e{int(exp)}"
    return text


def string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expr(e, parent: int = 0, right: bool = False) -> str:
    """An expression with the parentheses its precedence needs and no more."""
    if isinstance(e, ast.Num):
        return number(e.value)
    if isinstance(e, ast.Ref):
        return e.name
    if isinstance(e, ast.Neg):
        inner = expr(e.operand, _NEG)
        return f"-{inner}"
    if isinstance(e, ast.Not):
        text = f"not {expr(e.operand, _NOT)}"
        return f"({text})" if parent > _NOT else text
    if isinstance(e, ast.BinOp):
        p = _PRECEDENCE[e.op]
        # comparisons do not chain: one inside another keeps its parentheses on either side
        text = f"{expr(e.left, p + (p == _COMPARE))} {e.op} {expr(e.right, p, right=True)}"
        return f"({text})" if p < parent or (right and p == parent) else text
    return value(e)


def value(v) -> str:
    if isinstance(v, ast.Str):
        return string(v.value)
    if isinstance(v, ast.Bool):
        return "true" if v.value else "false"
    if isinstance(v, ast.ListV):
        return "[" + ", ".join(value(x) for x in v.items) + "]"
    return expr(v)


def args(a: list[ast.Arg] | None) -> str:
    if a is None:
        return ""
    return "(" + ", ".join(f"{x.name}={value(x.value)}" if x.name else value(x.value) for x in a) + ")"


def dims(d: list) -> str:
    return "[" + ", ".join(expr(x) for x in d) + "]"


# -- the printer -------------------------------------------------------------------------------------
class _Printer:
    def __init__(self, text: str, width: int = WIDTH):
        self.src = _Source(text)
        self.width = width
        self.out: list[str] = []
        self.last_line = 0  # the last source line printed so far
        self.bar = False  # the next line starts a branch: `| ` takes its last indentation step

    # Every printed line goes through here: comments that come before its source line are
    # emitted first (own-line ones on their own lines, trailing ones at the end of the line
    # they followed), and a blank line of the source between two statements is kept once.
    def emit(self, level: int, text: str, line: int, end: int | None = None, blank_ok: bool = True) -> None:
        for c in self.src.comments_before(line):
            self.comment(level, c, blank_ok)
            blank_ok = True
        if blank_ok and self.out and self.out[-1] and self.src.blank_between(self.last_line, line):
            self.out.append("")
        lead = "  " * level
        if self.bar:
            lead, self.bar = lead[:-2] + "| ", False
        self.out.append(lead + text)
        self.last_line = max(self.last_line, end or line)

    def comment(self, level: int, c: _Comment, blank_ok: bool = True) -> None:
        if not c.own_line and self.out and c.line <= self.last_line and self.out[-1].strip():
            self.out[-1] += "  " + c.text
            return
        if blank_ok and self.out and self.out[-1] and self.src.blank_between(self.last_line, c.line):
            self.out.append("")
        self.out.append("  " * level + c.text)
        self.last_line = max(self.last_line, c.line)

    def close(self, level: int, text: str, line: int) -> None:
        """A closing line (`}` and what follows it); comments left inside the body come first."""
        for c in self.src.comments_before(line):
            self.comment(level + 1, c)
        self.out.append("  " * level + text)
        self.last_line = max(self.last_line, line)

    def finish(self) -> str:
        for c in self.src.comments_before(10**9):
            self.comment(0, c)
        while self.out and not self.out[-1]:
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    # -- files and definitions ---------------------------------------------------------------------
    def file(self, nodes: list) -> None:
        prev = None
        for n in nodes:
            if prev is not None and not (isinstance(prev, ast.Import) and isinstance(n, ast.Import)):
                for c in self.src.comments_before(n.span.line):
                    self.comment(0, c)
                if self.out and self.out[-1] and not self.out[-1].startswith("#"):
                    self.out.append("")
            if isinstance(n, ast.Import):
                self.emit(0, f"import {string(n.path)}", n.span.line)
            else:
                self.definition(n)
            prev = n

    def definition(self, d: ast.Definition) -> None:
        params = ""
        if d.params:
            params = "(" + ", ".join(p.name + (f" = {value(p.default)}" if p.default is not None else "")
                                     for p in d.params) + ")"
        on = f" on {dims(d.on)}" if d.on is not None else ""
        opening, closing = self.src.brace_after((d.name_span.end_line, d.name_span.end_col))
        self.emit(0, f"{d.kind} {d.name}{params}{on} {{", d.span.line, opening[0])
        self.body(d.body, 1)
        self.close(0, "}", closing[0])

    # -- bodies and statements -------------------------------------------------------------------------
    def body(self, body: ast.Body, level: int, bar: bool = False) -> None:
        """The statements of a body, one per line, at ``level``; with ``bar`` the first line
        starts with a branch's `| ` one level out."""
        for i, stmt in enumerate(body.stmts):
            self.bar = bar and i == 0
            self.statement(stmt, level, blank_ok=i > 0)

    def statement(self, stmt, level: int, blank_ok: bool = True) -> None:
        if isinstance(stmt, ast.Input):
            text = f"input {stmt.name}: {dims(stmt.dims)}"
            if stmt.dtype != "float" or stmt.pad is not None:
                text += f" {stmt.dtype}"
            if stmt.pad is not None:
                text += f" pad={expr(stmt.pad)}"
            self.emit(level, text, stmt.span.line, stmt.span.end_line, blank_ok)
        elif isinstance(stmt, ast.Let):
            self.chain(stmt.chain, level, f"let {stmt.name} = ", blank_ok)
        elif isinstance(stmt, ast.Output):
            self.chain(stmt.chain, level, f"output {stmt.name} = ", blank_ok)
        elif isinstance(stmt, ast.TrainSection):
            opening, closing = self.src.brace_after((stmt.span.line, stmt.span.col))
            self.emit(level, "train {", stmt.span.line, opening[0], blank_ok)
            for k, s in enumerate(stmt.settings):
                self.emit(level + 1, f"{s.name} = {value(s.value)}", s.span.line, s.span.end_line, k > 0)
            self.close(level, "}", closing[0])
        else:
            self.chain(stmt, level, "", blank_ok)

    # -- chains ------------------------------------------------------------------------------------------
    def chain(self, chain: ast.Chain, level: int, head: str, blank_ok: bool) -> None:
        """Items joined by `` -> ``; wrapped before an arrow when the line grows too long, and
        around a construct whose body takes lines of its own."""
        line, line_src = head, chain.span.line  # the line being built and where it came from
        started = False  # whether `line` already holds an item
        for item in chain.items:
            label = f"{item.label}: " if item.label else ""
            flat = self.flat_item(item.atom)
            if flat is None:  # the construct's opening ends the current line
                line = f"{line} -> {label}" if started else line + label
                line, line_src = self.block_item(item.atom, level, line, line_src, blank_ok)
                blank_ok, started = False, True
                continue
            joined = f"{line} -> {label}{flat}" if started else line + label + flat
            # a comment between two items keeps them on their own lines
            commented = started and item.span.line > line_src and self.src.has_comments(line_src, item.span.line - 1)
            if started and (commented or 2 * level + len(joined) > self.width):
                self.emit(level, line, line_src, max(line_src, item.span.line - 1), blank_ok)
                blank_ok = False
                line, line_src = f"  -> {label}{flat}", item.span.line
            else:
                line = joined
            started = True
        self.emit(level, line, line_src, chain.span.end_line, blank_ok)

    def flat_item(self, atom) -> str | None:
        """The one-line text of an item, or None when it needs several lines."""
        if isinstance(atom, ast.Call):
            return None if atom.branches is not None else atom.name + args(atom.args)
        if isinstance(atom, ast.Expect):
            return f"expect {dims(atom.dims)}"
        if isinstance(atom, ast.Repeat):
            inner = self.inline_body(atom.body, (atom.count.span.end_line, atom.count.span.end_col))
            return None if inner is None else f"repeat {expr(atom.count)} {inner}"
        start = (atom.span.line, atom.span.col)
        if isinstance(atom, ast.Each):
            inner = self.inline_body(atom.body, start)
            return None if inner is None else f"each {inner}"
        if isinstance(atom, ast.If):
            return self.flat_if(atom)
        if isinstance(atom, ast.Residual) and atom.shortcut_first:
            if atom.shortcut == "auto":
                inner = self.inline_body(atom.body, start)
                return None if inner is None else f"residual shortcut auto {inner}"
            short = self.inline_body(atom.shortcut, start)
            inner = self.inline_body(atom.body, self.src.brace_after(start)[1]) if short is not None else None
            return None if inner is None else f"residual shortcut {short} {inner}"
        if isinstance(atom, ast.Residual):
            inner = self.inline_body(atom.body, start)
            if inner is None:
                return None
            if atom.shortcut is None:
                return f"residual {inner}"
            if atom.shortcut == "auto":
                return f"residual {inner} shortcut auto"
            short = self.inline_body(atom.shortcut, self.src.brace_after(start)[1])
            return None if short is None else f"residual {inner} shortcut {short}"
        return None

    def flat_if(self, atom: ast.If) -> str | None:
        """``if c { a } else { b }`` on one line, when each body is one short chain."""
        cond = expr(atom.cond)
        then = self.inline_body(atom.then, (atom.cond.span.end_line, atom.cond.span.end_col))
        if then is None:
            return None
        if atom.orelse is None:
            return f"if {cond} {then}"
        if isinstance(atom.orelse, ast.If):
            rest = self.flat_if(atom.orelse)
        else:
            rest = self.inline_body(atom.orelse, self.src.brace_after((atom.cond.span.end_line,
                                                                         atom.cond.span.end_col))[1])
        text = None if rest is None else f"if {cond} {then} else {rest}"
        return text if text is not None and len(text) <= self.width * 3 // 4 else None

    def inline_body(self, body: ast.Body, after: tuple[int, int]) -> str | None:
        """``{ stmt }`` for a body (its `{` the first after ``after``) of one short chain with
        no comment inside, else None."""
        opening, closing = self.src.brace_after(after)
        if self.src.has_comments(opening[0], closing[0] - 1):
            return None
        if not body.stmts:
            return "{}"
        if len(body.stmts) != 1 or not isinstance(body.stmts[0], ast.Chain):
            return None
        parts = []
        for item in body.stmts[0].items:
            flat = self.flat_item(item.atom)
            if flat is None:
                return None
            parts.append((f"{item.label}: " if item.label else "") + flat)
        text = "{ " + " -> ".join(parts) + " }"
        return text if len(text) <= self.width // 2 else None

    def block_item(self, atom, level: int, head: str, head_src: int, blank_ok: bool) -> tuple[str, int]:
        """Print a construct whose body takes lines of its own; returns its closing line's text
        (which the chain may continue) and that line's source line."""
        if isinstance(atom, ast.Call):  # a merge with branches
            opening, closing = self.src.brace_after((atom.name_span.end_line, atom.name_span.end_col))
            self.emit(level, f"{head}{atom.name}{args(atom.args)} {{", head_src, opening[0], blank_ok)
            bars = [b for b in self.src.bars if opening < b < closing]
            for k, branch in enumerate(atom.branches):
                if branch.stmts:
                    self.body(branch, level + 2, bar=True)
                else:
                    line = bars[k][0] if k < len(bars) else opening[0]
                    self.emit(level + 1, "|", line, line, k > 0)
            self.flush_inside(level + 1, closing[0])
            return "}", closing[0]
        if isinstance(atom, ast.If):
            return self.block_if(atom, level, head, head_src, blank_ok)
        if isinstance(atom, ast.Residual) and atom.shortcut_first:
            return self.block_residual_first(atom, level, head, head_src, blank_ok)
        if isinstance(atom, ast.Repeat):
            words = f"repeat {expr(atom.count)}"
            start = (atom.count.span.end_line, atom.count.span.end_col)
        else:
            words = "each" if isinstance(atom, ast.Each) else "residual"
            start = (atom.span.line, atom.span.col)
        opening, closing = self.src.brace_after(start)
        self.emit(level, f"{head}{words} {{", head_src, opening[0], blank_ok)
        self.body(atom.body, level + 1)
        if isinstance(atom, ast.Residual) and atom.shortcut is not None:
            if atom.shortcut == "auto":
                self.flush_inside(level + 1, closing[0])
                return "} shortcut auto", closing[0]
            opening2, closing2 = self.src.brace_after(closing)
            short = self.inline_body(atom.shortcut, closing)
            if short is not None:
                self.flush_inside(level + 1, closing[0])
                return f"}} shortcut {short}", closing2[0]
            self.close(level, "} shortcut {", opening2[0])
            self.body(atom.shortcut, level + 1)
            closing = closing2
        self.flush_inside(level + 1, closing[0])
        return "}", closing[0]

    def block_if(self, atom: ast.If, level: int, head: str, head_src: int, blank_ok: bool) -> tuple[str, int]:
        """``if c {`` ... ``} else if d {`` ... ``} else {`` ... ``}``."""
        opening, closing = self.src.brace_after((atom.cond.span.end_line, atom.cond.span.end_col))
        self.emit(level, f"{head}if {expr(atom.cond)} {{", head_src, opening[0], blank_ok)
        while True:
            self.body(atom.then, level + 1)
            orelse = atom.orelse
            if orelse is None:
                break
            if isinstance(orelse, ast.If):
                after = (orelse.cond.span.end_line, orelse.cond.span.end_col)
                self.close(level, f"}} else if {expr(orelse.cond)} {{", self.src.brace_after(after)[0][0])
                closing = self.src.brace_after(after)[1]
                atom = orelse
                continue
            opening, closing2 = self.src.brace_after(closing)
            self.close(level, "} else {", opening[0])
            self.body(orelse, level + 1)
            closing = closing2
            break
        self.flush_inside(level + 1, closing[0])
        return "}", closing[0]

    def block_residual_first(self, atom: ast.Residual, level: int, head: str, head_src: int,
                             blank_ok: bool) -> tuple[str, int]:
        """``residual shortcut auto {`` or ``residual shortcut { ... } {`` before the body."""
        start = (atom.span.line, atom.span.col)
        if atom.shortcut == "auto":
            opening, closing = self.src.brace_after(start)
            self.emit(level, f"{head}residual shortcut auto {{", head_src, opening[0], blank_ok)
        else:
            short_open, short_close = self.src.brace_after(start)
            opening, closing = self.src.brace_after(short_close)
            short = self.inline_body(atom.shortcut, start)
            if short is not None:
                self.emit(level, f"{head}residual shortcut {short} {{", head_src, opening[0], blank_ok)
            else:
                self.emit(level, f"{head}residual shortcut {{", head_src, short_open[0], blank_ok)
                self.body(atom.shortcut, level + 1)
                self.close(level, "} {", opening[0])
        self.body(atom.body, level + 1)
        self.flush_inside(level + 1, closing[0])
        return "}", closing[0]

    def flush_inside(self, level: int, line: int) -> None:
        """Comments inside a body after its last statement, before its closing brace."""
        for c in self.src.comments_before(line):
            self.comment(level, c)


def format_ast(nodes: list, width: int = WIDTH) -> str:
    """The canonical text of parsed definitions and imports (no comments: they are not in
    the AST). ``parse(format_ast(nodes))`` gives ``nodes`` back, spans aside."""
    p = _Printer("", width)
    p.file(nodes)
    return p.finish()


def format_source(text: str, path: str = "<string>", width: int = WIDTH) -> str:
    """The canonical text of a spec; raises :class:`~nnspec.diagnostics.Located` if it does not
    parse. The result parses to the same AST (spans aside) as ``text``; that is verified."""
    nodes = parse(text, path)
    try:
        p = _Printer(text, width)
        p.file(nodes)
        out = p.finish()
        same = ast.plain(parse(out, path)) == ast.plain(nodes)
    except RecursionError:
        raise Located("nesting is too deep to format", Span(path, 1, 1, 1, 2)) from None
    if not same:
        raise Located("formatting would change the meaning of this file; it was left as it is",
                      Span(path, 1, 1, 1, 2), "please report this file as a bug in `nnspec fmt`")
    return out
