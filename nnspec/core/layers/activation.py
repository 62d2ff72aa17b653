"""Element-wise activations: the shape passes through unchanged and there are no parameters."""

from __future__ import annotations

from typing import Literal

from ..code import BinOp, Code, as_float, call
from ..shapes import ShapeError
from .base import Layer, TensorType, need_concrete
from .schema import ArgsModel, Bool, Field, Int, Number


class Activation(Layer):
    """An element-wise function; any input shape, same output shape, no parameters.

    Example: ``relu`` on ``[64, 56, 56]`` gives ``[64, 56, 56]``.
    """

    family = "activation"
    torch_name: str = ""

    def infer(self, x: TensorType) -> TensorType:
        return x

    def module_code(self, x: TensorType) -> Code:
        return call(f"nn.{self.torch_name}", **self.torch_kwargs())

    def torch_kwargs(self) -> dict:
        return {}


class ReLU(Activation):
    """``max(x, 0)``; ``[...] -> [...]``. Example: ``conv(64, 3) -> relu``."""

    kind, torch_name = "relu", "ReLU"
    keeps = ("output",)  # its gradient is 0 or 1, read from the result
    example = ("[3, 8, 8]", "relu")


class ReLU6(Activation):
    """``min(max(x, 0), 6)``; ``[...] -> [...]``."""

    kind, torch_name = "relu6", "ReLU6"
    example = ("[3, 8, 8]", "relu6")


class ELU(Activation):
    """Exponential linear unit; ``[...] -> [...]``."""

    kind, torch_name = "elu", "ELU"
    example = ("[3, 8, 8]", "elu")


class GELUArgs(ArgsModel):
    approximate: Literal["none", "tanh"] = "none"


class GELU(Activation):
    """Gaussian error linear unit; ``[...] -> [...]``. ``approximate=tanh`` computes it with
    the tanh formula (GPT-2's, BERT's), PyTorch's ``GELU(approximate="tanh")``.
    """

    kind, torch_name, Args = "gelu", "GELU", GELUArgs
    example = ("[3, 8, 8]", "gelu(approximate=tanh)")

    def torch_kwargs(self):
        return {"approximate": self.changed("approximate")}

    def describe(self) -> str:
        return "gelu" + (" tanh" if self.args.approximate == "tanh" else "")


class SiLU(Activation):
    """``x * sigmoid(x)`` (swish); ``[...] -> [...]``."""

    kind, torch_name = "silu", "SiLU"
    example = ("[3, 8, 8]", "silu")
    synonyms = ("swish",)


class Sigmoid(Activation):
    """``1 / (1 + exp(-x))``; ``[...] -> [...]``."""

    kind, torch_name = "sigmoid", "Sigmoid"
    keeps = ("output",)  # s' = s (1 - s)
    example = ("[3, 8, 8]", "sigmoid")


class TanhArgs(ArgsModel):
    amplitude: Number = 1
    slope: Number = 1


class Tanh(Activation):
    """Hyperbolic tangent, ``amplitude * tanh(slope * x)``; ``[...] -> [...]``.

    At the defaults it is PyTorch's ``Tanh``; LeNet-5's squashing function is
    ``tanh(amplitude=1.7159, slope=2 / 3)``, computed in ``forward`` with no module.
    """

    kind, torch_name, Args = "tanh", "Tanh", TanhArgs
    keeps = ("output",)  # tanh' = 1 - tanh²
    example = ("[3, 8, 8]", "tanh(amplitude=1.7159, slope=2 / 3)")

    def plain(self) -> bool:
        return self.args.amplitude == 1 and self.args.slope == 1

    def module_code(self, x: TensorType) -> Code | None:
        return super().module_code(x) if self.plain() else None

    def forward_code(self, module, xs, types, lengths=None) -> Code:
        if self.plain():
            return super().forward_code(module, xs, types, lengths)
        a = self.args
        inner = xs[0] if a.slope == 1 else BinOp(a.slope, "*", xs[0])
        outer = call("torch.tanh", inner)
        return outer if a.amplitude == 1 else BinOp(a.amplitude, "*", outer)

    def describe(self) -> str:
        return "tanh" if self.plain() else f"tanh ×{self.args.amplitude:g}, slope {self.args.slope:.4g}"


class Identity(Activation):
    """Passes its input through; useful as a branch of ``add`` or ``concat``. ``[...] -> [...]``."""

    kind, torch_name = "identity", "Identity"
    keeps, view = (), True
    example = ("[3, 8, 8]", "identity")
    takes_int = True


class Hardswish(Activation):
    """``x * relu6(x + 3) / 6`` (MobileNetV3's); ``[...] -> [...]``."""

    kind, torch_name = "hardswish", "Hardswish"
    example = ("[3, 8, 8]", "hardswish")
    synonyms = ("hswish",)


class Hardsigmoid(Activation):
    """``relu6(x + 3) / 6``, a piecewise-linear sigmoid (MobileNetV3's gates); ``[...] -> [...]``."""

    kind, torch_name = "hardsigmoid", "Hardsigmoid"
    example = ("[3, 8, 8]", "hardsigmoid")
    synonyms = ("hsigmoid",)


class Mish(Activation):
    """``x * tanh(softplus(x))``; ``[...] -> [...]``."""

    kind, torch_name = "mish", "Mish"
    example = ("[3, 8, 8]", "mish")


class SoftplusArgs(ArgsModel):
    beta: Number = Field(1, gt=0)
    threshold: Number = Field(20, gt=0)


class Softplus(Activation):
    """``log(1 + exp(beta·x)) / beta``, linear above ``threshold``; ``[...] -> [...]``.

    Example: ``softplus(beta=2)``.
    """

    kind, torch_name, Args = "softplus", "Softplus", SoftplusArgs
    example = ("[3, 8, 8]", "softplus(beta=2)")

    def torch_kwargs(self):
        return {"beta": self.changed("beta", float), "threshold": self.changed("threshold", float)}


class PReLUArgs(ArgsModel):
    channels: Bool = False
    init: Number = 0.25


class PReLU(Activation):
    """``x if x > 0 else a·x`` with a learned slope ``a``: one for the whole layer, or with
    ``channels=true`` one per channel (dimension 0). ``[...] -> [...]``; 1 or ``C`` parameters.

    Example: ``prelu(channels=true)`` on ``[64, 56, 56]`` has 64 parameters.
    """

    kind, torch_name, Args = "prelu", "PReLU", PReLUArgs
    example = ("[3, 8, 8]", "prelu(channels=true)")

    def infer(self, x: TensorType) -> TensorType:
        if self.args.channels:
            if not x.shape:
                raise ShapeError("`prelu(channels=true)` needs a channel dimension", arg="channels")
            need_concrete(x.shape[0], "the channel dimension of `prelu`")
        return x

    def param_count(self, x: TensorType) -> int:
        return x.shape[0] if self.args.channels else 1

    def module_code(self, x: TensorType) -> Code:
        channels = [x.shape[0]] if self.args.channels else []
        return call("nn.PReLU", *channels, init=self.changed("init", float))


class LeakyArgs(ArgsModel):
    slope: Number = 0.01


class LeakyReLU(Activation):
    """``x if x > 0 else slope * x``; ``[...] -> [...]``. Example: ``leakyrelu(0.2)``."""

    kind, torch_name, Args = "leakyrelu", "LeakyReLU", LeakyArgs
    example = ("[3, 8, 8]", "leakyrelu(0.2)")
    synonyms = ("lrelu",)

    def torch_kwargs(self):
        return {"negative_slope": as_float(self.args.slope)} if self.args.slope != 0.01 else {}


class SoftmaxArgs(ArgsModel):
    dim: Int = -1


class Softmax(Activation):
    """Normalises ``dim`` (default the last) to probabilities; ``[...] -> [...]``."""

    kind, torch_name, Args = "softmax", "Softmax", SoftmaxArgs
    keeps = ("output",)  # the Jacobian is a function of the probabilities
    example = ("[3, 8, 8]", "softmax(dim=0)")

    def infer(self, x):
        from ..shapes import normalise_dim

        normalise_dim(self.args.dim, len(x.shape))
        return super().infer(x)

    def torch_kwargs(self):
        # the batch dimension shifts non-negative indices by one
        d = self.args.dim
        return {"dim": d + 1 if d >= 0 else d}


class LogSoftmax(Softmax):
    """``log(softmax(x))`` along ``dim``; ``[...] -> [...]``."""

    kind, torch_name = "logsoftmax", "LogSoftmax"
    example = ("[5, 4]", "logsoftmax")
