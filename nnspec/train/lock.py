"""One run at a time in an output folder.

Two ``nnspec train`` runs into one folder would each overwrite the other's checkpoints and
metrics, and both would report success. A run therefore holds an exclusive ``flock`` on
``OUT/.nnspec-lock`` from the moment it creates the folder to its end; the operating system
releases it when the process ends, however it ends (a crash or a kill leaves an unlocked file,
which the next run takes). A run that ends removes the file, so a finished run's folder holds
only its results. A second run is refused by name, before it writes anything. Under data parallelism only rank 0 writes, and only rank 0 holds the lock.
"""

from __future__ import annotations

import contextlib
import errno
import os

from .errors import DataError

LOCK_NAME = ".nnspec-lock"


def signature(path: str) -> tuple | None:
    """What identifies the file at ``path`` as it is now (None: there is none), to notice
    another run having written it in the meantime."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class OutLock:
    """The lock of one run's output folder: :meth:`take` it once the folder exists; it is
    released when the ``with`` block ends (or the process does).

    ``seen`` is :func:`signature` of ``OUT/last.pt`` when the run decided what to do with the
    folder (start afresh, overwrite or resume); a different one once the lock is held means
    another run wrote there in between, and this one stops rather than mix with it.
    """

    def __init__(self, seen: tuple | None = None):
        self.seen = seen
        self.fd: int | None = None
        self.path = ""

    def take(self, out: str) -> None:
        """Hold ``out``'s lock, else :class:`DataError` naming the run that holds it."""
        import fcntl

        path = os.path.join(out, LOCK_NAME)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                holder = _holder(fd)
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise DataError(f"{out} is in use by another nnspec train run"
                                    + (f" (process {holder})" if holder else ""),
                                    hint="wait for it to end, or choose another --out") from None
                return  # a file system without locks (some network mounts): run as before
            current = signature(path)
            if current is not None and current[0] == os.fstat(fd).st_ino:
                break
            os.close(fd)  # the run that held it ended and removed the file: lock the new one
        self.fd, self.path = fd, path
        if signature(os.path.join(out, "last.pt")) != self.seen:
            self.__exit__()
            raise DataError(f"another run wrote {os.path.join(out, 'last.pt')} while this one was starting",
                            hint="choose another --out, or --resume that run") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())

    def __enter__(self) -> OutLock:
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            # removed while still held, so that no run can lock the file about to go; one
            # waiting on it notices the file gone and locks a new one
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            os.close(self.fd)  # closing the last descriptor releases the flock
            self.fd = None


def _holder(fd: int) -> str:
    """The process id the holder wrote in the lock file ('' when unreadable)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return text if text.isdigit() else ""
