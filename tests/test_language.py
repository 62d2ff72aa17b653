"""The meaning of the language (LANGUAGE.md §3–§8): names, binding, repeats, residuals,
named values, several inputs and outputs, imports, overrides and symbolic shapes."""

from __future__ import annotations

import pytest

import nnspec
from nnspec.core.dims import Sym, evaluate

RESNET_LIKE = """
block Bottleneck(w, stride = 1) {
  residual {
    conv1: conv(w, 3, stride=stride, padding=1, bias=false) -> bn1: batchnorm -> relu
  } shortcut auto
}

block Stage(w, n, stride = 1) {
  Bottleneck(w, stride)
  repeat n - 1 { Bottleneck(w) }
}

network Net(classes = 10) {
  input image: [8, 16, 16]
  stem: conv(8, 1)
  layer1: Stage(64, 3)
  layer2: Stage(32, 2, stride=2)
  relu
  pool: globalavgpool
  fc: dense(classes)
}
"""


def graph(text: str, network: str | None = None, **params):
    spec = nnspec.load(text)
    errors = [d for d in spec.check() if d.severity == "error"]
    assert not errors, "\n".join(d.message for d in errors)
    return spec.graph(network, **params)


def named(g) -> dict:
    """Module name -> (kind, output shape, parameter count) for nodes that carry a name."""
    return {n.name: (n.op, n.out.shape, n.params) for n in g.nodes if n.name is not None}


def test_stage_example_of_section_8_names_layer1_0_1_2():
    g = graph(RESNET_LIKE)
    names = named(g)
    assert [k for k in names if k.startswith("layer1.") and k.count(".") == 1] == []
    blocks = sorted({k.split(".")[1] for k in names if k.startswith("layer1.")})
    assert blocks == ["0", "1", "2"]
    assert names["layer1.0.conv1"] == ("conv", (64, 16, 16), 8 * 64 * 9)
    assert names["layer1.0.bn1"] == ("batchnorm", (64, 16, 16), 128)
    # the first bottleneck changes the width: its shortcut projects, after the body
    assert names["layer1.0.shortcut.0"] == ("conv", (64, 16, 16), 8 * 64)
    assert names["layer1.0.shortcut.1"] == ("batchnorm", (64, 16, 16), 128)
    assert "layer1.1.shortcut.0" not in names  # same shape: identity
    assert names["layer2.0.shortcut.0"] == ("conv", (32, 8, 8), 64 * 32)
    # an unlabelled item after labelled ones is numbered from 0 in its scope
    assert names["0"][0] == "relu"
    assert names["fc"] == ("dense", (10,), 32 * 10 + 10)


def test_parameters_are_created_in_source_order_and_names_are_deterministic():
    first = [n.name for n in graph(RESNET_LIKE).nodes if n.params]
    again = [n.name for n in graph(RESNET_LIKE).nodes if n.params]
    assert first == again
    assert first[:5] == ["stem", "layer1.0.conv1", "layer1.0.bn1", "layer1.0.shortcut.0", "layer1.0.shortcut.1"]


def test_total_parameter_count_is_exact():
    g = graph(RESNET_LIKE)
    stem = 8 * 8 + 8
    bott = lambda cin, w, proj: cin * w * 9 + 2 * w + ((cin * w + 2 * w) if proj else 0)
    layer1 = bott(8, 64, True) + 2 * bott(64, 64, False)
    layer2 = bott(64, 32, True) + bott(32, 32, False)
    assert g.total_params == stem + layer1 + layer2 + 32 * 10 + 10


def test_set_overrides_a_network_parameter():
    assert graph(RESNET_LIKE, classes=5).output_types()[0].shape == (5,)
    assert nnspec.load(RESNET_LIKE).graph().output_types()[0].shape == (10,)


def test_set_with_the_wrong_kind_of_value_is_an_error_at_the_parameter():
    spec = nnspec.load(RESNET_LIKE)
    diags = spec.graph(classes="five").diagnostics
    assert [(d.message, d.span.line) for d in diags if d.severity == "error"] == [
        ("`--set classes=five`: `classes` of `Net` is an integer (its default is 10), got a name or text", 13)]


def test_block_arguments_bind_by_position_then_keyword_with_defaults_from_earlier_ones():
    g = graph("""
block B(w, mid = w // 2, k = 3) {
  a: conv(mid, k, padding=k // 2) -> b: conv(w, 1)
}
network N {
  input x: [4, 8, 8]
  one: B(16)
  two: B(8, k=1)
  three: B(8, 6, 5)
}""")
    names = named(g)
    assert names["one.a"] == ("conv", (8, 8, 8), 4 * 8 * 9 + 8)
    assert names["two.a"] == ("conv", (4, 8, 8), 16 * 4 + 4)
    assert names["three.a"] == ("conv", (6, 8, 8), 8 * 6 * 25 + 6)
    assert g.root.children[0].args == {"w": 16, "mid": 8, "k": 3}


def test_repeat_unrolls_with_own_weights_and_zero_copies_is_allowed():
    g = graph("network N {\n input x: [4]\n repeat 3 { dense(4) }\n repeat 0 { dense(99) }\n dense(2)\n}")
    assert [(n.name, n.params) for n in g.nodes if n.op == "dense"] == [("0", 20), ("1", 20), ("2", 20), ("3", 10)]


def test_labelled_repeat_opens_a_naming_level():
    g = graph("network N {\n input x: [4]\n blocks: repeat 2 { dense(4) -> relu }\n dense(2)\n}")
    assert [n.name for n in g.nodes if n.name] == ["blocks.0", "blocks.1", "blocks.2", "blocks.3", "0"]


def test_residual_identity_and_explicit_shortcut():
    g = graph("""
network N {
  input x: [8, 4, 4]
  residual { conv(8, 3, padding=1) }
  residual { conv(16, 1) } shortcut { conv(16, 1) -> relu }
}""")
    adds = [n for n in g.nodes if n.op == "add"]
    assert len(adds) == 2
    assert g.nodes[adds[0].inputs[1]].op == "input"  # identity: x itself
    assert [g.nodes[i].op for i in adds[1].inputs] == ["conv", "relu"]
    assert g.output_types()[0].shape == (16, 4, 4)


def test_each_applies_the_body_at_every_time_step():
    g = graph("network N {\n input v: [T, 3, 8, 8]\n each { conv(4, 3) -> flatten -> dense(5) } -> lstm(6, output=final)\n}")
    assert str(g.nodes[-2].out) == "[T, 5]"
    assert g.output_types()[0].shape == (6,)
    assert named(g)["2"] == ("dense", (5,), 4 * 36 * 5 + 5)


def test_several_inputs_lets_and_outputs():
    g = graph("""
network N {
  input a: [4]
  input b: [6]
  let ha = a -> dense(8)
  let hb = b -> dense(8)
  output total = ha -> add(hb)
  output joined = hb -> concat(ha) -> relu
}""")
    assert [g.nodes[i].layer.args.name for i in g.inputs] == ["a", "b"]
    assert [name for name, _ in g.outputs] == ["total", "joined"]
    assert [t.shape for t in g.output_types()] == [(8,), (16,)]
    concat = next(n for n in g.nodes if n.op == "concat")
    assert [g.nodes[i].name for i in concat.inputs] == ["1", "0"]  # the current value comes first
    assert not g.diagnostics


def test_a_chain_continues_from_the_previous_statement_including_a_let():
    g = graph("network N {\n input x: [4]\n let h = dense(8)\n relu -> add(h)\n}")
    relu = next(n for n in g.nodes if n.op == "relu")
    assert g.nodes[relu.inputs[0]].op == "dense"
    assert not [d for d in g.diagnostics if d.severity == "warning"]


def test_unused_let_is_a_warning_only():
    spec = nnspec.load("network N {\n input x: [4]\n let h = x -> dense(8)\n x -> dense(2)\n}")
    diags = spec.check()
    assert [(d.severity, d.message) for d in diags] == [("warning", "`h` is bound but never used")]
    assert spec.checked_graph().output_types()[0].shape == (2,)


def test_symbolic_dimensions_carry_expressions():
    g = graph("network N {\n input x: [4, L]\n conv(8, 3) -> maxpool(2)\n expect [8, (L - 2) // 2]\n}")
    (c, length) = g.output_types()[0].shape
    assert c == 8 and isinstance(length, Sym)
    assert [evaluate(length, {"L": n}) for n in (3, 4, 10, 11)] == [(n - 2) // 2 for n in (3, 4, 10, 11)]


def test_conv1d_length_rule_over_a_symbol():
    g = graph("network N {\n input x: [4, L]\n conv(8, 3, stride=2)\n expect [8, (L - 3) // 2 + 1]\n}")
    assert str(g.output_types()[0].shape[1]) == "(L - 3) // 2 + 1"


def test_expect_that_differs_for_some_size_is_an_error():
    spec = nnspec.load("network N {\n input x: [4, L]\n conv(8, 3) -> maxpool(2)\n expect [8, (L - 3) // 2]\n}")
    assert [d.message for d in spec.check()] == ["expected shape [8, (L - 3) // 2], got [8, (L - 4) // 2 + 1]"]


MERGE_OF_EQUAL_SIZES = """network N {
  input x: [4, L]
  add {
    | conv(4, 3, stride=2, padding=1)
    | avgpool(2, ceil=true)
  }
  concat {
    | conv(4, 1)
    | maxpool(3, stride=1, padding=1)
  }
  residual {
    conv(8, 1)
  } shortcut {
    conv(8, 3, padding=1)
  }
}
"""


def test_merges_accept_sizes_that_are_equal_for_every_length():
    """A stride-2 conv gives ``(L - 1) // 2 + 1`` and a ceil-mode pool ``ceil((L - 2) / 2) + 1``:
    different forms, the same size for every L; PyTorch adds them for every length."""
    import torch  # here: the rest of the module runs without it
    spec = nnspec.load(MERGE_OF_EQUAL_SIZES)
    assert spec.check() == []
    (c, length) = spec.graph().output_types()[0].shape
    assert c == 8 and str(length) == "(L - 1) // 2 + 1"
    model = spec.build()
    for n in (1, 2, 7, 32, 33):
        assert tuple(model(torch.zeros(2, 4, n)).shape) == (2, 8, evaluate(length, {"L": n}))


def test_merges_reject_sizes_that_differ_for_some_length():
    spec = nnspec.load("network N {\n input x: [4, L]\n add {\n | conv(4, 3, stride=2, padding=1)\n | maxpool(2)\n }\n}")
    assert [(d.message, d.hint) for d in spec.check()] == [(
        "shapes [4, (L - 1) // 2 + 1] and [4, (L - 2) // 2 + 1] do not broadcast",
        "`(L - 1) // 2 + 1` and `(L - 2) // 2 + 1` differ when L = 3 (2 and 1)")]


def test_imports_are_relative_to_the_importing_file(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "blocks.nn").write_text('import "more.nn"\nblock Twice(w) {\n  Once(w) -> Once(w)\n}\n')
    (tmp_path / "lib" / "more.nn").write_text("block Once(w) {\n  dense(w) -> relu\n}\n")
    main = tmp_path / "net.nn"
    main.write_text('import "lib/blocks.nn"\nnetwork N {\n  input x: [3]\n  t: Twice(5)\n}\n')
    spec = nnspec.load(str(main))
    assert spec.check() == []
    assert spec.networks == ["N"]
    assert [n.name for n in spec.graph().nodes if n.params] == ["t.0.0", "t.1.0"]


def test_integer_input_with_padding_and_embedding():
    g = graph("network N {\n input tokens: [T] int pad=0\n embedding(100, 8) -> lstm(16, output=final) -> dense(2)\n}")
    assert g.output_types()[0].shape == (2,)
    assert named(g)["0"] == ("embedding", (Sym.symbol("T"), 8), 800)


@pytest.mark.parametrize("text, message", [
    ("network N {\n input x: [4]\n let h = dense(8)\n let h = relu\n h\n}", "`h` is already bound"),
    ("network N {\n input x: [4]\n let x = dense(8)\n}", "`x` is an input; a value cannot take its name"),
    ("network N {\n input x: [4]\n let conv = dense(8)\n conv\n}", "`conv` is a layer kind; a value cannot take its name"),
    ("block B { relu }\nnetwork N {\n input x: [4]\n let B = dense(8)\n B\n}", "`B` is a block; a value cannot take its name"),
    ("network N(k = 2) {\n input x: [4]\n let k = dense(8)\n k\n}", "`k` is a parameter; a value cannot take its name"),
    ("network N {\n input x: [4]\n h -> relu\n let h = dense(8)\n}", "`h` is used before it is bound"),
    ("network N(a = 1, a = 2) {\n input x: [4]\n}", "parameter `a` is declared twice"),
])
def test_binding_rules(text, message):
    errors = [d.message for d in nnspec.load(text).check() if d.severity == "error"]
    assert errors == [message]


def test_a_warning_inside_a_repeated_block_does_not_stop_the_repeat():
    spec = nnspec.load("block B {\n  let h = dense(8)\n  dense(4)\n}\nnetwork N {\n  input x: [4]\n  repeat 3 { B }\n}\n")
    assert [(d.severity, d.message) for d in spec.check()] == [("warning", "`h` is bound but never used")]
    assert [n.name for n in spec.graph().nodes if n.op == "dense"] == ["0.0", "0.1", "1.0", "1.1", "2.0", "2.1"]


def test_each_counts_its_body_once_per_step():
    g = graph("""
network Clips {
  input video: [T, 3, 8, 8]
  each { conv(4, 3, padding=1) -> globalavgpool }
  dense(2)
}
""")
    conv_macs = 4 * 3 * 9 * 8 * 8  # per frame
    T = Sym.symbol("T")
    by_op = {n.op: n.macs for n in g.nodes}
    assert by_op["conv"] == conv_macs * T
    assert g.total_macs == (conv_macs + 4 * 8 * 8) * T + 4 * 2 * T
