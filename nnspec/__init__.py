"""nnspec: a declarative language and compiler for neural networks.

>>> import nnspec
>>> spec = nnspec.load("specs/xo.nn")          # doctest: +SKIP
>>> spec.summary().total_params                 # doctest: +SKIP
170
"""

from .diagnostics import Diagnostic, SpecError
from .spec import Spec, load

__all__ = ["Diagnostic", "Spec", "SpecError", "load"]
__version__ = "0.1.0"
