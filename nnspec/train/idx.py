"""MNIST-style data sets in the IDX format (plain or gzipped), with an optional download.

An IDX file is two zero bytes, a type byte (``0x08``: unsigned bytes), the number of
dimensions, one big-endian 32-bit size per dimension, then the data in C order.
"""

from __future__ import annotations

import gzip
import os
import urllib.request
import zlib

import numpy as np

from ..files import atomic_write
from .errors import DataError, check_file, check_path

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion_mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ],
}

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str, ndim: int) -> np.ndarray:
    """The array stored in an IDX file; :class:`DataError` when the file is not what it claims.

    >>> read_idx("train-labels-idx1-ubyte.gz", 1).shape   # doctest: +SKIP
    (60000,)
    """
    check_file(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read it ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DataError(
            f"{path}: not an IDX file: it starts with {raw[:4].hex(' ') or 'nothing'}",
            hint=f"an IDX file of {ndim} dimension{'s' if ndim > 1 else ''} starts with 00 00 08 {ndim:02x}",
        )
    if raw[3] != ndim:
        raise DataError(f"{path}: an IDX file of {raw[3]} dimensions where {ndim} were expected")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: the IDX header is cut short ({len(raw)} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[raw[2]])
    need = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != need:
        raise DataError(
            f"{path}: the header promises {' x '.join(map(str, dims))} values ({need} bytes) "
            f"but {len(raw) - header} bytes follow it",
            hint="the file is truncated or corrupt; download it again",
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(dims)


def find(directory: str, stem: str) -> str | None:
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def download(kind: str, directory: str, stems) -> None:
    """Fetch the missing files from the official mirrors into ``directory`` (atomically)."""
    os.makedirs(directory, exist_ok=True)
    for stem in stems:
        if find(directory, stem):
            continue
        reasons = []
        for base in MIRRORS[kind]:
            url = base + stem + ".gz"
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    body = response.read()
            except OSError as e:
                reasons.append(f"{url}: {getattr(e, 'reason', e)}")
                continue
            atomic_write(os.path.join(directory, stem + ".gz"), lambda fh, body=body: fh.write(body))
            break
        else:
            raise DataError(
                f"could not download {stem}.gz: " + "; ".join(reasons),
                hint=f"without network access, copy the four IDX files ({', '.join(FILES.values())}, "
                f"gzipped or not) into {directory}",
            )


def load(kind: str, directory: str, fetch: bool):
    """``(train_images, train_labels, test_images, test_labels)``; the test pair may be None.

    Images come as uint8 ``[N, 1, 28, 28]``, labels as int64 ``[N]``.
    """
    hint = "give the folder holding the IDX files, or add --download"
    if fetch and os.path.exists(directory):
        check_path(kind, directory, directory=True, hint=hint)
    if fetch:
        download(kind, directory, FILES.values())
    check_path(kind, directory, directory=True, hint=hint)
    paths = {key: find(directory, stem) for key, stem in FILES.items()}
    for key in ("train_images", "train_labels"):
        if paths[key] is None:
            raise DataError(
                f"{directory} has no {FILES[key]} (nor {FILES[key]}.gz)",
                hint="add --download to fetch the files, or copy them there",
            )
    train = _pair(paths["train_images"], paths["train_labels"])
    test = (None, None)
    if paths["test_images"] and paths["test_labels"]:
        test = _pair(paths["test_images"], paths["test_labels"])
    return (*train, *test)


def _pair(images_path: str, labels_path: str):
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1).astype(np.int64)
    if len(images) != len(labels):
        raise DataError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
    return images[:, None, :, :], labels
