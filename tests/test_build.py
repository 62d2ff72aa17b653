"""Live modules: every layer kind and every spec builds with the inferred shapes and counts;
padding changes nothing; checkpoints load; export, script and autocast work."""

from __future__ import annotations

import glob
import inspect
import os
import traceback
import warnings

import pytest
import torch
from compile_support import check_module, check_scripts_and_exports, inputs, symbols, zoo_at

import nnspec
from nnspec.backends.builder import check_memory
from nnspec.backends.weights import WeightsError, load_weights
from nnspec.core.layers import user_kinds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# One small use of every layer kind a spec may call: (input declaration, chain), declared by
# the kind itself.
KINDS = {kind: cls.example for kind, cls in user_kinds().items()}


def spec_files() -> list[str]:
    files = sorted(glob.glob(os.path.join(ROOT, "specs", "*.nn")) + glob.glob(os.path.join(ROOT, "tests", "**", "*.nn"),
                                                                              recursive=True))
    return [os.path.relpath(f, ROOT) for f in files]


def clean_networks() -> list[tuple[str, str]]:
    """(file, network) for every network of every spec that checks clean."""
    out = []
    for path in spec_files():
        try:
            spec = nnspec.load(os.path.join(ROOT, path))
        except nnspec.SpecError:
            continue  # unreadable on purpose (error fixtures)
        if any(d.severity == "error" for d in spec.program.diagnostics):
            continue
        for name in spec.networks:
            if spec.graph(name).ok:
                out.append((path, name))
    return out


def test_every_kind_declares_its_own_example():
    for kind, cls in user_kinds().items():
        assert "example" in vars(cls), f"`{kind}` declares no example"
        _, chain = cls.example
        assert kind in chain


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_builds_with_inferred_shapes_and_counts(kind):
    decl, chain = KINDS[kind]
    spec = nnspec.load(f"network K {{\n  input x: {decl}\n  {chain}\n}}\n")
    graph = spec.checked_graph()
    assert any(n.op == kind for n in graph.nodes)
    module = spec.build()
    env = dict.fromkeys(symbols(graph), 6)  # T, L, H, W: every size the example leaves open
    check_module(graph, module, env)
    check_scripts_and_exports(graph, module, env)


# Forward passes of the big ones cost seconds on a CPU: they are only instantiated.
BIG = {"AlexNet", "VGG16", "ResNet50", "ResNet152", "Xception", "GoogLeNet", "ViT_B_16", "ConvNeXt_Tiny", "Swin_T", "GPT2",
       "DeepLabV3"}


@pytest.mark.parametrize("path,network", clean_networks())
def test_spec_builds_with_inferred_shapes_and_counts(path, network):
    spec = nnspec.load(os.path.join(ROOT, path))
    graph = spec.checked_graph(network)
    module = spec.build(network)
    if network in BIG:
        assert sum(p.numel() for p in module.parameters()) == graph.total_params
        assert sum(b.numel() for b in module.buffers()) == graph.total_buffers
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script is deprecated, not gone
            scripted = torch.jit.script(module)
        assert list(scripted.state_dict()) == list(module.state_dict())
    else:
        check_module(graph, module)
        check_scripts_and_exports(graph, module)


PUBLISHED = {
    "alexnet.nn": 61_100_840,
    "vgg16.nn": 138_357_544,
    "googlenet.nn": 6_624_904,
    "resnet50.nn": 25_557_032,
    "resnet152.nn": 60_192_808,
    "xception.nn": 22_855_952,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_zoo_builds_with_published_parameter_count(name):
    path = os.path.join(ROOT, "specs", name)
    module = nnspec.build(path)
    assert sum(p.numel() for p in module.parameters()) == PUBLISHED[name]


def test_resnet50_forward_at_64px():
    spec = zoo_at(os.path.join(ROOT, "specs", "resnet50.nn"), 64)
    module = spec.build()
    module.eval()
    with torch.no_grad():
        y = module(torch.randn(1, 3, 64, 64))
    assert y.shape == (1, 1000)
    keys = list(module.state_dict())
    assert keys[0].endswith("conv1.weight") and "layer1.0.conv1.weight" in keys and keys[-1] == "fc.bias"


def test_deeplabv3_scores_every_pixel_at_a_size_no_stride_divides():
    """The features are 1/8 of the image (5×6 of 33×41), and the head's scores are resized to
    the image bilinearly (tools/zoo_reference.py compares the whole with torchvision's)."""
    spec = nnspec.load(os.path.join(ROOT, "specs", "deeplabv3_resnet50.nn"))
    graph = spec.checked_graph(height=33, width=41)
    assert [str(t) for t in graph.output_types()] == ["[21, 33, 41]"]
    assert str(next(n for n in graph.nodes if n.name == "classifier.4").out) == "[21, 5, 6]"
    module = spec.build(height=33, width=41).eval()
    seen = []
    module.get_submodule("classifier").register_forward_hook(lambda m, i, out: seen.append(out))
    with torch.no_grad():
        y = module(torch.randn(1, 3, 33, 41))
    assert seen[0].shape == (1, 21, 5, 6)
    assert torch.equal(y, torch.nn.functional.interpolate(seen[0], size=(33, 41), mode="bilinear"))


# -- names and order ----------------------------------------------------------------------
def test_state_dict_names_and_order_follow_the_nodes():
    spec = nnspec.load(os.path.join(ROOT, "specs", "resnet50.nn"))
    graph = spec.checked_graph()
    module = spec.build()
    owners = [n.name for n in graph.nodes if n.params or n.buffers]
    seen = []
    for key in module.state_dict():
        owner = key.rsplit(".", 1)[0]
        if not seen or seen[-1] != owner:
            seen.append(owner)
    assert seen == owners


def test_reserved_module_name_is_a_clear_error():
    # the label is at fault, and `check` says so as `build` does
    spec = nnspec.load("network N {\n  input x: [4]\n  forward: dense(2)\n}\n")
    with pytest.raises(nnspec.SpecError) as e:
        spec.build()
    text = str(e.value)
    assert "<string>:3:3: error: `forward` cannot name a module: PyTorch modules reserve that attribute" in text
    assert "hint: rename the label" in text
    assert [d.message for d in spec.check() if d.severity == "error"] == [
        "`forward` cannot name a module: PyTorch modules reserve that attribute"]


def test_reserved_names_match_torch():
    from nnspec.core.names import TORCH_RESERVED

    public = {n for n in set(dir(torch.nn.ModuleDict())) | set(dir(torch.nn.ModuleList())) if not n.startswith("_")}
    assert public == TORCH_RESERVED


# -- constructs at run time ------------------------------------------------------------------
def test_padding_changes_nothing():
    spec = nnspec.load(
        "network S {\n  input tokens: [T] int pad=0\n  embedding(30, 8)\n"
        "  lstm(6, bidirectional=true)\n  last\n  dense(3)\n}\n"
    )
    model = spec.build()
    model.eval()
    short = torch.tensor([[5, 7, 9, 0, 0], [4, 4, 0, 0, 0]])
    longer = torch.cat([short, torch.zeros(2, 4, dtype=torch.long)], dim=1)
    alone = torch.tensor([[5, 7, 9]])
    with torch.no_grad():
        a, b, c = model(short), model(longer), model(alone)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a[:1], c)


def test_final_state_skips_padding():
    spec = nnspec.load("network S {\n  input tokens: [T] int pad=0\n  embedding(30, 8)\n  gru(6, output=final)\n}\n")
    model = spec.build()
    model.eval()
    with torch.no_grad():
        padded = model(torch.tensor([[3, 4, 0, 0, 0, 0]]))
        exact = model(torch.tensor([[3, 4]]))
    torch.testing.assert_close(padded, exact)


def test_multiple_inputs_and_outputs():
    spec = nnspec.load(
        "network Two {\n  input a: [4]\n  input b: [6]\n"
        "  let ha = a -> dense(8)\n  let hb = b -> dense(8)\n"
        "  output total = ha -> add(hb)\n  output cat = ha -> concat(hb) -> dense(2)\n}\n"
    )
    graph = spec.checked_graph()
    model = spec.build()
    assert list(inspect.signature(model.forward).parameters) == ["a", "b"]
    ys = check_module(graph, model)
    assert [tuple(y.shape) for y in ys] == [(2, 8), (2, 2)]


def test_broadcast_merge_aligns_the_batch_dimension():
    spec = nnspec.load("network B {\n  input x: [3, 4, 5]\n  add { | identity | mean(0) -> mean(0) }\n}\n")
    model = spec.build()
    x = torch.randn(2, 3, 4, 5)
    y = model(x)
    torch.testing.assert_close(y, x + x.mean((1, 2))[:, None, None])


def test_each_folds_time_into_batch():
    spec = nnspec.load("network E {\n  input v: [T, 2, 6, 6]\n  each { conv(3, 3) -> flatten }\n}\n")
    model = spec.build()
    v = torch.randn(2, 4, 2, 6, 6)
    y = model(v)
    conv = model.get_submodule("0")
    torch.testing.assert_close(y[1, 2], conv(v[1, 2:3]).flatten())


# -- weights ------------------------------------------------------------------------------
def test_load_weights_by_name_and_by_order():
    spec = nnspec.load(os.path.join(ROOT, "specs", "xo.nn"))
    a, b = spec.build(), spec.build()
    assert load_weights(b, a.state_dict()).by == "name"
    x = torch.randn(3, 1, 9, 9)
    torch.testing.assert_close(a(x), b(x))
    foreign = {f"net.layer{i}": t for i, t in enumerate(a.state_dict().values())}
    c = spec.build()
    report = load_weights(c, foreign)
    assert report.by == "order" and report.pairs[0] == ("0.weight", "net.layer0")
    torch.testing.assert_close(a(x), c(x))


def test_load_weights_reports_mismatches():
    spec = nnspec.load(os.path.join(ROOT, "specs", "xo.nn"))
    model = spec.build()
    bad = {f"w{i}": torch.zeros(*t.shape[:-1], t.shape[-1] + 1) if i == 2 else t
           for i, t in enumerate(model.state_dict().values())}
    with pytest.raises(WeightsError) as e:
        nnspec.load_weights(model, bad)
    assert str(e.value) == "1 tensor(s) differ in shape (loading by order):\n  4.weight [2, 64] <- w2 [2, 65]"
    with pytest.raises(WeightsError, match=r"holds 3 tensors where the module has 4"):
        load_weights(model, dict(list(bad.items())[:3]))


def test_load_weights_without_step_counters():
    spec = nnspec.load("network N {\n  input x: [3, 4, 4]\n  conv(2, 1) -> batchnorm\n}\n")
    a, b = spec.build(), spec.build()
    a.train()
    a(torch.randn(4, 3, 4, 4))
    foreign = {f"k{i}": t for i, (k, t) in enumerate(a.state_dict().items()) if not k.endswith("num_batches_tracked")}
    report = load_weights(b, foreign)
    assert report.by == "order" and report.skipped == ["1.num_batches_tracked"]
    torch.testing.assert_close(b.state_dict()["1.running_mean"], a.state_dict()["1.running_mean"])


# -- memory ------------------------------------------------------------------------------------
def test_refuses_a_network_bigger_than_memory():
    spec = nnspec.load("network Huge {\n  input x: [100000]\n  dense(100000) -> dense(100000)\n}\n")
    graph = spec.checked_graph()
    with pytest.raises(nnspec.SpecError) as e:
        check_memory(graph, available=8 * 2**30)
    assert ("network `Huge` needs 74.5 GiB for its 20,000,200,000 parameters and 0 buffer values (float32), "
            "but this machine has 8.0 GiB available") in str(e.value)


def test_refuses_before_allocating(monkeypatch):
    import nnspec.backends.builder

    monkeypatch.setattr(nnspec.backends.builder, "available_memory", lambda: 100)
    with pytest.raises(nnspec.SpecError, match=r"network `XO` needs 680 bytes for its 170 parameters .* has 100 bytes available"):
        nnspec.build(os.path.join(ROOT, "specs", "xo.nn"))


# -- tools ----------------------------------------------------------------------------------------
def test_source_is_inspectable_and_tracebacks_show_it():
    model = nnspec.build(os.path.join(ROOT, "tests", "golden", "unet.nn"))
    src = inspect.getsource(type(model).forward)
    assert "        x1 = torch.cat([x1, e1], dim=1)  # [48, 64, 64]\n" in src
    # a batch of another size fails on entry, and the traceback shows the generated line
    with pytest.raises(ValueError) as e:
        model(torch.randn(2, 1, 64, 63))
    text = "".join(traceback.format_exception(e.value))
    assert "check_input(x, 'x', [1, 64, 64])" in text
    assert "input x: axis 3 has size 63, expected 64 (the input is [2, 1, 64, 63])" in text


def test_torch_export():
    spec = nnspec.load(os.path.join(ROOT, "tests", "golden", "residual.nn"))
    model = spec.build()
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    exported = torch.export.export(model, (x,))
    torch.testing.assert_close(exported.module()(x), model(x))


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_torch_jit_script():
    model = nnspec.build(os.path.join(ROOT, "tests", "golden", "residual.nn"))
    model.eval()
    scripted = torch.jit.script(model)
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(scripted(x), model(x))


def test_torch_compile_traces_the_forward():
    model = nnspec.build(os.path.join(ROOT, "tests", "golden", "unet.nn"))
    x = torch.randn(2, 1, 64, 64)
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(x), model(x))


def test_autocast_bf16_on_cpu():
    model = nnspec.build(os.path.join(ROOT, "tests", "golden", "residual.nn"))
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        y = model(x)
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), model(x), atol=0.1, rtol=0.05)


def test_padded_lstm_golden_spec_builds():
    spec = nnspec.load(os.path.join(ROOT, "tests", "golden", "padded_lstm.nn"))
    graph = spec.checked_graph()
    check_module(graph, spec.build(), {"T": 7})
    assert len(inputs(graph, {"T": 7})) == 1


# -- reference implementations ---------------------------------------------------------------------
def test_resnet50_checkpoint_loads_into_a_reference_by_order():
    from twins.resnet import resnet50

    compiled = zoo_at(os.path.join(ROOT, "specs", "resnet50.nn"), 64).build()
    reference = resnet50()
    report = load_weights(reference, compiled.state_dict())
    assert report.by == "order" and ("layer1.0.downsample.0.weight", "layer1.0.shortcut.0.weight") in report.pairs
    # and back: the reference's own checkpoint into the compiled module
    assert load_weights(compiled, reference.state_dict()).by == "order"
    compiled.eval(), reference.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), reference(x))


def test_sentiment_lstm_equals_its_reference():
    from twins.sentiment_lstm import SentimentLSTM

    compiled = nnspec.build(os.path.join(ROOT, "specs", "sentiment_lstm.nn"))
    reference = SentimentLSTM()
    assert load_weights(reference, compiled.state_dict()).by == "name"
    tokens = torch.tensor([[5, 9, 13, 0, 0, 0], [7, 7, 7, 7, 7, 2]])
    with torch.no_grad():
        torch.testing.assert_close(compiled(tokens), reference(tokens))
