"""Convolutions: ``conv``, ``sepconv`` and ``deconv`` (1-, 2- or 3-d, chosen by the input's rank)."""

from __future__ import annotations

from typing import Literal

from ..code import Code, call
from ..shapes import ShapeError, expand, product, transposed_out, window_out
from .base import ArgError, Layer, TensorType, need_concrete, need_rank, times
from .schema import ArgsModel, Bool, Field, Int, IntOrList
from .weightnorm import WEIGHT_NORM_RUNTIME, kept_per_batch, length_params, module_name


def positive(layer: Layer, *names: str) -> None:
    """Every entry of each named argument (an int or a list) must be at least 1."""
    _check(layer, names, lambda v: v > 0, "positive")


def non_negative(layer: Layer, *names: str) -> None:
    """Every entry of each named argument (an int or a list) must be at least 0."""
    _check(layer, names, lambda v: v >= 0, "zero or more")


def _check(layer: Layer, names, ok, word: str) -> None:
    for name in names:
        value = getattr(layer.args, name)
        values = value if isinstance(value, list) else [value]
        if not all(ok(v) for v in values if isinstance(v, int)):
            raise ArgError(f"`{name}` must be {word}, got {value}", arg=name)
        if isinstance(value, list) and not value:
            raise ArgError(f"`{name}` must not be an empty list", arg=name)


class ConvArgs(ArgsModel):
    out: Int = Field(gt=0)
    kernel: IntOrList
    stride: IntOrList = 1
    padding: IntOrList | Literal["same", "valid"] = 0
    dilation: IntOrList = 1
    groups: Int = Field(1, gt=0)
    bias: Bool = True
    weight_norm: Bool = False


class Conv(Layer):
    """Convolution over 1, 2 or 3 spatial dimensions, chosen by the input's rank.

    ``[C, L] -> [out, L']``, ``[C, H, W] -> [out, H', W']``, ``[C, D, H, W] -> [out, D', H', W']``
    with PyTorch's output-size formula. Example: ``conv(64, 3, padding=1)`` on ``[3, 32, 32]``
    gives ``[64, 32, 32]`` and 1,792 parameters. ``weight_norm=true`` learns each output
    channel's kernel as a direction and a length, named as PyTorch's
    ``parametrizations.weight_norm`` names them (``out`` more parameters): a TCN's causal convolution is
    ``zeropad(2 * d) -> conv(c, 3, dilation=d, weight_norm=true)``.
    """

    kind = "conv"
    example = ("[3, 9, 9]", "conv(6, 3, stride=2, padding=1, groups=3)")
    synonyms = ("conv1d", "conv2d", "conv3d", "convolution", "convolution2d")
    family = "conv"
    Args = ConvArgs
    runtime = WEIGHT_NORM_RUNTIME

    def check_args(self):
        positive(self, "kernel", "stride", "dilation")
        if self.args.padding not in ("same", "valid"):
            non_negative(self, "padding")

    def spatial(self, x: TensorType) -> int:
        need_rank(x, {2, 3, 4}, f"`{self.kind}`", hint="a convolution needs channels first: [C, L], [C, H, W] or [C, D, H, W]")
        self.spatial_dims = len(x.shape) - 1
        return self.spatial_dims

    def in_channels(self, x: TensorType) -> int:
        return need_concrete(x.shape[0], f"the input channels of `{self.kind}`")

    def sliding(self, x: TensorType) -> tuple:
        """The spatial output dims of this layer's windows over ``x``."""
        a = self.args
        n = self.spatial(x)
        k, s, d = expand(a.kernel, n, "kernel"), expand(a.stride, n, "stride"), expand(a.dilation, n, "dilation")
        if a.padding == "same":
            if any(v != 1 for v in s):
                raise ShapeError(
                    "`padding=same` needs stride 1 (as in PyTorch)",
                    arg="padding",
                    hint="give the padding as a number, e.g. `padding=1` for a 3×3 kernel",
                )
            return x.shape[1:]
        p = (0,) * n if a.padding == "valid" else expand(a.padding, n, "padding")
        return tuple(window_out(size, *kspd) for size, *kspd in zip(x.shape[1:], k, s, p, d))

    def kernel_size(self, x: TensorType) -> int:
        return product(expand(self.args.kernel, len(x.shape) - 1, "kernel"))

    def infer(self, x: TensorType) -> TensorType:
        a = self.args
        self.spatial(x)
        cin = self.in_channels(x)
        if all(isinstance(v, int) for v in (cin, a.out, a.groups)) and (cin % a.groups or a.out % a.groups):
            raise ShapeError(
                f"`groups={a.groups}` must divide both the input channels ({cin}) and `out` ({a.out})", arg="groups"
            )
        return x.with_shape((a.out, *self.sliding(x)), keep_mask=False)

    def weights(self, x: TensorType) -> int:
        a = self.args
        return a.out * (x.shape[0] // a.groups) * self.kernel_size(x)

    def param_count(self, x: TensorType) -> int:
        a = self.args
        return self.weights(x) + (a.out if a.bias else 0) + length_params(a.out, a.weight_norm)

    def kept_extra(self, xs, y):
        if not getattr(self.args, "weight_norm", False):  # nor have `deconv` and `sepconv` any
            return 0, 0
        return 0, kept_per_batch(self.weights(xs[0]), self.args.out)

    def macs(self, x: TensorType, y: TensorType):
        return product(y.shape) * (x.shape[0] // self.args.groups) * self.kernel_size(x)

    def window_keywords(self) -> dict:
        """The constructor's keywords for stride, padding and dilation, left out at their defaults."""
        return {
            "stride": self.changed("stride"),
            "padding": self.changed("padding"),
            "dilation": self.changed("dilation"),
        }

    def module_code(self, x: TensorType) -> Code:
        a = self.args
        return call(
            module_name(f"nn.Conv{len(x.shape) - 1}d", a.weight_norm),
            x.shape[0],
            a.out,
            a.kernel,
            **self.window_keywords(),
            groups=self.changed("groups"),
            bias=self.changed("bias"),
        )

    def describe(self) -> str:
        a = self.args
        text = f"{self.kind} {a.out} {times(a.kernel, self.spatial_dims)}"
        if a.stride != 1:
            text += f" /{a.stride if isinstance(a.stride, int) else times(a.stride)}"
        dilation = getattr(a, "dilation", 1)
        if dilation != 1:
            text += f" d{dilation if isinstance(dilation, int) else times(dilation)}"
        if getattr(a, "groups", 1) != 1:
            text += f" g{a.groups}"
        if getattr(a, "weight_norm", False):
            text += " wn"
        return text


class SepConvArgs(ArgsModel):
    out: Int = Field(gt=0)
    kernel: IntOrList
    stride: IntOrList = 1
    padding: IntOrList | Literal["same", "valid"] = 0
    dilation: IntOrList = 1
    bias: Bool = False


class SepConv(Conv):
    """Depthwise separable convolution: a per-channel ``kernel`` conv, then a 1×1 conv to ``out``.

    ``[C, H, W] -> [out, H', W']`` (and 1-d, 3-d) with ``conv``'s output size. One node whose
    PyTorch module is ``nn.Sequential(depthwise, pointwise)``; parameters in that order, as in
    Keras' ``SeparableConv2D`` (depthwise kernel, pointwise kernel, then the bias). ``bias=true``
    adds one bias to the pointwise conv, as Keras does. Example: ``sepconv(128, 3, padding=1)``
    on ``[64, 56, 56]`` gives ``[128, 56, 56]`` and 64·9 + 64·128 = 8,768 parameters.
    """

    kind = "sepconv"
    example = ("[4, 9, 9]", "sepconv(8, 3, padding=1)")
    synonyms = ("separableconv2d", "separableconv1d", "separableconvolution")
    Args = SepConvArgs

    def infer(self, x: TensorType) -> TensorType:
        self.spatial(x)
        self.in_channels(x)
        return x.with_shape((self.args.out, *self.sliding(x)), keep_mask=False)

    def param_count(self, x: TensorType) -> int:
        cin, out = x.shape[0], self.args.out
        return cin * self.kernel_size(x) + cin * out + (out if self.args.bias else 0)

    def kept_extra(self, xs, y):
        return 4 * xs[0].shape[0] * product(y.shape[1:]), 0  # the depthwise output, the pointwise conv's input

    def macs(self, x: TensorType, y: TensorType):
        positions = product(y.shape[1:])
        return positions * x.shape[0] * self.kernel_size(x) + positions * x.shape[0] * self.args.out

    def module_code(self, x: TensorType) -> Code:
        a, cin, conv = self.args, x.shape[0], f"nn.Conv{len(x.shape) - 1}d"
        depthwise = call(conv, cin, cin, a.kernel, **self.window_keywords(), groups=cin, bias=False)
        pointwise = call(conv, cin, a.out, 1, bias=None if a.bias else False)
        return call("nn.Sequential", depthwise, pointwise)


class DeconvArgs(ArgsModel):
    out: Int = Field(gt=0)
    kernel: IntOrList
    stride: IntOrList = 1
    padding: IntOrList = 0
    output_padding: IntOrList = 0
    bias: Bool = True


class Deconv(Conv):
    """Transposed convolution (learned upsampling): ``[C, H, W] -> [out, H', W']`` (and 1-d, 3-d).

    ``H' = (H - 1)·stride - 2·padding + kernel + output_padding``, PyTorch's formula.
    Example: ``deconv(64, 2, stride=2)`` on ``[128, 28, 28]`` gives ``[64, 56, 56]`` and
    128·64·4 + 64 = 32,832 parameters.
    """

    kind = "deconv"
    example = ("[4, 5, 5]", "deconv(2, 3, stride=2, padding=1, output_padding=1)")
    synonyms = ("convtranspose1d", "convtranspose2d", "convtranspose3d", "conv2dtranspose", "convtranspose", "deconvolution")
    Args = DeconvArgs

    def check_args(self):
        positive(self, "kernel", "stride")
        non_negative(self, "padding", "output_padding")

    def infer(self, x: TensorType) -> TensorType:
        a = self.args
        n = self.spatial(x)
        self.in_channels(x)
        k, s = expand(a.kernel, n, "kernel"), expand(a.stride, n, "stride")
        p, op = expand(a.padding, n, "padding"), expand(a.output_padding, n, "output_padding")
        if any(o >= si for o, si in zip(op, s)):
            raise ShapeError(
                f"`output_padding` must be smaller than the stride ({a.stride}), got {a.output_padding}",
                arg="output_padding",
                hint="output_padding picks among the sizes a strided conv maps to the same output",
            )
        out = tuple(transposed_out(*v) for v in zip(x.shape[1:], k, s, p, op))
        return x.with_shape((a.out, *out), keep_mask=False)

    def param_count(self, x: TensorType) -> int:
        return x.shape[0] * self.args.out * self.kernel_size(x) + (self.args.out if self.args.bias else 0)

    def macs(self, x: TensorType, y: TensorType):
        # every input position scatters a kernel-sized patch into every output channel
        return product(x.shape) * self.args.out * self.kernel_size(x)

    def module_code(self, x: TensorType) -> Code:
        a = self.args
        return call(
            f"nn.ConvTranspose{len(x.shape) - 1}d",
            x.shape[0],
            a.out,
            a.kernel,
            stride=self.changed("stride"),
            padding=self.changed("padding"),
            output_padding=self.changed("output_padding"),
            bias=self.changed("bias"),
        )
