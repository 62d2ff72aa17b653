"""A block's `if` is a Python `if` of its class, on the class's own parameters and sizes: the
code it becomes, and the state dicts it keeps."""

from __future__ import annotations

import glob
import hashlib
import os
import textwrap

import pytest
from compile_support import assert_source_and_module_agree, check_scripts_and_exports
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnspec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SEQUENTIAL = """\
block Body(exp, out, squeeze) on [inp] {
  if exp != inp { dense(exp) -> relu }
  dense(exp)
  if squeeze > 0 { dense(squeeze) -> dense(exp) }
  dense(out)
}
network N {
  input x: [8]
  Body(8, 8, 0)
  Body(16, 8, 4)
  Body(16, 12, 0)
}
"""

RESIDUAL = """\
block Unit(out, stride) on [inp, _, _] {
  if stride == 1 and inp == out {
    residual { conv(out, 3, padding=1) -> relu }
  } else {
    conv(out, 3, stride=stride, padding=1) -> relu
  }
}
network N {
  input x: [3, 16, 16]
  Unit(8, 2)
  Unit(8, 1)
  Unit(8, 1)
  Unit(16, 2)
}
"""

# The state dict's keys and shapes, in order, of every zoo network and of the specs above,
# hashed (sha256 of "key (shape)" lines): what the code generator made of them before a class
# per block definition; torchvision's and Keras's checkpoints load into these by order.
KEYS = {
    "alexnet": "9c198ebdae1863e4",
    "convnext_tiny": "a5d4759acf85c984",
    "deeplabv3_resnet50": "e6640e34f4914cee",
    "swin_t": "a7594b047d9d4ab0",
    "gpt2": "76a083681e8c673a",
    "whisper_encoder": "7f5e287ef1fab772",
    "efficientnet_b0": "459d0f5657f1cc9c",
    "fashion_mnist": "44ba2b05f7f6b9a0",
    "googlenet": "f66489fa14bd9d5a",
    "lenet5": "058cceab27be7aaf",
    "mobilenet_v3_large": "e6974f96c1885816",
    "resnet152": "47c7efd314b5f031",
    "resnet18": "84fb10d9c6905a1c",
    "resnet50": "82c93cd207af4ec5",
    "sentiment_lstm": "cc2561cfdb13cd77",
    "shufflenet_v2_x1_0": "81b349bc1cbbbc7a",
    "transformer_classifier": "a682c16abec4eaa8",
    "unet": "8b7d11defec6a837",
    "vgg16": "35c4623e0cd4a39d",
    "video_lstm": "59480d9cb2855d7f",
    "vit_b_16": "75326ab22f905787",
    "xception": "47ed1d77b02482b1",
    "xo": "edde6447c6aecfad",
    "sequential": "2703b49b5cb3401d",
    "residual": "4bef62408e5eec49",
}
SPECS = {os.path.basename(p)[:-3]: p for p in glob.glob(os.path.join(ROOT, "specs", "*.nn"))}


def keys_digest(spec) -> str:
    lines = "\n".join(f"{k} {tuple(v.shape)}" for k, v in spec.build().state_dict().items())
    return hashlib.sha256(lines.encode()).hexdigest()[:16]


def test_every_zoo_spec_has_its_keys_recorded():
    assert sorted(SPECS) == sorted(k for k in KEYS if k not in ("sequential", "residual"))


@pytest.mark.parametrize("name", sorted(KEYS))
def test_state_dict_keys_and_shapes_are_unchanged(name):
    spec = nnspec.load(SPECS[name]) if name in SPECS else nnspec.load({"sequential": SEQUENTIAL, "residual": RESIDUAL}[name])
    assert keys_digest(spec) == KEYS[name]


def class_text(text: str, name: str) -> str:
    """The text of one class of a generated module."""
    return "class " + text.split(f"\nclass {name}(")[1].split("\n\n\n")[0].join([f"{name}(", ""])


def test_a_sequential_block_is_one_class_with_its_ifs_as_conditions():
    text = nnspec.load(SEQUENTIAL).to_source()
    assert [line for line in text.splitlines() if line.startswith("class ")] == [
        "class Body(nn.Sequential):", "class N(nn.Module):"]
    # `exp if exp != inp else inp` is `exp`: the second layer reads `exp` features either way
    assert class_text(text, "Body") == textwrap.dedent("""\
        class Body(nn.Sequential):
            \"\"\"Block `Body(exp, out, squeeze)` on [inp].\"\"\"

            def __init__(self, inp, exp, out, squeeze):
                layers = []
                if exp != inp:
                    layers.append(nn.Linear(inp, exp))  # [exp]
                    layers.append(nn.ReLU())  # [exp]
                layers.append(nn.Linear(exp, exp))  # [exp]
                if squeeze > 0:
                    layers.append(nn.Linear(exp, squeeze))  # [squeeze]
                    layers.append(nn.Linear(squeeze, exp))  # [exp]
                layers.append(nn.Linear(exp, out))  # [out]
                super().__init__(*layers)""")
    assert '        self.add_module("0", Body(8, 8, 8, 0))\n        self.add_module("1", Body(8, 16, 8, 4))\n' in text
    assert_source_and_module_agree(nnspec.load(SEQUENTIAL))


def test_a_layer_kind_passed_on_to_a_nested_block_is_a_parameter():
    spec = nnspec.load("""\
block Act(act) { dense(4) -> act }
block Pair(act, extra) on [inp] {
  if extra > 0 { dense(extra) -> dense(inp) }
  Act(act)
}
network N {
  input x: [4]
  Pair(relu, 0)
  Pair(tanh, 3)
}
""")
    text = spec.to_source()
    assert [line for line in text.splitlines() if line.startswith("class ")] == [
        "class Act(nn.Sequential):", "class Pair(nn.Sequential):", "class N(nn.Module):"]
    assert "    def __init__(self, inp, act, extra):\n" in text
    assert "        layers.append(Act(inp, act))  # [4]\n" in text
    assert '        self.add_module("0", Pair(4, nn.ReLU, 0))\n        self.add_module("1", Pair(4, nn.Tanh, 3))\n' in text
    assert_source_and_module_agree(spec)


def test_a_size_each_branch_gives_differently_is_an_expression_of_both():
    # the last layer's input is the extra layer's width where it is built, the block's input
    # elsewhere: `extra if extra > 0 else in_features`
    spec = nnspec.load("""\
block Pair(extra) on [inp] {
  if extra > 0 { dense(extra) }
  dense(4)
}
network N {
  input x: [4]
  Pair(0)
  Pair(3)
  Pair(3)
}
""")
    text = spec.to_source()
    assert "        layers.append(nn.Linear(extra if extra > 0 else inp, 4))  # [4]\n" in text
    assert_source_and_module_agree(spec)


def test_a_condition_on_a_layer_kind_is_decided_per_call():
    # a layer kind compared by name: the class of each call's arguments, named after the block
    spec = nnspec.load("""\
block P(act) on [inp] {
  if act == relu { dense(4) }
  dense(4)
}
network N {
  input x: [4]
  P(relu) -> P(tanh) -> P(tanh)
}
""")
    text = spec.to_source()
    assert [line for line in text.splitlines() if line.startswith("class ")] == [
        "class P(nn.Sequential):", "class P_2(nn.Sequential):", "class N(nn.Module):"]
    assert '    """Block `P(act=relu)` on [4]."""\n\n    def __init__(self):\n' in text
    assert '    """Block `P(act=tanh)` on [4]."""\n\n    def __init__(self):\n' in text
    assert "if act" not in text
    assert_source_and_module_agree(spec)


def test_a_residual_some_instances_keep_is_a_condition_of_forward():
    text = nnspec.load(RESIDUAL).to_source()
    assert class_text(text, "Unit") == textwrap.dedent("""\
        class Unit(nn.Module):
            \"\"\"Block `Unit(out, stride)` on [inp, H, W].\"\"\"

            __constants__ = ['use_branch']

            def __init__(self, inp, out, stride):
                super().__init__()
                self.use_branch = stride == 1 and inp == out
                if stride == 1 and inp == out:
                    self.add_module("0", nn.Conv2d(inp, out, 3, padding=1))
                    self.relu = nn.ReLU()
                else:
                    self.add_module("0", nn.Conv2d(inp, out, 3, stride=stride, padding=1))
                    self.relu = nn.ReLU()

            def forward(self, x):
                if self.use_branch:
                    x1 = getattr(self, "0")(x)  # [out, H, W]
                    x1 = self.relu(x1)  # [out, H, W]
                    x = x1 + x  # [out, H, W]
                else:
                    x = getattr(self, "0")(x)  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
                    x = self.relu(x)  # [out, (H - 1) // stride + 1, (W - 1) // stride + 1]
                return x""")
    assert '        self.add_module("0", Unit(3, 8, 2))\n        self.add_module("1", Unit(8, 8, 1))\n' in text
    assert_source_and_module_agree(nnspec.load(RESIDUAL))


def test_two_branches_that_differ_in_modules_and_lines_are_an_if_and_else():
    # ShuffleNet's unit: at stride 1 half passes through, at stride 2 both halves are filtered;
    # each branch builds its own modules, and a size the branches give differently is an
    # expression of both
    spec = nnspec.load("""\
block Unit(out, stride = 1) on [inp, _, _] {
  if stride == 1 {
    concat { | chunk(2, 0) | chunk(2, 1) -> right: conv(out // 2, 1) }
  } else {
    concat { | left: conv(out // 2, 3, stride=stride, padding=1) | right: conv(out // 2, 1, stride=stride) }
  }
  channelshuffle(2)
}
network N {
  input x: [3, 8, 8]
  Unit(8, 2) -> Unit(8) -> Unit(8) -> Unit(16, 2)
}
""")
    text = spec.to_source()
    assert ("        if stride == 1:\n"
            "            self.right = nn.Conv2d(inp - (inp + 1) // 2, out // 2, 1)\n"
            "        else:\n"
            "            self.left = nn.Conv2d(inp, out // 2, 3, stride=stride, padding=1)\n"
            "            self.right = nn.Conv2d(inp, out // 2, 1, stride=stride)\n") in text
    assert ("        if self.use_branch:\n"
            "            x1 = x.chunk(2, dim=1)[0]  # [(inp + 1) // 2, H, W]\n"
            "            x2 = x.chunk(2, dim=1)[1]  # [inp - (inp + 1) // 2, H, W]\n"
            "            x2 = self.right(x2)  # [out // 2, H, W]\n"
            "            x = torch.cat([x1, x2], dim=1)  # [out // 2 + (inp + 1) // 2, H, W]\n"
            "        else:\n"
            "            left = self.left(x)  # [out // 2, (H - 1) // stride + 1, (W - 1) // stride + 1]\n") in text
    assert '        self.add_module("0", Unit(3, 8, stride=2))\n        self.add_module("1", Unit(8, 8))\n' in text
    assert_source_and_module_agree(spec)
    check_scripts_and_exports(spec.checked_graph(), spec.build().eval())


def test_a_module_only_the_residual_instances_build_is_built_on_the_condition():
    spec = nnspec.load("""\
block Unit(out, p) on [inp] {
  if inp == out { residual { dense(out) -> dropout(p) } } else { dense(out) }
}
network N {
  input x: [4]
  Unit(8, 0.1)
  Unit(8, 0.2)
}
""")
    text = spec.to_source()
    # the module both branches begin with is built before the if
    assert ("        self.use_branch = inp == out\n"
            '        self.add_module("0", nn.Linear(inp, out))\n'
            "        if inp == out:\n            self.dropout = nn.Dropout(p)\n\n") in text
    assert_source_and_module_agree(spec)


@pytest.mark.parametrize("name", ["mobilenet_v3_large", "efficientnet_b0", "shufflenet_v2_x1_0"])
def test_zoo_blocks_with_ifs_are_one_class_and_script_and_export(name):
    spec = nnspec.load(SPECS[name])
    text = spec.to_source()
    body, block = {"mobilenet_v3_large": ("BneckBody", "Bneck"), "efficientnet_b0": ("MBConvBody", "MBConv"),
                   "shufflenet_v2_x1_0": ("Branch", "ShuffleUnit")}[name]
    assert text.count(f"class {body}(") == 1 and text.count(f"class {block}(") == 1
    assert f"class {block}_2" not in text and f"class {body}_2" not in text
    graph = spec.checked_graph()
    check_scripts_and_exports(graph, spec.build().eval())


def test_a_block_used_once_is_its_class():
    spec = nnspec.load("""\
block Head(classes) { dropout(0.5) -> dense(classes) }
network N(classes = 3) {
  input x: [8]
  dense(8) -> relu
  head: Head(classes)
}
""")
    text = spec.to_source()
    assert [line for line in text.splitlines() if line.startswith("class ")] == [
        "class Head(nn.Sequential):", "class N(nn.Module):"]
    assert ("    def __init__(self, in_features, classes):\n        super().__init__(\n"
            "            nn.Dropout(),  # [in_features]\n"
            "            nn.Linear(in_features, classes),  # [classes]\n") in text
    assert "        self.head = Head(8, classes)\n" in text and "        x = self.head(x)  # [classes]\n" in text
    assert_source_and_module_agree(spec)


# -- random blocks whose `if`s pick their structure ------------------------------------------
CONDS = ["a > 0", "a == 1", "b != 2", "inp == w", "a > 0 and b == 1", "not (a == 2)", "b == 0 or a == 2"]


@st.composite
def conditional_network(draw) -> str:
    """A block over vectors whose `if`s (on its parameters and its input's width) add layers,
    residuals or alternatives, used two to four times with random arguments."""
    cond = st.sampled_from(CONDS)
    first = draw(st.sampled_from(["dense(w)", "if {} {{ dense(w) -> relu }} else {{ dense(w) }}",
                                  "if {} {{ dense(w) -> relu -> dense(w) }} else {{ dense(w) }}"]))
    items = [first.format(draw(cond))]
    later = ["if {} {{ relu }}", "if {} {{ dense(w) -> tanh }}", "if {} {{ residual {{ dense(w) }} }}", "layernorm",
             "if {} {{ residual {{ dense(w) -> relu }} }} else {{ dense(w) }}", "if {} {{ dropout(0.2) }}",
             "if {} {{ p{i}: dense(w) }} else {{ q{i}: dense(w) -> tanh }}", "if {} {{ p{i}: dense(w) }}"]
    for i in range(draw(st.integers(1, 3))):
        items.append(draw(st.sampled_from(later)).replace("{i}", str(i)).format(draw(cond)))
    calls = [f"B({draw(SIZES)}, {draw(st.integers(0, 2))}, {draw(st.integers(0, 2))})"
             for _ in range(draw(st.integers(2, 4)))]
    return ("block B(w, a, b) on [inp] {\n  " + "\n  ".join(items) + "\n}\n\nnetwork Random {\n  input x: [4]\n  "
            + " -> ".join(calls) + "\n  out: dense(3)\n}\n")


SIZES = st.sampled_from([2, 3, 4])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditional_network())
def test_random_blocks_with_ifs_compile_to_what_they_check(text):
    spec = nnspec.load(text)
    assert_source_and_module_agree(spec)
    # every layer's module sits where the spec names it, with the parameters it checked with:
    # sharing classes never moves a key
    from nnspec.backends.codegen import module_paths

    graph = spec.checked_graph()
    paths = module_paths(graph)
    params = dict(spec.build().named_parameters())
    for n in graph.nodes:
        if n.params:
            prefix = paths[n.name] + "."
            assert sum(p.numel() for k, p in params.items() if k.startswith(prefix)) == n.params, (n.name, text)
