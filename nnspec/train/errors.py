"""The error a data source or a data check raises: what does not fit, and what to do."""

from __future__ import annotations

import contextlib
import errno
import os


class DataError(Exception):
    """A problem with the data, told in the user's terms; the command prints it and exits 1."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.quiet = False  # said already, by rank 0 of a data-parallel run: this process only stops

    def diagnostic(self):
        """The error as a :class:`~nnspec.diagnostics.Diagnostic` (no span: it is about data, not the spec)."""
        from ..diagnostics import Diagnostic

        return Diagnostic("error", self.message, hint=self.hint)


def check_path(kind: str, path: str, directory: bool, hint: str | None = None) -> None:
    """:class:`DataError` unless ``path`` (of source ``kind``) is a directory, or with
    ``directory=False`` a regular file (not a folder, a FIFO or a device)."""
    if directory:
        if os.path.isdir(path):
            return
        if not os.path.exists(path):
            raise DataError(f"{kind}:{path}: no such directory", hint=hint)
        raise DataError(f"{kind}:{path}: not a directory", hint=hint)
    check_file(path, f"{kind}:{path}", hint)


def check_file(path: str, name: str | None = None, hint: str | None = None, what: str = "file") -> None:
    """:class:`DataError` unless ``path`` is a regular file to read data from
    (:func:`nnspec.files.unreadable`); ``name`` is how the message names it (default the path),
    ``what`` what a missing one would have been (``no such weights file``)."""
    from ..files import unreadable

    problem = unreadable(path)
    if problem is None:
        return
    if problem == "no such file":
        raise DataError(f"{name or path}: no such {what}", hint=hint)
    raise DataError(f"{name or path}: {'not a file' if problem == 'is a directory' else problem}",
                    hint=hint or "give the path of a regular file")


class WriteError(DataError):
    """A file of a run could not be written (disk full, no permission, ...); what was on disk
    before stays as it was."""


_HINTS = {errno.ENOSPC: "free some disk space", errno.EDQUOT: "free some disk space",
          errno.EROFS: "choose another --out"}


@contextlib.contextmanager
def reported_write(path: str, resumable: bool = False):
    """Turns an ``OSError`` while writing ``path`` into a :class:`WriteError` that says what
    happened and that the previous file is intact (writes are atomic).

    ``resumable``: the run has a checkpoint to continue from, and the hint says so.
    """
    from ..files import write_failure

    existed = os.path.exists(path)
    try:
        yield
    except OSError as e:
        hint = _HINTS.get(e.errno, "check that the folder can be written, or choose another --out")
        raise WriteError(write_failure(path, e, existed),
                         hint=hint + (", then continue the run with --resume" if resumable else "")) from None
