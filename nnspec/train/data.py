"""From a source's examples to checked tensors, and index batches over them.

Everything here runs before the first training step: the data is compared with the spec's
inputs and output, and any mismatch is a :class:`DataError` in the user's terms. The examples
then live in memory (on the training device); an epoch is a list of index tensors, so a
batch is one gather per input, never a Python loop over samples. Images streamed from disk
(:class:`~nnspec.train.sources.ImageFiles`) are decoded by ``DataLoader`` workers for the
same index batches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..core.dims import Dim, evaluate, shape_str
from ..core.layers.batch import across_batch, across_batch_text
from ..diagnostics import Diagnostic
from . import pixels, tasks
from .errors import DataError
from .screening import screen
from .sources import ImageFiles, InputInfo, Raw
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


def output_shape(graph) -> tuple:
    """The shape of a network's single output (its dimensions may be symbolic), else :class:`DataError`."""
    types = graph.output_types()
    if len(types) != 1:
        raise DataError(f"training needs a network with one output; `{graph.network}` has {len(types)}",
                        hint="train a network whose outputs are combined into one")
    node = across_batch(graph.nodes)
    if node is not None:
        raise DataError(f"the output of `{graph.network}` {across_batch_text(node)}: training, evaluation and "
                        "prediction compare each sample's output with that sample's own label, and cut the data "
                        "into batches as memory allows",
                        hint="train it with a loss of your own on the compiled module (`nnspec compile`)")
    return tuple(types[0].shape)


def sequence_fix(graph) -> str | None:
    """For a network whose output kept the time dimension of a recurrent layer: how to
    classify whole sequences instead (the fix named at the layer's line)."""
    shape = output_shape(graph)
    rnn = next((n for n in reversed(graph.nodes) if n.op in ("lstm", "gru", "rnn")), None)
    if rnn is None or len(shape) != 2 or rnn.layer.args.output != "sequence":
        return None
    where = f" (line {rnn.span.line})" if rnn.span else ""
    return (f"the output {shape_str(shape)} keeps one value per time step; to label whole sequences, give the "
            f"`{rnn.op}`{where} `output=final`, e.g. `{rnn.op}({rnn.layer.args.hidden}, output=final)`, "
            f"or put `last` after it")


def symbol_sizes(infos: list[InputInfo], inputs) -> dict[str, int]:
    """Each input symbol's size in this data (arrays or tensors ``[N, ...]``), from the first
    input that has it."""
    env = {}
    for info, x in zip(infos, inputs):
        for d, size in zip(info.shape, tuple(np.shape(x))[1:]):
            if isinstance(d, str):
                env.setdefault(d, int(size))
    return env


def _bind(infos: list[InputInfo], inputs: list[np.ndarray], output: tuple) -> tuple:
    """The output's size for this data: each symbol takes its size from the inputs (None where
    none gives it)."""
    env = symbol_sizes(infos, inputs)
    out = []
    for d in output:
        try:
            out.append(evaluate(d, env))
        except (KeyError, ArithmeticError, ValueError, TypeError):
            out.append(None)
    return tuple(out)


@dataclass
class Data:
    """Checked examples as tensors: one ``[N, ...]`` tensor per input, and the labels ``[N, ...]``
    as the task's loss reads them (class ids int64, targets float32)."""

    inputs: list[torch.Tensor]
    labels: torch.Tensor
    # per input: the normalisation of an image input (see nnspec.train.pixels), or None
    stats: list | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device) -> Data:
        """On ``device``, through pinned memory when it is a GPU."""
        if device.type == "cpu":
            return self
        move = lambda t: t if isinstance(t, ImageFiles) else t.pin_memory().to(device, non_blocking=True)
        return Data([move(x) for x in self.inputs], move(self.labels), self.stats)

    def batch(self, index: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The examples at ``index`` (one gather per tensor; ``index_select`` is about twice as
        fast as ``x[index]`` here), uint8 pixels scaled and normalised as float32."""
        return self._finish([_rows(x, index) for x in self.inputs], index)

    def batches(self, indices: list[torch.Tensor], device: torch.device, workers: int | None = None):
        """The batches at each of ``indices`` in turn, on ``device``, as :meth:`batch` gives them.
        Streamed images (:class:`~nnspec.train.sources.ImageFiles`) are decoded ahead by a
        ``DataLoader`` with ``workers`` processes (default ``min(4, cpu count)``), in the same
        order, then scaled and normalised on the device like held ones."""
        if not any(isinstance(x, ImageFiles) for x in self.inputs):
            for index in indices:
                yield self.batch(index.to(device, non_blocking=True))
            return
        workers = min(4, os.cpu_count() or 1) if workers is None else workers
        loader = torch.utils.data.DataLoader(_Rows(self.inputs), batch_sampler=[i.tolist() for i in indices],
                                             num_workers=workers, pin_memory=device.type == "cuda",
                                             collate_fn=_stack,
                                             # its own generator: the workers' seed is not drawn from the
                                             # global one, which augmentation and dropout draw from
                                             generator=torch.Generator().manual_seed(0))
        for index, rows in zip(indices, loader):
            if isinstance(rows, tuple):  # a file a worker could not read: the error as read in one process
                raise DataError(*rows)
            index = index.to(device, non_blocking=True)
            xs = [r.to(device, non_blocking=True) if isinstance(x, ImageFiles) else x.index_select(0, index)
                  for x, r in zip(self.inputs, rows)]
            yield self._finish(xs, index)

    def _finish(self, xs: list[torch.Tensor], index: torch.Tensor):
        stats = self.stats or [None] * len(self.inputs)
        return [pixels.prepare_batch(x, s) for x, s in zip(xs, stats)], self.labels.index_select(0, index)


def _rows(x, index: torch.Tensor) -> torch.Tensor:
    if isinstance(x, ImageFiles):
        return torch.from_numpy(x.read(index.cpu().tolist())).to(index.device)
    return x.index_select(0, index)


class _Rows(torch.utils.data.Dataset):
    """One example's streamed images, uint8, for a ``DataLoader`` worker (other inputs: 0,
    gathered from memory by :meth:`Data.batches`)."""

    def __init__(self, inputs: list):
        self.inputs = inputs

    def __len__(self) -> int:
        return len(self.inputs[0])

    def __getitem__(self, i: int):
        try:
            return [torch.from_numpy(x.read([i])[0]) if isinstance(x, ImageFiles) else torch.zeros(())
                    for x in self.inputs]
        except DataError as e:  # sent back as values: a worker's exception would arrive with its traceback
            return e.message, e.hint


def _stack(rows: list):
    """A batch of :class:`_Rows` examples, or the ``(message, hint)`` of the first unreadable one."""
    return next((r for r in rows if isinstance(r, tuple)), None) or [torch.stack(c) for c in zip(*rows)]


@dataclass
class Prepared:
    train: Data
    val: Data | None
    vocab: list[str] | None
    classes: list[str] | None
    task: tasks.Task
    warnings: list[Diagnostic]


def prepare(raw: Raw, infos: list[InputInfo], output: tuple | int, val_split: float = 0.0, seed: int = 0,
            max_len: int = 200, vocab: list[str] | None = None, loss: str = "auto",
            hint: str | None = None, validation: Raw | None = None, normalize: str = "none") -> Prepared:
    """Split, encode (text: vocabulary built on the training part unless given), choose the
    task (:func:`nnspec.train.tasks.choose`) and check.

    ``output`` is the network's output shape (an int ``n`` stands for ``[n]``).
    ``validation`` (``--val-data``) is the validation set when given; otherwise ``val_split``
    is the held-out share when the source has no test set of its own, and 0 keeps everything
    for training (as ``nnspec evaluate`` does). ``hint`` replaces the explanation when no task
    fits labels of whole examples (see :func:`sequence_fix`). ``normalize`` applies to the
    image inputs ``[C, H, W]`` (:mod:`nnspec.train.pixels`), batch by batch.
    """
    output = (output,) if isinstance(output, int) else tuple(output)
    warnings = []
    if len(raw) == 0:
        raise DataError(f"`{raw.source}` holds no examples")
    if raw.texts is None and len(raw.inputs) != len(infos):
        raise DataError(f"`{raw.source}` gives {len(raw.inputs)} inputs but the spec declares {len(infos)}")
    screen(raw, infos)
    raw, notes = _class_ids(raw, output, loss)
    warnings += notes
    if validation is not None:
        validation, _ = _class_ids(validation, output, loss)
        train, val = raw, validation
    elif raw.test is not None and val_split > 0:
        train, val = raw, raw.test
    else:
        train, val = _split(raw, val_split, seed)
    if raw.texts is not None:
        info = _text_input(raw, infos)
        if vocab is None:
            vocab = build_vocab(train.texts, info.pad or 0, info.vocab)
            warnings += _vocab_cut(raw.source, train.texts, vocab)
        length = info.shape[0] if isinstance(info.shape[0], int) else \
            min(max_len, max(len(tokenize(t)) for t in train.texts) or 1)
        train = replace(train, inputs=[encode(train.texts, vocab, length, info.pad or 0)], texts=None, test=None)
        if val is not None:
            val = replace(val, inputs=[encode(val.texts, vocab, length, info.pad or 0)], texts=None, test=None)
    parts = [part for part in (train, val) if part is not None]
    inputs = [_check_inputs(part, infos) for part in parts]
    labels = np.asarray(train.labels)
    try:
        task = tasks.choose(_bind(infos, train.inputs, output), labels, loss, raw.source, output)
    except DataError as e:
        if hint is None or labels.ndim != 1:
            raise
        raise DataError(e.message, hint) from None
    stats = image_stats(infos, normalize)
    data = [Data(x, task.labels(_ignore_padding(task, infos, part), raw.source, raw.classes), stats)
            for x, part in zip(inputs, parts)]
    warnings += _unused_classes(task, raw, [d.labels for d in data])
    return Prepared(data[0], data[1] if len(data) > 1 else None, vocab, raw.classes, task, warnings)


def _class_ids(raw: Raw, output: tuple, loss: str) -> tuple[Raw, list[Diagnostic]]:
    """``raw`` (and its test set) with one-hot or probability label rows of a classifier
    replaced by their class ids (:func:`nnspec.train.tasks.class_rows`), and a note saying so."""
    found = tasks.class_rows(output, np.asarray(raw.labels), loss)
    test = _class_ids(raw.test, output, loss)[0] if raw.test is not None else None
    if found is None:
        return (raw if test is raw.test else replace(raw, test=test)), []
    ids, kind = found
    what = "one-hot label rows" if kind == "one-hot" else "label rows of class probabilities"
    note = Diagnostic("note", f"`{raw.source}` gives {what} [N, {np.shape(raw.labels)[1]}]: "
                              "training the classifier on their class ids (the largest entry of each row)",
                      hint="give class ids [N] (y.argmax(1)) to say so yourself; for several labels per example "
                           "use --loss bce" + (", for soft targets --loss mse" if kind == "probability" else ""))
    return replace(raw, labels=ids, test=test), [note]


def image_stats(infos: list[InputInfo], normalize: str) -> list:
    """Per input, the ``normalize`` statistics of an image input ``[C, H, W]`` (None for others)."""
    out = []
    for info in infos:
        image = info.dtype == "float" and len(info.shape) == 3 and isinstance(info.shape[0], int)
        try:
            out.append(pixels.parse(normalize, info.shape[0]) if image else None)
        except ValueError as e:
            raise DataError(f"input `{info.name}`: {e}") from None
    return out


def _ignore_padding(task: tasks.Task, infos: list[InputInfo], raw: Raw) -> np.ndarray:
    """A tagger's labels with the positions of its token input's padding set to ``IGNORE``."""
    labels = np.asarray(raw.labels)
    if not isinstance(task, tasks.Tag):
        return labels
    for info, x in zip(infos, raw.inputs):
        if info.dtype == "int" and info.pad is not None and np.shape(x) == labels.shape:
            labels = np.where(np.asarray(x) == info.pad, tasks.IGNORE, labels)
    return labels


def _unused_classes(task: tasks.Task, raw: Raw, labels: list[torch.Tensor]) -> list[Diagnostic]:
    """A warning when the output has more classes than the data uses (``--set classes=3`` on
    two classes): the extra outputs never see a positive example."""
    if not isinstance(task, tasks.Classify) or isinstance(task, tasks.Segment):
        return []
    ids = torch.cat([y.flatten() for y in labels])
    ids = ids[ids != tasks.IGNORE]
    used = len(raw.classes) if raw.classes else (int(ids.max()) + 1 if len(ids) else 0)
    if used >= task.classes:
        return []
    what = tasks.class_names(raw.classes) if raw.classes else f"labels 0 to {used - 1}"
    return [Diagnostic("warning", f"`{raw.source}` has {what}, but the network's output has {task.classes} classes; "
                                  f"the other {task.classes - used} are never the answer",
                       hint=f"match the output to the data, e.g. --set classes={used}")]


def _vocab_cut(source: str, texts: list[str], vocab: list[str]) -> list[Diagnostic]:
    """A warning when the embedding's vocabulary keeps fewer than half of the training texts' words."""
    words = {tok for t in texts for tok in tokenize(t)}
    kept = sum(1 for w in vocab if w in words)
    if kept * 2 >= len(words):
        return []
    return [Diagnostic("warning", f"the embedding's vocabulary of {len(vocab)} ids keeps {kept} of the "
                                  f"{len(words):,} distinct words of `{source}`; the other {len(words) - kept:,} "
                                  "read as <unk>",
                       hint=f"raise the embedding's vocabulary to {len(words) + len(vocab) - kept} to keep every word")]


def _split(raw: Raw, share: float, seed: int) -> tuple[Raw, Raw | None]:
    n = len(raw)
    n_val = min(n - 1, max(1, round(n * share))) if share > 0 and n > 1 else 0
    if n_val == 0:
        return raw, None
    order = np.random.default_rng([seed, 0x51]).permutation(n)
    parts = []
    for index in (order[n_val:], order[:n_val]):
        texts = [raw.texts[i] for i in index] if raw.texts is not None else None
        parts.append(replace(raw, labels=raw.labels[index], inputs=[x[index] for x in raw.inputs], texts=texts,
                             test=None))
    return parts[0], parts[1]


def _text_input(raw: Raw, infos: list[InputInfo]) -> InputInfo:
    if len(infos) != 1 or infos[0].dtype != "int" or len(infos[0].shape) != 1:
        shapes = ", ".join(f"{i.name}: {shape_str(i.shape)}{' int' if i.dtype == 'int' else ''}" for i in infos)
        raise DataError(f"`{raw.source}` is text: the spec needs one token input [T] int, but declares {shapes}",
                        hint="declare e.g. `input tokens: [T] int pad=0` followed by embedding(vocab, dim)")
    return infos[0]


def _check_inputs(raw: Raw, infos: list[InputInfo]) -> list[torch.Tensor]:
    """The inputs as tensors, each checked against its declaration."""
    n = len(raw)
    tensors = []
    for info, x in zip(infos, raw.inputs):
        if isinstance(x, ImageFiles):  # streamed: checked by shape here, decoded batch by batch
            if len(x) != n:
                raise DataError(f"`{raw.source}` has {len(x)} examples of input `{info.name}` but {n} labels")
            _check_shape(raw, info, x)
            tensors.append(x)
            continue
        x = np.asarray(x)
        if len(x) != n:
            raise DataError(f"`{raw.source}` has {len(x)} examples of input `{info.name}` but {n} labels")
        _check_shape(raw, info, x)
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
            # uint8 pixels stay uint8 (a quarter of the memory); batches are scaled on the device
            kind = np.uint8 if x.dtype == np.uint8 else np.float32
            tensors.append(torch.from_numpy(np.ascontiguousarray(x, dtype=kind)))
    return tensors


def _check_shape(raw: Raw, info: InputInfo, x: np.ndarray) -> None:
    got = tuple(x.shape[1:])
    declared = info.shape
    fits = len(got) == len(declared) and all(not isinstance(d, int) or d == g for d, g in zip(declared, got))
    if not fits:
        raise DataError(
            f"input `{info.name}` is declared {shape_str(declared)} but `{raw.source}` gives examples of {shape_str(got)}",
            hint=f"declare `input {info.name}: {shape_str(got)}`, or "
                 + (f"resize the images to {shape_str(declared)} with --resize" if raw.fixed_size
                    else f"give data of {shape_str(declared)}"),
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
