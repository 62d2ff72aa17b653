"""The training loop end to end: learning, files, resume after SIGKILL, divergence, bad data, evaluate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.train import checkpoint
from nnspec.train.assess import assess
from nnspec.train.errors import DataError
from nnspec.train.loop import NonFiniteLoss, fit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XO = os.path.join(ROOT, "specs", "xo.nn")
XO_TEXT = Path(XO).read_text()
SMALL_LSTM = {"vocab": 60, "dim": 16, "hidden": 16}


pytestmark = pytest.mark.usefixtures("one_thread")


def run(out, spec=XO, params=None, **flags):
    return fit(nnspec.load(spec), None, params or {}, flags, str(out), live=False)


def snapshot(directory) -> dict:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())} if directory.exists() else {}


def test_xo_reaches_full_validation_accuracy(tmp_path, capsys):
    result = run(tmp_path, epochs=6, lr=0.02, seed=1)
    assert result["best"]["val_accuracy"] == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "curves.png", "last.pt", "metrics.jsonl"]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert set(rows[0]) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] and rows[0]["lr"] == 0.02
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert printed.startswith("training XO on xo: 1,080 examples, 120 for validation; classification (ce); "
                              "170 parameters on cpu\n")
    assert "epoch 6/6  train loss" in printed and f"checkpoints {tmp_path}/best.pt" in printed

    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["epoch"] == 6 and state["network"] == "XO" and state["classes"] == ["X", "O"]
    assert state["spec"] == {XO: XO_TEXT} and state["settings"]["lr"] == 0.02
    assert set(state["rng"]) == {"torch", "cuda", "numpy", "python"}
    model = nnspec.load(XO).build()
    model.load_state_dict(state["model"])

    fresh = assess(nnspec.load(XO), str(tmp_path / "best.pt"))
    assert fresh["data"] == "xo" and fresh["examples"] == 1200 and fresh["accuracy"] > 0.99


def test_seed_makes_runs_identical_and_settings_come_from_the_section(tmp_path):
    spec = tmp_path / "xo.nn"
    spec.write_text(XO_TEXT.replace("input image", "train {\n    epochs = 2\n    lr = 0.02\n    optimizer = sgd\n"
                                            "    batch_size = 100\n  }\n  input image"))
    a = run(tmp_path / "a", spec=str(spec), data="xo?n=300", seed=5)
    b = run(tmp_path / "b", spec=str(spec), data="xo?n=300", seed=5, epochs=3)  # a flag wins over the section
    assert len(a["history"]) == 2 and len(b["history"]) == 3
    assert [r["train_loss"] for r in a["history"]] == [r["train_loss"] for r in b["history"][:2]]
    settings = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["settings"]
    assert (settings["optimizer"], settings["batch_size"], settings["epochs"]) == ("sgd", 100, 3)


def test_unknown_setting_in_the_train_section(tmp_path):
    spec = tmp_path / "xo.nn"
    spec.write_text(XO_TEXT.replace("input image", "train {\n    epoch = 2\n  }\n  input image"))
    result = CliRunner().invoke(main, ["train", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{spec}:4:5: error: unknown training setting `epoch`\n")
    assert "hint: did you mean `epochs`?" in result.stderr
    assert not (tmp_path / "out").exists()


def test_sentiment_lstm_learns_the_toy_reviews(tmp_path):
    spec = os.path.join(ROOT, "specs", "sentiment_lstm.nn")
    result = run(tmp_path, spec=spec, params=SMALL_LSTM, data="sentiment_toy?n=600", epochs=3, lr=0.02,
                 batch_size=32, seed=0)
    assert result["best"]["val_accuracy"] >= 0.85  # chance is 0.5
    state = torch.load(tmp_path / "best.pt", weights_only=True)
    assert state["vocab"][:2] == ["<pad>", "<unk>"] and len(state["vocab"]) <= 60
    assert state["classes"] == ["negative", "positive"]
    fresh = assess(nnspec.load(spec), str(tmp_path / "best.pt"), "sentiment_toy?n=300")  # with the saved vocabulary
    assert fresh["examples"] == 300 and fresh["accuracy"] >= 0.85


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_on_cpu(tmp_path, amp):
    result = run(tmp_path, data="xo?n=200", epochs=2, lr=0.02, amp=amp)
    assert all(np.isfinite(r["train_loss"]) for r in result["history"])
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert (state["scaler"] is not None) == (amp == "fp16")  # fp16 scales the loss; bf16 needs no scaler
    assert all(t.dtype == torch.float32 for t in state["model"].values())  # weights stay in float32


def test_kill_and_resume_gives_the_same_weights_and_metrics(tmp_path):
    flags = ["--data", "xo?n=2000", "--epochs", "5", "--lr", "0.01", "--seed", "3", "--plain"]
    whole = tmp_path / "whole"
    CliRunner().invoke(main, ["train", XO, "--out", str(whole), *flags], catch_exceptions=False)

    cut = tmp_path / "cut"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-m", "nnspec", "train", XO, "--out", str(cut), *flags],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (cut / "last.pt").exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)  # an epoch here takes far longer, so the kill lands mid-run
    child.send_signal(signal.SIGKILL)
    child.wait()
    killed_at = checkpoint.load(str(cut / "last.pt"))["epoch"]
    assert 1 <= killed_at < 5

    result = CliRunner().invoke(main, ["train", XO, "--out", str(cut), "--resume", "--plain"], catch_exceptions=False)
    assert result.exit_code == 0 and f"resuming after epoch {killed_at}" in result.output
    a, b = (torch.load(d / "last.pt", weights_only=True) for d in (whole, cut))
    assert a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    drop = lambda rows: [{k: v for k, v in r.items() if k not in ("seconds", "samples_per_second")} for r in rows]
    assert drop(a["metrics"]) == drop(b["metrics"])
    lines = [json.loads(line) for line in (cut / "metrics.jsonl").read_text().splitlines()]
    assert drop(lines) == drop(json.loads(line) for line in (whole / "metrics.jsonl").read_text().splitlines())


def test_resume_errors(tmp_path):
    with pytest.raises(DataError, match="holds no run to resume"):
        fit(nnspec.load(XO), None, {}, {}, str(tmp_path), resume=True)
    run(tmp_path, data="xo?n=100", epochs=1)
    with pytest.raises(DataError, match=r"has already trained 1 of 1 epochs"):
        fit(nnspec.load(XO), None, {}, {}, str(tmp_path), resume=True)
    with pytest.raises(DataError) as e:
        run(tmp_path, data="xo?n=100", epochs=1)
    assert e.value.message == f"{tmp_path} already holds a run (last.pt)"


def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    data = tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 1, 9, 9), dtype=np.float32), rng.integers(0, 2, 64)
    np.savez(data, image=x, y=y)
    out = tmp_path / "run"
    run(out, data=f"tensors:{data}", epochs=2)
    before = snapshot(out)
    x[:32] = 3e38  # finite (non-finite inputs are refused up front), but the gradients overflow
    np.savez(data, image=x, y=y)
    with pytest.raises(NonFiniteLoss) as e:
        fit(nnspec.load(XO), None, {}, {"epochs": 4}, str(out), resume=True, live=False)
    assert e.value.message == f"the training loss became inf in epoch 3; the run stopped and {out}/last.pt still holds epoch 2"
    assert snapshot(out) == before


BAD = {
    "wrong image size": ("npz", "input `image` is declared [1, 9, 9] but `tensors:{path}` gives examples of [1, 8, 8]"),
    "wrong label range": ("labels", "`tensors:{path}` has labels from 0 to 6, but the network's output has 2 classes"),
    "empty file": ("csv-empty", "{path} is empty"),
    "corrupt IDX header": ("idx", "{path}/train-images-idx3-ubyte: not an IDX file: it starts with 08 03 00 00"),
    "missing CSV column": ("csv", "{path} has no column `review` (its header, line 1, has 2 columns)"),
}


def make_bad(kind, tmp_path):
    if kind == "npz":
        path = tmp_path / "small.npz"
        np.savez(path, image=np.zeros((4, 1, 8, 8), np.float32), y=np.zeros(4, int))
        return path, XO, f"tensors:{path}"
    if kind == "labels":
        path = tmp_path / "labels.npz"
        np.savez(path, image=np.zeros((4, 1, 9, 9), np.float32), y=np.array([0, 1, 6, 1]))
        return path, XO, f"tensors:{path}"
    lstm = os.path.join(ROOT, "specs", "sentiment_lstm.nn")
    if kind == "csv-empty":
        path = tmp_path / "empty.csv"
        path.write_text("")
        return path, lstm, f"text:{path}"
    if kind == "csv":
        path = tmp_path / "r.csv"
        path.write_text("text,label\ngood,1\n")
        return path, lstm, f"text:{path}?text=review"
    path = tmp_path / "idx"
    path.mkdir()
    (path / "train-images-idx3-ubyte").write_bytes(bytes([8, 3, 0, 0]) + bytes(40))  # byte-swapped
    (path / "train-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 0]))
    return path, os.path.join(ROOT, "specs", "fashion_mnist.nn"), f"fashion_mnist:{path}"


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_data_is_a_clear_error_and_overwrites_nothing(tmp_path, case):
    kind, message = BAD[case]
    path, spec, source = make_bad(kind, tmp_path)
    out = tmp_path / "run"
    out.mkdir()
    (out / "last.pt").write_bytes(b"an earlier run")
    (out / "metrics.jsonl").write_text('{"epoch": 1}\n')
    before = snapshot(out)
    result = CliRunner().invoke(main, ["train", spec, "--data", source, "--out", str(out), "--overwrite"])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == "error: " + message.format(path=path)
    assert "Traceback" not in result.output
    assert snapshot(out) == before


def test_evaluate_command(tmp_path):
    run(tmp_path, epochs=4, lr=0.02, seed=2)
    runner = CliRunner()
    result = runner.invoke(main, ["evaluate", XO, "--weights", str(tmp_path / "best.pt"), "--json",
                                  "--data", "xo?n=500"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["examples"] == 500 and report["accuracy"] > 0.95 and report["network"] == "XO"
    text = runner.invoke(main, ["evaluate", XO, "-w", str(tmp_path / "best.pt"), "--data", "xo?n=500"]).stdout
    assert text.startswith(f"XO (epoch {report['epoch']}) on xo?n=500: loss {report['loss']:.4f}  accuracy ")
    assert text.splitlines()[0].endswith("(500 examples)")
    assert sum(map(int, text.splitlines()[-2].split()[1:] + text.splitlines()[-1].split()[1:])) == 500
    missing = runner.invoke(main, ["evaluate", XO, "-w", str(tmp_path / "nope.pt")])
    assert missing.exit_code == 1 and missing.stderr == f"error: {tmp_path}/nope.pt: no such checkpoint\n"
    fashion = os.path.join(ROOT, "specs", "fashion_mnist.nn")
    other = runner.invoke(main, ["evaluate", fashion, "-w", str(tmp_path / "best.pt")])
    # the checkpoint's network, not one the user named: a misfit of the two files (1), not a usage error (2)
    assert (other.exit_code, other.stderr) == (1, f"error: {tmp_path}/best.pt holds network `XO`, but {fashion} has no "
                                                  "network `XO`; it has FashionMNIST\n"
                                                  "hint: give the spec the checkpoint was trained from\n")


@pytest.mark.parametrize("schedule, first, more", [("cosine", 4, 8), ("step", 3, 9), ("cosine", 6, 7)])
def test_a_resume_with_more_epochs_spans_the_schedule_over_the_new_total(tmp_path, capsys, schedule, first, more):
    # a resumed run's rate from its next epoch on is a fresh run's over the new total (the
    # restored schedule would keep the old span: cosine would hit 0 at epoch `first`, then climb)
    fresh = run(tmp_path / "fresh", data="xo?n=100", epochs=more, schedule=schedule)
    run(tmp_path / "cut", data="xo?n=100", epochs=first, schedule=schedule)
    capsys.readouterr()
    resumed = fit(nnspec.load(XO), None, {}, {"epochs": more}, str(tmp_path / "cut"), resume=True, live=False)
    lrs = [row["lr"] for row in resumed["history"]]
    assert lrs[first:] == [row["lr"] for row in fresh["history"]][first:]
    assert lrs[:first] == [row["lr"] for row in run(tmp_path / "short", data="xo?n=100", epochs=first,
                                                       schedule=schedule)["history"]]
    next_lr = fresh["history"][first]["lr"]
    assert (f"; resuming after epoch {first}; the {schedule} schedule now spans {more} epochs (was {first}): "
            f"lr {next_lr:.4g} for epoch {first + 1}\n") in capsys.readouterr().out
