"""Typed run settings, the schedules (warm-up, one-cycle, plateau: resumed exactly), the
augmentations by name, and TensorBoard logging."""

from __future__ import annotations

import importlib.util
import json
import math
import os

import pytest
import torch
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.train import loop, pixels, schedules
from nnspec.train.config import Overrides, Settings, TrainSettings, overrides

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XO = os.path.join(ROOT, "specs", "xo.nn")

pytestmark = pytest.mark.usefixtures("one_thread")


def test_overrides_are_typed_and_name_a_misspelt_setting():
    given = overrides({"epochs": 3, "lr": 0.5})
    assert given == Overrides(epochs=3, lr=0.5) and given.given() == {"epochs": 3, "lr": 0.5}
    assert Settings().merged(given).epochs == 3 and Settings().merged(given).batch_size == 64
    with pytest.raises(ValueError, match=r"^unknown training setting `epocs`; did you mean `epochs`\?$"):
        overrides({"epocs": 3})
    with pytest.raises(ValueError, match=r"^unknown training setting `learning_rate`; did you mean `lr`\?$"):
        overrides({"learning_rate": 0.1})
    with pytest.raises(TypeError):
        Overrides(epocs=3)


def test_train_takes_the_typed_settings(tmp_path):
    request = TrainSettings(str(tmp_path), overrides=Overrides(data="xo?n=100", epochs=2, lr=0.02), live=False)
    result = loop.train(nnspec.load(XO), request)
    assert [r["epoch"] for r in result["history"]] == [1, 2] and result["out"] == str(tmp_path)
    assert torch.load(tmp_path / "last.pt", weights_only=True)["settings"]["lr"] == 0.02


def _lrs(schedule: str, epochs: int, steps: int) -> list[float]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = schedules.make(opt, schedule, epochs, steps)
    out = []
    for _ in range(epochs * steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_warmup_rises_over_the_first_epoch_then_anneals_to_zero():
    lrs = _lrs("warmup", epochs=3, steps=4)
    assert lrs[:4] == [0.25, 0.5, 0.75, 1.0]
    assert lrs[4:] == pytest.approx([0.5 * (1 + math.cos(math.pi * s / 8)) for s in range(8)])


def test_onecycle_peaks_at_the_rate_after_30_percent():
    lrs = _lrs("onecycle", epochs=2, steps=10)
    assert max(lrs) == pytest.approx(1.0) and lrs.index(max(lrs)) == 5  # the 6th of 20 steps: 30 %
    assert lrs[0] == pytest.approx(1 / 25) and lrs[-1] < 1e-3


def test_plateau_divides_the_rate_after_three_stale_epochs():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = schedules.make(opt, "plateau", 10, 5)
    rates = []
    for loss in [1.0, 0.5, 0.5, 0.5, 0.5, 0.6, 0.4]:
        schedules.end_of_epoch(sched, "plateau", loss, 9.9)
        rates.append(opt.param_groups[0]["lr"])
    assert rates == pytest.approx([1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1])


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("schedule", ["warmup", "onecycle", "plateau"])
def test_an_interrupted_run_resumes_exactly_under_each_schedule(tmp_path, monkeypatch, schedule):
    flags = {"data": "xo?n=200", "epochs": 4, "lr": 0.02, "seed": 1, "batch_size": 32, "schedule": schedule}
    whole = loop.fit(nnspec.load(XO), None, {}, flags, str(tmp_path / "whole"), live=False)
    end_epoch = loop._end_epoch

    def stop_after_two(run, row, *rest):
        stopping = end_epoch(run, row, *rest)
        if row["epoch"] == 2:
            raise Interrupted  # as a kill after epoch 2's files are written
        return stopping

    monkeypatch.setattr(loop, "_end_epoch", stop_after_two)
    with pytest.raises(Interrupted):
        loop.fit(nnspec.load(XO), None, {}, flags, str(tmp_path / "cut"), live=False)
    monkeypatch.setattr(loop, "_end_epoch", end_epoch)
    resumed = loop.fit(nnspec.load(XO), None, {}, {}, str(tmp_path / "cut"), resume=True, live=False)
    keep = lambda rows: [{k: v for k, v in r.items() if k not in ("seconds", "samples_per_second")} for r in rows]
    assert keep(resumed["history"]) == keep(whole["history"])
    a, b = (torch.load(tmp_path / d / "last.pt", weights_only=True) for d in ("whole", "cut"))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert a["scheduler"].keys() == b["scheduler"].keys()


def test_augment_by_name():
    x = torch.rand(6, 3, 8, 8)
    gen = lambda: torch.Generator().manual_seed(0)
    assert torch.equal(pixels.augment(x, gen(), kinds=()), x)
    flipped = pixels.augment(x, gen(), kinds=("flip",))
    for i in range(6):  # each image either as it was or mirrored, nothing else
        assert torch.allclose(flipped[i], x[i], atol=1e-5) or torch.allclose(flipped[i], x[i].flip(-1), atol=1e-5)
    # crop and flip draw as before: the same batch as the default
    assert torch.equal(pixels.augment(x, gen(), kinds=("crop", "flip")), pixels.augment(x, gen()))
    turned = pixels.augment(x, gen(), kinds=("rotate",))
    assert turned.shape == x.shape and not torch.allclose(turned, x)
    noisy = pixels.augment(x, gen(), kinds=("noise",))
    assert 0 < float((noisy - x).std()) < 0.1 * float(x.std())


def test_augment_setting_and_flag(tmp_path):
    assert Settings(augment=True).augment == "crop,flip" and Settings(augment=False).augment == "none"
    with pytest.raises(ValueError, match=r"`augment` takes none or some of crop, flip, rotate, noise comma-joined, "
                                         r"got 'zoom'"):
        Settings().merged({"augment": "crop,zoom"})
    runner = CliRunner()
    for flag, stored in ([["--augment"], "crop,flip"], [["--augment", "crop,rotate"], "crop,rotate"],
                         [["--no-augment"], "none"]):
        out = tmp_path / stored
        result = runner.invoke(main, ["train", XO, "--data", "xo?n=40", "--epochs", "1", "--out", str(out), *flag])
        assert result.exit_code == 0, result.output
        assert torch.load(out / "last.pt", weights_only=True)["settings"]["augment"] == stored
    misread = runner.invoke(main, ["train", "--augment", XO, "--out", str(tmp_path / "x")])  # FILE read as the value
    assert misread.exit_code == 2 and not (tmp_path / "x").exists()
    assert (f"Invalid value for '--augment': expected none or some of crop, flip, rotate, noise comma-joined, "
            f"got '{XO}' (a path? write FILE before --augment, or --augment=crop,flip)") in misread.output


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="the tensorboard package is not installed")
def test_tensorboard_logs_each_epoch_beside_the_metrics(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = CliRunner().invoke(main, ["train", XO, "--data", "xo?n=100", "--epochs", "3", "--out", str(tmp_path),
                                       "--tensorboard"])
    assert result.exit_code == 0, result.output
    events = EventAccumulator(str(tmp_path / "tensorboard")).Reload()
    assert {"loss/train", "loss/val", "accuracy/train", "accuracy/val", "lr"} <= set(events.Tags()["scalars"])
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    logged = events.Scalars("loss/val")
    assert [e.step for e in logged] == [1, 2, 3]
    assert [e.value for e in logged] == pytest.approx([r["val_loss"] for r in rows])


def test_tensorboard_missing_is_a_clear_error_before_anything_is_written(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    result = CliRunner().invoke(main, ["train", XO, "--data", "xo?n=40", "--epochs", "1", "--out", str(tmp_path / "o"),
                                       "--tensorboard"])
    assert result.exit_code == 1
    assert result.stderr == ("error: --tensorboard needs the tensorboard package, which is not installed\n"
                             "hint: pip install tensorboard (or nnspec[tensorboard]); metrics.jsonl has the same figures\n")
    assert not (tmp_path / "o").exists()


def test_the_train_section_takes_augment_by_name_and_the_new_schedules(tmp_path):
    text = open(XO).read().replace("input image", 'train {\n    augment = "crop,zoom"\n    schedule = onecycle\n  }\n'
                                                  "  input image")
    (tmp_path / "a.nn").write_text(text)
    result = CliRunner().invoke(main, ["check", str(tmp_path / "a.nn")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{tmp_path / 'a.nn'}:4:15: error: `augment` takes none or some of crop, flip, "
                                    "rotate, noise comma-joined, got 'zoom'\n")
    (tmp_path / "a.nn").write_text(text.replace("zoom", "rotate"))
    assert CliRunner().invoke(main, ["check", str(tmp_path / "a.nn")]).exit_code == 0


@pytest.mark.parametrize("schedule", ["warmup", "onecycle"])
def test_a_resume_with_more_epochs_spans_a_per_step_schedule_over_the_new_total(tmp_path, schedule):
    flags = {"data": "xo?n=100", "schedule": schedule}
    fresh = loop.fit(nnspec.load(XO), None, {}, {**flags, "epochs": 5}, str(tmp_path / "fresh"), live=False)
    loop.fit(nnspec.load(XO), None, {}, {**flags, "epochs": 2}, str(tmp_path / "cut"), live=False)
    resumed = loop.fit(nnspec.load(XO), None, {}, {"epochs": 5}, str(tmp_path / "cut"), resume=True, live=False)
    lrs = lambda result: [row["lr"] for row in result["history"]]
    assert lrs(resumed)[2:] == pytest.approx(lrs(fresh)[2:], rel=1e-12)
