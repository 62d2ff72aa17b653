"""Data-parallel training under torchrun: two CPU processes with the gloo backend, on one
node (--standalone) and as two nodes over 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import torch
from click.testing import CliRunner

from nnspec.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XO = os.path.join(ROOT, "specs", "xo.nn")
BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_nodes_of_one_process_match_one_process_with_twice_the_batch(tmp_path):
    # the README's multi-node command, both "machines" on 127.0.0.1: one torchrun per node, rank 0's
    # hosting the rendezvous (the single-node --standalone launch is tested below)
    flags = ["--data", "xo?n=400", "--epochs", "2", "--lr", "0.02", "--seed", "4", "--plain"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    nnspec_bin = shutil.which("nnspec", path=BIN) or "nnspec"
    port = str(free_port())
    nodes = [subprocess.Popen(
        [os.path.join(BIN, "torchrun"), "--nnodes", "2", "--node-rank", str(rank), "--nproc-per-node", "1",
         "--master-addr", "127.0.0.1", "--master-port", port, "--no-python", nnspec_bin,
         "train", XO, "--out", str(tmp_path / "ddp"), "--batch-size", "32", *flags],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rank in (0, 1)]
    try:
        # generous: on a loaded machine four Python processes import torch before the first step
        outputs = [node.communicate(timeout=600) for node in nodes]
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
                node.wait()
    done = subprocess.CompletedProcess([], nodes[0].returncode, *outputs[0])
    assert nodes[1].returncode == 0, outputs[1][1][-3000:]
    assert "training XO" not in outputs[1][0]  # the second node's process is rank 1: it says nothing
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == ["best.pt", "curves.png", "last.pt", "metrics.jsonl"]
    assert done.stdout.count("training XO on xo?n=400") == 1  # only rank 0 speaks
    assert "on cpu x 2 processes" in done.stdout
    rows = [json.loads(line) for line in (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]

    # Each step of the two processes sees, together, the indices of one step of a single
    # process with twice the batch, and DDP averages their gradients: the same training.
    torch.set_num_threads(1)
    single = CliRunner().invoke(main, ["train", XO, "--out", str(tmp_path / "one"), "--batch-size", "64", *flags])
    assert single.exit_code == 0, single.output
    a, b = (torch.load(tmp_path / d / "last.pt", weights_only=True) for d in ("ddp", "one"))
    for key in a["model"]:
        torch.testing.assert_close(a["model"][key], b["model"][key], rtol=1e-5, atol=1e-6)
    assert a["metrics"][-1]["val_accuracy"] == b["metrics"][-1]["val_accuracy"]


FAILING_RANK0 = """
import errno, os, sys

real_replace = os.replace

def failing_replace(src, dst):  # rank 0's disk is full when it writes last.pt
    if os.environ["RANK"] == "0" and os.path.basename(dst) == "last.pt":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    real_replace(src, dst)

os.replace = failing_replace
from nnspec.cli import main
sys.exit(main())
"""


def test_a_failed_write_on_rank_0_stops_every_process_with_one_message(tmp_path):
    # before: rank 1 waited at the barrier after the writes, and died of the lost connection
    # with a traceback once rank 0 had gone
    script = tmp_path / "failing.py"
    script.write_text(FAILING_RANK0)
    out = tmp_path / "ddp"
    done = subprocess.run(
        [os.path.join(BIN, "torchrun"), "--standalone", "--nproc-per-node", "2", str(script),
         "train", XO, "--out", str(out), "--data", "xo?n=200", "--epochs", "2", "--plain"],
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ROOT}, capture_output=True, text=True, timeout=600,
        check=False,
    )
    assert done.returncode == 1
    message = f"error: disk full while writing {out}/last.pt; it was not created\nhint: free some disk space\n"
    assert done.stderr.count(message) == 1
    assert "[rank1]" not in done.stderr and "[rank0]" not in done.stderr  # no process's traceback
    assert "epoch 2/2" not in done.stdout and done.stdout.count("epoch 1/2") == 1
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "metrics.jsonl"]
