"""`nnspec explain`."""

from __future__ import annotations

import click

from ...train.explain import METHODS
from .. import reported, spec_and_weights, weights_option


@click.command("explain")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@weights_option
@click.option("--input", "-i", "input_path", type=click.Path(dir_okay=False),
              help="An image file (not needed for --method filters).")
@click.option("--method", "-m", type=click.Choice(METHODS), default="gradcam", show_default=True)
@click.option("--layer", "-l", metavar="NAME",
              help="A module of the spec (gradcam: default the last with feature maps; features: default the first; "
                   "filters: default the first 2-d convolution).")
@click.option("--class", "cls", metavar="NAME", help="The class to explain (default: the predicted one).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The PNG to write.")
def command(file, weights, input_path, method, layer, cls, output):
    """Pictures of what a checkpoint of FILE's network (or a checkpoint alone) sees in an image.

    \b
    gradcam   where the network looked for the class (Grad-CAM at a layer), over the image
    saliency  the pixels whose change would change the class score most, over the image
    features  the feature maps of a layer, as a grid
    filters   the first convolution's filters, as a grid
    """
    from ...train.errors import DataError
    from ...train.explain import ExplainError, explain

    if method != "filters" and not input_path:
        raise click.UsageError(f"--method {method} needs --input IMAGE")
    with reported(DataError, ExplainError):
        spec, weights = spec_and_weights(file, weights)
        result = explain(spec, weights, input_path, method, output, layer=layer, cls=cls)
    what = f" at {result['layer']}" if result["layer"] else ""
    answer = f"; {result['class']} ({result['probability']:.2f})" if result["class"] is not None else ""
    click.echo(f"wrote {output} ({method}{what}, {result['size'][0]}×{result['size'][1]}){answer}")
