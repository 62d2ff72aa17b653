"""The error a data source or a data check raises: what does not fit, and what to do."""

from __future__ import annotations


class DataError(Exception):
    """A problem with the data, told in the user's terms; the command prints it and exits 1."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostic(self):
        """The error as a :class:`~nnspec.diagnostics.Diagnostic` (no span: it is about data, not the spec)."""
        from ..diagnostics import Diagnostic

        return Diagnostic("error", self.message, hint=self.hint)
