"""Diagnostics: located errors and warnings, rendered the way a compiler prints them.

::

    specs/bad.nn:4:3: error: dense needs a flat input, got [8, 4, 4]
      conv(8, 3) -> dense(10)
                    ^~~~~~~~~
    hint: insert `flatten` before `dense`
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A region of one source file; lines and columns count from 1, ``end_col`` is exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    @classmethod
    def make(cls, path: str, line: int, col: int, end_line: int, end_col: int) -> Span:
        """The same span as ``Span(...)``, made with the fields set at once rather than one
        frozen ``__setattr__`` each: parsing and the AST cache make one per node."""
        span = object.__new__(cls)
        span.__dict__.update(path=path, line=line, col=col, end_line=end_line, end_col=end_col)
        return span


#: the most characters of a source line an error shows (around the caret)
LINE_WIDTH = 120


@dataclass
class Diagnostic:
    severity: str  # "error" or "warning"
    message: str
    span: Span | None = None
    hint: str | None = None

    def render(self, sources: dict[str, str], color: bool = False) -> str:
        """The full text: location, message, the source line with a caret, the hint."""
        where = f"{self.span}: " if self.span else ""
        sev = self.severity
        if color:
            sev = f"\x1b[1;{31 if sev == 'error' else 33}m{sev}\x1b[0m"
        lines = [f"{where}{sev}: {self.message}"]
        text = sources.get(self.span.path) if self.span else None
        if text is not None:
            src_lines = [line.rstrip("\r") for line in text.split("\n")]  # as the parser counts lines
            if 1 <= self.span.line <= len(src_lines):
                src = src_lines[self.span.line - 1].expandtabs(1)
                col = self.span.col - 1
                width = (
                    max(1, self.span.end_col - self.span.col)
                    if self.span.end_line == self.span.line
                    else max(1, len(src) - self.span.col + 1)
                )
                if len(src) > LINE_WIDTH:  # a long line shows only around the caret
                    start = max(0, min(col - LINE_WIDTH // 3, len(src) - LINE_WIDTH))
                    end = start + LINE_WIDTH
                    width = max(1, min(width, end - col))
                    src = ("..." if start else "") + src[start:end] + ("..." if end < len(src) else "")
                    col += 3 - start if start else 0
                # control characters would garble the terminal; each shows as one mark
                src = "".join(c if c.isprintable() else "\ufffd" for c in src)
                lines.append(f"  {src}")
                caret = " " * col + "^" + "~" * (width - 1)
                lines.append(f"  {caret}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def sort_key(self):
        s = self.span
        return (s.path, s.line, s.col) if s else ("", 0, 0)


@dataclass
class SpecError(Exception):
    """Raised by the API when a spec has errors; ``diagnostics`` holds every one found."""

    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "\n".join(d.render(self.sources) for d in self.diagnostics)


class NetworkChoiceError(SpecError):
    """The network asked for is none of the file's, or the file has several and none was
    asked for: the caller's choice is at fault, not the spec (``nnspec`` exits 2, a usage error)."""


class Located(Exception):
    """An error raised inside a phase, carrying where it happened; turned into a Diagnostic."""

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None):
        super().__init__(message)
        self.message, self.span, self.hint = message, span, hint

    def diagnostic(self) -> Diagnostic:
        return Diagnostic("error", self.message, self.span, self.hint)

    def diagnostics(self) -> list[Diagnostic]:
        return [self.diagnostic()]


class LocatedErrors(Located):
    """Several independent errors of one phase (syntax errors in separate definitions)."""

    def __init__(self, errors: list[Located]):
        first = errors[0]
        super().__init__(first.message, first.span, first.hint)
        self.errors = errors

    def diagnostics(self) -> list[Diagnostic]:
        return [e.diagnostic() for e in self.errors]


def did_you_mean(word: str, choices, what: str = "") -> str | None:
    """``did you mean `conv`?`` for the closest choice, or None."""
    import difflib  # only when there is an error to explain

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        low = {c.lower(): c for c in choices}
        if word.lower() in low:
            close = [low[word.lower()]]
    return f"did you mean `{close[0]}`?" if close else None


def colour(stream) -> bool:
    """Whether to colour what goes to ``stream``: a terminal, unless ``NO_COLOR`` is set."""
    import os

    return stream.isatty() and "NO_COLOR" not in os.environ


def report(diags: list[Diagnostic], sources: dict[str, str]) -> None:
    """Print diagnostics to stderr, coloured on a terminal (the command line's and a training
    run's warnings alike)."""
    import sys

    import click

    color = colour(sys.stderr)
    for d in diags:
        click.echo(d.render(sources, color=color), err=True)
