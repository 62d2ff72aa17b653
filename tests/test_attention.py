"""Attention with projections of their own biases, a learned relative-position bias and an
added mask, over groups of sequences (windows), and Swin's shifted windows (``roll``,
``shiftmask``): each against PyTorch's own ``nn.MultiheadAttention`` given the same weights
(and the bias as its float ``attn_mask``), scripted and exported, and its mistakes refused
where they are written."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from compile_support import check_scripts_and_exports
from twins.gpt2 import GPT2
from twins.whisper_encoder import WhisperEncoder

import nnspec
from nnspec.backends.export import export_module
from nnspec.frontend.fmt import format_source
from nnspec.train.data import input_infos

ROOT = Path(__file__).resolve().parent.parent


def build(text: str, network: str | None = None):
    spec = nnspec.load(text)
    return spec.checked_graph(network), spec.build(network).eval()


def reference(module, dim: int, heads: int) -> torch.nn.MultiheadAttention:
    """PyTorch's attention holding our module's weights (a missing bias as zeros)."""
    mha = torch.nn.MultiheadAttention(dim, heads, batch_first=True).eval()
    if module.qkv is not None:
        weight, bias = module.qkv.weight, module.qkv.bias
    else:
        parts = (module.query, module.key, module.value)
        weight = torch.cat([p.weight for p in parts])
        bias = torch.cat([p.bias if p.bias is not None else torch.zeros(dim) for p in parts])
    with torch.no_grad():
        mha.in_proj_weight.copy_(weight)
        mha.in_proj_bias.copy_(bias if bias is not None else torch.zeros(3 * dim))
        mha.out_proj.weight.copy_(module.proj.weight)
        mha.out_proj.bias.copy_(module.proj.bias if module.proj.bias is not None else torch.zeros(dim))
    return mha


def test_a_key_without_bias_is_multihead_attention_with_a_zero_key_bias():
    graph, model = build("network W {\n  input x: [T, 8]\n  attn: attention(2, key_bias=false)\n}\n")
    assert graph.total_params == 4 * 8 * 8 + 3 * 8
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == [
        ("attn.query.weight", (8, 8)), ("attn.query.bias", (8,)), ("attn.key.weight", (8, 8)),
        ("attn.value.weight", (8, 8)), ("attn.value.bias", (8,)), ("attn.proj.weight", (8, 8)),
        ("attn.proj.bias", (8,))]
    x = torch.randn(3, 5, 8)
    with torch.no_grad():
        want = reference(model.attn, 8, 2)(x, x, x, need_weights=False)[0]
        torch.testing.assert_close(model(x), want)
    check_scripts_and_exports(graph, model)


def test_cross_attention_with_its_own_biases_attends_to_the_memory():
    graph, model = build("network C {\n  input q: [T, 8]\n  input kv: [S, 8]\n"
                               "  q -> attn: attention(4, kv, bias=false, out_bias=true, causal=true)\n}\n")
    assert graph.total_params == 4 * 8 * 8 + 8
    q, kv = torch.randn(2, 4, 8), torch.randn(2, 6, 8)
    causal = torch.ones(4, 6, dtype=torch.bool).triu(1)
    with torch.no_grad():
        want = reference(model.attn, 8, 4)(q, kv, kv, attn_mask=causal, need_weights=False)[0]
        torch.testing.assert_close(model(q, kv), want)


def test_the_relative_position_bias_reads_its_table_by_offset():
    graph, model = build("network R {\n  input x: [4, 8, 6]\n  permute([1, 2, 0])\n"
                               "  attn: attention(2, relative=[2, 3])\n}\n")
    attn = model.attn
    # positions of a 2×3 window row by row; offset (dy, dx) is row (dy + 1) · 5 + (dx + 2) of the table
    cells = [(y, x) for y in range(2) for x in range(3)]
    want = [(a[0] - b[0] + 1) * 5 + (a[1] - b[1] + 2) for a in cells for b in cells]
    assert attn.relative_position_index.tolist() == want
    assert tuple(attn.relative_position_bias_table.shape) == (3 * 5, 2)
    assert (graph.total_params, graph.total_buffers) == (4 * 4 * 4 + 4 * 4 + 15 * 2, 36)
    x = torch.randn(2, 4, 8, 6)
    table = attn.relative_position_bias_table
    bias = torch.stack([table[torch.tensor(want), h].view(6, 6) for h in range(2)])  # [heads, T, T]
    windows = x.permute(0, 2, 3, 1).reshape(16, 6, 4)  # each window a batch entry of PyTorch's
    with torch.no_grad():
        want_out = reference(attn, 4, 2)(windows, windows, windows, attn_mask=bias.repeat(16, 1, 1),
                                         need_weights=False)[0]
        torch.testing.assert_close(model(x), want_out.view(2, 8, 6, 4))
    check_scripts_and_exports(graph, model)


def test_a_mask_value_is_added_to_every_head_s_scores():
    _, model = build("network M {\n  input x: [5, 8]\n  input m: [5, 5]\n  x -> attn: attention(2, mask=m)\n}\n")
    x, m = torch.randn(2, 5, 8), torch.randn(2, 5, 5)
    m[:, :, 3] = float("-inf")  # nobody looks at position 3
    with torch.no_grad():
        got = model(x, m)
        want = reference(model.attn, 8, 2)(x, x, x, attn_mask=m.repeat_interleave(2, dim=0), need_weights=False)[0]
        torch.testing.assert_close(got, want)
        changed = x.clone()
        changed[:, 3] = torch.randn(2, 8)
        # only position 3's own output depends on position 3's query
        torch.testing.assert_close(model(changed, m)[:, [0, 1, 2, 4]], got[:, [0, 1, 2, 4]])


def test_the_shift_mask_keeps_each_window_within_its_regions():
    graph, model = build("network K {\n  input x: [6, 4, 2]\n  shiftmask(2, 1)\n}\n")
    assert str(graph.nodes[-1].out) == "[6, 4, 4]"
    assert graph.total_params == graph.total_buffers == 0
    mask = model(torch.randn(3, 6, 4, 2))
    assert mask.shape == (3, 6, 4, 4)

    def region(r, c):  # the rolled image's regions: the last window's rows and columns are cut by the shift
        band = lambda i, n: 0 if i < n - 2 else 1 if i < n - 1 else 2
        return band(r, 6) * 3 + band(c, 4)

    for w in range(6):
        cells = [(w // 2 * 2 + dy, w % 2 * 2 + dx) for dy in range(2) for dx in range(2)]
        want = [[0.0 if region(*a) == region(*b) else -100.0 for b in cells] for a in cells]
        assert mask[1, w].tolist() == want
    # the shift cuts the last column of windows (1, 3, 5) and the last row (4, 5)
    assert [bool(mask[:, w].ne(0).any()) for w in range(6)] == [False, True, False, True, True, True]


def test_roll_shifts_positions_cyclically():
    graph, model = build("network R {\n  input x: [T, 3, 4]\n  roll([-1, 2], [0, -1])\n}\n")
    x = torch.arange(2 * 5 * 3 * 4.0).view(2, 5, 3, 4)
    torch.testing.assert_close(model(x), torch.roll(x, (-1, 2), (1, 3)))
    check_scripts_and_exports(graph, model)


WINDOWED = """
network Shifted {
  input image: [4, 8, 8]
  let y = permute([1, 2, 0])
  let mask = y -> shiftmask(4, 2)
  y -> roll([-2, -2], [0, 1]) -> reshape([2, 4, 2, 4, 4]) -> permute([0, 2, 1, 3, 4]) -> reshape([4, 16, 4])
  attn: attention(2, relative=4, mask=mask, key_bias=false)
  reshape([2, 2, 4, 4, 4]) -> permute([0, 2, 1, 3, 4]) -> reshape([8, 8, 4]) -> roll([2, 2], [0, 1])
}
"""


@pytest.mark.parametrize("fmt", ["onnx", "exported"])
def test_shifted_window_attention_exports(fmt, tmp_path):
    graph, model = build(WINDOWED)
    path = str(tmp_path / f"shifted.{fmt}")
    done = export_module(model, input_infos(graph), fmt, path, 6)
    assert done.difference is not None and done.difference < 1e-5
    check_scripts_and_exports(graph, model, export=False)


@pytest.mark.parametrize("chain, message, at", [
    ("attention(2, mask=m)", "`mask=m` is added to the scores [5, 5] of each head, so it must be float values of that "
     "shape (leading sizes may be 1 or left out), got [5, 4]", "mask=m"),
    ("attention(2, mask=q)", "unknown value `q`", "q"),
    ("attention(2, mask=0.5)", "`mask=` takes a named value (a `let` name or an input)", "mask=0.5"),
    ("attention(2, relative=2)", "`relative=2` biases the 4 positions of a 2×2 window, so the sequence must have "
     "4 positions, got [5, 8]", "relative=2"),
    ("attention(2, relative=[2, 0])", "`relative` must be a window side (a positive integer) or [height, width], "
     "got [2, 0]", "relative=[2, 0]"),
    ("roll([1, 2], 0)", "`roll` needs one shift per dimension, got 2 shifts for 1 dimensions", "0"),
    ("roll(1, 2)", "`roll` along dimension 2, but [5, 8] has 2", "2"),
    ("shiftmask(2, 1)", "`shiftmask` cuts 5×8 positions into windows of 2×2, so 2 must divide both, got [5, 8]", "2"),
    ("shiftmask(2, 2)", "`shift` must be less than the window (2), got 2", "2)"),
])
def test_mistakes_are_refused_where_they_are_written(chain, message, at):
    text = f"network E {{\n  input x: [5, 8]\n  input m: [5, 4]\n  m -> identity\n  x -> {chain}\n}}\n"
    (d,) = [d for d in nnspec.load(text).check() if d.severity == "error"]
    assert d.message == message
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.col - 1:].startswith(at)


# -- a Whisper-style audio encoder -----------------------------------------------------------------
def test_whisper_encoder_equals_its_twin_at_any_length():
    spec = nnspec.load(ROOT / "specs" / "whisper_encoder.nn")
    assert spec.checked_graph().total_params == sum(p.numel() for p in WhisperEncoder().parameters()) == 7_632_384
    small = {"mels": 16, "dim": 64, "heads": 4, "layers": 2}
    graph = spec.checked_graph(**small)
    torch.manual_seed(0)
    model, twin = spec.build(**small).eval(), WhisperEncoder(**small).eval()
    assert str(nnspec.load_weights(model, twin.state_dict())) == "loaded 36 tensors by name"
    assert graph.total_buffers == sum(b.numel() for b in model.buffers()) == 32  # sinusoid's frequencies
    for frames in (9, 40):
        mel = torch.randn(2, 16, frames)
        with torch.no_grad():
            got, want = model(mel), twin(mel)
        assert got.shape == (2, (frames - 1) // 2 + 1, 64)
        torch.testing.assert_close(got, want, rtol=0, atol=1e-5)
    check_scripts_and_exports(graph, model)
    text = (ROOT / "specs" / "whisper_encoder.nn").read_text()
    assert format_source(text) == text


# -- a GPT-2-style language model -------------------------------------------------------------------
def test_gpt2_equals_its_twin_and_never_looks_ahead():
    spec = nnspec.load(ROOT / "specs" / "gpt2.nn")
    # GPT-2 small ties its output projection to the token embedding: 124,439,808 parameters
    assert spec.checked_graph().total_params - 50257 * 768 == 124_439_808
    small = {"vocab": 50, "context": 16, "dim": 32, "heads": 4, "layers": 2}
    graph = spec.checked_graph(**small)
    torch.manual_seed(0)
    model, twin = spec.build(**small).eval(), GPT2(**small).eval()
    assert graph.total_params == sum(p.numel() for p in twin.parameters())
    nnspec.load_weights(model, twin.state_dict())
    for length in (1, 7, 16):  # the position table is cut to the text's length
        tokens = torch.randint(0, 50, (2, length))
        with torch.no_grad():
            got = model(tokens)
            torch.testing.assert_close(got, twin(tokens), rtol=0, atol=1e-5)
        assert got.shape == (2, length, 50)
    changed = tokens.clone()
    changed[:, -1] = (tokens[:, -1] + 1) % 50
    with torch.no_grad():
        torch.testing.assert_close(model(changed)[:, :-1], got[:, :-1])
    check_scripts_and_exports(graph, model)
