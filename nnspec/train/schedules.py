"""Learning-rate schedules: how the rate moves over a run (the ``schedule`` setting).

=========  ========================================================================  =========
schedule   the rate                                                                  stepped
=========  ========================================================================  =========
none       ``lr`` throughout                                                         --
cosine     anneals from ``lr`` to 0 over the run                                     per epoch
step       divided by 10 after each third of the run                                 per epoch
warmup     rises linearly from 0 over the first epoch, then anneals to 0             per step
onecycle   rises to ``lr`` over the first 30 %, then falls far below it              per step
plateau    divided by 10 at the 3rd epoch in a row without a lower validation loss   per epoch
=========  ========================================================================  =========

Every schedule is a torch scheduler whose state the checkpoint keeps, so a resumed run
continues it exactly.
"""

from __future__ import annotations

import math
import warnings

import torch

# Steps once per optimizer step rather than once per epoch.
PER_STEP = ("warmup", "onecycle")
# Epochs without a lower validation loss before `plateau` divides the rate by PLATEAU_FACTOR.
PLATEAU_PATIENCE = 3
PLATEAU_FACTOR = 0.1


def make(optimizer, schedule: str, epochs: int, steps: int):
    """The scheduler of ``schedule`` for a run of ``epochs`` epochs of ``steps`` optimizer
    steps each, or None for ``none``."""
    lr = torch.optim.lr_scheduler
    if schedule == "cosine":
        return lr.CosineAnnealingLR(optimizer, T_max=epochs)
    if schedule == "step":
        return lr.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if schedule == "warmup":
        return lr.LambdaLR(optimizer, _warmup_cosine(steps, epochs * steps))
    if schedule == "onecycle":
        peaks = [group["lr"] for group in optimizer.param_groups]
        return lr.OneCycleLR(optimizer, max_lr=peaks, total_steps=max(2, epochs * steps))
    if schedule == "plateau":
        # torch's patience is the stale epochs it lets pass: the next one lowers the rate
        return lr.ReduceLROnPlateau(optimizer, mode="min", factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE - 1)
    return None


def _warmup_cosine(warm: int, total: int):
    """The factor of ``lr`` at step ``s``: up from 1/warm to 1 over ``warm`` steps, then a
    cosine from 1 down to 0 at step ``total``."""
    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))

    return factor


def respan(optimizer, schedule: str, epochs: int, steps: int, done: int):
    """The schedule of a resumed run whose ``epochs`` changed: a fresh one over the new total,
    stepped through the ``done`` epochs, so that every epoch from here on gets the rate a fresh
    run of that many epochs would (as in Keras and PyTorch, a schedule spans the whole run; a
    restored one would keep the old span: a cosine would reach 0 early, then climb again).
    ``none`` and ``plateau`` span nothing: None (keep the restored state)."""
    if schedule in ("none", "plateau"):
        return None
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"]
        if schedule == "onecycle":  # a fresh one-cycle starts from the peak rate it was given
            group["lr"] = group["max_lr"]
    scheduler = make(optimizer, schedule, epochs, steps)
    with warnings.catch_warnings():
        # stepping without an optimizer step is the point here, not the mistake torch warns of
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step", category=UserWarning)
        for _ in range(done * steps if schedule in PER_STEP else done):
            scheduler.step()
    return scheduler


def end_of_epoch(scheduler, schedule: str, val_loss: float | None, train_loss: float) -> None:
    """Step an epoch's scheduler at the end of an epoch: ``plateau`` on the validation loss
    (the training loss without a validation set)."""
    if scheduler is None or schedule in PER_STEP:
        return
    if schedule == "plateau":
        scheduler.step(val_loss if val_loss is not None else train_loss)
    else:
        scheduler.step()
