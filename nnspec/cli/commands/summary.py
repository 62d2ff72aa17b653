"""`nnspec summary`."""

from __future__ import annotations

import json
import sys

import click

from ...backends.memory import OPTIMIZER_STATE
from ...backends.summary import Summary
from .. import _color, load_spec, network_option, parse_sets, report, reported, set_option


@click.command("summary")
@click.argument("file", type=click.Path(dir_okay=False))
@network_option
@set_option
@click.option("--depth", type=click.IntRange(min=0), help="Hide rows nested deeper than this.")
@click.option("--freeze", multiple=True, metavar="PATTERN",
              help="Count the parameters of modules matching this glob as frozen (default: the train section's).")
@click.option("--batch-size", type=click.IntRange(min=1), metavar="B",
              help="Also the memory of a training step on batches of B: parameters, gradients, optimizer state "
                   "and what each layer keeps for the backward pass.")
@click.option("--optimizer", type=click.Choice(OPTIMIZER_STATE), help="For --batch-size (default: the train section's, else adam).")
@click.option("--amp", is_flag=True, help="For --batch-size: 16-bit autocast (mixed precision).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def command(file, network, sets, depth, freeze, batch_size, optimizer, amp, as_json):
    """The layer table: names, output shapes, parameters and MACs, with block roll-ups; the
    totals count trainable and frozen parameters. With --batch-size, the memory training
    needs, computed from the spec alone (docs/summary.md)."""
    if (optimizer or amp) and batch_size is None:
        raise click.UsageError("--optimizer and --amp describe a training step: give --batch-size too")
    with reported():
        s = load_spec(file, sets).summary(network, depth=depth, freeze=list(freeze) or None, **parse_sets(sets))
    if batch_size is not None:
        s = Summary(s.graph, depth=depth, freeze=s.freeze, batch=batch_size, optimizer=optimizer, amp=amp)
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
