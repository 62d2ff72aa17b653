"""`nnspec predict`."""

from __future__ import annotations

import json

import click

from ...train.config import DEVICES
from .. import reported, spec_and_weights, weights_option


@click.command("predict")
@click.argument("items", nargs=-1, required=True, metavar="[FILE] INPUT...")
@weights_option
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=3, show_default=True, help="Classes shown per input.")
@click.option("--batch-size", "-b", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per line and input: input, class, probability, top.")
def command(items, weights, top_k, batch_size, device, as_json):
    """The classes a checkpoint of FILE's network gives INPUT..., with their probabilities.
    FILE is the spec (a .nn file) with --weights, or the checkpoint itself; with --weights
    and no .nn file, the checkpoint's stored spec is used. FILE may also be an ONNX file
    written by `nnspec export` (run by onnxruntime; its metadata says how to read INPUT).

    \b
    INPUT is, for an image network, an image file or a folder of them; for a text network,
    a text ("a fine film") or a file with one text per line; for any network, a .npz file
    with an array per input (one answer per row). Inputs are preprocessed as in training:
    the checkpoint holds the vocabulary and the class names, the spec the image size.
    """
    from ...train.errors import DataError
    from ...train.predict import predict, predict_onnx

    file, inputs = (items[0], items[1:]) if weights is None or items[0].endswith(".nn") else (None, items)
    if not inputs:
        raise click.UsageError("give at least one INPUT after the " + ("spec" if weights else "checkpoint"))
    with reported(DataError):
        if weights is None and file.endswith(".onnx"):
            answers = predict_onnx(file, list(inputs), top_k=top_k, batch_size=batch_size)
        else:
            spec, weights = spec_and_weights(file, weights)
            answers = predict(spec, weights, list(inputs), top_k=top_k, batch_size=batch_size, device=device)
    if as_json:
        for answer in answers:
            click.echo(json.dumps(answer))
        return
    from ...printable import printable

    for answer in answers:  # class names and texts are data: shown with their control characters escaped
        others = ", ".join(f"{printable(t['class'])} {t['probability']:.4f}" for t in answer["top"][1:])
        click.echo(f"{printable(answer['input'], 200)}: {printable(answer['class'])} {answer['probability']:.4f}"
                   + (f"  ({others})" if others else ""))
