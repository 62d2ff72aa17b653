"""A generated block class, constructed on its own with chosen arguments, against what the spec
says that block is at those arguments: the graph of a network that only calls the block.

The reference is the elaborated graph (each layer's module at its concrete sizes, the
parameter count, the output shape), and ``nnspec.build`` of that network, whose outputs the
class must give for the same weights.
"""

from __future__ import annotations

import ast as pyast
import linecache
import os
import sys

import torch
from compile_support import as_tuple, concrete, inputs, symbols

import nnspec
from nnspec.backends.codegen import module_paths
from nnspec.core.code import render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the label of the block in the network that calls it
LABEL = "b"


def namespace(source: str) -> dict:
    """The names a generated module defines."""
    out: dict = {}
    exec(compile(source, "<generated>", "exec"), out)  # noqa: S102 (generated source under test)
    return out


_CLASSES: dict[str, tuple[str, dict]] = {}


def generated(spec: str) -> tuple[str, dict]:
    """The generated module of a zoo spec (relative to the repository), its source and what
    it defines, executed once."""
    if spec not in _CLASSES:
        source = nnspec.load(os.path.join(ROOT, spec)).to_source()
        _CLASSES[spec] = source, namespace(source)
    return _CLASSES[spec]


def classes_of(spec: str) -> dict:
    return generated(spec)[1]


def class_text(source: str, name: str) -> str:
    """The text of one class of a generated module."""
    tree = pyast.parse(source)
    node = next(n for n in tree.body if isinstance(n, pyast.ClassDef) and n.name == name)
    return pyast.get_source_segment(source, node)


def caller(spec: str, block: str, shape: str, args: str, values: dict[str, str] | None = None,
           before: str = "") -> str:
    """A network whose input ``x`` has ``shape`` (``[3, 8, 8]``) and whose body is the block
    called with ``args``, after the items ``before`` (``embedding(9, 4) ->``); ``values`` are
    further inputs (name -> shape) the block reads."""
    values = values or {}
    decl = "\n".join(f"  input {n}: {s}" for n, s in values.items())
    return (f'import "{os.path.join(ROOT, spec)}"\n\nnetwork Caller {{\n  input x: {shape}\n{decl}\n'
            f"  x -> {before}{LABEL}: {block}({args})\n}}\n")


def constructed_class(source: str) -> str:
    """The name of the class the generated network constructs for the block."""
    for node in pyast.walk(pyast.parse(source)):
        if isinstance(node, pyast.Assign) and pyast.unparse(node.targets[0]) == f"self.{LABEL}":
            return pyast.unparse(node.value.func)
    raise AssertionError(f"the generated network constructs no self.{LABEL}")


def call_arguments(source: str, namespace: dict) -> tuple[list, dict]:
    """The arguments with which the generated network constructs the block, evaluated."""
    tree = pyast.parse(source)
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Assign) and pyast.unparse(node.targets[0]) == f"self.{LABEL}":
            call = node.value
            args = [eval(pyast.unparse(a), namespace) for a in call.args]
            kwargs = {k.arg: eval(pyast.unparse(k.value), namespace) for k in call.keywords}
            return args, kwargs
    raise AssertionError(f"the generated network constructs no self.{LABEL}")


def assert_block_agrees(spec: str, block: str, shape: str, args: str, construct=None,
                        values: dict[str, str] | None = None, env: dict[str, int] | None = None,
                        before: str = ""):
    """The class ``block`` generated for ``spec``, constructed by ``construct(cls)`` (default:
    with the arguments the generated caller passes), has the modules, state-dict keys and
    shapes, parameter count and eval outputs of the block called with ``args`` on an input of
    ``shape`` (after the items ``before``). Returns the constructed module."""
    text = caller(spec, block, shape, args, values, before)
    cspec = nnspec.load(text)
    graph = cspec.checked_graph("Caller")
    model = cspec.build("Caller")
    env = env or {s: 5 for s in symbols(graph)}
    # the built module's source (the builder keeps it for tracebacks) and what it defines
    built = sys.modules[type(model).__module__]
    source, here = "".join(linecache.getlines(built.__file__)), built.__dict__
    zoo, where = generated(spec)
    name = constructed_class(source)
    if name == block and class_text(source, block) == class_text(zoo, block):
        # written from its definition: the same class whichever call of the block compiled it
        cls = where[block]
    else:
        # a definition that needs numbers only a call has: the class of this call's arguments,
        # which says so, and takes none
        text = class_text(source, name)
        assert f'"""Block `{block}(' in text and "def __init__(self):" in text, text
        assert construct is None
        cls, where = here[name], here
    if construct is None:
        a, k = call_arguments(source, where)
        twin = cls(*a, **k)
    else:
        twin = construct(cls)

    # every module the graph has, of the kind and with the settings its layer makes at its sizes
    paths = module_paths(graph)
    prefix = LABEL + "."
    for n in graph.nodes:
        if n.layer is None or not n.name or not n.name.startswith(prefix):
            continue
        code = n.layer.module_code(graph.nodes[n.inputs[0]].out)
        if code is None:
            continue
        with torch.device("meta"):  # settings and shapes only: no weights to allocate
            want = eval(render(code), here)
        got = twin.get_submodule(paths[n.name][len(prefix):])
        assert repr(got) == repr(want), f"{n.name}: {got!r} != {want!r}"
    # the same state dict, keys in the same order, and the graph's parameter count
    state = {k[len(prefix):]: v for k, v in model.state_dict().items() if k.startswith(prefix)}
    mine = {k: tuple(v.shape) for k, v in twin.state_dict().items()}
    assert list(mine.items()) == [(k, tuple(v.shape)) for k, v in state.items()]
    inside = [n for n in graph.nodes if n.name and n.name.startswith(prefix)]
    assert sum(p.numel() for p in twin.parameters()) == sum(n.params for n in inside)
    assert sum(b.numel() for b in twin.buffers()) == sum(n.buffers for n in inside)
    # the same outputs for the same weights, on what the caller's block receives
    twin.load_state_dict(state)
    twin.eval()
    model.eval()
    seen = []
    hook = model.get_submodule(LABEL).register_forward_hook(lambda m, a, y: seen.append((a, y)))
    with torch.no_grad():
        ys = as_tuple(model(*inputs(graph, env, batch=2, seed=3)))
        hook.remove()
        # the caller's build has the graph's sizes and counts
        assert [tuple(y.shape) for y in ys] == [(2, *concrete(t.shape, env)) for t in graph.output_types()]
        assert sum(p.numel() for p in model.parameters()) == graph.total_params
        (xs, want), = seen
        for got, expected in zip(as_tuple(twin(*xs)), as_tuple(want), strict=True):
            torch.testing.assert_close(got, expected, rtol=0, atol=0)
    return twin
