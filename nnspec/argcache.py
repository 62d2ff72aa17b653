"""A disk memo of the argument sets pydantic has accepted, so that a check whose layer calls
were all seen before never imports pydantic (its import alone is a third of a whole check).

Validation is a pure function of a schema and the argument values, so pydantic's verdict can
be kept: the memo maps an argument set to the validated values, and lives in one file beside
the AST cache (:mod:`nnspec.cachedir`), named by a stamp of the layer modules (where the
schemas are declared) and of pydantic's version, so that a change to either starts afresh.
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


def _frozen(v):
    t = type(v)
    if t is list or t is tuple:
        return (t.__name__, tuple(_frozen(x) for x in v))
    if t in (int, float, str, bool) or v is None:
        return (t.__name__, v)
    raise TypeError(t)


def key(schema: str, values: dict):
    """A hashable form of ``values`` for ``schema`` (a name) that tells ``1``, ``1.0`` and
    ``true`` apart; None for values no spec can write, which are never remembered."""
    try:
        return (schema, tuple(sorted((k, _frozen(v)) for k, v in values.items())))
    except TypeError:
        return None


@functools.lru_cache(maxsize=1)
def path() -> str | None:
    """The memo's file, or None when caching is off."""
    where = cachedir.directory()
    if where is None:
        return None
    import importlib.util

    layers = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers")
    sources = [os.path.join(layers, n) for n in sorted(os.listdir(layers)) if n.endswith(".py")]
    found = importlib.util.find_spec("pydantic")
    sources += [os.path.join(p, "version.py") for p in (found.submodule_search_locations if found else ())]
    return os.path.join(where, f"args-{cachedir.stamp(sources).hex()[:32]}.memo")


@functools.lru_cache(maxsize=1)
def _memo() -> dict:
    memo = cachedir.read(path()) if path() is not None else None
    return memo if isinstance(memo, dict) else {}


def recall(k) -> tuple | None:
    """The validated values remembered for key ``k``, in field order, or None."""
    return _memo().get(k) if k is not None else None


def remember(k, values: tuple) -> None:
    """Keep pydantic's validated ``values`` for key ``k``; written when the process exits."""
    if k is None:
        return
    if not _unsaved:
        import atexit

        atexit.register(save)
    _memo()[k] = values
    _unsaved[k] = values


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
            if name.startswith("args-") and name.endswith(".memo") and name != mine:
                os.unlink(os.path.join(folder, name))
    except OSError:
        return
