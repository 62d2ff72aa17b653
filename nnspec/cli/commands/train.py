"""`nnspec train`."""

from __future__ import annotations

import os
import sys
from dataclasses import fields

import click

from ...train.config import AMPS, AUGMENTS, DEFAULT_AUGMENT, LOSSES, OPTIMIZERS, SCHEDULES, Settings, is_gpu_index
from .. import load_spec, network_option, parse_sets, reported, set_option

HELP = """Train FILE's network on a data source: progress, validation, checkpoints, metrics.

\b
Data sources (options after ?, joined by &):
  xo[?n=1200&noise=0.15]     generated X-vs-O images [1, 9, 9]
  sentiment_toy[?n=2000]     generated labelled reviews
  mnist:DIR, fashion_mnist:DIR
                             IDX files, gzipped or not (t10k-* validates)
  text:FILE[?text=COL&label=COL]
                             CSV, or TSV for .tsv; vocabulary from the training split
  tensors:FILE               .npz or .pt: an array per input (or x) and labels y
  images:DIR                 DIR/CLASS/*.png..., resized to the input; or
                             DIR/train/CLASS/ and DIR/val/CLASS/ (val validates);
                             DIR/images/ + DIR/masks/ for segmentation
--val-data SOURCE validates on another source instead (classes matched by name).

\b
The task follows the output and the labels (--loss overrides it):
  [C] and class ids               classification (ce): accuracy
  [T, C] and ids [T]              tagging (ce; padding ignored): accuracy
  [C, H, W] and ids [H, W]        segmentation (ce): pixel accuracy, mean IoU
  0/1 labels of the output shape  multi-label (bce): accuracy per label
  numbers of the output shape     regression (mse or l1): mae, rmse

Settings: a flag wins over the network's `train { key = value }` section, which wins
over the defaults. Section keys: {keys}.
A resumed run keeps its settings; only --epochs, --device, --compile and --patience
may change (any other setting given is ignored, with a warning naming it); a --schedule
then spans the new --epochs from the epoch it resumes at, as a fresh run of that many would.

OUT (default runs/SPEC) receives best.pt, last.pt, metrics.jsonl and curves.png
(and tensorboard/ with --tensorboard).

\b
Data-parallel on N GPUs (DDP), one process each; on several machines, the same on each
with its --node-rank (0 on the machine at ADDR):
  torchrun --nproc-per-node N -m nnspec train FILE ...
  torchrun --nnodes M --node-rank R --master-addr ADDR --master-port 29500 \\
           --nproc-per-node N -m nnspec train FILE ...
""".replace("{keys}", ", ".join(f.name for f in fields(Settings)))


def device_choice(value: str | None) -> str | None:
    """``--device``: auto, cpu, cuda or cuda:N."""
    if value is None or value in ("auto", "cpu", "cuda") or is_gpu_index(value):
        return value
    raise click.BadParameter(f"expected auto, cpu, cuda or cuda:N, got {value!r}")


def augment_choice(ctx, param, value: str | None) -> str | None:
    """``--augment``: none, or kinds of :data:`AUGMENTS` comma-joined. The flag alone takes no
    value, so a FILE written after it would be read as its value: say so."""
    if value is None or value == "none" or all(kind in AUGMENTS for kind in value.split(",")):
        return value
    misread = " (a path? write FILE before --augment, or --augment=crop,flip)" if "/" in value or "." in value else ""
    raise click.BadParameter(f"expected none or some of {', '.join(AUGMENTS)} comma-joined, got {value!r}{misread}")


@click.command("train", help=HELP)
@click.argument("file", type=click.Path(dir_okay=False))
@network_option
@set_option
@click.option("--data", "-d", metavar="SOURCE",
              help="xo, sentiment_toy, mnist:DIR, fashion_mnist:DIR, text:FILE[?text=COL&label=COL], "
                   "tensors:FILE.npz|.pt, images:DIR (default: xo or sentiment_toy when the spec fits).")
@click.option("--epochs", "-e", type=click.IntRange(min=1), help="Epochs to train (default 10).")
@click.option("--batch-size", "-b", type=click.IntRange(min=1), help="Examples per step and process (default 64).")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), help="Learning rate (default 1e-3).")
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), help="Default adam.")
@click.option("--weight-decay", type=click.FloatRange(min=0), help="Default 0.")
@click.option("--schedule", type=click.Choice(SCHEDULES),
              help="Learning-rate schedule (default none): cosine and step per epoch; warmup (a linear first "
                   "epoch, then cosine) and onecycle per step; plateau: /10 after 3 epochs without a lower "
                   "validation loss.")
@click.option("--clip", type=click.FloatRange(min=0), help="Clip the gradient norm to this (default 0: off).")
@click.option("--val-split", type=click.FloatRange(0, 1, max_open=True),
              help="Share held out for validation when the source has no test set (default 0.1).")
@click.option("--val-data", metavar="SOURCE",
              help="A separate validation set (any source; its classes are matched to the training data's by name).")
@click.option("--normalize", metavar="none|imagenet|MEAN,STD",
              help="Normalise image inputs per batch after scaling pixels to [0, 1] (default none; "
                   "imagenet for torchvision's pretrained weights).")
@click.option("--augment", is_flag=False, flag_value=DEFAULT_AUGMENT, default=None, metavar="[KIND,...]",
              callback=augment_choice,
              help=f"Random changes of the training images, on the device: some of {', '.join(AUGMENTS)} "
                   f"(comma-joined), or none; the flag alone is {DEFAULT_AUGMENT}. ")
@click.option("--no-augment", "no_augment", is_flag=True, hidden=True)  # --augment none, as it was spelt
@click.option("--max-len", type=click.IntRange(min=1), help="Longest token sequence kept for text (default 200).")
@click.option("--device", callback=lambda ctx, param, value: device_choice(value), metavar="auto|cpu|cuda|cuda:N",
              help="Default auto: the GPU when there is one.")
@click.option("--amp", type=click.Choice(AMPS), help="Mixed precision (default none).")
@click.option("--compile/--no-compile", "compile_", default=None, help="torch.compile the model.")
@click.option("--loss", type=click.Choice(LOSSES), help="Default auto: chosen from the output and the labels.")
@click.option("--patience", type=click.IntRange(min=0),
              help="Stop after this many epochs without a better validation score (default 0: never).")
@click.option("--resize/--no-resize", default=None,
              help="Resize mnist / fashion_mnist images to the spec's image input (e.g. [1, 32, 32]).")
@click.option("--seed", type=int, help="Seeds data splits, initialisation and shuffling (default 0).")
@click.option("--tensorboard/--no-tensorboard", default=None,
              help="Also log each epoch for TensorBoard in OUT/tensorboard (needs the tensorboard package).")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Output folder (default runs/SPEC).")
@click.option("--init", "init", metavar="WEIGHTS",
              help="Start from these weights: an nnspec checkpoint, a state_dict (.pt, .pth) or .safetensors; "
                   "matched by name, then by order and shape; tensors of another shape (a new head) stay new.")
@click.option("--freeze", "freeze", multiple=True, metavar="PATTERN",
              help="Keep the parameters of modules matching this glob fixed (repeatable: --freeze 'layer*' "
                   "--freeze conv1); their batch norms stay in inference mode.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last.pt.")
@click.option("--overwrite", is_flag=True, help="Replace a run already in --out.")
@click.option("--download", is_flag=True, help="Fetch mnist / fashion_mnist files that are missing.")
@click.option("--plain", is_flag=True, help="One line per epoch, no live progress bar.")
def command(file, network, sets, data, epochs, batch_size, lr, optimizer, weight_decay, schedule, clip, val_split,
            val_data, normalize, augment, max_len, device, amp, compile_, loss, patience, resize, seed, tensorboard, init,
            freeze, out, resume, overwrite, download, plain, no_augment):
    from ...train.config import Overrides, TrainSettings
    from ...train.errors import DataError
    from ...train.loop import train

    given = Overrides(
        data=data, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, weight_decay=weight_decay,
        schedule=schedule, clip=clip, val_split=val_split, val_data=val_data, normalize=normalize,
        augment="none" if no_augment else augment,
        max_len=max_len, device=device, amp=amp, compile=compile_, seed=seed, init=init, freeze=list(freeze) or None,
        loss=loss, patience=patience, resize=resize, tensorboard=tensorboard)
    out = out or os.path.join("runs", os.path.splitext(os.path.basename(file))[0])
    request = TrainSettings(out, network, parse_sets(sets), given, resume=resume, overwrite=overwrite,
                            download=download, live=False if plain else None)
    try:
        with reported(DataError):
            train(load_spec(file, sets), request)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted; continue with: nnspec train {file} --out {out} --resume", err=True)
        sys.exit(130)
