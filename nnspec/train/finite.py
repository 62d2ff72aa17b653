"""A diverged epoch never counts as good: its losses and weights are checked before any write.

An epoch is kept (metrics line, ``best.pt``, ``last.pt``) only when its training loss, its
validation loss and every floating-point tensor of the model's ``state_dict`` are finite;
otherwise the run stops with :class:`NonFiniteLoss` and the files of the last good epoch
stay exactly as they were.
"""

from __future__ import annotations

import math

import torch

from .errors import DataError

HINT = "lower --lr, add gradient clipping (clip = 1.0 in the train section), or use --amp bf16 instead of fp16"


class NonFiniteLoss(DataError):
    """The loss or the weights became NaN or infinite; the run stopped before writing anything
    of that epoch."""


def first_non_finite(model: torch.nn.Module) -> str | None:
    """The name of the first floating-point tensor of ``model``'s state (parameters and
    buffers such as batch-norm statistics) holding a NaN or an infinity, else None.

    >>> first_non_finite(torch.nn.Linear(2, 1)) is None
    True
    """
    tensors = [(k, t) for k, t in model.state_dict().items() if t.is_floating_point()]
    if not tensors:
        return None
    finite = torch.stack([torch.isfinite(t).all() for _, t in tensors]).tolist()  # one device sync
    return next((k for (k, _), ok in zip(tensors, finite) if not ok), None)


def check_epoch(row: dict, model: torch.nn.Module, kept: str) -> None:
    """Raise :class:`NonFiniteLoss` unless epoch ``row``'s losses and ``model``'s weights are
    finite. ``kept`` says what the output folder still holds, e.g. ``" and runs/xo/last.pt
    still holds epoch 2"`` or ``" before any checkpoint"``."""
    epoch = row["epoch"]
    for key, what in (("train_loss", "training loss"), ("val_loss", "validation loss")):
        value = row.get(key)
        if value is not None and not math.isfinite(value):
            raise NonFiniteLoss(f"the {what} became {value} in epoch {epoch}; the run stopped{kept}", hint=HINT)
    name = first_non_finite(model)
    if name is not None:
        raise NonFiniteLoss(f"the weights became NaN or infinite in epoch {epoch} (`{name}` first); "
                            f"the run stopped{kept}", hint=HINT)


def overflow(error: RuntimeError, lr: float) -> NonFiniteLoss | None:
    """The optimizer's update overflowing float32 (a learning rate near 1e38 does) as a
    :class:`NonFiniteLoss`; None for any other error."""
    if "without overflow" not in str(error):
        return None
    return NonFiniteLoss(f"the optimizer's update overflowed float32 with lr {lr:g}; the run stopped "
                         "before writing that epoch", hint="lower --lr")
