"""The VS Code extension's files: the TextMate grammar (its regexes compile, its names are the
parser's keywords and the registry's kinds, and on every zoo file it gives comments, strings,
numbers, keywords and layer kinds the scopes that the Pygments lexer gives them classes), the
language configuration and the manifest."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pygments import lex
from pygments.token import Comment, Keyword, Name, Number, String

from nnspec.core.catalogue import kinds
from nnspec.frontend.parser import KEYWORDS
from nnspec.lsp.highlight import NnspecLexer

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((VSCODE / "syntaxes" / "nnspec.tmLanguage.json").read_text())
ZOO = sorted((ROOT / "specs").rglob("*.nn"))


def rules(node=GRAMMAR) -> list[dict]:
    """The grammar's top-level rules in order, includes expanded (as TextMate tries them)."""
    out = []
    for p in node["patterns"]:
        if "include" in p:
            p = GRAMMAR["repository"][p["include"].removeprefix("#")]
        out += rules(p) if "patterns" in p and "match" not in p and "begin" not in p else [p]
    return out


def scopes(line: str) -> list[str | None]:
    """Each character's innermost scope, by TextMate's rule: at each place the rule whose match
    starts first wins (the earlier rule on a tie); a begin/end rule holds until its end."""
    out: list[str | None] = [None] * len(line)
    pos, inside = 0, None
    compiled = [(r, re.compile(r.get("match") or r["begin"])) for r in rules()]
    while pos < len(line):
        if inside is not None:  # in a string: its escapes, until its end
            end = re.compile(inside["end"]).search(line, pos)
            inner = [(m, r) for r in inside.get("patterns", []) if (m := re.compile(r["match"]).search(line, pos))]
            inner = [(m, r) for m, r in inner if end is None or m.start() < end.start()]
            if inner:
                m, r = min(inner, key=lambda x: x[0].start())
                out[pos:m.start()] = [inside["name"]] * (m.start() - pos)
                out[m.start():m.end()] = [r["name"]] * (m.end() - m.start())
                pos = m.end()
                continue
            stop = end.end() if end else len(line)
            out[pos:stop] = [inside["name"]] * (stop - pos)
            pos, inside = stop, None
            continue
        found = [(m, r) for r, rx in compiled if (m := rx.search(line, pos))]
        if not found:
            break
        m, r = min(found, key=lambda x: x[0].start())  # min keeps the first of equal starts
        if "begin" in r:
            out[m.start():m.end()] = [r["name"]] * (m.end() - m.start())
            pos, inside = m.end(), r
            continue
        if "name" in r:
            out[m.start():m.end()] = [r["name"]] * (m.end() - m.start())
        for group, capture in r.get("captures", {}).items():
            if m.group(int(group)) is not None:
                out[m.start(int(group)):m.end(int(group))] = [capture["name"]] * len(m.group(int(group)))
        pos = max(m.end(), pos + 1)
    return out


def test_every_regex_compiles():
    patterns = [r.get("match") or r.get("begin") for r in rules()]
    patterns += [GRAMMAR["repository"]["string"]["end"]]
    patterns += [p["match"] for p in GRAMMAR["repository"]["string"]["patterns"]]
    for p in patterns:
        re.compile(p)
    assert len(patterns) >= 20


def test_its_names_are_the_parsers_and_the_registrys():
    layer = next(r["match"] for r in rules() if r.get("name", "").startswith("support.function.layer"))
    assert layer == r"\b(" + "|".join(kinds()) + r")\b", "the layer kinds changed: run tools/textmate_grammar.py"
    words = set()
    for r in rules():
        for word in re.findall(r"[a-z]+", (r.get("match") or "").replace("\\b", " ").split("(?")[0]):
            if word in KEYWORDS:
                words.add(word)
    assert words == KEYWORDS, f"keywords the grammar lacks: {sorted(KEYWORDS - words)}"


_EXPECTED = [  # a Pygments class, and the scopes TextMate should give its characters
    (Comment, ("comment.line",)),
    (String, ("string.quoted", "constant.character.escape")),
    (Number, ("constant.numeric",)),
    (Keyword, ("keyword.", "storage.type", "constant.language")),
    (Name.Builtin, ("support.function.layer",)),
    (Name.Label, ("entity.name.tag.label",)),
    (Name.Class, ("entity.name.type",)),
]


@pytest.mark.parametrize("path", ZOO, ids=[str(p.relative_to(ROOT)) for p in ZOO])
def test_the_zoo_gets_its_scopes(path):
    text = path.read_text()
    line_scopes = [scopes(line) for line in text.split("\n")]
    offsets, at = [], 0
    for line in text.split("\n"):
        offsets.append(at)
        at += len(line) + 1
    wrong, checked = [], 0
    at = 0
    for token, value in lex(text, NnspecLexer()):
        start = at
        at += len(value)
        if not value.strip():
            continue
        for cls, names in _EXPECTED:
            if token in cls:
                line = max(k for k, o in enumerate(offsets) if o <= start)
                col = start - offsets[line]
                got = line_scopes[line][col]
                checked += 1
                if got is None or not got.startswith(names):
                    wrong.append((line + 1, col + 1, value, str(token), got))
                break
    assert wrong == []
    assert checked > 10  # the comparison saw the file's tokens


def test_key_scopes_on_a_line():
    line = 'conv1: conv(64, 7, stride=2, bias=false) -> relu  # stem "x"'
    got = scopes(line)
    assert got[0] == "entity.name.tag.label.nnspec"
    assert got[line.index("conv(")] == "support.function.layer.nnspec"
    assert got[line.index("64")] == "constant.numeric.integer.nnspec"
    assert got[line.index("stride")] == "variable.parameter.nnspec"
    assert got[line.index("false")] == "constant.language.boolean.nnspec"
    assert got[line.index("->")] == "keyword.operator.arrow.nnspec"
    assert got[line.index("#")] == got[line.index('"x"')] == "comment.line.number-sign.nnspec"
    line = 'network N(lr = 1e-3) { repeat 2 { Up } }  train { data = "a\\"b" }'
    got = scopes(line)
    assert got[0] == "storage.type.nnspec" and got[line.index("N(")] == "entity.name.type.nnspec"
    assert got[line.index("1e-3")] == got[line.index("-3")] == "constant.numeric.float.nnspec"
    assert got[line.index("repeat")] == "keyword.control.nnspec"
    assert got[line.index("train")] == "keyword.other.nnspec"
    assert got[line.index('\\"')] == "constant.character.escape.nnspec"


def test_language_configuration():
    config = json.loads((VSCODE / "language-configuration.json").read_text())
    assert config["comments"] == {"lineComment": "#"}
    assert config["brackets"] == [["{", "}"], ["[", "]"], ["(", ")"]]
    increase = re.compile(config["indentationRules"]["increaseIndentPattern"])
    decrease = re.compile(config["indentationRules"]["decreaseIndentPattern"])
    assert increase.search("network N {") and increase.search("  concat {  # branches")
    assert not increase.search("  repeat 2 { relu }") and not increase.search("  # {")
    assert decrease.search("  }") and not decrease.search("  relu")


def test_the_manifest_ties_the_pieces():
    manifest = json.loads((VSCODE / "package.json").read_text())
    [language] = manifest["contributes"]["languages"]
    assert (language["id"], language["extensions"]) == ("nnspec", [".nn"])
    assert (VSCODE / language["configuration"]).exists()
    [grammar] = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == "source.nnspec"
    assert (VSCODE / grammar["path"]).resolve() == (VSCODE / "syntaxes" / "nnspec.tmLanguage.json").resolve()
    assert (VSCODE / manifest["main"]).exists()
    assert [c["command"] for c in manifest["contributes"]["commands"]] == ["nnspec.showDiagram"]
    assert "vscode-languageclient" in manifest["dependencies"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the extension's JavaScript")
def test_the_extension_starts_the_server_and_draws_the_diagram_on_save(tmp_path):
    """extension.js under node, with stand-ins for VS Code's API (tests/vscode_harness.js)."""
    import sys

    spec = tmp_path / "xo.nn"
    spec.write_text((ROOT / "specs" / "xo.nn").read_text())
    broken = spec.read_text().replace("dense(classes)", "dence(classes)")
    run = subprocess.run(["node", str(ROOT / "tests" / "vscode_harness.js"), str(spec), sys.executable, "-m", "nnspec"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, "NEW_TEXT": broken})
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert [e["event"] for e in events] == ["client", "start", "panel", "html", "html"], run.stderr
    assert events[0]["server"] == {"command": sys.executable, "args": ["-m", "nnspec", "lsp"], "transport": 0}
    assert events[0]["selector"][0] == {"scheme": "file", "language": "nnspec"}
    assert (events[2]["title"], events[2]["column"]) == ("Diagram: xo.nn", -2)  # beside the editor
    assert events[3]["svg"] and not events[3]["error"] and "XO" in events[3]["text"]
    # saved with an error: the diagram gives way to check's message
    assert events[4]["error"] and not events[4]["svg"]
    assert "xo.nn:7:3: error: unknown layer or block `dence`" in events[4]["text"]
    assert "hint: did you mean `dense`?" in events[4]["text"]
