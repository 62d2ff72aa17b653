"""The Python API mirrors the command line: spec.fit / evaluate / predict, load_weights of a
path, a checkpoint or a state dict, and a summary that prints as its table."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.train.errors import DataError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XO = os.path.join(ROOT, "specs", "xo.nn")

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def xo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "run"
    result = nnspec.load(XO).fit("xo?n=300", epochs=3, lr=0.02, seed=4, out=str(out))
    return out, result


def test_fit_trains_as_the_command_does(xo_run, tmp_path):
    out, result = xo_run
    assert result["out"] == str(out) and [r["epoch"] for r in result["history"]] == [1, 2, 3]
    assert result["best"] == max(result["history"], key=lambda r: (r["val_accuracy"], -r["val_loss"]))
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "curves.png", "last.pt", "metrics.jsonl"]
    cli = tmp_path / "cli"
    done = CliRunner().invoke(main, ["train", XO, "--data", "xo?n=300", "--epochs", "3", "--lr", "0.02", "--seed", "4",
                                     "--out", str(cli)])
    assert done.exit_code == 0, done.output
    a, b = (torch.load(d / "last.pt", weights_only=True) for d in (out, cli))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])  # the same code path, the same run


def test_fit_on_arrays_and_a_misspelt_setting(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 1, 9, 9), dtype=np.float32), rng.integers(0, 2, 40)
    result = nnspec.load(XO).fit((x, y), epochs=1, val_split=0.25, out=str(tmp_path / "a"))
    assert len(result["history"]) == 1 and result["task"] == "classification"
    with pytest.raises(TypeError, match=r"^fit\(\) got unknown training setting `epoch`; did you mean `epochs`\?$"):
        nnspec.load(XO).fit("xo", epoch=2, out=str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()


def test_evaluate_and_predict_mirror_the_commands(xo_run, tmp_path):
    out, _ = xo_run
    spec = nnspec.load(XO)
    scored = spec.evaluate(out, "xo?n=80")  # a run's folder: its best.pt
    cli = CliRunner().invoke(main, ["evaluate", XO, "-w", str(out / "best.pt"), "--data", "xo?n=80", "--json"])
    assert scored == json.loads(cli.stdout)
    np.savez(tmp_path / "x.npz", image=np.random.default_rng(1).random((2, 1, 9, 9), dtype=np.float32))
    answers = spec.predict(out / "best.pt", str(tmp_path / "x.npz"), top_k=2)
    lines = CliRunner().invoke(main, ["predict", XO, str(tmp_path / "x.npz"), "-w", str(out / "best.pt"), "-k", "2",
                                      "--json"]).stdout.splitlines()
    assert answers == [json.loads(line) for line in lines] and len(answers) == 2


def test_load_weights_takes_a_path_a_checkpoint_or_a_state_dict(xo_run, tmp_path):
    out, _ = xo_run
    trained = torch.load(out / "best.pt", weights_only=True)["model"]
    for weights in (str(out / "best.pt"), out / "best.pt", torch.load(out / "best.pt", weights_only=True), trained,
                    {"state_dict": trained}):
        model = nnspec.build(XO)
        report = nnspec.load_weights(model, weights)
        assert str(report) == "loaded 4 tensors by name"
        assert all(torch.equal(model.state_dict()[k], trained[k]) for k in trained)
    torch.save({"epoch": 3}, tmp_path / "empty.pt")
    with pytest.raises(DataError, match="holds no tensors by name"):
        nnspec.load_weights(nnspec.build(XO), str(tmp_path / "empty.pt"))


def test_a_summary_prints_as_its_table(capsys):
    summary = nnspec.load(XO).summary()
    print(summary)
    printed = capsys.readouterr().out
    assert printed == summary.plain() + "\n" and str(summary) == summary.plain()
    assert "Total params: 170" in printed and "object at 0x" not in printed
