"""The zoo (LANGUAGE.md §11): every spec in specs/ checks cleanly, matches its published
parameter count, and declares its parameters and buffers in the reference's order and shapes.

The fixtures under tests/fixtures/zoo/ list the reference ``state_dict`` (torchvision; Keras for
Xception) and are written by tools/zoo_reference.py, which also compares outputs numerically.
Modules are built on the meta device: shapes only, no memory, no initialisation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import nnspec
from nnspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.nn"))
FIXTURES = ROOT / "tests" / "fixtures" / "zoo"

# Published parameter counts (LANGUAGE.md §11).
PUBLISHED = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "googlenet": 6_624_904,
    "xception": 22_855_952,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "resnet152": 60_192_808,
    "vit_b_16": 86_567_656,
    "convnext_tiny": 28_589_128,
    "mobilenet_v3_large": 5_483_032,
    "efficientnet_b0": 5_288_548,
    "shufflenet_v2_x1_0": 2_278_604,
    "swin_t": 28_288_354,
    # torchvision's deeplabv3_resnet50(num_classes=21, aux_loss=False), counted with torchvision 0.29
    "deeplabv3_resnet50": 39_638_869,
}

# The lecture networks' counts, worked out by hand (PyTorch's conventions).
LECTURE = {
    "xo": 170,  # conv 1->4 3×3: 40; dense 4·4·4 -> 2: 130
    "fashion_mnist": 421_834,  # conv 320, bn 64, conv 18,496, bn 128, dense 3136->128: 401,536, dense 1,290
    "sentiment_lstm": 2_692_354,  # embedding 20000×128, lstm 4·(128·128 + 128·128 + 2·128), dense 258
    "video_lstm": 491_530,  # convs 896 + 18,496 + 73,856, bns 448, lstm 4·(256·128 + 256·256 + 2·256), dense 2,570
}

# Networks of the project's own design, their counts worked out by hand.
OWN = {
    # DoubleConv(i -> c) = 9·i·c + 2c + 9·c·c + 2c: 38,848 (3 -> 64) and the four Downs 221,696 +
    # 885,760 + 3,540,992 + 14,159,872; each Up(C) = deconv C·(C/2)·4 + C/2, then DoubleConv(C -> C/2):
    # 9,177,600 + 2,295,040 + 574,080 + 143,680; the head 64·2 + 2
    "unet": 31_037_698,
    # embedding 20000·256, positions 256·256, 4 × (2 layer norms 1,024, attention 3·256·257 +
    # 256·257, MLP 256·1024 + 1024 + 1024·256 + 256), the final layer norm 512, the head 514
    "transformer_classifier": 8_345_602,
    # LeNet-5 as published: C1 156, S2 12, C3 1,516 (Table I: 60 maps read, 16 biases), S4 32,
    # C5 48,120, F6 10,164, the RBF centres 840 (tests/test_language_v3.py: equal to its twin)
    "lenet5": 60_840,
    # conv 80 -> 384 ×3: 92,544, conv 384 -> 384 ×3: 442,752; 4 blocks of 2 layer norms 1,536,
    # attention 4·384·384 + 3·384 (no key bias) and MLP 384·1536 + 1536 + 1536·384 + 384; the
    # final layer norm 768 (tests/test_attention.py: equal to its twin)
    "whisper_encoder": 7_632_384,
    # token embedding 50257·768, positions 1024·768, 12 blocks of 2 layer norms 3,072, attention
    # 4·768·768 + 4·768 and MLP 768·3072 + 3072 + 3072·768 + 768, the final layer norm 1,536,
    # the head 768·50257 untied (tests/test_attention.py: equal to its twin)
    "gpt2": 163_037_184,
}

# What each spec takes and returns: (input shapes, output shapes), as `summary --json` prints them.
INTERFACES = {
    "xo": ([[1, 9, 9]], [[2]]),
    "fashion_mnist": ([[1, 28, 28]], [[10]]),
    "sentiment_lstm": ([["T"]], [[2]]),
    "video_lstm": ([["T", 3, 64, 64]], [[10]]),
    "alexnet": ([[3, 224, 224]], [[1000]]),
    "vgg16": ([[3, 224, 224]], [[1000]]),
    "googlenet": ([[3, 224, 224]], [[1000]]),
    "xception": ([[3, 299, 299]], [[1000]]),
    "resnet18": ([[3, 224, 224]], [[1000]]),
    "resnet50": ([[3, 224, 224]], [[1000]]),
    "resnet152": ([[3, 224, 224]], [[1000]]),
    "vit_b_16": ([[3, 224, 224]], [[1000]]),
    "convnext_tiny": ([[3, 224, 224]], [[1000]]),
    "mobilenet_v3_large": ([[3, 224, 224]], [[1000]]),
    "efficientnet_b0": ([[3, 224, 224]], [[1000]]),
    "shufflenet_v2_x1_0": ([[3, 224, 224]], [[1000]]),
    "swin_t": ([[3, 224, 224]], [[1000]]),
    "deeplabv3_resnet50": ([[3, 500, 500]], [[21, 500, 500]]),
    "unet": ([[3, 256, 256]], [[2, 256, 256]]),
    "transformer_classifier": ([[256]], [[2]]),
    "lenet5": ([[1, 32, 32]], [[10]]),
    "whisper_encoder": ([[80, "T"]], [["(T - 1) // 2 + 1", 384]]),
    "gpt2": ([["T"]], [["T", 50257]]),
}

# Where our module names differ from the reference's: the language names a `shortcut auto`
# projection `shortcut`, torchvision's ResNet calls it `downsample`.
RENAMED = {
    "resnet50": {"downsample": "shortcut"},
    "resnet152": {"downsample": "shortcut"},
    "deeplabv3_resnet50": {"downsample": "shortcut"},
}


def spec_ids(paths):
    return [p.stem for p in paths]


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def meta_state_dict(name: str) -> list[tuple[str, list[int]]]:
    """Our module's state_dict as ordered (name, shape) pairs, built without allocating."""
    import torch

    with torch.device("meta"):
        module = nnspec.load(ROOT / "specs" / f"{name}.nn").build()
    return [(key, list(t.shape)) for key, t in module.state_dict().items()]


def test_the_zoo_is_complete():
    assert set(spec_ids(SPECS)) == set(INTERFACES)
    assert {p.stem for p in FIXTURES.glob("*.json")} == set(PUBLISHED)


@pytest.mark.parametrize("path", SPECS, ids=spec_ids(SPECS))
def test_spec_checks_without_a_diagnostic(path):
    assert nnspec.load(path).check() == []


@pytest.mark.parametrize("path", SPECS, ids=spec_ids(SPECS))
def test_check_command_accepts_spec(path):
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert ": ok, " in result.output


def test_zoo_is_in_canonical_format():
    files = [str(p) for p in SPECS + sorted((ROOT / "specs" / "blocks").glob("*.nn"))]
    result = CliRunner().invoke(main, ["fmt", "--check", *files])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_parameter_count(name):
    summary = nnspec.load(ROOT / "specs" / f"{name}.nn").summary()
    assert summary.total_params == PUBLISHED[name]


@pytest.mark.parametrize("path", SPECS, ids=spec_ids(SPECS))
def test_summary_json_interface(path):
    result = CliRunner().invoke(main, ["summary", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    inputs, outputs = INTERFACES[path.stem]
    assert ([i["shape"] for i in data["inputs"]], [o["shape"] for o in data["outputs"]]) == (inputs, outputs)
    assert data["params"] == {**PUBLISHED, **LECTURE, **OWN}[path.stem]


def test_xception_batchnorm_statistics():
    """Keras counts 54,528 non-trainable weights: each batch norm's moving mean and variance.
    PyTorch adds one `num_batches_tracked` counter per batch norm (40 of them)."""
    graph = nnspec.load(ROOT / "specs" / "xception.nn").checked_graph()
    norms = [n for n in graph.nodes if n.op == "batchnorm"]
    statistics = sum(2 * n.out.shape[0] for n in norms)
    assert (statistics, len(norms)) == (54_528, 40)
    assert graph.total_buffers == 54_528 + 40
    assert graph.total_params + statistics == 22_910_480  # Keras' total


def test_keras_batchnorm_settings_in_xception():
    graph = nnspec.load(ROOT / "specs" / "xception.nn").checked_graph()
    settings = {(n.layer.args.eps, n.layer.args.momentum) for n in graph.nodes if n.op == "batchnorm"}
    assert settings == {(0.001, 0.01)}


# Networks whose names are the reference's, but not quite its order: torchvision's Swin patch
# merging creates its reduction before the norm it applies first, and a spec creates modules in
# the order they are applied. Their checkpoints load by name.
BY_NAME = {"swin_t"}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_state_dict_shapes_follow_the_reference(name):
    ours = meta_state_dict(name)
    ref = fixture(name)["tensors"]
    if name in BY_NAME:
        assert dict(ours) == dict(ref)
        return
    if name == "xception":  # Keras keeps no count of batches seen
        ours = [(k, s) for k, s in ours if not k.endswith("num_batches_tracked")]
    assert [s for _, s in ours] == [s for _, s in ref]


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "resnet152", "shufflenet_v2_x1_0",
                                  "deeplabv3_resnet50"])
def test_state_dict_names_follow_torchvision(name):
    ours = [k for k, _ in meta_state_dict(name)]
    renames = RENAMED.get(name, {})
    expected = []
    for key, _ in fixture(name)["tensors"]:
        for old, new in renames.items():
            key = key.replace(f".{old}.", f".{new}.")
        expected.append(key)
    assert ours == expected


def test_xception_names_mirror_keras_layers():
    ours = [k for k, _ in meta_state_dict("xception") if not k.endswith("num_batches_tracked")]
    keras = [k for k, _ in fixture("xception")["tensors"]]
    assert ours[:6] == [
        "block1_conv1.conv.weight", "block1_conv1.bn.weight", "block1_conv1.bn.bias",
        "block1_conv1.bn.running_mean", "block1_conv1.bn.running_var", "block1_conv2.conv.weight",
    ]
    assert keras[:6] == [
        "block1_conv1/kernel", "block1_conv1_bn/gamma", "block1_conv1_bn/beta",
        "block1_conv1_bn/moving_mean", "block1_conv1_bn/moving_variance", "block1_conv2/kernel",
    ]
    # The shortcut projection comes after the body in both (Keras orders layers by depth).
    assert ours.index("block2.proj.conv.weight") == ours.index("block2.sepconv2.bn.running_var") + 1
    assert keras.index("conv2d/kernel") == keras.index("block2_sepconv2_bn/moving_variance") + 1
    assert ours[-2:] == ["predictions.weight", "predictions.bias"]
    assert keras[-2:] == ["predictions/kernel", "predictions/bias"]


def test_sentiment_lstm_reads_each_review_up_to_its_last_real_token():
    """`pad=0`: trailing padding, alone or beside a longer review in the batch, changes nothing."""
    import torch

    torch.manual_seed(0)
    model = nnspec.load(ROOT / "specs" / "sentiment_lstm.nn").build(vocab=50, dim=8, hidden=8).eval()
    review, other = [3, 7, 9, 4, 2], [5, 6, 7, 8, 9, 10, 11]
    with torch.no_grad():
        alone = model(torch.tensor([review]))
        padded = model(torch.tensor([review + [0] * 4]))
        batch = model(torch.tensor([review + [0, 0], other]))
        other_alone = model(torch.tensor([other]))
    assert alone.shape == (1, 2)
    torch.testing.assert_close(padded, alone, rtol=0, atol=1e-6)
    torch.testing.assert_close(batch, torch.cat([alone, other_alone]), rtol=0, atol=1e-6)
    assert not torch.allclose(alone, other_alone)


def test_sentiment_lstm_parameters_follow_its_arguments():
    graph = nnspec.load(ROOT / "specs" / "sentiment_lstm.nn").checked_graph(vocab=5000, hidden=64)
    assert graph.total_params == 5000 * 128 + 4 * (64 * 128 + 64 * 64 + 2 * 64) + 64 * 2 + 2


@pytest.mark.parametrize("steps", [1, 4])
def test_video_lstm_classifies_clips_of_any_length(steps):
    import torch

    torch.manual_seed(0)
    model = nnspec.load(ROOT / "specs" / "video_lstm.nn").build().eval()
    clips = torch.randn(2, steps, 3, 64, 64)
    with torch.no_grad():
        both = model(clips)
        first = model(clips[:1])
    assert both.shape == (2, 10)
    torch.testing.assert_close(both[:1], first, rtol=0, atol=1e-5)


# -- the modern zoo: what torchvision creates first, and what only training does ---------------


def test_learned_tensors_come_where_torchvision_registers_them():
    """ViT's class token before the patch projection, its positional embedding before the
    first encoder layer; ConvNeXt's layer scale before its block's depthwise conv."""
    vit = meta_state_dict("vit_b_16")
    assert [s for _, s in vit[:4]] == [[1, 1, 768], [768, 3, 16, 16], [768], [1, 197, 768]]
    assert [k for k, _ in fixture("vit_b_16")["tensors"][:4]] == [
        "class_token", "conv_proj.weight", "conv_proj.bias", "encoder.pos_embedding"]
    convnext = meta_state_dict("convnext_tiny")
    assert [s for _, s in convnext[4:7]] == [[96, 1, 1], [96, 1, 7, 7], [96]]
    assert [k for k, _ in fixture("convnext_tiny")["tensors"][4:7]] == [
        "features.1.0.layer_scale", "features.1.0.block.0.weight", "features.1.0.block.0.bias"]


@pytest.mark.parametrize("name, blocks, top", [("convnext_tiny", 18, 0.1), ("efficientnet_b0", 16, 0.2)])
def test_stochastic_depth_rises_linearly_over_the_blocks(name, blocks, top):
    graph = nnspec.load(ROOT / "specs" / f"{name}.nn").checked_graph()
    ps = [n.layer.args.p for n in graph.nodes if n.op == "droppath"]
    # torchvision: block i of n drops with probability top * i / (n - 1) (ConvNeXt) or top * i / n
    # (EfficientNet, whose blocks without a residual connection never drop)
    expected = ([top * i / (blocks - 1) for i in range(blocks)] if name == "convnext_tiny"
                else [top * i / blocks for i in (2, 4, 6, 7, 9, 10, 12, 13, 14)])
    assert ps == pytest.approx(expected)


def test_droppath_changes_training_outputs_only():
    import torch

    torch.manual_seed(0)
    from compile_support import zoo_at

    model = zoo_at(ROOT / "specs" / "efficientnet_b0.nn", 64).build()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        model.eval()
        a, b = model(x), model(x)
        model.train()
        c, d = model(x), model(x)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.allclose(c, d)
