"""What a person watching a run sees: a live bar on a terminal, one line per epoch otherwise."""

from __future__ import annotations

import sys
import time

import click


def epoch_line(row: dict, epochs: int) -> str:
    """``epoch  3/10  train loss 0.1234 acc 0.9612 | val loss 0.1410 acc 0.9550 | 2,345 samples/s 1.2s``."""
    parts = [f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}",
             f"train loss {row['train_loss']:.4f} acc {row['train_accuracy']:.4f}"]
    if row.get("val_loss") is not None:
        parts.append(f"val loss {row['val_loss']:.4f} acc {row['val_accuracy']:.4f}")
    parts.append(f"{row['samples_per_second']:,.0f} samples/s {row['seconds']:.1f}s")
    return "  ".join(parts[:2]) + " | " + " | ".join(parts[2:])


class Reporter:
    """Prints a run's progress. ``live`` draws a rich bar (a terminal on the main process);
    otherwise the bar is skipped and each epoch gives one plain line."""

    def __init__(self, enabled: bool = True, live: bool | None = None):
        self.enabled = enabled
        self.live = enabled and (sys.stdout.isatty() if live is None else live)
        self._progress = None

    def say(self, text: str) -> None:
        if self.enabled:
            click.echo(text)

    def warn(self, text: str, hint: str | None = None) -> None:
        """``warning: text`` on stderr (with its hint), as the command line prints diagnostics."""
        if self.enabled:
            from ..cli import report
            from ..diagnostics import Diagnostic

            report([Diagnostic("warning", text, hint=hint)], {})

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self._last = 0.0
        self._started = time.perf_counter()
        if not self.live:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn(f"epoch {epoch}/{epochs}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("train", total=steps, stats="")

    def step(self, loss_sum, correct, count: int, world: int = 1) -> None:
        """After a step; reads the running sums (a device sync) at most five times a second."""
        if self._progress is None:
            return
        now = time.perf_counter()
        if now - self._last < 0.2:
            self._progress.advance(self._task)
            return
        self._last = now
        rate = count * world / max(now - self._started, 1e-9)
        stats = f"loss {float(loss_sum) / count:.4f}  acc {float(correct) / count:.4f}  {rate:,.0f} samples/s"
        self._progress.update(self._task, advance=1, stats=stats)

    def abort(self) -> None:
        """Takes the bar off the screen (before an error is printed)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def end_epoch(self, row: dict, epochs: int) -> None:
        self.abort()
        self.say(epoch_line(row, epochs))
