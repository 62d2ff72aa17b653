"""The network class takes the network's int parameters as its constructor's
(``ResNet18(classes=1000)``), and they mean the spec's parameters for any value: the generated
class constructed with other values is the module ``build`` makes with them (same modules,
state-dict keys and shapes, and outputs for the same weights)."""

from __future__ import annotations

import os

import pytest
import torch
from compile_support import inputs, symbols

import nnspec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

STAGES = ("block Stage(n) { dense(n) -> relu }\n"
          "network N(width = 4, classes = 2) {\n  input x: [3]\n  Stage(width) -> Stage(width)\n"
          "  head: dense(classes)\n}\n")


def generated_class(spec, name: str):
    namespace: dict = {}
    exec(compile(spec.to_source(), "<generated>", "exec"), namespace)  # noqa: S102 (generated source under test)
    return namespace[name]


def assert_same_module(twin, spec, **params) -> None:
    model = spec.build(**params).eval()
    twin.eval()
    assert [(k, v.shape) for k, v in twin.state_dict().items()] == [(k, v.shape) for k, v in model.state_dict().items()]
    assert [type(m).__name__ for m in twin.modules()][1:] == [type(m).__name__ for m in model.modules()][1:]
    twin.load_state_dict(model.state_dict())
    graph = spec.checked_graph(**params)
    xs = inputs(graph, {s: 5 for s in symbols(graph)}, batch=2, seed=3)
    with torch.no_grad():
        torch.testing.assert_close(twin(*xs), model(*xs))


def test_a_parameter_that_reaches_blocks_is_a_parameter_of_the_network_class():
    spec = nnspec.load(STAGES)
    text = spec.to_source()
    assert "    def __init__(self, width=4, classes=2):\n" in text
    assert "        self.head = nn.Linear(width, classes)\n" in text
    cls = generated_class(spec, "N")
    for width, classes in [(4, 2), (5, 3), (1, 7)]:
        assert_same_module(cls(width=width, classes=classes), spec, width=width, classes=classes)


@pytest.mark.parametrize("name, params", [
    ("resnet18", {"classes": 10}),
    ("sentiment_lstm", {"vocab": 50, "classes": 3, "dim": 8, "hidden": 6}),
    ("transformer_classifier", {"vocab": 30, "length": 12, "dim": 16, "heads": 4, "layers": 1, "classes": 3}),
    ("video_lstm", {"classes": 4, "hidden": 8}),
])
def test_zoo_network_classes_at_other_arguments_build_what_build_builds(name, params):
    spec = nnspec.load(os.path.join(ROOT, "specs", f"{name}.nn"))
    graph = spec.checked_graph()
    cls = generated_class(spec, graph.network)
    assert_same_module(cls(**params), spec, **params)
