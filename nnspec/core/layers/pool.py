"""Pooling: windowed (``maxpool``, ``avgpool``), adaptive (``adaptiveavgpool``,
``adaptivemaxpool``) and global (``globalavgpool``, ``globalmaxpool``), 1-, 2- or 3-d by rank."""

from __future__ import annotations

from ..code import Code, TupleOf, call, method
from ..dims import shape_str
from ..shapes import ShapeError, adaptive_reads, expand, product, window_out
from .base import Layer, TensorType, need_rank, times
from .conv import non_negative, positive
from .schema import ArgsModel, Bool, Field, IntOrList

_CHANNELS_FIRST = "pooling needs channels first: [C, L], [C, H, W] or [C, D, H, W]"


class PoolArgs(ArgsModel):
    kernel: IntOrList
    stride: IntOrList | None = Field(None, description="defaults to the kernel")
    padding: IntOrList = 0
    ceil: Bool = False


class MaxPool(Layer):
    """Maximum over sliding windows: ``[C, H, W] -> [C, H', W']`` (and 1-d, 3-d).

    The stride defaults to the kernel. Example: ``maxpool(2)`` on ``[64, 56, 56]`` gives
    ``[64, 28, 28]``.
    """

    kind = "maxpool"
    example = ("[3, 9, 9]", "maxpool(3, stride=2, padding=1, ceil=true)")
    synonyms = ("maxpool1d", "maxpool2d", "maxpool3d", "maxpooling1d", "maxpooling2d", "maxpooling3d")
    family = "pool"
    Args = PoolArgs
    torch_name = "MaxPool"

    def kept_extra(self, xs, y):
        """The argmax of each window: an int64 index per output value (not for ``avgpool``)."""
        return (8 * product(y.shape) if self.torch_name == "MaxPool" else 0), 0

    def check_args(self):
        positive(self, "kernel", *(["stride"] if self.args.stride is not None else []))
        non_negative(self, "padding")

    def infer(self, x: TensorType) -> TensorType:
        need_rank(x, {2, 3, 4}, f"`{self.kind}`", hint=_CHANNELS_FIRST)
        a, n = self.args, len(x.shape) - 1
        self.spatial_dims = n
        k = expand(a.kernel, n, "kernel")
        s = expand(a.stride if a.stride is not None else a.kernel, n, "stride")
        p = expand(a.padding, n, "padding")
        if any(pi * 2 > ki for pi, ki in zip(p, k)):
            raise ShapeError(f"`padding` must be at most half the kernel ({times(a.kernel, n)}), got {a.padding}", arg="padding")
        out = [window_out(size, ki, si, pi, 1, a.ceil) for size, ki, si, pi in zip(x.shape[1:], k, s, p)]
        return x.with_shape((x.shape[0], *out), keep_mask=False)

    def macs(self, x, y):
        return product(y.shape) * product(expand(self.args.kernel, len(x.shape) - 1, "kernel"))

    def module_code(self, x: TensorType) -> Code:
        a = self.args
        return call(
            f"nn.{self.torch_name}{len(x.shape) - 1}d",
            a.kernel,
            stride=a.stride if a.stride is not None and a.stride != a.kernel else None,
            padding=self.changed("padding"),
            ceil_mode=self.changed("ceil"),
        )

    def describe(self) -> str:
        a = self.args
        stride = a.stride if a.stride is not None else a.kernel
        text = f"{self.kind} {times(a.kernel, self.spatial_dims)}"
        return text + (f" /{stride if isinstance(stride, int) else times(stride)}" if stride != 1 else "")


class AvgPool(MaxPool):
    """Mean over sliding windows: ``[C, H, W] -> [C, H', W']``. Example: ``avgpool(2)``.

    Padding counts as zeros in the mean, as in PyTorch's default.
    """

    kind = "avgpool"
    example = ("[3, 8, 8, 8]", "avgpool(2)")
    synonyms = ("avgpool1d", "avgpool2d", "avgpool3d", "averagepooling1d", "averagepooling2d", "averagepooling3d")
    torch_name = "AvgPool"

    def infer(self, x: TensorType) -> TensorType:
        y = super().infer(x)
        if len(x.shape) == 4:
            # PyTorch's AvgPool3d, unlike the others, refuses an input smaller than the kernel
            # even when the padding would make room
            for size, k in zip(x.shape[1:], expand(self.args.kernel, 3, "kernel")):
                if isinstance(size, int) and size < k:
                    raise ShapeError(
                        f"a 3-d `avgpool` needs every input size at least the kernel ({k}), as in PyTorch; "
                        f"got {shape_str(x.shape)}",
                        arg="kernel",
                    )
        return y


class AdaptiveArgs(ArgsModel):
    size: IntOrList


class AdaptiveAvgPool(Layer):
    """Mean over windows chosen to give a fixed output size: ``[C, ...] -> [C, size...]``.

    Any input size (symbolic too) works; windows overlap when ``size`` does not divide it, as in
    PyTorch. Example: ``adaptiveavgpool(7)`` on ``[512, 13, 17]`` gives ``[512, 7, 7]``;
    ``adaptiveavgpool([1, 4])`` on ``[64, H, W]`` gives ``[64, 1, 4]``.
    """

    kind = "adaptiveavgpool"
    example = ("[3, 9, 9]", "adaptiveavgpool([2, 3])")
    synonyms = ("adaptiveavgpool1d", "adaptiveavgpool2d", "adaptiveavgpool3d")
    family = "pool"
    Args = AdaptiveArgs
    torch_name = "AdaptiveAvgPool"

    def check_args(self):
        positive(self, "size")

    def infer(self, x: TensorType) -> TensorType:
        need_rank(x, {2, 3, 4}, f"`{self.kind}`", hint=_CHANNELS_FIRST)
        self.spatial_dims = len(x.shape) - 1
        return x.with_shape((x.shape[0], *expand(self.args.size, self.spatial_dims, "size")), keep_mask=False)

    def macs(self, x, y):
        # one operation per input element read; overlapping windows read some twice
        per_dim = [adaptive_reads(d, o) for d, o in zip(x.shape[1:], y.shape[1:])]
        return x.shape[0] * product(per_dim)

    def module_code(self, x: TensorType) -> Code:
        return call(f"nn.{self.torch_name}{len(x.shape) - 1}d", self.args.size)

    def describe(self) -> str:
        return f"{self.kind} {times(self.args.size, self.spatial_dims)}"


class AdaptiveMaxPool(AdaptiveAvgPool):
    """Maximum over windows chosen to give a fixed output size: ``[C, ...] -> [C, size...]``.

    Example: ``adaptivemaxpool(1)`` on ``[256, 6, 6]`` gives ``[256, 1, 1]``.
    """

    kind = "adaptivemaxpool"

    def kept_extra(self, xs, y):
        return 8 * product(y.shape), 0  # the argmax of each window, int64
    example = ("[3, 9]", "adaptivemaxpool(4)")
    synonyms = ("adaptivemaxpool1d", "adaptivemaxpool2d", "adaptivemaxpool3d")
    torch_name = "AdaptiveMaxPool"


class GlobalAvgPool(Layer):
    """Mean over all spatial positions: ``[C, L]``, ``[C, H, W]`` or ``[C, D, H, W] -> [C]``.

    The same as ``adaptiveavgpool(1) -> flatten``, written as one reduction. Example: ResNet's
    ``globalavgpool`` on ``[2048, 7, 7]`` gives ``[2048]``.
    """

    kind = "globalavgpool"
    example = ("[3, 8, 8]", "globalavgpool")
    synonyms = ("globalaveragepooling1d", "globalaveragepooling2d", "globalaveragepooling3d", "gap")
    family = "pool"
    keeps = ()  # a mean's gradient is the incoming one spread evenly
    reduction = "mean"
    torch_name = "AdaptiveAvgPool"

    def infer(self, x: TensorType) -> TensorType:
        need_rank(x, {2, 3, 4}, f"`{self.kind}`", hint=_CHANNELS_FIRST)
        return x.with_shape((x.shape[0],), keep_mask=False)

    def macs(self, x, y):
        return product(x.shape)

    def labelled_module_code(self, x: TensorType) -> Code:
        return call(f"nn.{self.torch_name}{len(x.shape) - 1}d", 1)

    def forward_code(self, module, xs, types, lengths=None):
        if module is not None:  # the adaptive pool to size 1, then the batch of vectors
            return method(call(module, xs[0]), "flatten", 1)
        dims = tuple(range(2, len(types[0].shape) + 1))
        return method(xs[0], self.reduction, dims[0] if len(dims) == 1 else TupleOf(dims))


class GlobalMaxPool(GlobalAvgPool):
    """Maximum over all spatial positions: ``[C, ...] -> [C]``. Example: ``globalmaxpool``."""

    kind = "globalmaxpool"
    example = ("[3, 8]", "globalmaxpool")
    synonyms = ("globalmaxpooling1d", "globalmaxpooling2d", "globalmaxpooling3d")
    reduction = "amax"
    keeps = ("inputs", "output")  # where the maximum was
    torch_name = "AdaptiveMaxPool"

