"""Per-epoch metrics: appended to ``metrics.jsonl`` and drawn to ``curves.png``."""

from __future__ import annotations

import json
import math

from ..files import atomic_write
from .tasks import metric_label


def fields(task) -> tuple[str, ...]:
    """A line's keys: ``epoch``, ``train_loss``, ``train_<metric>``..., the same for ``val``, ``lr``, ``seconds``."""
    figures = ("loss", *task.metrics)
    return ("epoch", *(f"{part}_{k}" for part in ("train", "val") for k in figures), "lr", "seconds")


def _standard(value):
    """JSON has no NaN or infinity: such a value is written as null. (An epoch with a
    non-finite loss never gets here, see :mod:`nnspec.train.finite`.)"""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def write_jsonl(path: str, history: list[dict], task) -> None:
    """The whole history, one JSON object per line; rewritten atomically so that a resumed run
    never keeps the lines of an epoch that its checkpoint does not hold. Every line is standard
    JSON (``allow_nan=False``): a value that is not a finite number is written as null."""
    keys = fields(task)
    text = "".join(json.dumps({k: _standard(row.get(k)) for k in keys}, allow_nan=False) + "\n" for row in history)
    atomic_write(path, lambda fh: fh.write(text.encode()))


def plot(path: str, history: list[dict], title: str, task) -> None:
    """The loss and each of the task's metrics per epoch, training and validation, side by side (PNG)."""
    # No pyplot: no GUI backend to pick, no global figure state.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    epochs = [row["epoch"] for row in history]
    keys = ("loss", *task.metrics)
    fig = Figure(figsize=(5 * len(keys), 4), constrained_layout=True)
    for ax, key in zip(fig.subplots(1, len(keys), squeeze=False)[0], keys):
        for part, style in (("train", "-o"), ("val", "-s")):
            values = [row.get(f"{part}_{key}") for row in history]
            if any(v is not None for v in values):
                ax.plot(epochs, [float("nan") if v is None else v for v in values], style,
                        label="training" if part == "train" else "validation", markersize=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric_label(key))
        ax.grid(alpha=0.3)
        bounded = key != "loss" and task.primary is not None  # accuracies and IoU: 0 to 1
        ax.legend(loc="lower right" if bounded else "upper right")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if bounded:
            ax.set_ylim(0, 1.02)
    fig.suptitle(title)
    atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=110))


def per_class(confusion: list[list[int]], classes: list[str]) -> list[dict]:
    """Precision, recall, F1 and example count of each class from a confusion matrix (rows:
    true labels, columns: predictions). A class never predicted has precision None; one absent
    from the data, recall None; F1 (their harmonic mean) is None when both are, and 0 when
    either is None or both are 0.

    >>> per_class([[3, 1], [0, 0]], ["a", "b"])
    [{'class': 'a', 'precision': 1.0, 'recall': 0.75, 'f1': 0.8571428571428571, 'examples': 4}, {'class': 'b', 'precision': 0.0, 'recall': None, 'f1': 0.0, 'examples': 0}]
    """
    rows = []
    for i, name in enumerate(classes):
        predicted = sum(row[i] for row in confusion)
        actual = sum(confusion[i])
        precision = confusion[i][i] / predicted if predicted else None
        recall = confusion[i][i] / actual if actual else None
        f1 = None if precision is None and recall is None else \
            2 * precision * recall / (precision + recall) if precision and recall else 0.0
        rows.append({"class": name, "precision": precision, "recall": recall, "f1": f1, "examples": actual})
    return rows


def macro_f1(rows: list[dict]) -> float:
    """The mean F1 of the classes that are in the labels or the predictions (those with an F1),
    as scikit-learn's ``f1_score(average="macro")`` counts them.

    >>> macro_f1(per_class([[3, 1, 0], [0, 2, 0], [0, 0, 0]], ["a", "b", "c"]))
    0.8285714285714285
    """
    scores = [r["f1"] for r in rows if r["f1"] is not None]
    return sum(scores) / len(scores) if scores else 0.0


def plot_confusion(path: str, confusion: list[list[int]], classes: list[str], title: str) -> None:
    """The confusion matrix as a PNG: counts in the cells, shaded by each true class's share."""
    import numpy as np
    from matplotlib.figure import Figure

    counts = np.array(confusion, dtype=np.int64)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = min(max(4.0, 0.5 * len(classes) + 2), 24.0)
    fig = Figure(figsize=(side + 1, side), constrained_layout=True)
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="share of the true class")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(classes) <= 30:
        for (i, j), n in np.ndenumerate(counts):
            ax.text(j, i, str(n), ha="center", va="center", color="white" if share[i, j] > 0.5 else "black",
                    fontsize=8 if len(classes) > 10 else 10)
    ax.set_title(title)
    atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
