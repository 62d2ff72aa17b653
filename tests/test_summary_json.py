"""``nnspec summary --json``: its schema (docs/summary.md) held by golden files, one per case,
``tests/golden/summary/<case>.json``. Regenerate with ``NNSPEC_REGEN=1 pytest`` (see
tests/golden_files.py) and review the change with ``git diff tests/golden/summary``."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from golden_files import assert_golden

from nnspec.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = {
    "xo": ["specs/xo.nn"],
    "sentiment_lstm": ["specs/sentiment_lstm.nn"],  # a symbolic length: MACs and sizes as expressions
    "resnet50_depth1": ["specs/resnet50.nn", "--depth", "1", "--freeze", "conv1", "--freeze", "bn1"],
    "xo_training": ["specs/xo.nn", "--batch-size", "32", "--optimizer", "sgd"],
}


def summary(args):
    result = CliRunner().invoke(main, ["summary", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_summary_json(case, monkeypatch):
    monkeypatch.chdir(ROOT)
    data = summary(CASES[case])
    golden = os.path.join(ROOT, "tests", "golden", "summary", f"{case}.json")
    assert_golden(golden, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@pytest.mark.parametrize("case", sorted(CASES))
def test_counts_are_integers_or_null_and_expressions_strings(case, monkeypatch):
    monkeypatch.chdir(ROOT)
    data = summary(CASES[case])
    for row in [data, *data["layers"]]:
        for key in [k for k in row if f"{k}_expr" in row]:
            number, expr = row[key], row[f"{key}_expr"]
            assert (type(number) is int and expr is None) or (number is None and isinstance(expr, str)), (key, row)
    assert data["params"] == data["trainable_params"] + data["frozen_params"]
    assert data["param_bytes"] == 4 * data["params"]


def test_the_figures_of_a_small_network_by_hand(monkeypatch):
    monkeypatch.chdir(ROOT)
    data = summary(["specs/xo.nn"])
    # conv [4, 9, 9], relu [4, 9, 9], maxpool [4, 4, 4], flatten [64], dense [2]: float32 each
    assert data["activation_bytes"] == 4 * (324 + 324 + 64 + 64 + 2)
    assert data["input_bytes"] == 4 * 81
    assert [(r["kind"], r["label"]) for r in data["layers"][:3]] == [("input", "input"), ("conv", "conv 4 3×3"),
                                                                      ("relu", "relu")]
    lstm = summary(["specs/sentiment_lstm.nn"])
    assert lstm["input_bytes"] is None and lstm["input_bytes_expr"] == "8*T"  # int64 token ids
    assert lstm["macs"] is None and lstm["macs_expr"] == "131072*T + 256"


def test_depth_counts_levels_below_the_network(monkeypatch):
    monkeypatch.chdir(ROOT)
    top = summary(["specs/resnet50.nn", "--depth", "0"])
    assert {r["depth"] for r in top["layers"]} == {0}
    assert [r["name"] for r in top["layers"] if r["rollup"]] == ["layer1", "layer2", "layer3", "layer4"]
    assert sum(r["params"] for r in top["layers"]) == top["params"]


def test_jupyter_shows_a_summary_as_a_table_and_a_broken_spec_as_its_diagnostics():
    import nnspec

    page = nnspec.load(os.path.join(ROOT, "specs", "xo.nn")).summary()._repr_html_()
    assert page.startswith("<div><b>XO</b><table><thead><tr><th>Module</th><th>Layer</th>")
    assert '<td style="text-align: left">conv 4 3×3</td>' in page and "Total params: 170" in page
    assert page.count("<tr>") == 1 + 6  # the header and the six rows
    broken = nnspec.load("network N {\n input x: [4]\n dense(2) -> dence(3)\n}")
    assert broken._repr_html_() == (
        "<pre>&lt;nnspec.Spec &lt;string&gt;: 1 error&gt;\n"
        "&lt;string&gt;:3:14: error: unknown layer or block `dence`\n"
        "   dense(2) -&gt; dence(3)\n"
        "               ^~~~~\n"
        "hint: did you mean `dense`?</pre>")
    assert repr(nnspec.load(os.path.join(ROOT, "specs", "xo.nn"))).endswith("specs/xo.nn: XO>")
    assert nnspec.load(os.path.join(ROOT, "specs", "xo.nn"))._repr_html_() is None  # shown as its diagram


#: the plain table (what a pipe gets), golden as ``tests/golden/summary/<case>.txt``
TEXT_CASES = {
    "xo": ["specs/xo.nn"],  # sizes under 1 KiB in bytes, not `0.00 MiB`
    "resnet50_training": ["specs/resnet50.nn", "--depth", "1", "--batch-size", "32", "--optimizer", "adamw"],
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_golden_summary_text(case, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["summary", *TEXT_CASES[case]])
    assert result.exit_code == 0, result.output
    assert_golden(os.path.join(ROOT, "tests", "golden", "summary", f"{case}.txt"), result.stdout)
