"""Operations across the batch: ``batchdot``, CLIP's image × text logits. Its output has one
entry per sample of the batch, a size the shapes name ``batch``; a CLIP-style dual encoder
equals its hand-written twin exactly, builds, compiles, scripts and exports, and what cannot
work with such an output (inside ``each``, in training) is refused with a located error."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from compile_support import assert_source_and_module_agree, check_scripts_and_exports
from twins.clip import CLIP as CLIPTwin

import nnspec
from nnspec.cli import main
from nnspec.frontend.fmt import format_source

CLIP = """\
# A dual encoder in CLIP's manner: every image of a batch scored against every text of it,
# by the dot product of their normalised embeddings times exp(logit_scale), a learned scalar
# (created first, where CLIP registers it).
network CLIP(vocab = 50, dim = 8) {
  input image: [3, 16, 16]
  input text: [T] int
  let inverse_temperature = image -> logit_scale: param([1], init=2.659260036932778, batch=false)
    -> exp
  let texts = text -> text_encoder: TextEncoder(vocab, 16, dim) -> normalize
  image -> image_encoder: ImageEncoder(12, dim) -> normalize -> batchdot(texts)
    -> mul(inverse_temperature)
  expect [batch]
}

block TextEncoder(vocab, width, dim) {
  embed: embedding(vocab, width) -> mean(0) -> proj: dense(dim)
}

block ImageEncoder(width, dim) {
  conv: conv(width, 3, padding=1) -> relu -> globalavgpool -> proj: dense(dim)
}
"""


def problems(text: str) -> list[tuple]:
    return [(d.severity, d.message, d.hint, d.span.line, d.span.col) for d in nnspec.load(text).check()]


def batch_inputs(batch: int, length: int = 7):
    gen = torch.Generator().manual_seed(batch)
    return torch.randn(batch, 3, 16, 16, generator=gen), torch.randint(0, 50, (batch, length), generator=gen)


def test_the_output_ranges_over_the_batch_symbolically():
    spec = nnspec.load(CLIP)
    assert spec.check() == []
    graph = spec.checked_graph()
    assert [str(t) for t in graph.output_types()] == ["[batch]"]
    dot = next(n for n in graph.nodes if n.op == "batchdot")
    assert (str(dot.macs), graph.total_params) == ("8*batch", 1 + 50 * 16 + 16 * 8 + 8 + 12 * 27 + 12 + 12 * 8 + 8)
    assert format_source(CLIP) == CLIP


@pytest.mark.parametrize("batch", [1, 5])
def test_a_clip_style_dual_encoder_equals_its_twin_exactly(batch):
    twin, model = CLIPTwin(), nnspec.load(CLIP).build()
    assert str(nnspec.load_weights(model, twin.state_dict())) == "loaded 8 tensors by order"
    model.eval(), twin.eval()
    with torch.no_grad():
        logits = model(*batch_inputs(batch))
        assert logits.shape == (batch, batch)
        assert torch.equal(logits, twin(*batch_inputs(batch)))


def test_the_dual_encoder_compiles_scripts_and_exports(tmp_path):
    from nnspec.backends.export import export_module
    from nnspec.train.data import input_infos

    spec = nnspec.load(CLIP)
    assert_source_and_module_agree(spec)
    graph, model = spec.checked_graph(), spec.build()
    check_scripts_and_exports(graph, model, {"T": 6})
    for fmt in ("onnx", "exported"):
        done = export_module(model, input_infos(graph), fmt, str(tmp_path / f"clip.{fmt}"), length=6)
        # checked on a batch of 3 after exporting at 2: the [batch, batch] output follows it
        assert done.dynamic == ["batch", "T"] and done.difference is not None and done.difference < 1e-5


def test_summary_and_diagram_show_the_batch_axis(tmp_path):
    path = tmp_path / "clip.nn"
    path.write_text(CLIP)
    result = CliRunner().invoke(main, ["summary", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [o["shape"] for o in data["outputs"]] == [["batch"]]
    assert "[batch]" in nnspec.load(CLIP).to_dot()


def test_a_batchdot_inside_each_is_an_error_at_it():
    text = "network N {\n  input x: [T, 4]\n  each {\n    dense(4) -> batchdot\n  }\n}\n"
    assert problems(text) == [(
        "error", "`batchdot` compares the samples of a batch, but inside `each` the batch holds every position "
        "of every sequence", "take `batchdot` out of the `each`, after it has made one vector per sample", 4, 17)]


def test_batchdot_needs_one_vector_per_sample_of_one_size():
    assert problems("network N {\n  input x: [4, 3]\n  batchdot\n}\n") == [(
        "error", "`batchdot` takes one vector per sample [D] as its input, got [4, 3]",
        "pool or flatten each sample to one vector first (`globalavgpool`, `last`, `flatten`)", 3, 3)]
    assert problems("network N {\n  input x: [4]\n  input y: [6]\n  x -> batchdot(y)\n}\n") == [(
        "error", "`batchdot` of [4] needs a value of the same size, got [6]", "project it with `dense(4)` first", 4, 8)]
    assert problems("network N {\n  input x: [4]\n  batchdot -> batchdot\n}\n") == [(
        "error", "`batchdot` of a value that already ranges over the batch, [batch]", None, 3, 15)]


def test_an_input_dimension_cannot_be_named_batch():
    assert problems("network N {\n  input x: [batch, 4]\n  dense(2)\n}\n") == [(
        "error", "`batch` is the batch size's name, which no input's shape includes", "name this dimension otherwise (`N`)",
        2, 13)]


def test_a_train_section_is_refused_at_the_section():
    text = CLIP.replace("  expect [batch]\n", "  expect [batch]\n  train {\n    epochs = 1\n  }\n")
    assert problems(text) == [(
        "error", "`nnspec train` cannot train `CLIP`: its output depends on the other samples of its batch "
        "(`batchdot`, line 10), and training's losses compare each sample's output with that sample's own label",
        "train it with a loss of your own on the compiled module (`nnspec compile`), or remove the `train` section",
        13, 3)]
    # reduced to one value per sample, it still depends on the others
    summed = "network N {\n  input x: [4]\n  batchdot -> sum(0)\n  train {\n    epochs = 1\n  }\n}\n"
    assert [(m, line) for _, m, _, line, _ in problems(summed)] == [(
        "`nnspec train` cannot train `N`: its output depends on the other samples of its batch (`batchdot`, line 3), "
        "and training's losses compare each sample's output with that sample's own label", 4)]


def test_training_evaluating_and_predicting_refuse_it():
    from nnspec.train.data import output_shape
    from nnspec.train.errors import DataError

    with pytest.raises(DataError) as e:
        output_shape(nnspec.load(CLIP).checked_graph())
    assert e.value.message == ("the output of `CLIP` depends on the other samples of its batch (`batchdot`, line 10): "
                               "training, evaluation and prediction compare each sample's output with that sample's "
                               "own label, and cut the data into batches as memory allows")


def test_the_train_command_refuses_it_before_reading_data(tmp_path):
    path = tmp_path / "n.nn"
    path.write_text("network N {\n  input x: [4]\n  batchdot -> sum(0)\n}\n")
    result = CliRunner().invoke(main, ["train", str(path), "--data", "xo", "--epochs", "1", "--out", str(tmp_path / "run")])
    assert result.exit_code == 1, result.output
    assert "depends on the other samples of its batch (`batchdot`, line 3)" in result.output
