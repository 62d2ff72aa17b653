"""The diagram's look: colours by layer family, fonts, and the HTML-like labels Graphviz draws.

Pastel fills with a darker outline of the same hue read well both on a slide and in print.
"""

from __future__ import annotations

import zlib
from html import escape

FONT = "Helvetica,Arial,sans-serif"
TEXT = "#1f2937"
MUTED = "#6b7280"
EDGE = "#4b5563"
SHORTCUT = "#8896ab"

#: family -> (fill, outline); a family not listed takes a colour from SPARE by its name
FAMILIES: dict[str, tuple[str, str]] = {
    "io": ("#eceff1", "#607d8b"),
    "conv": ("#dcebfa", "#3b78b8"),
    "dense": ("#e6ddf5", "#6a4fa3"),
    "recurrent": ("#fbdde4", "#c2416b"),
    "embedding": ("#fff3c4", "#b8901a"),
    "norm": ("#ddf2e3", "#3f9e5f"),
    "activation": ("#fde9d2", "#d9822b"),
    "pool": ("#d6f0f0", "#2a8c8c"),
    "merge": ("#ffffff", "#4b5563"),
    "reshape": ("#f1f1f1", "#8a8a8a"),
    "regularize": ("#eef3e2", "#7c8f3c"),
    "attention": ("#fbe9e7", "#bf360c"),
    "resize": ("#e0f2f1", "#00796b"),
    "block": ("#e8eaf6", "#3f51b5"),
}
SPARE = [("#f3e5f5", "#8e44ad"), ("#e0f2f1", "#00796b"), ("#fbe9e7", "#bf360c"), ("#f9fbe7", "#827717")]

CLUSTER = {
    "block": {"fill": "#f7f9fc", "line": "#9aa9bf", "style": "rounded,filled"},
    "label": {"fill": "#fbfbf8", "line": "#c3c0b3", "style": "rounded,filled"},
    "repeat": {"fill": "#fbfbf8", "line": "#c3c0b3", "style": "rounded,filled"},
    "each": {"fill": "#fff8ee", "line": "#d9a45b", "style": "rounded,filled,dashed"},
}


def colours(family: str) -> tuple[str, str]:
    """(fill, outline) of a family; stable for families added later."""
    if family in FAMILIES:
        return FAMILIES[family]
    return SPARE[zlib.crc32(family.encode()) % len(SPARE)]


def quote(text: str) -> str:
    """A DOT quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def html(text: object) -> str:
    return escape(str(text), quote=True)


def small(text: str, colour: str = MUTED, size: int = 9) -> str:
    return f'<font point-size="{size}" color="{colour}">{html(text)}</font>'


def bold_head(text: str) -> str:
    """``conv 64 3×3 /2`` with the kind in bold."""
    head, _, rest = text.partition(" ")
    return f"<b>{html(head)}</b>" + (f" {html(rest)}" if rest else "")


def count(n: int) -> str:
    """``1,219,584``: block totals are exact."""
    return f"{n:,}"
