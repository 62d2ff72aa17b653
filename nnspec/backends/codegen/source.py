"""The generated module of a checked graph, and the paths of its modules.

>>> from nnspec import load
>>> print(to_source(load("network N { input x: [4]\\n fc: dense(2) }").checked_graph()))  # doctest: +ELLIPSIS
\"\"\"N, compiled by nnspec from <string>.
...
class N(nn.Module):
...
        x = self.fc(x)  # [2]
...
"""

from __future__ import annotations

from ...core.ir import Graph
from .module import module_source
from .naming import class_name, fail
from .sizes import Unsupported

__all__ = ["class_name", "module_paths", "to_source"]

# Line breaks other than "\n" that Python or an editor knows.
_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def to_source(graph: Graph, origin: str = "<string>") -> str:
    """The standalone PyTorch source of a checked graph; ``origin`` names the spec file.

    Raises :class:`SpecError` when a spec name cannot be a PyTorch module name (``forward``),
    or where the network uses what the generator cannot write.
    """
    try:
        source, _ = module_source(graph, origin)
    except Unsupported as e:
        fail(f"nnspec cannot compile this network to PyTorch source: {e}", graph.root)
    # Defence in depth: spec text reaches the source only escaped (comments, docstrings) or as
    # `repr` literals, so no line break but "\n" can appear; one would let text escape a comment.
    if any(ch in source for ch in _LINE_BREAKS):
        raise AssertionError("nnspec generated source with a line break other than \\n")
    return source


def module_paths(graph: Graph) -> dict[str, str]:
    """The path in the generated module of each spec module name that a module runs
    (``5`` -> ``relu_2``): an unlabelled module without weights is named after its kind."""
    try:
        _, gen = module_source(graph, "<string>")
    except Unsupported:
        return {}
    # where the spec calls each layer -> the names its modules have, by the block the class
    # is of (its definition's class first, then any instance's)
    renames: dict = {"": gen.network_renamed}
    for name, info in [*gen.infos.items(), *((key[0], info) for key, info in gen.instance_infos.items())]:
        for span, names in info.renamed.items():
            renames.setdefault(name, {}).setdefault(span, names)
    blocks = {}
    stack = [graph.root]
    while stack:
        s = stack.pop()
        if s.kind == "block":
            blocks[s.path] = s.name
        stack.extend(s.children)
    out: dict[str, str] = {}
    seen: dict = {}  # (the owner instance, a span) -> the modules named so far
    for n in graph.nodes:
        if not n.name:
            continue
        parts = n.name.split(".")
        owner, owner_path, new = "", "", []
        for k, part in enumerate(parts):
            names = renames.get(owner, {}).get(n.span)
            if ".".join(parts[:k]) == owner_path and k == len(parts) - 1 and names:
                # a layer is renamed where the spec calls it (a repeat written out calls it again)
                count = seen[owner_path, n.span] = seen.get((owner_path, n.span), -1) + 1
                new.append(names[min(count, len(names) - 1)])
            else:
                new.append(part)
            here = ".".join(parts[: k + 1])
            if here in blocks:
                owner, owner_path = blocks[here], here
        out[n.name] = ".".join(new)
    return out
