"""Quick fixes read from a diagnostic's hint: the edit the hint describes, where the
diagnostic points.

- ``did you mean `conv`?`` on a name: replace the name;
- ``insert `flatten` ... before `dense```: put ``flatten ->`` before the call;
- ``write `residual { ... } shortcut auto```: add ``shortcut auto`` after the residual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MEANT = re.compile(r"did you mean `([A-Za-z_][A-Za-z0-9_]*)`\?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Fix:
    """A text edit: replace the range's text (``at_end``: insert at its end; ``at_start``:
    insert at its start) with ``text``."""

    title: str
    text: str
    where: str  # "replace", "start" or "end"


def fixes(hint: str | None, covered: str) -> list[Fix]:
    """The fixes a hint offers for a diagnostic whose range holds the text ``covered``."""
    if not hint:
        return []
    out = []
    meant = _MEANT.search(hint)
    if meant and _NAME.fullmatch(covered) and meant.group(1) != covered:
        out.append(Fix(f"Replace `{covered}` with `{meant.group(1)}`", meant.group(1), "replace"))
    if hint.startswith("insert `flatten`"):
        out.append(Fix("Insert `flatten` before it", "flatten -> ", "start"))
    if "shortcut auto`" in hint and covered.startswith("residual") and covered.rstrip().endswith("}"):
        out.append(Fix("Add `shortcut auto`", " shortcut auto", "end"))
    return out
