"""`nnspec lsp`, driven as an editor drives it: a process spoken to over stdio (initialize,
didOpen, didChange, each request), its answers compared exactly."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest
from lsp_client import ROOT, Client, ServerError, wait_until

BLOCKS = """\
block Pair(width, stride = 1) {
  conv(width, 3, stride=stride, padding=1) -> relu
  conv(width, 3, padding=1)
}
"""

MAIN = """\
import "blocks/b.nn"

network Net(classes = 10) {
  input image: [3, 32, 32]
  let stem = conv(16, 3, padding=1) -> relu
  stem -> a: Pair(16)
  b: Pair(32, stride=2)
  globalavgpool
  dense(classes)
}
"""


@pytest.fixture(scope="module")
def client():
    c = Client()
    yield c
    c.close()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "b.nn").write_text(BLOCKS)
    (tmp_path / "main.nn").write_text(MAIN)
    return tmp_path


def whole(start_line, start_col, end_line, end_col):
    return {"start": {"line": start_line, "character": start_col}, "end": {"line": end_line, "character": end_col}}


def hints(client, uri, lines=200):
    return [(h["position"]["line"], h["position"]["character"], h["label"]) for h in client.request(
        "textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": whole(0, 0, lines, 0)})]


def test_initialize_announces_what_the_server_does(client):
    caps = client.initialized["capabilities"]
    for name in ("hoverProvider", "completionProvider", "signatureHelpProvider", "definitionProvider",
                 "referencesProvider", "documentSymbolProvider", "codeActionProvider", "documentFormattingProvider",
                 "renameProvider", "inlayHintProvider"):
        assert caps.get(name), name
    assert client.initialized["serverInfo"]["name"] == "nnspec"


def test_diagnostics_are_checks_on_unsaved_text(client, tmp_path):
    path = tmp_path / "bad.nn"
    path.write_text("network Empty {\n}\n")  # on disk: something else; the editor's text counts
    text = textwrap.dedent("""\
        network Bad {
          input image: [3, 32, 32]
          let unused = relu
          conv(8, 3) -> dence(10)
        }
        """)
    uri = client.open(path, text)
    assert client.diagnostics(uri) == [
        {"range": whole(3, 16, 3, 21), "severity": 1, "source": "nnspec",
         "message": "unknown layer or block `dence`\nhint: did you mean `dense`?", "data": {"hint": "did you mean `dense`?"}},
        {"range": whole(2, 6, 2, 12), "severity": 2, "source": "nnspec", "message": "`unused` is bound but never used"},
    ]
    # the same diagnostics as `nnspec check` of that text
    import nnspec

    path.write_text(text)
    assert [(d.severity, d.message, d.span.line, d.span.col, d.span.end_col, d.hint)
            for d in nnspec.load(str(path)).check()] == [
        ("error", "unknown layer or block `dence`", 4, 17, 22, "did you mean `dense`?"),
        ("warning", "`unused` is bound but never used", 3, 7, 13, None)]
    version = client.edit(uri, 3, 16, 3, 21, "dense")  # fixed: only a shape error is left
    assert client.diagnostics(uri, version) == [
        {"range": whole(3, 16, 3, 25), "severity": 1, "source": "nnspec",
         "message": "`dense` acts on the last dimension, but its input [8, 30, 30] looks like an image\nhint: insert "
                    "`flatten` (or a global pool) before `dense`; to act on the channels at every position, move them "
                    "last first: `permute([1, 2, 0])`",
         "data": {"hint": "insert `flatten` (or a global pool) before `dense`; to act on the channels at every "
                          "position, move them last first: `permute([1, 2, 0])`"}},
        {"range": whole(2, 6, 2, 12), "severity": 2, "source": "nnspec", "message": "`unused` is bound but never used"},
    ]


def test_ranges_count_utf16_units_as_editors_do(client, tmp_path):
    text = 'network N {\n  input x: [3, 8, 8]\n  conv(8, 3, padding="\U0001F600")\n}\n'
    uri = client.open(tmp_path / "emoji.nn", text)
    [d] = client.diagnostics(uri)
    # `padding="😀"`: 11 characters, 12 UTF-16 units (the emoji is two)
    assert d["range"] == whole(2, 13, 2, 25)
    assert d["message"].startswith("`padding` of `conv` must be an integer")


def test_imports_resolve_beside_the_file_and_their_errors_show_on_the_import(client, project):
    uri = client.open(project / "main.nn")
    assert client.diagnostics(uri) == []
    version = client.change(uri, MAIN.replace("a: Pair(16)", "a: Piar(16)"))
    assert client.diagnostics(uri, version) == [
        {"range": whole(5, 13, 5, 17), "severity": 1, "source": "nnspec",
         "message": "unknown layer or block `Piar`\nhint: did you mean `Pair`?", "data": {"hint": "did you mean `Pair`?"}}]
    # an error in the imported file sits on the import line, named and linked
    (project / "blocks" / "b.nn").write_text(BLOCKS.replace("conv(width, 3, padding=1)", "conv(width, 3, paddin=1)"))
    version = client.change(uri, MAIN)
    [d] = client.diagnostics(uri, version)
    assert d["range"] == whole(0, 0, 0, 20)
    problem = ("`conv` has no argument `paddin`; its arguments are out, kernel, stride, padding, dilation, groups, bias, "
               "weight_norm")
    assert d["message"] == f"blocks/b.nn:3:18: {problem}\nhint: did you mean `padding`?"
    assert d["relatedInformation"] == [{
        "location": {"uri": (project / "blocks" / "b.nn").as_uri(), "range": whole(2, 17, 2, 23)},
        "message": problem}]


def test_saving_an_import_checks_its_importers_again(client, project):
    uri = client.open(project / "main.nn")
    assert client.diagnostics(uri) == []
    seen = len(client.published(uri))
    blocks = project / "blocks" / "b.nn"
    blocks.write_text(BLOCKS.replace("-> relu", "-> rleu"))
    client.notify("textDocument/didSave", {"textDocument": {"uri": blocks.as_uri()}})
    assert wait_until(lambda: len(client.published(uri)) > seen)
    [d] = client.published(uri)[-1]["diagnostics"]
    assert (d["range"], d["message"]) == (
        whole(0, 0, 0, 20), "blocks/b.nn:2:47: unknown layer or block `rleu`\nhint: did you mean `relu`?")


def test_a_document_that_is_no_file(client):
    uri = "untitled:Untitled-1"
    client.versions[uri] = 1
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "nnspec", "version": 1, "text": "network N {\n  input x: [4]\n  let h = dense(8)\n  h -> dense(2)\n}\n"}})
    assert client.diagnostics(uri) == []
    assert hints(client, uri) == [(2, 18, "[8]"), (3, 15, "[2]")]
    assert client.request("textDocument/definition", client.at(uri, 3, 2)) == [
        {"uri": uri, "range": whole(2, 6, 2, 7)}]


def test_inlay_hints_give_each_chain_lines_shape(client):
    uri = client.open(ROOT / "specs" / "resnet152.nn")
    assert hints(client, uri) == [
        (8, 79, "[64, 112, 112]"), (9, 42, "[64, 56, 56]"), (10, 22, "[256, 56, 56]"), (11, 33, "[512, 28, 28]"),
        (12, 34, "[1024, 14, 14]"), (13, 33, "[2048, 7, 7]"), (15, 24, "[2048]"), (16, 20, "[1000]")]
    # only the lines asked for
    assert [h["label"] for h in client.request("textDocument/inlayHint", {
        "textDocument": {"uri": uri}, "range": whole(10, 0, 11, 0)})] == ["[256, 56, 56]", "[512, 28, 28]"]


def test_inlay_hints_in_a_block_show_each_instances_shape(client, project):
    text = BLOCKS + MAIN.replace('import "blocks/b.nn"\n', "")
    uri = client.open(project / "one.nn", text)
    assert hints(client, uri) == [
        (1, 50, "[16, 32, 32] | [32, 16, 16]"), (2, 27, "[16, 32, 32] | [32, 16, 16]"),
        (7, 43, "[16, 32, 32]"), (8, 21, "[16, 32, 32]"), (9, 23, "[32, 16, 16]"), (10, 15, "[32]"),
        (11, 16, "[10]")]


def test_partial_results_give_the_shapes_up_to_an_error(client, project):
    uri = client.open(project / "main.nn", MAIN.replace("globalavgpool", "dense(4)"))
    assert hints(client, uri) == [(4, 43, "[16, 32, 32]"), (5, 21, "[16, 32, 32]"), (6, 23, "[32, 16, 16]")]
    # a syntax error: the last text that parsed gives the shapes of the lines before it, as they were
    client.change(uri, MAIN)
    client.diagnostics(uri)
    version = client.change(uri, MAIN.replace("  b: Pair(32, stride=2)", "  b: Pair(32, stride=2"))
    assert client.diagnostics(uri, version)[0]["severity"] == 1
    assert hints(client, uri) == [(4, 43, "[16, 32, 32]"), (5, 21, "[16, 32, 32]")]


def hover(client, uri, line, character):
    answer = client.request("textDocument/hover", client.at(uri, line, character))
    return answer and answer["contents"]["value"]


def test_hover(client, project):
    uri = client.open(project / "main.nn")
    client.diagnostics(uri)
    assert hover(client, uri, 4, 14) == (  # a layer
        "**`conv`** — Convolution over 1, 2 or 3 spatial dimensions, chosen by the input's rank.\n"
        "- `0`: [3, 32, 32] → [16, 32, 32]; 448 parameters, 442K MACs\n\nPyTorch:\n```python\n"
        "nn.Conv2d(3, 16, 3, padding=1)\n```")
    assert hover(client, uri, 6, 6) == (  # a block call: its roll-up
        "**`b: Pair`** — block\n- `b` (width=32, stride=2): [16, 32, 32] → [32, 16, 16]; 13,888 parameters, 3.54M MACs")
    assert hover(client, uri, 2, 9) == (  # the network
        "```nnspec\nnetwork Net(classes = 10)\n```\n19,306 parameters, 8.71M MACs; output [10]")
    assert hover(client, uri, 8, 9) == "parameter `classes` of `Net` = 10"  # a parameter's use
    assert hover(client, uri, 3, 8) == "input `image`: [3, 32, 32]"
    assert hover(client, uri, 5, 3) == "value `stem`: [16, 32, 32]"
    assert hover(client, uri, 1, 0) is None  # nothing there
    version = client.change(uri, MAIN.replace("  dense(classes)\n", "  dense(classes)\n  train {\n    optimizer = sgd\n  }\n"))
    client.diagnostics(uri, version)
    assert hover(client, uri, 10, 6) == "training setting `optimizer`, default adam; one of adam, adamw, sgd"


def test_hover_on_a_block_lists_its_instances_and_parameter_values(client, project):
    uri = client.open(project / "one.nn", BLOCKS + MAIN.replace('import "blocks/b.nn"\n', ""))
    assert hover(client, uri, 0, 8) == (
        "```nnspec\nblock Pair(width, stride = 1)\n```\n2 instances:\n"
        "- `a` (width=16, stride=1): [16, 32, 32] → [16, 32, 32]; 4,640 parameters, 4.72M MACs\n"
        "- `b` (width=32, stride=2): [16, 32, 32] → [32, 16, 16]; 13,888 parameters, 3.54M MACs")
    assert hover(client, uri, 1, 25) == "parameter `stride` of `Pair` = 1, 2"
    assert hover(client, uri, 1, 3).splitlines()[1:3] == [
        "- `a.0`: [16, 32, 32] → [16, 32, 32]; 2,320 parameters, 2.36M MACs",
        "- `b.0`: [16, 32, 32] → [32, 16, 16]; 4,640 parameters, 1.18M MACs"]


def test_hover_on_sizes_and_named_values(client, tmp_path):
    text = textwrap.dedent("""\
        block SE(r = 4) on [C, _, _] {
          mul {
            | identity
            | globalavgpool -> dense(C // r) -> relu -> dense(C) -> sigmoid -> reshape([C, 1, 1])
          }
        }

        network N {
          input x: [16, 8, 8]
          let e = conv(16, 3, padding=1)
          SE -> add(e)
          SE(2)
        }
        """)
    uri = client.open(tmp_path / "se.nn", text)
    assert client.diagnostics(uri) == []
    assert hover(client, uri, 0, 20) == "parameter `C` of `SE` = 16"  # a size its `on [...]` names
    assert hover(client, uri, 3, 30) == "parameter `C` of `SE` = 16"
    assert hover(client, uri, 0, 9) == "parameter `r` of `SE` = 4, 2"
    assert hover(client, uri, 10, 12) == "value `e`: [16, 8, 8]"  # named as an argument
    assert hover(client, uri, 3, 49).splitlines()[1:3] == [
        "- `1.4`: [4] → [16]; 80 parameters, 64 MACs", "- `2.4`: [8] → [16]; 144 parameters, 128 MACs"]


def labels(answer):
    return [i["label"] for i in answer["items"]]


def test_completion(client, project):
    text = MAIN.replace("  globalavgpool\n", "  \n  globalavgpool\n")
    uri = client.open(project / "main.nn", text)
    client.diagnostics(uri)
    items = client.request("textDocument/completion", client.at(uri, 7, 2))["items"]
    by_label = {i["label"]: i for i in items}
    assert by_label["conv"] == {
        "label": "conv", "kind": 3,
        "detail": "conv(out, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true, weight_norm=false)",
        "documentation": {"kind": "markdown",
                          "value": "Convolution over 1, 2 or 3 spatial dimensions, chosen by the input's rank."},
        "insertText": "conv(${1:out}, ${2:kernel})", "insertTextFormat": 2}
    assert by_label["relu"]["detail"] == "relu" and "insertText" not in by_label["relu"]
    assert by_label["Pair"] == {"label": "Pair", "kind": 7, "detail": "block Pair(width, stride = 1)",
                                "insertText": "Pair(${1:width})", "insertTextFormat": 2}
    assert [(i["label"], i["detail"]) for i in items if i["kind"] == 6] == [
        ("classes", "parameter of Net"), ("image", "input"), ("stem", "value")]
    # keyword arguments of the layer under the cursor, less those given
    version = client.change(uri, text.replace("  \n", "  conv(8, 3, stride=2, \n"))
    client.diagnostics(uri, version)
    items = client.request("textDocument/completion", client.at(uri, 7, 24))["items"]
    assert [(i["label"], i["detail"]) for i in items if i["kind"] == 5] == [
        ("padding=", "an integer, a list of integers or `same` or `valid`, default 0"),
        ("dilation=", "an integer or a list of integers, default 1"), ("groups=", "an integer, default 1"),
        ("bias=", "`true` or `false`, default true"), ("weight_norm=", "`true` or `false`, default false")]
    # a block's parameters
    client.change(uri, text.replace("  \n", "  Pair(8, \n"))
    items = client.request("textDocument/completion", client.at(uri, 7, 10))["items"]
    assert [(i["label"], i["detail"]) for i in items if i["kind"] == 5] == [
        ("stride=", "default 1")]  # `width` is given by position
    # the settings of a train section
    client.change(uri, text.replace("  \n", "  train {\n    ep\n  }\n"))
    items = client.request("textDocument/completion", client.at(uri, 8, 6))["items"]
    assert labels({"items": items})[:4] == ["data", "epochs", "batch_size", "lr"]
    assert next(i for i in items if i["label"] == "epochs")["detail"] == "default 10"
    # in a shape, and as a keyword's value: the names in scope, no layers
    client.change(uri, text.replace("  \n", "  reshape([\n"))
    assert labels(client.request("textDocument/completion", client.at(uri, 7, 11))) == ["classes", "image", "stem"]
    client.change(uri, text.replace("  \n", "  dropout(p=\n"))
    assert labels(client.request("textDocument/completion", client.at(uri, 7, 12))) == ["classes", "image", "stem"]
    # nothing in a comment
    client.change(uri, text.replace("  \n", "  # conv\n"))
    assert client.request("textDocument/completion", client.at(uri, 7, 8))["items"] == []


def test_signature_help(client, project):
    uri = client.open(project / "main.nn", MAIN.replace("  globalavgpool\n", "  conv(8, 3, groups=\n  globalavgpool\n"))
    answer = client.request("textDocument/signatureHelp", client.at(uri, 7, 9))
    assert answer == {"signatures": [{
        "label": "conv(out, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true, weight_norm=false)",
        "activeParameter": 1,
        "parameters": [{"label": [5, 8]}, {"label": [10, 16]}, {"label": [18, 26]}, {"label": [28, 37]},
                       {"label": [39, 49]}, {"label": [51, 59]}, {"label": [61, 70]},
                       {"label": [72, 89]}]}],
        "activeSignature": 0, "activeParameter": 1}
    assert client.request("textDocument/signatureHelp", client.at(uri, 7, 20))["activeParameter"] == 5
    assert client.request("textDocument/signatureHelp", client.at(uri, 6, 5)) is None  # not in a call
    # a block's parameters, from its import (as the text was when it last parsed)
    client.change(uri, MAIN)
    client.diagnostics(uri)
    client.change(uri, MAIN.replace("  globalavgpool\n", "  Pair(8, \n  globalavgpool\n"))
    answer = client.request("textDocument/signatureHelp", client.at(uri, 7, 10))
    assert (answer["signatures"][0]["label"], answer["activeParameter"]) == ("Pair(width, stride=1)", 1)


def locations(answer):
    return [(Path(os.path.normpath(os.path.abspath(a["uri"].removeprefix("file://")))).name,
             a["range"]["start"]["line"], a["range"]["start"]["character"], a["range"]["end"]["character"])
            for a in answer]


def test_definitions_and_references(client, project):
    uri = client.open(project / "main.nn")
    client.diagnostics(uri)
    # a block, defined in the imported file
    assert locations(client.request("textDocument/definition", client.at(uri, 5, 15))) == [("b.nn", 0, 6, 10)]
    assert locations(client.request("textDocument/references", {
        **client.at(uri, 5, 15), "context": {"includeDeclaration": True}})) == [
        ("b.nn", 0, 6, 10), ("main.nn", 5, 13, 17), ("main.nn", 6, 5, 9)]
    # a let name
    assert locations(client.request("textDocument/definition", client.at(uri, 5, 3))) == [("main.nn", 4, 6, 10)]
    # a parameter, from its use
    assert locations(client.request("textDocument/definition", client.at(uri, 8, 10))) == [("main.nn", 2, 12, 19)]
    # a keyword argument is a use of the block's parameter
    assert locations(client.request("textDocument/definition", client.at(uri, 6, 16))) == [("b.nn", 0, 18, 24)]
    # a label is its own definition
    assert locations(client.request("textDocument/definition", client.at(uri, 6, 2))) == [("main.nn", 6, 2, 3)]
    # an import leads to its file
    answer = client.request("textDocument/definition", client.at(uri, 0, 10))
    assert answer == [{"uri": (project / "blocks" / "b.nn").as_uri(), "range": whole(0, 0, 0, 0)}]
    assert client.request("textDocument/definition", client.at(uri, 7, 5)) is None  # a layer kind: no definition


def test_rename(client, project):
    uri = client.open(project / "main.nn")
    client.diagnostics(uri)
    edit = client.request("textDocument/rename", {**client.at(uri, 6, 6), "newName": "Twin"})
    assert edit == {"changes": {
        (project / "blocks" / "b.nn").as_uri(): [{"range": whole(0, 6, 0, 10), "newText": "Twin"}],
        uri: [{"range": whole(5, 13, 5, 17), "newText": "Twin"}, {"range": whole(6, 5, 6, 9), "newText": "Twin"}]}}
    edit = client.request("textDocument/rename", {**client.at(uri, 4, 7), "newName": "trunk"})
    assert edit == {"changes": {uri: [{"range": whole(4, 6, 4, 10), "newText": "trunk"},
                                      {"range": whole(5, 2, 5, 6), "newText": "trunk"}]}}
    assert client.request("textDocument/prepareRename", client.at(uri, 8, 10)) == whole(8, 8, 8, 15)
    with pytest.raises(ServerError, match="`repeat` is not a name a spec can use"):
        client.request("textDocument/rename", {**client.at(uri, 4, 7), "newName": "repeat"})


def test_document_symbols(client, project):
    uri = client.open(project / "main.nn")
    [net] = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert (net["name"], net["kind"], net["detail"], net["selectionRange"]) == (
        "Net", 5, "network Net(classes = 10)", whole(2, 8, 2, 11))
    assert [(c["name"], c["detail"]) for c in net["children"]] == [
        ("image", "input"), ("stem", "let"), ("a", "label"), ("b", "label")]


def test_formatting_is_fmt(client, tmp_path):
    from nnspec.frontend.fmt import format_source

    text = "network N(c=2){\ninput x:[4]  # features\ndense( c )}\n"
    uri = client.open(tmp_path / "f.nn", text)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                       "options": {"tabSize": 2, "insertSpaces": True}})
    assert edits == [{"range": whole(0, 0, 3, 0), "newText": format_source(text)}]
    assert format_source(text) == "network N(c = 2) {\n  input x: [4]  # features\n  dense(c)\n}\n"
    client.change(uri, format_source(text))
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {
        "tabSize": 2, "insertSpaces": True}}) == []
    client.change(uri, "network N {\n")  # does not parse: left as it is
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {
        "tabSize": 2, "insertSpaces": True}}) is None


def test_code_actions_apply_the_hints(client, tmp_path):
    text = textwrap.dedent("""\
        network A {
          input image: [3, 32, 32]
          conv(8, 3) -> dence(10)
        }
        network B {
          input image: [3, 32, 32]
          conv(8, 3) -> dense(10)
        }
        network C {
          input image: [3, 32, 32]
          residual { conv(8, 3, padding=1) }
        }
        """)
    uri = client.open(tmp_path / "fix.nn", text)
    diags = client.diagnostics(uri)
    assert len(diags) == 3
    fixes = []
    for d in diags:
        answer = client.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}})
        fixes += [(a["title"], a["kind"], a["edit"]["changes"][uri]) for a in answer]
    assert fixes == [
        ("Replace `dence` with `dense`", "quickfix", [{"range": whole(2, 16, 2, 21), "newText": "dense"}]),
        ("Insert `flatten` before it", "quickfix", [{"range": whole(6, 16, 6, 16), "newText": "flatten -> "}]),
        ("Add `shortcut auto`", "quickfix", [{"range": whole(10, 36, 10, 36), "newText": " shortcut auto"}]),
    ]
    fixed = text.replace("dence", "dense").replace("-> dense(10)\n}\nnetwork C", "-> flatten -> dense(10)\n}\nnetwork C")
    fixed = fixed.replace("-> dense(10)\n}\nnetwork B", "-> flatten -> dense(10)\n}\nnetwork B")
    version = client.change(uri, fixed.replace("padding=1) }", "padding=1) } shortcut auto"))
    assert client.diagnostics(uri, version) == []


def test_a_burst_of_edits_leaves_the_last_texts_diagnostics(client, tmp_path):
    good = "network N {\n  input x: [4]\n  dense(2)\n}\n"
    uri = client.open(tmp_path / "burst.nn", good)
    client.diagnostics(uri)
    for k in range(30):  # typing: every other text is broken
        client.change(uri, good.replace("dense(2)", "dense(2" if k % 2 else f"dense({k + 1})"))
    last = client.change(uri, good.replace("dense(2)", "dence(2)"))
    assert [d["message"] for d in client.diagnostics(uri, last)] == [
        "unknown layer or block `dence`\nhint: did you mean `dense`?"]
    time.sleep(0.3)  # nothing older comes after it
    published = client.published(uri)
    assert published[-1]["version"] == last
    versions = [p["version"] for p in published]
    assert versions == sorted(versions) and len(versions) < 31  # debounced: not one analysis per edit


def test_the_server_never_imports_torch(client):
    maps = Path(f"/proc/{client.proc.pid}/maps")
    if not maps.exists():
        pytest.skip("needs /proc")
    uri = client.open(ROOT / "specs" / "xo.nn")
    client.diagnostics(uri)
    hover(client, uri, 4, 3)
    client.request("textDocument/completion", client.at(uri, 4, 2))
    assert "libtorch" not in maps.read_text()
