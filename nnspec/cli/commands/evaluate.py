"""`nnspec evaluate`."""

from __future__ import annotations

import json

import click

from .. import reported, spec_and_weights, weights_option
from .train import device_choice


@click.command("evaluate")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@weights_option
@click.option("--data", "-d", metavar="SOURCE", help="A data source (default: the one the checkpoint trained on).")
@click.option("--batch-size", "-b", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", default="auto", show_default=True, metavar="auto|cpu|cuda|cuda:N",
              callback=lambda ctx, param, value: device_choice(value))
@click.option("--seed", type=int, help="Seed of generated data (default: the training seed + 1, fresh examples).")
@click.option("--download", is_flag=True, help="Fetch mnist / fashion_mnist files that are missing.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the confusion matrix as a PNG.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: loss, the task's metrics, examples, classes, per_class, f1_macro, "
                   "confusion, ...")
def command(file, weights, data, batch_size, device, seed, download, output, as_json):
    """Loss and metrics of a checkpoint of FILE's network (or of a checkpoint alone) on a data source: those of the
    task it trained for (accuracy; pixel accuracy and mean IoU; mae and rmse ...), and for a
    classifier per-class precision, recall and F1, the macro F1 and the confusion matrix.

    Labels are matched to the checkpoint's class names, so data holding only some of the
    classes is scored right; a class the model was not trained on is an error. A source with
    a test split of its own (mnist:DIR) is evaluated on it; any other on all its examples.
    """
    from ...train.assess import assess
    from ...train.errors import DataError

    with reported(DataError):
        spec, weights = spec_and_weights(file, weights)
        result = assess(spec, weights, data, batch_size=batch_size, device=device, seed=seed,
                        download=download)
    if output and "confusion" not in result:
        raise click.UsageError(f"--output draws a confusion matrix, and {result['task']} has none")
    if output:
        from ...train.errors import reported_write
        from ...train.metrics import plot_confusion

        with reported(DataError), reported_write(output):
            plot_confusion(output, result["confusion"], result["classes"],
                           f"{result['network']} on {result['data']}: accuracy {result['accuracy']:.4f}")
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(render(result))
    if output:
        click.echo(f"confusion matrix: {output}", err=True)


def render(result: dict) -> str:
    """The human report: the totals, then for a classifier a per-class table and the confusion matrix."""
    from ...printable import printable
    from ...train.tasks import metric_label

    classes = [printable(c) for c in result.get("classes", [])]  # data: control characters escaped
    figures = "  ".join(f"{metric_label(k)} {result[k]:.4f}" for k in ("loss", *result["metrics"]))
    if "f1_macro" in result:
        figures += f"  macro F1 {result['f1_macro']:.4f}"
    lines = [f"{result['network']} (epoch {result['epoch']}) on {printable(result['data'], 200)}: "
             f"{figures}  ({result['examples']:,} examples)"]
    if "confusion" not in result:
        return lines[0]
    lines.append("")
    width = max(5, *(len(c) for c in classes))
    show = lambda v: "-" if v is None else f"{v:.4f}"
    lines.append(f"{'class':<{width}}  precision  recall      f1  examples")
    for name, row in zip(classes, result["per_class"]):
        lines.append(f"{name:<{width}}  {show(row['precision']):>9}  {show(row['recall']):>6}  "
                     f"{show(row['f1']):>6}  {row['examples']:>8,}")
    cell = max(len(str(n)) for row in result["confusion"] for n in row)
    cell = max(cell, *(len(c) for c in classes)) if len(classes) <= 12 else cell
    heads = classes if len(classes) <= 12 else [str(i) for i in range(len(classes))]
    lines += ["", "confusion (rows: true class, columns: predicted)",
              f"{'':<{width}}  " + " ".join(f"{h:>{cell}}" for h in heads)]
    for name, row in zip(classes, result["confusion"]):
        lines.append(f"{name:<{width}}  " + " ".join(f"{n:>{cell}}" for n in row))
    return "\n".join(lines)
