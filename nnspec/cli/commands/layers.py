"""`nnspec layers [KIND]`: the layer catalogue (see :mod:`nnspec.core.catalogue`)."""

from __future__ import annotations

import sys

import click


@click.command("layers")
@click.argument("kind", required=False)
@click.option("--markdown", is_flag=True, help="Print the whole catalogue as Markdown (docs/layers.md).")
def command(kind, markdown):
    """List every layer kind, or describe KIND: its arguments and defaults, its shapes on an
    example, and the PyTorch code it compiles to."""
    from ...core import catalogue

    if markdown:
        click.echo(catalogue.markdown(), nl=False)
    elif kind is None:
        click.echo(catalogue.listing())
    elif kind in catalogue.kinds():
        click.echo(catalogue.text(kind))
    else:
        from ...core.layers import suggest

        click.echo(f"error: unknown layer kind `{kind}`", err=True)
        hint = suggest(kind, catalogue.kinds())
        if hint:
            click.echo(f"hint: {hint}", err=True)
        sys.exit(2)
