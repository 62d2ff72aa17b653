"""The generated module: its docstring, imports, the runtime helpers its classes call, and its
classes."""

from __future__ import annotations

import ast as pyast

from ...core.dims import SIZES_ARE_PARAMETERS
from ...core.ir import Graph
from .classes import Generator
from .emit import doc
from .naming import runtime, top_level_names
from .sizes import CHOSEN


def module_source(graph: Graph, origin: str) -> tuple[str, Generator]:
    """The generated module of a checked graph, and the generator that wrote its classes (it
    knows how each class renamed its modules)."""
    gen = Generator(graph)
    # a definition's sizes are symbols throughout (a size divided by a block's `stride`)
    token, sizes = CHOSEN.set({}), SIZES_ARE_PARAMETERS.set(True)
    try:
        network = gen.network()
    finally:
        CHOSEN.reset(token)
        SIZES_ARE_PARAMETERS.reset(sizes)
    texts, used = _called(gen.order, network)
    helpers, used = _helpers([*runtime(graph), CHECK_INPUT], used)
    code = "\n\n\n".join(helpers + texts)
    imports = ["import torch"] if "torch" in used else []
    imports.append("from torch import nn")
    if "F" in used:
        imports.append("import torch.nn.functional as F")
    ins = ", ".join(f"{n} {graph.nodes[i].out}" for n, i in zip(graph.input_names, graph.inputs))
    outs = ", ".join(str(graph.nodes[i].out) for _, i in graph.outputs)
    head = [f"{doc(graph.network)}, compiled by nnspec from {doc(origin)}.", "",
            f"Inputs: {doc(ins)}; outputs: {doc(outs)} (shapes without the batch dimension).",
            f"Parameters: {graph.total_params:,}. Generated code: edit the spec and compile it again."]
    return '"""' + "\n".join(head) + '\n"""\n\n' + "\n".join(imports) + "\n\n\n" + code + "\n", gen


#: the check of a network's input on entry: a batch of another size fails with a message that
#: names the input, the axis and both sizes, not deep inside with a raw shape error
CHECK_INPUT = '''\
def check_input(x: torch.Tensor, name: str, sizes: list[int]) -> None:
    """Raise a ValueError unless x is a batch of values of the given sizes (-1: any size)."""
    if x.dim() != len(sizes) + 1:
        raise ValueError("input {} needs {} dimensions (the batch first), got {}: {}".format(
            name, len(sizes) + 1, x.dim(), list(x.shape)))
    for axis, size in enumerate(sizes):
        if size >= 0 and x.shape[axis + 1] != size:
            raise ValueError("input {}: axis {} has size {}, expected {} (the input is {})".format(
                name, axis + 1, x.shape[axis + 1], size, list(x.shape)))
'''



def _pieces(helpers: list[str]) -> list[str]:
    """Each helper source cut into its top-level definitions (a layer kind's runtime holds
    several functions; a network calls some)."""
    out = []
    for text in helpers:
        tree = pyast.parse(text)
        lines = text.split("\n")
        for node in tree.body:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
            out.append("\n".join(lines[start:node.end_lineno]))
    return out


def _helpers(helpers: list[str], used: set) -> tuple[list[str], set]:
    """The runtime helpers that code reading the names ``used`` calls, and those the called ones
    call, each function alone; and the names all of it reads."""
    helpers = _pieces(helpers)
    keep: set[int] = set()
    changed = True
    while changed:
        changed = False
        for k, h in enumerate(helpers):
            if k not in keep and top_level_names(h) & used:
                keep.add(k)
                used = used | names_used(h)
                changed = True
    return [h for k, h in enumerate(helpers) if k in keep], used


def _called(classes: list, network: str) -> tuple[list[str], set]:
    """The texts of the block classes the network's class calls, and those they call, in order,
    then the network's (a class written for a try that failed is left out); and the names they
    read."""
    reads = [names_used(c.text) for c in classes]
    used = names_used(network)
    keep, todo = set(), [used]
    while todo:
        names = todo.pop()
        for k, c in enumerate(classes):
            if k not in keep and c.name in names:
                keep.add(k)
                todo.append(reads[k])
                used = used | reads[k]
    return [c.text for k, c in enumerate(classes) if k in keep] + [network], used


def names_used(src: str) -> set:
    """The names a piece of Python source reads or writes."""
    return {n.id for n in pyast.walk(pyast.parse(src)) if isinstance(n, pyast.Name)}
