"""Golden files: what the code gives now, compared with what it gave when last reviewed.

``NNSPEC_REGEN=1 pytest`` rewrites every golden file of the suite (generated source,
diagrams, diagnostics, summaries, docs/layers.md, the parser tables) from the code as it is;
review the change with ``git diff``. It is the suite's only such switch.
"""

from __future__ import annotations

import os

REGEN = os.environ.get("NNSPEC_REGEN", "") not in ("", "0")


def assert_golden(path: str | os.PathLike, text: str) -> None:
    """``text`` equals the golden file at ``path`` (written first when regenerating)."""
    if REGEN:
        os.makedirs(os.path.dirname(os.fspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    assert os.path.exists(path), f"no golden file {path}; write it with NNSPEC_REGEN=1 and review it"
    with open(path, encoding="utf-8", newline="") as fh:
        assert text == fh.read(), f"{path} differs; if the change is meant, NNSPEC_REGEN=1 and review `git diff`"
