"""`nnspec diagram`: golden DOT text, what the picture shows, rendering and the command line.

Golden files live in tests/golden/*.dot; regenerate them with ``NNSPEC_REGEN=1 pytest`` (see
tests/golden_files.py) and review the change with ``git diff``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from golden_files import assert_golden

import nnspec
from nnspec.backends.diagram import render
from nnspec.cli import main
from nnspec.diagnostics import SpecError

HERE = Path(__file__).parent
ROOT = HERE.parent
SPECS = HERE / "diagram_specs"
GOLDEN = HERE / "golden"
ZOO = sorted((ROOT / "specs").glob("*.nn"))


@pytest.fixture
def dot_installed():
    """Rendering needs Graphviz's ``dot``, which ``./run`` installs: without it these tests
    fail, saying so, rather than skip and check nothing."""
    assert shutil.which("dot"), "Graphviz's dot is not installed: ./run installs it (or apt-get install graphviz)"


needs_dot = pytest.mark.usefixtures("dot_installed")

GOLDEN_CASES = {
    "resnet50": ("resnet50.nn", {}),
    "resnet50_expanded": ("resnet50.nn", {"expand": "all"}),
    "inception": ("inception.nn", {}),
    "tinyunet": ("tinyunet.nn", {}),
    "cliplstm": ("recurrent.nn", {}),
    "sentiment_lr": ("sentiment.nn", {"direction": "LR"}),
    "resnet50_compact": ("resnet50.nn", {"compact": True}),
    "tinyunet_compact": ("tinyunet.nn", {"compact": True}),
    "resnet50_depth0": ("resnet50.nn", {"depth": 0}),
}


def dot_of(name: str, **options) -> str:
    return nnspec.load(SPECS / name).to_dot(**options)


def edges(text: str) -> dict[tuple[str, str], str]:
    """(source, target) -> the edge's attribute text."""
    out = {}
    for m in re.finditer(r'^\s*"([^"]+)" -> "([^"]+)"(?: \[(.*)\])?;$', text, re.MULTILINE):
        out[(m[1], m[2])] = m[3] or ""
    return out


def node_ids(text: str) -> list[str]:
    return re.findall(r'^\s*"([^"]+)" \[label=', text, re.MULTILINE)


# -- golden DOT ----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_golden_dot(case):
    spec, options = GOLDEN_CASES[case]
    text = dot_of(spec, **options)
    assert_golden(GOLDEN / f"{case}.dot", text)


def test_dot_is_stable_across_loads():
    a = dot_of("resnet50.nn")
    b = nnspec.load((SPECS / "resnet50.nn").read_text()).to_dot()
    assert a == b
    assert not re.search(r"0x[0-9a-f]{6,}", a)  # no Python object identities


# -- what the picture shows ----------------------------------------------------------------------
def test_identical_blocks_collapse_to_one_node_per_run():
    text = dot_of("resnet50.nn")
    runs = [i for i in node_ids(text) if i.startswith("run:")]
    assert runs == ["run:layer1.1..layer1.2", "run:layer2.1..layer2.3", "run:layer3.1..layer3.5",
                    "run:layer4.1..layer4.2"]
    line = next(ln for ln in text.splitlines() if ln.strip().startswith('"run:layer3.1..layer3.5" ['))
    assert "<b>Bottleneck</b>(256, 1)" in line and "<b>×5</b>" in line
    assert "layer3.1 … layer3.5 · 5,585,920 params" in line  # 5 × 1,117,184
    # the first instance of each stage differs (projection shortcut) and keeps its frame
    assert 'subgraph "cluster_layer2.0"' in text and 'subgraph "cluster_layer2.1"' not in text
    # the run is wired like the instances it stands for
    e = edges(text)
    assert e[("layer3.0.2", "run:layer3.1..layer3.5")] == 'label=" [1024, 14, 14]"'


def test_block_frames_carry_call_path_and_parameter_count():
    text = dot_of("resnet50.nn")
    assert ("label=<<b>Bottleneck</b>(128, 2)  <font point-size=\"9\" color=\"#6b7280\">layer2.0 · </font>"
            "<font point-size=\"9\" color=\"#6b7280\">379,392 params</font>>") in text
    assert "<b>Stage</b>(1024, 3, 2)" not in text and "<b>Stage</b>(512, 3, 2)" in text
    assert "25.6M params · 4.1G MACs" in text


def test_block_arguments_show_floats_to_four_significant_digits():
    text = nnspec.load("block B(p) { dropout(p) }\nnetwork N {\n  input x: [4]\n"
                       "  B(0.1 * 1 / 17) -> B(0.25) -> B(1e-06)\n}\n").to_dot(expand="all")
    assert "<b>B</b>(0.005882)" in text and "<b>B</b>(0.25)" in text and "<b>B</b>(1e-06)" in text
    assert "0.0058823529411764705" not in text


def test_expand_all_draws_every_instance():
    text = dot_of("resnet50.nn", expand="all")
    assert not [i for i in node_ids(text) if i.startswith("run:")]
    assert "layer3.5.conv1" in node_ids(text)
    assert len([i for i in node_ids(text) if i.endswith(".conv2")]) == 16  # 3 + 4 + 6 + 3 bottlenecks


@pytest.mark.parametrize("names, collapsed", [
    (["Bottleneck"], []),
    (["layer3"], ["run:layer1.1..layer1.2", "run:layer2.1..layer2.3", "run:layer4.1..layer4.2"]),
    (["layer2.2", "layer4"], ["run:layer1.1..layer1.2", "run:layer3.1..layer3.5"]),
])
def test_expand_by_block_name_or_module_path(names, collapsed):
    text = dot_of("resnet50.nn", expand=names)
    assert [i for i in node_ids(text) if i.startswith("run:")] == collapsed


def test_expand_of_an_unknown_name_says_what_exists():
    with pytest.raises(SpecError) as e:
        dot_of("resnet50.nn", expand=["Botleneck"])
    d = e.value.diagnostics[0]
    assert d.message == ("nothing to expand named `Botleneck`: give `all`, a block name "
                         "(Bottleneck, Stage) or a module path")
    assert d.hint == "did you mean `Bottleneck`?"


def test_residual_shortcuts_are_dashed_side_edges():
    e = edges(dot_of("resnet50.nn", expand="all"))
    projection = e[("layer1.0.shortcut.1", "layer1.0/add0")]
    assert "style=dashed" in projection and "constraint=false" not in projection
    assert "style=dashed" in e[("1", "layer1.0.shortcut.0")]  # from the fork
    identity = e[("layer1.0.2", "layer1.1/add0")]  # the fork itself feeds the `+`
    assert identity == ('label=" [256, 56, 56]", style=dashed, color="#8896ab", constraint=false, '
                        "tailport=e, headport=e")
    assert "dashed" not in e[("layer1.1.bn3", "layer1.1/add0")]  # the main path stays solid


def test_branches_fan_out_and_merge_at_a_visible_node():
    text = dot_of("inception.nn")
    e = edges(text)
    assert [dst for (src, dst) in e if src == "input:image"] == [
        "inception3a.0", "inception3a.2", "inception3a.6", "inception3a.10"]
    assert [(src, e[src, dst]) for (src, dst) in e if dst == "inception3a/concat0"] == [
        ("inception3a.1", 'label=" [64, 28, 28]"'), ("inception3a.5", 'label=" [128, 28, 28]"'),
        ("inception3a.9", 'label=" [32, 28, 28]"'), ("inception3a.12", 'label=" [32, 28, 28]"')]
    assert e[("inception3b/concat0", "0")] == 'label=" [480, 28, 28]"'
    assert '"inception3a/concat0" [label=<<b>concat</b>>' in text


def test_merge_nodes_show_their_operation():
    text = dot_of("tinyunet.nn")
    assert re.search(r'"/concat0" \[label=<<b>concat</b>>', text)
    e = edges(text)
    assert e[("1", "/concat0")] == 'label=" [16, 64, 64]"'  # the named value e1 joins the merge
    assert e[("5", "/concat0")] == 'label=" [32, 64, 64]"'
    add = nnspec.load("network N {\n input x: [8]\n let a = x -> dense(8)\n x -> dense(8) -> mul(a)\n}").to_dot()
    assert '"/mul0" [label=<<b>×</b>>, shape=circle' in add


def test_recurrent_layers_are_rolled_with_their_sequence_length():
    text = dot_of("recurrent.nn")
    assert '"lstm" -> "lstm" [label=<<b>×16</b> steps>' in text
    sym = dot_of("sentiment.nn")
    assert '"rnn" -> "rnn" [label=<<b>×T</b> steps>' in sym


def test_each_body_is_a_time_distributed_cluster():
    text = dot_of("recurrent.nn")
    assert 'subgraph "cluster_each:/each_in0"' in text
    assert "<b>each</b> ×16" in text
    # the fold and unfold are plumbing: the frame stands for them
    assert "each_in" not in "".join(node_ids(text)) and "each_out" not in "".join(node_ids(text))
    e = edges(text)
    assert e[("stack:encoder", "lstm")] == 'label=" [16, 32]"'


def test_chain_blocks_are_stacks_listing_each_layer_with_its_shape():
    text = dot_of("recurrent.nn")
    line = next(ln for ln in text.splitlines() if ln.strip().startswith('"stack:encoder" ['))
    assert "<b>Frame</b>(32)" in line and "encoder · 896 params" in line
    assert re.findall(r"<b>(\w+)</b>", line) == ["Frame", "conv", "relu", "maxpool", "globalavgpool"]
    assert "[32, 16, 16]" in line
    framed = dot_of("recurrent.nn", expand=["Frame"])
    assert 'subgraph "cluster_encoder"' in framed and "stack:" not in framed


def test_inputs_and_outputs_are_nodes():
    text = dot_of("tinyunet.nn")
    assert '"input:x" [label=<<b>input</b> x>' in text
    assert edges(text)[("8", "output")] == 'label=" [2, 64, 64]"'
    two = nnspec.load("network N {\n input a: [4]\n input b: [4]\n output y = a -> dense(2)\n"
                      " output z = b -> dense(3)\n}").to_dot()
    assert {"output:y", "output:z", "input:a", "input:b"} <= set(node_ids(two))


def test_legend_lists_the_families_drawn():
    text = dot_of("recurrent.nn")
    legend = re.findall(r'<td align="left"><font point-size="9" color="#1f2937">(\w+)</font></td>', text)
    assert legend == ["io", "conv", "activation", "pool", "recurrent", "dense"]


def test_no_shapes_and_direction():
    text = dot_of("resnet50.nn", shapes=False, direction="LR")
    assert "rankdir=LR" in text
    assert edges(text)[("layer1.0.shortcut.1", "layer1.0/add0")] == 'style=dashed, color="#8896ab", headport=s'
    assert not re.search(r"-> \"[^\"]+\" \[label=", text)
    stack = dot_of("recurrent.nn", shapes=False)
    assert "[32, 16, 16]" not in stack
    with pytest.raises(ValueError, match="direction must be TB or LR"):
        dot_of("resnet50.nn", direction="BT")


# -- rendering -----------------------------------------------------------------------------------
@needs_dot
@pytest.mark.parametrize("path", ZOO, ids=[p.stem for p in ZOO])
def test_every_zoo_spec_renders_to_svg_and_png(path):
    text = nnspec.load(path).to_dot()
    svg = render(text, "svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g[@class='node']")) >= 4
    png = render(text, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_repr_svg_is_the_diagram():
    svg = nnspec.load(ROOT / "specs" / "xo.nn")._repr_svg_()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "conv" in svg and "dense" in svg


def test_repr_svg_of_a_broken_spec_is_none():
    assert nnspec.load("network N {\n input x: [4]\n dense(q)\n}")._repr_svg_() is None


# -- the command line ----------------------------------------------------------------------------
def copy_spec(tmp_path: Path, name: str = "resnet50.nn") -> Path:
    target = tmp_path / name
    target.write_text((SPECS / name).read_text())
    return target


@needs_dot
def test_cli_writes_svg_next_to_the_spec_by_default(tmp_path):
    spec = copy_spec(tmp_path)
    r = CliRunner().invoke(main, ["diagram", str(spec)])
    assert r.exit_code == 0, r.output
    out = tmp_path / "resnet50.svg"
    assert r.output == f"wrote {out}\n"
    ET.fromstring(out.read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resnet50.nn", "resnet50.svg"]  # no temp files left


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"), (".svg", b"<?xml")])
def test_cli_formats_follow_the_suffix(tmp_path, suffix, magic):
    out = tmp_path / f"d{suffix}"
    r = CliRunner().invoke(main, ["diagram", str(SPECS / "inception.nn"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(magic)


def test_cli_dot_output_and_options(tmp_path):
    out = tmp_path / "r.dot"
    r = CliRunner().invoke(main, ["diagram", str(SPECS / "resnet50.nn"), "-o", str(out), "--expand", "layer3,layer4",
                                  "--direction", "LR", "--no-shapes"])
    assert r.exit_code == 0, r.output
    assert out.read_text() == dot_of("resnet50.nn", expand=["layer3", "layer4"], direction="LR", shapes=False)


def test_cli_without_graphviz_still_writes_the_dot_file(tmp_path):
    out = tmp_path / "r.svg"
    empty = tmp_path / "bin"
    empty.mkdir()
    r = CliRunner().invoke(main, ["diagram", str(SPECS / "resnet50.nn"), "-o", str(out)], env={"PATH": str(empty)})
    assert r.exit_code == 1
    assert not out.exists()
    assert (tmp_path / "r.dot").read_text() == dot_of("resnet50.nn")
    assert f"cannot render {out}: Graphviz's `dot` program is not on the PATH; wrote {tmp_path / 'r.dot'} instead" \
        in r.output
    assert "apt-get install graphviz" in r.output and "brew install graphviz" in r.output
    assert "conda install graphviz" in r.output


def test_cli_usage_and_spec_errors(tmp_path):
    r = CliRunner().invoke(main, ["diagram", str(SPECS / "resnet50.nn"), "-o", str(tmp_path / "x.jpg")])
    assert r.exit_code == 2 and "the suffix must be one of .svg, .png, .pdf, .dot" in r.output
    bad = tmp_path / "bad.nn"
    bad.write_text("network N {\n  input x: [4]\n  dense(q)\n}\n")
    r = CliRunner().invoke(main, ["diagram", str(bad)])
    assert r.exit_code == 1
    assert f"{bad}:3:" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "bad.svg").exists()
    r = CliRunner().invoke(main, ["diagram", str(SPECS / "resnet50.nn"), "--expand", "nope", "-o",
                                  str(tmp_path / "y.dot")])
    assert r.exit_code == 1 and "nothing to expand named `nope`" in r.output


def test_cli_network_and_set(tmp_path):
    spec = tmp_path / "two.nn"
    spec.write_text("network A(classes = 2) {\n  input x: [4]\n  head: dense(classes)\n}\n"
                    "network B {\n  input y: [3]\n  dense(7)\n}\n")
    out = tmp_path / "a.dot"
    r = CliRunner().invoke(main, ["diagram", str(spec), "-n", "A", "--set", "classes=5", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert '"head" [label=<<b>dense</b> 5<br/>' in out.read_text()
    r = CliRunner().invoke(main, ["diagram", str(spec), "-o", str(out)])
    assert r.exit_code == 2 and "defines several networks (A, B)" in r.output  # a usage error


def test_cli_unwritable_output_is_an_error_not_a_traceback(tmp_path):
    out = tmp_path / "missing" / "d.dot"
    r = CliRunner().invoke(main, ["diagram", str(SPECS / "inception.nn"), "-o", str(out)])
    assert r.exit_code == 1
    assert r.output == f"error: cannot write {out}: No such file or directory\n"


def test_diagram_never_imports_torch(tmp_path):
    code = ("import sys\nfrom click.testing import CliRunner\nfrom nnspec.cli import main\n"
            f"r = CliRunner().invoke(main, ['diagram', {str(SPECS / 'recurrent.nn')!r}, '-o', {str(tmp_path / 'o.dot')!r}])\n"
            "assert r.exit_code == 0, r.output\nassert 'torch' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- slides: compact and stage-level views -------------------------------------------------------
def test_compact_folds_activations_and_norms_into_the_layer_before():
    text = dot_of("resnet50.nn", compact=True)
    full = dot_of("resnet50.nn")
    assert '"bn1"' in full and '"bn1"' not in text and '"layer1.0.bn1"' not in text
    conv1 = next(line for line in text.splitlines() if line.strip().startswith('"conv1" [label='))
    assert "+ batchnorm + relu" in conv1
    assert edges(text)[("conv1", "1")] == 'label=" [64, 112, 112]"'  # the relu's output, one edge to the maxpool
    unet = dot_of("tinyunet.nn", compact=True)
    assert ">activation<" in dot_of("tinyunet.nn").splitlines()[1] and ">activation<" not in unet.splitlines()[1]
    assert "+ relu" in next(line for line in unet.splitlines() if line.strip().startswith('"0" [label='))
    # a relu after a residual's `+` has no single layer before it: it stays
    assert '"layer1.0.2" [label=<<b>relu</b>' in text


def test_depth_draws_each_stage_as_one_box():
    text = dot_of("resnet50.nn", depth=0)
    assert [i for i in node_ids(text) if i.startswith("stage:")] == [f"stage:layer{k}" for k in (1, 2, 3, 4)]
    assert ("stage:layer1", "stage:layer2") in edges(text)
    assert "cluster_" not in text
    assert "215,808 params" in text  # layer1's parameters
    deeper = dot_of("resnet50.nn", depth=1)
    assert "stage:layer1.0" in node_ids(deeper) and "cluster_layer1" in deeper


def test_the_edge_into_each_carries_the_whole_sequence():
    assert [a for (src, _), a in edges(dot_of("recurrent.nn")).items() if src == "input:clip"] == [
        'label=" [16, 3, 32, 32]"']
    spec = nnspec.load("network V {\n input v: [T, 3, 8, 8]\n each { conv(4, 3) -> flatten -> dense(5) }\n"
                       " lstm(6, output=final)\n}")
    assert [a for (src, _), a in edges(spec.to_dot()).items() if src == "input:v"] == ['label=" [T, 3, 8, 8]"']
