"""nnspec: a declarative language and compiler for neural networks.

>>> import nnspec
>>> spec = nnspec.load("specs/xo.nn")          # doctest: +SKIP
>>> spec.summary().total_params                 # doctest: +SKIP
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
        from .backends.weights import load_weights

        return load_weights
    raise AttributeError(f"module 'nnspec' has no attribute {name!r}")
