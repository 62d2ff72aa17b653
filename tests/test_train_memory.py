"""A training step's memory is weighed before the first step: a batch the device cannot hold is
refused with the batch size, the estimate and what fits, before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.train import memory
from nnspec.train.errors import DataError

ROOT = Path(__file__).parent.parent
XO = str(ROOT / "specs" / "xo.nn")
SEQ = "network S {\n  input x: [T, 8]\n  dense(16) -> relu -> dense(2)\n}\n"

pytestmark = pytest.mark.usefixtures("one_thread")


def test_an_example_weighs_its_layers_outputs():
    graph = nnspec.load(XO).graph()
    # conv [4, 9, 9] + relu [4, 9, 9] + maxpool [4, 4, 4] + flatten [64] + dense [2], float32
    assert memory.per_example(graph, [torch.zeros(3, 1, 9, 9)]) == 4 * (324 + 324 + 64 + 64 + 2)


def test_a_symbol_takes_its_size_from_the_data():
    graph = nnspec.load(SEQ).graph()
    assert memory.per_example(graph, [torch.zeros(2, 100, 8)]) == 4 * (100 * 16 * 2 + 100 * 2)


def test_a_batch_too_large_for_the_device_is_refused():
    graph = nnspec.load(XO).graph()
    with pytest.raises(DataError) as e:
        memory.weigh(graph, [torch.zeros(3, 1, 9, 9)], 1_000_000, torch.device("cpu"), free=100 * 2**20)
    assert e.value.message == ("a training step of `XO` at batch size 1,000,000 needs about 2.9 GiB (3,112 bytes of "
                               "activations per example, 1,360 bytes for the weights and their gradients), but the "
                               "cpu has 100.0 MiB free")
    assert e.value.hint == "lower --batch-size (about 33,694 fits), or use --amp bf16"
    memory.weigh(graph, [torch.zeros(3, 1, 9, 9)], 30_000, torch.device("cpu"), free=100 * 2**20)  # fits


def test_train_refuses_it_before_writing_anything(tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "available", lambda device: 2**20)
    result = CliRunner().invoke(main, ["train", XO, "--data", "xo?n=60", "-b", "512", "--out", str(tmp_path / "run"),
                                       "--plain"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith("error: a training step of `XO` at batch size 512 needs about ")
    assert result.stderr.splitlines()[1] == "hint: lower --batch-size (about 336 fits), or use --amp bf16"
    assert not (tmp_path / "run").exists()
