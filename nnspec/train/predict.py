"""Answers of a trained network for new inputs: what ``nnspec predict`` prints.

Inputs are preprocessed exactly as in training, from what the checkpoint holds: an image file
is converted and resized to the spec's input (:func:`nnspec.train.sources.read_image`), a text
is tokenised and encoded with the run's vocabulary, a ``.npz`` file gives one input per row.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch

from . import sources
from .assess import class_names, restore
from .data import eval_batches, input_infos, output_shape, prepare
from .distributed import pick_device
from .errors import DataError, check_file
from .text import tokenize


def predict(spec, weights: str, inputs: list[str], *, top_k: int = 3, batch_size: int = 256,
            device: str = "auto") -> list[dict]:
    """One answer per input: ``{"input", "class", "probability", "top": [{"class", "probability"}...]}``.

    ``inputs`` are image files (or folders of them) for an image network; for a text network,
    texts, or files of them (one per line, blank lines skipped); ``.npz`` files for any
    network (an array per input, as ``tensors:FILE``; one answer per row).

    >>> predict(load("specs/xo.nn"), "runs/xo/best.pt", ["x.png"])      # doctest: +SKIP
    [{'input': 'x.png', 'class': 'X', 'probability': 0.998, 'top': [...]}]
    """
    state, graph, model = restore(spec, weights)
    where = pick_device(device)
    model.to(where)

    @torch.inference_mode()
    def scores(xs: list[torch.Tensor]) -> torch.Tensor:
        return model(*(x.to(where) for x in xs)).float().cpu()

    return _answers(weights, state, input_infos(graph), classifier_classes(graph, state), inputs, scores,
                    top_k, batch_size)


def predict_onnx(path: str, inputs: list[str], *, top_k: int = 3, batch_size: int = 256) -> list[dict]:
    """:func:`predict`'s answers from an ONNX file written by ``nnspec export`` (run by
    onnxruntime): the inputs are read, the images normalised and the texts encoded as its
    metadata says, and its outputs named by its class names."""
    from ..backends.export import ONNX_HINT, read_metadata

    try:
        import onnxruntime
    except ImportError:
        raise DataError("predicting from an ONNX file needs onnxruntime, which is not installed",
                        hint=ONNX_HINT) from None
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file")
    meta = read_metadata(path)
    if "nnspec.inputs" not in meta:
        raise DataError(f"{path} carries no nnspec metadata (its inputs, classes, normalisation)",
                        hint="export the checkpoint with `nnspec export --format onnx`")
    infos = [sources.InputInfo(i["name"], tuple(i["shape"]), i["dtype"], i["pad"])
             for i in json.loads(meta["nnspec.inputs"])]
    state = {"settings": {"max_len": int(meta.get("nnspec.max_len", 200)), "normalize": meta["nnspec.normalize"],
                          "loss": meta["nnspec.loss"], "data": meta.get("nnspec.data", "?")},
             "vocab": json.loads(meta["nnspec.vocab"]) if "nnspec.vocab" in meta else None,
             "classes": json.loads(meta["nnspec.classes"]) if "nnspec.classes" in meta else None}
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    shape = session.get_outputs()[0].shape[1:]
    if len(shape) != 1 or not isinstance(shape[0], int) or shape[0] < 2 or state["settings"]["loss"] not in ("auto", "ce"):
        raise DataError(f"predict names classes, so it needs a classifier trained with cross-entropy; {path} "
                        f"outputs {list(shape)} and was trained with {state['settings']['loss']}",
                        hint="run the file with onnxruntime for other tasks")
    names = [i.name for i in session.get_inputs()]

    def scores(xs: list[torch.Tensor]) -> torch.Tensor:
        outputs = session.run(None, {name: x.numpy() for name, x in zip(names, xs)})
        return torch.from_numpy(outputs[0]).float()

    return _answers(path, state, infos, shape[0], inputs, scores, top_k, batch_size)


def _answers(weights: str, state: dict, infos, n_classes: int, inputs: list[str], scores, top_k: int,
             batch_size: int) -> list[dict]:
    """The answers for ``inputs``, read as the run ``state`` read its data, from ``scores``
    (a batch's inputs to the class scores)."""
    names, raw = _gather(inputs, infos)
    if raw.texts is not None and state["vocab"] is None:
        # a vocabulary built from the query would give its words ids the network never learnt
        raise DataError(f"{weights} was trained on token ids without a vocabulary (from `{state['settings']['data']}`), "
                        "so it cannot read text",
                        hint="give the token ids as a .npz file (an array per input, as tensors:FILE), "
                             "or train from text (text:FILE, sentiment_toy) to keep a vocabulary")
    # before prepare, whose own check of empty sequences knows rows by number, not by file
    _check_lengths([torch.as_tensor(x) for x in raw.inputs], infos, names)
    data = prepare(raw, infos, n_classes, max_len=state["settings"]["max_len"], vocab=state["vocab"], loss="ce",
                   normalize=state["settings"].get("normalize", "none")).train
    probs = torch.cat([scores(data.batch(index)[0]).softmax(-1) for index in eval_batches(len(data), batch_size)])
    labels = class_names(state, n_classes)
    k = min(top_k, n_classes)
    values, ids = probs.topk(k, dim=-1)
    return [{"input": name, "class": labels[int(i[0])], "probability": float(v[0]),
             "top": [{"class": labels[int(c)], "probability": float(p)} for p, c in zip(v, i)]}
            for name, v, i in zip(names, values, ids)]


def classifier_classes(graph, state: dict) -> int:
    """The class count of a checkpoint trained as a whole-input classifier, else :class:`DataError`."""
    shape = output_shape(graph)
    loss = state["settings"].get("loss", "auto")
    if len(shape) != 1 or not isinstance(shape[0], int) or shape[0] < 2 or loss not in ("auto", "ce"):
        raise DataError(f"predict names classes, so it needs a classifier trained with cross-entropy on an output "
                        f"[classes]; `{graph.network}` outputs [{', '.join(map(str, shape))}]"
                        + (f" and trained with {loss}" if loss not in ("auto", "ce") else ""),
                        hint="for other tasks, load the checkpoint's weights into spec.build() and call the model")
    return shape[0]


def _gather(inputs: list[str], infos) -> tuple[list[str], sources.Raw]:
    """The inputs' names and their examples (labels all 0: they are not known)."""
    text = len(infos) == 1 and infos[0].dtype == "int" and len(infos[0].shape) == 1
    names, arrays, texts = [], [[] for _ in infos], []
    for item in inputs:
        if item.lower().endswith(".npz"):
            raw = sources.tensors(item, infos, labelled=False)
            for i, x in enumerate(raw.inputs):
                arrays[i].append(np.asarray(x))
            names += [f"{item}[{row}]" for row in range(len(raw))]
        elif text:
            if os.path.exists(item):
                check_file(item)  # a file of texts, not a FIFO or a device read for ever
                with open(item, encoding="utf-8", errors="replace") as fh:
                    lines = [(n, line.rstrip("\n")) for n, line in enumerate(fh, start=1) if line.strip()]
                if not lines:
                    raise DataError(f"{item} holds no text (every line is blank)")
                names += [f"{item}:{n}" for n, _ in lines]
                texts += [line for _, line in lines]
            else:
                names.append(item)
                texts.append(item)
        else:
            shape = sources.image_shape(infos, "predicting from image files")
            if not os.path.exists(item):
                raise DataError(f"{item}: no such file")
            files = sorted(os.path.join(item, f) for f in os.listdir(item)
                           if f.lower().endswith(sources.IMAGE_EXTENSIONS)) if os.path.isdir(item) else [item]
            if not files:
                raise DataError(f"{item} holds no images", hint=f"expected files ending in {', '.join(sources.IMAGE_EXTENSIONS)}")
            for f in files:
                arrays[0].append(sources.read_image(f, shape)[None])  # uint8, as in training
            names += files
    if texts and any(arrays):
        raise DataError("give texts or .npz files, not both")
    for name, t in zip(names, texts):
        if not tokenize(t):
            raise DataError(f"input {name!r} has no words to read" if name == t else f"{name} has no words to read",
                            hint="a text needs at least one word or punctuation mark")
    if texts:
        return names, sources.Raw("predict", np.zeros(len(texts), np.int64), texts=texts)
    if not names:
        raise DataError("nothing to predict: give at least one input")
    return names, sources.Raw("predict", np.zeros(len(names), np.int64), [np.concatenate(a) for a in arrays])


def _check_lengths(tensors: list[torch.Tensor], infos, names: list[str]) -> None:
    """A padded token input needs at least one real token per row (an all-padding row has no
    last token to classify from)."""
    for x, info in zip(tensors, infos):
        if info.dtype != "int" or info.pad is None:
            continue
        if x.dim() >= 2 and x.shape[1] == 0:
            raise DataError(f"input `{info.name}` has sequences of length 0: nothing to read")
        empty = (x != info.pad).reshape(len(x), -1).sum(1) == 0 if len(x) else torch.zeros(0, dtype=torch.bool)
        if bool(empty.any()):
            row = int(empty.nonzero()[0])
            raise DataError(f"{names[row]}: every token of input `{info.name}` is padding ({info.pad}): nothing to read")
