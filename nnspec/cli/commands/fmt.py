"""`nnspec fmt`: rewrite specs in the canonical layout (see :mod:`nnspec.frontend.fmt`)."""

from __future__ import annotations

import os
import sys

import click

from ...diagnostics import Diagnostic, Located, SpecError
from .. import report


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--check", is_flag=True, help="Change nothing; list the files that would change and exit 1 if any.")
@click.option("--diff", is_flag=True, help="Change nothing; print what would change as a unified diff.")
def command(files, check, diff):
    """Format FILES in place (`-`: read stdin, write stdout).

    A file that does not parse is reported and left untouched (exit 1). Files are replaced
    atomically, so an interrupted run never leaves half a file.
    """
    failed = changed = False
    for path in files:
        try:
            text = sys.stdin.read() if path == "-" else _read(path)
        except SpecError as e:
            report(e.diagnostics, e.sources)
            failed = True
            continue
        from ...frontend.fmt import format_source

        try:
            out = format_source(text, "<stdin>" if path == "-" else path)
        except Located as e:
            report(e.diagnostics(), {e.span.path if e.span else path: text})
            failed = True
            continue
        if out == text:
            if path == "-" and not (check or diff):
                click.echo(out, nl=False)
            continue
        changed = True
        if check:
            click.echo(path)
        elif diff:
            import difflib

            click.echo("".join(difflib.unified_diff(text.splitlines(True), out.splitlines(True), path, path)), nl=False)
        elif path == "-":
            click.echo(out, nl=False)
        else:
            try:
                write_atomically(path, out)
            except SpecError as e:
                report(e.diagnostics, e.sources)
                failed = True
                continue
            click.echo(f"formatted {path}", err=True)
    sys.exit(1 if failed or (check and changed) else 0)


def _read(path: str) -> str:
    from ...spec import read_text

    return read_text(path)


def write_atomically(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` through a temporary file beside it and a rename; the
    file keeps its permissions."""
    from ...files import atomic_write

    try:
        atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), mode=os.stat(path).st_mode & 0o7777)
    except OSError as e:
        raise SpecError([Diagnostic("error", f"{path}: cannot write: {e.strerror}")]) from None
