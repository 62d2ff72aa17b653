"""`nnspec predict`."""

from __future__ import annotations

import json

import click

from ...train.config import DEVICES
from .. import load_spec, reported


@click.command("predict")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--weights", "-w", required=True, type=click.Path(dir_okay=False), help="A checkpoint (best.pt or last.pt).")
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=3, show_default=True, help="Classes shown per input.")
@click.option("--batch-size", "-b", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per line and input: input, class, probability, top.")
def command(file, inputs, weights, top_k, batch_size, device, as_json):
    """The classes a checkpoint of FILE's network gives INPUT..., with their probabilities.

    \b
    INPUT is, for an image network, an image file or a folder of them; for a text network,
    a text ("a fine film") or a file with one text per line; for any network, a .npz file
    with an array per input (one answer per row). Inputs are preprocessed as in training:
    the checkpoint holds the vocabulary and the class names, the spec the image size.
    """
    from ...train.errors import DataError
    from ...train.predict import predict

    with reported(DataError):
        answers = predict(load_spec(file), weights, list(inputs), top_k=top_k, batch_size=batch_size, device=device)
    if as_json:
        for answer in answers:
            click.echo(json.dumps(answer))
        return
    from ...printable import printable

    for answer in answers:  # class names and texts are data: shown with their control characters escaped
        others = ", ".join(f"{printable(t['class'])} {t['probability']:.4f}" for t in answer["top"][1:])
        click.echo(f"{printable(answer['input'], 200)}: {printable(answer['class'])} {answer['probability']:.4f}"
                   + (f"  ({others})" if others else ""))
