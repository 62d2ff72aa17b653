"""The training loop over in-memory data, for any task of :mod:`nnspec.train.tasks`.

:func:`fit` is what ``nnspec train`` runs. Its order of work is what keeps a user's files
safe: the spec, the settings and the data are all checked before the output folder is
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

import numpy as np
import torch

from ..core.dims import shape_str
from ..diagnostics import Diagnostic
from ..files import remove_temporaries
from . import checkpoint, metrics, pixels, sources
from .config import Settings, from_section
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


def make_scheduler(optimizer, s: Settings):
    """Stepped once per epoch: ``cosine`` anneals to 0 over the run, ``step`` divides by 10
    after each third of it."""
    if s.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=s.epochs)
    if s.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, s.epochs // 3), gamma=0.1)
    return None


def respan(optimizer, settings: Settings, done: int):
    """The schedule of a resumed run whose ``epochs`` changed: a fresh one over the new total,
    stepped through the ``done`` epochs, so that every epoch from here on gets the rate a fresh
    run of that many epochs would (as in Keras and PyTorch, a schedule spans the whole run; a
    restored one would keep the old span: a cosine would reach 0 early, then climb again)."""
    import warnings

    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"]
    scheduler = make_scheduler(optimizer, settings)
    with warnings.catch_warnings():
        # stepping without an optimizer step is the point here, not the mistake torch warns of
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step", category=UserWarning)
        for _ in range(done):
            scheduler.step()
    return scheduler


class Batcher:
    """Gathers batches from in-memory data on the device, channels-last when asked."""

    def __init__(self, data: Data, device: torch.device, channels_last: bool, augment: bool = False):
        self.data = data
        self.device = device
        self.channels_last = channels_last
        self.augment = augment  # training images: random resized crops and flips (nnspec.train.pixels)

    def __call__(self, indices: list[torch.Tensor]):
        """The batches at ``indices`` in turn (streamed images decoded ahead by worker processes)."""
        for xs, y in self.data.batches(indices, self.device):
            if self.augment:
                xs = [pixels.augment(x) if x.dim() == 4 and x.is_floating_point() else x for x in xs]
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


def fit(spec, network: str | None, params: dict, flags: dict, out: str, *, resume: bool = False,
        overwrite: bool = False, download: bool = False, live: bool | None = None,
        raw: sources.Raw | None = None) -> dict:
    """Train a spec's network; returns ``{"history": [...], "best": row, "out": out}``.

    ``flags`` are settings given on the command line (None: not given); they override the
    spec's ``train`` section. A resumed run keeps the settings it started with, except
    ``epochs`` (to train longer), ``device``, ``compile`` and ``patience``. ``raw`` gives the examples
    directly (arrays in memory) instead of a data source; they are checked all the same.

    Raises :class:`DataError` (nothing written) for data that does not fit the spec, a run
    to resume that is missing, or an output folder holding another run; :class:`NonFiniteLoss`
    when the losses or the weights stop being finite (the last good checkpoint stays as it was).

    >>> fit(load("specs/xo.nn"), None, {}, {"epochs": 5}, "runs/xo")   # doctest: +SKIP
    """
    last_path = os.path.join(out, "last.pt")
    state, ignored = None, []
    seen = signature(last_path)  # what this run decides on; another run changing it is refused
    if resume:
        if not os.path.isfile(last_path):
            raise DataError(f"{out} holds no run to resume (no last.pt)", hint="start one without --resume")
        state = checkpoint.load(last_path)
        given_network, given_params = network, params
        network, params = state["network"], state["params"]
        if list(state["spec"].values()) != list(spec.sources.values()):
            raise DataError(f"{spec.path} has changed since {last_path} was written",
                            hint="resume with the spec the run started with, or start a new run")
        kept = {k: flags.get(k) for k in RESUME_FLAGS}
        settings = Settings(**state["settings"]).merged(kept)
        ignored = _ignored_on_resume(flags, given_network, given_params, settings, state,
                                     spec.checked_graph(network, **params).params, spec.typed)
        if state["epoch"] >= settings.epochs:
            raise DataError(f"{last_path} has already trained {state['epoch']} of {settings.epochs} epochs",
                            hint=f"raise --epochs above {state['epoch']} to train further")
    else:
        if os.path.exists(last_path) and not overwrite:
            raise DataError(f"{out} already holds a run (last.pt)",
                            hint="continue it with --resume, replace it with --overwrite, or choose another --out")
        name = spec.network_name(network)
        try:
            settings = from_section(spec, name, spec.checked_graph(name, **params).train).merged(flags)
        except ValueError as e:
            raise DataError(str(e)) from None
    ctx = setup(settings.device)
    report = Reporter(enabled=ctx.main, live=live)
    if ignored:
        report.warn(Diagnostic("warning", "a resumed run keeps its settings: ignoring " + ", ".join(ignored),
                               hint=f"only {', '.join('--' + k for k in RESUME_FLAGS)} change on --resume; "
                                    "start a new run (--overwrite or another --out) to change the others"))
    try:
        with OutLock(seen) as lock:
            return _fit(ctx, spec, network, params, settings, state, out, download, raw, report, lock)
    except RuntimeError as e:
        diverged = overflow(e, settings.lr)
        if diverged is None:
            raise
        raise diverged from None
    finally:
        ctx.close()


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


def _fit(ctx, spec, network, params, settings, state, out, download, raw, report, lock) -> dict:
    last_path, best_path = os.path.join(out, "last.pt"), os.path.join(out, "best.pt")
    graph = spec.checked_graph(network, **params)
    network = graph.network
    from ..freeze import graph_paths

    check_patterns(settings.freeze, graph_paths(graph))  # before the data, which may take long to load
    infos = input_infos(graph)
    output = output_shape(graph)
    source = raw.source if raw is not None else settings.data or default_source(infos)
    settings = settings.merged({"data": source})
    seed_everything(settings.seed)
    if raw is None:
        raw = sources.load(source, infos, settings.seed, download, resize=settings.resize)
    validation = None
    if settings.val_data:
        validation = sources.load(settings.val_data, infos, settings.seed, download, resize=settings.resize)
        validation = (validation.test if validation.test is not None else validation).relabelled(raw.classes)
    prepared: Prepared = prepare(raw, infos, output, settings.val_split, settings.seed, settings.max_len,
                                 vocab=state["vocab"] if state else None, loss=settings.loss,
                                 hint=sequence_fix(graph), validation=validation, normalize=settings.normalize)
    val_from = f" ({settings.val_data})" if validation is not None else \
        " (the source's own held-out set)" if raw.test is not None and settings.val_split > 0 else ""
    screen_classes(raw)  # after the checks of shapes and ranges, which say more
    task = prepared.task
    settings = settings.merged({"loss": task.loss_name})

    device = ctx.device
    for warning in prepared.warnings + warnings_for(graph, task, settings, device):
        report.warn(warning, spec.sources)
    core = spec.build(network, **params)
    if not any(True for _ in core.parameters()):  # the optimizer would refuse an empty list
        raise DataError(f"`{graph.network}` has no parameters: nothing would train",
                        hint="add a layer with weights (dense, conv, ...), or use the network as it is without training")
    init_report = initialise(core, settings.init) if settings.init and state is None else None
    frozen_norms = freeze(core, settings.freeze)
    core = core.to(device)
    channels_last = device.type == "cuda" and uses_conv2d(core)
    if channels_last:
        core = core.to(memory_format=torch.channels_last)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    optimizer = make_optimizer([p for p in core.parameters() if p.requires_grad], settings)
    scheduler = make_scheduler(optimizer, settings)
    scaler = torch.amp.GradScaler(device.type) if settings.amp == "fp16" else None
    history, best, start, respanned = [], None, 0, ""
    if state is not None:
        checkpoint.restore(os.path.join(out, "last.pt"), state, core, optimizer, scheduler, scaler,
                           f"`{network}` of {spec.path}")
        history, best, start = list(state["metrics"]), state["best"], state["epoch"]
        spanned = state["settings"]["epochs"]
        if scheduler is not None and spanned != settings.epochs:
            scheduler = respan(optimizer, settings, start)
            respanned = (f"; the {settings.schedule} schedule now spans {settings.epochs} epochs (was {spanned}): "
                         f"lr {optimizer.param_groups[0]['lr']:.4g} for epoch {start + 1}")
    model = core
    if ctx.active:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(core, device_ids=[device.index] if device.type == "cuda" else None)
    if settings.compile:
        model = torch.compile(model)
    eval_model = core if ctx.active else model

    train_data, val_data = prepared.train.to(device), prepared.val.to(device) if prepared.val else None
    failure = None
    if ctx.main:
        try:
            weigh(graph, train_data.inputs, settings.batch_size, device, settings.amp)  # before anything is written
            with reported_write(out):
                os.makedirs(out, exist_ok=True)
                lock.take(out)  # held to the end of the run: a second run into `out` is refused
        except DataError as e:
            failure = e
        if state is not None and failure is None:
            left = remove_temporaries(out)
            if left:
                report.say(f"removed {len(left)} unfinished write{'s' if len(left) > 1 else ''} "
                           f"of the interrupted run: {', '.join(left)}")
    ctx.settle(failure)
    if init_report is not None:
        report.say(f"init from {settings.init}: " + "\n  ".join(init_report.lines()))
    trainable, frozen = counts(core)
    report.say(
        f"training {network} on {source}: {len(train_data):,} examples"
        + (f", {len(val_data):,} for validation{val_from}" if val_data else ", no validation set")
        + f"; {task.name} ({task.loss_name})"
        + f"; {trainable + frozen:,} parameters"
        + (f" ({trainable:,} trainable, {frozen:,} frozen)" if frozen else "") + f" on {device}"
        + (f" x {ctx.world} processes" if ctx.active else "")
        + (f"; resuming after epoch {start}" if start else "") + respanned
    )
    batcher = Batcher(train_data, device, channels_last, settings.augment)
    plotted = time.perf_counter()
    for epoch in range(start + 1, settings.epochs + 1):
        started = time.perf_counter()
        train_mode(model, frozen_norms)
        batches = epoch_batches(len(train_data), settings.batch_size, settings.seed, epoch, ctx.rank, ctx.world)
        report.start_epoch(epoch, settings.epochs, len(batches), task)
        sums = torch.zeros(task.width, device=device, dtype=torch.float64)
        count = 0
        lr = optimizer.param_groups[0]["lr"]
        for xs, y in batcher(batches):
            with autocast(device, settings.amp):
                pred = model(*xs).float()
            loss = task.loss(pred, y)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                if settings.clip:
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(core.parameters(), settings.clip)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                if settings.clip:
                    torch.nn.utils.clip_grad_norm_(core.parameters(), settings.clip)
                optimizer.step()
            sums += task.sums(pred.detach(), y, loss)
            count += len(y)
            report.step(sums, count, ctx.world)
        if scheduler is not None:
            scheduler.step()
        *totals, total_count = ctx.sum([*sums, torch.tensor(count, device=device)])
        n = int(total_count)
        figures = task.finish(totals)
        train_loss = figures["loss"]
        row = {"epoch": epoch, **{f"train_{k}": v for k, v in figures.items()},
               **{f"val_{k}": None for k in figures}, "lr": lr}
        if val_data is not None and math.isfinite(train_loss):
            result = evaluate(eval_model, val_data, task, settings.batch_size, ctx, settings.amp, channels_last)
            row.update({f"val_{k}": result[k] for k in figures})
        try:
            check_epoch(row, core, f" and {last_path} still holds epoch {history[-1]['epoch']}" if history
                        else " before any checkpoint")
        except NonFiniteLoss:
            report.abort()
            raise
        seconds = time.perf_counter() - started
        row["seconds"] = seconds
        row["samples_per_second"] = n / seconds
        history.append(row)
        report.end_epoch(row, settings.epochs, task)
        improved = best is None or _score(row, task) > best
        best = max(best or _score(row, task), _score(row, task))
        failure = None
        if ctx.main:
            try:
                snapshot = {
                    "format": checkpoint.FORMAT, "model": core.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "scaler": scaler.state_dict() if scaler is not None else None,
                    "rng": checkpoint.rng_state(), "epoch": epoch, "spec": dict(spec.sources),
                    "network": network, "params": dict(params), "vocab": prepared.vocab, "classes": prepared.classes,
                    "settings": settings.to_dict(), "metrics": history, "best": best,
                }
                resumable = len(history) > 1  # last.pt holds the epoch before this one
                stopping = stale(history, task) >= settings.patience > 0
                with reported_write(os.path.join(out, "metrics.jsonl"), resumable):
                    metrics.write_jsonl(os.path.join(out, "metrics.jsonl"), history, task)
                if epoch == settings.epochs or stopping or time.perf_counter() - plotted > PLOT_EVERY:
                    with reported_write(os.path.join(out, "curves.png"), resumable):
                        metrics.plot(os.path.join(out, "curves.png"), history, f"{network} on {source}", task)
                    plotted = time.perf_counter()
                if improved:
                    with reported_write(best_path, resumable):
                        checkpoint.save(snapshot, best_path)
                with reported_write(last_path, resumable):
                    checkpoint.save(snapshot, last_path)
            except WriteError as e:
                failure = e
        ctx.settle(failure)  # a write that failed on rank 0 stops every process, not only rank 0
        if stale(history, task) >= settings.patience > 0:
            report.say(f"stopping early: no better validation score for {settings.patience} epochs")
            break
    best_row = max(history, key=lambda r: _score(r, task))
    shown = task.primary or "loss"
    report.say(
        f"best: epoch {best_row['epoch']}"
        + (f", val {metric_label(shown)} {best_row['val_' + shown]:.4f}" if best_row["val_loss"] is not None else "")
        + f"\n  checkpoints {best_path}, {last_path}\n  metrics     {os.path.join(out, 'metrics.jsonl')}"
        + f"\n  curves      {os.path.join(out, 'curves.png')}"
    )
    return {"history": history, "best": best_row, "out": out, "task": task.name, "loss": task.loss_name,
            "warnings": [w.message for w in prepared.warnings + warnings_for(graph, task, settings, device)]}


def stale(history: list[dict], task: Task) -> int:
    """Epochs since the best one (0: the last epoch is the best)."""
    scores = [_score(r, task) for r in history]
    return len(scores) - 1 - scores.index(max(scores))
