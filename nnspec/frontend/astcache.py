"""A disk cache of parsed files, so that checking a file seen before costs no parsing and
never imports Lark (whose import and table loading cost more than the parse itself).

An entry is keyed by the file's path and text and by a stamp of everything the AST depends
on: the grammar and its tables, the modules that build the AST, this module, and Lark's
version; any change to one of them misses. Entries are JSON (:mod:`nnspec.cachedir`): each
node a list of its class name and its fields, each span its four numbers packed in one
integer (a field named ``span`` or ``*_span`` holds one), so an entry is a few times the size
of the AST, not of Python's pickles. Only files whose program loaded
without an error are stored (see :func:`nnspec.frontend.program.load_program`), and only ASTs
that Python's recursion limit lets the encoder walk. An entry also holds a digest of the text
it was parsed from, and answers only for that text: an entry moved or planted under another
key is a miss. The folder is the user's own (:func:`nnspec.cachedir.private`).

>>> from nnspec.frontend.parser import parse
>>> nodes = parse("network N { input x: [4]\\n dense(2) }", "n.nn")
>>> _decode(_encode(nodes), "n.nn") == nodes
True
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os

from .. import cachedir
from ..cachedir import directory
from ..diagnostics import Span
from . import ast

#: entries kept; beyond this the oldest half is removed when a new entry is written
MAX_ENTRIES = 2000
#: the largest entry written (characters of JSON): a file of 500,000 one-word lines would
#: otherwise leave 86 MB, and parsing anew costs less than reading that back
MAX_ENTRY = 8 * 1024 * 1024

_NODES = {c.__name__: c for c in vars(ast).values()
          if isinstance(c, type) and issubclass(c, ast.Node) and c not in (ast.Node, ast.File)}


@functools.lru_cache(maxsize=1)
def _stamp() -> bytes:
    here = os.path.dirname(os.path.abspath(__file__))
    names = (os.path.join("grammar", "nnspec.lark"), os.path.join("grammar", "nnspec.tables.json"), "parser.py",
             "ast.py", "astcache.py", os.path.join("..", "diagnostics.py"), os.path.join("..", "cachedir.py"))
    lark = cachedir.package_file("lark", "__init__.py")  # holds Lark's version
    return cachedir.stamp([os.path.join(here, name) for name in names] + ([lark] if lark else []))


def _entry(text: str, path: str) -> str | None:
    where = directory()
    if where is None:
        return None
    key = hashlib.sha256(_stamp() + path.encode("utf-8", "surrogatepass") + b"\0" +
                         text.encode("utf-8", "surrogatepass")).hexdigest()
    return os.path.join(where, key[:40] + ".json")


def _source(text: str) -> str:
    """The digest of a file's text that its entry holds."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


#: a span's four numbers (line, column, end line, end column) are packed in one integer, each
#: in this many bits (a spec file holds at most 2 MiB: no line or column reaches 2**24)
_BITS = 24
_MASK = (1 << _BITS) - 1
#: of each node class, which fields hold a span (or None)
_SPAN_FIELDS = {c: tuple(f == "span" or f.endswith("_span") for f in c._fields) for c in _NODES.values()}


def _encode(v):
    if isinstance(v, ast.Node):
        return [type(v).__name__, *(_pack(getattr(v, f)) if spans else _encode(getattr(v, f))
                                    for f, spans in zip(v._fields, _SPAN_FIELDS[type(v)]))]
    if isinstance(v, list):
        return ["", *(_encode(x) for x in v)]
    if v is None or type(v) in (str, int, float, bool):
        return v
    raise TypeError(f"no JSON form for {type(v).__name__}")


def _pack(span: Span | None) -> int | None:
    if span is None:
        return None
    numbers = (span.line, span.col, span.end_line, span.end_col)
    if type(span) is not Span or not all(type(n) is int and 0 <= n <= _MASK for n in numbers):
        raise TypeError("no JSON form for this span")
    line, col, end_line, end_col = numbers
    return (((line << _BITS | col) << _BITS | end_line) << _BITS) | end_col


def _decode(v, path: str):
    if type(v) is not list:
        return v
    if v[0] == "":
        # scalars are decoded in place, not by a call each: a large file holds tens of thousands
        return [_decode(x, path) if type(x) is list else x for x in v[1:]]
    cls = _NODES[v[0]]
    spans = _SPAN_FIELDS[cls]
    if len(v) - 1 != len(spans):
        raise ValueError(f"{v[0]} holds {len(spans)} fields")
    items = [(x if x is None else _span(x, path)) if span else _decode(x, path) if type(x) is list else x
             for x, span in zip(v[1:], spans)]
    # every field is given, so Node.__init__'s defaults and keyword checks have nothing to do:
    # filling the fields directly makes the same node at a fraction of the cost
    node = cls.__new__(cls)
    node.__dict__.update(zip(cls._fields, items))
    return node


def _span(packed: int, path: str) -> Span:
    if type(packed) is not int or packed < 0 or packed >> 4 * _BITS:
        raise ValueError("a span is one integer of four numbers")
    return Span.make(path, packed >> 3 * _BITS, packed >> 2 * _BITS & _MASK, packed >> _BITS & _MASK, packed & _MASK)


def load(text: str, path: str) -> ast.File | None:
    """The cached AST of ``text`` read from ``path``, or None."""
    entry = _entry(text, path)
    data = cachedir.read(entry) if entry is not None else None
    try:
        if data["source"] != _source(text):
            return None
        imports, definitions = _decode(data["imports"], path), _decode(data["definitions"], path)
    except Exception:  # noqa: BLE001 -- an entry of another shape, planted or broken: a miss
        return None
    if not (all(isinstance(i, ast.Import) for i in imports) and all(isinstance(d, ast.Definition) for d in definitions)):
        return None
    return ast.File(path, text, imports, definitions)


def store(f: ast.File) -> None:
    """Remember ``f`` (a file without errors)."""
    if len(f.text) > MAX_ENTRY // 10:  # its entry would be over MAX_ENTRY (ten or more characters per
        return                          # character of text): not encoded only to be thrown away
    entry = _entry(f.text, f.path)
    try:
        data = {"source": _source(f.text), "imports": _encode(f.imports),
                "definitions": _encode(f.definitions)} if entry is not None else None
    except (TypeError, RecursionError):  # a value without a JSON form, or nested too deep: not cached
        return
    if data is not None and cachedir.write(entry, data, MAX_ENTRY):
        with contextlib.suppress(OSError):
            _prune(os.path.dirname(entry))


def _prune(where: str) -> None:
    names = [n for n in os.listdir(where) if n.endswith(".json")]
    if len(names) <= MAX_ENTRIES:
        return
    paths = sorted((os.path.join(where, n) for n in names), key=os.path.getmtime)
    for p in paths[: len(paths) // 2]:
        os.unlink(p)
