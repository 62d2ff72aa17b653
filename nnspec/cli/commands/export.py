"""`nnspec export`."""

from __future__ import annotations

import click

from ...backends.export import FORMATS
from .. import reported, spec_and_weights, weights_option


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@weights_option
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), required=True,
              help="onnx (needs pip install nnspec[onnx]), torchscript, or exported (a torch.export program, .pt2).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.option("--length", type=click.IntRange(min=1), metavar="N",
              help="For --format exported of a recurrent network, whose sequence length torch.export fixes: "
                   "the length (default: the run's max_len).")
def command(file, weights, fmt, output, length):
    """Write a checkpoint of FILE's network (or a checkpoint alone) as ONNX, TorchScript or a
    torch.export program.

    The batch dimension and the spec's symbolic dimensions (a sequence length T) stay
    dynamic; padded sequences are masked rather than packed, with the same results. The
    written file is loaded back and run against the module before the command succeeds.
    """
    from ...backends.export import ExportError
    from ...train.errors import DataError
    from ...train.exporting import export

    with reported(DataError, ExportError):
        spec, weights = spec_and_weights(file, weights)
        result = export(spec, weights, fmt, output, length)
    checked = (f"max |file - module| {result.difference:.2g} on a fresh batch" if result.difference is not None
               else "not run: onnxruntime is not installed")
    click.echo(f"wrote {result.path} ({result.format}, {result.how}; dynamic: {', '.join(result.dynamic)}); "
               f"checked: {checked}")
