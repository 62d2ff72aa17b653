"""One-hot (Keras's to_categorical) and probability label rows train a classifier on their
class ids, with a note; never a regression or a multi-label task by accident."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from nnspec.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XO = os.path.join(ROOT, "specs", "xo.nn")

pytestmark = pytest.mark.usefixtures("one_thread")

RNG = np.random.default_rng(0)
X = RNG.random((48, 1, 9, 9), dtype=np.float32)
IDS = RNG.integers(0, 2, 48)


def train(tmp_path, labels, *flags):
    np.savez(tmp_path / "d.npz", image=X, y=labels)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", XO, "--data", f"tensors:{tmp_path / 'd.npz'}", "--epochs", "1",
                                       "--seed", "2", "--out", str(out), "--overwrite", *flags])
    assert result.exit_code == 0, result.output
    return result, [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("kind", ["float32", "int64", "bool"])
def test_one_hot_rows_train_the_classifier_the_class_ids_train(tmp_path, kind):
    _, by_ids = train(tmp_path, IDS)
    result, by_rows = train(tmp_path, np.eye(2, dtype=kind)[IDS])
    source = f"tensors:{tmp_path / 'd.npz'}"
    assert result.stderr == (
        f"note: `{source}` gives one-hot label rows [N, 2]: training the classifier on their class ids "
        "(the largest entry of each row)\n"
        "hint: give class ids [N] (y.argmax(1)) to say so yourself; for several labels per example use --loss bce\n")
    assert "classification (ce)" in result.stdout
    drop = lambda rows: [{k: v for k, v in r.items() if k not in ("seconds", "samples_per_second")} for r in rows]
    assert drop(by_rows) == drop(by_ids)  # the same run, figure for figure


def test_probability_rows_train_on_the_most_likely_class(tmp_path):
    soft = np.where(np.eye(2)[IDS] == 1, 0.9, 0.1).astype(np.float32)
    result, _ = train(tmp_path, soft)
    assert "gives label rows of class probabilities [N, 2]" in result.stderr
    assert result.stderr.rstrip().endswith("for soft targets --loss mse")
    assert "classification (ce)" in result.stdout


def test_rows_that_are_not_one_class_stay_what_they_were(tmp_path):
    two = np.eye(2, dtype=np.int64)[IDS]
    two[0] = [1, 1]  # an example with two labels: multi-label
    result, _ = train(tmp_path, two)
    assert "multi-label (bce)" in result.stdout and "note:" not in result.stderr
    numbers = np.eye(2, dtype=np.float32)[IDS] * 3.0  # not probabilities: numbers to predict
    result, _ = train(tmp_path, numbers)
    assert "regression (mse)" in result.stdout and "note:" not in result.stderr
    asked = np.eye(2, dtype=np.float32)[IDS]  # one-hot, but --loss asks for a regression
    result, _ = train(tmp_path, asked, "--loss", "mse")
    assert "regression (mse)" in result.stdout and "note:" not in result.stderr


def test_evaluate_reads_one_hot_rows_as_training_did(tmp_path):
    train(tmp_path, np.eye(2, dtype=np.float32)[IDS])
    rows = CliRunner().invoke(main, ["evaluate", str(tmp_path / "run" / "best.pt"), "--json",
                                     "--data", f"tensors:{tmp_path / 'd.npz'}"])
    np.savez(tmp_path / "ids.npz", image=X, y=IDS)
    ids = CliRunner().invoke(main, ["evaluate", str(tmp_path / "run" / "best.pt"), "--json",
                                    "--data", f"tensors:{tmp_path / 'ids.npz'}"])
    a, b = json.loads(rows.stdout), json.loads(ids.stdout)
    assert a["confusion"] == b["confusion"] and a["accuracy"] == b["accuracy"] and a["examples"] == 48
