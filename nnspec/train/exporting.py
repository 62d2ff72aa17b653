"""Exporting a checkpoint (``nnspec export``): the module it holds, written by
:func:`nnspec.backends.export.export_module` with the spec's input and output names and what
a user of the file needs to feed it and read its answers, as metadata (``nnspec predict``
reads an ONNX file's: :func:`nnspec.train.predict.predict_onnx`):

==================  ===========================================================
key                 value
==================  ===========================================================
nnspec.version      the nnspec that wrote the file
nnspec.network      the network's name; nnspec.params: its parameters (JSON)
nnspec.spec         the spec's text and its imports' (JSON: path to text)
nnspec.inputs       each input's name, shape (symbols by name), dtype, padding id (JSON)
nnspec.normalize    the images' normalisation: none, imagenet or MEAN,STD
nnspec.loss         the loss trained with (ce: the outputs are class scores)
nnspec.max_len      the longest token sequence kept; nnspec.data: the data trained on
nnspec.classes      the class names (JSON), for a classifier
nnspec.vocab        the token list (JSON), for a network trained on text
==================  ===========================================================
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version

from ..backends.export import Exported, export_module
from .assess import restore
from .data import input_infos


def metadata(state: dict, infos) -> dict[str, str]:
    """The metadata of an export of the checkpoint ``state`` (see the module's table)."""
    try:
        ours = version("nnspec")
    except PackageNotFoundError:  # run from a source tree that is not installed
        ours = "unknown"
    settings = state["settings"]
    out = {
        "nnspec.version": ours,
        "nnspec.network": state["network"],
        "nnspec.params": json.dumps(state["params"]),
        "nnspec.spec": json.dumps(state["spec"]),
        "nnspec.inputs": json.dumps([{"name": i.name, "shape": list(i.shape), "dtype": i.dtype, "pad": i.pad}
                                     for i in infos]),
        "nnspec.normalize": settings["normalize"],
        "nnspec.loss": settings["loss"],
        "nnspec.max_len": str(settings["max_len"]),
        "nnspec.data": str(settings["data"]),
    }
    if state.get("classes"):
        out["nnspec.classes"] = json.dumps(state["classes"])
    if state.get("vocab"):
        out["nnspec.vocab"] = json.dumps(state["vocab"])
    return out


def export(spec, weights: str, fmt: str, path: str, length: int | None = None) -> Exported:
    """Write the checkpoint ``weights`` of ``spec`` to ``path`` as ``fmt`` (onnx, torchscript
    or exported), named and described as the module's docstring says, and checked against
    the module (:func:`nnspec.backends.export.export_module`). ``length`` fixes the
    symbolic dimensions where the format must (default: the run's ``max_len``).

    >>> export(load("specs/xo.nn"), "runs/xo/best.pt", "onnx", "xo.onnx")   # doctest: +SKIP
    Exported(path='xo.onnx', format='onnx', how='torch.onnx', dynamic=['batch'], difference=2.4e-07)
    """
    state, graph, model = restore(spec, weights)
    infos = input_infos(graph)
    names = [name for name, _ in graph.outputs]
    outputs = [name or ("output" if len(names) == 1 else f"output{i}") for i, name in enumerate(names)]
    return export_module(model, infos, fmt, path, length or state["settings"]["max_len"], outputs,
                         metadata(state, infos))
