"""From a source's examples to checked tensors, and index batches over them.

Everything here runs before the first training step: the data is compared with the spec's
inputs and output, and any mismatch is a :class:`DataError` in the user's terms. The examples
then live in memory (on the training device); an epoch is a list of index tensors, so a
batch is one gather per input, never a Python loop over samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..dims import Dim
from .errors import DataError
from .screening import screen
from .sources import InputInfo, Raw
from .text import build_vocab, encode, tokenize


def _dim(d: Dim):
    return d if isinstance(d, int) else str(d)


def input_infos(graph) -> list[InputInfo]:
    """The declared inputs of a typed graph, with the vocabulary of the embedding each feeds."""
    infos = []
    for i in graph.inputs:
        args = graph.nodes[i].layer.args
        vocab = next((v for c in graph.nodes[i].consumers if (v := graph.nodes[c].layer.vocabulary()) is not None),
                     None)
        infos.append(InputInfo(args.name, tuple(_dim(d) for d in args.shape), args.dtype, args.pad, vocab))
    return infos


def output_classes(graph) -> int:
    """The class count of a classifier's single output ``[classes]``, else :class:`DataError`."""
    types = graph.output_types()
    if len(types) != 1:
        raise DataError(f"training needs a network with one output; `{graph.network}` has {len(types)}")
    shape = types[0].shape
    if len(shape) != 1 or not isinstance(shape[0], int) or shape[0] < 2:
        raise DataError(
            f"training classifies with cross-entropy, so the output must be [classes]; "
            f"`{graph.network}` outputs [{', '.join(map(str, shape))}]",
            hint="end the network with dense(classes)",
        )
    return shape[0]


@dataclass
class Data:
    """Checked examples as tensors: one ``[N, ...]`` tensor per input, labels ``[N]`` int64."""

    inputs: list[torch.Tensor]
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device) -> Data:
        """On ``device``, through pinned memory when it is a GPU."""
        if device.type == "cpu":
            return self
        move = lambda t: t.pin_memory().to(device, non_blocking=True)
        return Data([move(x) for x in self.inputs], move(self.labels))

    def batch(self, index: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The examples at ``index`` (one gather per tensor; ``index_select`` is about twice as
        fast as ``x[index]`` here)."""
        return [x.index_select(0, index) for x in self.inputs], self.labels.index_select(0, index)


@dataclass
class Prepared:
    train: Data
    val: Data | None
    vocab: list[str] | None
    classes: list[str] | None


def prepare(raw: Raw, infos: list[InputInfo], n_classes: int, val_split: float = 0.0, seed: int = 0,
            max_len: int = 200, vocab: list[str] | None = None) -> Prepared:
    """Split, encode (text: vocabulary built on the training part unless given) and check.

    ``val_split`` is the held-out share when the source has no test set of its own; 0 keeps
    everything for training (as ``nnspec evaluate`` does).
    """
    if len(raw) == 0:
        raise DataError(f"`{raw.source}` holds no examples")
    if raw.texts is None and len(raw.inputs) != len(infos):
        raise DataError(f"`{raw.source}` gives {len(raw.inputs)} inputs but the spec declares {len(infos)}")
    screen(raw, infos)
    if raw.test is not None and val_split > 0:
        train, val = raw, raw.test
    else:
        train, val = _split(raw, val_split, seed)
    if raw.texts is not None:
        info = _text_input(raw, infos)
        if vocab is None:
            vocab = build_vocab(train.texts, info.pad or 0, info.vocab)
        length = info.shape[0] if isinstance(info.shape[0], int) else \
            min(max_len, max(len(tokenize(t)) for t in train.texts) or 1)
        train = Raw(raw.source, train.labels, [encode(train.texts, vocab, length, info.pad or 0)])
        if val is not None:
            val = Raw(raw.source, val.labels, [encode(val.texts, vocab, length, info.pad or 0)])
    out = [_check(part, infos, n_classes, raw.classes) for part in (train, val) if part is not None]
    return Prepared(out[0], out[1] if len(out) > 1 else None, vocab, raw.classes)


def _split(raw: Raw, share: float, seed: int) -> tuple[Raw, Raw | None]:
    n = len(raw)
    n_val = min(n - 1, max(1, round(n * share))) if share > 0 and n > 1 else 0
    if n_val == 0:
        return raw, None
    order = np.random.default_rng([seed, 0x51]).permutation(n)
    parts = []
    for index in (order[n_val:], order[:n_val]):
        texts = [raw.texts[i] for i in index] if raw.texts is not None else None
        parts.append(Raw(raw.source, raw.labels[index], [x[index] for x in raw.inputs], texts, raw.classes))
    return parts[0], parts[1]


def _text_input(raw: Raw, infos: list[InputInfo]) -> InputInfo:
    if len(infos) != 1 or infos[0].dtype != "int" or len(infos[0].shape) != 1:
        shapes = ", ".join(f"{i.name}: {list(i.shape)}{' int' if i.dtype == 'int' else ''}" for i in infos)
        raise DataError(f"`{raw.source}` is text: the spec needs one token input [T] int, but declares {shapes}",
                        hint="declare e.g. `input tokens: [T] int pad=0` followed by embedding(vocab, dim)")
    return infos[0]


def _check(raw: Raw, infos: list[InputInfo], n_classes: int, classes: list[str] | None) -> Data:
    n = len(raw)
    tensors = []
    for info, x in zip(infos, raw.inputs):
        x = np.asarray(x)
        if len(x) != n:
            raise DataError(f"`{raw.source}` has {len(x)} examples of input `{info.name}` but {n} labels")
        _check_shape(raw.source, info, x)
        if info.dtype == "int":
            if not np.issubdtype(x.dtype, np.integer):
                raise DataError(f"input `{info.name}` is declared int (token ids) but `{raw.source}` gives {x.dtype} values")
            low, high = (int(x.min()), int(x.max())) if x.size else (0, 0)
            if low < 0 or (info.vocab is not None and high >= info.vocab):
                raise DataError(
                    f"input `{info.name}` feeds an embedding of {info.vocab} ids but `{raw.source}` holds ids "
                    f"from {low} to {high}",
                    hint="raise the embedding's vocabulary, or re-encode the data",
                )
            tensors.append(torch.from_numpy(np.ascontiguousarray(x, dtype=np.int64)))
        else:
            if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer) or x.dtype == bool):
                raise DataError(f"input `{info.name}` takes numbers but `{raw.source}` gives {x.dtype} values")
            tensors.append(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
    labels = np.asarray(raw.labels)
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= n_classes:
        named = f" ({len(classes)} classes: {', '.join(classes[:6])}{', ...' if len(classes) > 6 else ''})" if classes else ""
        raise DataError(
            f"`{raw.source}` has labels from {low} to {high}{named}, but the network's output has {n_classes} classes",
            hint=f"the output needs at least {high + 1} classes, e.g. --set classes={high + 1}" if low >= 0 else None,
        )
    return Data(tensors, torch.from_numpy(labels.astype(np.int64)))


def _check_shape(source: str, info: InputInfo, x: np.ndarray) -> None:
    got = tuple(x.shape[1:])
    declared = info.shape
    fits = len(got) == len(declared) and all(not isinstance(d, int) or d == g for d, g in zip(declared, got))
    if not fits:
        show = lambda s: "[" + ", ".join(map(str, s)) + "]"
        raise DataError(
            f"input `{info.name}` is declared {show(declared)} but `{source}` gives examples of {show(got)}",
            hint=f"declare `input {info.name}: {show(got)}`, or give data of {show(declared)}",
        )


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int, rank: int = 0, world: int = 1) -> list[torch.Tensor]:
    """The shuffled index batches of one training epoch for one process.

    The order depends only on ``(seed, epoch)``, so a resumed run sees the same batches. With
    ``world`` processes, each takes every ``world``-th index of one shared permutation, padded
    by wrapping so that every process runs the same number of steps (as DistributedSampler).
    A final batch of one example joins the one before (batch norm cannot train on one).
    """
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(n, generator=generator)
    if world > 1:
        total = -(-n // world) * world
        order = torch.cat([order, order[: total - n]])[rank::world]
    batches = list(order.split(batch_size))
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2:] = [torch.cat(batches[-2:])]
    return batches


def eval_batches(n: int, batch_size: int, rank: int = 0, world: int = 1) -> list[torch.Tensor]:
    """In-order index batches; with several processes each gets a disjoint share."""
    return list(torch.arange(rank, n, world).split(batch_size))
