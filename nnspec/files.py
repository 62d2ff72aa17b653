"""Files on disk: atomic writes (a reader, or a run killed mid-write, sees the old file or the
new, never half), and the check every file read for data passes first."""

from __future__ import annotations

import errno
import os
import stat

TEMPORARY_PREFIX = ".tmp-"  # what a write in progress is named; a killed one may leave it behind

_REASONS = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied", errno.EROFS: "read-only file system", errno.ENOENT: "no such folder"}


def unreadable(path: str) -> str | None:
    """Why ``path`` is not a file nnspec reads data from, in words, or None when it is a regular
    file. Every data file (images, masks, texts, tensors, weights, checkpoints, inputs to
    predict) is checked first: a FIFO would block its reader for ever and a device
    (``/dev/zero``) never end, and neither is what the user meant.

    >>> unreadable("/dev/null")
    'not a regular file (a device, a FIFO or a socket)'
    """
    try:
        mode = os.stat(path).st_mode  # follows links, as opening would; never blocks
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        reason = e.strerror or type(e).__name__
        return reason[:1].lower() + reason[1:]
    if stat.S_ISDIR(mode):
        return "is a directory"
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, a FIFO or a socket)"
    return None


def write_failure(path: str, error: OSError, existed: bool) -> str:
    """What a failed :func:`atomic_write` of ``path`` means, in words.

    >>> write_failure("runs/xo/last.pt", OSError(errno.ENOSPC, "No space left on device"), True)
    'disk full while writing runs/xo/last.pt; the previous one is intact'
    """
    reason = _REASONS.get(error.errno) or (error.strerror or str(error) or type(error).__name__)
    reason = reason[0].lower() + reason[1:]
    return f"{reason} while writing {path}; " + ("the previous one is intact" if existed else "it was not created")


def remove_temporaries(directory: str) -> list[str]:
    """Delete the temporary files that writes killed mid-way left in ``directory``; their names."""
    names = sorted(n for n in os.listdir(directory) if n.startswith(TEMPORARY_PREFIX))
    for name in names:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and not os.path.islink(path):
            os.unlink(path)
    return names


def atomic_write(path: str, write, *, mode: int | None = None, durable: bool = True) -> None:
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it over ``path``.

    ``mode`` gives the result's permission bits (default: a new file's under the umask);
    ``durable=False`` skips the flush to disk, for caches that may be lost. On any failure the
    temporary file is removed and ``path`` is as it was.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> atomic_write(os.path.join(d, "a.txt"), lambda fh: fh.write(b"hello"))
    >>> open(os.path.join(d, "a.txt")).read()
    'hello'
    """
    import tempfile  # here, not at the top: caches import this module on hot paths

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TEMPORARY_PREFIX, suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is None:
                umask = os.umask(0)  # read by setting it: there is no other way
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)  # mkstemp makes files private; outputs follow the umask
            write(fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
