"""`nnspec lsp`: the language server, spoken over stdin and stdout (see :mod:`nnspec.lsp`)."""

from __future__ import annotations

import sys

import click


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Speak over stdin and stdout (the only transport; editors often pass it).")
def command(stdio):
    """Serve editors: diagnostics, inlay shapes, hover, completion, definitions, renames, formatting.

    An editor starts this command and speaks the Language Server Protocol to it over stdin and
    stdout; it needs `pip install nnspec[lsp]` (pygls). See docs/editors.md for VS Code, Neovim
    and Helix.
    """
    try:
        from ...lsp.server import serve
    except ImportError as e:
        click.echo(f"error: the language server needs pygls ({e}); install it with `pip install 'nnspec[lsp]'`",
                   err=True)
        sys.exit(1)
    serve()
