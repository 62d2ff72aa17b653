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
    from nnspec.train.tasks import Classify

    write_jsonl(str(tmp_path / "m.jsonl"), [{"epoch": 1, "train_loss": 0.5, "lr": float("inf"), "seconds": float("nan")}],
                Classify((2,)))
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
    assert err.splitlines()[0].startswith("error: ") and f"while writing {tmp_path}/file/run; it was not created" in err


def test_write_failure_words():
    assert write_failure("a/m.jsonl", OSError(errno.EIO, "Input/output error"), False) == \
        "input/output error while writing a/m.jsonl; it was not created"


# -- messages -----------------------------------------------------------------------------------

def test_resume_names_each_ignored_flag_and_keeps_the_run_settings(tmp_path):
    out = tmp_path / "run"
    first_run(out, "--lr", "0.01")
    code, _, err = train(XO, "--out", out, "--resume", "--epochs", "2", "--lr", "0.5", "--batch-size", "8",
                         "--seed", "0", "--set", "classes=3e0")
    assert code == 0
    assert err == ("warning: a resumed run keeps its settings: ignoring --set classes=3e0 (the run's is 2), "
                   "--batch-size 8 (the run's is 64), --lr 0.5 (the run's is 0.01)\n"
                   "hint: only --epochs, --device, --compile, --patience change on --resume; start a new run (--overwrite or "
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


# -- data accepted silently, and T6 --------------------------------------------------------------

LSTM = "network T(vocab = 50) {\n  input tokens: [T] int pad=0\n  embedding(vocab, 8) -> lstm(8, output=final) -> dense(2)\n}\n"


def refused(tmp_path, spec, source, data_files, message, hint=None):
    """``train`` refuses ``source`` with ``message`` (exit 1); the data files and an earlier run
    in the output folder are untouched."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "last.pt").write_bytes(b"an earlier run")
    before, data = snapshot(out), {p: p.read_bytes() for p in data_files}
    code, _, err = train(spec, "--data", source, "--out", out, "--overwrite", "--epochs", "1")
    assert code == 1
    assert err.splitlines()[0] == f"error: {message}"
    if hint is not None:
        assert err.splitlines()[1] == f"hint: {hint}"
    assert snapshot(out) == before and {p: p.read_bytes() for p in data_files} == data


def lstm_spec(tmp_path) -> Path:
    path = tmp_path / "t.nn"
    path.write_text(LSTM)
    return path


def test_more_inputs_than_labels(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, image=np.zeros((100, 1, 9, 9), np.float32), y=np.arange(90) % 2)
    refused(tmp_path, XO, f"tensors:{path}", [path], f"`tensors:{path}` has 100 examples of input `image` but 90 labels",
            "give one label per example")


def test_non_finite_inputs_are_refused_before_the_first_step(tmp_path):
    x = np.zeros((20, 1, 9, 9), np.float32)
    x[7, 0, 1, 1], x[12, 0, 0, 0] = np.nan, -np.inf
    path = tmp_path / "d.npz"
    np.savez(path, image=x, y=np.arange(20) % 2)
    refused(tmp_path, XO, f"tensors:{path}", [path],
            f"`tensors:{path}`: NaN or infinite values in input `image` of 2 examples (the first is example 7, "
            "counting from 0)", "replace the missing values, or drop those examples")


def test_non_finite_labels_of_a_regression_are_refused():
    from nnspec.train import sources
    from nnspec.train.screening import screen

    raw = sources.Raw("tensors:r.npz", np.array([0.5, np.nan, 1.0], np.float32), [np.zeros((3, 4), np.float32)])
    with pytest.raises(sources.DataError) as e:
        screen(raw, [sources.InputInfo("x", (4,), "float")])
    assert e.value.message == ("`tensors:r.npz`: NaN or infinite values in the labels of 1 example (the first is "
                               "example 1, counting from 0)")


def test_a_scalar_array(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.float32(3.0), y=np.array([0, 1]))
    refused(tmp_path, XO, f"tensors:{path}", [path],
            f"`tensors:{path}` gives a single number for input `image`, not one row per example")


def test_a_single_class_csv(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label\ngood film,pos\ngreat,pos\nfine,pos\n")
    refused(tmp_path, lstm_spec(tmp_path), f"text:{path}", [path],
            f"`text:{path}` holds examples of one class only (`pos`); a classifier needs at least two")


def test_a_single_class_npz(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, image=np.zeros((10, 1, 9, 9), np.float32), y=np.ones(10, np.int64))
    refused(tmp_path, XO, f"tensors:{path}", [path],
            f"`tensors:{path}` holds examples of one class only (`1`); a classifier needs at least two")


def write_png(path: Path, size=(9, 9), value=0) -> None:
    from PIL import Image

    Image.new("L", size, value).save(path)


def test_a_single_class_image_folder_and_an_empty_class_folder(tmp_path):
    root = tmp_path / "imgs"
    (root / "x").mkdir(parents=True)
    for i in range(3):
        write_png(root / "x" / f"{i}.png", value=40 * i)
    files = list((root / "x").iterdir())
    refused(tmp_path, XO, f"images:{root}", files,
            f"`images:{root}` holds examples of one class only (`x`); a classifier needs at least two")
    (root / "o").mkdir()
    (root / "o" / "notes.txt").write_text("not an image")
    (tmp_path / "run").rename(tmp_path / "first")
    refused(tmp_path, XO, f"images:{root}", files, f"images:{root}: the class folder `o` holds no images",
            "add images ending in .png, .jpg, .jpeg, .bmp, .gif, .tif, .tiff, .webp, .ppm, .pgm, or remove the "
            "folder (every folder is a class)")


def test_a_decompression_bomb_is_refused_unread(tmp_path):
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    root = tmp_path / "imgs"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        write_png(root / name / "0.png")
    bomb = root / "b" / "1.png"  # 60,000 x 60,000 grey pixels claimed by a 60-byte file
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    from PIL import Image

    refused(tmp_path, XO, f"images:{root}", [bomb],
            f"{bomb}: refused, too many pixels to decode safely (Image size (3600000000 pixels) exceeds limit of "
            f"{2 * Image.MAX_IMAGE_PIXELS} pixels, could be decompression bomb DOS attack.)",
            f"one image may hold at most {Image.MAX_IMAGE_PIXELS:,} pixels; shrink it first")


def test_an_image_over_the_warning_limit_is_refused_too(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 150 pixels: over the limit, under twice it
    from nnspec.train import sources

    root = tmp_path / "imgs"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        write_png(root / name / "0.png", size=(15, 10))
    with pytest.raises(sources.DataError) as e:
        sources.images(str(root), [sources.InputInfo("image", (1, 9, 9), "float")])
    assert e.value.message.startswith(f"{root}/a/0.png: refused, too many pixels to decode safely (Image size (150 "
                                      "pixels) exceeds limit of 100 pixels")


def test_an_empty_text_row_names_its_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label\ngood film,1\n  ,0\nbad,0\n")
    refused(tmp_path, lstm_spec(tmp_path), f"text:{path}", [path], f"{path}:3: the `text` field is empty",
            "give every row some text, or remove the row")


def test_an_empty_label_names_its_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label\ngood film,1\nbad,\n")
    refused(tmp_path, lstm_spec(tmp_path), f"text:{path}", [path], f"{path}:3: the `label` field is empty")


def test_a_token_sequence_of_padding_only(tmp_path):
    tokens = np.array([[3, 4, 0], [0, 0, 0], [5, 0, 0], [0, 0, 0]])
    path = tmp_path / "d.npz"
    np.savez(path, tokens=tokens, y=np.array([0, 1, 0, 1]))
    refused(tmp_path, lstm_spec(tmp_path), f"tensors:{path}", [path],
            f"`tensors:{path}`: 2 examples of input `tokens` are all padding (id 0), an empty sequence (the first is "
            "example 1, counting from 0)", "drop the empty examples, or give them at least one token")


def test_a_csv_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("text,label\ngood film,1\nawful film,0\ngreat,1\nbad,0\n".encode("utf-8-sig"))
    code, out, err = train(lstm_spec(tmp_path), "--data", f"text:{path}", "--epochs", "1", "--out", tmp_path / "run")
    assert code == 0, err  # read as plain utf-8, the first column would be `\ufefftext`
    assert out.startswith(f"training T on text:{path}: 3 examples, 1 for validation;")
    from nnspec.train.text import read_table

    assert read_table(str(path), "text", "label") == (["good film", "awful film", "great", "bad"], ["1", "0", "1", "0"])


@pytest.mark.parametrize("content, reason", [
    (b"", "it is empty"),
    (b"PK\x03\x04" + bytes(40), "File is not a zip file"),
    (b"not numpy at all", "it is not a zip of arrays, and pickled data is never loaded"),
])
def test_an_unreadable_npz(tmp_path, content, reason):
    path = tmp_path / "d.npz"
    path.write_bytes(content)
    refused(tmp_path, XO, f"tensors:{path}", [path], f"{path}: not a readable .npz file ({reason})",
            "write it with numpy.savez(path, x=..., y=...)")


def test_bfloat16_tensors_train(tmp_path):
    rng = torch.Generator().manual_seed(0)
    path = tmp_path / "d.pt"
    torch.save({"image": torch.rand(40, 1, 9, 9, generator=rng).bfloat16(), "y": torch.arange(40) % 2}, path)
    from nnspec.train import sources

    raw = sources.tensors(str(path), [sources.InputInfo("image", (1, 9, 9), "float")])
    assert raw.inputs[0].dtype == np.float32
    assert np.array_equal(raw.inputs[0], torch.load(path)["image"].float().numpy())
    code, _, err = train(XO, "--data", f"tensors:{path}", "--epochs", "1", "--out", tmp_path / "run")
    assert code == 0, err


def test_a_sparse_tensor_is_named(tmp_path):
    path = tmp_path / "d.pt"
    torch.save({"image": torch.zeros(4, 1, 9, 9).to_sparse(), "y": torch.arange(4) % 2}, path)
    refused(tmp_path, XO, f"tensors:{path}", [path], f"{path}: tensor `image` is sparse_coo, not dense",
            "store t.to_dense()")


def test_empty_texts_given_in_memory_are_refused():
    from nnspec.train import sources
    from nnspec.train.data import prepare

    raw = sources.Raw("mine", np.array([0, 1, 0]), texts=["good", " ", "bad"], classes=["a", "b"])
    with pytest.raises(sources.DataError) as e:
        prepare(raw, [sources.InputInfo("tokens", ("T",), "int", 0, 50)], 2)
    assert e.value.message == "`mine`: 1 example is empty text (the first is example 1, counting from 0)"


# -- T7: checkpoints that load but are not what they claim ---------------------------------------

def _damage(state: dict, case: str) -> None:
    if case == "missing key":
        del state["rng"]
    elif case == "unknown setting":
        state["settings"]["colour"] = "red"
    elif case == "setting of the wrong type":
        state["settings"]["lr"] = "fast"
    elif case == "setting out of range":
        state["settings"]["optimizer"] = "lion"
    elif case == "epoch as text":
        state["epoch"] = "1"
    elif case == "epoch zero":
        state["epoch"] = 0
    elif case == "metrics of another run":
        state["metrics"] = []
    elif case == "wrong tensor shape":
        state["model"]["4.weight"] = torch.zeros(3, 64)
    elif case == "missing tensor":
        del state["model"]["0.bias"]
    elif case == "unknown tensor":
        state["model"]["head.weight"] = torch.zeros(2)
    elif case == "non-finite weights":
        state["model"]["0.weight"][0, 0, 0, 0] = float("nan")
    elif case == "torch rng":
        state["rng"]["torch"] = torch.zeros(10, dtype=torch.uint8)
    elif case == "numpy rng":
        state["rng"]["numpy"]["keys"] = torch.zeros(3, dtype=torch.int64)
    elif case == "python rng":
        state["rng"]["python"]["internal"] = [1, 2]
    elif case == "optimizer groups":
        state["optimizer"]["param_groups"] = []
    elif case == "optimizer setting":
        state["optimizer"]["param_groups"][0]["lr"] = "fast"
    elif case == "optimizer moment shape":
        state["optimizer"]["state"][0]["exp_avg"] = torch.zeros(7)
    elif case == "optimizer state of a missing parameter":
        state["optimizer"]["state"][9] = {"step": torch.tensor(1.0)}
    elif case == "scheduler":
        state["scheduler"] = {"last_epoch": 1}


DAMAGED = {
    "missing key": "a damaged checkpoint: `rng`: field required",
    "unknown setting": "a damaged checkpoint: `settings.colour`: extra inputs are not permitted",
    "setting of the wrong type": "a damaged checkpoint: `settings.lr`: input should be a valid number, got 'fast'",
    "setting out of range": "a damaged checkpoint: settings: `optimizer` must be one of adam, adamw, sgd, got 'lion'",
    "epoch as text": "a damaged checkpoint: `epoch`: input should be a valid integer, got '1'",
    "epoch zero": "a damaged checkpoint: `epoch`: input should be greater than or equal to 1, got 0",
    "metrics of another run": "a damaged checkpoint: `metrics` holds epochs [] for a run at epoch 1",
    "torch rng": "a damaged checkpoint: `rng.torch` is a torch.uint8 tensor [10], not torch's generator state",
    "numpy rng": "a damaged checkpoint: `rng.numpy` is not a Mersenne Twister state (624 keys and a position)",
    "python rng": "a damaged checkpoint: `rng.python` is not Python's generator state (version 3, 625 numbers)",
}
MISFITS = {
    "wrong tensor shape": "does not fit `XO` of {spec}: its tensor `4.weight` is [3, 64] where the network has [2, 64]",
    "missing tensor": "does not fit `XO` of {spec}: it has no tensor `0.bias`",
    "unknown tensor": "does not fit `XO` of {spec}: its tensor `head.weight` is not in the network",
    "non-finite weights": ": the tensor `0.weight` holds NaN or infinite values",
}
RESUME_ONLY = {
    "optimizer groups": "a damaged checkpoint: `optimizer.param_groups` is [] where 1 values belong",
    "optimizer setting": "a damaged checkpoint: `optimizer.param_groups.0.lr` is 'fast' where a float belongs",
    "optimizer moment shape": "a damaged checkpoint: `optimizer.state.0.exp_avg` is [7] where its parameter is [4, 1, 3, 3]",
    "optimizer state of a missing parameter": "a damaged checkpoint: `optimizer.state` has an entry for parameter 9 of 4",
    "scheduler": "a damaged checkpoint: `scheduler` holds a state but the settings use none",
}


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("good") / "run"
    first_run(out)
    return out


def damaged_copy(good_run: Path, tmp_path: Path, case: str) -> Path:
    out = tmp_path / "run"
    out.mkdir()
    for p in good_run.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    state = torch.load(out / "last.pt", weights_only=True)
    _damage(state, case)
    torch.save(state, out / "last.pt")
    return out


@pytest.mark.parametrize("case", sorted({**DAMAGED, **MISFITS, **RESUME_ONLY}))
def test_a_damaged_checkpoint_is_named_on_resume(good_run, tmp_path, case):
    out = damaged_copy(good_run, tmp_path, case)
    before = snapshot(out)
    code, _, err = train(XO, "--out", out, "--resume", "--epochs", "2")
    message = {**DAMAGED, **MISFITS, **RESUME_ONLY}[case].format(spec=XO)
    assert code == 1
    assert err.splitlines()[0] == f"error: {out}/last.pt{'' if message.startswith(':') else ' ' if case in MISFITS else ': '}{message}"
    assert snapshot(out) == before


@pytest.mark.parametrize("case", sorted({**DAMAGED, **MISFITS}))
def test_a_damaged_checkpoint_is_named_by_evaluate(good_run, tmp_path, case):
    out = damaged_copy(good_run, tmp_path, case)
    before = snapshot(out)
    result = CliRunner().invoke(main, ["evaluate", XO, "--weights", str(out / "last.pt"), "--data", "xo?n=20"])
    message = {**DAMAGED, **MISFITS}[case].format(spec=XO)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[0] == \
        f"error: {out}/last.pt{'' if message.startswith(':') else ' ' if case in MISFITS else ': '}{message}"
    assert snapshot(out) == before


def test_a_checkpoint_from_before_a_setting_existed_takes_its_default(good_run, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    state = torch.load(good_run / "last.pt", weights_only=True)
    del state["settings"]["freeze"]
    torch.save(state, out / "last.pt")
    from nnspec.train import checkpoint

    assert checkpoint.load(str(out / "last.pt"))["settings"]["freeze"] == []


def test_evaluate_says_when_its_picture_cannot_be_written(good_run, tmp_path):
    result = CliRunner().invoke(main, ["evaluate", XO, "--weights", str(good_run / "last.pt"), "--data", "xo?n=20",
                                       "-o", str(tmp_path / "missing" / "confusion.png")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[0] == (f"error: no such folder while writing {tmp_path}/missing/"
                                             "confusion.png; it was not created")
