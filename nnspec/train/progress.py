"""What a person watching a run sees: a live bar on a terminal, one line per epoch otherwise."""

from __future__ import annotations

import sys
import time

import click

SHORT = {"accuracy": "acc", "pixel_accuracy": "pixel acc", "mean_iou": "mIoU"}


def figures_text(figures: dict, task, sep: str = " ") -> str:
    """``loss 0.1234 acc 0.9612`` (``mae``, ``mIoU``... for other tasks)."""
    return sep.join([f"loss {figures['loss']:.4f}"] + [f"{SHORT.get(k, k)} {figures[k]:.4f}" for k in task.metrics])


def _figures(row: dict, part: str, task) -> str:
    return figures_text({k: row[f"{part}_{k}"] for k in ("loss", *task.metrics)}, task)


def epoch_line(row: dict, epochs: int, task) -> str:
    """``epoch  3/10  train loss 0.1234 acc 0.9612 | val loss 0.1410 acc 0.9550 | 2,345 samples/s 1.2s``."""
    parts = [f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}", "train " + _figures(row, "train", task)]
    if row.get("val_loss") is not None:
        parts.append("val " + _figures(row, "val", task))
    parts.append(f"{row['samples_per_second']:,.0f} samples/s {row['seconds']:.1f}s")
    return "  ".join(parts[:2]) + " | " + " | ".join(parts[2:])


def clock(seconds: float) -> str:
    """``0:07`` / ``12:05`` / ``1:02:03``."""
    s = round(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


class Reporter:
    """Prints a run's progress. ``live`` draws a rich bar (a terminal on the main process);
    otherwise the bar is skipped and each epoch gives one plain line.

    The bar shows the running loss and metrics, the throughput, and two estimates of the time
    left: for this epoch (from its steps so far) and for the whole run (adding the remaining
    epochs at the mean length of those finished, or of this one while it is the first).
    """

    def __init__(self, enabled: bool = True, live: bool | None = None):
        self.enabled = enabled
        self.live = enabled and (sys.stdout.isatty() if live is None else live)
        self._progress = None
        self._durations: list[float] = []

    def say(self, text: str) -> None:
        if self.enabled:
            click.echo(text)

    def warn(self, diagnostic, sources: dict | None = None) -> None:
        """A warning (a :class:`~nnspec.diagnostics.Diagnostic`) on stderr, rendered as the
        command line prints the spec's diagnostics (``sources``: to quote its line)."""
        if self.enabled:
            from ..diagnostics import report

            report([diagnostic], sources or {})

    def start_epoch(self, epoch: int, epochs: int, steps: int, task) -> None:
        self._last = 0.0
        self._started = time.perf_counter()
        self._task_kind = task
        self._left = epochs - epoch  # epochs after this one
        self._steps, self._done = steps, 0
        if not self.live:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn(f"epoch {epoch}/{epochs}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TextColumn("{task.fields[eta]}"),
            transient=True,
        )
        self._progress.start()
        self._bar = self._progress.add_task("train", total=steps, stats="", eta="")

    def step(self, sums, count: int, world: int = 1) -> None:
        """After a step; reads the running sums (a device sync) at most five times a second."""
        if self._progress is None:
            return
        self._done += 1
        now = time.perf_counter()
        if now - self._last < 0.2:
            self._progress.advance(self._bar)
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        stats = figures_text(self._task_kind.finish(sums), self._task_kind, "  ") \
            + f"  {count * world / elapsed:,.0f} samples/s"
        epoch_left = elapsed / self._done * (self._steps - self._done)
        per_epoch = sum(self._durations) / len(self._durations) if self._durations else elapsed + epoch_left
        eta = f"eta {clock(epoch_left)}" + (f" (run {clock(epoch_left + self._left * per_epoch)})" if self._left else "")
        self._progress.update(self._bar, advance=1, stats=stats, eta=eta)

    def abort(self) -> None:
        """Takes the bar off the screen (before an error is printed)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def end_epoch(self, row: dict, epochs: int, task) -> None:
        self.abort()
        self._durations.append(row["seconds"])
        self.say(epoch_line(row, epochs, task))
