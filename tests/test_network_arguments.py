"""The network class's parameters (``ResNet50(classes=1000)``) are found by building the
network with each parameter changed; a build whose block instances are the same node for node
plans only the network's own code again. That shortcut gives what planning anew gives."""

from __future__ import annotations

import glob
import os

import pytest

import nnspec
from nnspec.backends.codegen import source

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "specs", "*.nn")))


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("spec", ZOO, ids=lambda p: os.path.basename(p)[:-3])
def test_the_shortcut_gives_the_source_planning_anew_gives(spec, monkeypatch):
    graph = nnspec.load(spec).checked_graph()
    fast = source.to_source(graph, spec)
    monkeypatch.setattr(source, "_same_blocks", lambda plan, other: False)
    assert source.to_source(nnspec.load(spec).checked_graph(), spec) == fast


def test_a_parameter_of_the_head_only_takes_the_shortcut():
    spec = nnspec.load(os.path.join("specs", "resnet50.nn"))
    graph = spec.checked_graph()
    m = source._Module(graph, "<string>")
    m.classes()
    assert source._same_blocks(m.plan, graph.variant(classes=1001))
    assert source._same_blocks(m.plan, graph)


def test_a_parameter_that_reaches_a_block_plans_anew():
    # `width` is an argument of every Stage: their classes must be compared anew
    spec = nnspec.load("block Stage(n) { dense(n) -> relu }\n"
                       "network N(width = 4, classes = 2) {\n  input x: [3]\n  Stage(width) -> Stage(width)\n"
                       "  head: dense(classes)\n}\n")
    graph = spec.checked_graph()
    m = source._Module(graph, "<string>")
    m.classes()
    assert not source._same_blocks(m.plan, graph.variant(width=5))
    assert source._same_blocks(m.plan, graph.variant(classes=3))
    # planned anew, `width` changes the blocks' code: fixed; `classes` is an argument
    text = spec.to_source()
    assert "    def __init__(self, classes=2):\n" in text and "        self.head = nn.Linear(4, classes)\n" in text
