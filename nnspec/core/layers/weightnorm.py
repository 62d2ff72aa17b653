"""Weight normalisation (Salimans and Kingma, 2016), the ``weight_norm=true`` argument of
``conv`` and ``dense``: the weight of each output is learned as a direction ``v`` and a length
``g``, ``w = g · v / ‖v‖``, as PyTorch's ``torch.nn.utils.parametrizations.weight_norm`` wraps
the module (``dim=0``: one length per output channel or unit).

The wrapped module keeps its bias, and holds ``g`` and ``v`` as
``parametrizations.weight.original0`` (``[out, 1, ...]``) and ``original1`` (the weight's
shape), in that order after the bias: a state dict of the wrapped PyTorch module loads as it is.
It scripts, exports and compiles as the plain module does.
"""

from __future__ import annotations

from ..code import Code, call
from ..dims import Dim


def weight_normed(module: Code, on: bool) -> Code:
    """The module's constructor, wrapped when ``on``."""
    return call("nn.utils.parametrizations.weight_norm", module) if on else module


def length_params(out: int, on: bool) -> int:
    """The lengths ``g`` weight normalisation adds: one per output."""
    return out if on else 0


def kept_per_batch(weights: Dim, out: int, on: bool) -> int:
    """Bytes training keeps once per batch for the backward pass of the normalisation: the
    weight it computes (read by the layer's own backward) and the norm of each output's ``v``."""
    return 4 * (weights + out) if on else 0
