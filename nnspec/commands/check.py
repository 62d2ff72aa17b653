"""`nnspec check`."""

from __future__ import annotations

import json
import sys

import click

from ..cli import load_spec, parse_sets, report, set_option
from ..diagnostics import SpecError


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@set_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per network on stdout.")
def command(files, sets, as_json):
    """Parse and shape-check FILES; print a verdict per network."""
    from ..summary import human

    overrides = parse_sets(sets)
    failed = False
    for path in files:
        try:
            spec = load_spec(path)
        except SpecError as e:
            report(e.diagnostics, e.sources)
            failed = True
            continue
        diags = list(spec.program.diagnostics)
        graphs = []
        if not any(d.severity == "error" for d in diags):
            for name in spec.networks:
                g = spec.graph(name, **{k: v for k, v in overrides.items()})
                diags += g.diagnostics
                graphs.append(g)
        from ..spec import _unique

        diags = _unique(diags)
        report(diags, spec.sources)
        errors = [d for d in diags if d.severity == "error"]
        if errors:
            failed = True
            n = len(errors)
            click.echo(f"{path}: {n} error{'s' if n != 1 else ''}", err=True)
            continue
        if not graphs:
            what = "blocks only" if spec.program.definitions else "the file is empty"
            click.echo(f"{path}: no network ({what})" if not as_json else json.dumps({"file": path, "networks": []}))
        for g in graphs:
            outs = ", ".join(str(t) for t in g.output_types())
            if as_json:
                click.echo(json.dumps({"file": path, "network": g.network, "params": g.total_params,
                                       "outputs": [[str(d) if not isinstance(d, int) else d for d in t.shape]
                                                   for t in g.output_types()]}))
            else:
                click.echo(f"{path}: {g.network}: ok, {g.total_params:,} parameters, "
                           f"{human(g.total_macs)} MACs, output {outs}")
    sys.exit(1 if failed else 0)
