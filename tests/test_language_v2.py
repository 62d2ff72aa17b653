"""Language v2 (docs/language.md): compile-time `if`, conditions, layer kinds and named values
as block arguments, blocks that read their input's sizes (`on [C, H, W]`) and a shortcut
written (and created) before its body. Each construct builds, runs with the inferred shapes in
the live module and in the generated source, and formats back to itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from compile_support import assert_source_and_module_agree

import nnspec
from nnspec.core.dims import Sym
from nnspec.frontend import ast
from nnspec.frontend.fmt import format_source
from nnspec.frontend.parser import parse

ROOT = Path(__file__).resolve().parent.parent

INVERTED = """
block Inverted(out, stride = 1, expand = 1) on [inp, H, W] {
  if stride == 1 and inp == out {
    residual { Body(out, stride, expand) }
  } else if expand == 1 {
    Body(out, stride, expand)
  } else {
    grow: conv(inp * expand, 1, bias=false) -> batchnorm -> relu6
    Body(out, stride, expand)
  }
}

block Body(out, stride, expand) on [c, H, W] {
  dw: conv(c, 3, stride=stride, padding=1, groups=c, bias=false) -> batchnorm -> relu6
  pw: conv(out, 1, bias=false) -> batchnorm
}

network Net {
  input x: [8, 16, 16]
  a: Inverted(8)
  b: Inverted(16, stride=2)
  c: Inverted(24, expand=4)
  globalavgpool -> dense(2)
}
"""


def load(text: str):
    spec = nnspec.load(text)
    errors = [d for d in spec.check() if d.severity == "error"]
    assert not errors, "\n".join(d.message for d in errors)
    return spec


def test_if_elaborates_only_the_branch_its_condition_picks():
    spec = load(INVERTED)
    keys = list(spec.build().state_dict())
    # a: stride 1 and 8 == 8: residual; b: expand 1 (no `grow`); c: 16 -> 24 with expand 4
    assert [k for k in keys if k.endswith("dw.weight") or k.endswith("grow.weight")] == [
        "a.0.dw.weight", "b.0.dw.weight", "c.grow.weight", "c.2.dw.weight"]
    graph = spec.checked_graph()
    assert [n.role for n in graph.nodes if n.op == "add"] == ["residual"]  # only `a` is residual
    # b: depthwise 8·9, bn 16, pointwise 8·16, bn 32; c: grow 16·64, bn 128, dw 64·9, bn 128, pw 64·24, bn 48
    b = sum(n.params for n in graph.nodes if n.name and n.name.startswith("b."))
    c = sum(n.params for n in graph.nodes if n.name and n.name.startswith("c."))
    assert (b, c) == (72 + 16 + 128 + 32, 1024 + 128 + 576 + 128 + 1536 + 48)
    assert_source_and_module_agree(spec)


def test_if_without_else_leaves_the_value_as_it_is_and_labels_keep_their_scope():
    spec = load("block B(n, norm = false) { dense(n)\n if norm { layernorm } }\n"
                "network N {\n  input x: [4]\n  B(3) -> B(3, norm=true)\n}\n")
    assert list(spec.build().state_dict()) == ["0.0.weight", "0.0.bias", "1.0.weight", "1.0.bias",
                                               "1.1.weight", "1.1.bias"]


@pytest.mark.parametrize("cond, taken", [
    ("a == 1 and not b", "relu"),  # not binds tighter than and
    ("a != 1 or b and a < 0", "tanh"),  # and binds tighter than or: false or (true and false)
    ("(a != 1 or b) and a >= 1", "tanh"),
    ("act == relu", "relu"),  # names compare as names
    ("act != gelu and 2 * a + 1 > 2", "relu"),
    ("b == true", "tanh"),
])
def test_conditions_compare_values_and_combine_with_and_or_not(cond, taken):
    spec = load(f"block B(a = 1, b = true, act = relu) {{ if {cond} {{ relu }} else {{ tanh }} }}\n"
                "network N {\n  input x: [4]\n  B(b=false) -> dense(2)\n}\n")
    assert spec.checked_graph().nodes[1].op == taken


def test_a_condition_may_give_a_true_or_false_argument():
    spec = load("block B(c, norm = true) { conv(c, 3, bias=not norm) }\n"
                "network N {\n  input x: [3, 8, 8]\n  B(8) -> B(4, norm=false) -> flatten\n}\n")
    convs = [m for m in spec.build().modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.bias is None for c in convs] == [True, False]


def test_a_layer_kind_or_a_block_is_an_argument():
    spec = load("""
block ConvBNAct(c, act = relu) {
  conv(c, 3, padding=1, bias=false) -> batchnorm -> act
}
block Leaky(c, act = leakyrelu) { conv(c, 1) -> act(0.2) }
block Stage(c, unit = ConvBNAct) { unit(c) -> unit(c) }
network N {
  input x: [3, 8, 8]
  ConvBNAct(16, act=hardswish) -> ConvBNAct(8) -> Leaky(4) -> Stage(4, unit=Leaky) -> Stage(4)
}
""")
    model = spec.build()
    acts = [type(m).__name__ for m in model.modules()
            if isinstance(m, (torch.nn.Hardswish, torch.nn.ReLU, torch.nn.LeakyReLU))]
    assert acts == ["Hardswish", "ReLU", "LeakyReLU", "LeakyReLU", "LeakyReLU", "ReLU", "ReLU"]
    assert {m.negative_slope for m in model.modules() if isinstance(m, torch.nn.LeakyReLU)} == {0.2}
    assert_source_and_module_agree(spec)


def test_a_block_reads_its_input_sizes_so_widths_need_not_be_passed():
    spec = load("""
block SE(r = 4) on [C, H, W] {
  mul {
    | identity
    | globalavgpool -> dense(C // r) -> relu -> dense(C) -> sigmoid -> reshape([C, 1, 1])
  }
}
block DenseLayer(growth) on [C, _, _] {
  concat { | identity | batchnorm -> relu -> conv(growth, 3, padding=1, bias=false) }
  expect [C + growth, 16, 16]
}
network N {
  input x: [16, 16, 16]
  SE -> DenseLayer(8) -> DenseLayer(8) -> SE(r=8)
  globalavgpool
}
""")
    graph = spec.checked_graph()
    assert graph.output_types()[0].shape == (32,)
    se = [n.params for n in graph.nodes if n.op == "dense"]
    assert se == [16 * 4 + 4, 4 * 16 + 16, 32 * 4 + 4, 4 * 32 + 32]
    convs = [m for m in spec.build().modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.in_channels for c in convs] == [16, 24]
    assert_source_and_module_agree(spec)


UNET = """
block Down(c) { maxpool(2) -> conv(c, 3, padding=same) -> relu }
block Up(c, skip) { upsample(2) -> concat(skip) -> conv(c, 3, padding=same) -> relu }
network UNet {
  input x: [1, 16, 16]
  let e1 = x -> conv(4, 3, padding=same) -> relu
  let e2 = e1 -> Down(8)
  e2 -> Down(16) -> Up(8, skip=e2) -> Up(4, e1) -> conv(2, 1)
}
"""


def test_a_named_value_is_a_block_argument():
    spec = load(UNET)
    graph = spec.checked_graph()
    concats = [n for n in graph.nodes if n.op == "concat"]
    assert [graph.nodes[n.inputs[1]].out.shape for n in concats] == [(8, 8, 8), (4, 16, 16)]
    assert [n.out.shape for n in concats] == [(24, 8, 8), (12, 16, 16)]
    assert graph.output_types()[0].shape == (2, 16, 16)
    assert_source_and_module_agree(spec)


def test_a_value_parameter_that_is_never_read_is_a_warning():
    spec = nnspec.load("block B(c, skip) { dense(c) }\n"
                       "network N {\n  input x: [4]\n  let a = x -> dense(4)\n  a -> B(2, skip=a)\n}\n")
    assert [(d.severity, d.message) for d in spec.check()] == [("warning", "`skip` is bound but never used")]


def test_a_shortcut_written_first_is_created_first():
    spec = load("""
block Y(w, stride = 1) {
  residual shortcut auto {
    a: conv(w, 3, stride=stride, padding=1, bias=false) -> batchnorm
  }
}
network N {
  input x: [4, 8, 8]
  Y(8, stride=2)
  residual shortcut { s: conv(8, 1) } { b: conv(8, 3, padding=1) }
  Y(8)
}
""")
    keys = [k for k in spec.build().state_dict() if k.endswith("weight")]
    assert keys == ["0.shortcut.0.weight", "0.shortcut.1.weight", "0.a.weight", "0.0.weight",
                    "s.weight", "b.weight", "1.a.weight", "1.0.weight"]
    assert_source_and_module_agree(spec)


def test_every_new_construct_formats_back_to_itself():
    text = """\
block B(a, b = not true or 1 < 2) on [C, _, W] {
  if a == 1 and (b or C != W) { relu } else if -a >= 2 { tanh } else { relu }
  if a { residual shortcut auto { conv(C, 3) } }
  if not a < 2 {
    conv(C, 1)  # kept
  } else {
    residual shortcut {
      conv(C, 1)
      relu
    } {
      act
    }
  }
}
"""
    assert format_source(text) == text
    messy = text.replace("} else if", "}   else  if").replace("not a < 2", "not ( a<2 )").replace(" on [", " on[")
    assert format_source(messy) == text
    d = parse(text)[0]
    assert ast.plain(d.on) == [("Ref", "C"), ("Ref", "_"), ("Ref", "W")]


def test_dense_acts_at_every_position_of_channels_a_permute_moved_last():
    # ConvNeXt's MLP: no reshape around the dense layers
    spec = load("network N {\n  input x: [8, 4, 6]\n  conv(8, 3, padding=1) -> permute([1, 2, 0]) -> layernorm"
                " -> dense(32) -> gelu -> dense(8) -> permute([2, 0, 1])\n  conv(4, 1) -> flatten -> dense(2)\n}\n")
    graph = spec.checked_graph()
    assert [n.out.shape for n in graph.nodes if n.op == "dense"] == [(4, 6, 32), (4, 6, 8), (2,)]
    assert [n.params for n in graph.nodes if n.op == "dense"] == [8 * 32 + 32, 32 * 8 + 8, 96 * 2 + 2]
    assert graph.nodes[4].macs == 4 * 6 * 8 * 32
    assert_source_and_module_agree(spec)
    # moved back (or never moved), the channels are first again: `dense` would mix positions
    errors = [d for d in nnspec.load("network N {\n  input x: [8, 4, 6]\n  permute([1, 2, 0]) -> permute([2, 0, 1])"
                                     " -> dense(4)\n}\n").check() if d.severity == "error"]
    assert [e.message for e in errors] == [
        "`dense` acts on the last dimension, but its input [8, 4, 6] looks like an image"]
    assert errors[0].hint.endswith("move them last first: `permute([1, 2, 0])`")


def test_the_unet_spec_joins_each_encoder_map_at_its_size_and_runs_at_any_size():
    spec = nnspec.load(ROOT / "specs" / "unet.nn")
    graph = spec.checked_graph(size=32, classes=3)
    concats = [n for n in graph.nodes if n.op == "concat"]
    assert [n.out.shape for n in concats] == [(1024, 4, 4), (512, 8, 8), (256, 16, 16), (128, 32, 32)]
    assert graph.output_types()[0].shape == (3, 32, 32)
    assert graph.total_params == 31_037_698 + 65  # the head's third class: 64 weights and a bias
    assert_source_and_module_agree(spec, size=32, classes=3)


def test_the_transformer_classifier_spec_masks_padding_and_runs():
    spec = nnspec.load(ROOT / "specs" / "transformer_classifier.nn")
    small = dict(vocab=50, length=12, dim=16, heads=4, layers=2, classes=3)
    assert_source_and_module_agree(spec, **small)
    model = spec.build(**small).eval()
    # padding at the end changes nothing: attention skips it and the mean counts real tokens
    tokens = torch.randint(1, 50, (2, 12))
    padded = tokens.clone()
    padded[:, 7:] = 0
    shorter = torch.cat([tokens[:, :7], torch.zeros(2, 5, dtype=torch.long)], 1)
    with torch.no_grad():
        torch.testing.assert_close(model(padded), model(shorter))
        assert not torch.allclose(model(padded), model(tokens))


SEQ2SEQ = """
network Seq2Seq(vocab = 50, dim = 8, hidden = 16) {
  input source: [S] int pad=0
  input target: [T] int pad=0
  let enc = source -> embedding(vocab, dim) -> gru(hidden, layers=2, output=state)
  target -> embedding(vocab, dim) -> gru(hidden, enc, layers=2) -> dense(vocab)
}

network States {
  input source: [S, 4]
  input target: [T, 4]
  let enc = source -> lstm(6, bidirectional=true, output=state)
  output o = target -> lstm(6, enc, bidirectional=true)
  output s = target -> lstm(6, enc, bidirectional=true, output=state)
}
"""


def test_a_recurrent_layer_starts_from_a_named_state_and_gives_its_final_state():
    spec = load(SEQ2SEQ)
    graph = spec.checked_graph("Seq2Seq")
    assert [n.out.shape for n in graph.nodes if n.op == "gru"] == [(2, 16), (Sym.symbol("T"), 16)]
    model = spec.build("Seq2Seq").eval()
    source = torch.tensor([[3, 4, 5, 0], [6, 7, 8, 9]])
    target = torch.tensor([[1, 2, 0], [3, 4, 5]])
    emb, gru, emb2, gru2, fc = (model.get_submodule(str(k)) for k in range(5))
    pack = torch.nn.utils.rnn.pack_padded_sequence
    with torch.no_grad():
        _, h = gru(pack(emb(source), torch.tensor([3, 4]), batch_first=True, enforce_sorted=False))
        out, _ = gru2(pack(emb2(target), torch.tensor([2, 3]), batch_first=True, enforce_sorted=False), h)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=3)
        torch.testing.assert_close(model(source, target), fc(out))
    assert_source_and_module_agree(spec, network="Seq2Seq")


def test_an_lstm_state_is_h_and_c_of_every_layer_and_direction():
    spec = load(SEQ2SEQ)
    model = spec.build("States").eval()
    source, target = torch.randn(2, 5, 4), torch.randn(2, 3, 4)
    first, second, third = (model.get_submodule(str(k)) for k in range(3))
    with torch.no_grad():
        _, (h, c) = first(source)
        out, _ = second(target, (h, c))
        _, (h2, c2) = third(target, (h, c))
        o, s = model(source, target)
    torch.testing.assert_close(o, out)
    assert s.shape == (2, 2, 2, 6)  # batch, h and c, layers·directions, hidden
    torch.testing.assert_close(s[:, 0], h2.transpose(0, 1))
    torch.testing.assert_close(s[:, 1], c2.transpose(0, 1))
    assert_source_and_module_agree(spec, network="States")


def test_an_initial_state_of_another_shape_is_an_error_naming_the_shape():
    errors = [d for d in nnspec.load(
        "network N {\n  input a: [S, 4]\n  input b: [T, 4]\n  let enc = a -> gru(8, output=state)\n"
        "  b -> lstm(8, enc)\n}\n").check() if d.severity == "error"]
    assert [(e.message, e.hint) for e in errors] == [(
        "the initial state of `lstm(8)` must be [2, 1, 8], got [1, 8]",
        "give the final state of a `lstm` of the same size: `lstm(..., output=state)`")]
