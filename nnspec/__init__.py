"""nnspec: a declarative language and compiler for neural networks.

>>> import nnspec
>>> spec = nnspec.load("network XO { input image: [1, 9, 9]\\n"
...                    " conv(4, 3, padding=1) -> relu -> maxpool(2) -> flatten -> dense(2) }")
>>> spec.summary().total_params  # nnspec.load("specs/xo.nn") reads the same network from its file
170
"""

from .diagnostics import Diagnostic, SpecError
from .spec import Spec, load

__all__ = ["Diagnostic", "Spec", "SpecError", "build", "load", "load_weights"]
__version__ = "0.1.0"


def build(source, network: str | None = None, **params):
    """The live ``nn.Module`` of a spec file (or text): ``nnspec.load(source).build(network, **params)``."""
    return load(source).build(network, **params)


def __getattr__(name: str):
    # torch-dependent helpers load on first use, so that `import nnspec` never imports torch
    if name == "load_weights":
        from .spec import load_weights

        return load_weights
    raise AttributeError(f"module 'nnspec' has no attribute {name!r}")
