"""Frozen parameters: the module-path globs of ``nnspec train --freeze`` and ``train { freeze = [...] }``.

A pattern is a shell-style glob (``*``, ``?``, ``[...]``, as :mod:`fnmatch`) matched against
module paths as the spec names them (``conv1``, ``layer1.0.conv2``, ``features.*``). A module
is frozen when its path, or the path of a module it is nested in, matches: ``layer*`` freezes
all of ``layer1`` ... ``layer4``. Pure Python: ``nnspec summary`` counts frozen parameters
without torch, and training freezes the very same ones.

>>> is_frozen("layer2.0.conv1", ["layer*"]), is_frozen("fc", ["layer*", "conv1"])
(True, False)
"""

from __future__ import annotations

from fnmatch import fnmatchcase


def prefixes(path: str) -> list[str]:
    """``"a.b.c"`` -> ``["a", "a.b", "a.b.c"]``: the module and those it is nested in."""
    parts = path.split(".") if path else []
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def is_frozen(path: str, patterns) -> bool:
    """Whether the module at ``path`` is covered by one of ``patterns``."""
    return any(fnmatchcase(prefix, p) for prefix in prefixes(path) for p in patterns)


def unmatched(patterns, paths) -> list[str]:
    """The patterns that match none of the module ``paths`` (nor a module they are nested in)."""
    covered = {prefix for path in paths for prefix in prefixes(path)}
    return [p for p in patterns if not any(fnmatchcase(c, p) for c in covered)]


def frozen_params(graph, patterns) -> int:
    """How many of a typed graph's parameters ``patterns`` freeze."""
    return sum(n.params for n in graph.nodes if n.params and is_frozen(n.name or "", patterns))


def first_unmatched(patterns, paths: list[str]) -> tuple[str, str] | None:
    """The first pattern that matches none of the module ``paths``, with a hint (the closest
    top-level module, or all of them); None when every pattern matches."""
    for p in unmatched(patterns, paths):
        from .diagnostics import did_you_mean

        tops = list(dict.fromkeys(path.split(".")[0] for path in paths))
        return p, did_you_mean(p, tops) or f"the top-level modules are {', '.join(tops)}"
    return None


def graph_paths(graph) -> list[str]:
    """The module paths of a typed graph's nodes that have parameters."""
    return [n.name for n in graph.nodes if n.params and n.name]
