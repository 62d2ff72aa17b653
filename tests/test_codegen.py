"""Generated source: golden files, a fresh interpreter with only torch, names and literals.

Regenerate the golden files with ``NNSPEC_REGEN=1 pytest`` (see tests/golden_files.py) and
review them with ``git diff tests/golden``.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from click.testing import CliRunner
from golden_files import assert_golden

import nnspec
from nnspec.backends.builder import load_source
from nnspec.backends.codegen import to_source
from nnspec.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")

# spec (relative to the repository) -> golden file
CASES = {
    "tests/golden/residual.nn": "residual.py",
    "tests/golden/padded_lstm.nn": "padded_lstm.py",
    "tests/golden/unet.nn": "unet.py",
    "tests/golden/named_values.nn": "named_values.py",
    "tests/golden/cross_attention.nn": "cross_attention.py",
}


def source_of(rel: str) -> str:
    return nnspec.load(rel_path(rel)).to_source()


def rel_path(rel: str) -> str:
    # the spec's path appears in the generated docstring: load it relative to the repository
    return os.path.relpath(os.path.join(ROOT, rel))


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("spec", sorted(CASES))
def test_golden_source(spec):
    assert_golden(os.path.join(GOLDEN, CASES[spec]), nnspec.load(spec).to_source())


ZOO = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "specs", "*.nn")))


@pytest.mark.parametrize("spec", ZOO, ids=lambda p: os.path.basename(p)[:-3])
def test_golden_source_of_the_zoo(spec):
    """The generated source of every zoo network, as a person reads it: review changes to
    tests/golden/zoo/ beside torchvision's resnet.py and googlenet.py."""
    assert_golden(os.path.join(GOLDEN, "zoo", os.path.basename(spec)[:-3] + ".py"), nnspec.load(spec).to_source())


FRESH = textwrap.dedent(
    """
    import importlib.util, sys
    sys.path.append(sys.argv.pop())  # torch's folder; the interpreter runs without site (-S)
    import torch
    try:
        import nnspec
    except ImportError:
        pass
    else:
        raise SystemExit("nnspec is importable here")
    folder, classes = sys.argv[1], sys.argv[2:]
    for i, cls in enumerate(classes):
        spec = importlib.util.spec_from_file_location(f"model{i}", f"{folder}/model{i}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        net = getattr(module, cls)()
        state, xs = torch.load(f"{folder}/in{i}.pt")
        net.load_state_dict(state)
        net.eval()
        with torch.no_grad():
            torch.save(net(*xs), f"{folder}/out{i}.pt")
    assert not any(m.startswith("nnspec") for m in sys.modules)
    """
)


def test_generated_files_run_with_only_torch(tmp_path):
    """Each golden spec's file, run in one fresh interpreter that imports torch and cannot
    import nnspec, gives the live module's outputs for the same weights and inputs."""
    run_fresh([nnspec.load(rel) for rel in sorted(CASES)], tmp_path)


def test_every_kind_compiles_to_source_that_runs_with_only_torch(tmp_path):
    """The example of every layer kind, compiled, runs without nnspec and equals the live module."""
    from nnspec.core.layers import user_kinds

    specs = [nnspec.load(f"network K_{kind} {{\n  input x: {decl}\n  {chain}\n}}\n")
             for kind, (decl, chain) in sorted((k, c.example) for k, c in user_kinds().items())]
    run_fresh(specs, tmp_path)


def run_fresh(specs, tmp_path):
    """Write each spec's source and run them all in one fresh interpreter with only torch, on
    the live modules' weights and inputs; their outputs must equal the live modules'."""
    from compile_support import inputs, symbols

    from nnspec.backends.codegen import class_name

    classes, expected = [], []
    for i, spec in enumerate(specs):
        graph = spec.checked_graph()
        model = spec.build()
        model.eval()
        xs = inputs(graph, {k: 6 for k in symbols(graph)}, seed=i)
        with torch.no_grad():
            expected.append(model(*xs))
        (tmp_path / f"model{i}.py").write_text(spec.to_source())
        torch.save((model.state_dict(), xs), tmp_path / f"in{i}.pt")
        classes.append(class_name(graph))
    (tmp_path / "run.py").write_text(FRESH)
    torch_dir = os.path.dirname(os.path.dirname(torch.__file__))
    # -I -S: no user or site packages (so no editable nnspec), no cwd; only torch's folder is added
    proc = subprocess.run(
        [sys.executable, "-I", "-S", str(tmp_path / "run.py"), str(tmp_path), *classes, torch_dir],
        check=False, capture_output=True, text=True, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for i, want in enumerate(expected):
        torch.testing.assert_close(torch.load(tmp_path / f"out{i}.pt"), want)


def test_generated_source_never_imports_nnspec():
    for spec in CASES:
        text = source_of(spec)
        assert "nnspec" not in text.split('"""', 2)[2]


def test_to_source_does_not_import_torch():
    code = ("import sys, nnspec; nnspec.load('specs/resnet50.nn').to_source(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


# -- names and literals ----------------------------------------------------------------------
def test_keyword_like_names_are_escaped():
    spec = nnspec.load("network class {\n  input lambda: [4]\n  dense(4) -> add(lambda)\n}\n")
    text = spec.to_source()
    assert "class class_(nn.Module):" in text
    assert "def forward(self, lambda_):" in text
    assert "        check_input(lambda_, 'lambda', [4])\n" in text
    assert "        x = x + lambda_  # [4]\n" in text
    assert spec.build()(torch.randn(1, 4)).shape == (1, 4)


def test_names_that_shadow_generated_names_are_escaped():
    spec = nnspec.load("network torch {\n  input self: [4]\n  dense(4) -> add(self)\n}\n")
    text = spec.to_source()
    assert "class torch_(nn.Module):" in text and "def forward(self, self_):" in text
    assert spec.build()(torch.randn(1, 4)).shape == (1, 4)


def test_docstring_text_is_escaped():
    spec = nnspec.load('network N(tag = "a\\"\\"\\"b") {\n  input x: [4]\n  dense(2)\n}\n')
    text = spec.to_source()
    compile(text, "<test>", "exec")
    assert 'N(tag=a\\"\\"\\"b)' in text


def test_labelled_groups_become_containers():
    spec = nnspec.load(
        "network N {\n  input x: [4]\n  body: repeat 2 { dense(4) -> relu }\n"
        "  head: concat { | a: dense(2) | b: dense(3) -> reshape([3]) }\n}\n"
    )
    text = spec.to_source()
    assert ("        layers = []\n        for _ in range(2):\n"
            "            layers.append(nn.Linear(4, 4))  # [4]\n            layers.append(nn.ReLU())  # [4]\n"
            "        self.body = nn.Sequential(*layers)\n") in text
    assert "        x = self.body(x)  # [4]\n" in text
    assert ('        self.head = nn.ModuleDict({\n            "a": nn.Linear(4, 2),\n'
            '            "b": nn.Linear(4, 3),\n        })\n') in text
    assert "        a = self.head.a(x)  # [2]\n        b = self.head.b(x)  # [3]\n" in text
    model = spec.build()
    assert list(model.state_dict()) == ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias",
                                        "head.a.weight", "head.a.bias", "head.b.weight", "head.b.bias"]


def test_one_class_serves_a_block_whose_auto_shortcut_projects_in_some_instances():
    spec = nnspec.load(os.path.join(ROOT, "tests/golden/residual.nn"))
    text = spec.to_source()
    assert [line for line in text.splitlines() if line.startswith("class ")] == [
        "class Basic(nn.Module):", "class TinyResNet(nn.Module):"]
    # `shortcut auto`: the class projects where its own sizes say the shape changes, as the
    # spec decides it, for any arguments
    assert "    def __init__(self, in_channels, width, stride=1):\n" in text
    assert ("        self.shortcut = None\n        if stride != 1 or in_channels != width:\n"
            "            self.shortcut = nn.Sequential(\n"
            "                nn.Conv2d(in_channels, width, 1, stride=stride, bias=False),\n") in text
    assert ("        shortcut = x\n        if self.shortcut is not None:\n"
            "            shortcut = self.shortcut(x)  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]\n"
            "        x = x1 + shortcut  # [width, (H - 1) // stride + 1, (W - 1) // stride + 1]\n") in text
    assert "self.layer1 = nn.Sequential(*[Basic(16, 16) for _ in range(2)])" in text
    assert "self.layer2 = Basic(16, 32, stride=2)" in text
    model = spec.build()
    assert [k for k in model.state_dict() if k.startswith("layer2.shortcut")] == [
        "layer2.shortcut.0.weight", "layer2.shortcut.1.weight", "layer2.shortcut.1.bias",
        "layer2.shortcut.1.running_mean", "layer2.shortcut.1.running_var", "layer2.shortcut.1.num_batches_tracked"]
    assert model.layer1[0].shortcut is None
    scripted = torch.jit.script(model.eval())
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(scripted(x), model(x))


def test_numbered_chains_are_sequential():
    spec = nnspec.load("block Stage(n) { dense(n) -> relu }\nnetwork N {\n  input x: [2]\n  Stage(2) -> Stage(2)\n}\n")
    text = spec.to_source()
    assert ("class Stage(nn.Sequential):\n" in text and
            "        super().__init__(\n            nn.Linear(in_features, n),  # [n]\n"
            "            nn.ReLU(),  # [n]\n        )\n") in text
    model = spec.build()
    assert list(model.state_dict()) == ["0.0.weight", "0.0.bias", "1.0.weight", "1.0.bias"]
    x = torch.randn(5, 2)
    first, second = model.get_submodule("0"), model.get_submodule("1")
    torch.testing.assert_close(model(x), second[1](second[0](first[1](first[0](x)))))


def test_a_permute_between_numbered_modules_keeps_the_spec_numbers():
    """A numbered `permute` between numbered modules is a call in forward: the modules keep the
    spec's numbers (a gap where the permute is), and scripting gives the same outputs."""
    spec = nnspec.load(
        "network N {\n  input x: [3, 4, 4]\n"
        "  conv(8, 1) -> permute([1, 2, 0]) -> layernorm -> permute([2, 0, 1]) -> conv(2, 1) -> permute([1, 2, 0])\n}\n")
    text = spec.to_source()
    assert ('        self.add_module("0", nn.Conv2d(3, 8, 1))\n'
            '        self.add_module("2", nn.LayerNorm(8))\n'
            '        self.add_module("4", nn.Conv2d(8, 2, 1))\n') in text
    assert "        x = x.permute(0, 2, 3, 1)  # [4, 4, 2]\n" in text
    model = spec.build().eval()
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    x = torch.randn(2, 3, 4, 4)
    m = model.get_submodule
    expected = m("4")(m("2")(m("0")(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    torch.testing.assert_close(model(x), expected)
    torch.testing.assert_close(torch.jit.script(model)(x), expected)


def test_a_size_the_spec_writes_as_an_expression_is_that_expression():
    """`dense(c * a)` is `c * a` for any arguments, though both instances build 4 features."""
    spec = nnspec.load("block Shape(c, a) { dense(c * a) -> relu }\n"
                       "network N {\n  input x: [T, 4]\n  Shape(4, 1) -> Shape(2, 2)\n}\n")
    text = spec.to_source()
    assert "    def __init__(self, in_features, c, a):\n" in text and "nn.Linear(in_features, a * c)" in text
    assert "Block `Shape(c, a)`" in text
    model = spec.build()
    assert [tuple(p.shape) for p in model.parameters()] == [(4, 4), (4,)] * 2


def test_branch_values_are_named_by_their_labels():
    spec = nnspec.load(
        "block Pair(n) { dense(n) -> relu }\n"
        "network N {\n  input x: [4]\n  concat { | left: Pair(2) | right: Pair(3) }\n  dense(2)\n}\n"
    )
    text = spec.to_source()
    assert ("        left = self.left(x)  # [2]\n"
            "        right = self.right(x)  # [3]\n"
            "        x = torch.cat([left, right], dim=1)  # [5]\n") in text
    assert list(spec.build().state_dict()) == ["left.0.weight", "left.0.bias", "right.0.weight", "right.0.bias",
                                               "0.weight", "0.bias"]


def test_outputs_in_declaration_order():
    spec = nnspec.load("network N {\n  input x: [4]\n  output a = x -> dense(2)\n  output b = x -> dense(3)\n}\n")
    text = spec.to_source()
    assert '        """x [batch, 4] -> ([batch, 2], [batch, 3])"""\n' in text
    assert ('        a = getattr(self, "0")(x)  # [2]\n        b = getattr(self, "1")(x)  # [3]\n'
            "        return (a, b)\n") in text
    a, b = spec.build()(torch.randn(5, 4))
    assert a.shape == (5, 2) and b.shape == (5, 3)


# -- command line ------------------------------------------------------------------------------
def test_compile_prints_source():
    result = CliRunner().invoke(main, ["compile", "specs/xo.nn"])
    assert result.exit_code == 0
    assert result.output == source_of("specs/xo.nn")


def test_compile_writes_atomically(tmp_path):
    out = tmp_path / "model.py"
    result = CliRunner().invoke(main, ["compile", "specs/xo.nn", "--set", "classes=5", "-o", str(out)])
    assert result.exit_code == 0
    text = out.read_text()
    assert "    def __init__(self, classes=5):\n" in text and "nn.Linear(64, classes)" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_compile_reports_spec_errors():
    result = CliRunner().invoke(main, ["compile", "tests/golden/unet.nn", "--set", "nope=1"])
    assert result.exit_code == 1
    assert "error: network `TinyUNet` has no parameter `nope`" in result.output


def test_compile_reports_a_bad_module_name(tmp_path):
    path = tmp_path / "bad.nn"
    path.write_text("network N {\n  input x: [4]\n  eval: dense(2)\n}\n")
    result = CliRunner().invoke(main, ["compile", str(path), "-o", str(tmp_path / "out.py")])
    assert result.exit_code == 1
    assert f"{path}:3:3: error: `eval` cannot name a module: PyTorch modules reserve that attribute" in result.output
    assert not (tmp_path / "out.py").exists()


@pytest.mark.parametrize("spec", ZOO, ids=lambda p: os.path.basename(p)[:-3])
def test_zoo_sources_are_valid_python(spec):
    compile(to_source(nnspec.load(spec).checked_graph(), spec), spec, "exec")


def test_names_of_runtime_helpers_are_not_taken():
    spec = nnspec.load(
        "block final_state { lstm(3) }\nnetwork N {\n  input x: [T, 3]\n  final_state -> final_state -> gru(2, output=final)\n}\n"
    )
    text = spec.to_source()
    assert "def final_state(" in text and "class final_state_(nn.Module):" in text
    assert ('        self.add_module("0", final_state_(3))\n        self.add_module("1", final_state_(3))\n') in text
    assert spec.build()(torch.randn(2, 5, 3)).shape == (2, 2)


def test_the_network_class_takes_the_parameters_that_only_give_numbers():
    # `classes` and `width` only give sizes: arguments with their defaults; `blocks` is a
    # repeat count, which changes the structure: fixed at its value
    spec = nnspec.load("network N(classes = 4, blocks = 2, width = 6) {\n  input x: [8]\n"
                       "  repeat blocks { dense(width) -> relu }\n  head: dense(classes)\n}\n")
    text = spec.to_source()
    assert "    def __init__(self, classes=4, width=6):\n" in text
    assert "        self.head = nn.Linear(width, classes)\n" in text
    module = load_source(text, "N")
    model = module.N(classes=3, width=5)
    assert model(torch.randn(2, 8)).shape == (2, 3)
    assert [tuple(p.shape) for p in model.parameters()] == [(5, 8), (5,), (5, 5), (5,), (3, 5), (3,)]
    # the defaults are the spec's: the same keys and shapes as the live module
    assert {k: v.shape for k, v in module.N().state_dict().items()} == \
        {k: v.shape for k, v in spec.build().state_dict().items()}


def test_a_parameter_only_some_values_of_which_are_valid_is_still_a_parameter():
    # heads must divide dim: the class takes both, as the spec does; valid values build
    spec = nnspec.load("network N(dim = 8, heads = 4) {\n  input x: [T, 8]\n  dense(dim) -> attention(heads)\n}\n")
    text = spec.to_source()
    assert "    def __init__(self, dim=8, heads=4):\n" in text
    assert "nn.MultiheadAttention(dim, heads, batch_first=True)" in text
    module = load_source(text, "N")
    assert module.N(dim=6, heads=3)(torch.randn(2, 5, 8)).shape == (2, 5, 6)
