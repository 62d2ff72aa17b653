"""A disk cache of parsed files, so that checking a file seen before costs no parsing and
never imports Lark (whose import and table loading cost more than the parse itself).

An entry is keyed by the file's path and text and by a stamp of the grammar and of the
modules that build the AST, so any change to either misses. Where entries live, and how
failures are ignored: :mod:`nnspec.cachedir`. A file with a syntax error is never cached.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os

from . import ast, cachedir
from .cachedir import directory

#: entries kept; beyond this the oldest half is removed when a new entry is written
MAX_ENTRIES = 2000


@functools.lru_cache(maxsize=1)
def _stamp() -> bytes:
    here = os.path.dirname(os.path.abspath(__file__))
    names = (os.path.join("grammar", "nnspec.lark"), "parser.py", "ast.py", "diagnostics.py", "astcache.py")
    return cachedir.stamp(os.path.join(here, name) for name in names)


def _entry(text: str, path: str) -> str | None:
    where = directory()
    if where is None:
        return None
    key = hashlib.sha256(_stamp() + path.encode("utf-8", "surrogatepass") + b"\0" +
                         text.encode("utf-8", "surrogatepass")).hexdigest()
    return os.path.join(where, key[:40] + ".pickle")


def load(text: str, path: str) -> ast.File | None:
    """The cached AST of ``text`` read from ``path``, or None."""
    entry = _entry(text, path)
    f = cachedir.read(entry) if entry is not None else None
    return f if isinstance(f, ast.File) and f.path == path and f.text == text else None


def store(f: ast.File) -> None:
    """Remember ``f`` (a file without syntax errors)."""
    entry = _entry(f.text, f.path)
    if entry is not None and cachedir.write(entry, f):
        with contextlib.suppress(OSError):
            _prune(os.path.dirname(entry))


def _prune(where: str) -> None:
    names = [n for n in os.listdir(where) if n.endswith(".pickle")]
    if len(names) <= MAX_ENTRIES:
        return
    paths = sorted((os.path.join(where, n) for n in names), key=os.path.getmtime)
    for p in paths[: len(paths) // 2]:
        os.unlink(p)
