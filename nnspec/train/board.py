"""TensorBoard logging (``--tensorboard``), beside ``metrics.jsonl``: each epoch's figures as
scalars in ``OUT/tensorboard/``, for ``tensorboard --logdir OUT``. It needs the optional
``tensorboard`` package (``pip install nnspec[tensorboard]``).
"""

from __future__ import annotations

import importlib.util

from .errors import DataError

FOLDER = "tensorboard"


def require() -> None:
    """:class:`DataError` when the tensorboard package is missing (checked before a run writes anything)."""
    if importlib.util.find_spec("tensorboard") is None:
        raise DataError("--tensorboard needs the tensorboard package, which is not installed",
                        hint="pip install tensorboard (or nnspec[tensorboard]); metrics.jsonl has the same figures")


def writer(folder: str):
    """A writer of event files in ``folder``."""
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(folder)


def add(writer, row: dict) -> None:
    """An epoch's row (``train_loss``, ``val_accuracy``, ``lr``, ...) as scalars at its epoch:
    ``loss/train`` beside ``loss/val``, so that TensorBoard draws the two in one chart."""
    for key, value in row.items():
        if key == "epoch" or value is None:
            continue
        part, _, name = key.partition("_")
        tag = f"{name}/{part}" if part in ("train", "val") else key
        writer.add_scalar(tag, value, row["epoch"])
    writer.flush()
