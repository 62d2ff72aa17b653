"""`nnspec evaluate`."""

from __future__ import annotations

import json
import sys

import click

from ..cli import fail, load_spec, report
from ..diagnostics import SpecError
from ..train.config import DEVICES


@click.command("evaluate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--weights", "-w", required=True, type=click.Path(dir_okay=False), help="A checkpoint (best.pt or last.pt).")
@click.option("--data", "-d", metavar="SOURCE", help="A data source (default: the one the checkpoint trained on).")
@click.option("--batch-size", "-b", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--seed", type=int, help="Seed of generated data (default: the training seed + 1, fresh examples).")
@click.option("--download", is_flag=True, help="Fetch mnist / fashion_mnist files that are missing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def command(file, weights, data, batch_size, device, seed, download, as_json):
    """Loss and accuracy of a checkpoint of FILE's network on a data source.

    A source with a test split of its own (mnist:DIR) is evaluated on it; any other on all
    its examples.
    """
    from ..train.assess import assess
    from ..train.errors import DataError

    try:
        result = assess(load_spec(file), weights, data, batch_size=batch_size, device=device, seed=seed,
                        download=download)
    except SpecError as e:
        fail(e)
    except DataError as e:
        report([e.diagnostic()], {})
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(f"{result['network']} (epoch {result['epoch']}) on {result['data']}: "
                   f"loss {result['loss']:.4f}  accuracy {result['accuracy']:.4f}  ({result['examples']:,} examples)")
