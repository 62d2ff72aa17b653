"""Each phase imports only earlier ones: frontend → core → backends → train → the API
(nnspec.spec) → cli. Checked here for backends and train (whose imports of train, of the API
and of the command line moved down: the export of a checkpoint to train, the printing of
diagnostics to nnspec.diagnostics)."""

from __future__ import annotations

import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "nnspec")
LATER = {"backends": ("nnspec.train", "nnspec.spec", "nnspec.cli"), "train": ("nnspec.spec", "nnspec.cli")}


def imports(path: str, package: str) -> list[tuple[int, str]]:
    """Every module ``path`` imports (at the top or inside a function), as absolute names."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            # a module a.b.c (or a.b.c.__init__) is in package a.b: level 1 is a.b, level 2 a
            base = package.split(".")[: len(package.split(".")) - node.level] if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            out += [(node.lineno, name)] if node.module else [(node.lineno, f"{name}.{a.name}") for a in node.names]
    return out


def modules(phase: str):
    for folder, _, files in os.walk(os.path.join(ROOT, phase)):
        for f in sorted(files):
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, f), os.path.dirname(ROOT))
                yield os.path.join(folder, f), rel[:-3].replace(os.sep, ".")


@pytest.mark.parametrize("phase", sorted(LATER))
def test_a_phase_imports_no_later_one(phase):
    found = [f"{os.path.relpath(path, ROOT)}:{line} imports {name}"
             for path, package in modules(phase) for line, name in imports(path, package)
             if name.startswith(LATER[phase])]
    assert found == []


def test_the_check_sees_relative_imports_at_any_depth(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from ..cli import report\n\ndef f():\n    from ...spec import load\n    from . import data\n")
    assert imports(str(planted), "nnspec.train.sub.planted") == [
        (1, "nnspec.train.cli"), (4, "nnspec.spec"), (5, "nnspec.train.sub.data")]
    assert imports(str(planted), "nnspec.train.planted")[0] == (1, "nnspec.cli")
