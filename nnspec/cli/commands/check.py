"""`nnspec check`: parse and shape-check specs; a verdict per network.

Exit status 0 when every file is free of errors (warnings allowed), 1 otherwise, 2 on a
usage error. Diagnostics go to stderr and verdicts to stdout; with ``--json``, stdout has
one JSON object per file, diagnostics included, and stderr stays empty.
"""

from __future__ import annotations

import gc
import os
import sys

import click

from ...diagnostics import Diagnostic, SpecError
from .. import load_spec, parse_sets, report, set_option


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@set_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout, diagnostics included.")
def command(files, sets, as_json):
    """Parse and shape-check FILES; print a verdict per network."""
    # The layer schemas are nnspec's own and use no pydantic plugin; looking plugins up
    # scans the metadata of every installed package, a third of a check's time.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    overrides = parse_sets(sets)
    # A check builds its objects (the AST, the graph) and keeps them until the file is done:
    # the cyclic collector would only walk them again and again, a sixth of the time of a
    # 10,000-layer check. It runs once after each file instead, when more files follow.
    collecting = gc.isenabled()
    gc.disable()
    failed = False
    try:
        for k, path in enumerate(files):
            ok = check_file(path, overrides, as_json, sets)
            failed = failed or not ok
            if k + 1 < len(files):
                gc.collect()
    finally:
        if collecting:  # as it was: the command may run inside a longer process (a test)
            gc.enable()
    sys.exit(1 if failed else 0)


def check_file(path: str, overrides: dict, as_json: bool, sets: tuple[str, ...] = ()) -> bool:
    """Check one file, print its diagnostics and verdict; whether it is free of errors."""
    import json

    from ...counts import human

    try:
        spec = load_spec(path, sets)
    except SpecError as e:
        if as_json:
            click.echo(json.dumps({"file": path, "ok": False, "networks": [], "diagnostics": _json(e.diagnostics)}))
        else:
            report(e.diagnostics, e.sources)
        return False
    diags = spec.check(**overrides)
    if not as_json:  # the JSON holds them: a tool reading stdout wants nothing else
        report(diags, spec.sources)
    errors = [d for d in diags if d.severity == "error"]
    # each network's graph as `check` elaborated it (the spec keeps them)
    graphs = [] if errors else [spec.graph(name, **spec.params_of(name, overrides)) for name in spec.networks]
    if as_json:
        click.echo(json.dumps({
            "file": path,
            "ok": not errors,
            "networks": [] if errors else [
                {"network": g.network, "params": g.total_params, "macs": _dim(g.total_macs),
                 "outputs": [[_dim(d) for d in t.shape] for t in g.output_types()]}
                for g in graphs
            ],
            "diagnostics": _json(diags),
        }))
    if as_json:
        return not errors
    if errors:
        n = len(errors)
        click.echo(f"{path}: {n} error{'s' if n != 1 else ''}", err=True)
        return False
    if not graphs:
        what = "blocks only" if spec.program.definitions else "the file is empty"
        click.echo(f"{path}: no network ({what})")
    for g in graphs:
        outs = ", ".join(str(t) for t in g.output_types())
        click.echo(f"{path}: {g.network}: ok, {g.total_params:,} parameters, "
                   f"{human(g.total_macs)} MACs, output {outs}")
    return True


def _dim(d):
    return d if isinstance(d, int) else str(d)


def _json(diags: list[Diagnostic]) -> list[dict]:
    return [
        {"severity": d.severity, "message": d.message, "hint": d.hint,
         "file": d.span.path if d.span else None, "line": d.span.line if d.span else None,
         "col": d.span.col if d.span else None}
        for d in diags
    ]
