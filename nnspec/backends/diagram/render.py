"""Running Graphviz's ``dot`` on DOT text, and writing the results atomically."""

from __future__ import annotations

import os
import shutil
import subprocess

FORMATS = ("svg", "png", "pdf", "dot")
#: PNGs are for slides and READMEs: dense enough to stay sharp when scaled
PNG_DPI = 144

INSTALL_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
    "or `conda install graphviz`"
)


class RenderError(Exception):
    """``dot`` is missing or failed; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def format_of(path: str) -> str:
    """The output format named by a path's suffix (``out.svg`` -> ``svg``)."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext == "gv":
        return "dot"
    if ext not in FORMATS:
        raise RenderError(f"cannot write `{path}`: the suffix must be one of "
                          + ", ".join("." + f for f in FORMATS))
    return ext


def find_dot() -> str | None:
    return shutil.which("dot")


def render(dot_text: str, fmt: str) -> bytes:
    """Graphviz's rendering of ``dot_text`` as ``svg``, ``png`` or ``pdf`` bytes."""
    if fmt == "dot":
        return dot_text.encode()
    exe = find_dot()
    if exe is None:
        raise RenderError("Graphviz's `dot` program is not on the PATH", INSTALL_HINT)
    cmd = [exe, f"-T{fmt}"] + ([f"-Gdpi={PNG_DPI}"] if fmt == "png" else [])
    proc = subprocess.run(cmd, input=dot_text.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip() or f"exit status {proc.returncode}"
        raise RenderError(f"`dot` failed: {message}")
    return proc.stdout
