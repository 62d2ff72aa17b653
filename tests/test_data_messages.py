"""What data and checkpoints may put on the terminal: their settings checked as flags are, no
file's content quoted, names with their control characters escaped, long lists cut, and rows
named by the line they are on."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from nnspec.cli import main
from nnspec.printable import listed, printable
from nnspec.train import checkpoint, sources
from nnspec.train.errors import DataError
from nnspec.train.sources import Raw

ROOT = Path(__file__).parent.parent
XO = str(ROOT / "specs" / "xo.nn")
TEXT = "network T {\n  input tokens: [T] int pad=0\n  embedding(50, 8) -> lstm(8, output=final) -> dense(2)\n}\n"
OSC = "\x1b]0;owned\x07\x1b]52;c;cm0gLXJmIH4=\x07"  # retitles the terminal, writes the clipboard

pytestmark = pytest.mark.usefixtures("one_thread")


def invoke(*args):
    result = CliRunner().invoke(main, [*map(str, args)])
    assert "Traceback" not in result.output and not isinstance(result.exception, AssertionError)
    return result


@pytest.fixture(scope="module")
def xo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("xo") / "run"
    assert invoke("train", XO, "--data", "xo?n=60", "--epochs", "1", "--out", out, "--plain").exit_code == 0
    return out / "last.pt"


def altered(run: Path, tmp_path: Path, change) -> Path:
    state = torch.load(run, weights_only=True)
    change(state)
    path = tmp_path / "altered.pt"
    torch.save(state, path)
    return path


def test_printable_escapes_what_a_terminal_would_obey():
    assert printable("cat" + OSC) == "cat\\x1b]0;owned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07"
    assert printable("a\nb\r\u202ec\u2028") == "a\\nb\\r\\u202ec\\u2028"
    assert printable("chat noir 猫 é") == "chat noir 猫 é"
    assert printable("x" * 100) == "x" * 79 + "…"
    assert listed([str(i) for i in range(10_000_000)]) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 … and 9,999,990 more"


@pytest.mark.parametrize("source, message", [
    ("xo?n=1000000000", "option `n` must be from 1 to 1,000,000, got 1,000,000,000"),
    ("xo?n=" + "9" * 41, f"option `n` takes a whole number of 1 to 1,000,000, got `{'9' * 39}…`"),
    ("xo?noise=nan", "option `noise` must be from 0 to 1, got nan"),
    ("sentiment_toy?n=0", "option `n` must be from 1 to 1,000,000, got 0"),
    ("xo?n=1" + OSC, "option `n` takes a whole number of 1 to 1,000,000, got `1\\x1b]0;owned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07`"),
])
def test_a_source_option_is_bounded_before_anything_is_made(source, message):
    with pytest.raises(DataError) as e:
        sources.parse(source)
    assert e.value.message == message


def test_a_checkpoint_source_is_checked_as_a_flag(xo_run, tmp_path):
    path = altered(xo_run, tmp_path, lambda s: s["settings"].update(data="xo?n=1000000000"))
    result = invoke("evaluate", XO, "-w", path)
    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        1, f"error: {path}: the run's data source `xo?n=1000000000`: option `n` must be from 1 to 1,000,000, "
           "got 1,000,000,000")


def test_evaluate_never_quotes_a_file_a_checkpoint_names(xo_run, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0:the secret first line\nsecond\n")
    path = altered(xo_run, tmp_path, lambda s: s["settings"].update(data=f"text:{secret}?text=x"))
    result = invoke("evaluate", XO, "-w", path)
    assert result.exit_code == 1 and "secret first line" not in result.output
    assert result.stderr.splitlines()[0] == f"error: {secret} has no column `x` (its header, line 1, has 1 column)"


def test_a_checkpoint_at_an_absurd_epoch_is_refused_without_counting_to_it(xo_run, tmp_path):
    for epoch in (10**8, 10**18):
        path = altered(xo_run, tmp_path, lambda s, epoch=epoch: s.update(epoch=epoch))
        tracemalloc.start()
        try:
            with pytest.raises(DataError) as e:
                checkpoint.load(str(path))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert e.value.message == f"{path}: a damaged checkpoint: `metrics` holds epochs [1] for a run at epoch {epoch}"
        assert peak < 50_000_000


def test_class_names_from_a_checkpoint_are_escaped(xo_run, tmp_path):
    path = altered(xo_run, tmp_path, lambda s: s.update(classes=["X" + OSC, "O\nfake: line"]))
    result = invoke("evaluate", XO, "-w", path, "--data", "xo?n=20")  # xo's classes are X and O: not these
    assert result.exit_code == 1 and "\x1b" not in result.output and "\x07" not in result.output
    assert result.stderr.splitlines()[0] == (
        "error: `xo` has the classes `X`, `O`, which the model was not trained on; it knows "
        "X\\x1b]0;owned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07, O\\nfake: line")
    from PIL import Image

    image = tmp_path / "i.png"
    Image.new("L", (9, 9), 0).save(image)
    result = invoke("predict", XO, "-w", path, image)
    assert result.exit_code == 0 and "\x1b" not in result.stdout and result.stdout.count("\n") == 1


def test_class_folder_names_are_escaped_and_long_lists_cut(tmp_path):
    raw = Raw("images:d", np.zeros(2, np.int64), classes=["cat" + OSC, *(f"c{i}" for i in range(30))])
    with pytest.raises(DataError) as e:
        raw.relabelled(["dog"])
    assert e.value.message == ("`images:d` has the classes `cat\\x1b]0;owned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07`, "
                               "`c0`, `c1`, `c2`, `c3`, `c4`, `c5`, `c6`, `c7`, `c8` … and 21 more, which the model "
                               "was not trained on; it knows dog")
    root = tmp_path / "imgs"
    (root / ("bad" + OSC)).mkdir(parents=True)
    (root / "good").mkdir()
    with pytest.raises(DataError) as e:
        sources.images(str(root), [sources.InputInfo("image", (1, 9, 9), "float")])
    assert "\x1b" not in e.value.message and "`bad\\x1b]0;owned" in e.value.message


def test_a_csv_label_of_one_class_is_escaped(tmp_path):
    spec = tmp_path / "t.nn"
    spec.write_text(TEXT)
    data = tmp_path / "r.csv"
    data.write_text(f'text,label\ngood film,"pos{OSC}"\nfine film,"pos{OSC}"\n')
    result = invoke("train", spec, "--data", f"text:{data}", "--out", tmp_path / "run", "--plain")
    assert result.exit_code == 1 and "\x1b" not in result.stderr
    assert result.stderr.splitlines()[0] == (f"error: `text:{data}` holds examples of one class only "
                                             "(`pos\\x1b]0;owned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07`); a classifier "
                                             "needs at least two")


def test_a_csv_row_is_named_by_its_physical_line(tmp_path):
    data = tmp_path / "r.csv"
    quoted = '"a text\nover\nthree lines"'
    data.write_text("text,label\n" + "".join(f"{quoted},pos\n" for _ in range(5)) + f"{quoted},\n")
    with pytest.raises(DataError) as e:
        sources.read_table(str(data), "text", "label")
    assert e.value.message == f"{data}:17: the `label` field is empty"  # record 7 starts on line 17
