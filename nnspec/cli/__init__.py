"""The ``nnspec`` command line. Exit codes: 0 success, 1 a spec or data error, 2 a usage error.

Each command imports what it needs inside its body, so that ``check``, ``summary``,
``diagram`` and ``fmt`` never import torch.
"""

from __future__ import annotations

import contextlib
import sys
from typing import ClassVar

import click

from ..diagnostics import Diagnostic, NetworkChoiceError, SpecError, report
from ..diagnostics import colour as _color  # noqa: F401 -- the commands import it from here


def fail(e: SpecError) -> None:
    """Print a spec's errors and end the command: exit status 1, or 2 when the error is the
    choice of network (``--network`` missing for a file of several, or naming none of them):
    a usage error, as a bad option value is."""
    report(e.diagnostics, e.sources)
    sys.exit(2 if isinstance(e, NetworkChoiceError) else 1)


@contextlib.contextmanager
def reported(*errors: type[Exception]):
    """Run a command's work; a :class:`SpecError`, or one of ``errors`` (an error of data, an
    export or an explanation: each has a ``message`` and a ``hint``), is printed on stderr as
    a diagnostic and ends the command with exit status 1, never a traceback."""
    try:
        yield
    except SpecError as e:
        fail(e)
    except errors as e:
        if not getattr(e, "quiet", False):  # quiet: another process (rank 0 of a DDP run) said it
            report([Diagnostic("error", e.message, hint=e.hint)], {})
        sys.exit(1)


def parse_sets(values: tuple[str, ...]) -> dict:
    """``--set classes=5`` pairs to network parameter overrides."""
    out = {}
    for item in values:
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        out[name.strip()] = parse_literal(text.strip())
    return out


def parse_literal(text: str):
    """A ``--set`` value read as a spec reads a literal: an integer of at most 64 bits, a
    finite number, true/false, else text (a number too large is refused, echoed as typed)."""
    import math
    import re

    if text in ("true", "false"):
        return text == "true"
    number = re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", text)
    if number is None:
        return text
    shown = text if len(text) <= 24 else text[:21] + "..."
    if number.group(2) is None and "." not in text:
        value = int(text) if len(text) <= 30 else None  # longer never fits in 64 bits
        if value is not None and value.bit_length() <= 63:
            return value
        raise click.BadParameter(f"the number {shown} is too large: integers have at most 64 bits",
                                 param_hint="--set")
    value = float(text)
    if not math.isfinite(value):
        raise click.BadParameter(f"the number {shown} is too large", param_hint="--set")
    return value


def load_spec(path: str, sets: tuple[str, ...] = ()):
    """The spec at ``path``; ``sets`` (the raw ``--set`` items) let its messages echo each value
    as typed."""
    from ..spec import load

    spec = load(path)
    spec.typed = {name.strip(): text.strip() for name, _, text in (item.partition("=") for item in sets)}
    return spec


def spec_and_weights(file: str | None, weights: str | None):
    """The spec and the checkpoint a command reads: FILE with ``--weights``, or a checkpoint
    alone (as FILE, or as ``--weights`` without FILE), whose stored copy of the spec is used.
    A :class:`~nnspec.train.errors.DataError` for a checkpoint that cannot be read."""
    if weights is None and (file is None or file.endswith(".nn")):
        raise click.UsageError("give a checkpoint (e.g. runs/xo/best.pt), or the spec FILE and --weights CHECKPOINT")
    if weights is None:
        file, weights = None, file
    if file is None:
        from ..spec import Spec

        return Spec.from_checkpoint(weights), weights
    return load_spec(file), weights


def weights_option(fn):
    """``--weights``: a checkpoint; not needed when FILE is the checkpoint."""
    return click.option("--weights", "-w", type=click.Path(dir_okay=False),
                        help="A checkpoint (best.pt or last.pt); FILE may be the checkpoint itself, "
                             "whose stored spec is used.")(fn)


set_option = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override a network parameter.")
network_option = click.option("--network", "-n", metavar="NAME", help="Which network of the file (default: the only one).")


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it), so that a
    fast command never pays for another's imports."""

    commands_at: ClassVar[dict[str, str]] = {
        "check": "check",
        "summary": "summary",
        "diagram": "diagram",
        "compile": "compile",
        "train": "train",
        "evaluate": "evaluate",
        "predict": "predict",
        "export": "export",
        "explain": "explain",
        "fmt": "fmt",
        "layers": "layers",
        "lsp": "lsp",
        "view": "view",
    }

    def list_commands(self, ctx):
        return [name for name in self.commands_at if self._find(name)]

    @staticmethod
    def _find(name: str) -> bool:
        import importlib.util

        return importlib.util.find_spec(f"nnspec.cli.commands.{LazyGroup.commands_at[name]}") is not None

    def get_command(self, ctx, name):
        if name not in self.commands_at or not self._find(name):
            return None
        import importlib

        return importlib.import_module(f"nnspec.cli.commands.{self.commands_at[name]}").command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nnspec")
def main():
    """nnspec: declare a neural network in a .nn file; check, summarise, draw, compile and train it."""
