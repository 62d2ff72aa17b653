"""Weight normalisation, ``weight_norm=true`` on ``conv`` and ``dense``: PyTorch's
``parametrizations.weight_norm``, its parameters named and ordered as PyTorch's; a temporal
convolutional network equals its hand-written twin, and builds, compiles, scripts, exports
and round-trips through ``fmt``."""

from __future__ import annotations

import pytest
import torch
from compile_support import assert_source_and_module_agree, check_scripts_and_exports
from twins.tcn import TCN as TCNTwin

import nnspec
from nnspec.frontend.fmt import format_source

TCN = """\
# A temporal convolutional network (Bai et al., 2018): residual blocks of two causal dilated
# convolutions under weight normalisation, the dilation doubling from block to block, and a
# dense head on the last step.
network TCN(classes = 10) {
  input x: [1, L]
  blocks: Blocks(16)
  select(-1, dim=-1) -> head: dense(classes, weight_norm=true)
}

block Blocks(c) {
  TemporalBlock(c, 1) -> TemporalBlock(c, 2) -> TemporalBlock(c, 4)
}

# Where the width changes, a 1×1 convolution brings the input to it.
block TemporalBlock(c, d, k = 3) on [inp, _] {
  if inp == c {
    residual { net: CausalConvs(c, d, k) }
  } else {
    residual { net: CausalConvs(c, d, k) } shortcut { downsample: conv(c, 1) }
  }
  relu
}

# Each convolution sees the past only: (k - 1)·d zeros before the sequence.
block CausalConvs(c, d, k) {
  zeropad((k - 1) * d) -> conv(c, k, dilation=d, weight_norm=true) -> relu -> dropout(0.2)
  zeropad((k - 1) * d) -> conv(c, k, dilation=d, weight_norm=true) -> relu -> dropout(0.2)
}
"""


def test_the_counts_and_names_are_pytorchs():
    graph = nnspec.load(TCN).checked_graph()
    # block 0: 16·1·3 + 16 + 16 (lengths), 16·16·3 + 16 + 16, the 1×1 shortcut 16 + 16;
    # blocks 1 and 2: 2 × (16·16·3 + 16 + 16) each; the head 16·10 + 10 + 10
    assert graph.total_params == 80 + 800 + 32 + 2 * 1600 + 180 == 4_292
    labels = [n.layer.describe() for n in graph.nodes if n.op in ("conv", "dense")]
    assert labels[:3] + labels[-1:] == ["conv 16 3 wn", "conv 16 3 wn", "conv 16 1", "dense 10 wn"]
    keys = list(nnspec.load(TCN).build().state_dict())
    assert keys[:3] == ["blocks.0.net.1.bias", "blocks.0.net.1.parametrizations.weight.original0",
                        "blocks.0.net.1.parametrizations.weight.original1"]
    assert keys[-3:] == ["head.bias", "head.parametrizations.weight.original0", "head.parametrizations.weight.original1"]


@pytest.mark.parametrize("length", [1, 9, 40])
def test_a_tcn_equals_its_twin_at_any_length(length):
    twin, model = TCNTwin(), nnspec.load(TCN).build()
    assert str(nnspec.load_weights(model, twin.state_dict())) == "loaded 23 tensors by order"
    model.eval(), twin.eval()
    x = torch.randn(3, 1, length)
    with torch.no_grad():
        assert torch.allclose(model(x), twin(x), atol=1e-6)


def test_the_tcn_compiles_scripts_exports_and_formats_back(tmp_path):
    from nnspec.backends.export import export_module
    from nnspec.train.data import input_infos

    spec = nnspec.load(TCN)
    assert format_source(TCN) == TCN
    assert_source_and_module_agree(spec)
    assert "self.head = WeightNormLinear(16, classes)" in spec.to_source()
    graph, model = spec.checked_graph(), spec.build()
    check_scripts_and_exports(graph, model, {"L": 12})
    for fmt in ("onnx", "exported"):
        done = export_module(model, input_infos(graph), fmt, str(tmp_path / f"tcn.{fmt}"), length=12)
        assert done.dynamic == ["batch", "L"] and done.difference is not None and done.difference < 1e-5


def test_training_moves_the_lengths_and_directions():
    """Both of weight normalisation's tensors are learned: one step changes each."""
    model = nnspec.load(TCN).build().train()
    before = {k: v.clone() for k, v in model.state_dict().items() if "parametrizations" in k}
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.nn.functional.cross_entropy(model(torch.randn(4, 1, 10)), torch.tensor([0, 1, 2, 3])).backward()
    optimiser.step()
    after = model.state_dict()
    assert len(before) == 14 and all(not torch.equal(v, after[k]) for k, v in before.items())


def test_weight_norm_is_an_argument_of_conv_and_dense_only():
    problems = [(d.message, d.span.line) for d in nnspec.load(
        "network N {\n  input x: [3, 8, 8]\n  deconv(4, 2, weight_norm=true)\n}\n").check()]
    assert problems == [("`deconv` has no argument `weight_norm`; its arguments are out, kernel, stride, padding, "
                         "output_padding, bias", 3)]


def test_a_checkpoint_of_pytorchs_weight_norm_loads_by_name():
    from torch.nn.utils.parametrizations import weight_norm

    reference = torch.nn.ModuleDict({"c": weight_norm(torch.nn.Conv1d(3, 4, 3)),
                                     "d": weight_norm(torch.nn.Linear(4, 2))})
    model = nnspec.load("network N {\n  input x: [3, 8]\n  c: conv(4, 3, weight_norm=true) -> mean(1)\n"
                        "  d: dense(2, weight_norm=true)\n}\n").build()
    assert str(nnspec.load_weights(model, reference.state_dict())) == "loaded 6 tensors by name"
    x = torch.randn(2, 3, 8)
    with torch.no_grad():
        assert torch.equal(model(x), reference["d"](reference["c"](x).mean(2)))
