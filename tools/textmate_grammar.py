"""Bring the VS Code grammar's list of layer kinds up to date with the registry.

The TextMate grammar (editors/vscode/syntaxes/nnspec.tmLanguage.json) is data that VS Code
reads as it is, so it cannot ask the registry; this writes the registry's kinds into its
`layer` rule. tests/test_editors.py fails, naming this script, when a kind is missing::

    .venv/bin/python tools/textmate_grammar.py
"""

from __future__ import annotations

import json
import os

from nnspec.core.catalogue import kinds
from nnspec.files import atomic_write

GRAMMAR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "editors", "vscode", "syntaxes", "nnspec.tmLanguage.json")


def main() -> None:
    with open(GRAMMAR, encoding="utf-8") as fh:
        grammar = json.load(fh)
    grammar["repository"]["layer"]["match"] = r"\b(" + "|".join(kinds()) + r")\b"
    text = json.dumps(grammar, indent=2) + "\n"
    atomic_write(GRAMMAR, lambda fh: fh.write(text.encode("utf-8")))
    print(f"{os.path.relpath(GRAMMAR)}: {len(kinds())} layer kinds")


if __name__ == "__main__":
    main()
