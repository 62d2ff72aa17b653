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


def test_a_step_weighs_what_backward_keeps_and_the_weights():
    graph = nnspec.load(XO).graph()
    # kept per example: the input [1, 9, 9] (conv), relu's output [4, 9, 9] (relu, maxpool),
    # maxpool's int64 indices [4, 4, 4], its output [64] (dense); float32.
    # fixed: 170 weights, their gradients and Adam's two moments
    assert memory.step_memory(graph, [torch.zeros(3, 1, 9, 9)], 32) == (
        4 * 81 + 4 * 324 + 8 * 64 + 4 * 64, 4 * 170 * 4)
    assert memory.step_memory(graph, [torch.zeros(3, 1, 9, 9)], 32, optimizer="sgd")[1] == 4 * 170 * 3


def test_a_symbol_takes_its_size_from_the_data():
    graph = nnspec.load(SEQ).graph()
    # the input [100, 8] (the first dense) and relu's output [100, 16] (relu, the second dense)
    assert memory.step_memory(graph, [torch.zeros(2, 100, 8)], 1)[0] == 4 * (100 * 8 + 100 * 16)


def test_a_batch_too_large_for_the_device_is_refused():
    graph = nnspec.load(XO).graph()
    with pytest.raises(DataError) as e:
        memory.weigh(graph, [torch.zeros(3, 1, 9, 9)], 1_000_000, torch.device("cpu"), free=100 * 2**20)
    assert e.value.message == ("a training step of `XO` at batch size 1,000,000 needs about 2.2 GiB (2,388 bytes kept "
                               "for the backward pass per example, 2,720 bytes for the weights, their gradients and "
                               "the optimizer's state), but the cpu has 100.0 MiB free")
    assert e.value.hint == "lower --batch-size (about 43,909 fits), or use --amp bf16"
    memory.weigh(graph, [torch.zeros(3, 1, 9, 9)], 43_909, torch.device("cpu"), free=100 * 2**20)  # fits


def test_train_refuses_it_before_writing_anything(tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "available", lambda device: 2**20)
    result = CliRunner().invoke(main, ["train", XO, "--data", "xo?n=60", "-b", "512", "--out", str(tmp_path / "run"),
                                       "--plain"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith("error: a training step of `XO` at batch size 512 needs about ")
    assert result.stderr.splitlines()[1] == "hint: lower --batch-size (about 437 fits), or use --amp bf16"
    assert not (tmp_path / "run").exists()
