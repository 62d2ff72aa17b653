"""The training loop over in-memory data, for any task of :mod:`nnspec.train.tasks`.

:func:`train` is what ``nnspec train`` and :meth:`nnspec.Spec.fit` run, handed a
:class:`~nnspec.train.config.TrainSettings`: setting up (:func:`_set_up`), then per epoch
:func:`_train_epoch` and :func:`_end_epoch`, then :func:`_finish`. Its order of work is what
keeps a user's files safe: the spec, the settings and the data are all checked before the output folder is
touched, and each epoch ends by writing ``metrics.jsonl``, ``best.pt`` (when the validation
score improved: the task's primary metric, or its loss) and ``last.pt``, each atomically; ``curves.png`` is redrawn after the last
epoch and at most once a minute before it. A run killed at any
moment can be continued with ``resume=True`` and ends with the same weights as a run that
was never interrupted (on the CPU, with the same seed).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..backends.memory import gradients
from ..core.dims import shape_str
from ..diagnostics import Diagnostic
from ..files import remove_temporaries
from . import board, checkpoint, metrics, pixels, schedules, sources
from .config import Overrides, Settings, TrainSettings, augments, from_section
from .data import (
    Data,
    Prepared,
    epoch_batches,
    eval_batches,
    input_infos,
    output_shape,
    prepare,
    sequence_fix,
)
from .distributed import Context, setup
from .errors import DataError, WriteError, reported_write
from .finite import NonFiniteLoss, check_epoch, overflow
from .lock import OutLock, signature
from .memory import weigh
from .progress import Reporter
from .screening import screen_classes
from .tasks import Classify, Task, metric_label
from .transfer import check_patterns, counts, freeze, initialise, train_mode

# The settings that a resumed run takes from the command line; it keeps all the others.
RESUME_FLAGS = ("epochs", "device", "compile", "patience")

# Drawing the curves takes about a second; a long run redraws them at most this often (seconds).
PLOT_EVERY = 60.0


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def default_source(infos) -> str:
    """The data a spec trains on when ``--data`` is not given: ``xo`` for an X-vs-O input
    ``[1, 9, 9]``, ``sentiment_toy`` for a single token sequence."""
    if len(infos) == 1 and infos[0].dtype == "float" and infos[0].shape == (1, 9, 9):
        return "xo"
    if len(infos) == 1 and infos[0].dtype == "int" and len(infos[0].shape) == 1:
        return "sentiment_toy"
    shapes = ", ".join(f"{i.name}: {shape_str(i.shape)}" for i in infos)
    raise DataError(f"no built-in data fits the inputs {shapes}",
                    hint="give one with --data, e.g. --data fashion_mnist:DIR or --data tensors:FILE.npz")


def autocast(device: torch.device, amp: str):
    if amp == "none":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


def uses_conv2d(model: torch.nn.Module) -> bool:
    return any(isinstance(m, torch.nn.Conv2d) for m in model.modules())


def make_optimizer(params, s: Settings) -> torch.optim.Optimizer:
    if s.optimizer == "sgd":
        return torch.optim.SGD(params, lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay)
    kind = torch.optim.AdamW if s.optimizer == "adamw" else torch.optim.Adam
    return kind(params, lr=s.lr, weight_decay=s.weight_decay)


class Batcher:
    """Gathers batches from in-memory data on the device, channels-last when asked."""

    def __init__(self, data: Data, device: torch.device, channels_last: bool, augment: tuple[str, ...] = ()):
        self.data = data
        self.device = device
        self.channels_last = channels_last
        self.augment = augment  # training images' random changes (nnspec.train.pixels.augment)

    def __call__(self, indices: list[torch.Tensor]):
        """The batches at ``indices`` in turn (streamed images decoded ahead by worker processes)."""
        for xs, y in self.data.batches(indices, self.device):
            if self.augment:
                xs = [pixels.augment(x, kinds=self.augment) if x.dim() == 4 and x.is_floating_point() else x
                      for x in xs]
            if self.channels_last:
                xs = [x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x for x in xs]
            yield xs, y


@torch.no_grad()
def evaluate(model, data: Data, task: Task, batch_size: int, ctx: Context, amp: str = "none",
             channels_last: bool = False, confusion: bool = False) -> dict:
    """The task's mean loss and metrics of ``model`` over ``data`` (summed over all processes).

    With ``confusion`` (a classifying task), the result also holds ``confusion``: a
    ``classes × classes`` list of counts, row = true label, column = prediction.

    >>> evaluate(model, data, task, 256, Context())      # doctest: +SKIP
    {'loss': 0.0123, 'accuracy': 1.0, 'examples': 240}
    """
    was_training = model.training
    model.eval()
    batcher = Batcher(data, ctx.device, channels_last)
    sums = torch.zeros(task.width, device=ctx.device, dtype=torch.float64)
    count = torch.zeros((), device=ctx.device, dtype=torch.int64)
    classes = task.classes if confusion and isinstance(task, Classify) else 0
    matrix = torch.zeros(max(classes, 1) ** 2, device=ctx.device, dtype=torch.int64)
    for xs, y in batcher(eval_batches(len(data), batch_size, ctx.rank, ctx.world)):
        with autocast(ctx.device, amp):
            out = model(*xs).float()
        sums += task.sums(out, y, task.loss(out, y))
        count += len(y)
        if classes:
            matrix += task.confusion(out, y)
    model.train(was_training)
    *sums, count = ctx.sum([*sums, count])
    result = {**task.finish(sums), "examples": int(count)}
    if classes:
        if ctx.active:
            torch.distributed.all_reduce(matrix)
        result["confusion"] = matrix.reshape(classes, classes).tolist()
    return result


def _score(row: dict, task: Task) -> list[float]:
    """Higher is better: the validation figures (the training ones without a validation set),
    the task's primary metric then the lower loss."""
    part = "val" if row.get("val_loss") is not None else "train"
    figures = {k[len(part) + 1:]: v for k, v in row.items() if k.startswith(part + "_")}
    return [task.score(figures), -figures["loss"]]


def warnings_for(graph, task: Task, settings: Settings, device: torch.device) -> list[Diagnostic]:
    """What a practitioner would want to know before a run: a final softmax (or sigmoid) that
    the loss applies again, fp16 autocast on a CPU."""
    out = []
    last = graph.nodes[graph.outputs[0][1]]
    squash = {"ce": "softmax", "bce": "sigmoid"}.get(task.loss_name)
    if last.op == squash:
        loss = "cross-entropy" if squash == "softmax" else "binary cross-entropy"
        out.append(Diagnostic(
            "warning", f"`{graph.network}` ends in {squash}, and {loss} applies {squash} itself: "
                       f"the network would be trained through {squash} twice", last.span,
            f"remove the final {squash} (the loss includes it; apply {squash} to the outputs when predicting)"))
    if settings.amp == "fp16" and device.type == "cpu":
        out.append(Diagnostic("warning", "--amp fp16 on a CPU: float16 autocast there is slow and needs a loss scaler",
                              hint="use --amp bf16 on a CPU (fp16 is for GPUs)"))
    return out


def train(spec, request: TrainSettings, raw: sources.Raw | None = None) -> dict:
    """Train a spec's network as ``request`` asks; returns ``{"history": [...], "best": row,
    "out": folder, "task", "loss", "warnings"}``.

    ``request.overrides`` win over the spec's ``train`` section. A resumed run keeps the
    settings it started with, except those of :data:`RESUME_FLAGS` (``epochs`` to train
    longer, ...). ``raw`` gives the examples directly (arrays in memory) instead of a data
    source; they are checked all the same.

    Raises :class:`DataError` (nothing written) for data that does not fit the spec, a run
    to resume that is missing, or an output folder holding another run; :class:`NonFiniteLoss`
    when the losses or the weights stop being finite (the last good checkpoint stays as it was).

    >>> train(load("specs/xo.nn"), TrainSettings("runs/xo", overrides=Overrides(epochs=5)))   # doctest: +SKIP
    """
    seen = signature(os.path.join(request.out, "last.pt"))  # what this run decides on; another run changing it is refused
    state, network, params, settings, ignored = _settings(spec, request)
    ctx = setup(settings.device)
    report = Reporter(enabled=ctx.main, live=request.live)
    if ignored:
        report.warn(Diagnostic("warning", "a resumed run keeps its settings: ignoring " + ", ".join(ignored),
                               hint=f"only {', '.join('--' + k for k in RESUME_FLAGS)} change on --resume; "
                                    "start a new run (--overwrite or another --out) to change the others"))
    try:
        with OutLock(seen) as lock:
            run = _set_up(ctx, spec, network, params, settings, state, request, raw, report, lock)
            for epoch in range(run.start + 1, run.settings.epochs + 1):
                if _end_epoch(run, *_train_epoch(run, epoch)):
                    break
            result = _finish(run)
            ctx.barrier()  # no process tears the group down while another still uses it
            return result
    except RuntimeError as e:
        diverged = overflow(e, settings.lr)
        if diverged is None:
            raise
        raise diverged from None
    finally:
        ctx.close()


def fit(spec, network: str | None, params: dict, flags: dict, out: str, *, resume: bool = False,
        overwrite: bool = False, download: bool = False, live: bool | None = None,
        raw: sources.Raw | None = None) -> dict:
    """:func:`train` with the settings given as a dict (``flags``: None values not given).

    >>> fit(load("specs/xo.nn"), None, {}, {"epochs": 5}, "runs/xo")   # doctest: +SKIP
    """
    request = TrainSettings(out, network, dict(params), Overrides(**flags), resume, overwrite, download, live)
    return train(spec, request, raw)


def _settings(spec, request: TrainSettings):
    """``(state, network, params, settings, ignored)``: the checkpoint resumed (or None), the
    network and its parameters (a resumed run's own), the run's settings, and the flags a
    resumed run does not follow. Nothing is written."""
    out, given = request.out, request.overrides.given()
    last_path = os.path.join(out, "last.pt")
    if not request.resume:
        if os.path.exists(last_path) and not request.overwrite:
            raise DataError(f"{out} already holds a run (last.pt)",
                            hint="continue it with --resume, replace it with --overwrite, or choose another --out")
        name = spec.network_name(request.network)
        try:
            settings = from_section(spec, name, spec.checked_graph(name, **request.params).train).merged(given)
        except ValueError as e:
            raise DataError(str(e)) from None
        return None, request.network, request.params, settings, []
    if not os.path.isfile(last_path):
        raise DataError(f"{out} holds no run to resume (no last.pt)", hint="start one without --resume")
    state = checkpoint.load(last_path)
    network, params = state["network"], state["params"]
    if list(state["spec"].values()) != list(spec.sources.values()):
        raise DataError(f"{spec.path} has changed since {last_path} was written",
                        hint="resume with the spec the run started with, or start a new run")
    settings = Settings(**state["settings"]).merged({k: given.get(k) for k in RESUME_FLAGS})
    ignored = _ignored_on_resume(given, request.network, request.params, settings, state,
                                 spec.checked_graph(network, **params).params, spec.typed)
    if state["epoch"] >= settings.epochs:
        raise DataError(f"{last_path} has already trained {state['epoch']} of {settings.epochs} epochs",
                        hint=f"raise --epochs above {state['epoch']} to train further")
    return state, network, params, settings, ignored


def _ignored_on_resume(flags: dict, network, params: dict, settings: Settings, state: dict,
                       run_params: dict, typed: dict[str, str] | None = None) -> list[str]:
    """The flags a resumed run does not follow, each with the value the run keeps:
    ``["--lr 0.5 (the run's is 0.001)", ...]``; a flag equal to the run's value is not listed.
    ``run_params`` are the run's network parameters, defaults included; ``typed`` the
    ``--set`` values as the user wrote them, which the list echoes."""
    out = []
    if network is not None and network != state["network"]:
        out.append(f"--network {network} (the run's is {state['network']})")
    for name, value in params.items():
        if run_params.get(name) != value:
            out.append(f"--set {name}={(typed or {}).get(name, value)} (the run's is {run_params.get(name, 'unset')})")
    for name, value in flags.items():
        if name not in RESUME_FLAGS and value is not None and value != getattr(settings, name):
            out.append(f"--{name.replace('_', '-')} {_shown(value)} (the run's is {_shown(getattr(settings, name))})")
    return out


def _shown(value) -> str:
    """A setting as typed: a list (``--freeze``) comma-joined."""
    return (", ".join(map(str, value)) or "none") if isinstance(value, list) else str(value)


@dataclass
class Run:
    """A run set up to train (:func:`_set_up`), and what its epochs so far have left."""

    ctx: Context
    report: Reporter
    out: str
    spec: Any
    network: str
    params: dict
    settings: Settings
    graph: Any
    prepared: Prepared
    source: str
    core: torch.nn.Module  # the network itself
    model: torch.nn.Module  # what trains: the network, wrapped by DDP and torch.compile when asked
    optimizer: torch.optim.Optimizer
    scheduler: Any
    scaler: torch.amp.GradScaler | None
    batcher: Batcher
    train_data: Data
    val_data: Data | None
    channels_last: bool
    frozen_norms: list
    history: list[dict] = field(default_factory=list)
    best: list[float] | None = None
    start: int = 0  # the epochs done before this process started
    plotted: float = field(default_factory=time.perf_counter)
    board: Any = None  # a TensorBoard writer, with --tensorboard
    lock: OutLock | None = None  # holds the output folder for the whole run (rank 0)

    @property
    def task(self) -> Task:
        return self.prepared.task

    @property
    def eval_model(self) -> torch.nn.Module:
        return self.core if self.ctx.active else self.model

    def path(self, name: str) -> str:
        return os.path.join(self.out, name)

    def warnings(self) -> list[Diagnostic]:
        return self.prepared.warnings + warnings_for(self.graph, self.task, self.settings, self.ctx.device)


def _set_up(ctx, spec, network, params, settings: Settings, state, request: TrainSettings, raw, report,
            lock: OutLock) -> Run:
    """Everything before the first epoch: data, model, optimizer, the restored state of a
    resumed run, the output folder; then the line that says what will train."""
    graph = spec.checked_graph(network, **params)
    network = graph.network
    from ..freeze import graph_paths

    check_patterns(settings.freeze, graph_paths(graph))  # before the data, which may take long to load
    if settings.tensorboard:
        board.require()
    prepared, settings, source, val_from = _data(graph, settings, state, request.download, raw)
    for warning in prepared.warnings + warnings_for(graph, prepared.task, settings, ctx.device):
        report.warn(warning, spec.sources)
    core, init_report, frozen_norms, channels_last = _network(spec, network, params, graph, settings, state, ctx.device)
    steps = len(epoch_batches(len(prepared.train), settings.batch_size, settings.seed, 1, ctx.rank, ctx.world))
    optimizer = make_optimizer([p for p in core.parameters() if p.requires_grad], settings)
    scheduler = schedules.make(optimizer, settings.schedule, settings.epochs, steps)
    scaler = torch.amp.GradScaler(ctx.device.type) if settings.amp == "fp16" else None
    history, best, start, respanned = [], None, 0, ""
    if state is not None:
        checkpoint.restore(os.path.join(request.out, "last.pt"), state, core, optimizer, scheduler, scaler,
                           f"`{network}` of {spec.path}")
        history, best, start = list(state["metrics"]), state["best"], state["epoch"]
        scheduler, respanned = _respanned(optimizer, scheduler, settings, state["settings"]["epochs"], steps, start)
    model = core
    if ctx.active:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(core, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    if settings.compile:
        model = torch.compile(model)
    train_data = prepared.train.to(ctx.device)
    val_data = prepared.val.to(ctx.device) if prepared.val else None
    run = Run(ctx=ctx, report=report, out=request.out, spec=spec, network=network, params=params, settings=settings,
              graph=graph, prepared=prepared, source=source, core=core, model=model, optimizer=optimizer,
              scheduler=scheduler, scaler=scaler,
              batcher=Batcher(train_data, ctx.device, channels_last, augments(settings.augment)),
              train_data=train_data, val_data=val_data, channels_last=channels_last, frozen_norms=frozen_norms,
              history=history, best=best, start=start, lock=lock)
    _open_folder(run, state is not None)
    if init_report is not None:
        report.say(f"init from {settings.init}: " + "\n  ".join(init_report.lines()))
    trainable, frozen = counts(core)
    report.say(
        f"training {network} on {source}: {len(train_data):,} examples"
        + (f", {len(val_data):,} for validation{val_from}" if val_data else ", no validation set")
        + f"; {run.task.name} ({run.task.loss_name})"
        + f"; {trainable + frozen:,} parameters"
        + (f" ({trainable:,} trainable, {frozen:,} frozen)" if frozen else "") + f" on {ctx.device}"
        + (f" x {ctx.world} processes" if ctx.active else "")
        + (f"; resuming after epoch {start}" if start else "") + respanned
    )
    run.plotted = time.perf_counter()
    return run


def _respanned(optimizer, scheduler, settings: Settings, spanned: int, steps: int, done: int):
    """A resumed run's scheduler, spanning its ``epochs`` when they are not the ``spanned``
    ones it started with (:func:`nnspec.train.schedules.respan`), and the words that say so."""
    if spanned == settings.epochs:
        return scheduler, ""
    fresh = schedules.respan(optimizer, settings.schedule, settings.epochs, steps, done)
    if fresh is None:
        return scheduler, ""
    return fresh, (f"; the {settings.schedule} schedule now spans {settings.epochs} epochs (was {spanned}): "
                   f"lr {optimizer.param_groups[0]['lr']:.4g} for epoch {done + 1}")


def _data(graph, settings: Settings, state, download: bool, raw):
    """``(prepared, settings, source, val_from)``: the run's examples split, encoded and
    checked, its task chosen; the settings with the source and the loss filled in; where the
    validation set comes from, in words."""
    infos = input_infos(graph)
    source = raw.source if raw is not None else settings.data or default_source(infos)
    settings = settings.merged({"data": source})
    seed_everything(settings.seed)
    if raw is None:
        raw = sources.load(source, infos, settings.seed, download, resize=settings.resize)
    validation = None
    if settings.val_data:
        validation = sources.load(settings.val_data, infos, settings.seed, download, resize=settings.resize)
        validation = (validation.test if validation.test is not None else validation).relabelled(raw.classes)
    prepared: Prepared = prepare(raw, infos, output_shape(graph), settings.val_split, settings.seed, settings.max_len,
                                 vocab=state["vocab"] if state else None, loss=settings.loss,
                                 hint=sequence_fix(graph), validation=validation, normalize=settings.normalize)
    val_from = f" ({settings.val_data})" if validation is not None else \
        " (the source's own held-out set)" if raw.test is not None and settings.val_split > 0 else ""
    screen_classes(raw)  # after the checks of shapes and ranges, which say more
    return prepared, settings.merged({"loss": prepared.task.loss_name}), source, val_from


def _network(spec, network: str, params: dict, graph, settings: Settings, state, device: torch.device):
    """``(core, init_report, frozen_norms, channels_last)``: the network built, initialised
    from ``--init`` (a fresh run's), frozen where asked, on the device."""
    core = spec.build(network, **params)
    if not any(True for _ in core.parameters()):  # the optimizer would refuse an empty list
        raise DataError(f"`{graph.network}` has no parameters: nothing would train",
                        hint="add a layer with weights (dense, conv, ...), or use the network as it is without training")
    init_report = initialise(core, settings.init) if settings.init and state is None else None
    frozen_norms = freeze(core, settings.freeze)
    grad = gradients(graph, settings.freeze or [])
    if not any(grad[i] for _, i in graph.outputs):  # the loss would have no gradient: backward fails
        raise DataError(f"no output of `{graph.network}` depends on a weight that trains: nothing would train",
                        hint="a layer that passes no gradient (`noise`), integer ids or frozen weights stand "
                             "between the weights and every output")
    core = core.to(device)
    channels_last = device.type == "cuda" and uses_conv2d(core)
    if channels_last:
        core = core.to(memory_format=torch.channels_last)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    return core, init_report, frozen_norms, channels_last


def _open_folder(run: Run, resumed: bool) -> None:
    """Create the output folder (rank 0; a failure stops every process), and clear the
    unfinished writes of an interrupted run; open the TensorBoard log when asked."""
    failure = None
    if run.ctx.main:
        s = run.settings
        try:
            weigh(run.graph, run.train_data.inputs, s.batch_size, run.ctx.device, s.amp, s.optimizer, s.freeze)
            with reported_write(run.out):
                os.makedirs(run.out, exist_ok=True)
                run.lock.take(run.out)  # held to the end of the run: a second run into `out` is refused
        except DataError as e:
            failure = e
        if resumed and failure is None:
            left = remove_temporaries(run.out)
            if left:
                run.report.say(f"removed {len(left)} unfinished write{'s' if len(left) > 1 else ''} "
                               f"of the interrupted run: {', '.join(left)}")
    run.ctx.settle(failure)
    if run.ctx.main and run.settings.tensorboard:
        run.board = board.writer(run.path(board.FOLDER))


def _train_epoch(run: Run, epoch: int) -> tuple[dict, float, int]:
    """One pass over the training batches: the epoch's row of training figures (``val_``
    figures None until :func:`_end_epoch`), when it started, and the examples it took."""
    s, task, device, optimizer = run.settings, run.task, run.ctx.device, run.optimizer
    started = time.perf_counter()
    train_mode(run.model, run.frozen_norms)
    batches = epoch_batches(len(run.train_data), s.batch_size, s.seed, epoch, run.ctx.rank, run.ctx.world)
    run.report.start_epoch(epoch, s.epochs, len(batches), task)
    sums = torch.zeros(task.width, device=device, dtype=torch.float64)
    count = 0
    lr = optimizer.param_groups[0]["lr"]
    per_step = run.scheduler if s.schedule in schedules.PER_STEP else None
    for xs, y in run.batcher(batches):
        with autocast(device, s.amp):
            pred = run.model(*xs).float()
        loss = task.loss(pred, y)
        optimizer.zero_grad(set_to_none=True)
        if run.scaler is not None:
            run.scaler.scale(loss).backward()
            if s.clip:
                run.scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(run.core.parameters(), s.clip)
            run.scaler.step(optimizer)
            run.scaler.update()
        else:
            loss.backward()
            if s.clip:
                torch.nn.utils.clip_grad_norm_(run.core.parameters(), s.clip)
            optimizer.step()
        if per_step is not None:
            per_step.step()
        sums += task.sums(pred.detach(), y, loss)
        count += len(y)
        run.report.step(sums, count, run.ctx.world)
    *totals, total_count = run.ctx.sum([*sums, torch.tensor(count, device=device)])
    figures = task.finish(totals)
    row = {"epoch": epoch, **{f"train_{k}": v for k, v in figures.items()}, **{f"val_{k}": None for k in figures},
           "lr": lr}
    return row, started, int(total_count)


def _end_epoch(run: Run, row: dict, started: float, examples: int) -> bool:
    """Validate, check that every figure and weight is finite, step an epoch's schedule, and
    write the epoch's files; True when the run stops early (``patience``)."""
    s, task = run.settings, run.task
    if run.val_data is not None and math.isfinite(row["train_loss"]):
        result = evaluate(run.eval_model, run.val_data, task, s.batch_size, run.ctx, s.amp, run.channels_last)
        row.update({k: result[k[len("val_"):]] for k in row if k.startswith("val_")})
    try:
        check_epoch(row, run.core, f" and {run.path('last.pt')} still holds epoch {run.history[-1]['epoch']}"
                    if run.history else " before any checkpoint")
    except NonFiniteLoss:
        run.report.abort()
        raise
    schedules.end_of_epoch(run.scheduler, s.schedule, row["val_loss"], row["train_loss"])
    seconds = time.perf_counter() - started
    row["seconds"] = seconds
    row["samples_per_second"] = examples / seconds
    run.history.append(row)
    run.report.end_epoch(row, s.epochs, task)
    score = _score(row, task)
    improved = run.best is None or score > run.best
    run.best = max(run.best or score, score)
    stopping = stale(run.history, task) >= s.patience > 0
    failure = None
    if run.ctx.main:
        try:
            _write_epoch(run, row, improved, stopping)
        except WriteError as e:
            failure = e
    run.ctx.settle(failure)  # a write that failed on rank 0 stops every process, not only rank 0
    if stopping:
        run.report.say(f"stopping early: no better validation score for {s.patience} epochs")
    return stopping


def _write_epoch(run: Run, row: dict, improved: bool, stopping: bool) -> None:
    """Rank 0's files after an epoch, each written atomically: metrics.jsonl, curves.png
    (after the last epoch, and at most once a minute before), best.pt when the score
    improved, last.pt; and the TensorBoard scalars."""
    epoch, history, task = row["epoch"], run.history, run.task
    snapshot = {
        "format": checkpoint.FORMAT, "model": run.core.state_dict(), "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
        "scaler": run.scaler.state_dict() if run.scaler is not None else None,
        "rng": checkpoint.rng_state(), "epoch": epoch, "spec": dict(run.spec.sources),
        "network": run.network, "params": dict(run.params), "vocab": run.prepared.vocab,
        "classes": run.prepared.classes, "settings": run.settings.to_dict(), "metrics": history, "best": run.best,
    }
    resumable = len(history) > 1  # last.pt holds the epoch before this one
    with reported_write(run.path("metrics.jsonl"), resumable):
        metrics.write_jsonl(run.path("metrics.jsonl"), history, task)
    if run.board is not None:
        board.add(run.board, row)
    if epoch == run.settings.epochs or stopping or time.perf_counter() - run.plotted > PLOT_EVERY:
        with reported_write(run.path("curves.png"), resumable):
            metrics.plot(run.path("curves.png"), history, f"{run.network} on {run.source}", task)
        run.plotted = time.perf_counter()
    if improved:
        with reported_write(run.path("best.pt"), resumable):
            checkpoint.save(snapshot, run.path("best.pt"))
    with reported_write(run.path("last.pt"), resumable):
        checkpoint.save(snapshot, run.path("last.pt"))


def _finish(run: Run) -> dict:
    """The closing lines (the best epoch, where the files are) and the run's result."""
    if run.board is not None:
        run.board.close()
    task = run.task
    best_row = max(run.history, key=lambda r: _score(r, task))
    shown = task.primary or "loss"
    run.report.say(
        f"best: epoch {best_row['epoch']}"
        + (f", val {metric_label(shown)} {best_row['val_' + shown]:.4f}" if best_row["val_loss"] is not None else "")
        + f"\n  checkpoints {run.path('best.pt')}, {run.path('last.pt')}\n  metrics     {run.path('metrics.jsonl')}"
        + f"\n  curves      {run.path('curves.png')}"
    )
    return {"history": run.history, "best": best_row, "out": run.out, "task": task.name, "loss": task.loss_name,
            "warnings": [w.message for w in run.warnings()]}


def stale(history: list[dict], task: Task) -> int:
    """Epochs since the best one (0: the last epoch is the best)."""
    scores = [_score(r, task) for r in history]
    return len(scores) - 1 - scores.index(max(scores))
