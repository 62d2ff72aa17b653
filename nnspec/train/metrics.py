"""Per-epoch metrics: appended to ``metrics.jsonl`` and drawn to ``curves.png``."""

from __future__ import annotations

import json

from ..files import atomic_write

FIELDS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds")


def write_jsonl(path: str, history: list[dict]) -> None:
    """The whole history, one JSON object per line; rewritten atomically so that a resumed run
    never keeps the lines of an epoch that its checkpoint does not hold."""
    text = "".join(json.dumps({k: row.get(k) for k in FIELDS}) + "\n" for row in history)
    atomic_write(path, lambda fh: fh.write(text.encode()))


def plot(path: str, history: list[dict], title: str) -> None:
    """Loss and accuracy per epoch, training and validation, side by side (PNG)."""
    # No pyplot: no GUI backend to pick, no global figure state.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    epochs = [row["epoch"] for row in history]
    fig = Figure(figsize=(10, 4), constrained_layout=True)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        for part, style in (("train", "-o"), ("val", "-s")):
            values = [row.get(f"{part}_{key}") for row in history]
            if any(v is not None for v in values):
                ax.plot(epochs, [float("nan") if v is None else v for v in values], style,
                        label="training" if part == "train" else "validation", markersize=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right" if key == "loss" else "lower right")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.set_ylim(0, 1.02)
    fig.suptitle(title)
    atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
