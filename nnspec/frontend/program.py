"""Loading a spec: a file, its imports, and the static checks that need no elaboration."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, Located, Span, did_you_mean
from ..files import unreadable
from . import ast
from .parser import KEYWORDS, parse_file


@dataclass
class Program:
    """Every definition visible from the main file, with the sources for error rendering."""

    path: str
    sources: dict[str, str] = field(default_factory=dict)
    files: list[ast.File] = field(default_factory=list)
    definitions: dict[str, ast.Definition] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    parsed: list[ast.File] = field(default_factory=list)  # files parsed now, not read from the cache
    _blocks: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def main(self) -> ast.File | None:
        return self.files[0] if self.files else None

    def networks(self, main_only: bool = True) -> list[ast.Definition]:
        """Networks in source order (those of the main file, unless ``main_only`` is false)."""
        files = self.files[:1] if main_only else self.files
        return [d for f in files for d in f.definitions if d.kind == "network"]

    @property
    def blocks(self) -> dict[str, ast.Definition]:
        # kept while the definitions are (each network elaborated asks: 50,000 networks would
        # make this quadratic); definitions are only ever added
        if self._blocks is None or self._blocks[0] != len(self.definitions):
            self._blocks = (len(self.definitions), {n: d for n, d in self.definitions.items() if d.kind == "block"})
        return self._blocks[1]

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("error", message, span, hint))


def load_program(source: str, path: str | None = None, *, store: bool = True,
                 stored: dict[str, str] | None = None) -> Program:
    """Parse ``source`` (the text of ``path``) and everything it imports, then check statically.

    ``store=False`` keeps the main file out of the disk cache (an editor's unsaved text
    changes with every key); its imports are stored as usual. ``stored`` gives the imports'
    texts by path instead of the disk (a checkpoint's copy of the spec and its imports:
    nothing is read)."""
    path = path or "<string>"
    prog = Program(path)
    _load(prog, source, path, set(), stored)
    _check_cycles(prog)
    if not any(d.severity == "error" for d in prog.diagnostics):  # a file that failed is never cached
        from . import astcache

        for f in prog.parsed:
            if store or f is not prog.main:
                astcache.store(f)
    return prog


def _load(prog: Program, text: str, path: str, seen: set, stored: dict[str, str] | None = None) -> None:
    key = os.path.abspath(path) if not path.startswith("<") else path
    if key in seen:
        return
    seen.add(key)
    prog.sources[path] = text
    try:
        f, parsed = parse_file(text, path, remember=False)
    except Located as e:
        prog.diagnostics.extend(e.diagnostics())
        return
    prog.files.append(f)
    if parsed and not path.startswith("<"):
        prog.parsed.append(f)
    for d in f.definitions:
        if d.name in KEYWORDS:
            prog.error(f"`{d.name}` is a keyword and cannot name a {d.kind}", d.name_span)
        declared = Counter(q.name for q in d.params)  # counted once: a list's count per parameter was quadratic
        for p in d.params:
            if p.name in KEYWORDS:
                prog.error(f"`{p.name}` is a keyword and cannot name a parameter", p.span)
            elif declared[p.name] > 1 and d.kind == "block":
                prog.error(f"parameter `{p.name}` is declared twice", p.span)
        if d.name in prog.definitions:
            first = prog.definitions[d.name]
            prog.error(f"`{d.name}` is defined twice (first at {first.name_span})", d.name_span)
            continue
        prog.definitions[d.name] = d
    base = os.path.dirname(path) if not path.startswith("<") else os.getcwd()
    for imp in f.imports:
        target = os.path.normpath(os.path.join(base, imp.path))
        try:
            text = read_source(target) if stored is None else _stored(stored, target)
        except SourceError as e:
            prog.error(f"cannot import `{imp.path}`: {e.reason} ({e.where or target})", imp.span)
            continue
        _load(prog, text, target, seen, stored)


def _stored(stored: dict[str, str], path: str) -> str:
    if path not in stored:
        raise SourceError("not among the files stored with the spec")
    return stored[path]


#: the largest spec file read: a thousand times a large spec, and a bound on memory and time
MAX_SOURCE_BYTES = 2 * 1024 * 1024


class SourceError(Exception):
    """A spec file that cannot be read as text: ``reason`` in words, ``where`` its
    ``path:line:col`` when the reason has a place (a byte that is not UTF-8)."""

    def __init__(self, reason: str, where: Span | None = None):
        super().__init__(reason)
        self.reason, self.where = reason, where


def read_source(path: str) -> str:
    """The text of a spec file (the main one or an import). Only a regular file of at most
    :data:`MAX_SOURCE_BYTES` is read: a device (``/dev/zero``) or a FIFO would be read forever
    or block.

    Raises :class:`SourceError`.
    """
    problem = unreadable(path)
    if problem is not None:
        raise SourceError(problem)
    try:
        info = os.stat(path)
        if info.st_size > MAX_SOURCE_BYTES:
            raise SourceError(f"the file has {info.st_size:,} bytes; a spec has at most {MAX_SOURCE_BYTES:,}")
        with open(path, "rb") as fh:
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except OSError as e:
        raise SourceError(e.strerror[:1].lower() + e.strerror[1:] if e.strerror else str(e)) from None
    if len(data) > MAX_SOURCE_BYTES:  # it grew after stat
        raise SourceError(f"the file has more than {MAX_SOURCE_BYTES:,} bytes; a spec has at most that")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        start = data.rfind(b"\n", 0, e.start) + 1
        col = len(data[start:e.start].decode("utf-8", "replace")) + 1
        raise SourceError(f"not UTF-8 text: byte 0x{data[e.start]:02x} cannot start or continue a character",
                          Span(path, line, col, line, col + 1)) from None


def _calls(body: ast.Body):
    """Every call in a body, nested constructs included."""
    stack = [body]
    while stack:
        b = stack.pop()
        for stmt in b.stmts:
            chain = stmt.chain if isinstance(stmt, (ast.Let, ast.Output)) else stmt
            if not isinstance(chain, ast.Chain):
                continue
            for item in chain.items:
                a = item.atom
                if isinstance(a, ast.Call):
                    yield a
                    stack.extend(a.branches or [])
                elif isinstance(a, (ast.Repeat, ast.Each)):
                    stack.append(a.body)
                elif isinstance(a, ast.Residual):
                    stack.append(a.body)
                    if isinstance(a.shortcut, ast.Body):
                        stack.append(a.shortcut)
                elif isinstance(a, ast.If):  # both branches: a block may not contain itself on either
                    while isinstance(a, ast.If):
                        stack.append(a.then)
                        a = a.orelse
                    if a is not None:
                        stack.append(a)


def _check_cycles(prog: Program) -> None:
    """A block that calls itself, directly or through others, is reported once per cycle."""
    blocks = prog.blocks
    edges = {n: [(c.name, c) for c in _calls(d.body) if c.name in blocks] for n, d in blocks.items()}
    reported: set[frozenset] = set()
    done: set[str] = set()
    # A walk with a stack of its own (a chain of 30,000 blocks is no deeper than one): each
    # entry is a block on the current path and the calls of it still to follow.
    for root in blocks:
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root: 0}
        stack = [iter(edges[root])]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                name = path.pop()
                del on_path[name]
                done.add(name)
                continue
            callee, call = step
            if callee in on_path:
                cycle = path[on_path[callee]:] + [callee]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    what = "calls itself" if len(cycle) == 2 else "is part of a cycle"
                    shown = cycle if len(cycle) <= 9 else [*cycle[:4], f"... ({len(cycle) - 7:,} more)", *cycle[-3:]]
                    prog.error(f"block `{callee}` {what}: {' -> '.join(shown)}", call.name_span,
                               "a block cannot contain itself; use `repeat` for repetition")
            elif callee not in done:
                on_path[callee] = len(path)
                path.append(callee)
                stack.append(iter(edges[callee]))


def suggest(name: str, *pools) -> str | None:
    choices = [c for pool in pools for c in pool]
    return did_you_mean(name, choices)
