"""The code is clean under the project's ruff rules (pyproject.toml), so that a change that
breaks them fails the suite every helper runs, not only CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    assert ruff, "ruff is missing: install the test extra (pip install -e '.[test]')"
    proc = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", ROOT], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
