"""Training, data and checkpoints under hostile conditions: each case a clear message and an exit
code, and nothing lost (the previous checkpoint byte-for-byte, the data files untouched)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.files import write_failure
from nnspec.train.finite import NonFiniteLoss, check_epoch, first_non_finite

ROOT = Path(__file__).parent.parent
XO = str(ROOT / "specs" / "xo.nn")


pytestmark = pytest.mark.usefixtures("one_thread")


def train(*args):
    """``nnspec train`` in-process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["train", *map(str, args), "--plain"])
    assert "Traceback" not in result.output and not isinstance(result.exception, (AssertionError, TypeError))
    return result.exit_code, result.stdout, result.stderr


def snapshot(directory: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())} if directory.exists() else {}


def first_run(out: Path, *flags) -> dict:
    """One good epoch in ``out``; its files' bytes."""
    code, _, err = train(XO, "--data", "xo?n=60", "--epochs", "1", "--out", out, *flags)
    assert code == 0, err
    return snapshot(out)


# -- wrong results kept as good -----------------------------------------------------------------

def test_an_infinite_learning_rate_is_refused_before_anything_is_written(tmp_path):
    code, _, err = train(XO, "--lr", "inf", "--out", tmp_path / "run")
    assert (code, err) == (1, "error: `lr` must be a finite number, got inf\n")
    assert not (tmp_path / "run").exists()


def test_a_learning_rate_that_overflows_float32_is_a_clear_error(tmp_path):
    code, _, err = train(XO, "--data", "xo?n=60", "--lr", "1e38", "--out", tmp_path / "run")
    assert code == 1
    assert err == ("error: the optimizer's update overflowed float32 with lr 1e+38; the run stopped before writing "
                   "that epoch\nhint: lower --lr\n")
    assert snapshot(tmp_path / "run") == {}


def test_a_non_finite_validation_loss_writes_no_checkpoint(tmp_path):
    # one step per epoch: the training loss is measured before the step that blows the weights up
    code, _, err = train(XO, "--data", "xo?n=60", "--epochs", "2", "--lr", "1e30", "--optimizer", "sgd",
                         "--out", tmp_path / "run")
    assert code == 1
    assert err.splitlines()[0] == "error: the validation loss became nan in epoch 1; the run stopped before any checkpoint"
    assert snapshot(tmp_path / "run") == {}


def test_a_later_divergence_keeps_the_last_good_epoch_byte_for_byte(tmp_path):
    out = tmp_path / "run"
    code, _, err = train(XO, "--data", "xo?n=60", "--epochs", "3", "--lr", "1e10", "--optimizer", "sgd", "--out", out)
    assert code == 1
    assert err.splitlines()[0] == f"error: the validation loss became inf in epoch 2; the run stopped and {out}/last.pt still holds epoch 1"
    state = torch.load(out / "last.pt", weights_only=True)
    assert state["epoch"] == 1 and first_non_finite(_built(state)) is None
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1]


def _built(state):
    model = nnspec.load(XO).build()
    model.load_state_dict(state["model"])
    return model


def test_non_finite_weights_fail_the_epoch_even_with_finite_losses():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    assert first_non_finite(model) is None
    model[1].running_var[1] = float("inf")
    with pytest.raises(NonFiniteLoss) as e:
        check_epoch({"epoch": 4, "train_loss": 0.5, "val_loss": 0.6}, model, " and r/last.pt still holds epoch 3")
    assert e.value.message == ("the weights became NaN or infinite in epoch 4 (`1.running_var` first); "
                               "the run stopped and r/last.pt still holds epoch 3")


def test_metrics_lines_are_standard_json(tmp_path):
    from nnspec.train.metrics import write_jsonl

    write_jsonl(str(tmp_path / "m.jsonl"), [{"epoch": 1, "train_loss": 0.5, "lr": float("inf"), "seconds": float("nan")}])
    text = (tmp_path / "m.jsonl").read_text()
    assert text == ('{"epoch": 1, "train_loss": 0.5, "train_accuracy": null, "val_loss": null, "val_accuracy": null, '
                    '"lr": null, "seconds": null}\n')
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON token {c}"))


# -- writes that fail ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, error, message, hint", [
    ("last.pt", errno.ENOSPC, "disk full while writing {out}/last.pt; the previous one is intact",
     "free some disk space, then continue the run with --resume"),
    ("best.pt", errno.EACCES, "permission denied while writing {out}/best.pt; the previous one is intact",
     "check that the folder can be written, or choose another --out, then continue the run with --resume"),
    ("metrics.jsonl", errno.EROFS, "read-only file system while writing {out}/metrics.jsonl; the previous one is intact",
     "choose another --out, then continue the run with --resume"),
    ("curves.png", errno.EDQUOT, "disk quota exceeded while writing {out}/curves.png; the previous one is intact",
     "free some disk space, then continue the run with --resume"),
])
def test_a_failed_write_is_a_message_and_the_previous_file_survives(tmp_path, monkeypatch, name, error, message, hint):
    out = tmp_path / "run"
    first_run(out)
    code, _, _ = train(XO, "--out", out, "--resume", "--epochs", "2")  # epoch 2: every file is rewritten
    assert code == 0
    before = snapshot(out)
    real_replace = os.replace

    def failing_replace(src, dst):
        if os.path.basename(dst) == name:
            with open(src, "r+b") as fh:  # as if the disk filled up half-way through the file
                fh.truncate(os.path.getsize(src) // 2)
            raise OSError(error, os.strerror(error))
        real_replace(src, dst)

    monkeypatch.setattr("nnspec.files.os.replace", failing_replace)
    code, _, err = train(XO, "--out", out, "--resume", "--epochs", "3")
    assert code == 1
    assert err == f"error: {message.format(out=out)}\nhint: {hint}\n"
    after = snapshot(out)
    assert after[name] == before[name] and not [n for n in after if n.startswith(".tmp-")]
    assert after["last.pt"] == before["last.pt"]  # written last: the run stopped before it
    monkeypatch.undo()
    code, _, err = train(XO, "--out", out, "--resume", "--epochs", "3")
    assert code == 0, err


def test_a_checkpoint_that_runs_out_of_space_mid_write(tmp_path, monkeypatch):
    out = tmp_path / "run"
    before = first_run(out)

    def full_disk(obj, fh):
        fh.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("nnspec.train.checkpoint.torch.save", full_disk)
    code, _, err = train(XO, "--out", out, "--resume", "--epochs", "2")
    assert code == 1
    assert err.splitlines()[0] == f"error: disk full while writing {out}/best.pt; the previous one is intact"
    after = snapshot(out)
    assert (after["best.pt"], after["last.pt"]) == (before["best.pt"], before["last.pt"])
    assert not [n for n in after if n.startswith(".tmp-")]


def test_an_output_folder_that_cannot_be_created(tmp_path):
    (tmp_path / "file").write_text("x")
    code, _, err = train(XO, "--data", "xo?n=60", "--epochs", "1", "--out", tmp_path / "file" / "run")
    assert code == 1
    assert err.splitlines()[0].startswith(f"error: ") and f"while writing {tmp_path}/file/run; it was not created" in err


def test_write_failure_words():
    assert write_failure("a/m.jsonl", OSError(errno.EIO, "Input/output error"), False) == \
        "Input/output error while writing a/m.jsonl; it was not created"


# -- messages -----------------------------------------------------------------------------------

def test_resume_names_each_ignored_flag_and_keeps_the_run_settings(tmp_path):
    out = tmp_path / "run"
    first_run(out, "--lr", "0.01")
    code, stdout, err = train(XO, "--out", out, "--resume", "--epochs", "2", "--lr", "0.5", "--batch-size", "8",
                              "--seed", "0", "--set", "classes=3")
    assert code == 0
    assert err == ("warning: a resumed run keeps its settings: ignoring --set classes=3 (the run's is 2), "
                   "--batch-size 8 (the run's is 64), --lr 0.5 (the run's is 0.01)\n"
                   "hint: only --epochs, --device, --compile change on --resume; start a new run (--overwrite or "
                   "another --out) to change the others\n")
    state = torch.load(out / "last.pt", weights_only=True)
    assert (state["epoch"], state["settings"]["lr"], state["settings"]["batch_size"]) == (2, 0.01, 64)
    assert state["params"] == {}


def test_resume_removes_the_temporary_files_of_a_killed_write(tmp_path):
    out = tmp_path / "run"
    first_run(out)
    for name in (".tmp-abc123.pt", ".tmp-x.jsonl"):
        (out / name).write_bytes(b"half")
    (out / "notes.txt").write_text("mine")
    code, stdout, _ = train(XO, "--out", out, "--resume", "--epochs", "2")
    assert code == 0
    assert "removed 2 unfinished writes of the interrupted run: .tmp-abc123.pt, .tmp-x.jsonl\n" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "curves.png", "last.pt", "metrics.jsonl", "notes.txt"]


@pytest.mark.parametrize("kind, spec, message", [
    ("fashion_mnist", "fashion_mnist.nn", "not a directory"),
    ("mnist", "fashion_mnist.nn", "not a directory"),
    ("images", "xo.nn", "not a directory"),
])
def test_a_file_given_for_a_folder(tmp_path, kind, spec, message):
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc")
    code, _, err = train(ROOT / "specs" / spec, "--data", f"{kind}:{path}", "--out", tmp_path / "run")
    assert code == 1 and err.splitlines()[0] == f"error: {kind}:{path}: {message}"
    assert path.read_bytes() == b"abc" and not (tmp_path / "run").exists()


@pytest.mark.parametrize("kind", ["text", "tensors"])
def test_a_folder_given_for_a_file(tmp_path, kind):
    folder = tmp_path / "data.npz"
    folder.mkdir()
    spec = "sentiment_lstm.nn" if kind == "text" else "xo.nn"
    code, _, err = train(ROOT / "specs" / spec, "--data", f"{kind}:{folder}", "--out", tmp_path / "run")
    assert code == 1 and err.splitlines()[0] == f"error: {kind}:{folder}: not a file"


def test_download_into_a_file_is_refused_before_fetching(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc")
    code, _, err = train(ROOT / "specs" / "fashion_mnist.nn", "--data", f"fashion_mnist:{path}", "--download",
                         "--out", tmp_path / "run")
    assert code == 1 and err.splitlines()[0] == f"error: fashion_mnist:{path}: not a directory"
