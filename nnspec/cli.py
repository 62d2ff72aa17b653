"""The ``nnspec`` command line. Exit codes: 0 success, 1 a spec or data error, 2 a usage error.

Each command imports what it needs inside its body, so that ``check``, ``summary``,
``diagram`` and ``fmt`` never import torch.
"""

from __future__ import annotations

import json
import sys

import click

from .diagnostics import Diagnostic, SpecError


def _color(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in __import__("os").environ


def report(diags: list[Diagnostic], sources: dict[str, str]) -> None:
    """Print diagnostics to stderr, coloured on a terminal."""
    color = _color(sys.stderr)
    for d in diags:
        click.echo(d.render(sources, color=color), err=True)


def fail(e: SpecError) -> None:
    report(e.diagnostics, e.sources)
    sys.exit(1)


def parse_sets(values: tuple[str, ...]) -> dict:
    """``--set classes=5`` pairs to network parameter overrides."""
    out = {}
    for item in values:
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        out[name.strip()] = parse_literal(text.strip())
    return out


def parse_literal(text: str):
    if text in ("true", "false"):
        return text == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def load_spec(path: str):
    from .spec import load

    return load(path)


set_option = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override a network parameter.")
network_option = click.option("--network", "-n", metavar="NAME", help="Which network of the file (default: the only one).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nnspec")
def main():
    """nnspec: declare a neural network in a .nn file; check, summarise, draw, compile and train it."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@set_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per network on stdout.")
def check(files, sets, as_json):
    """Parse and shape-check FILES; print a verdict per network."""
    from .summary import human

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
        from .spec import _unique

        diags = _unique(diags)
        report(diags, spec.sources)
        errors = [d for d in diags if d.severity == "error"]
        if errors:
            failed = True
            n = len(errors)
            click.echo(f"{path}: {n} error{'s' if n != 1 else ''}", err=True)
            continue
        if not graphs:
            click.echo(f"{path}: no network (blocks only)" if not as_json else json.dumps({"file": path, "networks": []}))
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


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@network_option
@set_option
@click.option("--depth", type=click.IntRange(min=0), help="Hide rows nested deeper than this.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def summary(file, network, sets, depth, as_json):
    """The layer table: names, output shapes, parameters and MACs, with block roll-ups."""
    try:
        spec = load_spec(file)
        s = spec.summary(network, depth=depth, **parse_sets(sets))
    except SpecError as e:
        fail(e)
    if as_json:
        click.echo(json.dumps(s.to_json(), indent=2))
    elif _color(sys.stdout):
        from rich.console import Console

        console = Console()
        console.print(s.table())
        console.print(s.totals_text())
    else:
        click.echo(s.plain())
