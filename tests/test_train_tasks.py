"""Every task `nnspec train` knows, trained on small generated data: tagging, segmentation,
multi-label, regression; the task chosen from output and labels, and the checks and warnings
before the first step."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.train import sources, tasks
from nnspec.train.assess import assess
from nnspec.train.data import input_infos, output_shape, prepare
from nnspec.train.errors import DataError
from nnspec.train.loop import fit

pytestmark = pytest.mark.usefixtures("one_thread")


def train(spec_text, raw, out, **flags):
    return fit(nnspec.load(spec_text), None, {}, flags, str(out), live=False, raw=raw)


TAGGER = """network Tagger {
  input tokens: [T] int pad=0
  embedding(12, 8) -> lstm(16, bidirectional=true) -> dense(3)
}
"""


def tagging_set(n=400, length=10, seed=0):
    """Sentences of tokens 1..11 padded with 0; a token's tag is its id mod 3 plus one if the
    token before it is even (so a tag needs context). Pad positions carry the label 7, which
    no output has: were they not ignored, the check would refuse it."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, 12, (n, length))
    lengths = rng.integers(3, length + 1, n)
    tokens[np.arange(length)[None, :] >= lengths[:, None]] = 0
    before = np.concatenate([np.ones((n, 1), int), tokens[:, :-1]], 1)
    tags = (tokens % 3 + (before % 2 == 0)) % 3
    tags[tokens == 0] = 7
    return sources.Raw("tensors:tags.npz", tags, [tokens])


def test_a_tagger_learns_per_position_labels_and_ignores_padding(tmp_path, capsys):
    result = train(TAGGER, tagging_set(), tmp_path, epochs=8, lr=0.02, batch_size=32, seed=0)
    assert result["task"] == "tagging" and result["loss"] == "ce"
    assert result["best"]["val_accuracy"] >= 0.9  # chance: 1/3
    assert "tagging (ce)" in capsys.readouterr().out
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert set(rows[0]) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    state = torch.load(tmp_path / "best.pt", weights_only=True)
    assert state["settings"]["loss"] == "ce"


def test_padding_positions_count_nowhere():
    raw = tagging_set(n=20)
    spec = nnspec.load(TAGGER)
    graph = spec.checked_graph()
    prepared = prepare(raw, input_infos(graph), output_shape(graph))
    labels, tokens = prepared.train.labels, prepared.train.inputs[0]
    assert isinstance(prepared.task, tasks.Tag) and labels.shape == tokens.shape
    assert torch.equal(labels == tasks.IGNORE, tokens == 0)
    task = prepared.task
    logits = torch.zeros(*labels.shape, 3)
    logits[..., 1] = 5.0  # predicts tag 1 everywhere
    sums = task.sums(logits, labels, task.loss(logits, labels))
    real = labels != tasks.IGNORE
    assert int(sums[1]) == int(real.sum()) and int(sums[2]) == int((labels[real] == 1).sum())


UNET = """network UNet {
  input x: [1, 16, 16]
  let e1 = x -> conv(8, 3, padding=same) -> relu
  let e2 = e1 -> maxpool(2) -> conv(16, 3, padding=same) -> relu
  e2 -> upsample(2) -> concat(e1) -> conv(8, 3, padding=same) -> relu -> conv(2, 1)
}
"""


def shapes_set(n=300, size=16, seed=0):
    """Noisy images of a bright disc or square on a dark ground; the mask marks the shape."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    images = rng.normal(0.2, 0.15, (n, 1, size, size)).astype(np.float32)
    masks = np.zeros((n, size, size), np.int64)
    for i in range(n):
        r = rng.integers(3, 6)
        cy, cx = rng.integers(r, size - r, 2)
        shape = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r) if i % 2 else \
            ((abs(yy - cy) <= r) & (abs(xx - cx) <= r))
        masks[i] = shape
        images[i, 0][shape] += 0.6
    return sources.Raw("tensors:shapes.npz", masks, [images])


def test_a_unet_segments_generated_shapes(tmp_path):
    raw = shapes_set()
    background = 1 - raw.labels.mean()
    result = train(UNET, raw, tmp_path, epochs=6, lr=0.01, batch_size=32, seed=0)
    assert result["task"] == "segmentation"
    best = result["best"]
    assert best["val_pixel_accuracy"] >= 0.9 and best["val_pixel_accuracy"] > background + 0.1
    assert best["val_mean_iou"] >= 0.7
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert set(rows[0]) == {"epoch", "train_loss", "train_pixel_accuracy", "train_mean_iou", "val_loss",
                            "val_pixel_accuracy", "val_mean_iou", "lr", "seconds"}


def test_mean_iou_and_pixel_accuracy_by_hand():
    task = tasks.Segment((2, 2, 2))
    y = torch.tensor([[[0, 1], [1, 1]]])
    logits = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]]])  # predicts [[0, 1], [0, 1]]
    figures = task.finish(task.sums(logits, y, task.loss(logits, y)))
    assert figures["pixel_accuracy"] == 0.75
    assert figures["mean_iou"] == pytest.approx((1 / 2 + 2 / 3) / 2)  # class 0: 1 of 2; class 1: 2 of 3


def test_segmentation_from_an_image_folder_with_masks(tmp_path):
    from PIL import Image

    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for i in range(3):
        pixels = np.zeros((20, 20), np.uint8)
        pixels[:, : 5 * (i + 1)] = 255
        Image.fromarray(pixels).save(tmp_path / "images" / f"{i}.png")
        Image.fromarray(pixels).save(tmp_path / "masks" / f"{i}.png")  # a black-and-white mask
    spec = nnspec.load(UNET)
    raw = sources.load(f"images:{tmp_path}", input_infos(spec.checked_graph()))
    assert raw.labels.shape == (3, 16, 16) and set(np.unique(raw.labels)) == {0, 1}
    assert raw.labels[0, 0].tolist() == [1] * 4 + [0] * 12  # 5 of 20 columns, nearest at 16
    prepared = prepare(raw, input_infos(spec.checked_graph()), output_shape(spec.checked_graph()))
    assert prepared.task.name == "segmentation"
    (tmp_path / "unet.nn").write_text(UNET)
    run = CliRunner().invoke(main, ["train", str(tmp_path / "unet.nn"), "--data", f"images:{tmp_path}", "--epochs", "1",
                                    "--plain", "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    assert "segmentation (ce)" in run.stdout and "val loss" in run.stdout and "mIoU" in run.stdout
    text = CliRunner().invoke(main, ["evaluate", str(tmp_path / "unet.nn"), "-w", str(tmp_path / "run" / "best.pt")])
    assert text.exit_code == 0 and " pixel accuracy " in text.stdout and " mean IoU " in text.stdout
    assert "(3 examples)" in text.stdout and "confusion (rows: true class, columns: predicted)" in text.stdout
    (tmp_path / "masks" / "2.png").unlink()
    with pytest.raises(DataError, match=r"images/2\.png has no mask in .*masks"):
        sources.load(f"images:{tmp_path}", input_infos(spec.checked_graph()))


REGRESSOR = "network R {\n  input x: [4]\n  dense(16) -> relu -> dense(1)\n}\n"


def regression_set(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([1.5, -2.0, 0.5, 1.0]) + 0.5).astype(np.float32)  # one number per example
    return sources.Raw("tensors:r.npz", y, [x])


@pytest.mark.parametrize("loss", ["auto", "l1"])
def test_a_regressor_s_loss_falls(tmp_path, loss):
    result = train(REGRESSOR, regression_set(), tmp_path, epochs=8, lr=0.01, batch_size=32, seed=0, loss=loss)
    assert result["task"] == "regression" and result["loss"] == ("mse" if loss == "auto" else "l1")
    history = result["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 4
    assert history[-1]["val_mae"] < 0.5 and history[-1]["val_rmse"] >= history[-1]["val_mae"]
    assert "val_accuracy" not in history[-1]


def test_evaluate_reports_the_task_s_metrics(tmp_path):
    raw = regression_set()
    np.savez(tmp_path / "r.npz", x=raw.inputs[0], y=raw.labels)
    spec = tmp_path / "r.nn"
    spec.write_text(REGRESSOR)
    run = CliRunner().invoke(main, ["train", str(spec), "--data", f"tensors:{tmp_path / 'r.npz'}", "--epochs", "3",
                                    "--lr", "0.01", "--out", str(tmp_path / "run"), "--plain"])
    assert run.exit_code == 0, run.output
    result = assess(nnspec.load(str(spec)), str(tmp_path / "run" / "best.pt"))
    assert result["task"] == "regression" and result["metrics"] == ["mae", "rmse"] and result["examples"] == 400
    text = CliRunner().invoke(main, ["evaluate", str(spec), "-w", str(tmp_path / "run" / "best.pt")]).stdout
    assert f"loss {result['loss']:.4f}  mae {result['mae']:.4f}  rmse {result['rmse']:.4f}  (400 examples)" in text
    refused = CliRunner().invoke(main, ["predict", str(spec), "-w", str(tmp_path / "run" / "best.pt"),
                                        str(tmp_path / "r.npz")])
    assert refused.exit_code == 1 and refused.stderr.startswith(
        "error: predict names classes, so it needs a classifier trained with cross-entropy on an output [classes]; "
        "`R` outputs [1] and trained with mse\n")


MULTI = "network M {\n  input x: [6]\n  dense(16) -> relu -> dense(3)\n}\n"


def test_multi_label_trains_with_binary_cross_entropy(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 6)).astype(np.float32)
    y = np.stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0, x[:, 5] < 0.5], 1).astype(np.int64)
    result = train(MULTI, sources.Raw("tensors:m.npz", y, [x]), tmp_path, epochs=8, lr=0.02, batch_size=32)
    assert result["task"] == "multi-label" and result["loss"] == "bce"
    assert result["best"]["val_accuracy"] >= 0.9  # per label; chance about 0.5


def test_the_task_follows_output_and_labels():
    ids, flags, floats = np.array([0, 2, 1]), np.array([[0, 1, 1]]), np.zeros((2, 3), np.float32)
    assert type(tasks.choose((3,), ids, "auto", "s")) is tasks.Classify
    assert type(tasks.choose((3,), flags, "auto", "s")) is tasks.MultiLabel
    assert type(tasks.choose((3,), floats, "auto", "s")) is tasks.Regress
    assert tasks.choose((3,), floats, "bce", "s").loss_name == "bce"
    assert tasks.choose((3,), floats, "l1", "s").loss_name == "l1"
    assert type(tasks.choose((None, 5), np.zeros((2, 7), int), "auto", "s")) is tasks.Tag
    assert type(tasks.choose((4, 8, 8), np.zeros((2, 8, 8), int), "auto", "s")) is tasks.Segment
    assert type(tasks.choose((1,), np.array([0, 1, 1]), "auto", "s")) is tasks.MultiLabel  # binary, one logit
    assert type(tasks.choose((1,), np.array([0.5, 2.0]), "auto", "s")) is tasks.Regress
    with pytest.raises(DataError) as e:
        tasks.choose((3,), floats, "ce", "tensors:d.npz")
    assert e.value.message == ("`tensors:d.npz` gives float32 labels of shape [N, 3], which fit no --loss ce "
                               "for the output [3]")
    with pytest.raises(DataError, match="binary cross-entropy needs labels between 0 and 1"):
        tasks.choose((3,), np.array([[0, 2, 1]]), "auto", "s").labels(np.array([[0, 2, 1]]), "s")


def test_a_sequence_output_for_whole_sequence_labels_names_the_lstm_fix(tmp_path):
    spec = tmp_path / "s.nn"
    spec.write_text("network S(vocab = 50) {\n  input tokens: [T] int pad=0\n"
                    "  embedding(vocab, 8)\n  lstm(8)\n  dense(2)\n}\n")
    result = CliRunner().invoke(main, ["train", str(spec), "--data", "sentiment_toy?n=40",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: `sentiment_toy` gives integer labels of shape [N], which fit no task for the output [T, 2]\n"
        "hint: the output [T, 2] keeps one value per time step; to label whole sequences, give the `lstm` "
        "(line 4) `output=final`, e.g. `lstm(8, output=final)`, or put `last` after it\n")
    assert not (tmp_path / "out").exists()


def test_warnings_before_the_first_step(tmp_path):
    spec = tmp_path / "soft.nn"
    spec.write_text("network Soft(classes = 2) {\n  input image: [1, 9, 9]\n  flatten -> dense(classes)\n"
                    "  softmax\n}\n")
    result = CliRunner().invoke(main, ["train", str(spec), "--data", "xo?n=60", "--epochs", "1", "--plain",
                                       "--set", "classes=3", "--amp", "fp16", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: `xo` has 2 classes: X, O, but the network's output has 3 classes; the other 1 are never the answer\n"
        "hint: match the output to the data, e.g. --set classes=2\n"
        f"{spec}:4:3: warning: `Soft` ends in softmax, and cross-entropy applies softmax itself: "
        "the network would be trained through softmax twice\n"
        "    softmax\n"
        "    ^~~~~~~\n"
        "hint: remove the final softmax (the loss includes it; apply softmax to the outputs when predicting)\n"
        "warning: --amp fp16 on a CPU: float16 autocast there is slow and needs a loss scaler\n"
        "hint: use --amp bf16 on a CPU (fp16 is for GPUs)\n")


def test_a_vocabulary_that_cuts_most_words_is_a_warning(tmp_path):
    spec = tmp_path / "t.nn"
    spec.write_text("network T(vocab = 50) {\n  input tokens: [T] int pad=0\n"
                    "  embedding(vocab, 8) -> lstm(8, output=final) -> dense(2)\n}\n")
    result = CliRunner().invoke(main, ["train", str(spec), "--data", "sentiment_toy?n=200", "--epochs", "1",
                                       "--plain", "--set", "vocab=10", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    first = result.stderr.splitlines()
    assert first[0].startswith("warning: the embedding's vocabulary of 10 ids keeps 8 of the ")
    assert first[0].endswith(" read as <unk>") and first[1].startswith("hint: raise the embedding's vocabulary to ")
    quiet = CliRunner().invoke(main, ["train", str(spec), "--data", "sentiment_toy?n=200", "--epochs", "1",
                                      "--plain", "--out", str(tmp_path / "out2")])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_early_stopping_on_the_validation_score(tmp_path, capsys):
    raw = regression_set(n=60)
    raw.labels[:] = np.random.default_rng(3).normal(size=60)  # noise: nothing to learn, so no lasting gain
    result = train(REGRESSOR, raw, tmp_path, epochs=40, lr=0.05, batch_size=8, patience=2, seed=0)
    epochs = [r["epoch"] for r in result["history"]]
    assert len(epochs) < 40
    best = result["best"]["epoch"]
    assert epochs[-1] == best + 2  # two epochs without a better val loss
    assert "stopping early: no better validation score for 2 epochs" in capsys.readouterr().out


def test_resize_fits_mnist_to_a_larger_input(tmp_path):
    from tests.test_train_sources import make_mnist

    make_mnist(tmp_path, n=8, n_test=4)
    lenet = nnspec.load("network L {\n  input image: [1, 32, 32]\n  flatten -> dense(10)\n}\n")
    info = input_infos(lenet.checked_graph())
    raw = sources.load(f"mnist:{tmp_path}", info, resize=True)
    assert raw.inputs[0].shape == (8, 1, 32, 32) and raw.test.inputs[0].shape == (4, 1, 32, 32)
    plain = sources.load(f"mnist:{tmp_path}", info)
    with pytest.raises(DataError) as e:
        prepare(plain, info, 10)
    assert e.value.hint == "declare `input image: [1, 28, 28]`, or resize the images to [1, 32, 32] with --resize"


def test_device_takes_a_gpu_index():
    from nnspec.train.config import Settings

    assert Settings().merged({"device": "cuda:1"}).device == "cuda:1"
    with pytest.raises(ValueError, match="`device` must be one of auto, cpu, cuda, cuda:N, got 'gpu'"):
        Settings().merged({"device": "gpu"})
    result = CliRunner().invoke(main, ["train", "x.nn", "--device", "cuda:x"])
    assert result.exit_code == 2 and "expected auto, cpu, cuda or cuda:N, got 'cuda:x'" in result.stderr
    if not torch.cuda.is_available():
        from nnspec.train.distributed import pick_device

        with pytest.raises(DataError, match="--device cuda:1, but PyTorch sees no CUDA GPU"):
            pick_device("cuda:1")
