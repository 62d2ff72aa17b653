"""A disk memo of the argument sets pydantic has accepted, so that a check whose layer calls
were all seen before never imports pydantic (its import alone is a third of a whole check).

Validation is a pure function of a schema and the argument values, so pydantic's verdict can
be kept: the memo maps an argument set to the validated values, and lives in one file beside
the AST cache (:mod:`nnspec.cachedir`, JSON), named by a stamp of the layer modules (where
the schemas are declared), of this module and of pydantic's version, so that a change to any
of them starts afresh.
Rejected arguments are never remembered: their errors always come from pydantic.

>>> key("nnspec.layers.dense.DenseArgs", {"units": 10, "bias": True}) == key(
...     "nnspec.layers.dense.DenseArgs", {"bias": True, "units": 10})
True
>>> key("X", {"p": 1}) == key("X", {"p": True}) or key("X", {"p": 1}) == key("X", {"p": 1.0})
False
"""

from __future__ import annotations

import functools
import os

from . import cachedir

#: remembered argument sets kept at most; the memo starts afresh beyond this
MAX_ENTRIES = 20000

_unsaved: dict = {}


def _plain(v) -> bool:
    t = type(v)
    if t is list or t is tuple:
        return all(map(_plain, v))
    if t is float:
        return v == v and v not in (float("inf"), float("-inf"))  # no spec writes these, and JSON cannot hold them
    return t is int or t is str or t is bool or v is None


def key(schema: str, values: dict) -> str | None:
    """The memo's key (text) for ``values`` of ``schema`` (a name), telling ``1``, ``1.0``
    and ``true`` apart; None for values no spec can write, which are never remembered."""
    # repr tells apart every value these types can hold (1, 1.0 and True; a list and a tuple;
    # strings quoted and escaped; floats round-trip), and costs a fraction of json.dumps; a
    # key is only ever compared, never read back. Names are unique, so sorting never compares values.
    if not all(map(_plain, values.values())):
        return None
    return repr([schema, sorted(values.items())])


@functools.lru_cache(maxsize=1)
def path() -> str | None:
    """The memo's file, or None when caching is off."""
    where = cachedir.directory()
    if where is None:
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    layers = os.path.join(here, "layers")
    sources = [os.path.join(layers, n) for n in sorted(os.listdir(layers)) if n.endswith(".py")]
    sources += [os.path.join(here, "argcache.py"), os.path.join(here, "cachedir.py")]
    version = cachedir.package_file("pydantic", "version.py")
    sources += [version] if version else []
    return os.path.join(where, f"args-{cachedir.stamp(sources).hex()[:32]}.json")


@functools.lru_cache(maxsize=1)
def _memo() -> dict:
    memo = cachedir.read(path()) if path() is not None else None
    return memo if isinstance(memo, dict) else {}


def recall(k) -> tuple | None:
    """The validated values remembered for key ``k``, in field order, or None. Lists among
    them are new lists at each call: two layers never share one."""
    values = _memo().get(k) if k is not None else None
    return tuple([_fresh(v) if type(v) is list else v for v in values]) if type(values) is list else None


def _fresh(v):
    return [_fresh(x) for x in v] if type(v) is list else v


def remember(k, values: tuple) -> None:
    """Keep pydantic's validated ``values`` for key ``k``; written when the process exits."""
    if k is None:
        return
    if not _unsaved:
        import atexit

        atexit.register(save)
    kept = [_fresh(list(v)) if type(v) in (list, tuple) else v for v in values]  # a copy: later changes stay out
    _memo()[k] = kept
    _unsaved[k] = kept


def save() -> None:
    """Write the argument sets remembered since the last save, merged with any another
    process wrote meanwhile."""
    where = path()
    if where is None or not _unsaved:
        return
    memo = cachedir.read(where)
    if not isinstance(memo, dict):  # a first memo for these schemas: those of others are stale
        _remove_others(where)
    memo = memo if isinstance(memo, dict) and len(memo) < MAX_ENTRIES else {}
    memo.update(_unsaved)
    if cachedir.write(where, memo):
        _unsaved.clear()


def _remove_others(where: str) -> None:
    folder, mine = os.path.split(where)
    try:
        for name in os.listdir(folder):
            if name.startswith("args-") and name.endswith((".json", ".memo")) and name != mine:
                os.unlink(os.path.join(folder, name))
    except OSError:
        return
