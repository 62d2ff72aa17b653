"""`nnspec export`: ONNX (through onnxruntime), TorchScript and torch.export programs give the
module's outputs, with a dynamic batch and sequence length, for a CNN, a plain chain (an
nn.Sequential), the padded sentiment LSTM and the CNN–LSTM."""

from __future__ import annotations

import importlib.metadata
import json
import os

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import nnspec
from nnspec.backends.export import ExportError, example_inputs
from nnspec.cli import main
from nnspec.train.assess import restore
from nnspec.train.data import input_infos, output_shape
from nnspec.train.exporting import export
from nnspec.train.loop import fit
from nnspec.train.sources import Raw

pytestmark = pytest.mark.usefixtures("one_thread")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def video_run(tmp_path_factory):
    """specs/video_lstm.nn (a CNN per frame, then an LSTM), trained one epoch on random clips."""
    out = tmp_path_factory.mktemp("video")
    spec = os.path.join(ROOT, "specs", "video_lstm.nn")
    clips = np.random.default_rng(0).random((4, 3, 3, 64, 64), dtype=np.float32)
    fit(nnspec.load(spec), None, {"classes": 3, "hidden": 8}, {"epochs": 1, "batch_size": 2, "val_split": 0.0},
        str(out), live=False, raw=Raw("clips", np.array([0, 1, 2, 0]), [clips]))
    return {"spec": spec, "weights": str(out / "last.pt")}


@pytest.fixture(scope="module")
def xo_run(tmp_path_factory):
    """specs/xo.nn (an unlabelled chain, so an nn.Sequential whose argument is not the input's name),
    trained one epoch on random images."""
    out = tmp_path_factory.mktemp("xo")
    spec = os.path.join(ROOT, "specs", "xo.nn")
    images = np.random.default_rng(0).random((4, 1, 9, 9), dtype=np.float32)
    fit(nnspec.load(spec), None, {}, {"epochs": 1, "batch_size": 2, "val_split": 0.0},
        str(out), live=False, raw=Raw("images", np.array([0, 1, 0, 1]), [images]))
    return {"spec": spec, "weights": str(out / "last.pt")}


@pytest.fixture(params=["cnn", "sequential", "lstm", "cnn_lstm"])
def network(request):
    return request.getfixturevalue({"cnn": "shapes_run", "sequential": "xo_run", "lstm": "sentiment_run",
                                    "cnn_lstm": "video_run"}[request.param])


def run_file(fmt: str, path: str, inputs: list[torch.Tensor]) -> np.ndarray:
    """The exported file's outputs, loaded as a user would load it."""
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        return session.run(None, {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)})[0]
    with torch.no_grad():
        if fmt == "torchscript":
            return torch.jit.load(path)(*inputs).numpy()
        return torch.export.load(path).module()(*inputs).numpy()


@pytest.mark.parametrize("fmt", ["onnx", "torchscript", "exported"])
def test_the_exported_file_gives_the_modules_outputs(network, fmt, tmp_path):
    spec = nnspec.load(network["spec"])
    path = str(tmp_path / f"model.{fmt}")
    result = export(spec, network["weights"], fmt, path, length=5)
    _, graph, model = restore(spec, network["weights"])
    infos = input_infos(graph)
    sequence = any(not isinstance(d, int) for i in infos for d in i.shape)
    if fmt == "exported" or not sequence:
        assert result.dynamic == ["batch"]
    elif network["spec"].endswith("sentiment_lstm.nn") or fmt == "torchscript":
        assert result.dynamic == ["batch", "T"]
    if fmt == "onnx":  # what the report says is what the file holds
        import onnxruntime

        shape = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]).get_inputs()[0].shape
        assert isinstance(shape[0], str) and (isinstance(shape[1], str) == ("T" in result.dynamic))
    # another batch size and, where it is dynamic, another length than the export saw
    inputs = example_inputs(infos, batch=5, length=11 if "T" in result.dynamic else 5, seed=7)
    if infos[0].pad is not None:  # sequences of several lengths: the padding path
        assert (inputs[0] == infos[0].pad).any() and not (inputs[0][0] == infos[0].pad).any()
    with torch.no_grad():
        expected = model(*inputs).numpy()
    got = run_file(fmt, path, inputs)
    assert got.shape == expected.shape == (5, *output_shape(graph))
    assert np.abs(got - expected).max() < 1e-4
    assert result.difference is not None and result.difference < 1e-4


def test_export_command_reports_and_a_missing_onnx_is_a_hint(shapes_run, tmp_path, monkeypatch):
    runner = CliRunner()
    out = tmp_path / "shapes.pt"
    result = runner.invoke(main, ["export", shapes_run["spec"], "-w", shapes_run["weights"], "-f", "torchscript",
                                  "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out} (torchscript, scripted; dynamic: batch); checked: max |file - module| ")
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxscript" else real(name, *a))
    with pytest.raises(ExportError) as e:
        export(nnspec.load(shapes_run["spec"]), shapes_run["weights"], "onnx", str(tmp_path / "x.onnx"))
    assert e.value.message == "exporting to ONNX needs onnxscript, which is not installed"
    assert e.value.hint == "pip install nnspec[onnx] (onnx, onnxscript and onnxruntime)"
    missing = runner.invoke(main, ["export", shapes_run["spec"], "-w", shapes_run["weights"], "-f", "onnx",
                                   "-o", str(tmp_path / "x.onnx")])
    assert missing.exit_code == 1 and "hint: pip install nnspec[onnx]" in missing.stderr
    assert not (tmp_path / "x.onnx").exists()


@pytest.mark.parametrize("kind,bidirectional,output,layers", [
    ("lstm", "false", "final", 1), ("lstm", "true", "final", 1), ("lstm", "true", "sequence", 1),
    ("gru", "false", "sequence", 2), ("lstm", "false", "final", 2), ("rnn", "true", "final", 1)])
def test_masking_the_padding_gives_what_packing_gives(kind, bidirectional, output, layers):
    """While exporting, recurrent layers mask padding instead of packing: the values agree."""
    spec = nnspec.load(f"""network N {{
  input tokens: [T] int pad=0
  embed: embedding(50, 6)
  rec: {kind}(5, bidirectional={bidirectional}, output={output}, layers={layers})
}}""")
    torch.manual_seed(0)
    model = spec.build().eval()
    tokens = torch.tensor([[3, 4, 5, 0, 0, 0], [6, 7, 1, 2, 9, 4], [8, 0, 0, 0, 0, 0]])
    with torch.no_grad():
        packed = model(tokens)  # eagerly the padding is packed
        traced = torch.jit.trace(model, (tokens,), check_trace=False)(tokens)  # tracing takes the masked path
        exported = torch.export.export(model, (tokens,)).module()(tokens)  # and so does exporting
        scripted = torch.jit.script(model)(tokens)  # scripting packs
    assert packed.shape == traced.shape == exported.shape == (
        (3, 5 * (1 + (bidirectional == "true"))) if output == "final" else (3, 6, 5 * (1 + (bidirectional == "true"))))
    assert (packed - traced).abs().max() < 1e-6
    assert (packed - exported).abs().max() < 1e-6
    assert (packed - scripted).abs().max() < 1e-6


def test_an_exporter_failure_names_its_real_cause(shapes_run, tmp_path, monkeypatch):
    """torch.onnx wraps the real error in a coloured banner whose first line says only "step 1/3 ...
    Next steps:"; the message shows the cause instead."""
    def failing(*args, **kwargs):
        try:
            raise ValueError("Constraints violated (batch)!\nmore detail")
        except ValueError as cause:
            raise RuntimeError("Failed to export the model with torch.export. \x1b[96mThis is step 1/3\x1b[0m "
                               "of exporting the model to ONNX. Next steps:\n- Modify the model code") from cause

    monkeypatch.setattr(torch.onnx, "export", failing)
    with pytest.raises(ExportError) as e:
        export(nnspec.load(shapes_run["spec"]), shapes_run["weights"], "onnx", str(tmp_path / "x.onnx"))
    assert str(e.value) == "torch.onnx could not export the network: Constraints violated (batch)!"
    assert not os.path.exists(tmp_path / "x.onnx")


def test_an_export_carries_the_spec_s_names_and_metadata(shapes_run, tmp_path):
    pytest.importorskip("onnxruntime")
    import onnxruntime

    from nnspec.backends.export import read_metadata

    path = str(tmp_path / "shapes.onnx")
    export(nnspec.load(shapes_run["spec"]), shapes_run["weights"], "onnx", path)
    state = torch.load(shapes_run["weights"], weights_only=True)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image"] and [o.name for o in session.get_outputs()] == ["output"]
    meta = read_metadata(path)
    assert session.get_modelmeta().custom_metadata_map == meta
    assert json.loads(meta["nnspec.classes"]) == state["classes"] == ["cross", "ring", "square"]
    assert json.loads(meta["nnspec.spec"]) == state["spec"] and meta["nnspec.network"] == state["network"]
    assert meta["nnspec.normalize"] == state["settings"]["normalize"] and meta["nnspec.loss"] == "ce"
    assert json.loads(meta["nnspec.inputs"]) == [{"name": "image", "shape": [3, 32, 32], "dtype": "float", "pad": None}]
    assert meta["nnspec.version"] == importlib.metadata.version("nnspec")

    script = str(tmp_path / "shapes.pt")
    export(nnspec.load(shapes_run["spec"]), shapes_run["weights"], "torchscript", script)
    extra = {key: "" for key in meta}
    torch.jit.load(script, _extra_files=extra)
    assert {k: v.decode() for k, v in extra.items()} == meta  # TorchScript gives the bytes back


@pytest.mark.parametrize("run", ["shapes_run", "sentiment_run"])
def test_predict_reads_an_onnx_file_as_the_checkpoint(request, run, tmp_path):
    pytest.importorskip("onnxruntime")
    network = request.getfixturevalue(run)
    path = str(tmp_path / "model.onnx")
    export(nnspec.load(network["spec"]), network["weights"], "onnx", path)
    inputs = ([str(p) for p, _ in network["files"]["ring"][:2] + network["files"]["cross"][:2]] if run == "shapes_run"
              else ["a wonderful moving film", "dull and boring, a waste"])
    runner = CliRunner()
    from_onnx = runner.invoke(main, ["predict", path, *inputs, "--json", "-k", "2"])
    assert from_onnx.exit_code == 0, from_onnx.output
    from_checkpoint = runner.invoke(main, ["predict", network["weights"], *inputs, "--json", "-k", "2"])
    a, b = ([json.loads(line) for line in r.stdout.splitlines()] for r in (from_onnx, from_checkpoint))
    assert [x["class"] for x in a] == [x["class"] for x in b] and len(a) == 4 - 2 * (run == "sentiment_run")
    assert [t["class"] for x in a for t in x["top"]] == [t["class"] for x in b for t in x["top"]]
    assert [x["probability"] for x in a] == pytest.approx([x["probability"] for x in b], abs=1e-5)
    if run == "shapes_run":  # a file without nnspec's metadata: refused, saying how to get one
        import onnx

        bare = onnx.load(path)
        del bare.metadata_props[:]
        onnx.save(bare, str(tmp_path / "bare.onnx"))
        refused = runner.invoke(main, ["predict", str(tmp_path / "bare.onnx"), *inputs])
        assert refused.exit_code == 1
        assert refused.stderr == (f"error: {tmp_path / 'bare.onnx'} carries no nnspec metadata (its inputs, classes, "
                                  "normalisation)\nhint: export the checkpoint with `nnspec export --format onnx`\n")
