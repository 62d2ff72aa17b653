"""The layer registry as a test matrix: every kind's shape rule, parameter and buffer counts
against the real PyTorch module built from its own generated constructor and forward source."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnspec.core.dims import Sym, evaluate
from nnspec.core.layers import REGISTRY, TensorType, user_kinds
from nnspec.core.layers.base import ArgError
from nnspec.core.shapes import ShapeError


@dataclass
class Case:
    kind: str
    args: tuple = ()
    kw: dict = field(default_factory=dict)
    shape: tuple = (3, 8, 8)  # strings are symbols
    dtype: str = "float"
    pad: int | None = None
    values: int = 0  # named values the call passes, here the input again (`resize(x)`)
    sizes: dict = field(default_factory=lambda: {"T": 7, "L": 11, "H": 9, "W": 10})
    channels_last: bool = False  # an image whose channels a permute moved last

    def __str__(self):
        args = ", ".join([str(a) for a in self.args] + [f"{k}={v}" for k, v in self.kw.items()])
        dims = ", ".join(str(d) for d in self.shape)
        return f"{self.kind}({args}) on [{dims}]" + (f" int pad={self.pad}" if self.pad is not None else "")

    def input_type(self) -> TensorType:
        shape = tuple(Sym.symbol(d) if isinstance(d, str) else d for d in self.shape)
        return TensorType(shape, self.dtype, masked=self.pad is not None, pad=self.pad, channels_last=self.channels_last)


CASES = [
    Case("conv", (4, 3)),
    Case("conv", (4, 3), {"stride": 2, "padding": 1, "bias": False}),
    Case("conv", (6, [3, 1]), {"padding": "same", "dilation": 2, "groups": 3}),
    Case("conv", (4, 3), {"padding": "valid"}),
    Case("conv", (5, 3), {"stride": 2}, (2, "L")),
    Case("conv", (2, [1, 3, 3]), {"padding": [0, 1, 1]}, (3, 4, 6, 6)),
    Case("conv", (4, 3), {"stride": 2, "padding": 1}, (3, "H", "W")),
    Case("sepconv", (8, 3)),
    Case("sepconv", (8, 3), {"stride": 2, "padding": 1, "bias": True}),
    Case("sepconv", (8, 3), {"padding": "same", "dilation": 2}, (3, "L")),
    Case("sepconv", (4, 3), {}, (2, 5, 6, 7)),
    Case("deconv", (4, 2), {"stride": 2}),
    Case("deconv", (4, 3), {"stride": 2, "padding": 1, "output_padding": 1, "bias": False}),
    Case("deconv", (4, 4), {"stride": 2, "padding": 1}, (3, "L")),
    Case("deconv", (2, [2, 3, 3]), {"stride": [1, 2, 2]}, (3, 3, 4, 4)),
    Case("maxpool", (2,)),
    Case("maxpool", (3,), {"stride": 2, "padding": 1, "ceil": True}, (3, 9, 10)),
    Case("maxpool", (3,), {"stride": 2, "ceil": True}, (3, "L")),
    Case("avgpool", (2,), {}, (3, 5, 6, 7)),
    Case("avgpool", ([2, 3],), {"stride": 1, "padding": [1, 1]}),
    Case("adaptiveavgpool", (3,)),
    Case("adaptiveavgpool", ([1, 4],), {}, (3, "H", "W")),
    Case("adaptivemaxpool", (5,), {}, (3, "L")),
    Case("adaptivemaxpool", ([2, 2, 2],), {}, (2, 5, 6, 7)),
    Case("globalavgpool"),
    Case("globalavgpool", (), {}, (4, "L")),
    Case("globalmaxpool", (), {}, (2, 3, 4, 5)),
    Case("upsample", (2,)),
    Case("upsample", (1.5,), {"mode": "linear"}),
    Case("upsample", ([2, 3],), {"mode": "bicubic"}),
    Case("upsample", (2,), {"mode": "linear"}, (3, "L")),
    Case("upsample", (2.0,), {"mode": "trilinear"}, (2, 3, 4, 5)),
    Case("dense", (5,), {}, (7,)),
    Case("dense", (5,), {"bias": False}, ("T", 7)),
    Case("flatten"),
    Case("flatten", (), {}, ("T", 4)),
    Case("reshape", ([4, -1],), {}, (2, 4, 6)),
    Case("reshape", (["T", 2, 3],), {}, ("T", 6)),
    Case("reshape", (["H", "T", -1],), {}, ("T", "H", 4)),
    Case("reshape", ([-1],), {}, ("T", "H")),
    Case("permute", ([1, 0],), {}, ("T", 5)),
    Case("permute", ([2, 0, 1],)),
    Case("embedding", (50, 8), {}, ("T",), "int"),
    Case("embedding", (50, 8), {}, ("T",), "int", pad=0),
    Case("embedding", (30, 4), {}, (3, 5), "int"),
    Case("lstm", (6,), {}, ("T", 5)),
    Case("lstm", (6,), {"layers": 2, "bidirectional": True, "dropout": 0.1}, ("T", 5)),
    Case("lstm", (6,), {"output": "final", "bidirectional": True}, (9, 5)),
    Case("lstm", (6,), {"output": "final", "layers": 3}, ("T", 5), pad=0),
    Case("lstm", (6,), {"bidirectional": True}, ("T", 5), pad=0),
    Case("gru", (4,), {"layers": 2}, ("T", 3)),
    Case("gru", (4,), {"output": "final", "bidirectional": True}, ("T", 3), pad=0),
    Case("rnn", (4,), {"nonlinearity": "relu", "bidirectional": True}, (6, 3)),
    Case("rnn", (4,), {"output": "final", "layers": 2}, ("T", 3), pad=0),
    Case("batchnorm"),
    Case("batchnorm", (), {"eps": 1e-3, "momentum": 0.01}, (5,)),
    Case("batchnorm", (), {}, (4, "L")),
    Case("batchnorm", (), {}, (2, 3, 4, 5)),
    Case("layernorm", (), {}, ("T", 6)),
    Case("layernorm", (), {"eps": 1e-6}),
    Case("groupnorm", (3,), {}, (6, 4, 4)),
    Case("groupnorm", (2,), {"eps": 1e-3}, (4, "L")),
    Case("groupnorm", (2,), {}, (4,)),
    Case("lrn", (2,)),
    Case("lrn", (5,), {"alpha": 2e-4, "beta": 0.5, "k": 2}, (6, "L")),
    Case("dropout"),
    Case("dropout", (0.2,), {}, ("T", 5)),
    *[Case(k) for k in ("relu", "relu6", "elu", "gelu", "silu", "sigmoid", "tanh", "identity", "hardswish",
                        "hardsigmoid", "mish")],
    Case("softplus"),
    Case("softplus", (), {"beta": 2, "threshold": 10}, ("T", 5)),
    Case("prelu"),
    Case("prelu", (), {"channels": True, "init": 0.1}, (4, "L")),
    Case("droppath", (0.2,)),
    Case("droppath", (0.0,), {}, ("T", 5)),
    Case("channelshuffle", (3,), {}, (6, 4, 4)),
    Case("channelshuffle", (2,), {}, (4, "L")),
    Case("gelu", (), {"approximate": "tanh"}, ("T", 5)),
    Case("tanh", (), {"amplitude": 1.7159, "slope": 2 / 3}),
    Case("scale", (0.5,)),
    Case("shift", (-1,), {}, ("T", 5)),
    Case("pow", (2,)),
    *[Case(k) for k in ("exp", "log", "sqrt")],
    Case("normalize"),
    Case("normalize", (), {"dim": 0, "eps": 1e-6}, ("T", 5)),
    Case("sum", (-1,)),
    Case("sum", ([0, 2],), {}, (3, "H", "W")),
    Case("sum", (0,), {}, ("T", 5), pad=0),
    Case("mean", ([1, 2],)),
    Case("positions", (), {}, ("T", 5)),
    Case("positions", (), {}, ("T",), "int", pad=0),
    Case("sinusoid", (6,), {}, ("T",), "int"),
    Case("sinusoid", (8,), {"base": 100}, ()),
    Case("resize", (), {"mode": "linear", "corners": True}, (3, "H", "W"), values=1),
    Case("resize", (), {}, (3, "L"), values=1),
    Case("zeropad", (2,), {}, (3, "L")),
    Case("batchdot", (), {}, (8,), values=1, sizes={"batch": 2}),
    Case("conv", (4, 3), {"dilation": 2, "weight_norm": True}, (3, "L")),
    Case("conv", (6, 3), {"groups": 3, "bias": False, "weight_norm": True}),
    Case("conv", (2, 3), {"weight_norm": True}, (3, 4, 5, 6)),
    Case("dense", (5,), {"weight_norm": True}, ("T", 4)),
    Case("noise"),
    Case("noise", (0.1,), {}, ("T", 4)),
    Case("zeropad", (1, 2), {"dim": 0}, ("T", 4)),
    Case("zeropad", (0, 3), {"dim": 1}),
    Case("select", (0,), {}, ("T", 5)),
    Case("select", (0,), {}, ("T", 5), pad=0),
    Case("select", (-1,), {"dim": -1}),
    Case("select", (2,), {"dim": 1}),
    Case("slice", (1,), {}, ("T", 5)),
    Case("slice", (1, 7, 2), {"dim": 1}),
    Case("slice", (-3,), {"dim": -1}),
    Case("slice", (0, 3), {"dim": -1}, ("T", 5), pad=0),
    Case("chunk", (2, 1), {}, (5, 4, 4)),
    Case("chunk", (3, -1), {"dim": -1}, ("T", 8)),
    Case("split", ([1, 2], 1)),
    Case("split", (3, 2), {"dim": 1}),
    Case("param", ([2, 3],)),
    Case("param", ([4, 1, 1],), {"init": 0.5, "batch": False}),
    Case("param", ([3, 5],), {"std": 0.02}, ("T",), "int"),
    Case("attention", (2,), {}, ("T", 6)),
    Case("attention", (3,), {"bias": False, "dropout": 0.1, "causal": True}, (5, 6)),
    Case("attention", (2,), {}, ("T", 6), pad=0),
    Case("attention", (2,), {"key_bias": False}, ("T", 6)),
    Case("attention", (2,), {"key_bias": False}, ("T", 6), pad=0),
    Case("attention", (2,), {"bias": False, "out_bias": True, "causal": True}, (3, "T", 6), channels_last=True),
    Case("attention", (2,), {"relative": [2, 3], "dropout": 0.1}, (4, 6, 8), channels_last=True),
    Case("attention", (2,), {"relative": 2, "mask": "m"}, (3, 4, 4), values=1, channels_last=True),
    Case("attention", (1,), {"out_bias": False}, (3, 5, 4), channels_last=True),
    Case("attention", (2,), {"value_bias": False}, ("T", 6), values=1),
    Case("roll", (3,)),
    Case("roll", ([1, -2], [0, -1]), {}, ("T", 5, 4)),
    Case("shiftmask", (2, 1), {}, (4, 6, 3)),
    Case("shiftmask", (3, 2), {}, (6, 6)),
    Case("identity", (), {}, ("T",), "int"),
    Case("leakyrelu", (0.2,)),
    Case("softmax", (), {}, ("T", 5)),
    Case("softmax", (), {"dim": 0}, ("T", 5)),
    Case("logsoftmax", (), {"dim": 1}),
    Case("last", (), {}, ("T", 5)),
    Case("last", (), {}, ("T", 5), pad=0),
    Case("last", (), {}, (4, 3, 2)),
    Case("mean", (0,), {}, ("T", 5)),
    Case("mean", (0,), {}, ("T", 5), pad=0),
    Case("mean", (-1,)),
    Case("max", (0,), {}, ("T", 5), pad=0),
    Case("max", (1,), {}, ("T", 5)),
    Case("concat"),
    Case("add"),
    Case("mul"),
]


def test_every_kind_has_a_case():
    missing = set(user_kinds()) - {c.kind for c in CASES}
    assert not missing, f"kinds without a test case: {sorted(missing)}"


def namespace(layer) -> dict:
    ns = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
    exec(layer.runtime, ns)  # noqa: S102  (the helpers generated code carries at its top)
    return ns


def make_batch(case: Case, layer, x: TensorType):
    """A random batch of 2 with the case's symbol sizes; padded int batches come with lengths."""
    shape = (2, *(evaluate(d, case.sizes) for d in x.shape))
    if case.dtype != "int":
        batch = torch.randn(shape)
    else:
        vocab = getattr(layer.args, "vocab", 10)
        batch = torch.randint(1, vocab, shape)
    lengths = None
    if case.pad is not None:
        lengths = torch.tensor([shape[1], shape[1] - 3])
        if case.dtype == "int":
            batch[1, shape[1] - 3 :] = case.pad
        else:
            batch[1, shape[1] - 3 :] = 0.0
    return batch, lengths


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_pytorch(case: Case):
    torch.manual_seed(0)
    layer = REGISTRY[case.kind].bind(list(case.args), dict(case.kw))
    x = case.input_type()
    n_inputs = 2 if layer.merges else 1 + case.values
    y = layer.infer_many([x] * n_inputs) if n_inputs > 1 else layer.infer(x)
    ns = namespace(layer)
    source = layer.torch_module(x)
    module = eval(source, ns) if source else None
    ns["m"] = module
    batch, lengths = make_batch(case, layer, x)
    ns.update(x0=batch, x1=batch.clone(), lengths=lengths)
    expr = layer.torch_forward("m" if module is not None else None, ["x0", "x1"][:n_inputs], [x] * n_inputs,
                               "lengths" if lengths is not None else None)
    with torch.no_grad():
        out = eval(expr, ns)
    assert tuple(out.shape) == (2, *(evaluate(d, case.sizes) for d in y.shape))
    params = sum(p.numel() for p in module.parameters()) if module is not None else 0
    buffers = sum(b.numel() for b in module.buffers()) if module is not None else 0
    assert layer.param_count(x) == params
    assert getattr(layer, "buffer_count", lambda x: 0)(x) == buffers
    # a label starts with its kind; a sum or product is drawn as its operator
    assert layer.describe().startswith({"add": "+", "mul": "*"}.get(case.kind, case.kind))


# PyTorch's FLOP counter sees convolutions and matrix products (2 FLOPs per multiply-add).
COUNTED = [c for c in CASES if c.kind in ("conv", "sepconv", "deconv", "dense", "gru", "rnn") and c.pad is None]


@pytest.mark.parametrize("case", COUNTED, ids=str)
def test_macs_match_pytorch_flop_counter(case: Case):
    from torch.utils.flop_counter import FlopCounterMode

    layer = REGISTRY[case.kind].bind(list(case.args), dict(case.kw))
    x = case.input_type()
    ns = namespace(layer)
    ns["m"] = eval(layer.torch_module(x), ns)
    ns["x0"] = torch.randn(1, *(evaluate(d, case.sizes) for d in x.shape))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        eval(layer.torch_forward("m", ["x0"], [x]), ns)
    assert 2 * evaluate(layer.macs(x, layer.infer(x)), case.sizes) == counter.get_total_flops()


def test_lstm_macs():
    layer, x, y = infer("lstm", 128, shape=("T", 64), layers=2, bidirectional=True)
    # per step and direction: 4 gates of 128 from the input and the previous state
    assert evaluate(layer.macs(x, y), {"T": 1}) == 2 * 4 * 128 * (64 + 128) + 2 * 4 * 128 * (256 + 128)
    assert str(layer.macs(x, y)) == "589824*T"


# -- exact figures ---------------------------------------------------------------------------


def infer(kind, *args, shape=(3, 8, 8), dtype="float", pad=None, **kw):
    layer = REGISTRY[kind].bind(list(args), kw)
    x = TensorType(tuple(Sym.symbol(d) if isinstance(d, str) else d for d in shape), dtype, pad is not None, pad)
    return layer, x, layer.infer(x)


@pytest.mark.parametrize(
    "kind, args, kw, shape, out, params",
    [
        ("conv", (64, 3), {"padding": 1}, (3, 32, 32), "[64, 32, 32]", 1792),
        ("conv", (8, 3), {"stride": 2}, (3, "L"), "[8, (L - 3) // 2 + 1]", 80),
        ("sepconv", (128, 3), {"padding": 1}, (64, 56, 56), "[128, 56, 56]", 64 * 9 + 64 * 128),
        ("sepconv", (728, 3), {"padding": 1, "bias": True}, (256, 19, 19), "[728, 19, 19]", 256 * 9 + 256 * 728 + 728),
        ("deconv", (64, 2), {"stride": 2}, (128, 28, 28), "[64, 56, 56]", 32832),
        ("deconv", (4, 3), {"stride": 2}, (3, "L"), "[4, 2*L + 1]", 3 * 4 * 3 + 4),
        ("adaptiveavgpool", (7,), {}, (512, 13, 17), "[512, 7, 7]", 0),
        ("globalavgpool", (), {}, (2048, "H", "W"), "[2048]", 0),
        ("upsample", (2,), {}, (64, "H", 28), "[64, 2*H, 56]", 0),
        ("upsample", (1.5,), {"mode": "linear"}, (2, 7), "[2, 10]", 0),
        ("embedding", (20000, 128), {"dtype": "int"}, ("T",), "[T, 128]", 2_560_000),
        ("lstm", (128,), {}, ("T", 64), "[T, 128]", 99_328),
        ("lstm", (256,), {"layers": 2, "bidirectional": True, "output": "final"}, ("T", 300), "[512]",
         2 * (4 * 256 * (300 + 256) + 8 * 256) + 2 * (4 * 256 * (512 + 256) + 8 * 256)),
        ("gru", (64,), {"bidirectional": True}, ("T", 32), "[T, 128]", 37_632),
        ("rnn", (32,), {"nonlinearity": "relu"}, ("T", 8), "[T, 32]", 1344),
        ("layernorm", (), {}, ("T", 512), "[T, 512]", 1024),
        ("groupnorm", (32,), {}, (256, 14, 14), "[256, 14, 14]", 512),
        ("batchnorm", (), {}, (64, 56, 56), "[64, 56, 56]", 128),
        ("last", (), {}, ("T", 32), "[32]", 0),
        ("mean", (0,), {}, ("T", 32), "[32]", 0),
        ("max", (-1,), {}, (16, "L"), "[16]", 0),
        ("attention", (12,), {}, (197, 768), "[197, 768]", 2_362_368),
        ("attention", (8,), {"bias": False}, ("T", 512), "[T, 512]", 4 * 512 * 512),
        ("prelu", (), {"channels": True}, (64, 56, 56), "[64, 56, 56]", 64),
        ("prelu", (), {}, (64, 56, 56), "[64, 56, 56]", 1),
        ("param", ([197, 768],), {}, (768, 14, 14), "[197, 768]", 151_296),
        ("select", (0,), {}, (197, 768), "[768]", 0),
        ("slice", (1,), {}, ("T", 32), "[T - 1, 32]", 0),
        ("slice", (0, None, 2), {"dim": -1}, (4, 9), "[4, 5]", 0),
        ("chunk", (2, 1), {}, (116, 28, 28), "[58, 28, 28]", 0),
        ("chunk", (4, 2), {"dim": -1}, (3, 10), "[3, 3]", 0),
        ("split", ([16, 48], 1), {}, (64, 8, 8), "[48, 8, 8]", 0),
        ("channelshuffle", (2,), {}, (116, 28, 28), "[116, 28, 28]", 0),
    ],
)
def test_exact_shapes_and_params(kind, args, kw, shape, out, params):
    kw = dict(kw)
    layer, x, y = infer(kind, *args, shape=shape, dtype=kw.pop("dtype", "float"), **kw)
    assert str(y) == out
    assert layer.param_count(x) == params


def test_batchnorm_buffers():
    layer, x, _ = infer("batchnorm", shape=(64, 56, 56))
    assert layer.buffer_count(x) == 129


@pytest.mark.parametrize(
    "kind, args, kw, label",
    [
        ("conv", (64, 3), {"stride": 2}, "conv 64 3×3 /2"),
        ("conv", (32, [1, 7]), {}, "conv 32 1×7"),
        ("sepconv", (128, 3), {}, "sepconv 128 3×3"),
        ("deconv", (64, 2), {"stride": 2}, "deconv 64 2×2 /2"),
        ("maxpool", (3,), {"stride": 2}, "maxpool 3×3 /2"),
        ("adaptiveavgpool", ([6, 6],), {}, "adaptiveavgpool 6×6"),
        ("upsample", (2,), {"mode": "linear"}, "upsample ×2 linear"),
        ("embedding", (1000, 64), {}, "embedding 1000→64"),
        ("lstm", (128,), {"layers": 2, "bidirectional": True}, "lstm 128 ×2 bi"),
        ("gru", (64,), {"output": "final"}, "gru 64 final"),
        ("groupnorm", (32,), {}, "groupnorm 32"),
        ("dropout", (0.3,), {}, "dropout 0.3"),
        ("mean", (0,), {}, "mean dim 0"),
        ("attention", (8,), {"causal": True}, "attention 8 heads causal"),
        ("droppath", (0.1,), {}, "droppath 0.1"),
        ("select", (0,), {}, "select 0"),
        ("slice", (1, 5), {}, "slice 1:5"),
        ("chunk", (2, 1), {}, "chunk 1 of 2"),
        ("param", ([1, 768],), {}, "param [1, 768]"),
    ],
)
def test_describe(kind, args, kw, label):
    assert REGISTRY[kind].bind(list(args), kw).describe() == label


@pytest.mark.parametrize(
    "kind, args, kw, shape, label",
    [
        ("conv", (8, 3), {"stride": 2}, (3, "L"), "conv 8 3 /2"),
        ("conv", (8, 3), {}, (3, 4, 8, 8), "conv 8 3×3×3"),
        ("maxpool", (2,), {}, (3, 4, 8, 8), "maxpool 2×2×2 /2"),
        ("adaptiveavgpool", (4,), {}, (3, "L"), "adaptiveavgpool 4"),
        ("deconv", (8, 2), {"stride": 2}, (3, 8), "deconv 8 2 /2"),
    ],
)
def test_describe_draws_the_kernel_in_the_input_rank(kind, args, kw, shape, label):
    layer, _, _ = infer(kind, *args, shape=shape, **kw)
    assert layer.describe() == label


@pytest.mark.parametrize(
    "kind, args, kw, source",
    [
        ("sepconv", (8, 3), {"stride": 2},
         "nn.Sequential(nn.Conv2d(4, 4, 3, stride=2, groups=4, bias=False), nn.Conv2d(4, 8, 1, bias=False))"),
        ("embedding", (50, 8), {}, "nn.Embedding(50, 8, padding_idx=0)"),
        ("lstm", (6,), {"layers": 2, "dropout": 0.5, "bidirectional": True},
         "nn.LSTM(4, 6, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)"),
        ("rnn", (6,), {"nonlinearity": "relu"}, "nn.RNN(4, 6, nonlinearity='relu', batch_first=True)"),
        ("upsample", (2,), {"mode": "linear"}, "nn.Upsample(scale_factor=2.0, mode='bilinear')"),
        ("deconv", (2, 3), {"stride": 2, "output_padding": 1}, "nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)"),
    ],
)
def test_generated_constructor(kind, args, kw, source):
    shape = ("T", 4) if kind in ("lstm", "rnn") else ("T",) if kind == "embedding" else (4, 8, 8)
    layer, x, _ = infer(kind, *args, shape=shape, dtype="int" if kind == "embedding" else "float",
                        pad=0 if kind == "embedding" else None, **kw)
    assert layer.torch_module(x) == source


def test_sepconv_parameter_order_is_depthwise_then_pointwise():
    layer, x, _ = infer("sepconv", 8, 3, shape=(4, 8, 8), bias=True)
    module = eval(layer.torch_module(x), namespace(layer))
    assert [(n, tuple(p.shape)) for n, p in module.named_parameters()] == [
        ("0.weight", (4, 1, 3, 3)),
        ("1.weight", (8, 4, 1, 1)),
        ("1.bias", (8,)),
    ]


# -- padded sequences: the real last step, not the padding ---------------------------------


def run(kind, *args, shape=("T", 3), lengths=(6, 3), **kw):
    """Run a layer on a padded batch; return it with the output of each sequence run alone."""
    torch.manual_seed(1)
    layer, x, _ = infer(kind, *args, shape=shape, pad=0, **kw)
    ns = namespace(layer)
    source = layer.torch_module(x)
    ns["m"] = eval(source, ns) if source else None
    steps = max(lengths)
    batch = torch.randn(len(lengths), steps, shape[1])
    for i, n in enumerate(lengths):
        batch[i, n:] = 0.0
    ns.update(x=batch, lengths=torch.tensor(lengths))
    masked_expr = layer.torch_forward("m", ["x"], [x], "lengths")
    plain_expr = layer.torch_forward("m", ["x"], [TensorType(x.shape)], None)
    with torch.no_grad():
        together = eval(masked_expr, ns)
        alone = []
        for i, n in enumerate(lengths):
            ns["x"] = batch[i : i + 1, :n]
            alone.append(eval(plain_expr, ns)[0])
    return together, alone


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_final_skips_padding(kind, bidirectional):
    together, alone = run(kind, 5, layers=2, bidirectional=bidirectional, output="final")
    for i, y in enumerate(alone):
        torch.testing.assert_close(together[i], y)


def test_recurrent_sequence_keeps_length_and_zeroes_padding():
    together, alone = run("lstm", 4, bidirectional=True)
    assert together.shape == (2, 6, 8)
    torch.testing.assert_close(together[1, :3], alone[1])
    assert torch.all(together[1, 3:] == 0)


@pytest.mark.parametrize("kind, args", [("last", ()), ("mean", (0,)), ("max", (0,))])
def test_reductions_over_time_skip_padding(kind, args):
    together, alone = run(kind, *args)
    for i, y in enumerate(alone):
        torch.testing.assert_close(together[i], y)


# -- errors: the constraint and the value received ---------------------------------------------


@pytest.mark.parametrize(
    "kind, args, kw, message",
    [
        ("conv", (0, 3), {}, "`out` must be greater than 0, got 0"),
        ("conv", (8, 3), {"padding": -1}, "`padding` must be zero or more, got -1"),
        ("conv", (8, 3), {"padding": "full"}, "`padding` of `conv` must be an integer, a list of integers or `same` or `valid`, got full"),
        ("sepconv", (8, 3), {"groups": 2}, "`sepconv` has no argument `groups`; its arguments are out, kernel, stride, padding, dilation, bias"),
        ("deconv", (8, 0), {}, "`kernel` must be positive, got 0"),
        ("adaptiveavgpool", ([2, 0],), {}, "`size` must be positive, got [2, 0]"),
        ("upsample", (0,), {}, "`scale` must be positive, got 0"),
        ("upsample", (2,), {"mode": "area"}, "`mode` of `upsample` must be `nearest` or `linear` or `bilinear` or `bicubic` or `trilinear`, got area"),
        ("embedding", (100,), {}, "`embedding` needs the argument `dim`"),
        ("lstm", (64,), {"dropout": 0.2}, "`dropout` acts between stacked layers, so it does nothing with `layers=1` (got dropout=0.2)"),
        ("lstm", (64,), {"output": "last"}, "`output` of `lstm` must be `sequence` or `final` or `state`, got last"),
        ("rnn", (8,), {"nonlinearity": "sigmoid"}, "`nonlinearity` of `rnn` must be `tanh` or `relu`, got sigmoid"),
        ("gru", (8,), {"layers": 0}, "`layers` must be greater than 0, got 0"),
        ("groupnorm", (0,), {}, "`groups` must be greater than 0, got 0"),
        ("dropout", (1.5,), {}, "`p` must be at most 1, got 1.5"),
        ("batchnorm", (), {"eps": 0}, "`eps` must be greater than 0, got 0"),
        ("mean", (), {}, "`mean` needs the argument `dim`"),
        ("dropout", (True,), {}, "`p` of `dropout` must be a number, got true"),
        ("upsample", ([],), {}, "`scale` must not be an empty list"),
        ("upsample", ([2, "a"],), {}, "`scale` of `upsample` must be a number or a list of numbers, got [2, a]"),
        ("conv", (8, []), {}, "`kernel` must not be an empty list"),
        ("attention", (0,), {}, "`heads` must be greater than 0, got 0"),
        ("droppath", (), {}, "`droppath` needs the argument `p`"),
        ("param", ([2, 0],), {}, "`shape` must list positive sizes, got [2, 0]"),
        ("split", ([2, -1], 0), {}, "`sizes` must be positive, got [2, -1]"),
        ("slice", (0, 4, 0), {}, "`step` must be greater than 0, got 0"),
    ],
)
def test_argument_errors(kind, args, kw, message):
    with pytest.raises(ArgError) as e:
        REGISTRY[kind].bind(list(args), kw)
    assert e.value.message == message


@pytest.mark.parametrize(
    "kind, args, kw, shape, dtype, pad, message, arg",
    [
        ("conv", (8, 3), {}, ("T", 8, 8), "float", None,
         "the input channels of `conv` must be a known size, but it is `T`, which varies between batches", None),
        ("conv", (8, 3), {"stride": 2, "padding": "same"}, (3, 8, 8), "float", None,
         "`padding=same` needs stride 1 (as in PyTorch)", "padding"),
        ("sepconv", (8, 5), {}, (3, 4, 4), "float", None,
         "the window (5 with dilation 1) is larger than the padded input (4)", "kernel"),
        ("deconv", (8, 3), {"stride": 2, "output_padding": 2}, (3, 8, 8), "float", None,
         "`output_padding` must be smaller than the stride (2), got 2", "output_padding"),
        ("deconv", (8, 1), {"padding": 1}, (3, 1, 1), "float", None,
         "the padding (1) leaves no output from an input of length 1", "padding"),
        ("adaptivemaxpool", ([2, 2],), {}, (3, 8), "float", None,
         "`size` has 2 entries but the input has 1 spatial dimensions", "size"),
        ("globalavgpool", (), {}, (64,), "float", None, "`globalavgpool` needs a 2-d, 3-d or 4-d input, got [64]", None),
        ("upsample", (1.5,), {}, (3, "L"), "float", None,
         "scaling the length `L`, which varies between batches, by 1.5 has no exact size", "scale"),
        ("upsample", (2,), {"mode": "bilinear"}, (3, 8), "float", None,
         "`mode=bilinear` works on 2 spatial dimensions, but the input [3, 8] has 1", "mode"),
        ("embedding", (100, 8), {}, ("T", 16), "float", None,
         "`embedding` looks up token ids, but its input [T, 16] holds float values", None),
        ("embedding", (100, 8), {}, ("T",), "int", 100,
         "the input's padding id 100 is not a token of a vocabulary of 100", "vocab"),
        ("lstm", (8,), {}, ("T", 3, 32, 32), "float", None, "`lstm` needs a sequence [T, F], got [T, 3, 32, 32]", None),
        ("gru", (8,), {}, (5, "F"), "float", None,
         "the feature dimension of `gru` must be a known size, but it is `F`, which varies between batches", None),
        ("layernorm", (), {}, ("T", "F"), "float", None,
         "the last dimension of `layernorm` must be a known size, but it is `F`, which varies between batches", None),
        ("groupnorm", (4,), {}, (6, 8, 8), "float", None,
         "`groups=4` must divide the 6 channels of the input [6, 8, 8]", "groups"),
        ("lrn", (3,), {}, (16,), "float", None, "`lrn` needs a [C, ...] input with positions, got [16]", None),
        ("mean", (2,), {}, ("T", 5), "float", None, "`dim=2` is out of range for an input with 2 dimensions", "dim"),
        ("last", (), {}, (), "float", None, "`last` needs a sequence [T, ...], got []", None),
        ("attention", (5,), {}, ("T", 64), "float", None, "`heads=5` must divide the 64 features of the input [T, 64]",
         "heads"),
        ("attention", (2,), {}, (3, 8, 8), "float", None, "`attention` needs a sequence [T, D], or groups of them with the features last (windows [N, 49, C] "
         "of a channels-last image), got [3, 8, 8]", None),
        ("select", (3,), {}, (3, 8), "float", None,
         "`select(3)` is out of range for dimension 0 of [3, 8], which has 3 entries", "index"),
        ("select", (1,), {}, ("T", 8), "float", None,
         "`select(1)` on the size `T`, which varies between batches, may be out of range", "index"),
        ("select", (-1,), {}, ("T", 8), "float", 0,
         "`select` along the time dimension of a padded sequence [T, 8] would lose track of where each "
         "sequence's padding starts", "dim"),
        ("slice", (0, 4), {}, ("T", 8), "float", None,
         "slicing the size `T`, which varies between batches, needs a start of 0 or more and no end", "end"),
        ("slice", (5,), {}, (3, 8), "float", None, "the slice 5: of a size 3 is empty", "start"),
        ("chunk", (4, 3), {}, (6, 8), "float", None,
         "`chunk` makes 3 pieces (2, 2, 2), so there is no piece 3", "index"),
        ("split", ([2, 2], 0), {}, (6, 8), "float", None,
         "the sizes [2, 2] add up to 4, but dimension 0 of [6, 8] has 6 entries", "sizes"),
        ("channelshuffle", (4,), {}, (6, 8, 8), "float", None,
         "`groups=4` must divide the 6 channels of the input [6, 8, 8]", "groups"),
        ("reshape", (["T", "H"],), {}, (Sym.symbol("T") * Sym.symbol("H"),), "float", None,
         ("reshaping [H*T] to [T, H] leaves more than one size that is neither fixed nor an input dimension, "
         "so it cannot be computed when the model runs"), "dims"),
    ],
)
def test_shape_errors(kind, args, kw, shape, dtype, pad, message, arg):
    layer = REGISTRY[kind].bind(list(args), kw)
    x = TensorType(tuple(Sym.symbol(d) if isinstance(d, str) else d for d in shape), dtype, pad is not None, pad)
    with pytest.raises(ShapeError) as e:
        layer.infer(x)
    assert (e.value.message, e.value.arg) == (message, arg)


def test_groupnorm_hint_lists_divisors():
    with pytest.raises(ShapeError) as e:
        infer("groupnorm", 4, shape=(6, 8, 8))
    assert e.value.hint == "divisors of 6: 1, 2, 3, 6"


def test_embedding_keeps_the_mask_and_drops_the_pad_id():
    _, _, y = infer("embedding", 100, 8, shape=("T",), dtype="int", pad=0)
    assert (y.dtype, y.masked, y.pad) == ("float", True, None)
    _, _, z = infer("lstm", 4, shape=("T", 8), pad=0, output="final")
    assert not z.masked


def test_shape_only_layers_keep_token_ids():
    _, _, f = infer("flatten", shape=("T",), dtype="int", pad=0)
    assert (f.dtype, f.masked, f.pad) == ("int", True, 0)
    _, _, g = infer("flatten", shape=("T", 4), dtype="int", pad=0)
    assert (str(g), g.masked, g.pad) == ("[4*T] int", False, None)
    _, _, r = infer("reshape", ["T", 2, 2], shape=("T", 4), dtype="int", pad=0)
    assert (r.dtype, r.masked, r.pad) == ("int", True, 0)


def test_a_declared_pad_reaches_the_embedding():
    import nnspec

    spec = nnspec.load("network N {\n  input tokens: [T] int pad=3\n  embedding(10, 4) -> lstm(8, output=final)\n}\n")
    graph = spec.checked_graph()
    emb = next(n for n in graph.nodes if n.op == "embedding")
    source = emb.layer.torch_module(graph.nodes[emb.inputs[0]].out)
    assert source == "nn.Embedding(10, 4, padding_idx=3)"
    lstm = next(n for n in graph.nodes if n.op == "lstm")
    assert graph.nodes[lstm.inputs[0]].out.masked and str(lstm.out) == "[8]"


@pytest.mark.parametrize(
    "kind, shapes",
    [
        ("add", [(4, 5, 6), (4, 1, 1)]),
        ("mul", [(4, 5, 6), (4, 1, 1)]),
        ("add", [(3, 8), (8,)]),
        ("mul", [(8,), (3, 8)]),
        ("add", [(4, 5, 6)] * 3),
        ("concat", [(4, 5, 6), (2, 5, 6), (1, 5, 6)]),
    ],
    ids=str,
)
def test_merges_match_pytorch(kind, shapes):
    layer = REGISTRY[kind].bind([], {})
    types = [TensorType(s) for s in shapes]
    y = layer.infer_many(types)
    names = [f"x{i}" for i in range(len(shapes))]
    ns = {"torch": torch, **{n: torch.randn(2, *s) for n, s in zip(names, shapes)}}
    out = eval(layer.torch_forward(None, names, types), ns)
    assert tuple(out.shape) == (2, *y.shape)


# -- random windows: whatever the shape rule accepts, PyTorch computes the same shape ------------


@st.composite
def windowed(draw):
    kind = draw(st.sampled_from(["conv", "sepconv", "deconv", "maxpool", "avgpool"]))
    rank = draw(st.integers(1, 3))
    size = tuple(draw(st.integers(1, 9)) for _ in range(rank))
    channels = draw(st.sampled_from([2, 4]))
    kernel = draw(st.integers(1, 4))
    kw = {"stride": draw(st.integers(1, 3)), "padding": draw(st.integers(0, 2))}
    if kind in ("conv", "sepconv"):
        kw["dilation"] = draw(st.integers(1, 2))
    if kind == "conv":
        kw["groups"] = draw(st.sampled_from([1, 2]))
    if kind == "deconv":
        kw["output_padding"] = draw(st.integers(0, kw["stride"] - 1))
    if kind in ("maxpool", "avgpool"):
        kw["ceil"] = draw(st.booleans())
        kw["padding"] = min(kw["padding"], kernel // 2)
        return kind, (kernel,), kw, (channels, *size)
    return kind, (draw(st.sampled_from([2, 4])), kernel), kw, (channels, *size)


@settings(max_examples=120, deadline=None)
@given(windowed())
def test_random_windows_match_pytorch(case):
    kind, args, kw, shape = case
    layer = REGISTRY[kind].bind(list(args), kw)
    x = TensorType(shape)
    module = eval(layer.torch_module(x), namespace(layer))
    try:
        y = layer.infer(x)
    except ShapeError:
        # a window larger than its input, or a transposed padding that eats the output:
        # PyTorch refuses it too, or gives an empty output
        try:
            out = module(torch.randn(1, *shape))
        except RuntimeError:
            return
        assert out.numel() == 0
        return
    with torch.no_grad():
        out = module(torch.randn(1, *shape))
    assert tuple(out.shape) == (1, *y.shape)
    assert layer.param_count(x) == sum(p.numel() for p in module.parameters())


# -- the kinds of modern networks: values, not only shapes -------------------------------------


def module_and_forward(kind, *args, shape, **kw):
    """The layer's module and a function running its forward expression on tensors."""
    layer, x, _ = infer(kind, *args, shape=shape, **kw)
    ns = namespace(layer)
    source = layer.torch_module(x)
    ns["m"] = eval(source, ns) if source else None

    def forward(*tensors, lengths=None, types=None):
        names = [f"x{i}" for i in range(len(tensors))]
        ns.update(zip(names, tensors), lengths=lengths)
        return eval(layer.torch_forward("m", names, types or [x] * len(tensors), "lengths" if lengths is not None else None), ns)

    return ns["m"], forward


def test_droppath_is_the_identity_in_eval_and_drops_whole_samples_in_training():
    module, forward = module_and_forward("droppath", 0.5, shape=(3, 4, 4))
    x = torch.randn(64, 3, 4, 4)
    module.eval()
    assert forward(x) is x
    module.train()
    torch.manual_seed(0)
    y = forward(x)
    kept = [bool((y[i] != 0).any()) for i in range(64)]
    for i in range(64):  # each sample is dropped whole, or kept and scaled by 1 / (1 - p)
        torch.testing.assert_close(y[i], x[i] * 2.0 if kept[i] else torch.zeros_like(x[i]))
    assert 16 < sum(kept) < 48
    torch.manual_seed(0)  # one Bernoulli draw per sample, in batch order
    keep = torch.empty(64, 1, 1, 1).bernoulli_(0.5)
    torch.testing.assert_close(y, x * keep / 0.5)


def test_dropout_is_the_identity_in_eval_and_drops_elements_in_training():
    module, forward = module_and_forward("dropout", 0.25, shape=(3, 8))
    x = torch.randn(16, 3, 8)
    module.eval()
    torch.testing.assert_close(forward(x), x)
    module.train()
    y = forward(x)
    zeros = (y == 0).float().mean().item()
    assert 0.1 < zeros < 0.4
    torch.testing.assert_close(y[y != 0], (x / 0.75)[y != 0])


def test_channelshuffle_interleaves_the_groups():
    _, forward = module_and_forward("channelshuffle", 3, shape=(6, 2, 2))
    x = torch.arange(6.0).reshape(1, 6, 1, 1).expand(1, 6, 2, 2)
    assert forward(x)[0, :, 0, 0].tolist() == [0, 2, 4, 1, 3, 5]


@pytest.mark.parametrize(
    "kind, args, kw, expected",
    [
        ("select", (1,), {}, lambda x: x[:, 1]),
        ("select", (-1,), {"dim": -1}, lambda x: x[:, :, -1]),
        ("slice", (1, 5, 2), {"dim": 1}, lambda x: x[:, :, 1:5:2]),
        ("slice", (-2,), {}, lambda x: x[:, 3:]),
        ("chunk", (2, 1), {}, lambda x: x[:, 3:]),
        ("chunk", (4, -1), {"dim": 1}, lambda x: x[:, :, 6:]),
        ("split", ([1, 4], 1), {}, lambda x: x[:, 1:]),
        ("split", (3, 2), {"dim": 1}, lambda x: x[:, :, 6:]),
    ],
    ids=str,
)
def test_pieces_are_the_indexed_entries(kind, args, kw, expected):
    _, forward = module_and_forward(kind, *args, shape=(5, 8), **kw)
    x = torch.randn(2, 5, 8)
    torch.testing.assert_close(forward(x), expected(x))


def test_param_is_the_same_learned_tensor_for_every_sample():
    module, forward = module_and_forward("param", [2, 3], shape=(7,), std=0.5, init=1.0)
    assert tuple(module.weight.shape) == (1, 2, 3)
    y = forward(torch.randn(4, 7))
    assert y.shape == (4, 2, 3) and torch.equal(y[0], y[3]) and torch.equal(y[0], module.weight[0])
    assert abs(module.weight.mean().item() - 1.0) < 1.0 and module.weight.std().item() > 0
    scale, _ = module_and_forward("param", [4, 1, 1], shape=(4, 5, 5), init=1e-6, batch=False)
    assert tuple(scale.weight.shape) == (4, 1, 1) and torch.all(scale.weight == 1e-6)
    zero, _ = module_and_forward("param", [1, 8], shape=(8, 8))
    assert torch.all(zero.weight == 0)


def test_attention_equals_multihead_attention_and_its_parameter_layout():
    module, forward = module_and_forward("attention", 4, shape=(5, 8))
    assert [(k, tuple(p.shape)) for k, p in module.named_parameters()] == [
        ("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("out_proj.weight", (8, 8)), ("out_proj.bias", (8,))]
    x = torch.randn(2, 5, 8)
    module.eval()
    torch.testing.assert_close(forward(x), module(x, x, x, need_weights=False)[0])


def test_causal_attention_never_looks_ahead():
    module, forward = module_and_forward("attention", 2, shape=("T", 8), causal=True)
    module.eval()
    x = torch.randn(1, 6, 8)
    changed = x.clone()
    changed[:, 4:] = torch.randn(1, 2, 8)
    a, b = forward(x), forward(changed)
    torch.testing.assert_close(a[:, :4], b[:, :4])
    assert not torch.allclose(a[:, 4:], b[:, 4:])


def test_attention_over_a_padded_sequence_ignores_the_padding():
    layer, x, _ = infer("attention", 2, shape=("T", 8), pad=0)
    ns = namespace(layer)
    module = eval(layer.torch_module(x), ns)
    module.eval()
    ns["m"] = module
    batch = torch.randn(2, 6, 8)
    batch[1, 4:] = 0.0
    ns.update(x=batch, lengths=torch.tensor([6, 4]))
    together = eval(layer.torch_forward("m", ["x"], [x], "lengths"), ns)
    ns["x"] = batch[1:, :4]
    alone = eval(layer.torch_forward("m", ["x"], [TensorType(x.shape)], None), ns)
    torch.testing.assert_close(together[1:, :4], alone)


def test_cross_attention_attends_to_the_named_value():
    import nnspec

    spec = nnspec.load("network X {\n  input q: [4, 8]\n  input kv: [6, 8]\n  let m = kv -> layernorm\n"
                       "  q -> attention(2, m)\n}\n")
    assert str(spec.checked_graph().nodes[-1].out) == "[4, 8]"
    model = spec.build().eval()
    q, kv = torch.randn(3, 4, 8), torch.randn(3, 6, 8)
    mha, norm = model.get_submodule("1"), model.get_submodule("0")
    torch.testing.assert_close(model(q, kv), mha(q, norm(kv), norm(kv), need_weights=False)[0])


def test_prelu_per_channel_slopes():
    module, forward = module_and_forward("prelu", shape=(3, 4), channels=True, init=0.5)
    with torch.no_grad():
        module.weight.copy_(torch.tensor([0.1, 0.2, 0.3]))
    x = -torch.ones(1, 3, 4)
    torch.testing.assert_close(forward(x)[0, :, 0], torch.tensor([-0.1, -0.2, -0.3]))


def test_attention_macs_count_the_attended_sequence():
    layer = REGISTRY["attention"].bind([4], {})
    q, kv = TensorType((Sym.symbol("T"), 64)), TensorType((Sym.symbol("S"), 64))
    y = layer.infer_many([q, kv])
    assert evaluate(layer.macs(q, y), {"T": 3, "S": 5}) == 2 * 3 * 64 * 64 + 2 * 5 * 64 * 64 + 2 * 3 * 5 * 64
    self_attention = REGISTRY["attention"].bind([4], {})
    y = self_attention.infer(q)
    assert evaluate(self_attention.macs(q, y), {"T": 7}) == 4 * 7 * 64 * 64 + 2 * 7 * 7 * 64
