"""Transfer learning: `--init` (nnspec checkpoints, foreign state_dicts, safetensors) and
`--freeze` (globs over module paths; frozen batch norms keep their statistics)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.train import sources
from nnspec.train.errors import DataError
from nnspec.train.loop import fit
from nnspec.train.transfer import freeze, initialise, read_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESNET18 = os.path.join(ROOT, "specs", "resnet18.nn")
SMALL = """
network Small(classes = 3) {
  input image: [3, 16, 16]

  conv1: conv(8, 3, padding=1) -> bn1: batchnorm -> relu -> maxpool(2)
  conv2: conv(8, 3, padding=1) -> relu
  globalavgpool
  head: dense(classes)
}
"""


pytestmark = pytest.mark.usefixtures("one_thread")


def randomised(model: torch.nn.Module, seed: int) -> dict:
    """The state_dict of ``model`` with random weights and random batch-norm statistics (and
    step counters), so that a tensor that moved, or was never loaded, shows."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, t in model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                t.fill_(int(torch.randint(1, 1000, (), generator=gen)))
            elif key.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=gen) * 0.05)
    return {k: v.clone() for k, v in model.state_dict().items()}


def images(n: int, shape, seed: int = 0, classes=("a", "b", "c")) -> sources.Raw:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(classes)
    return sources.Raw("generated", labels.astype(np.int64), [rng.random((n, *shape), dtype=np.float32)],
                       classes=list(classes))


def test_fine_tuning_resnet18_keeps_the_frozen_backbone_and_its_statistics_bit_identical(tmp_path, capsys):
    # a torchvision-style ResNet-18 checkpoint (torchvision's names, 1000 classes), random weights
    pretrained = randomised(nnspec.load(RESNET18).build(), seed=1)
    torch.save(pretrained, tmp_path / "resnet18.pth")
    torch.manual_seed(0)  # fit seeds the same way before it builds: this is the head it starts from
    fresh_head = nnspec.load(RESNET18).build(classes=3).fc.weight.detach().clone()

    fit(nnspec.load(RESNET18), None, {"classes": 3},
        {"init": str(tmp_path / "resnet18.pth"), "freeze": ["conv1", "bn1", "layer*"], "epochs": 2,
         "batch_size": 4, "lr": 0.05, "val_split": 0.25, "seed": 0},
        str(tmp_path / "run"), live=False, raw=images(8, (3, 224, 224)))
    printed = capsys.readouterr().out.splitlines()
    assert printed[:4] == [
        f"init from {tmp_path / 'resnet18.pth'}: loaded 120 tensors (120 by name, 0 by order and shape)",
        "  left new: fc.weight [3, 512], fc.bias [3]",
        "  ignored: fc.weight [1000, 512], fc.bias [1000]",
        "training ResNet18 on generated: 6 examples, 2 for validation; classification (ce); 11,178,051 parameters "
        "(1,539 trainable, 11,176,512 frozen) on cpu",
    ]

    trained = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["model"]
    backbone = [k for k in pretrained if not k.startswith("fc.")]
    assert len(backbone) == 120
    assert any(k.endswith("running_mean") for k in backbone) and any(k.endswith("num_batches_tracked") for k in backbone)
    for key in backbone:  # weights, running means and variances and step counters alike
        assert torch.equal(trained[key], pretrained[key]), key
    assert trained["fc.weight"].shape == (3, 512)
    assert not torch.equal(trained["fc.weight"], fresh_head)  # trained ...
    assert (trained["fc.weight"] - fresh_head).abs().max() < 0.5  # ... from its fresh initialisation


def test_init_by_order_and_shape_from_a_foreign_state_dict(tmp_path):
    spec = nnspec.load(SMALL)
    donor = randomised(spec.build(classes=10), seed=2)
    foreign = {f"backbone.{k.replace('.', '_')}": v for k, v in donor.items()}  # other names, same order
    torch.save(foreign, tmp_path / "w.pth")
    torch.manual_seed(3)
    model = spec.build()
    head = model.head.weight.detach().clone()
    report = initialise(model, str(tmp_path / "w.pth"))
    assert report.lines() == [
        "loaded 9 tensors (0 by name, 9 by order and shape)",
        "left new: head.weight [3, 8], head.bias [3]",
        "ignored: backbone.head_weight [10, 8], backbone.head_bias [10]",
    ]
    state = model.state_dict()
    for key in donor:
        if not key.startswith("head."):
            assert torch.equal(state[key], donor[key]), key
    assert torch.equal(model.head.weight, head)


def test_init_from_safetensors_by_name(tmp_path):
    from safetensors.torch import save_file

    spec = nnspec.load(SMALL)
    donor = randomised(spec.build(classes=5), seed=7)
    save_file(donor, tmp_path / "w.safetensors")  # safetensors sorts the names: only names tell
    model = spec.build()
    report = initialise(model, str(tmp_path / "w.safetensors"))
    assert (len(report.by_name), len(report.by_order)) == (9, 0)
    assert [k for k, _ in report.new] == ["head.weight", "head.bias"]
    assert sorted(k for k, _ in report.ignored) == ["head.bias", "head.weight"]
    assert torch.equal(model.conv2.weight, donor["conv2.weight"])
    (tmp_path / "bad.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(DataError, match=r"bad\.safetensors: not a readable \.safetensors file"):
        read_weights(str(tmp_path / "bad.safetensors"))


def test_init_reads_nnspec_checkpoints_and_nested_state_dicts(tmp_path):
    spec = nnspec.load(SMALL)
    donor = randomised(spec.build(), seed=4)
    torch.save({"epoch": 3, "state_dict": donor}, tmp_path / "nested.pt")
    assert {k: torch.equal(v, donor[k]) for k, v in read_weights(str(tmp_path / "nested.pt")).items()} == \
        {k: True for k in donor}
    fit(spec, None, {}, {"epochs": 1, "init": str(tmp_path / "nested.pt")}, str(tmp_path / "run"), live=False,
        raw=images(6, (3, 16, 16)))
    again = read_weights(str(tmp_path / "run" / "last.pt"))
    assert list(again) == list(donor)
    report = initialise(spec.build(), str(tmp_path / "run" / "last.pt"))
    assert (report.loaded, report.new, report.ignored) == (len(donor), [], [])


def test_bad_init_and_freeze_are_clear_errors_and_write_nothing(tmp_path):
    spec = nnspec.load(SMALL)
    torch.save({"note": "no tensors here"}, tmp_path / "empty.pt")
    torch.save({"x.weight": torch.zeros(7, 7)}, tmp_path / "unrelated.pt")
    (tmp_path / "junk.pth").write_bytes(b"not a zip")
    cases = [
        ({"init": str(tmp_path / "missing.pt")}, f"{tmp_path / 'missing.pt'}: no such weights file"),
        ({"init": str(tmp_path / "empty.pt")}, f"{tmp_path / 'empty.pt'} holds no tensors by name"),
        ({"init": str(tmp_path / "unrelated.pt")},
         f"no tensor of {tmp_path / 'unrelated.pt'} fits the network: names and shapes all differ"),
        ({"freeze": ["conv3"]}, "`freeze` pattern `conv3` matches no module with parameters"),
        ({"freeze": ["*"]}, "`--freeze *` freezes every parameter: nothing would train"),
    ]
    for flags, message in cases:
        with pytest.raises(DataError) as e:
            fit(spec, None, {}, {"epochs": 1, **flags}, str(tmp_path / "run"), live=False, raw=images(6, (3, 16, 16)))
        assert e.value.message == message
        assert not (tmp_path / "run").exists()
    with pytest.raises(DataError, match=r"junk\.pth: not a readable weights file"):
        read_weights(str(tmp_path / "junk.pth"))
    with pytest.raises(DataError) as e:
        freeze(spec.build(), ["conv_1"])
    assert e.value.hint == "did you mean `conv1`?"


def test_frozen_batch_norm_stays_in_inference_mode(tmp_path):
    model = nnspec.load(SMALL).build()
    norms = freeze(model, ["bn*"])
    assert norms == [model.bn1]
    assert not model.bn1.weight.requires_grad and model.conv1.weight.requires_grad
    from nnspec.train.transfer import train_mode

    train_mode(model, norms)
    assert model.training and model.conv1.training and not model.bn1.training


def test_the_train_section_sets_init_and_freeze_and_summary_counts_them(tmp_path):
    spec_path = tmp_path / "spec" / "small.nn"
    spec_path.parent.mkdir()
    donor = randomised(nnspec.load(SMALL).build(), seed=5)
    torch.save(donor, spec_path.parent / "donor.pt")
    spec_path.write_text(SMALL.replace("input image", 'train {\n    init = "donor.pt"\n    freeze = ["conv*"]\n  }\n  input image'))
    fit(nnspec.load(str(spec_path)), None, {}, {"epochs": 2, "lr": 0.05}, str(tmp_path / "run"), live=False,
        raw=images(12, (3, 16, 16)))
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert state["settings"]["init"] == str(spec_path.parent / "donor.pt")  # relative to the spec
    assert state["settings"]["freeze"] == ["conv*"]
    for key in ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"):
        assert torch.equal(state["model"][key], donor[key]), key
    assert not torch.equal(state["model"]["bn1.weight"], donor["bn1.weight"])
    assert not torch.equal(state["model"]["bn1.running_mean"], donor["bn1.running_mean"])  # not frozen: it moves

    runner = CliRunner()
    text = runner.invoke(main, ["summary", str(spec_path)]).stdout.splitlines()
    conv = 8 * 3 * 9 + 8 + 8 * 8 * 9 + 8
    total = conv + 16 + 8 * 3 + 3
    at = text.index(f"Total params: {total:,}")
    assert text[at:at + 3] == [f"Total params: {total:,}", f"Trainable params: {total - conv:,}",
                               f"Frozen params: {conv:,} (conv*)"]
    data = json.loads(runner.invoke(main, ["summary", str(spec_path), "--json", "--freeze", "head"]).stdout)
    assert (data["params"], data["trainable_params"], data["frozen_params"]) == (total, total - 27, 27)
    bad = runner.invoke(main, ["summary", str(spec_path), "--freeze", "haed"])
    assert bad.exit_code == 1
    assert bad.stderr == "error: `freeze` pattern `haed` matches no module with parameters\nhint: did you mean `head`?\n"


def test_train_command_takes_init_and_freeze(tmp_path):
    spec_path = tmp_path / "small.nn"
    spec_path.write_text(SMALL)
    donor = randomised(nnspec.load(SMALL).build(), seed=6)
    torch.save(donor, tmp_path / "donor.pt")
    np.savez(tmp_path / "d.npz", x=images(12, (3, 16, 16)).inputs[0], y=np.arange(12) % 3)
    result = CliRunner().invoke(main, ["train", str(spec_path), "--data", f"tensors:{tmp_path / 'd.npz'}", "-e", "1",
                                       "--init", str(tmp_path / "donor.pt"), "--freeze", "conv1", "--freeze", "bn1",
                                       "-o", str(tmp_path / "run"), "--plain"])
    assert result.exit_code == 0, result.output
    assert "loaded 11 tensors (11 by name, 0 by order and shape)" in result.stdout
    assert "(611 trainable, 240 frozen)" in result.stdout
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(state[k], donor[k]) for k in donor if k.startswith(("conv1.", "bn1.")))


def test_a_network_without_parameters_is_a_clear_error_and_writes_nothing(tmp_path):
    """`check` accepts a network with no weights; training it is a clear error, not the optimizer's
    "empty parameter list"."""
    spec = nnspec.load("network Still {\n  input x: [3, 16, 16]\n  globalavgpool -> softmax\n}\n")
    with pytest.raises(DataError) as e:
        fit(spec, None, {}, {"epochs": 1}, str(tmp_path / "run"), live=False, raw=images(6, (3, 16, 16)))
    assert e.value.message == "`Still` has no parameters: nothing would train"
    assert not (tmp_path / "run").exists()


def test_a_network_whose_outputs_carry_no_gradient_is_a_clear_error_and_writes_nothing(tmp_path):
    """Weights that no gradient reaches (the output is `noise` of their shape) would end the first
    step in autograd's traceback; the graph says so before anything is written."""
    spec = nnspec.load("network Blind {\n  input x: [3, 16, 16]\n  globalavgpool -> dense(3) -> noise\n}\n")
    with pytest.raises(DataError) as e:
        fit(spec, None, {}, {"epochs": 1}, str(tmp_path / "run"), live=False, raw=images(6, (3, 16, 16)))
    assert e.value.message == "no output of `Blind` depends on a weight that trains: nothing would train"
    assert e.value.hint == ("a layer that passes no gradient (`noise`), integer ids or frozen weights stand "
                            "between the weights and every output")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("spec, pattern, hint", [
    ("xo.nn", "conv*", "the top-level modules are 0, 4"),
    ("resnet18.nn", "layer5", "did you mean `layer4`?"),
])
def test_a_freeze_pattern_that_matches_nothing_stops_train_before_the_data(tmp_path, spec, pattern, hint):
    # the spec's module paths are checked first: a missing data folder (or a long load) comes after
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["train", os.path.join(ROOT, "specs", spec), "--freeze", "0" if spec == "xo.nn" else "conv1",
                                  "--freeze", pattern, "--data", f"mnist:{tmp_path / 'missing'}", "--out", str(out)])
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == f"error: `freeze` pattern `{pattern}` matches no module with parameters\nhint: {hint}\n"
    assert not out.exists()


@pytest.mark.parametrize("value", ['["0", "conv*"]', '"conv*"'])
def test_a_section_freeze_that_matches_nothing_is_a_located_error_of_check(tmp_path, value):
    spec = tmp_path / "fz.nn"
    spec.write_text("network N {\n  input x: [1, 9, 9]\n  conv(4, 3) -> flatten -> dense(2)\n"
                    f"  train {{\n    freeze = {value}\n  }}\n}}\n")
    width = len(value)
    expected = (f"{spec}:5:14: error: `freeze` pattern `conv*` matches no module with parameters\n"
                f"      freeze = {value}\n" + " " * 15 + "^" + "~" * (width - 1) + "\n"
                "hint: the top-level modules are 0, 2\n")
    for command in (["check", str(spec)], ["train", str(spec), "--out", str(tmp_path / "run")]):
        r = CliRunner().invoke(main, command)
        assert r.exit_code == 1
        assert r.stderr.startswith(expected)
    assert not (tmp_path / "run").exists()
