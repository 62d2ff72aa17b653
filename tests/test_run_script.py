"""`./run`'s choice of PyTorch (NNSPEC_TORCH): a choice it does not know, or `existing` where
python3 has no torch, stops it before it touches .venv or the system."""

from __future__ import annotations

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_script(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(ROOT, "run"), "lint"], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=60, check=False)


def test_an_unknown_choice_is_a_usage_error():
    done = run_script({"NNSPEC_TORCH": "gpu"})
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "NNSPEC_TORCH must be cpu, cuda or existing, not 'gpu'\n")


def test_existing_needs_a_python3_that_imports_torch(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")  # a python3 without torch
    fake.chmod(0o755)
    done = run_script({"NNSPEC_TORCH": "existing", "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"NNSPEC_TORCH=existing, but {fake} cannot import torch\n"
                           "install torch for it first, or choose NNSPEC_TORCH=cpu or cuda\n")
