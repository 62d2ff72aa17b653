"""Screening a source's examples before the first step: what no training can make sense of.

:func:`screen` runs on what a source gives, before the split (so that no example is dropped
silently by it, and example numbers are the source's): one row per example in every array,
as many rows as labels, finite numbers, no empty text and no token sequence that is all
padding (it has no length to pack). :func:`screen_classes` is for training only (evaluating
one class is fine): a classifier needs examples of at least two classes. Each says what is
wrong in the user's terms: the source, the input, the counts, the class.
"""

from __future__ import annotations

import numpy as np

from ..printable import printable
from .errors import DataError
from .sources import ImageFiles, InputInfo, Raw
from .text import tokenize


def screen(raw: Raw, infos: list[InputInfo]) -> None:
    """:class:`DataError` unless every input array of ``raw`` (and of its test set) has one row
    per label and only finite numbers.

    >>> screen(Raw("tensors:d.npz", np.zeros(3, np.int64), [np.zeros((2, 4))]), [InputInfo("x", (4,), "float")])
    Traceback (most recent call last):
    nnspec.train.errors.DataError: `tensors:d.npz` has 2 examples of input `x` but 3 labels
    """
    for part in (raw, raw.test):
        if part is None:
            continue
        n = _rows(part.source, "the labels", part.labels)
        _finite(part.source, "the labels", np.asarray(part.labels))  # float labels: a regression's
        for info, x in zip(infos, part.inputs):
            rows = _rows(part.source, f"input `{info.name}`", x)
            if rows != n:
                raise DataError(f"`{part.source}` has {rows} examples of input `{info.name}` but {n} labels",
                                hint="give one label per example")
            if isinstance(x, ImageFiles):
                continue  # decoded to uint8 batch by batch: finite, and no token ids
            _finite(part.source, f"input `{info.name}`", np.asarray(x))
            _sequences(part.source, info, np.asarray(x))
        if part.texts is not None:
            _texts(part.source, part.texts)


def _rows(source: str, what: str, array) -> int:
    if np.ndim(array) == 0:
        raise DataError(f"`{source}` gives a single number for {what}, not one row per example",
                        hint="store an array [N, ...] with the examples along its first axis")
    return len(array)


def _finite(source: str, what: str, x: np.ndarray) -> None:
    if not np.issubdtype(x.dtype, np.floating) and not np.issubdtype(x.dtype, np.complexfloating):
        return
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise DataError(
            f"`{source}`: NaN or infinite values in {what} of {len(rows):,} "
            f"example{'s' if len(rows) > 1 else ''} (the first is example {rows[0]}, counting from 0)",
            hint="replace the missing values, or drop those examples",
        )


def _sequences(source: str, info: InputInfo, ids: np.ndarray) -> None:
    if info.pad is None or ids.ndim != 2 or not len(ids) or not np.issubdtype(ids.dtype, np.integer):
        return
    _empty(source, np.flatnonzero((ids == info.pad).all(axis=1)),
           f"of input `{info.name}` {{are}} all padding (id {info.pad}), an empty sequence")


def _texts(source: str, texts: list[str]) -> None:
    _empty(source, np.array([i for i, t in enumerate(texts) if not tokenize(t)], dtype=np.int64),
           "{are} empty text")


def _empty(source: str, rows: np.ndarray, what: str) -> None:
    if len(rows):
        many = len(rows) > 1
        raise DataError(f"`{source}`: {len(rows):,} example{'s' if many else ''} "
                        + what.format(are="are" if many else "is")
                        + f" (the first is example {rows[0]}, counting from 0)",
                        hint="drop the empty examples, or give them at least one token")


def screen_classes(raw: Raw) -> None:
    """:class:`DataError` when the class labels of ``raw`` (with its test set) are all one class.

    >>> screen_classes(Raw("text:r.csv", np.array([0, 0]), classes=["good"]))
    Traceback (most recent call last):
    nnspec.train.errors.DataError: `text:r.csv` holds examples of one class only (`good`); a classifier needs at least two
    """
    labels = [np.asarray(p.labels) for p in (raw, raw.test) if p is not None]
    if any(y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) for y in labels):
        return  # not class ids
    seen = np.unique(np.concatenate(labels))
    if len(seen) == 1:
        name = raw.classes[seen[0]] if raw.classes and 0 <= seen[0] < len(raw.classes) else str(seen[0])
        raise DataError(f"`{raw.source}` holds examples of one class only (`{printable(name)}`); "
                        "a classifier needs at least two",
                        hint="check the labels (or the class folders) of the data")
