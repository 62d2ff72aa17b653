"""Evaluating a checkpoint on a data source: what ``nnspec evaluate`` reports."""

from __future__ import annotations

from . import checkpoint, sources
from .data import input_infos, output_classes, prepare
from .distributed import setup
from .errors import DataError
from .loop import evaluate


def assess(spec, weights: str, source: str | None = None, *, batch_size: int = 256, device: str = "auto",
           seed: int | None = None, download: bool = False) -> dict:
    """Loss and accuracy of the checkpoint ``weights`` of ``spec`` on ``source``.

    The network, its parameters, the vocabulary and (without ``source``) the data source come
    from the checkpoint. A source with its own test split (``mnist:DIR``) is evaluated on that
    split, any other on all its examples; a generated source draws fresh examples (seed: the
    training seed + 1, unless ``seed`` is given).

    >>> assess(load("specs/xo.nn"), "runs/xo/best.pt")      # doctest: +SKIP
    {'loss': 0.0021, 'accuracy': 1.0, 'examples': 1200, 'data': 'xo', 'epoch': 10, ...}
    """
    state = checkpoint.load(weights)
    graph = spec.checked_graph(state["network"], **state["params"])
    infos = input_infos(graph)
    n_classes = output_classes(graph)
    source = source or state["settings"]["data"]
    seed = state["settings"]["seed"] + 1 if seed is None else seed
    raw = sources.load(source, infos, seed, download)
    raw = raw.test if raw.test is not None else raw
    prepared = prepare(raw, infos, n_classes, val_split=0.0, seed=seed,
                       max_len=state["settings"]["max_len"], vocab=state["vocab"])
    model = spec.build(state["network"], **state["params"])
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise DataError(f"{weights} does not fit `{graph.network}` of {spec.path}: {str(e).splitlines()[0]}",
                        hint="evaluate with the spec the checkpoint was trained from") from None
    ctx = setup(device)
    try:
        result = evaluate(model.to(ctx.device), prepared.train.to(ctx.device), batch_size, ctx)
    finally:
        ctx.close()
    return {**result, "data": source, "network": graph.network, "epoch": state["epoch"], "weights": weights}
