"""Live modules: the generated source, executed in memory.

A built module is an instance of the very class that ``nnspec compile`` writes out, so the
two cannot disagree. As torch.fx's ``GraphModule`` does, the source is registered with
:mod:`linecache` under a synthetic file name and its module in :data:`sys.modules`, so that
tracebacks show the generated lines and ``inspect.getsource``, ``torch.jit.script`` and
``torch.export`` find them.
"""

from __future__ import annotations

import hashlib
import linecache
import os
import sys
import types

from ..core.ir import Graph
from ..diagnostics import Diagnostic, SpecError
from .codegen import class_name, to_source

# Executed sources by digest: building the same network again reuses its classes.
_MODULES: dict[str, types.ModuleType] = {}


def available_memory() -> int | None:
    """Bytes of memory this machine can still give, or None when it cannot be told."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_needed(graph: Graph) -> int:
    """Bytes of the float32 parameters and buffers of a network."""
    return 4 * (graph.total_params + graph.total_buffers)


def check_memory(graph: Graph, available: int | None = None) -> None:
    """Refuse, before allocating anything, a network whose weights exceed the free memory."""
    available = available_memory() if available is None else available
    need = memory_needed(graph)
    if available is not None and need > available:
        raise SpecError([Diagnostic(
            "error",
            f"network `{graph.network}` needs {_gib(need)} for its {graph.total_params:,} parameters and "
            f"{graph.total_buffers:,} buffer values (float32), but this machine has {_gib(available)} available",
            graph.root.span,
            "make the network smaller (fewer or narrower layers), or build it on a machine with more memory",
        )])


def _gib(n: int) -> str:
    if n >= 2**28:
        return f"{n / 2**30:.1f} GiB"
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def load_source(source: str, label: str) -> types.ModuleType:
    """Execute generated source as a module registered in linecache and sys.modules."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    if digest in _MODULES:
        return _MODULES[digest]
    name = f"nnspec_generated_{digest}"
    filename = f"<nnspec {label} {digest}>"
    # mtime None: linecache keeps the entry although no such file exists on disk
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 (our own generated source)
    _MODULES[digest] = module
    return module


def build(graph: Graph, origin: str = "<string>"):
    """A live ``nn.Module`` of a checked graph, with the spec's module names.

    >>> from nnspec import load
    >>> spec = load("network N { input x: [4]\\n fc: dense(2) }")
    >>> model = build(spec.checked_graph())
    >>> [k for k in model.state_dict()]
    ['fc.weight', 'fc.bias']
    """
    check_memory(graph)
    source = to_source(graph, origin)
    module = load_source(source, graph.network)
    return getattr(module, class_name(graph))()
