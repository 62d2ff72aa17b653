"""`nnspec summary`."""

from __future__ import annotations

import json
import sys

import click

from .. import _color, load_spec, network_option, parse_sets, report, reported, set_option


@click.command("summary")
@click.argument("file", type=click.Path(dir_okay=False))
@network_option
@set_option
@click.option("--depth", type=click.IntRange(min=0), help="Hide rows nested deeper than this.")
@click.option("--freeze", multiple=True, metavar="PATTERN",
              help="Count the parameters of modules matching this glob as frozen (default: the train section's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def command(file, network, sets, depth, freeze, as_json):
    """The layer table: names, output shapes, parameters and MACs, with block roll-ups; the
    totals count trainable and frozen parameters."""
    with reported():
        s = load_spec(file, sets).summary(network, depth=depth, freeze=list(freeze) or None, **parse_sets(sets))
    from ...freeze import first_unmatched, graph_paths

    missing = first_unmatched(s.freeze, graph_paths(s.graph))
    if missing:
        from ...diagnostics import Diagnostic

        report([Diagnostic("error", f"`freeze` pattern `{missing[0]}` matches no module with parameters",
                           hint=missing[1])], {})
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(s.to_json(), indent=2))
    elif _color(sys.stdout):
        from rich.console import Console

        console = Console()
        console.print(s.table())
        console.print(s.totals_text())
    else:
        click.echo(s.plain())
