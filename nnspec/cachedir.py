"""Where nnspec's disk caches live, and how their entries are read and written.

The cache of parsed files (:mod:`nnspec.frontend.astcache`) keeps ``nnspec check`` light:
they live in ``$NNSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/nnspec/ast``, else
``~/.cache/nnspec/ast``; ``NNSPEC_CACHE_DIR=`` (empty) turns them off. A cache is an
optimisation only: an entry that cannot be read is a miss, one that cannot be written is
skipped, and neither is ever an error. Entries are JSON, data only: a planted or corrupted
entry can at worst be a wrong value of the right shape, never code that runs.

A cache answers for the files it was made from, so it is trusted no more than they are: the
folder must be the user's own and private (made ``0700``; one owned by another user, or that
others may write, turns the cache off), so that only the user can place an entry there.
"""

from __future__ import annotations

import hashlib
import json
import os


def directory() -> str | None:
    """The cache folder, or None when caching is off."""
    configured = os.environ.get("NNSPEC_CACHE_DIR")
    if configured is not None:
        return configured or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nnspec", "ast")


def private(where: str) -> bool:
    """Whether ``where`` is, or has just been made, a folder of this user's that no one else may
    write; only then are entries read from it or written to it."""
    import stat

    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        info = os.lstat(where)  # not a link: it could point anywhere
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def stamp(paths) -> bytes:
    """A digest of the files' contents: entries made by other versions of them must miss."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            h.update(os.path.basename(path).encode() + b"\0" + fh.read())
    return h.digest()


def package_file(package: str, name: str) -> str | None:
    """A file of an installed package, found without importing it (its version lives there)."""
    import importlib.util

    found = importlib.util.find_spec(package)
    for folder in (found.submodule_search_locations or ()) if found else ():
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def read(path: str):
    """The JSON value at ``path``, or None if it is missing, unreadable or not JSON, or its
    folder is not :func:`private`."""
    if not private(os.path.dirname(path)):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except Exception:  # noqa: BLE001 -- any failure is only a miss
        return None


def write(path: str, obj, limit: int | None = None) -> bool:
    """Write ``obj`` as JSON to ``path`` atomically; whether it was written (a read-only or
    full disk only means no caching, and so does JSON longer than ``limit`` characters)."""
    from .files import atomic_write

    try:
        text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
        if limit is not None and len(text) > limit:
            return False
        if not private(os.path.dirname(path)):
            return False
        atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), durable=False)
    except Exception:  # noqa: BLE001
        return False
    return True
