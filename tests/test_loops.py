"""A `repeat` is a loop, as a person writes it (``nn.Sequential(*[Unit(8, 8) for _ in
range(depth)])``), in a block's class and in the network's, its count the spec's expression; a
size the loop changes is a variable the loop carries; the state-dict keys stay those of the
modules written out."""

from __future__ import annotations

import torch
from compile_support import check_scripts_and_exports

import nnspec

SPEC = """block Unit(width) {
  dense(width) -> relu
}
block Stack(width, depth) {
  layers: repeat depth { Unit(width) }
}
network Net(depth = 3) {
  input x: [8]
  stack: Stack(8, 4)
  pair: repeat 2 { Unit(8) }
  blocks: repeat depth { Unit(8) }
  head: dense(2)
}
"""

CLASSES = '''class Stack(nn.Module):
    """Block `Stack(width, depth)` on [in_features]."""

    def __init__(self, in_features, width, depth):
        super().__init__()
        layers = []
        features = in_features
        for _ in range(depth):
            layers.append(Unit(features, width))  # [width]
            features = width
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        x = self.layers(x)  # [width if depth > 0 else in_features]
        return x


class Net(nn.Module):
    """Network `Net(depth=3)`: x [8] -> [2] (shapes without the batch dimension)."""

    def __init__(self, depth=3):
        super().__init__()
        self.stack = Stack(8, 8, 4)
        self.pair = nn.Sequential(*[Unit(8, 8) for _ in range(2)])
        self.blocks = nn.Sequential(*[Unit(8, 8) for _ in range(depth)])
        self.head = nn.Linear(8, 2)
'''


def test_a_run_of_three_or_more_is_a_loop_whose_count_is_a_parameter():
    text = nnspec.load(SPEC).to_source()
    assert CLASSES in text


def test_the_loop_keeps_the_keys_runs_and_scripts():
    spec = nnspec.load(SPEC)
    model = spec.build().eval()
    keys = [*(f"stack.layers.{i}.0.{p}" for i in range(4) for p in ("weight", "bias")),
            *(f"pair.{i}.0.{p}" for i in range(2) for p in ("weight", "bias")),
            *(f"blocks.{i}.0.{p}" for i in range(3) for p in ("weight", "bias")), "head.weight", "head.bias"]
    assert list(model.state_dict()) == keys
    check_scripts_and_exports(spec.checked_graph(), model)
    # the count is the class's parameter: another depth builds as many blocks, in the same keys
    namespace: dict = {}
    exec(compile(spec.to_source(), "<generated>", "exec"), namespace)  # noqa: S102 (generated source under test)
    deeper = namespace["Net"](depth=5)
    assert len(deeper.blocks) == 5
    assert [k for k in deeper.state_dict() if k.startswith("blocks.4.")] == ["blocks.4.0.weight", "blocks.4.0.bias"]
    with torch.no_grad():
        assert deeper(torch.randn(2, 8)).shape == (2, 2)


def test_two_parameters_of_one_value_are_told_apart_by_what_the_spec_writes():
    # depth and heads are both 4: the loop's count is written `repeat depth`, the layer's
    # argument `Layer(heads)`, so each number takes the parameter the spec names there
    spec = nnspec.load("""block Layer(heads) {
  self_attention: attention(heads)
}
block Stack(depth, heads) {
  layers: repeat depth { Layer(heads) }
}
network Net {
  input x: [5, 8]
  stack: Stack(4, 4)
}
""")
    text = spec.to_source()
    assert ('''class Stack(nn.Module):
    """Block `Stack(depth, heads)` on [L, in_features]."""

    def __init__(self, in_features, depth, heads):
        super().__init__()
        self.layers = nn.Sequential(*[Layer(in_features, heads) for _ in range(depth)])
''') in text
    assert "        self.stack = Stack(8, 4, 4)\n" in text
    model = spec.build().eval()
    assert [k for k in model.state_dict()][:2] == ["stack.layers.0.self_attention.in_proj_weight",
                                                  "stack.layers.0.self_attention.in_proj_bias"]
    check_scripts_and_exports(spec.checked_graph(), model)
