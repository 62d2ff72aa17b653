"""Image pixels: kept as uint8 in memory, scaled and normalised per batch (`--normalize`),
augmented on the device (`--augment`); evaluate, predict and explain see what training saw."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from shape_images import SPEC, write_folder

import nnspec
from nnspec.train import pixels, sources
from nnspec.train.data import input_infos, output_shape, prepare
from nnspec.train.errors import DataError
from nnspec.train.loop import fit

pytestmark = pytest.mark.usefixtures("one_thread")


def shapes(tmp_path, per_class=4):
    write_folder(tmp_path / "data", per_class=per_class, seed=5)
    spec = tmp_path / "shapes.nn"
    spec.write_text(SPEC)
    return nnspec.load(str(spec)), f"images:{tmp_path / 'data'}"


def test_images_stay_uint8_and_batches_are_scaled_and_normalised(tmp_path):
    spec, source = shapes(tmp_path)
    graph = spec.checked_graph()
    infos = input_infos(graph)
    raw = sources.load(source, infos)
    data = prepare(raw, infos, output_shape(graph), normalize="imagenet").train
    stored = data.inputs[0]
    assert stored.dtype == torch.uint8 and stored.shape == (12, 3, 32, 32)
    assert stored.untyped_storage().nbytes() == 12 * 3 * 32 * 32  # one byte a pixel, nothing more
    xs, _ = data.batch(torch.tensor([0, 5]))
    mean = torch.tensor(pixels.IMAGENET[0]).view(1, 3, 1, 1)
    std = torch.tensor(pixels.IMAGENET[1]).view(1, 3, 1, 1)
    expected = (stored[[0, 5]].float() / 255 - mean) / std
    assert xs[0].dtype == torch.float32 and torch.allclose(xs[0], expected, atol=1e-6)
    plain = prepare(raw, infos, output_shape(graph)).train.batch(torch.tensor([0]))[0][0]
    assert torch.equal(plain, stored[:1].float() / 255)
    same = prepare(raw, infos, output_shape(graph), normalize="0.5,0.25").train.batch(torch.tensor([0]))[0][0]
    assert torch.allclose(same, (stored[:1].float() / 255 - 0.5) / 0.25, atol=1e-6)


def test_normalize_settings_are_checked():
    assert pixels.parse("none", 3) is None and pixels.parse("imagenet", 3) == pixels.IMAGENET
    with pytest.raises(ValueError, match="`normalize = imagenet` is for RGB inputs"):
        pixels.parse("imagenet", 1)
    with pytest.raises(ValueError, match="takes none, imagenet or MEAN,STD"):
        pixels.parse("0.5", 3)
    with pytest.raises(ValueError, match="positive standard deviation"):
        pixels.parse("0.5,0", 3)
    grey = nnspec.load("network G {\n  input image: [1, 8, 8]\n  flatten\n  dense(2)\n}\n").checked_graph()
    raw = sources.Raw("r", np.array([0, 1]), [np.zeros((2, 1, 8, 8), np.uint8)])
    with pytest.raises(DataError, match="input `image`: `normalize = imagenet` is for RGB inputs"):
        prepare(raw, input_infos(grey), output_shape(grey), normalize="imagenet")


def test_augment_crops_and_flips_each_image_on_its_own():
    torch.manual_seed(0)
    x = torch.rand(64, 3, 16, 16)
    out = pixels.augment(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert out.min() >= x.min() - 1e-6 and out.max() <= x.max() + 1e-6  # resampled, never invented
    assert not torch.allclose(out, x)
    # one image repeated: each copy gets its own crop
    same = pixels.augment(x[:1].expand(8, -1, -1, -1).contiguous())
    assert len({tuple(v.flatten()[:20].tolist()) for v in same}) == 8
    gen = torch.Generator().manual_seed(3)
    again = torch.Generator().manual_seed(3)
    assert torch.equal(pixels.augment(x, gen), pixels.augment(x, again))
    ramp = torch.arange(16.0).view(1, 1, 1, 16).expand(200, 1, 16, 16).contiguous()
    flipped = pixels.augment(ramp)
    rising = (flipped[:, 0, 8, -1] > flipped[:, 0, 8, 0]).float().mean()
    assert 0.3 < float(rising) < 0.7  # about half of them flipped left to right


def test_a_run_with_normalize_and_augment_is_seen_the_same_by_predict(tmp_path):
    spec, source = shapes(tmp_path)
    fit(spec, None, {}, {"data": source, "epochs": 1, "batch_size": 4, "normalize": "imagenet", "augment": True},
        str(tmp_path / "run"), live=False)
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert state["settings"]["normalize"] == "imagenet"
    assert state["settings"]["augment"] == "crop,flip"  # the flag alone, as stored
    from nnspec.train.assess import restore
    from nnspec.train.predict import predict

    file = str(tmp_path / "data" / "ring" / "000.png")
    answer = predict(spec, str(tmp_path / "run" / "last.pt"), [file], top_k=3)[0]
    _, _, model = restore(spec, str(tmp_path / "run" / "last.pt"))
    x = torch.from_numpy(sources.read_image(file, (3, 32, 32)))[None]
    with torch.no_grad():
        probs = model(pixels.prepare_batch(x, pixels.IMAGENET)).softmax(-1)[0]
    assert answer["probability"] == pytest.approx(float(probs.max()), abs=1e-6)


def test_a_streamed_folder_trains_and_evaluates_exactly_as_a_held_one(tmp_path, monkeypatch):
    """NNSPEC_STREAM=1 reads the images through DataLoader workers in the same batch order:
    the same weights after training (with augmentation and a validation split) and the same
    evaluation of them."""
    from nnspec.train.assess import assess

    spec, source = shapes(tmp_path)
    settings = {"data": source, "epochs": 2, "batch_size": 4, "val_split": 0.25, "normalize": "imagenet",
                "augment": True, "seed": 3}
    runs = {}
    for stream in ("0", "1"):
        monkeypatch.setenv("NNSPEC_STREAM", stream)
        graph = spec.checked_graph()
        held = sources.load(source, input_infos(graph)).inputs[0]
        assert isinstance(held, sources.ImageFiles) == (stream == "1")
        torch.manual_seed(0)
        fit(spec, None, {}, settings, str(tmp_path / f"run{stream}"), live=False)
        state = torch.load(tmp_path / f"run{stream}" / "last.pt", weights_only=True)
        runs[stream] = (state, assess(spec, str(tmp_path / f"run{stream}" / "last.pt"), source))
    (held_state, held_scores), (streamed_state, streamed_scores) = runs["0"], runs["1"]
    for name, tensor in held_state["model"].items():
        assert torch.equal(tensor, streamed_state["model"][name]), name
    assert streamed_scores["loss"] == pytest.approx(held_scores["loss"], abs=1e-6)
    assert streamed_scores["accuracy"] == held_scores["accuracy"]
    assert streamed_scores["confusion"] == held_scores["confusion"]


def test_stream_setting_is_checked(monkeypatch):
    monkeypatch.setenv("NNSPEC_STREAM", "yes")
    with pytest.raises(DataError, match="NNSPEC_STREAM is 0, 1 or auto, got 'yes'"):
        sources.streams(10)
    monkeypatch.setenv("NNSPEC_STREAM", "auto")
    assert not sources.streams(10) and sources.streams(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def test_an_unreadable_file_in_a_streamed_folder_is_a_clear_error(tmp_path, monkeypatch):
    spec, source = shapes(tmp_path)
    (tmp_path / "data" / "ring" / "000.png").write_bytes(b"not a png")
    monkeypatch.setenv("NNSPEC_STREAM", "1")
    with pytest.raises(DataError) as caught:
        fit(spec, None, {}, {"data": source, "epochs": 1, "batch_size": 4}, str(tmp_path / "run"), live=False)
    assert caught.value.message.startswith(f"{tmp_path / 'data' / 'ring' / '000.png'}: not a readable image (")
    assert "Traceback" not in caught.value.message
