"""Golden diagnostics: each ``tests/errors/<case>.nn`` beside ``<case>.err``, the exact stderr
of ``nnspec check tests/errors/<case>.nn`` run from the repository root.

Regenerate with ``NNSPEC_REGEN=1 pytest`` (see tests/golden_files.py) and review the change
with ``git diff tests/errors``.
"""

from __future__ import annotations

import glob
import os

import pytest
from click.testing import CliRunner
from golden_files import assert_golden

from nnspec.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "tests", "errors", "*.nn")))


def _check(path: str):
    return CliRunner().invoke(main, ["check", path], catch_exceptions=False)


@pytest.mark.parametrize("case", CASES, ids=lambda p: os.path.basename(p)[:-3])
def test_golden_diagnostics(case, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = _check(case)
    golden = case[:-3] + ".err"
    assert_golden(golden, result.stderr)
    with open(golden, encoding="utf-8", newline="") as fh:
        expected = fh.read()
    has_error = any(": error:" in line or line.startswith("error:") for line in expected.splitlines())
    assert result.exit_code == (1 if has_error else 0)
    assert "Traceback" not in result.stderr + result.stdout


def test_there_are_enough_cases_and_each_has_its_golden_file():
    assert len(CASES) >= 30
    assert all(os.path.exists(os.path.join(ROOT, c[:-3] + ".err")) for c in CASES)


def test_one_typo_gives_one_syntax_error_never_a_cascade():
    """One character deleted or inserted in a line of a zoo spec: at most one syntax error."""
    import random

    from nnspec.diagnostics import Located, LocatedErrors
    from nnspec.frontend.parser import parse

    texts = []
    for path in sorted(glob.glob(os.path.join(ROOT, "specs", "*.nn"))):
        with open(path, encoding="utf-8") as fh:
            texts.append(fh.read())
    rnd = random.Random(7)
    counts = {0: 0, 1: 0}
    for _ in range(300):
        lines = rnd.choice(texts).split("\n")
        i = rnd.randrange(len(lines))
        if not lines[i].strip() or lines[i].lstrip().startswith("#"):
            continue
        j = rnd.randrange(len(lines[i]))
        insert = rnd.choice(["", *"(){}[],:=|-"])
        lines[i] = lines[i][:j] + insert + lines[i][j + (0 if insert else 1):]
        try:
            parse("\n".join(lines))
            n = 0
        except LocatedErrors as e:
            n = len(e.errors)
        except Located:
            n = 1
        assert n <= 1, lines[i]
        counts[n] += 1
    assert counts[1] > 100  # the typos do break the specs
