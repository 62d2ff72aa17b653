"""Block classes shared by instances of different sizes: numbers found in the code's values
only, explained by the block's parameters; the generated classes build modules of the inferred
sizes."""

from __future__ import annotations

import os
import re

import pytest
import torch
from compile_support import check_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnspec
from nnspec.backends.codegen.body import Assign, Body, Comment, Module
from nnspec.backends.codegen.explain import explain
from nnspec.core.code import BinOp, Name, Param, Ref, call, holes, numbers, render, substitute

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- the value functions --------------------------------------------------------------------
def test_numbers_are_found_in_code_never_in_names_strings_or_comments():
    body = Body("nn.Module", (Module("0", call("nn.Conv2d", 16, 32, 3)),), ("x",), (
        Assign("x1", call(Ref((("layer1", "."), ("2", "[]"))), Name("x")), 7, note="5: a note"),
        Comment("5: a heading"),
        Assign("x2", call("nn.Upsample", mode="bilinear"), 8),
    ))
    assert numbers(body) == [16, 32, 3]  # not the module key, the list position, value ids or comments
    assert holes(body) == holes(Body("nn.Module", (Module("0", call("nn.Conv2d", 8, 8, 5)),), ("x",), body.forward))
    assert holes(body) != holes(Body("nn.Module", (Module("0", call("nn.Conv2d", 8, 8, 5, bias=False)),), ("x",),
                                     body.forward))
    assert numbers(call("nn.BatchNorm2d", 64, eps=0.001, momentum=1e-05)) == [64, 0.001, 1e-05]
    assert render(substitute(call("f", 1, 2), {1: Param("width")})) == "f(1, width)"
    assert render(substitute(call("f", 1, 2), {0: BinOp(4, "*", Param("w"))})) == "f(4 * w, 2)"


@pytest.mark.parametrize(
    "values, candidates, expr",
    [
        ([64, 128], {"width": [64, 128]}, "width"),
        ([256, 512], {"width": [64, 128]}, "4 * width"),
        ([32, 64], {"width": [64, 128]}, "width // 2"),
        ([96, 160], {"c1": [64, 128], "c3": [32, 32]}, "c1 + c3"),
        ([64, 128], {"in_channels": [64, 128], "width": [64, 128]}, "in_channels"),  # the first that fits
        ([4, 9], {"n": [2, 3]}, None),  # n * n: not a fixed multiple
        ([1, 2], {"flag": [True, False]}, None),
        ([0.5, 0.25], {"p": [0.5, 0.25]}, "p"),
        ([3, 6], {"p": [0.5, 1.0]}, None),  # a multiple of a float is not looked for
    ],
)
def test_explain(values, candidates, expr):
    found = explain(values, candidates)
    assert (render(found) if found is not None else None) == expr


# -- generated classes -------------------------------------------------------------------------
def source_of(rel: str) -> str:
    return nnspec.load(os.path.relpath(os.path.join(ROOT, rel))).to_source()


def test_googlenet_has_one_class_per_block_structure():
    text = source_of("specs/googlenet.nn")
    assert re.findall(r"^class (\w+)", text, re.MULTILINE) == [
        "BasicConv", "ReduceConv", "PoolProj", "Inception", "GoogLeNet"]
    # the convolution's stride and padding differ between instances: parameters with the
    # block's defaults, given where an instance changes them
    assert "    def __init__(self, in_channels, out, kernel, stride=1, padding=0):\n" in text
    assert "        self.conv1 = BasicConv(3, 64, 7, stride=2, padding=3)\n" in text
    assert "        self.conv2 = BasicConv(64, 64, 1)\n" in text
    assert "    def __init__(self, in_channels, c1, c3r, c3, c5r, c5, pool_proj):\n" in text
    assert "        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)\n" in text
    assert "x = torch.cat([branch1, branch2, branch3, branch4], dim=1)  # [c1 + c3 + c5 + pool_proj, H, W]" in text
    assert len(text.splitlines()) < 200


def test_resnet_blocks_take_their_width_and_comment_shapes_in_symbols():
    text = source_of("specs/resnet50.nn")
    assert re.findall(r"^class (\w+)", text, re.MULTILINE)[0] == "Bottleneck"
    assert text.count("class Bottleneck") == 1  # one class, whether the shortcut projects or not
    assert '    """Block `Bottleneck(width, stride)` on [in_channels, H, W].\n' in text
    assert "    def __init__(self, in_channels, width, stride=1, project=False):\n" in text
    assert "        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)\n" in text
    assert "        x1 = self.conv1(x)  # [width, H, W]\n" in text
    # the sizes after the stride, which differs between instances, in the stride
    assert "        x1 = self.conv2(x1)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]\n" in text
    # one Stage for the four stages: its repeat count is an argument
    assert "    def __init__(self, in_channels, width, blocks, stride=1):\n" in text
    assert ("            Bottleneck(in_channels, width, stride=stride, project=True),  # "
            "[4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]\n"
            "            *[Bottleneck(4 * width, width) for _ in range(blocks - 1)],  # "
            "[4 * width, (H - 1) // stride + 1, (W - 1) // stride + 1]\n") in text
    assert "        self.layer1 = Stage(64, 64, 3)\n" in text
    assert "        self.layer3 = Stage(512, 256, 6, stride=2)\n" in text


def test_numbers_no_parameter_explains_keep_separate_classes():
    # n * n is no fixed multiple of n: Sq(3) cannot share Sq(2)'s class, the two Sq(2) share one
    spec = nnspec.load("block Sq(n) {\n  dense(n * n)\n}\n"
                       "network N {\n  input x: [4]\n  Sq(2) -> dense(4) -> Sq(3) -> dense(4) -> Sq(2)\n}\n")
    text = spec.to_source()
    assert re.findall(r"^class (\w+)", text, re.MULTILINE) == ["Sq", "Sq_2", "N"]
    assert '    """Block `Sq(n=2)`; instances: `0`, `4`."""\n\n    def __init__(self):\n' in text
    # Sq(3), used once, is a class of its own too
    assert '    """Block `Sq(n=3)`; instances: `2`."""\n\n    def __init__(self):\n' in text
    assert "            nn.Linear(4, 9),  # [9]\n" in text and "            Sq_2(),  # [9]\n" in text
    check_module(spec.checked_graph(), spec.build())


# -- random blocks used at random sizes ------------------------------------------------------
BLOCKS = """\
block CB(c, s = 1) {
  conv(c, 3, stride=s, padding=1, bias=false) -> batchnorm -> relu
}

block Res(w) {
  residual {
    conv(w, 3, padding=1) -> batchnorm
  } shortcut auto
  relu
}

block Mix(a, b) {
  concat {
    | left: conv(a, 1)
    | right: CB(b)
  }
}

block Head(n, k = 2) {
  dense(k * n) -> relu -> dropout(0.1) -> dense(n)
}
"""

SIZES = st.sampled_from([2, 3, 4, 6, 8])


@st.composite
def networks(draw) -> str:
    uses = []
    hw = draw(st.sampled_from([5, 8]))
    for _ in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["CB", "Res", "Mix"]))
        if kind == "CB":
            s = draw(st.sampled_from([1, 2])) if hw > 2 else 1
            uses.append(f"CB({draw(SIZES)}, s={s})")
            hw = (hw - 1) // s + 1
        elif kind == "Res":
            uses.append(f"Res({draw(SIZES)})")
        else:
            uses.append(f"Mix({draw(SIZES)}, {draw(SIZES)})")
    heads = [f"Head({draw(SIZES)}, k={draw(st.sampled_from([1, 2, 3]))})" for _ in range(draw(st.integers(1, 3)))]
    return (BLOCKS + "\nnetwork Random {\n  input x: [3, 8, 8]\n  " + "\n  ".join(uses)
            + "\n  globalavgpool\n  " + "\n  ".join(heads) + "\n}\n")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_shared_classes_build_every_layer_at_its_inferred_size(text):
    spec = nnspec.load(text)
    graph = spec.checked_graph()
    model = spec.build()
    check_module(graph, model)
    for n in graph.nodes:
        if n.params:
            module = model.get_submodule(n.name)
            assert sum(p.numel() for p in module.parameters()) == n.params, n.name
    source = spec.to_source()
    # every block class is written once, however many sizes it serves
    names = re.findall(r"^class (\w+)", source, re.MULTILINE)
    assert len(names) == len(set(names))
    namespace: dict = {}
    exec(compile(source, "<random>", "exec"), namespace)  # noqa: S102 (generated source under test)
    twin = namespace["Random"]()
    assert [(k, v.shape) for k, v in twin.state_dict().items()] == [
        (k, v.shape) for k, v in model.state_dict().items()]
    torch.testing.assert_close(sum(p.numel() for p in twin.parameters()), graph.total_params)


def test_a_parameter_named_like_a_python_keyword_gets_a_trailing_underscore():
    spec = nnspec.load("block B(lambda, n) {\n  dense(n) -> dropout(lambda)\n}\n"
                       "network N {\n  input x: [4]\n  B(0.1, 3) -> B(0.2, 5)\n}\n")
    text = spec.to_source()
    assert '    """Block `B(lambda, n)` on [in_features]; instances: `0`, `1`."""\n' in text
    assert "    def __init__(self, in_features, lambda_, n):\n" in text
    assert "            nn.Dropout(lambda_),  # [n]\n" in text
    model = spec.build()
    assert [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)] == [0.1, 0.2]


def test_sizes_of_forward_from_parameters_are_kept_on_the_instance():
    # `c` sizes a reshape in forward: the shared class keeps it as `self.c` (it once raised
    # NameError there, after `check` had said ok)
    spec = nnspec.load("block R(c, h) {\n  conv(c, 1) -> reshape([c, h, -1]) -> permute([0, 2, 1]) -> reshape([c, 8, 8])\n}\n"
                       "network N {\n  input x: [3, 8, 8]\n  R(4, 2) -> R(8, 2)\n}\n")
    text = spec.to_source()
    assert re.findall(r"^class (\w+)", text, re.MULTILINE) == ["R", "N"]
    assert ("    def __init__(self, in_channels, c):\n        super().__init__([\n"
            "            nn.Conv2d(in_channels, c, 1),\n        ])\n        self.c = c\n") in text
    assert "        x = x.reshape(x.shape[0], self.c, 2, 32)  # [c, 2, 32]\n" in text
    ys = check_module(spec.checked_graph(), spec.build())
    assert "        x = x.reshape(x.shape[0], self.c, 8, 8)  # [c, 8, 8]\n" in text
    assert ys[0].shape == (2, 8, 8, 8)


def test_a_class_of_one_structure_takes_the_block_parameters_its_sizes_are():
    # every instance is alike; 16 is `hidden` alone, 8 is both `dim` and the input's features,
    # so which one it is cannot be told: it stays a number
    spec = nnspec.load("block MLP(dim, hidden) {\n  dense(hidden) -> relu -> dense(dim)\n}\n"
                       "network N {\n  input x: [8]\n  MLP(8, 16) -> MLP(8, 16)\n}\n")
    text = spec.to_source()
    assert "    def __init__(self, hidden):\n" in text
    assert "            nn.Linear(8, hidden),  # [16]\n" in text and "            nn.Linear(hidden, 8),  # [8]\n" in text
    assert "            MLP(16),  # [8]\n" in text
    check_module(spec.checked_graph(), spec.build())
