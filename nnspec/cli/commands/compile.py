"""`nnspec compile`."""

from __future__ import annotations

import sys

import click

from ...files import atomic_write
from .. import load_spec, network_option, parse_sets, reported, set_option


@click.command("compile")
@click.argument("file", type=click.Path(dir_okay=False))
@network_option
@set_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), metavar="PATH",
              help="Write the Python module here (default: print it).")
def command(file, network, sets, output):
    """Compile FILE to one standalone PyTorch module (needs only torch to run)."""
    with reported():
        source = load_spec(file, sets).to_source(network, **parse_sets(sets))
    if output is None:
        click.echo(source, nl=False)
        return
    try:
        atomic_write(output, lambda fh: fh.write(source.encode("utf-8")))
    except OSError as e:
        click.echo(f"error: cannot write {output}: {e.strerror}", err=True)
        sys.exit(1)
    click.echo(f"wrote {output}", err=True)
