"""The naming matrix: odd names in every position a spec names something. Whatever `check`
accepts builds, and its generated source imports and runs with the inferred shapes and
parameter count; whatever it refuses, `build` refuses with located errors `check` gave."""

from __future__ import annotations

import pytest
from compile_support import check_module

import nnspec

# One spec per position; `{n}` is the name tried there.
POSITIONS = {
    "network": "network {n} {{\n  input x: [4]\n  dense(2)\n}}\n",
    "network parameter": "network N({n} = 3) {{\n  input x: [4]\n  dense({n})\n}}\n",
    "block shared": "block {n}(k) {{ dense(k) -> relu }}\nnetwork N {{\n  input x: [4]\n  {n}(3) -> {n}(3)\n}}\n",
    "block by size": "block {n}(k) {{ dense(k) -> relu }}\nnetwork N {{\n  input x: [4]\n  {n}(3) -> {n}(5)\n}}\n",
    "block parameter": "block B({n}) {{ dense({n}) -> relu }}\nnetwork N {{\n  input x: [4]\n  B(2) -> B(3)\n}}\n",
    "input": "network N {{\n  input {n}: [4]\n  dense(2)\n}}\n",
    "first of two inputs": "network N {{\n  input {n}: [4]\n  input y: [4]\n  {n} -> add(y) -> dense(2)\n}}\n",
    "second of two inputs": "network N {{\n  input a: [4]\n  input {n}: [4]\n  a -> add({n}) -> dense(2)\n}}\n",
    "let": "network N {{\n  input x: [4]\n  let {n} = dense(4)\n  {n} -> relu -> add({n})\n}}\n",
    "let beside a numbered module": "network N {{\n  input x: [4]\n  let {n} = dense(4)\n  {n} -> a: dense(2)\n}}\n",
    "output": "network N {{\n  input x: [4]\n  output {n} = x -> dense(2)\n  output z = x -> dense(3)\n}}\n",
    "label": "network N {{\n  input x: [4]\n  {n}: dense(4) -> relu\n}}\n",
    "label in a shared block": "block B(k) {{ {n}: dense(k) -> relu }}\nnetwork N {{\n  input x: [4]\n  B(2) -> B(3)\n}}\n",
    "label of a block": "block B {{ dense(4) -> relu }}\nnetwork N {{\n  input x: [4]\n  {n}: B -> dense(2)\n}}\n",
    "label of a branch": "network N {{\n  input x: [4]\n  concat {{ | {n}: dense(2) | b: dense(3) }}\n  dense(2)\n}}\n",
    "symbol": "network N {{\n  input x: [{n}, 4]\n  dense(2)\n}}\n",
}

NAMES = [
    # Python's keywords and soft keywords
    "if", "class", "lambda", "None", "True", "match", "case", "type", "_",
    # Python's builtins, which generated code calls
    "getattr", "super", "len", "isinstance", "range", "print", "object",
    # names Python gives a meaning, and private ones
    "__class__", "__dict__", "__builtins__", "__init__", "__name__", "__x", "_x",
    # nn.Module's attributes
    "forward", "training", "cuda", "modules", "T_destination",
    # names the generated module binds itself
    "torch", "nn", "F", "self", "lengths", "x", "x1", "y", "N", "B", "Module",
    # names of the spec language: a layer kind, a keyword
    "dense", "relu", "input", "each",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_check_and_build_agree_on_every_name(position, name):
    text = POSITIONS[position].format(n=name)
    spec = nnspec.load(text)
    errors = [d for d in spec.check() if d.severity == "error"]
    if errors:
        assert all(d.span is not None for d in errors), errors
        with pytest.raises(nnspec.SpecError) as e:
            spec.build()
        # `build` stops at the first phase with errors; `check` reports every phase's
        assert e.value.diagnostics and {d.message for d in e.value.diagnostics} <= {d.message for d in errors}
        return
    graph = spec.checked_graph()
    source = spec.to_source()
    compile(source, "<generated>", "exec")
    check_module(graph, spec.build())


@pytest.mark.parametrize("text, message", [
    ("network __class__ {\n  input x: [4]\n  dense(2)\n}\n",
     "`__class__` starts with `__`, which Python reserves for names of its own"),
    ("block B(__class__) { dense(__class__) }\nnetwork N {\n  input x: [4]\n  B(2)\n}\n",
     "`__class__` starts with `__`, which Python reserves for names of its own"),
    ("network N {\n  input x: [4]\n  while: dense(2)\n}\n",
     "`while` is a Python keyword, so it cannot name a PyTorch module"),
    ("network N {\n  input x: [4]\n  forward: dense(2)\n}\n",
     "`forward` cannot name a module: PyTorch modules reserve that attribute"),
])
def test_names_python_cannot_take_are_refused_by_check(text, message):
    assert [d.message for d in nnspec.load(text).check() if d.severity == "error"] == [message]


def test_names_python_has_get_a_trailing_underscore():
    spec = nnspec.load("block super(k) { dense(k) }\nnetwork getattr {\n  input len: [4]\n  super(3) -> super(3)\n}\n")
    text = spec.to_source()
    assert "class super_(nn.Sequential):" in text and "class getattr_(nn.Module):" in text
    assert "        super().__init__(\n" in text
