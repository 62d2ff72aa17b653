"""Data sources and the checks before training: every loader on small generated files."""

from __future__ import annotations

import csv
import gzip
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import nnspec
from nnspec.train import idx, sources
from nnspec.train.data import (
    epoch_batches,
    eval_batches,
    input_infos,
    output_shape,
    prepare,
)
from nnspec.train.errors import DataError
from nnspec.train.text import PAD, UNK, build_vocab, encode, tokenize

XO = nnspec.load(Path(__file__).parent.parent / "specs" / "xo.nn")
TEXT = nnspec.load("network T(vocab = 50) {\n input tokens: [T] int pad=0\n"
                   " embedding(vocab, 8) -> lstm(8, output=final) -> dense(2)\n}")
MNISTLIKE = nnspec.load("network M(classes = 10) {\n input image: [1, 28, 28]\n flatten -> dense(classes)\n}")
RGB = nnspec.load("network R {\n input image: [3, 12, 10]\n flatten -> dense(3)\n}")


def infos(spec, **params):
    return input_infos(spec.checked_graph(**params))


def write_idx(path, array: np.ndarray, compress: bool = False) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = header + array.astype(np.uint8).tobytes()
    with open(path, "wb") as fh:
        fh.write(gzip.compress(body) if compress else body)


def make_mnist(directory, n=12, n_test=6, compress=False, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, count in (("train", n), ("t10k", n_test)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        suffix = ".gz" if compress else ""
        write_idx(directory / f"{split}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(directory / f"{split}-labels-idx1-ubyte{suffix}", labels, compress)
        arrays[split] = (images, labels)
    return arrays


# -- parsing a source ---------------------------------------------------------------------------

def test_parse_splits_kind_path_and_options():
    assert sources.parse("text:data/r.csv?text=review&label=stars") == (
        "text", "data/r.csv", {"text": "review", "label": "stars"})
    assert sources.parse("xo?n=50") == ("xo", None, {"n": 50, "noise": 0.15})


def test_unknown_source_suggests_the_closest():
    with pytest.raises(DataError) as e:
        sources.parse("fashion_mnst:data")
    assert e.value.message == "unknown data source `fashion_mnst`"
    assert e.value.hint == "did you mean `fashion_mnist`?"


def test_a_bare_data_path_suggests_its_source(tmp_path, monkeypatch):
    """``--data ../digits8.npz``: the file exists, and the hint names the source it would be
    read as; a path that does not exist gets the list of sources."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "digits8.npz").write_bytes(b"")
    (tmp_path / "reviews.csv").write_text("text,label\n")
    for given, hint in [("digits8.npz", "did you mean `tensors:digits8.npz`?"),
                        ("../" + tmp_path.name + "/digits8.npz", f"did you mean `tensors:../{tmp_path.name}/digits8.npz`?"),
                        ("reviews.csv", "did you mean `text:reviews.csv`?"), ("d", "did you mean `images:d`?"),
                        ("missing.npz", "the sources are xo, sentiment_toy, mnist, fashion_mnist, text, tensors, images")]:
        with pytest.raises(DataError) as e:
            sources.parse(given)
        assert (e.value.message, e.value.hint) == (f"unknown data source `{given}`", hint)


def test_source_without_its_path_and_unknown_option():
    with pytest.raises(DataError, match=r"the `mnist` source needs a path: mnist:PATH"):
        sources.parse("mnist")
    with pytest.raises(DataError, match=r"the `xo` source has no option `size`"):
        sources.load("xo?size=3", infos(XO))


# -- generated sources --------------------------------------------------------------------------

def test_xo_images_fit_the_xo_spec_and_repeat_with_the_seed():
    raw = sources.load("xo?n=40", infos(XO), seed=3)
    assert raw.inputs[0].shape == (40, 1, 9, 9) and raw.inputs[0].dtype == np.float32
    assert set(raw.labels.tolist()) == {0, 1} and raw.classes == ["X", "O"]
    assert raw.inputs[0].min() >= 0.0 and raw.inputs[0].max() <= 1.0
    again = sources.load("xo?n=40", infos(XO), seed=3)
    other = sources.load("xo?n=40", infos(XO), seed=4)
    assert np.array_equal(raw.inputs[0], again.inputs[0])
    assert not np.array_equal(raw.inputs[0], other.inputs[0])


def test_xo_without_noise_draws_the_glyphs():
    raw = sources.load("xo?n=30&noise=0", infos(XO), seed=0)
    for image, label in zip(raw.inputs[0][:, 0], raw.labels):
        on = image > 0.5
        if label == 0:  # an X of 5 or 7 pixels: two diagonals sharing the middle pixel
            assert on.sum() in (9, 13)
        else:  # an O of 5 or 7 pixels: a ring without its corners
            assert on.sum() in (12, 20)


def test_sentiment_toy_labels_follow_the_words():
    raw = sources.load("sentiment_toy?n=200", infos(TEXT), seed=1)
    assert len(raw.texts) == 200 and raw.classes == ["negative", "positive"]
    for text, label in zip(raw.texts, raw.labels):
        if "not" not in text.split():
            words = set(text.split())
            assert words & set(sources._WORDS[int(label)]) and not words & set(sources._WORDS[1 - int(label)])


# -- IDX ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files_plain_and_gzipped(tmp_path, compress):
    arrays = make_mnist(tmp_path, compress=compress)
    raw = sources.load(f"mnist:{tmp_path}", infos(MNISTLIKE))
    assert raw.inputs[0].shape == (12, 1, 28, 28)
    assert np.array_equal(raw.inputs[0][:, 0], arrays["train"][0].astype(np.float32) / 255)
    assert np.array_equal(raw.labels, arrays["train"][1])
    assert np.array_equal(raw.test.labels, arrays["t10k"][1]) and raw.classes == [str(d) for d in range(10)]
    fashion = sources.load(f"fashion_mnist:{tmp_path}", infos(MNISTLIKE))
    assert fashion.classes[9] == "Ankle boot"
    prepared = prepare(raw, infos(MNISTLIKE), 10, val_split=0.1)
    assert len(prepared.train) == 12 and len(prepared.val) == 6  # the t10k files validate


def test_corrupt_idx_header(tmp_path):
    make_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(DataError) as e:
        sources.load(f"mnist:{tmp_path}", infos(MNISTLIKE))
    assert e.value.message == f"{tmp_path}/train-images-idx3-ubyte: not an IDX file: it starts with 50 4b 03 04"
    assert e.value.hint == "an IDX file of 3 dimensions starts with 00 00 08 03"


def test_truncated_idx(tmp_path):
    make_mnist(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(DataError) as e:
        sources.load(f"mnist:{tmp_path}", infos(MNISTLIKE))
    assert e.value.message == f"{path}: the header promises 12 values (12 bytes) but 10 bytes follow it"


def test_idx_counts_must_agree(tmp_path):
    make_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(DataError, match=r"holds 12 images but .* holds 5 labels"):
        sources.load(f"mnist:{tmp_path}", infos(MNISTLIKE))


def test_missing_idx_files_and_offline_download(tmp_path, monkeypatch):
    with pytest.raises(DataError) as e:
        sources.load(f"mnist:{tmp_path}", infos(MNISTLIKE))
    assert e.value.message == f"{tmp_path} has no train-images-idx3-ubyte (nor train-images-idx3-ubyte.gz)"
    assert "--download" in e.value.hint

    def offline(url, timeout):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(idx.urllib.request, "urlopen", offline)
    with pytest.raises(DataError) as e:
        sources.load(f"fashion_mnist:{tmp_path}", infos(MNISTLIKE), download=True)
    assert e.value.message == (
        "could not download train-images-idx3-ubyte.gz: http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
        "train-images-idx3-ubyte.gz: Temporary failure in name resolution")
    assert "copy the four IDX files" in e.value.hint
    assert list(tmp_path.iterdir()) == []  # no partial file left


def test_download_writes_the_files(tmp_path, monkeypatch):
    served = {}
    for split, n in (("train", 4), ("t10k", 2)):
        images = np.full((n, 28, 28), 7, np.uint8)
        header = bytes([0, 0, 8, 3]) + struct.pack(">3I", n, 28, 28)
        served[f"{split}-images-idx3-ubyte.gz"] = gzip.compress(header + images.tobytes())
        served[f"{split}-labels-idx1-ubyte.gz"] = gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", n) + bytes(n))

    class Response:
        def __init__(self, body):
            self.body = body

        def read(self):
            return self.body

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(idx.urllib.request, "urlopen", lambda url, timeout: Response(served[url.rsplit("/", 1)[1]]))
    raw = sources.load(f"mnist:{tmp_path / 'data'}", infos(MNISTLIKE), download=True)
    assert len(raw) == 4 and len(raw.test) == 2 and float(raw.inputs[0].max()) == pytest.approx(7 / 255)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted(served)


# -- text ---------------------------------------------------------------------------------------

def test_tokenize_and_vocab():
    assert tokenize("Great film, didn't LOVE it!") == ["great", "film", ",", "didn't", "love", "it", "!"]
    vocab = build_vocab(["b a b", "c b"], pad=0, size=None)
    assert vocab == [PAD, UNK, "b", "a", "c"]
    assert build_vocab(["b a b", "c b"], pad=2, size=4) == [UNK, "b", PAD, "a"]
    ids = encode(["b c zzz", "a"], vocab, 4, pad=0)
    assert ids.tolist() == [[2, 4, 1, 0], [3, 0, 0, 0]]


@pytest.mark.parametrize("suffix, sep", [(".csv", ","), (".tsv", "\t")])
def test_text_file_with_named_columns(tmp_path, suffix, sep):
    path = tmp_path / f"reviews{suffix}"
    rows = [("id", "review", "sentiment"), ("1", "A great film", "pos"), ("2", "dull, dull plot", "neg"),
            ("3", "great fun", "pos"), ("4", "boring", "neg")]
    with open(path, "w", newline="") as fh:
        csv.writer(fh, delimiter=sep).writerows(rows)
    raw = sources.load(f"text:{path}?text=review&label=sentiment", infos(TEXT))
    assert raw.texts == ["A great film", "dull, dull plot", "great fun", "boring"]
    assert raw.labels.tolist() == [1, 0, 1, 0] and raw.classes == ["neg", "pos"]
    prepared = prepare(raw, infos(TEXT), 2, val_split=0.0)
    assert prepared.vocab[:4] == [PAD, UNK, "great", "dull"]
    tokens = prepared.train.inputs[0]
    assert tokens.shape == (4, 4) and tokens.dtype.is_floating_point is False  # the longest text's tokens
    assert tokens.tolist()[1] == [3, prepared.vocab.index(","), 3, prepared.vocab.index("plot")]
    assert tokens.tolist()[3] == [prepared.vocab.index("boring"), 0, 0, 0]


def test_vocabulary_comes_from_the_training_split_only(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,label\n" + "".join(f"word{i} common,{i % 2}\n" for i in range(20)))
    raw = sources.load(f"text:{path}", infos(TEXT))
    prepared = prepare(raw, infos(TEXT), 2, val_split=0.25, seed=0)
    val_words = {w for row in prepared.val.inputs[0].tolist() for w in row}
    assert val_words <= {0, 1, prepared.vocab.index("common")}  # unseen validation words are <unk>
    assert len(prepared.vocab) == 2 + 1 + 15


def test_vocabulary_is_capped_by_the_embedding(tmp_path):
    raw = sources.load("sentiment_toy?n=300", infos(TEXT, vocab=10))
    prepared = prepare(raw, infos(TEXT, vocab=10), 2, val_split=0.1)
    assert len(prepared.vocab) == 10 and int(prepared.train.inputs[0].max()) <= 9


def test_csv_errors(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.csv is empty"):
        sources.load(f"text:{empty}", infos(TEXT))
    path = tmp_path / "r.csv"
    path.write_text("review,stars\nnice,1\n")
    with pytest.raises(DataError) as e:
        sources.load(f"text:{path}", infos(TEXT))
    assert e.value.message == f"{path} has no column `text` (its header, line 1, has 2 columns)"
    assert e.value.hint == f"name the text column: text:{path}?text=COLUMN"
    with pytest.raises(DataError, match="has no column `label`"):
        sources.load(f"text:{path}?text=review", infos(TEXT))
    path.write_text("text,label\nnice,1,extra\n")
    with pytest.raises(DataError, match=r"r\.csv:2: 3 fields where the header has 2"):
        sources.load(f"text:{path}", infos(TEXT))


def test_text_needs_a_token_input():
    raw = sources.load("sentiment_toy?n=10", infos(XO))
    with pytest.raises(DataError, match=r"the spec needs one token input \[T\] int, but declares image: \[1, 9, 9\]"):
        prepare(raw, infos(XO), 2)


# -- tensors and images -------------------------------------------------------------------------

def test_npz_and_pt_tensors(tmp_path):
    import torch

    x = np.random.default_rng(0).random((10, 1, 9, 9), dtype=np.float32)
    y = np.arange(10) % 2
    np.savez(tmp_path / "d.npz", image=x, y=y)
    torch.save({"x": torch.from_numpy(x), "labels": torch.from_numpy(y)}, tmp_path / "d.pt")
    for name in ("d.npz", "d.pt"):
        raw = sources.load(f"tensors:{tmp_path / name}", infos(XO))
        assert np.array_equal(raw.inputs[0], x) and raw.labels.tolist() == y.tolist()
        data = prepare(raw, infos(XO), 2).train
        assert data.inputs[0].shape == (10, 1, 9, 9) and data.labels.dtype == torch.int64


def test_tensors_errors(tmp_path):
    np.savez(tmp_path / "nolabels.npz", image=np.zeros((2, 1, 9, 9)))
    with pytest.raises(DataError, match=r"has no labels: expected an array `y`; its arrays are image"):
        sources.load(f"tensors:{tmp_path / 'nolabels.npz'}", infos(XO))
    np.savez(tmp_path / "other.npz", pixels=np.zeros((2, 1, 9, 9)), y=np.zeros(2, int))
    with pytest.raises(DataError, match="has no array for input `image`; its arrays are pixels, y"):
        sources.load(f"tensors:{tmp_path / 'other.npz'}", infos(XO))
    (tmp_path / "bad.pt").write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"not a readable .pt file"):
        sources.load(f"tensors:{tmp_path / 'bad.pt'}", infos(XO))


def test_image_folder_is_resized_to_the_input(tmp_path):
    from PIL import Image

    colours = {"blue": (0, 0, 255), "red": (255, 0, 0), "white": (255, 255, 255)}
    for name, colour in colours.items():
        (tmp_path / name).mkdir()
        for i in range(2):
            Image.new("RGB", (31 + i, 17), colour).save(tmp_path / name / f"{i}.png")
    (tmp_path / "red" / "notes.txt").write_text("not an image")
    raw = sources.load(f"images:{tmp_path}", infos(RGB))
    assert raw.classes == ["blue", "red", "white"] and raw.labels.tolist() == [0, 0, 1, 1, 2, 2]
    x = raw.inputs[0]
    assert x.shape == (6, 3, 12, 10)
    assert x.dtype == np.uint8  # kept as read; scaled batch by batch (nnspec.train.pixels)
    assert np.array_equal(x[2], np.broadcast_to(np.array([255, 0, 0], np.uint8)[:, None, None], (3, 12, 10)))
    grey = sources.load(f"images:{tmp_path}", infos(MNISTLIKE)).inputs[0]
    assert grey.shape == (6, 1, 28, 28) and grey.dtype == np.uint8 and (grey[4:] == 255).all()


def test_image_folder_errors(tmp_path):
    with pytest.raises(DataError, match="has no class folders"):
        sources.load(f"images:{tmp_path}", infos(RGB))
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "a.png").write_bytes(b"garbage")
    with pytest.raises(DataError, match=r"cat/a\.png: not a readable image"):
        sources.load(f"images:{tmp_path}", infos(RGB))


# -- checks against the spec --------------------------------------------------------------------

def test_wrong_image_size():
    raw = sources.Raw("tensors:d.npz", np.zeros(4, np.int64), [np.zeros((4, 1, 8, 8), np.float32)])
    with pytest.raises(DataError) as e:
        prepare(raw, infos(XO), 2)
    assert e.value.message == "input `image` is declared [1, 9, 9] but `tensors:d.npz` gives examples of [1, 8, 8]"
    assert e.value.hint == "declare `input image: [1, 8, 8]`, or give data of [1, 9, 9]"


def test_label_range_against_the_output():
    raw = sources.load("xo?n=20", infos(XO))
    output = output_shape(XO.checked_graph(classes=1 + 1))
    raw.labels[3] = 4
    with pytest.raises(DataError) as e:
        prepare(raw, infos(XO), output)
    assert e.value.message == "`xo` has labels from 0 to 4 (2 classes: X, O), but the network's output has 2 classes"
    assert e.value.hint == "the output needs at least 5 classes, e.g. --set classes=5"


def test_empty_data_and_float_tokens():
    with pytest.raises(DataError, match=r"`tensors:e.npz` holds no examples"):
        prepare(sources.Raw("tensors:e.npz", np.zeros(0, np.int64), [np.zeros((0, 1, 9, 9))]), infos(XO), 2)
    raw = sources.Raw("tensors:t.npz", np.zeros(3, np.int64), [np.zeros((3, 5), np.float32)])
    with pytest.raises(DataError, match=r"input `tokens` is declared int .* gives float32 values"):
        prepare(raw, infos(TEXT), 2)
    raw = sources.Raw("tensors:t.npz", np.zeros(3, np.int64), [np.full((3, 5), 50)])
    with pytest.raises(DataError, match=r"feeds an embedding of 50 ids but `tensors:t.npz` holds ids from 50 to 50"):
        prepare(raw, infos(TEXT), 2)


def test_labels_that_fit_no_task_say_what_would():
    spec = nnspec.load("network S {\n input x: [4, 3]\n dense(2)\n}")
    raw = sources.Raw("tensors:s.npz", np.zeros((3, 5), np.int64), [np.zeros((3, 4, 3), np.float32)])
    with pytest.raises(DataError) as e:
        prepare(raw, infos(spec), output_shape(spec.checked_graph()))
    assert e.value.message == "`tensors:s.npz` gives integer labels of shape [N, 5], which fit no task for the output [4, 2]"
    assert e.value.hint == ("labels for an output [4, 2] are class ids [N, 4] per position (cross-entropy over the "
                            "last dimension), 0/1 labels [N, 4, 2] (--loss bce) or numbers [N, 4, 2] (--loss mse or l1)")


# -- batches ------------------------------------------------------------------------------------

def test_epoch_batches_cover_the_data_and_shard_across_processes():
    batches = epoch_batches(10, 4, seed=1, epoch=2)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate([b.numpy() for b in batches]).tolist()) == list(range(10))
    assert all(np.array_equal(a, b) for a, b in zip(batches, epoch_batches(10, 4, seed=1, epoch=2)))
    assert not np.array_equal(batches[0], epoch_batches(10, 4, seed=1, epoch=3)[0])
    shards = [epoch_batches(11, 4, 1, 2, rank, 2) for rank in (0, 1)]
    assert [sum(len(b) for b in s) for s in shards] == [6, 6]  # padded by wrapping to equal steps
    seen = set(np.concatenate([b.numpy() for s in shards for b in s]).tolist())
    assert seen == set(range(11))
    assert [len(b) for b in epoch_batches(9, 4, 0, 1)] == [4, 5]  # no batch of one
    assert [b.tolist() for b in eval_batches(5, 2, 1, 2)] == [[1, 3]]


def test_image_folder_split_into_train_and_val(tmp_path):
    from PIL import Image

    for split, names in (("train", ("cat", "dog")), ("val", ("dog",))):
        for name in names:
            (tmp_path / split / name).mkdir(parents=True)
            for i in range(2 if split == "train" else 3):
                Image.new("RGB", (10, 12), (255, 0, 0) if name == "cat" else (0, 0, 255)).save(
                    tmp_path / split / name / f"{i}.png")
    raw = sources.load(f"images:{tmp_path}", infos(RGB))
    assert raw.classes == ["cat", "dog"] and raw.labels.tolist() == [0, 0, 1, 1]
    assert raw.test.classes == ["cat", "dog"] and raw.test.labels.tolist() == [1, 1, 1]  # dog is class 1
    assert (raw.test.inputs[0][:, 2] == 255).all()
    (tmp_path / "val" / "bird").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "val" / "bird" / "0.png")
    with pytest.raises(DataError, match="has the class `bird`, which the model was not trained on"):
        sources.load(f"images:{tmp_path}", infos(RGB))


def test_images_and_masks_read_as_writable_arrays(tmp_path):
    """torch.from_numpy warns on a read-only array (what asarray of a Pillow image is), which
    every `explain` of an image printed."""
    import warnings

    import torch
    from PIL import Image

    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(tmp_path / "a.png")
    pixels = sources.read_image(str(tmp_path / "a.png"), (1, 8, 8))
    mask = sources.read_mask(str(tmp_path / "a.png"), (1, 8, 8))
    assert pixels.flags.writeable and mask.flags.writeable
    assert pixels.shape == (1, 8, 8) and mask.shape == (8, 8) and int(mask[7, 7]) == 63
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.from_numpy(pixels)


def test_an_input_that_is_no_image_is_named_in_spec_notation():
    """`tokens: [T]`, as the language writes shapes, not Python's `['T']`."""
    with pytest.raises(sources.DataError) as e:
        sources.image_shape([sources.InputInfo("tokens", ("T",), "int")], "explain --method gradcam")
    assert e.value.message == "explain --method gradcam needs one image input [1 or 3, H, W]; the spec declares tokens: [T]"
