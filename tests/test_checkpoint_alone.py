"""A checkpoint stands alone: evaluate, predict, export and explain read the spec (and its
imports) from the copy the checkpoint holds; predict refuses text for a run without a vocabulary."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.train.errors import DataError

pytestmark = pytest.mark.usefixtures("one_thread")

BLOCK = "block Stem(c) {\n  conv(c, 3, padding=1) -> relu\n}\n"
NETWORK = ('import "blocks/stem.nn"\n\nnetwork Tiny(classes = 2) {\n  input image: [1, 9, 9]\n'
           "  Stem(4) -> maxpool(2) -> flatten -> dense(classes)\n}\n")


@pytest.fixture(scope="module")
def orphan(tmp_path_factory):
    """A run whose spec and import are deleted after training: only its checkpoint is left."""
    root = tmp_path_factory.mktemp("orphan")
    (root / "blocks").mkdir()
    (root / "blocks" / "stem.nn").write_text(BLOCK)
    (root / "tiny.nn").write_text(NETWORK)
    nnspec.load(str(root / "tiny.nn")).fit("xo?n=120", params={"classes": 2}, epochs=2, lr=0.02,
                                          out=str(root / "run"))
    (root / "tiny.nn").unlink()
    (root / "blocks" / "stem.nn").unlink()
    return root


def test_the_checkpoint_holds_the_spec_and_its_imports(orphan):
    spec = nnspec.Spec.from_checkpoint(orphan / "run" / "best.pt")
    assert spec.networks == ["Tiny"] and spec.path == str(orphan / "tiny.nn")
    assert spec.sources == {str(orphan / "tiny.nn"): NETWORK, str(orphan / "blocks" / "stem.nn"): BLOCK}
    assert spec.summary().total_params == 4 * 9 + 4 + 4 * 16 * 2 + 2


def test_evaluate_predict_export_and_explain_take_a_checkpoint_alone(orphan, tmp_path):
    weights = str(orphan / "run" / "best.pt")
    runner = CliRunner()
    alone = runner.invoke(main, ["evaluate", weights, "--data", "xo?n=60", "--json"])
    assert alone.exit_code == 0, alone.output
    by_flag = runner.invoke(main, ["evaluate", "--weights", weights, "--data", "xo?n=60", "--json"])
    assert json.loads(alone.stdout) == json.loads(by_flag.stdout)
    assert json.loads(alone.stdout)["network"] == "Tiny" and json.loads(alone.stdout)["examples"] == 60

    rows = np.random.default_rng(0).random((3, 1, 9, 9), dtype=np.float32)
    np.savez(tmp_path / "x.npz", image=rows)
    answers = runner.invoke(main, ["predict", weights, str(tmp_path / "x.npz"), "--json"])
    assert answers.exit_code == 0, answers.output
    again = runner.invoke(main, ["predict", "-w", weights, str(tmp_path / "x.npz"), "--json"])
    assert answers.stdout == again.stdout and len(answers.stdout.splitlines()) == 3
    assert {json.loads(line)["class"] for line in answers.stdout.splitlines()} <= {"X", "O"}

    exported = runner.invoke(main, ["export", weights, "-f", "torchscript", "-o", str(tmp_path / "tiny.pt")])
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.startswith(f"wrote {tmp_path / 'tiny.pt'} (torchscript, ")
    filters = runner.invoke(main, ["explain", weights, "-m", "filters", "-o", str(tmp_path / "f.png")])
    assert filters.exit_code == 0, filters.output
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_a_spec_without_its_checkpoint_is_a_usage_error(orphan):
    result = CliRunner().invoke(main, ["evaluate", "specs/xo.nn"])
    assert result.exit_code == 2
    assert "give a checkpoint (e.g. runs/xo/best.pt), or the spec FILE and --weights CHECKPOINT" in result.output
    missing = CliRunner().invoke(main, ["predict", str(orphan / "run" / "best.pt")])
    assert missing.exit_code == 2 and "give at least one INPUT after the checkpoint" in missing.output


def test_predict_refuses_text_for_a_run_without_a_vocabulary(tmp_path):
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 30, (40, 6))
    np.savez(tmp_path / "ids.npz", tokens=ids, y=(ids[:, 0] > 15).astype(np.int64))
    spec = nnspec.load("specs/sentiment_lstm.nn")
    spec.fit(f"tensors:{tmp_path / 'ids.npz'}", params={"vocab": 30, "dim": 8, "hidden": 8}, epochs=1,
             out=str(tmp_path / "run"))
    weights = str(tmp_path / "run" / "best.pt")
    with pytest.raises(DataError) as e:
        spec.predict(weights, "a fine film")
    assert e.value.message == (f"{weights} was trained on token ids without a vocabulary (from "
                               f"`tensors:{tmp_path / 'ids.npz'}`), so it cannot read text")
    assert e.value.hint.startswith("give the token ids as a .npz file")
    result = CliRunner().invoke(main, ["predict", weights, "a fine film"])
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {weights} was trained on token ids")
    np.savez(tmp_path / "q.npz", tokens=ids[:2])  # token ids it can read
    assert len(spec.predict(weights, str(tmp_path / "q.npz"))) == 2
