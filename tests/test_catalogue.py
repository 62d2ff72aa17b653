"""The layer catalogue: `nnspec layers`, docs/layers.md generated from the registry, and the
names other tools give the kinds."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from golden_files import assert_golden

import nnspec
from nnspec.cli import main
from nnspec.core import catalogue
from nnspec.core.layers import suggest, synonym, user_kinds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_docs_layers_md_is_current():
    """docs/layers.md is a golden file: ``NNSPEC_REGEN=1 pytest`` (or ``nnspec layers --markdown``) writes it."""
    assert_golden(os.path.join(ROOT, "docs", "layers.md"), catalogue.markdown())


def test_the_listing_names_every_kind_once():
    result = CliRunner().invoke(main, ["layers"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == sorted(user_kinds())
    assert "dense            A linear map of the last dimension" in result.output


def test_one_kind_in_full():
    result = CliRunner().invoke(main, ["layers", "conv"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "conv(out, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true, weight_norm=false)"
    assert "  padding      an integer, a list of integers or `same` or `valid`, default 0" in lines
    assert "          [3, 9, 9] -> [6, 5, 5]" in lines
    assert "PyTorch:  nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3)" in lines


@pytest.mark.parametrize(
    "kind, signature, shapes, pytorch",
    [
        ("attention", "attention(heads, dropout=0, bias=true, causal=false, query_bias=auto, key_bias=auto, "
                      "value_bias=auto, out_bias=auto, relative=0, mask=auto)", ("[T, 8]", "[T, 8]"),
         "nn.MultiheadAttention(8, 2, batch_first=True)"),
        ("shiftmask", "shiftmask(window, shift)", ("[4, 4, 4]", "[4, 4, 4]"), "shifted_window_mask(x, 2, 1)"),
        ("maxpool", "maxpool(kernel, stride=auto, padding=0, ceil=false)", ("[3, 9, 9]", "[3, 5, 5]"),
         "nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)"),
        ("select", "select(index, dim=0)", ("[T, 6]", "[6]"), "x[:, -1]"),
        ("relu", "relu", ("[3, 8, 8]", "[3, 8, 8]"), "nn.ReLU()"),
        ("droppath", "droppath(p)", ("[3, 8, 8]", "[3, 8, 8]"), "DropPath(0.2)"),
        ("batchdot", "batchdot", ("[8]", "[batch]"), "torch.mm(x0, x1.t())"),
    ],
)
def test_entries(kind, signature, shapes, pytorch):
    e = catalogue.entry(kind)
    assert (e.signature(), (e.input, e.output), e.pytorch) == (signature, shapes, pytorch)


def test_an_unknown_kind_is_a_usage_error_with_the_kind_meant():
    result = CliRunner().invoke(main, ["layers", "Conv2d"])
    assert result.exit_code == 2
    assert result.stderr == "error: unknown layer kind `Conv2d`\nhint: did you mean `conv`? (nnspec's name for `Conv2d`)\n"
    result = CliRunner().invoke(main, ["layers", "dens"])
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (2, "hint: did you mean `dense`?")


def test_layers_never_imports_torch():
    code = "import sys; from nnspec.core import catalogue; catalogue.markdown(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "name, kind",
    [("linear", "dense"), ("Linear", "dense"), ("conv2d", "conv"), ("Conv1d", "conv"), ("BatchNorm2d", "batchnorm"),
     ("batch_norm", None), ("MultiheadAttention", "attention"), ("ConvTranspose2d", "deconv"),
     ("MaxPool2d", "maxpool"), ("GlobalAveragePooling2D", "globalavgpool"), ("Concatenate", "concat"),
     ("StochasticDepth", "droppath"), ("LayerNormalization", "layernorm"), ("swish", "silu"), ("relu", None)],
)
def test_synonyms(name, kind):
    assert synonym(name) == kind


def test_no_synonym_is_a_kind_or_claimed_twice():
    names = [s for cls in user_kinds().values() for s in cls.synonyms]
    assert len(names) == len(set(names))
    assert not set(names) & set(user_kinds())
    assert all(s == s.lower().replace("_", "") for s in names)  # as synonym() compares them


def test_a_spec_using_another_tools_name_is_told_the_kind():
    spec = nnspec.load("network N {\n  input x: [8]\n  linear(4)\n}\n")
    (d,) = spec.check()
    assert (d.message, d.hint) == ("unknown layer or block `linear`", "did you mean `dense`? (nnspec's name for `linear`)")
    assert suggest("densse", ["dense", "conv"]) == "did you mean `dense`?"
