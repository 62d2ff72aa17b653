"""Blocks that read named values besides their input (``Up(skip=e4)``): each is a class whose
forward takes the values after its input, named after the block's parameters, and the lengths
of the padded ones it reads; the parent passes them. State-dict keys stay as they were."""

from __future__ import annotations

import os

import torch
from compile_support import check_scripts_and_exports

import nnspec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spec_at(rel: str):
    return nnspec.load(os.path.relpath(os.path.join(ROOT, rel)))


def test_unet_up_is_one_class_called_with_its_skip():
    spec = spec_at("specs/unet.nn")
    text = spec.to_source(size=64)
    assert "class Up(nn.Module):\n" in text
    # its input's channels and the skip's are sizes of its own: any UNet, not only this one
    assert '    """Block `Up(skip)` on [C, H, W]."""\n\n    def __init__(self, C, skip_channels):\n' in text
    assert "        self.conv = DoubleConv(skip_channels + C // 2, C // 2)\n" in text
    assert ("    def forward(self, x, skip):\n"
            "        x = self.up(x)  # [C // 2, 2 * H, 2 * W]\n"
            "        x = torch.cat([x, skip], dim=1)  # [skip_channels + C // 2, 2 * H, 2 * W]\n"
            "        x = self.conv(x)  # [C // 2, 2 * H, 2 * W]\n"
            "        return x\n") in text
    assert "        self.up1 = Up(1024, 512)\n" in text and "        self.up4 = Up(128, 64)\n" in text
    assert ("        x = self.up1(x, e4)  # [512, 2 * (size // 16), 2 * (size // 16)]\n"
            "        x = self.up2(x, e3)  # [256, 4 * (size // 16), 4 * (size // 16)]\n") in text
    assert "ModuleDict" not in text and ").up(" not in text
    model = spec.build(size=64).eval()
    assert [k for k in model.state_dict() if k.startswith("up1.")] == [
        "up1.up.weight", "up1.up.bias",
        *(f"up1.conv.{i}.{p}" for i, ps in ((0, ["weight"]), (1, ["weight", "bias", "running_mean", "running_var",
                                                                "num_batches_tracked"]),
                                          (3, ["weight"]), (4, ["weight", "bias", "running_mean", "running_var",
                                                                "num_batches_tracked"])) for p in ps)]
    up = model.up1
    x, skip = torch.randn(2, 1024, 4, 4), torch.randn(2, 512, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(up(x, skip), up.conv(torch.cat([up.up(x), skip], dim=1)))


def test_a_small_ladder_keeps_its_keys_and_scripts():
    spec = spec_at("tests/golden/named_values.nn")
    model = spec.build().eval()
    assert list(model.state_dict()) == [
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias",
        "up1.up.weight", "up1.up.bias", "up1.conv.weight", "up1.conv.bias",
        "up2.up.weight", "up2.up.bias", "up2.conv.weight", "up2.conv.bias",
        "head.conv.weight", "head.conv.bias"]
    assert type(model.up1) is type(model.up2) and type(model.up1).__name__ == "Up"
    image = torch.randn(2, 3, 16, 16)
    m = model._modules
    with torch.no_grad():
        e1 = m["0"](image)
        e2 = m["2"](model.maxpool(e1))
        x = m["4"](model.maxpool_2(e2))
        for up, skip in ((model.up1, e2), (model.up2, e1)):
            x = torch.relu(up.conv(torch.cat([up.up(x), skip], dim=1)))
        want = model.head.conv(torch.cat([x, e1, image], dim=1))
        torch.testing.assert_close(model(image), want)
    check_scripts_and_exports(spec.checked_graph(), model)


def test_a_block_reading_two_values_takes_both_in_parameter_order():
    spec = nnspec.load(
        "block Fuse(n, a, b) {\n  dense(n) -> concat(a, b) -> out: dense(n)\n}\n"
        "network Two {\n  input x: [4]\n  let p = x -> dense(3)\n  let q = x -> dense(5)\n"
        "  x -> Fuse(2, a=p, b=q) -> Fuse(2, b=p, a=q) -> dense(2)\n}\n")
    text = spec.to_source()
    assert [line for line in text.splitlines() if line.startswith("class ")] == [
        "class Fuse(nn.Module):", "class Two(nn.Module):"]
    assert "    def forward(self, x, a, b):\n" in text
    assert "        x = torch.cat([x, a, b], dim=1)  # [a_features + b_features + n]\n" in text
    assert ('        x1 = getattr(self, "2")(x, p, q)  # [2]\n'
            '        x1 = getattr(self, "3")(x1, q, p)  # [2]\n') in text
    model = spec.build().eval()
    assert list(model.state_dict()) == [f"{i}.{p}" for i in ("0", "1") for p in ("weight", "bias")] + [
        f"{i}.{k}.{p}" for i in ("2", "3") for k in ("0", "out") for p in ("weight", "bias")] + ["4.weight", "4.bias"]
    x = torch.randn(3, 4)
    with torch.no_grad():
        m = model.get_submodule
        p, q = m("0")(x), m("1")(x)
        y = x
        for fuse, a, b in ((m("2"), p, q), (m("3"), q, p)):
            y = fuse.out(torch.cat([fuse._modules["0"](y), a, b], dim=1))
        torch.testing.assert_close(model(x), m("4")(y))
    check_scripts_and_exports(spec.checked_graph(), model)


def test_a_padded_memory_brings_its_lengths_and_only_they_are_passed():
    spec = spec_at("tests/golden/cross_attention.nn")
    text = spec.to_source()
    assert "    def forward(self, x, memory, memory_lengths):\n" in text
    assert "key_padding_mask=padding_mask(memory, memory_lengths)" in text
    # the target's lengths are read by no layer: neither computed nor passed
    assert "target_lengths" not in text
    assert ("        x = self.layer1(x, memory, source_lengths)  # [T, 8]\n"
            "        x = self.layer2(x, memory, source_lengths)  # [T, 8]\n") in text
    model = spec.build().eval()
    assert list(model.state_dict())[:8] == [
        "0.weight", "1.weight",
        "layer1.norm.weight", "layer1.norm.bias", "layer1.attend.in_proj_weight", "layer1.attend.in_proj_bias",
        "layer1.attend.out_proj.weight", "layer1.attend.out_proj.bias"]
    gen = torch.Generator().manual_seed(0)
    source = torch.randint(1, 50, (2, 6), generator=gen)
    source[1, 3:] = 0  # the second memory is three tokens long
    target = torch.randint(1, 50, (2, 4), generator=gen)
    with torch.no_grad():
        both = model(source, target)
        # each sequence attends to its own memory only: as if its padding were not there
        torch.testing.assert_close(both[1:], model(source[1:, :3], target[1:]))
        torch.testing.assert_close(both[:1], model(source[:1], target[:1]))
    check_scripts_and_exports(spec.checked_graph(), model)


def test_each_inside_a_block_that_reads_a_value():
    spec = nnspec.load(
        "block Frames(ctx) {\n  each { flatten -> dense(6) } -> add(ctx)\n}\n"
        "network Clip {\n  input frames: [T, 2, 3]\n  input extra: [T, 6]\n"
        "  frames -> Frames(extra) -> Frames(extra) -> dense(2)\n}\n")
    text = spec.to_source()
    # the first call's frames are [2, 3]: its class takes their sizes; the second's are a [6]
    # vector, which no class of the definition over an image serves: a class of that call
    assert ("    def __init__(self, H, W):\n"
            "        super().__init__()\n"
            "        self.flatten = nn.Flatten()\n"
            '        self.add_module("1", nn.Linear(H * W, 6))\n\n'
            "    def forward(self, x, ctx):\n"
            "        x1 = x.flatten(0, 1)  # [H, W]\n"
            "        x1 = self.flatten(x1)  # [H * W]\n"
            '        x1 = getattr(self, "1")(x1)  # [6]\n'
            "        x = x1.unflatten(0, (x.shape[0], -1))  # [in_channels, 6]\n"
            "        x = x + ctx  # [in_channels, 6]\n"
            "        return x\n") in text
    assert ('        x = getattr(self, "0")(frames, extra)  # [T, 6]\n'
            '        x = getattr(self, "1")(x, extra)  # [T, 6]\n') in text
    model = spec.build().eval()
    frames, extra = torch.randn(2, 5, 2, 3), torch.randn(2, 5, 6)
    with torch.no_grad():
        m = model.get_submodule
        y = m("0.1")(frames.flatten(2)) + extra
        y = m("1.1")(y) + extra  # flattening a frame [6] keeps it
        torch.testing.assert_close(model(frames, extra), m("2")(y))
    check_scripts_and_exports(spec.checked_graph(), model)


def test_each_instance_names_the_values_given_for_its_parameters():
    graph = spec_at("specs/unet.nn").checked_graph(size=64)
    up = [s for s in graph.root.children if s.name == "Up"]
    assert [(s.path, s.values) for s in up] == [
        ("up1", {"skip": graph.values["e4"]}), ("up2", {"skip": graph.values["e3"]}),
        ("up3", {"skip": graph.values["e2"]}), ("up4", {"skip": graph.values["e1"]})]
    concat = next(n for n in graph.nodes if n.op == "concat" and n.scope.path == "up1")
    assert concat.inputs[1] == graph.values["e4"]
