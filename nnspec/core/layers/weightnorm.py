"""Weight normalisation (Salimans and Kingma, 2016), the ``weight_norm=true`` argument of
``conv`` and ``dense``: the weight of each output is learned as a length ``g`` and a direction
``v``, ``w = g · v / ‖v‖`` (``dim=0``: one length per output channel or unit).

The modules are those of :data:`WEIGHT_NORM_RUNTIME`, PyTorch's convolution and linear
modules whose weight is made so. Their parameters are named, ordered and initialised as
``torch.nn.utils.parametrizations.weight_norm`` makes them (the bias, then
``parametrizations.weight.original0``, ``g`` ``[out, 1, ...]``, and ``original1``, ``v``), so a
state dict of PyTorch's wrapped module loads as it is; unlike PyTorch's parametrization, they
run under ``torch.jit.script``, and export.
"""

from __future__ import annotations

from ..dims import Dim

# Emitted once at the top of generated code where a layer is weight-normalised; the generated
# file imports only torch.
WEIGHT_NORM_RUNTIME = '''\
class WeightNorm(nn.Module):
    """A module's weight as a length per output, original0 (g), and a direction, original1
    (v): w = g * v / |v|, named and initialised (g = |w|, v = w) as
    torch.nn.utils.parametrizations.weight_norm makes them; the module loses its weight."""

    def __init__(self, module: nn.Module):
        super().__init__()
        weight = module.weight
        del module.weight
        self.original0 = nn.Parameter(torch.norm_except_dim(weight, 2, 0).detach())
        self.original1 = nn.Parameter(weight.detach())

    def forward(self) -> torch.Tensor:
        # what PyTorch's parametrization computes, so the values are its own bit for bit
        return torch._weight_norm(self.original1, self.original0, 0)


class Parametrizations(nn.Module):
    """Holds the normalised weight where PyTorch's parametrizations do: parametrizations.weight."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.weight = WeightNorm(module)


class WeightNormConv1d(nn.Conv1d):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parametrizations = Parametrizations(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.parametrizations.weight(), self.bias)


class WeightNormConv2d(nn.Conv2d):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parametrizations = Parametrizations(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.parametrizations.weight(), self.bias)


class WeightNormConv3d(nn.Conv3d):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parametrizations = Parametrizations(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.parametrizations.weight(), self.bias)


class WeightNormLinear(nn.Linear):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parametrizations = Parametrizations(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.parametrizations.weight(), self.bias)
'''


def module_name(torch_name: str, on: bool) -> str:
    """The module a layer compiles to: ``nn.Conv2d``, or ``WeightNormConv2d`` when ``on``."""
    return "WeightNorm" + torch_name.removeprefix("nn.") if on else torch_name


def length_params(out: int, on: bool) -> int:
    """The lengths ``g`` weight normalisation adds: one per output."""
    return out if on else 0


def kept_per_batch(weights: Dim, out: int) -> Dim:
    """Bytes training keeps once per batch for the backward pass of the normalisation: the
    weight it computes (read by the layer's own backward) and the norm of each output's ``v``."""
    return 4 * (weights + out)

