"""One run at a time in an output folder: a second ``nnspec train`` into a folder in use is
refused by name and touches nothing; the lock goes with the run that held it, however it ends."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnspec.cli import main
from nnspec.train.errors import DataError
from nnspec.train.lock import LOCK_NAME, OutLock, signature

ROOT = Path(__file__).parent.parent
XO = str(ROOT / "specs" / "xo.nn")

pytestmark = pytest.mark.usefixtures("one_thread")


def train(*args):
    result = CliRunner().invoke(main, ["train", XO, "--data", "xo?n=60", "--epochs", "1", "--plain", *map(str, args)])
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


def contents(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_run_into_a_folder_in_use_is_refused_and_touches_nothing(tmp_path):
    out = tmp_path / "run"
    assert train("--out", out)[0] == 0
    before = contents(out)
    assert LOCK_NAME not in before  # a finished run leaves only its results
    # another run holds the folder (as a run in progress does: the flock of its lock file)
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b"4242\n")
    try:
        for flags in (["--overwrite"], ["--resume", "--epochs", "2"]):
            code, err = train("--out", out, *flags)
            assert (code, err) == (1, f"error: {out} is in use by another nnspec train run (process 4242)\n"
                                      "hint: wait for it to end, or choose another --out\n")
            assert {k: v for k, v in contents(out).items() if k != LOCK_NAME} == before
    finally:
        os.close(fd)
    assert train("--out", out, "--overwrite")[0] == 0  # released: the folder is free again


def test_a_new_folder_in_use_is_refused_too(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        code, err = train("--out", out)
    finally:
        os.close(fd)
    assert code == 1 and err.startswith(f"error: {out} is in use by another nnspec train run\n")
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


def test_a_run_that_wrote_while_this_one_started_is_not_mixed_with(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    seen = signature(str(out / "last.pt"))  # none yet: this run starts afresh
    (out / "last.pt").write_bytes(b"another run's checkpoint")
    with OutLock(seen) as lock, pytest.raises(DataError) as e:
        lock.take(str(out))
    assert e.value.message == f"another run wrote {out / 'last.pt'} while this one was starting"
    assert (out / "last.pt").read_bytes() == b"another run's checkpoint"
    assert sorted(p.name for p in out.iterdir()) == ["last.pt"]


def test_a_killed_run_leaves_the_folder_free(tmp_path):
    """The operating system releases a flock when its process dies: no stale lock to clear."""
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from nnspec.train.lock import OutLock\n"
                               "OutLock().take(sys.argv[1]); print('held', flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(DataError, match=f"process {holder.pid}"):
            OutLock().take(str(out))
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    time.sleep(0)
    with OutLock() as lock:
        lock.take(str(out))  # the dead run's lock file is taken over
        assert (out / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    assert not (out / LOCK_NAME).exists()
