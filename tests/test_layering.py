"""The package's layers (docs/DESIGN: "Layers of the package"): each phase imports only from
earlier ones — root utilities → ``frontend`` → ``core`` → ``backends`` → ``train`` → the API
(``nnspec.spec``, the package itself) → ``cli``. Imports are read with :mod:`ast`, those inside
functions too: a lazy import is a dependency all the same.
"""

from __future__ import annotations

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "nnspec")

#: the phases, earliest first; a module's phase is that of its first package below nnspec,
#: or for a module directly in nnspec its own name (the rest are root utilities)
PHASES = ["root", "frontend", "core", "backends", "train", "api", "cli"]
API = {"nnspec", "nnspec.spec"}
CLI = {"nnspec.cli", "nnspec.lsp", "nnspec.__main__"}

#: imports against the order that remain today, each to be removed by moving the fact it
#: needs down to the earlier phase (other branches are at it); a new one fails the test
ALLOWED = {
    # `check` checks the train section's values as `nnspec train` will read them; the settings'
    # types (pure Python) would move down to core
    ("nnspec.core.elaborate", "nnspec.train.config"),
}


def phase(module: str) -> int:
    parts = module.split(".")
    if module in API:
        return PHASES.index("api")
    if any(module == c or module.startswith(c + ".") for c in CLI):
        return PHASES.index("cli")
    if len(parts) > 2 or (len(parts) == 2 and os.path.isdir(os.path.join(PACKAGE, parts[1]))):
        return PHASES.index(parts[1]) if parts[1] in PHASES else PHASES.index("cli")
    return PHASES.index("root")


def modules():
    for folder, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                yield rel.removesuffix(".__init__"), path, f == "__init__.py"


def imports(module: str, source: str, is_package: bool = False):
    """The nnspec modules ``module`` (its ``source``) imports; ``from . import x`` is ``pkg.x``
    where ``x`` is a module."""
    tree = ast.parse(source)
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "nnspec")
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join(base + (node.module.split(".") if node.module else []))
            if not target.startswith("nnspec"):
                continue
            for a in node.names:
                sub = os.path.join(ROOT, *(target + "." + a.name).split("."))
                yield target + "." + a.name if os.path.isdir(sub) or os.path.exists(sub + ".py") else target


def violations() -> set[tuple[str, str]]:
    out = set()
    for module, path, is_package in modules():
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        for target in imports(module, source, is_package):
            if phase(target) > phase(module):
                out.add((module, target))
    return out


def test_each_phase_imports_only_earlier_ones():
    new = violations() - ALLOWED
    assert not new, "imports against the phases' order (move the fact down instead): " + ", ".join(
        f"{a} -> {b}" for a, b in sorted(new))


def test_the_reader_sees_imports_against_the_order():
    """The check itself: phases as named, and a late import found wherever it is written."""
    assert [phase(m) for m in ("nnspec.diagnostics", "nnspec.frontend.parser", "nnspec.core.layers.conv",
                               "nnspec.backends.summary", "nnspec.train.loop", "nnspec.spec", "nnspec.cli.commands.check")] \
        == list(range(7))
    late = "import os\nfrom ..dims import Dim\n\ndef f():\n    from ...train import config\n    import nnspec.spec\n"
    found = list(imports("nnspec.core.layers.x", late))
    assert found == ["nnspec.core.dims", "nnspec.train.config", "nnspec.spec"]
    assert [phase(m) > phase("nnspec.core.layers.x") for m in found] == [False, True, True]
