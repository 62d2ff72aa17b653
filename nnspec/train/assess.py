"""Evaluating a checkpoint on a data source: what ``nnspec evaluate`` reports."""

from __future__ import annotations

from ..diagnostics import NetworkChoiceError
from ..printable import printable
from . import checkpoint, sources
from .data import input_infos, output_shape, prepare, sequence_fix
from .distributed import setup
from .errors import DataError
from .loop import evaluate
from .metrics import macro_f1, per_class


def restore(spec, weights: str):
    """The checkpoint ``weights`` of ``spec``: ``(state, graph, model)``, the model in eval mode
    with the checkpoint's parameters; :class:`DataError` when they do not fit the spec."""
    state = checkpoint.load(weights)
    try:
        graph = spec.checked_graph(state["network"], **state["params"])
    except NetworkChoiceError as e:  # the checkpoint's choice, not the user's: the two do not fit
        raise DataError(f"{weights} holds network `{state['network']}`, but {e.diagnostics[0].message}",
                        hint="give the spec the checkpoint was trained from") from None
    model = spec.build(state["network"], **state["params"])
    checkpoint.load_model(weights, state["model"], model, f"`{graph.network}` of {spec.path}")
    return state, graph, model.eval()


def class_names(state: dict, n_classes: int) -> list[str]:
    """The names of a classifier's ``n_classes`` outputs: those its checkpoint's classes were
    trained under, ``class 2`` for an output beyond them (a network with more outputs than its
    data had classes), or, with no names at all, the ids as text.

    >>> class_names({"classes": ["X", "O"]}, 3)
    ['X', 'O', 'class 2']
    """
    names = list(state.get("classes") or [])
    if not names:
        return [str(i) for i in range(n_classes)]
    return names[:n_classes] + [f"class {i}" for i in range(len(names), n_classes)]


def assess(spec, weights: str, source: str | None = None, *, batch_size: int = 256, device: str = "auto",
           seed: int | None = None, download: bool = False) -> dict:
    """The loss and metrics of the task the checkpoint ``weights`` of ``spec`` trained for
    (:mod:`nnspec.train.tasks`) on ``source``; for a classifier (whole inputs, or per position)
    also per-class precision, recall and F1, the macro F1 and the confusion matrix.

    The network, its parameters, the vocabulary, the class names and (without ``source``) the
    data source come from the checkpoint. The source's labels are mapped through the
    checkpoint's class names (a folder holding only some classes is scored right); a class the
    model never saw is a :class:`DataError`. A source with its own test split (``mnist:DIR``)
    is evaluated on that split, any other on all its examples; a generated source draws fresh
    examples (seed: the training seed + 1, unless ``seed`` is given).

    >>> assess(load("specs/xo.nn"), "runs/xo/best.pt")      # doctest: +SKIP
    {'loss': 0.0021, 'accuracy': 1.0, 'examples': 1200, 'classes': ['X', 'O'], 'confusion': [[598, 0], [0, 602]], ...}
    """
    state, graph, model = restore(spec, weights)
    infos = input_infos(graph)
    settings = state["settings"]
    if source is None:  # the run's own, checked as a flag is before anything is read or made
        source = settings["data"]
        try:
            sources.parse(source)
        except DataError as e:
            raise DataError(f"{weights}: the run's data source `{printable(source, 200)}`: {e.message}",
                            hint="give the data to evaluate on with --data") from None
    seed = settings["seed"] + 1 if seed is None else seed
    raw = sources.load(source, infos, seed, download, resize=settings.get("resize", False))
    raw = raw.relabelled(state.get("classes"))
    raw = raw.test if raw.test is not None else raw
    prepared = prepare(raw, infos, output_shape(graph), val_split=0.0, seed=seed, max_len=settings["max_len"],
                       vocab=state["vocab"], loss=settings.get("loss", "auto"), hint=sequence_fix(graph),
                       normalize=settings.get("normalize", "none"))
    task = prepared.task
    ctx = setup(device)
    try:
        result = evaluate(model.to(ctx.device), prepared.train.to(ctx.device), task, batch_size, ctx, confusion=True)
    finally:
        ctx.close()
    extra = {}
    if "confusion" in result:
        names = class_names(state, task.classes)
        rows = per_class(result["confusion"], names)
        extra = {"classes": names, "per_class": rows, "f1_macro": macro_f1(rows)}
    return {**result, **extra, "task": task.name, "metrics": list(task.metrics), "data": source,
            "network": graph.network, "epoch": state["epoch"], "weights": weights}
