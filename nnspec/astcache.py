"""A disk cache of parsed files, so that checking a file seen before costs no parsing and
never imports Lark (whose import and table loading cost more than the parse itself).

An entry is keyed by the file's path and text and by a stamp of the grammar and of the
modules that build the AST, so any change to either misses. Entries live in
``$NNSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/nnspec/ast``, else ``~/.cache/nnspec/ast``;
``NNSPEC_CACHE_DIR=`` (empty) turns the cache off. The cache is an optimisation only: any
failure to read or write it is ignored, and a file with a syntax error is never cached.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle

from . import ast

#: entries kept; beyond this the oldest half is removed when a new entry is written
MAX_ENTRIES = 2000


@functools.lru_cache(maxsize=1)
def _stamp() -> bytes:
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for name in (os.path.join("grammar", "nnspec.lark"), "parser.py", "ast.py", "diagnostics.py", "astcache.py"):
        with open(os.path.join(here, name), "rb") as fh:
            h.update(fh.read())
    return h.digest()


def directory() -> str | None:
    configured = os.environ.get("NNSPEC_CACHE_DIR")
    if configured is not None:
        return configured or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nnspec", "ast")


def _entry(text: str, path: str) -> str | None:
    where = directory()
    if where is None:
        return None
    key = hashlib.sha256(_stamp() + path.encode("utf-8", "surrogatepass") + b"\0" +
                         text.encode("utf-8", "surrogatepass")).hexdigest()
    return os.path.join(where, key[:40] + ".pickle")


def load(text: str, path: str) -> ast.File | None:
    """The cached AST of ``text`` read from ``path``, or None."""
    try:
        entry = _entry(text, path)
        if entry is None:
            return None
        with open(entry, "rb") as fh:
            f = pickle.load(fh)
    except Exception:  # noqa: BLE001 -- a missing, unreadable, truncated or stale entry is only a miss
        return None
    return f if isinstance(f, ast.File) and f.path == path and f.text == text else None


def store(f: ast.File) -> None:
    """Remember ``f`` (written atomically: temporary file, then rename)."""
    try:
        entry = _entry(f.text, f.path)
        if entry is None:
            return
        where = os.path.dirname(entry)
        os.makedirs(where, exist_ok=True)
        import tempfile  # only when writing: a hit should not pay for it

        fd, tmp = tempfile.mkstemp(dir=where, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(f, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except BaseException:
            os.unlink(tmp)
            raise
        _prune(where)
    except Exception:  # noqa: BLE001 -- a read-only or full disk only means no caching
        return


def _prune(where: str) -> None:
    names = [n for n in os.listdir(where) if n.endswith(".pickle")]
    if len(names) <= MAX_ENTRIES:
        return
    paths = sorted((os.path.join(where, n) for n in names), key=os.path.getmtime)
    for p in paths[: len(paths) // 2]:
        os.unlink(p)
