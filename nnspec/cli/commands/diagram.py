"""`nnspec diagram`."""

from __future__ import annotations

import os

import click

from ...diagnostics import Diagnostic, SpecError
from .. import fail, load_spec, network_option, parse_sets, reported, set_option


@click.command("diagram")
@click.argument("file", type=click.Path(dir_okay=False))
@network_option
@click.option("-o", "--output", metavar="OUT", help="Where to write: .svg, .png, .pdf or .dot "
              "(default: the spec's name with .svg, next to the spec).")
@click.option("--expand", multiple=True, metavar="all|NAME",
              help="Draw runs of identical blocks instance by instance: `all`, or block names or module "
                   "paths (repeat the option or separate with commas). By default a run of N collapses to one "
                   "node marked ×N.")
@click.option("--direction", type=click.Choice(["TB", "LR"], case_sensitive=False), default="TB",
              show_default=True, help="Top to bottom or left to right.")
@click.option("--no-shapes", is_flag=True, help="Leave the tensor shapes off the edges.")
@click.option("--compact", is_flag=True,
              help="Fold activations and batch norms into the layer before them (for slides).")
@click.option("--depth", type=click.IntRange(min=0),
              help="Draw blocks nested deeper than this as one box each (0: the network's stages).")
@set_option
def command(file, network, output, expand, direction, no_shapes, compact, depth, sets):
    """Draw the architecture of FILE's network with Graphviz.

    Layers are boxes coloured by family, edges carry tensor shapes, block instances are framed
    with their parameter counts, residual shortcuts run dashed at the side, recurrent layers
    loop with their sequence length. Without Graphviz's `dot` program, the .dot file is still
    written and the error says how to install Graphviz.
    """
    from ...backends.diagram import RenderError, render, to_dot
    from ...backends.diagram.render import format_of

    names = [e.strip() for item in expand for e in item.split(",") if e.strip()]
    out = output or os.path.join(os.path.dirname(file), os.path.splitext(os.path.basename(file))[0] + ".svg")
    try:
        fmt = format_of(out)
    except RenderError as e:
        raise click.BadParameter(e.message, param_hint="-o") from None
    with reported():
        graph = load_spec(file, sets).checked_graph(network, **parse_sets(sets))
        text = to_dot(graph, expand=names or None, direction=direction.upper(), shapes=not no_shapes,
                      compact=compact, depth=depth)
    try:
        data = render(text, fmt)
    except RenderError as e:
        dot_path = os.path.splitext(out)[0] + ".dot"
        _write(dot_path, text.encode())
        fail(SpecError([Diagnostic("error", f"cannot render {out}: {e.message}; wrote {dot_path} instead",
                                   hint=e.hint)]))
    _write(out, data)
    click.echo(f"wrote {out}")


def _write(path: str, data: bytes) -> None:
    from ...files import atomic_write

    try:
        atomic_write(path, lambda fh: fh.write(data))
    except OSError as e:
        fail(SpecError([Diagnostic("error", f"cannot write {path}: {e.strerror}")]))
