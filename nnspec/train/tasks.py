"""Training tasks: which loss and metrics fit a network's output and the data's labels.

``nnspec train`` looks at the output shape (without the batch dimension) and the labels'
shape and type, and picks one task; ``--loss`` (or ``loss =`` in the ``train { }`` section)
overrides the choice.

==================  ===================  ===========================  ===================
output              labels (per example) task                         metrics
==================  ===================  ===========================  ===================
``[C]``             int ``[]`` in 0..C-1 classification, ``ce``       accuracy
``[T, C]``          int ``[T]``          per-position (tagging), ce   accuracy (real positions)
``[C, H, W]``       int ``[H, W]``       segmentation, ``ce``         pixel accuracy, mean IoU
``[C, L]``, ...     int ``[L]``, ...     (the same for any rank)
``[1]``             0/1 ``[]``           binary, ``bce``              accuracy
any                 0/1 of the output's  multi-label, ``bce``         accuracy (per label)
                    shape
any                 float of the         regression, ``mse`` / ``l1`` mae, rmse
                    output's shape
==================  ===================  ===========================  ===================

Positions of a tagging input's padding (``input tokens: [T] int pad=0``) carry no label:
their labels are set to :data:`IGNORE` before training and count in neither loss nor metric.

A task turns labels into a tensor once (:meth:`Task.labels`), gives the loss that is
back-propagated (:meth:`Task.loss`), and per batch a short vector of sums (:meth:`Task.sums`)
that adds up over batches and processes and becomes the epoch's figures (:meth:`Task.finish`).

>>> import numpy as np
>>> choose((10,), np.array([3, 1, 9]), "auto", "tensors:d.npz").name
'classification'
>>> choose((5,), np.zeros((2, 5), np.float32), "auto", "tensors:d.npz").loss_name
'mse'
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..printable import listed
from .errors import DataError

IGNORE = -100  # a label that counts nowhere (PyTorch's default ignore_index)


def _shape(dims) -> str:
    return "[" + ", ".join("N" if d is None else str(d) for d in dims) + "]"


class Task(ABC):
    """One kind of supervised training. ``metrics`` are reported besides the loss; ``primary``
    (a metric, higher is better, or None for the loss, lower is better) decides which epoch is
    best and when early stopping stops."""

    name = ""
    loss_name = ""
    metrics: tuple[str, ...] = ()
    primary: str | None = None
    width = 2  # entries of :meth:`sums`

    def __init__(self, output: tuple[int, ...]):
        self.output = output

    @abstractmethod
    def labels(self, y: np.ndarray, source: str, names: list[str] | None = None):
        """The labels as the tensor the loss reads, or :class:`DataError` when a value is out of
        range (``names``: the source's class names, for the message)."""

    @abstractmethod
    def loss(self, out, y):
        """The mean loss of a batch (what is back-propagated)."""

    @abstractmethod
    def sums(self, out, y, loss):
        """float64 ``[width]``: the batch's loss times its weight, the weight, then metric sums."""

    def finish(self, sums) -> dict:
        """``{"loss": ..., metric: ...}`` from sums added over batches."""
        s = [float(v) for v in sums]
        return {"loss": s[0] / max(s[1], 1.0), **self._metrics(s)}

    def _metrics(self, s: list[float]) -> dict:
        return {}

    def score(self, figures: dict) -> float:
        """Higher is better."""
        return figures[self.primary] if self.primary else -figures["loss"]


class Classify(Task):
    """Cross-entropy over class ids; the class dimension is the output's first, or its last for
    a sequence ``[T, C]``. Ids equal to :data:`IGNORE` are skipped."""

    name = "classification"
    loss_name = "ce"
    metrics = ("accuracy",)
    primary = "accuracy"
    width = 3

    def __init__(self, output, class_dim: int = 0):
        super().__init__(output)
        self.class_dim = class_dim  # 0: [C, ...]; -1: [T, C]
        self.classes = output[class_dim]

    def _logits(self, out):
        """Class dimension second ([B, C, ...]), as cross_entropy reads it."""
        return out.movedim(-1, 1) if self.class_dim == -1 and out.dim() > 2 else out

    def labels(self, y, source, names=None):
        import torch

        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"cross-entropy needs class ids, but `{source}` gives {y.dtype} labels",
                            hint="give integer labels, or choose --loss mse for numbers to predict")
        real = y[y != IGNORE]
        low, high = (int(real.min()), int(real.max())) if real.size else (0, 0)
        if low < 0 or high >= self.classes:
            named = f" ({class_names(names)})" if names else ""
            raise DataError(
                f"`{source}` has labels from {low} to {high}{named}, but the network's output has {self.classes} classes",
                hint=f"the output needs at least {high + 1} classes, e.g. --set classes={high + 1}" if low >= 0 else None)
        return torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))

    def loss(self, out, y):
        import torch.nn.functional as F

        total = F.cross_entropy(self._logits(out), y, ignore_index=IGNORE, reduction="sum")
        return total / (y != IGNORE).sum().clamp(min=1)

    def _hits(self, out, y):
        import torch

        return torch.stack([(self._logits(out).argmax(1) == y).sum(), (y != IGNORE).sum()]).double()

    def sums(self, out, y, loss):
        import torch

        hits, weight = self._hits(out, y)
        return torch.stack([loss.detach().double() * weight, weight, hits])

    def _metrics(self, s):
        return {"accuracy": s[2] / max(s[1], 1.0)}

    def confusion(self, out, y):
        """Counts ``[classes · classes]`` of (true, predicted) pairs, row-major, real positions only."""
        import torch

        real = y != IGNORE
        pairs = y[real] * self.classes + self._logits(out).argmax(1)[real]
        return torch.bincount(pairs, minlength=self.classes**2)


class Tag(Classify):
    """Per-position classification: a ``[T, C]`` output against ``[T]`` labels."""

    name = "tagging"


class Segment(Classify):
    """Per-pixel classification: a ``[C, H, W]`` output against ``[H, W]`` labels; pixel
    accuracy and the mean over classes (those present in labels or predictions) of
    intersection over union."""

    name = "segmentation"
    metrics = ("pixel_accuracy", "mean_iou")
    primary = "mean_iou"

    def __init__(self, output):
        super().__init__(output, 0)
        self.width = 3 + 2 * self.classes

    def sums(self, out, y, loss):
        import torch

        pred = out.argmax(1)
        real = y != IGNORE
        classes = torch.arange(self.classes, device=y.device).view(-1, 1)
        p, t = pred[real].view(1, -1) == classes, y[real].view(1, -1) == classes  # [C, pixels]
        inter, union = (p & t).sum(1).double(), (p | t).sum(1).double()
        return torch.cat([super().sums(out, y, loss), inter, union])

    def _metrics(self, s):
        c = self.classes
        inter, union = s[3:3 + c], s[3 + c:]
        ious = [i / u for i, u in zip(inter, union) if u > 0]
        return {"pixel_accuracy": s[2] / max(s[1], 1.0), "mean_iou": sum(ious) / len(ious) if ious else 0.0}


class MultiLabel(Task):
    """Binary cross-entropy on logits, one independent 0/1 label per output value (a single
    ``[1]`` output: binary classification). ``accuracy`` is the share of labels right."""

    name = "multi-label"
    loss_name = "bce"
    metrics = ("accuracy",)
    primary = "accuracy"
    width = 4

    def labels(self, y, source, names=None):
        import torch

        if y.size and (y.min() < 0 or y.max() > 1):
            raise DataError(f"binary cross-entropy needs labels between 0 and 1, but `{source}` holds "
                            f"values from {y.min()} to {y.max()}",
                            hint="give 0/1 labels, or choose --loss mse for numbers to predict")
        return torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32).reshape((len(y), *self.output)))

    def loss(self, out, y):
        import torch.nn.functional as F

        return F.binary_cross_entropy_with_logits(out, y)

    def sums(self, out, y, loss):
        import torch

        n = torch.tensor(float(len(y)), dtype=torch.float64, device=y.device)
        hits = ((out > 0) == (y > 0.5)).sum().double()
        return torch.stack([loss.detach().double() * n, n, hits, n * y[0].numel()])

    def _metrics(self, s):
        return {"accuracy": s[2] / max(s[3], 1.0)}


class Regress(Task):
    """Mean squared (``mse``) or absolute (``l1``) error against float targets of the output's
    shape; ``mae`` and ``rmse`` are reported whichever is the loss."""

    name = "regression"
    metrics = ("mae", "rmse")
    width = 5

    def __init__(self, output, loss_name: str = "mse"):
        super().__init__(output)
        self.loss_name = loss_name

    def labels(self, y, source, names=None):
        import torch

        if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
            raise DataError(f"regression needs numbers, but `{source}` gives {y.dtype} labels")
        if y.size and not np.isfinite(y.astype(np.float64)).all():
            raise DataError(f"`{source}` holds labels that are not finite numbers (NaN or infinity)")
        return torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32).reshape((len(y), *self.output)))

    def loss(self, out, y):
        import torch.nn.functional as F

        return (F.mse_loss if self.loss_name == "mse" else F.l1_loss)(out, y)

    def sums(self, out, y, loss):
        import torch

        n = torch.tensor(float(len(y)), dtype=torch.float64, device=y.device)
        err = (out.detach().double() - y.double())
        return torch.stack([loss.detach().double() * n, n, err.abs().sum(), err.square().sum(),
                            n * y[0].numel()])

    def _metrics(self, s):
        return {"mae": s[2] / max(s[4], 1.0), "rmse": (s[3] / max(s[4], 1.0)) ** 0.5}


def metric_label(key: str) -> str:
    """How a person reads a figure's key: ``mean_iou`` -> ``mean IoU``."""
    return key.replace("_", " ").replace("iou", "IoU")


def class_names(names: list[str]) -> str:
    """``2 classes: X, O`` (the first six names)."""
    return f"{len(names):,} classes: {listed(names, 6)}"


def _is_int(y: np.ndarray) -> bool:
    return np.issubdtype(y.dtype, np.integer) or y.dtype == bool


def _fits(dims, got) -> bool:
    """``dims`` (None: any size) against a label shape."""
    return len(dims) == len(got) and all(d is None or d == g for d, g in zip(dims, got))


def _class_dim(output, got) -> int | None:
    """Where the class dimension of ``output`` is, for class-id labels of shape ``got``."""
    if len(output) == 2 and _fits(output[:-1], got):
        return -1  # [T, C]: a sequence, as `dense` leaves it
    if len(output) >= 1 and _fits(output[1:], got):
        return 0  # [C], [C, L], [C, H, W]
    return None


def choose(output: tuple, labels: np.ndarray, loss: str, source: str, declared: tuple | None = None) -> Task:
    """The task for an output shape (ints; None where a symbol's size is unknown) and labels
    ``[N, ...]``, or :class:`DataError` saying which labels would fit (``declared``: the
    output as the spec writes it, for the message)."""
    got = tuple(labels.shape[1:])
    whole = tuple(output)
    if any(d is None for d in whole) and loss in ("bce", "mse", "l1"):
        whole = tuple(g if d is None else d for d, g in zip(whole, got)) if len(got) == len(whole) else whole
    if loss in ("auto", "ce") and _is_int(labels) and labels.dtype != bool:
        dim = _class_dim(output, got)
        if dim is not None and isinstance(output[dim], int) and not (output[dim] == 1 and loss == "auto"):
            if output[dim] < 2:
                raise DataError(f"cross-entropy needs at least 2 classes, but the output is {_shape(output)}",
                                hint="for a yes/no label use --loss bce with an output [1]")
            if len(output) == 1:
                return Classify(whole)
            return Tag(whole, -1) if dim == -1 else Segment(whole)
    scalar = whole == (1,) and got == ()  # one number per example for an output [1]
    same = _fits(whole, got) and all(d is not None for d in whole)
    if loss == "bce" or (loss == "auto" and _is_int(labels)):
        if same or scalar:
            return MultiLabel(whole)
    if loss in ("mse", "l1") or (loss == "auto" and not _is_int(labels)):
        if same or scalar:
            return Regress(whole, "l1" if loss == "l1" else "mse")
    raise DataError(
        f"`{source}` gives {'integer' if _is_int(labels) else labels.dtype} labels of shape "
        f"{_shape((None, *got))}, which fit no {'task' if loss == 'auto' else f'--loss {loss}'} "
        f"for the output {_shape(declared or output)}",
        hint=expected(declared or output),
    )


def class_rows(output: tuple, labels: np.ndarray, loss: str) -> tuple[np.ndarray, str] | None:
    """For a classifier's output ``[C]`` (``--loss`` auto or ce), label rows ``[N, C]`` that
    are one-hot (Keras's ``to_categorical``: 0/1 integers, booleans or floats, one 1 a row)
    or probabilities (floats from 0 to 1 summing to 1 a row): their class ids, the argmax of
    each row, and ``"one-hot"`` or ``"probability"``; None for any other labels. Without
    it, float rows would train a regression and 0/1 rows a multi-label task, whose accuracy
    an all-zero answer nearly reaches.

    >>> class_rows((3,), np.array([[0, 1, 0], [1, 0, 0]]), "auto")
    (array([1, 0]), 'one-hot')
    >>> class_rows((3,), np.array([[1, 1, 0], [1, 0, 0]]), "auto") is None  # two labels: multi-label
    True
    """
    if loss not in ("auto", "ce") or len(output) != 1 or not isinstance(output[0], int) or output[0] < 2:
        return None
    if labels.ndim != 2 or labels.shape[1] != output[0] or not len(labels):
        return None
    rows = labels.astype(np.float64)
    if not _is_int(labels) and not np.issubdtype(labels.dtype, np.floating):
        return None
    if ((rows == 0) | (rows == 1)).all() and (rows.sum(axis=1) == 1).all():
        return labels.argmax(axis=1), "one-hot"
    if _is_int(labels) or rows.min() < 0 or rows.max() > 1 or not np.allclose(rows.sum(axis=1), 1, atol=1e-3):
        return None
    return labels.argmax(axis=1), "probability"


def expected(output: tuple) -> str:
    """What labels would fit ``output``, in the user's terms."""
    n = _shape
    ways = []
    if len(output) == 1:
        ways.append(f"class ids {n((None,))} (cross-entropy)")
    elif len(output) == 2:
        ways.append(f"class ids {n((None, output[0]))} per position (cross-entropy over the last dimension)")
    else:
        ways.append(f"class ids {n((None, *output[1:]))} per position (cross-entropy over the first dimension)")
    ways.append(f"0/1 labels {n((None, *output))} (--loss bce)")
    ways.append(f"numbers {n((None, *output))} (--loss mse or l1)")
    return "labels for an output " + n(output) + " are " + ", ".join(ways[:-1]) + " or " + ways[-1]
