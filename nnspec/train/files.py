"""Atomic writes: a reader (or a run killed mid-write) sees the old file or the new, never half."""

from __future__ import annotations

import os
import tempfile

# Read once: os.umask can only be read by setting it.
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str, write) -> None:
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes files private; outputs follow the umask
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
