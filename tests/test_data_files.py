"""Every file nnspec reads data from is checked to be a regular file first (a FIFO would block
for ever, a device never end), and whatever a damaged or hostile file makes Pillow or torch
raise becomes a message naming the file."""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nnspec.cli import main
from nnspec.files import unreadable
from nnspec.train import sources
from nnspec.train.errors import DataError

ROOT = Path(__file__).parent.parent
XO = str(ROOT / "specs" / "xo.nn")
NOT_REGULAR = "not a regular file (a device, a FIFO or a socket)"

pytestmark = pytest.mark.usefixtures("one_thread")


@contextlib.contextmanager
def no_hang(seconds: int = 20):
    """Fail, rather than hang the suite, if the body blocks (on a FIFO)."""
    def stop(*_):
        raise TimeoutError("blocked")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def invoke(*args):
    with no_hang():
        result = CliRunner().invoke(main, [*map(str, args)])
    assert "Traceback" not in result.output and not isinstance(result.exception, (TimeoutError, AssertionError))
    return result


def png(path: Path, value: int = 0, size=(9, 9)) -> Path:
    from PIL import Image

    Image.new("L", size, value).save(path)
    return path


def chunk(kind: bytes, body: bytes, length: int | None = None) -> bytes:
    return struct.pack(">I", len(body) if length is None else length) + kind + body + \
        struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(width: int, height: int, idat_length_off: int = 0) -> bytes:
    """A grey PNG; ``idat_length_off`` shortens the IDAT chunk's declared length, so that
    Pillow reads the next chunk's type from its data (a SyntaxError in Pillow)."""
    raw = zlib.compress(b"".join(b"\0" + bytes(width) for _ in range(min(height, 9))))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw, len(raw) - idat_length_off) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def xo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("xo") / "run"
    result = CliRunner().invoke(main, ["train", XO, "--data", "xo?n=60", "--epochs", "1", "--out", str(out), "--plain"])
    assert result.exit_code == 0, result.output
    return out / "last.pt"


def test_unreadable_says_what_a_path_is(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    assert [unreadable(str(p)) for p in (png(tmp_path / "a.png"), tmp_path / "fifo", tmp_path, "/dev/zero",
                                         tmp_path / "none")] == [None, NOT_REGULAR, "is a directory", NOT_REGULAR,
                                                                 "no such file"]


def test_a_fifo_in_an_image_folder_is_refused_not_waited_on(tmp_path):
    root = tmp_path / "imgs"
    for name in ("o", "x"):
        (root / name).mkdir(parents=True)
        png(root / name / "0.png", 40)
    os.mkfifo(root / "x" / "1.png")
    result = invoke("train", XO, "--data", f"images:{root}", "--epochs", "1", "--out", tmp_path / "run", "--plain")
    assert (result.exit_code, result.stderr) == (1, f"error: {root}/x/1.png: {NOT_REGULAR}\n"
                                                    "hint: give the path of a regular file\n")
    assert not (tmp_path / "run").exists()


def test_a_fifo_given_to_predict_or_explain_is_refused(tmp_path, xo_run):
    fifo = tmp_path / "in.png"
    os.mkfifo(fifo)
    for args in (["predict", XO, "-w", xo_run, fifo], ["explain", XO, "-w", xo_run, "-m", "gradcam",
                                                       "-i", fifo, "-o", tmp_path / "out.png"]):
        result = invoke(*args)
        assert (result.exit_code, result.stderr.splitlines()[0]) == (1, f"error: {fifo}: {NOT_REGULAR}"), args
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("kind", ["checkpoint", "weights"])
def test_a_device_or_fifo_as_weights_is_not_a_regular_file(tmp_path, kind):
    fifo = tmp_path / "w.pt"
    os.mkfifo(fifo)
    for path in ("/dev/zero", fifo):
        args = ["evaluate", XO, "-w", path, "--data", "xo?n=20"] if kind == "checkpoint" else \
            ["train", XO, "--data", "xo?n=20", "--init", path, "--out", tmp_path / "run", "--plain"]
        result = invoke(*args)
        assert (result.exit_code, result.stderr.splitlines()[0]) == (1, f"error: {path}: {NOT_REGULAR}")


def test_a_fifo_of_tensors_or_texts_is_refused(tmp_path):
    fifo = tmp_path / "data.npz"
    os.mkfifo(fifo)
    result = invoke("train", XO, "--data", f"tensors:{fifo}", "--out", tmp_path / "run", "--plain")
    assert (result.exit_code, result.stderr.splitlines()[0]) == (1, f"error: tensors:{fifo}: {NOT_REGULAR}")


MASK_SHAPE = (1, 9, 9)


def test_a_mask_that_is_a_decompression_bomb_is_refused_unread(tmp_path):
    from PIL import Image

    bomb = tmp_path / "m.png"
    bomb.write_bytes(png_bytes(60000, 60000))
    with pytest.raises(DataError) as e:
        sources.read_mask(str(bomb), MASK_SHAPE)
    assert e.value.message == (f"{bomb}: refused, too many pixels to decode safely (Image size (3600000000 pixels) "
                               f"exceeds limit of {2 * Image.MAX_IMAGE_PIXELS} pixels, could be decompression bomb "
                               "DOS attack.)")


@pytest.mark.parametrize("read", [sources.read_mask, sources.read_image])
def test_broken_png_chunks_are_a_message_not_a_syntax_error(tmp_path, read):
    broken = tmp_path / "b.png"
    broken.write_bytes(png_bytes(9, 9, idat_length_off=6))
    with pytest.raises(DataError) as e:
        read(str(broken), MASK_SHAPE)
    assert e.value.message.startswith(f"{broken}: not a readable image (SyntaxError: broken PNG file (chunk ")


@pytest.mark.parametrize("error", [TypeError("unsupported mode"), IndexError("palette index"), EOFError(),
                                   struct.error("unpack requires a buffer"), KeyError("I;16B")])
def test_every_error_pillow_raises_on_a_file_is_named(tmp_path, monkeypatch, error):
    """Pillow's decoders raise these on damaged files besides OSError and ValueError."""
    from PIL import Image

    def damaged(*_):
        raise error

    monkeypatch.setattr(Image, "open", damaged)
    path = png(tmp_path / "m.png")
    with pytest.raises(DataError) as e:
        sources.read_mask(str(path), MASK_SHAPE)
    assert e.value.message.startswith(f"{path}: not a readable image (")


def test_a_good_mask_still_reads(tmp_path):
    assert np.array_equal(sources.read_mask(str(png(tmp_path / "m.png", 1)), MASK_SHAPE), np.ones((9, 9), np.int64))


# -- writes on a full or read-only disk ------------------------------------------------------------

@pytest.mark.parametrize("error, reason", [(28, "disk full"), (30, "read-only file system")])
@pytest.mark.parametrize("command", ["torchscript", "exported", "explain"])
def test_export_and_explain_on_a_disk_that_refuses_the_write(tmp_path, monkeypatch, xo_run, command, error, reason):
    """The file is serialised in memory first (torch's writers abort the process, exit 134, when
    the disk fills under them), then written atomically: a failure is a message, nothing is left."""
    def refused(src, dst):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr("nnspec.files.os.replace", refused)
    out = tmp_path / "out.bin"
    args = ["explain", XO, "-w", xo_run, "-m", "filters", "-o", out] if command == "explain" else \
        ["export", XO, "-w", xo_run, "-f", command, "-o", out]
    result = invoke(*args)
    assert (result.exit_code, result.stderr.splitlines()[0]) == (1, f"error: {reason} while writing {out}; "
                                                                    "it was not created")
    assert os.listdir(tmp_path) == []


# -- weights that cannot start a run -----------------------------------------------------------------

@pytest.mark.parametrize("case, message, hint", [
    ("sparse", "tensor `0.weight` is sparse_coo, not dense", "save the weights with t.to_dense()"),
    ("complex", "tensor `0.weight` holds complex numbers; a network's weights are real",
     "save the real weights the network was trained with"),
    ("nan", "tensor `0.weight` holds NaN or infinite values",
     "these weights come from a run that diverged: start from another checkpoint, or without --init"),
])
def test_init_weights_that_cannot_start_a_run(tmp_path, xo_run, case, message, hint):
    import torch

    state = torch.load(xo_run, weights_only=True)["model"]
    weight = state["0.weight"]
    state["0.weight"] = {"sparse": weight.to_sparse(), "complex": weight.to(torch.complex64),
                         "nan": weight.clone().fill_(float("nan"))}[case]
    path = tmp_path / "w.pt"
    torch.save(state, path)
    result = invoke("train", XO, "--data", "xo?n=20", "--init", path, "--out", tmp_path / "run", "--plain")
    assert (result.exit_code, result.stderr) == (1, f"error: {path}: {message}\nhint: {hint}\n")
    assert not (tmp_path / "run").exists()
