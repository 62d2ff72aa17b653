"""Language v3: the defects of v2 fixed (channels-last values, unread inputs, a misspelt size in
``reshape``, strings in conditions), constant arithmetic, positions and sinusoidal tables, and
LeNet-5 as published, each measured against hand-written PyTorch."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from compile_support import assert_source_and_module_agree
from twins.lenet5 import LeNet5

import nnspec
from nnspec.frontend.fmt import format_source

ROOT = Path(__file__).resolve().parent.parent


def load(text: str):
    spec = nnspec.load(text)
    errors = [d for d in spec.check() if d.severity == "error"]
    assert not errors, "\n".join(d.message for d in errors)
    return spec


def problems(text: str) -> list[tuple]:
    return [(d.severity, d.message, d.hint, d.span.line, d.span.col) for d in nnspec.load(text).check()]


def same_weights(spec_model: torch.nn.Module, twin: torch.nn.Module) -> None:
    """The twin's weights loaded into the spec's model (by order and shape)."""
    nnspec.load_weights(spec_model, twin.state_dict())


# -- channels-last values keep their mark ------------------------------------------------------
CHANNELS_LAST = """
network Windows {
  input x: [8, 4, 6]
  conv(8, 3, padding=1) -> permute([1, 2, 0])
  residual { layernorm -> dense(16) -> gelu -> dense(8) }
  concat(dim=-1) { | slice(0, 4, dim=-1) | slice(4, dim=-1) -> dense(4) }
  slice(1) -> add { | identity | dense(8) }
  reshape([3, 2, 3, 8]) -> dense(5)
  select(0) -> dense(2)
}
"""


def test_a_channels_last_value_stays_so_through_residual_add_concat_slices_and_reshape():
    spec = load(CHANNELS_LAST)
    graph = spec.checked_graph()
    dense = [n for n in graph.nodes if n.op == "dense"]
    assert [n.out.shape for n in dense] == [(4, 6, 16), (4, 6, 8), (4, 6, 4), (3, 6, 8), (3, 2, 3, 5), (2, 3, 2)]
    assert [n.params for n in dense] == [8 * 16 + 16, 16 * 8 + 8, 4 * 4 + 4, 8 * 8 + 8, 8 * 5 + 5, 5 * 2 + 2]
    assert graph.total_params == 8 * 8 * 9 + 8 + 16 + 144 + 136 + 20 + 72 + 45 + 12
    model = spec.build()
    model.eval()
    p = dict(model.named_parameters())
    x = torch.randn(2, 8, 4, 6)

    def lin(v, i):
        return F.linear(v, p[f"{dense[i].name}.weight"], p[f"{dense[i].name}.bias"])

    y = F.conv2d(x, p["0.weight"], p["0.bias"], padding=1).permute(0, 2, 3, 1)
    y = y + lin(F.gelu(lin(F.layer_norm(y, (8,), p["2.weight"], p["2.bias"]), 0)), 1)
    y = torch.cat([y[..., :4], lin(y[..., 4:], 2)], dim=-1)[:, 1:]
    y = y + lin(y, 3)
    y = lin(y.reshape(2, 3, 2, 3, 8), 4)
    with torch.no_grad():
        assert torch.allclose(model(x), lin(y[:, 0], 5), atol=1e-5)
    assert_source_and_module_agree(spec)


def test_a_reshape_that_moves_the_channels_or_a_select_of_them_is_no_longer_channels_last():
    for tail, shape in (("reshape([4, 48])", "[4, 6, 8]"), ("select(0, dim=-1) -> reshape([2, 2, 6])", "[2, 2, 6]")):
        spec = nnspec.load(f"network N {{\n  input x: [8, 4, 6]\n  permute([1, 2, 0]) -> {tail} -> dense(3)\n}}\n")
        errors = [d.message for d in spec.check() if d.severity == "error"]
        if tail.startswith("reshape([4"):  # [4, 48] is a sequence: dense acts on it
            assert errors == []
        else:
            assert errors == [f"`dense` acts on the last dimension, but its input {shape} looks like an image"]


# -- unread inputs are warnings -----------------------------------------------------------------
def test_a_block_that_never_reads_its_input_is_a_warning_once_at_its_definition():
    text = ("block Mix(c, e) {\n  let t = e -> dense(c)\n  t -> relu\n}\n"
            "network N {\n  input x: [4]\n  let a = x -> dense(4)\n  a -> Mix(4, a) -> Mix(4, a)\n}\n")
    assert problems(text) == [(
        "warning", "block `Mix` never reads its input",
        "a chain in a block starts from the block's input unless it starts from a name (`let t = e -> ...` starts from `e`)",
        1, 7)]


def test_a_network_input_never_read_is_a_warning_at_the_input():
    text = "network N {\n  input x: [4]\n  input mask: [4]\n  x -> dense(2)\n}\n"
    assert problems(text) == [
        ("warning", "input `mask` is never read", "start a chain from it (`mask -> ...`), or remove it", 3, 3)]
    # read by a merge, or a result itself: no warning
    assert problems("network N {\n  input x: [4]\n  input m: [4]\n  x -> add(m)\n}\n") == []
    assert problems("network N {\n  input x: [4]\n  input m: [4]\n  output a = x -> dense(2)\n  output b = m\n}\n") == []


# -- a misspelt size in reshape -----------------------------------------------------------------
def test_a_misspelt_size_in_reshape_is_an_error_naming_it_with_a_did_you_mean():
    text = ("block Flat on [C, H, W] {\n  reshape([c, H * W])\n}\n"
            "network N {\n  input x: [8, 4, 4]\n  Flat\n}\n")
    assert problems(text) == [(
        "error", "`c` in `reshape` is no parameter and no size of the input [8, 4, 4]", "did you mean `C`?", 2, 11)]
    # a size that varies still names an input dimension
    spec = load("network N {\n  input x: [T, 6]\n  reshape([T, 2, 3])\n}\n")
    assert spec.checked_graph().output_types()[0].shape[1:] == (2, 3)
    assert problems("network N {\n  input x: [T, 6]\n  reshape([S, 2, 3])\n}\n") == [(
        "error", "`S` in `reshape` is no parameter and no size of the input [T, 6]",
        "a name there is a parameter, or a size that varies (T)", 3, 11)]


# -- strings in conditions ----------------------------------------------------------------------
MODES = """\
block Act(mode = "relu") {
  if mode == "relu" { relu } else if mode != "tanh" { sigmoid } else { tanh }
}

network N(mode = "tanh") {
  input x: [4]
  Act -> Act(mode) -> Act("other")
}
"""


def test_a_condition_compares_strings():
    spec = load(MODES)
    assert [n.op for n in spec.checked_graph().nodes[1:]] == ["relu", "tanh", "sigmoid"]
    assert [n.op for n in spec.checked_graph(mode="relu").nodes[1:]] == ["relu", "relu", "sigmoid"]
    assert format_source(MODES) == MODES
    assert problems('network N {\n  input x: [4]\n  dense(2 * "a")\n}\n')[0][1] == "arithmetic needs numbers, got 'a'"


# -- constant arithmetic -------------------------------------------------------------------------
ARITHMETIC = """\
network Arithmetic {
  input x: [5, 6]
  scale(0.5) -> shift(-1) -> exp -> sqrt -> log -> pow(3) -> tanh(amplitude=1.7159, slope=2 / 3)
  gelu(approximate=tanh) -> normalize -> normalize(dim=0, eps=0.001)
  add {
    | sum(-1) -> reshape([5, 1])
    | mean(0) -> reshape([1, 6]) -> sum([0, 1]) -> reshape([1, 1]) -> pow(2)
  }
  max([0, 1])
}
"""


def test_constant_arithmetic_equals_torch_and_is_formatted_back():
    spec = load(ARITHMETIC)
    graph = spec.checked_graph()
    assert graph.total_params == 0 and graph.output_types()[0].shape == ()
    x = torch.randn(3, 5, 6)
    y = torch.pow(torch.log(torch.sqrt(torch.exp(x * 0.5 - 1))), 3)
    y = F.gelu(1.7159 * torch.tanh(2 / 3 * y), approximate="tanh")
    y = F.normalize(F.normalize(y, dim=-1), dim=1, eps=1e-3)
    y = y.sum(-1)[:, :, None] + y.mean(1).sum(1)[:, None, None].pow(2)
    with torch.no_grad():
        assert torch.allclose(spec.build()(x), y.amax((1, 2)), atol=1e-6)
    assert format_source(ARITHMETIC) == ARITHMETIC
    assert_source_and_module_agree(spec)
    assert "nn.Tanh" not in spec.to_source() and "1.7159 * torch.tanh(0.6666666666666666 * x)" in spec.to_source()


def test_a_sum_over_time_of_a_padded_sequence_counts_only_real_steps():
    spec = load("network N {\n  input t: [T] int pad=0\n  embedding(9, 3) -> sum(0)\n}\n")
    model = spec.build()
    ids = torch.tensor([[1, 2, 3], [4, 5, 0]])
    table = model.state_dict()["0.weight"]
    with torch.no_grad():
        assert torch.allclose(model(ids), torch.stack([table[[1, 2, 3]].sum(0), table[[4, 5]].sum(0)]))
    errors = problems("network N {\n  input t: [T] int pad=0\n  embedding(9, 3) -> sum([0, 1])\n}\n")
    assert errors[0][1:3] == (
        "`sum` over the time dimension of a padded sequence reduces it alone; the input is [T, 3]", "`sum(0)`, then the others")


# -- positions and sinusoids ----------------------------------------------------------------------
def whisper_table(length: int, channels: int) -> torch.Tensor:
    """Whisper's sinusoids: log-spaced frequencies, sines then cosines."""
    increment = math.log(10000) / (channels // 2 - 1)
    inv = torch.exp(-increment * torch.arange(channels // 2))
    angles = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class AudioEncoderTwin(torch.nn.Module):
    """A Whisper-style audio encoder, small: two convolutions, a fixed sinusoidal position
    table, a pre-norm transformer layer, a final norm."""

    def __init__(self, mels: int = 8, dim: int = 16, heads: int = 2):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(mels, dim, 3, padding=1)
        self.conv2 = torch.nn.Conv1d(dim, dim, 3, stride=2, padding=1)
        self.ln1 = torch.nn.LayerNorm(dim)
        self.attn = torch.nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln2 = torch.nn.LayerNorm(dim)
        self.fc1 = torch.nn.Linear(dim, 4 * dim)
        self.fc2 = torch.nn.Linear(4 * dim, dim)
        self.ln_post = torch.nn.LayerNorm(dim)
        self.dim = dim

    def forward(self, x):
        x = F.gelu(self.conv2(F.gelu(self.conv1(x)))).permute(0, 2, 1)
        x = x + whisper_table(x.shape[1], self.dim)
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        x = x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
        return self.ln_post(x)


AUDIO_ENCODER = """\
network AudioEncoder(mels = 8, dim = 16, heads = 2) {
  input audio: [mels, T]
  conv(dim, 3, padding=1) -> gelu -> conv(dim, 3, stride=2, padding=1) -> gelu -> permute([1, 0])
  add { | identity | positions -> sinusoid(dim) }
  residual { layernorm -> attention(heads) }
  residual { layernorm -> dense(4 * dim) -> gelu -> dense(dim) }
  layernorm
}
"""


@pytest.mark.parametrize("frames", [10, 7])
def test_a_whisper_style_encoder_with_a_sinusoidal_table_equals_its_twin(frames):
    spec = load(AUDIO_ENCODER)
    graph = spec.checked_graph()
    twin = AudioEncoderTwin()
    assert graph.total_params == sum(p.numel() for p in twin.parameters())
    assert graph.total_buffers == 8  # the frequencies: not in the state dict
    model = spec.build()
    assert "freqs" not in " ".join(model.state_dict())
    same_weights(model, twin)
    model.eval(), twin.eval()
    x = torch.randn(2, 8, frames)
    with torch.no_grad():
        assert torch.allclose(model(x), twin(x), atol=1e-5)
    assert_source_and_module_agree(spec)


class TimeEmbeddingTwin(torch.nn.Module):
    """A diffusion model's time embedding (DDPM's): sinusoids of the step, then an MLP, added
    to a feature map per channel."""

    def __init__(self, channels: int = 8, dim: int = 16):
        super().__init__()
        self.dim = dim
        self.fc1 = torch.nn.Linear(dim, 4 * dim)
        self.fc2 = torch.nn.Linear(4 * dim, channels)
        self.conv = torch.nn.Conv2d(3, channels, 3, padding=1)

    def forward(self, image, t):
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half) / (half - 1))
        angles = t[:, None].float() * freqs[None]
        emb = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
        emb = self.fc2(F.silu(self.fc1(emb)))
        return self.conv(image) + emb[:, :, None, None]


TIME_EMBEDDING = """\
network Denoise(channels = 8, dim = 16) {
  input image: [3, H, W]
  input t: [] int
  let time = t -> sinusoid(dim) -> dense(4 * dim) -> silu -> dense(channels) -> reshape([channels, 1, 1])
  image -> conv(channels, 3, padding=1) -> add(time)
}
"""


def test_a_diffusion_time_embedding_equals_its_twin():
    spec = load(TIME_EMBEDDING)
    twin = TimeEmbeddingTwin()
    model = spec.build()
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in twin.parameters())
    same_weights(model, twin)
    image, t = torch.randn(2, 3, 5, 6), torch.tensor([3, 917])
    with torch.no_grad():
        assert torch.allclose(model(image, t), twin(image, t), atol=1e-4)
    assert_source_and_module_agree(spec)


class TinyGPTTwin(torch.nn.Module):
    def __init__(self, vocab: int = 20, context: int = 12, dim: int = 8):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, dim)
        self.wpe = torch.nn.Embedding(context, dim)
        self.ln = torch.nn.LayerNorm(dim)
        self.fc = torch.nn.Linear(dim, 4 * dim)
        self.proj = torch.nn.Linear(4 * dim, dim)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        return x + self.proj(F.gelu(self.fc(self.ln(x)), approximate="tanh"))


def test_a_learned_position_table_is_cut_to_the_sequence_length():
    spec = load("network GPT(vocab = 20, context = 12, dim = 8) {\n  input ids: [T] int\n"
                "  add { | embedding(vocab, dim) | positions -> embedding(context, dim) }\n"
                "  residual { layernorm -> dense(4 * dim) -> gelu(approximate=tanh) -> dense(dim) }\n}\n")
    twin, model = TinyGPTTwin(), spec.build()
    same_weights(model, twin)
    for length in (1, 5, 12):
        ids = torch.randint(0, 20, (2, length))
        with torch.no_grad():
            assert torch.allclose(model(ids), twin(ids), atol=1e-6)
    # position 0 is a position, not padding, even when 0 pads the tokens
    graph = load("network N {\n  input ids: [T] int pad=0\n  positions -> embedding(4, 2)\n}\n").checked_graph()
    assert graph.nodes[1].out.pad is None and graph.nodes[1].out.masked


# -- LeNet-5 as published -------------------------------------------------------------------------
def test_lenet5_as_published_equals_its_twin():
    spec = nnspec.load(ROOT / "specs" / "lenet5.nn")
    graph = spec.checked_graph()
    twin = LeNet5()
    assert graph.total_params == sum(p.numel() for p in twin.parameters()) == 60_840
    assert [n.params for n in graph.nodes if n.op == "conv" and n.name.startswith("c3.")] == \
        [76] * 6 + [101] * 9 + [151]
    model = spec.build()
    same_weights(model, twin)
    model.eval(), twin.eval()
    x = torch.randn(4, 1, 32, 32)
    with torch.no_grad():
        y = model(x)
        assert y.shape == (4, 10)
        assert torch.allclose(y, twin(x), atol=1e-4)
    text = (ROOT / "specs" / "lenet5.nn").read_text()
    assert format_source(text) == text


# -- the new kinds export -------------------------------------------------------------------------
EXPORTED = """\
network Mix {
  input x: [T, 6]
  add { | identity | positions -> sinusoid(6) }
  scale(0.5) -> shift(1) -> pow(2) -> sqrt -> exp -> log -> normalize
  tanh(amplitude=1.7159, slope=2 / 3) -> gelu(approximate=tanh)
  permute([1, 0]) -> zeropad(2) -> conv(6, 3) -> permute([1, 0]) -> sum(0) -> dense(2)
}

network Resized {
  input image: [3, 13, 13]
  conv(4, 3, stride=2) -> resize(image, mode=bilinear) -> globalavgpool -> dense(2)
}
"""


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("name", ["Mix", "Resized", "lenet5"])
@pytest.mark.parametrize("fmt", ["onnx", "exported"])
def test_the_new_kinds_export_to_onnx_and_torch_export(name, fmt, tmp_path):
    import numpy as np

    from nnspec.train.exporting import export
    from nnspec.train.loop import fit
    from nnspec.train.sources import Raw

    spec = nnspec.load(ROOT / "specs" / "lenet5.nn") if name == "lenet5" else nnspec.load(EXPORTED)
    shape = {"Mix": (5, 6), "Resized": (3, 13, 13), "lenet5": (1, 32, 32)}[name]
    data = np.random.default_rng(0).random((4, *shape), dtype=np.float32)
    network = None if name == "lenet5" else name
    fit(spec, network, {}, {"epochs": 1, "batch_size": 2, "val_split": 0.0}, str(tmp_path), live=False,
        raw=Raw("x", np.array([0, 1, 0, 1]), [data]))
    result = export(spec, str(tmp_path / "last.pt"), fmt, str(tmp_path / f"model.{fmt}"), length=5)
    assert result.dynamic == (["batch", "T"] if name == "Mix" else ["batch"])
    assert result.difference is not None and result.difference < 1e-4


# -- resizing to another value's size, causal padding ---------------------------------------------
class SegmentationTwin(torch.nn.Module):
    """A DeepLabV3-style head over a stride-8 stem, upsampled to the input's size (torchvision's
    ``F.interpolate(x, size=input_shape, mode="bilinear", align_corners=False)``)."""

    def __init__(self, classes: int = 3):
        super().__init__()
        self.stem = torch.nn.Sequential(*[torch.nn.Conv2d(c, 8, 3, stride=2, padding=1) for c in (3, 8, 8)])
        self.aspp1 = torch.nn.Conv2d(8, 4, 1)
        self.aspp2 = torch.nn.Conv2d(8, 4, 3, padding=2, dilation=2)
        self.head = torch.nn.Conv2d(8, classes, 1)

    def forward(self, image):
        x = self.stem(image)
        x = self.head(torch.cat([self.aspp1(x), self.aspp2(x)], dim=1))
        return F.interpolate(x, size=image.shape[-2:], mode="bilinear", align_corners=False)


SEGMENTATION = """\
network Segment(classes = 3) {
  input image: [3, H, W]
  let features = image -> repeat 3 { conv(8, 3, stride=2, padding=1) }
  features -> concat {
    | conv(4, 1)
    | conv(4, 3, padding=2, dilation=2)
  } -> conv(classes, 1) -> resize(image, mode=bilinear)
}
"""


@pytest.mark.parametrize("size", [(37, 45), (64, 64), (9, 17)])
def test_a_segmentation_head_resized_to_the_input_equals_its_twin_at_any_size(size):
    spec = load(SEGMENTATION)
    graph = spec.checked_graph()
    assert str(graph.output_types()[0]) == "[3, H, W]"
    twin, model = SegmentationTwin(), spec.build()
    same_weights(model, twin)
    image = torch.randn(2, 3, *size)
    with torch.no_grad():
        y = model(image)
        assert y.shape == (2, 3, *size)
        assert torch.allclose(y, twin(image), atol=1e-6)
    assert_source_and_module_agree(spec)
    assert problems("network N {\n  input x: [3, 8]\n  input z: [2, 4, 4]\n  x -> resize(z)\n}\n") == [(
        "error", "`resize` of [3, 8] takes the size of a value of 2 dimensions (channels, then 1 spatial), "
        "got [2, 4, 4]", None, 4, 8)]


def test_a_causal_convolution_pads_the_past_at_any_length():
    spec = load("network TCN {\n  input x: [4, L]\n  zeropad(4) -> conv(6, 3, dilation=2) -> relu\n"
                "  zeropad(2) -> conv(6, 3)\n}\n")
    assert str(spec.checked_graph().output_types()[0]) == "[6, L]"
    model = spec.build()
    p = model.state_dict()
    for length in (1, 9):
        x = torch.randn(2, 4, length)
        y = F.conv1d(F.pad(x, [4, 0]), p["1.weight"], p["1.bias"], dilation=2).relu()
        y = F.conv1d(F.pad(y, [2, 0]), p["4.weight"], p["4.bias"])
        with torch.no_grad():
            assert torch.allclose(model(x), y, atol=1e-6)
        # causal: a change at the last step changes only the last output
        x2 = x.clone()
        x2[..., -1] += 1
        with torch.no_grad():
            assert torch.equal(model(x2)[..., :-1], model(x)[..., :-1])
    assert_source_and_module_agree(spec)


# -- sampling while training ----------------------------------------------------------------------
class VAETwin(torch.nn.Module):
    def __init__(self, dim: int = 8, latent: int = 2):
        super().__init__()
        self.enc = torch.nn.Linear(dim, 16)
        self.mu = torch.nn.Linear(16, latent)
        self.logvar = torch.nn.Linear(16, latent)
        self.dec = torch.nn.Linear(latent, dim)

    def forward(self, x):
        h = torch.relu(self.enc(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(logvar / 2) if self.training else mu
        return torch.sigmoid(self.dec(z))


VAE = """\
network VAE(dim = 8, latent = 2) {
  input x: [dim]
  let h = x -> dense(16) -> relu
  let mu = h -> dense(latent)
  h -> dense(latent) -> scale(0.5) -> exp -> mul { | identity | noise } -> add(mu)
  dense(dim) -> sigmoid
}
"""


def test_a_vae_samples_while_training_seeded_and_gives_its_mean_in_evaluation():
    spec = load(VAE)
    twin, model = VAETwin(), spec.build()
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in twin.parameters())
    same_weights(model, twin)
    x = torch.randn(4, 8)
    model.eval(), twin.eval()
    with torch.no_grad():
        assert torch.allclose(model(x), twin(x), atol=1e-6)
        model.train(), twin.train()
        torch.manual_seed(3)
        a = model(x)
        torch.manual_seed(3)
        assert torch.allclose(a, twin(x), atol=1e-6)
        assert not torch.allclose(a, model(x))  # another draw
    assert_source_and_module_agree(spec)
