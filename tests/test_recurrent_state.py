"""Recurrent layers that start from a named state or give their whole state (`output=state`):
they script with torch.jit.script to the eager outputs exactly, give what PyTorch's own module
gives with that initial state, and export where masking can stand in for packing."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import nnspec
from tests.compile_support import assert_source_and_module_agree, concrete

pytestmark = pytest.mark.usefixtures("one_thread")

# source lengths 3, 5, 1 and target lengths 2, 4, 3 when padded (0 is the padding)
SOURCE = torch.tensor([[3, 4, 5, 0, 0], [6, 7, 8, 9, 1], [2, 0, 0, 0, 0]])
TARGET = torch.tensor([[1, 2, 0, 0], [3, 4, 5, 6], [7, 8, 9, 0]])


def seq2seq(kind: str, padded: bool, options: str) -> str:
    """An encoder that gives its whole state and a decoder that starts from it, with each output
    form of the decoder."""
    if padded:
        inputs = "  input source: [S] int pad=0\n  input target: [T] int pad=0\n"
        embed = " -> embedding(10, 4)"
    else:
        inputs = "  input source: [S, 4]\n  input target: [T, 4]\n"
        embed = ""
    return (f"network Seq2Seq {{\n{inputs}"
            f"  let enc = source{embed} -> {kind}(5{options}, output=state)\n"
            f"  let t = target{embed}\n"
            f"  output o = t -> {kind}(5, enc{options})\n"
            f"  output f = t -> {kind}(5, enc{options}, output=final)\n"
            f"  output s = t -> {kind}(5, enc{options}, output=state)\n}}\n")


def example(padded: bool) -> tuple[torch.Tensor, torch.Tensor]:
    if padded:
        return SOURCE, TARGET
    gen = torch.Generator().manual_seed(0)
    return torch.randn(3, 5, 4, generator=gen), torch.randn(3, 4, 4, generator=gen)


def run(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor | None, hx=None):
    """PyTorch's module on its own, as its documentation shows: packed by the true lengths
    when there are any, and from the initial state hx in its own layout."""
    steps = x.shape[1]
    if lengths is not None:
        x = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h = rnn(x, hx)
    if lengths is not None:
        out = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=steps)[0]
    return out, h


def script(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script is deprecated, not gone
        return torch.jit.script(model)


FORMS = [("lstm", padded, options) for padded in (True, False)
         for options in ("", ", bidirectional=true", ", layers=2", ", layers=2, bidirectional=true")]
FORMS += [("gru", padded, options) for padded in (True, False) for options in ("", ", layers=2, bidirectional=true")]
FORMS += [("rnn", True, ", bidirectional=true")]


@pytest.mark.parametrize("kind,padded,options", FORMS)
def test_a_state_scripts_to_the_eager_outputs_and_is_the_modules_own(kind, padded, options):
    spec = nnspec.load(seq2seq(kind, padded, options))
    graph = spec.checked_graph()
    torch.manual_seed(0)
    model = spec.build().eval()
    source, target = example(padded)
    with torch.no_grad():
        eager = model(source, target)
        scripted = script(model)(source, target)
    assert len(scripted) == len(eager) == 3
    for got, want in zip(scripted, eager):
        assert torch.equal(got, want)
    # the shapes `check` inferred: o [T, 5·dirs], f [5·dirs], s [layers·dirs, 5] ([2, ...] for lstm)
    env = {"S": source.shape[1], "T": target.shape[1]}
    assert [tuple(y.shape) for y in eager] == [(3, *concrete(t.shape, env)) for t in graph.output_types()]
    dirs = 2 if "bidirectional" in options else 1
    layers = 2 if "layers=2" in options else 1
    state = (layers * dirs, 5) if kind != "lstm" else (2, layers * dirs, 5)
    assert graph.output_types()[2].shape == state

    # what PyTorch's modules give, each decoder started from the encoder's final state
    rnns = [m for m in model.modules() if isinstance(m, nn.RNNBase)]
    embeds = [m for m in model.modules() if isinstance(m, nn.Embedding)]
    assert len(rnns) == 4 and len(embeds) == (2 if padded else 0)
    lengths = ((source != 0).sum(1), (target != 0).sum(1)) if padded else (None, None)
    with torch.no_grad():
        xs, xt = (embeds[0](source), embeds[1](target)) if padded else (source, target)
        _, hx = run(rnns[0], xs, lengths[0])
        out, _ = run(rnns[1], xt, lengths[1], hx)
        _, h = run(rnns[2], xt, lengths[1], hx)
        _, whole = run(rnns[3], xt, lengths[1], hx)
    last = h[0] if kind == "lstm" else h
    assert torch.equal(eager[0], out)
    assert torch.equal(eager[1], torch.cat(list(last[-dirs:]), 1))  # the last layer's, forward then backward
    if kind == "lstm":  # batch first: h, then c
        assert torch.equal(eager[2][:, 0], whole[0].transpose(0, 1))
        assert torch.equal(eager[2][:, 1], whole[1].transpose(0, 1))
    else:
        assert torch.equal(eager[2], whole.transpose(0, 1))
    if padded:  # each sequence's own final state: what it gives alone, unpadded
        with torch.no_grad():
            alone = model(source[2:, :1], target[2:, :3])
        torch.testing.assert_close(alone[2], eager[2][2:])


def test_the_generated_source_of_a_state_scripts_as_the_live_module_does():
    for kind, padded, options in [("lstm", True, ", layers=2, bidirectional=true"), ("gru", False, "")]:
        spec = nnspec.load(seq2seq(kind, padded, options))
        source = spec.to_source()
        assert "def recurrent(" not in source
        assert "enc = whole_state" in source.replace("_pair", "")
        assert_source_and_module_agree(spec)


def export(model, xs):
    with warnings.catch_warnings():
        # nn.LSTM re-assigns its weight list while traced: torch's own module, not ours
        warnings.filterwarnings("ignore", "The tensor attributes .*_flat_weights", UserWarning)
        return torch.export.export(model, xs).module()


@pytest.mark.parametrize("kind,options", [("lstm", ""), ("lstm", ", bidirectional=true"), ("gru", ", layers=2")])
def test_a_padded_decoder_from_a_state_exports_by_masking(kind, options):
    """Masking stands in for packing with an initial state too: the state is the module's
    at the first step going forward, and at each sequence's last token going backward."""
    spec = nnspec.load(f"""network N {{
  input source: [S, 4]
  input target: [T] int pad=0
  let enc = source -> {kind}(5{options}, output=state)
  let t = target -> embedding(10, 4)
  output o = t -> {kind}(5, enc{options})
  output f = t -> {kind}(5, enc{options}, output=final)
}}""")
    torch.manual_seed(0)
    model = spec.build().eval()
    source = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        packed = model(source, TARGET)
        exported = export(model, (source, TARGET))(source, TARGET)
        scripted = script(model)(source, TARGET)
    for e, s, p in zip(exported, scripted, packed):
        assert e.shape == p.shape
        assert (e - p).abs().max() < 1e-6
        assert torch.equal(s, p)


def test_an_unpadded_state_exports_and_a_padded_one_says_why_it_cannot():
    model = nnspec.load(seq2seq("lstm", False, ", layers=2, bidirectional=true")).build().eval()
    source, target = example(False)
    with torch.no_grad():
        want = model(source, target)
        got = export(model, (source, target))(source, target)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)
    # masking gives the last layer's outputs: not an LSTM's c, nor a lower layer's state
    for kind, options in [("lstm", ""), ("gru", ", layers=2")]:
        padded = nnspec.load(seq2seq(kind, True, options)).build().eval()
        with pytest.raises(RuntimeError, match=r"^a padded `lstm`, or recurrent layer of several layers, "
                                               r"with `output=state` cannot be exported$"):
            export(padded, (SOURCE, TARGET))


@pytest.mark.parametrize("kind,options", [("gru", ""), ("gru", ", bidirectional=true"), ("rnn", ", bidirectional=true")])
def test_a_padded_one_layer_gru_or_rnn_state_exports_by_masking(kind, options):
    """A one-layer GRU's or RNN's whole state is h alone, its final state: masking gives it,
    each sequence's own (forward at its last token, backward at its first), so the padded
    sequence-to-sequence network of docs/language.md exports."""
    spec = nnspec.load(seq2seq(kind, True, options))
    graph = spec.checked_graph()
    torch.manual_seed(0)
    model = spec.build().eval()
    with torch.no_grad():
        packed = model(SOURCE, TARGET)
        exported = export(model, (SOURCE, TARGET))(SOURCE, TARGET)
        scripted = script(model)(SOURCE, TARGET)
    dirs = 2 if "bidirectional" in options else 1
    env = {"S": SOURCE.shape[1], "T": TARGET.shape[1]}
    assert [tuple(y.shape) for y in exported] == [(3, *concrete(t.shape, env)) for t in graph.output_types()]
    assert graph.output_types()[2].shape == (dirs, 5)
    for e, s, p in zip(exported, scripted, packed):
        assert (e - p).abs().max() < 1e-6
        assert torch.equal(s, p)
    # each sequence's own state: what the third pair gives alone, unpadded (lengths 1 and 3)
    with torch.no_grad():
        alone = export(model, (SOURCE[2:, :1], TARGET[2:, :3]))(SOURCE[2:, :1], TARGET[2:, :3])
    assert (alone[2] - exported[2][2:]).abs().max() < 1e-6
