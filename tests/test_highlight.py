"""The Pygments lexer (`nnspec`): found by name and file name through its entry point, no
error token on any file of the zoo, and the right class for each kind of token."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments import lex
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error

from nnspec.core.catalogue import kinds
from nnspec.lsp.highlight import NnspecLexer

ROOT = Path(__file__).resolve().parent.parent
ZOO = sorted((ROOT / "specs").rglob("*.nn"))


def test_the_entry_point_finds_it():
    assert type(get_lexer_by_name("nnspec")) is NnspecLexer
    assert type(get_lexer_for_filename("model.nn")) is NnspecLexer


@pytest.mark.parametrize("path", ZOO, ids=[str(p.relative_to(ROOT)) for p in ZOO])
def test_no_error_token_in_the_zoo(path):
    text = path.read_text()
    tokens = list(lex(text, NnspecLexer()))
    assert [v for t, v in tokens if t in Error] == []
    assert "".join(v for _, v in tokens) == text  # nothing lost


def tokens(text: str) -> list[tuple[str, str]]:
    return [(str(t).removeprefix("Token."), v) for t, v in lex(text, NnspecLexer()) if v.strip()]


def test_token_classes():
    text = (
        'import "blocks/resnet.nn"  # the blocks\n'
        "block Up(c, act = relu) on [C, _, _] {\n"
        "  conv(c, 3, padding=same, bias=false) -> act\n"
        "}\n"
        "network N(classes = 10) {\n"
        '  input tokens: [T] int pad=0\n'
        "  let e = embedding(1000, 64)\n"
        "  e -> head: dense(classes * 2 // 4) -> dropout(0.5) -> layernorm(eps=1e-5)\n"
        "  repeat 2 { Up(8) }\n"
        '  train { data = "text:a \\"b\\".csv" }\n'
        "}\n")
    assert tokens(text) == [
        ("Keyword.Namespace", "import"), ("Literal.String.Double", '"'), ("Literal.String.Double", "blocks/resnet.nn"),
        ("Literal.String.Double", '"'), ("Comment.Single", "# the blocks"),
        ("Keyword.Declaration", "block"), ("Name.Class", "Up"), ("Punctuation", "("), ("Name", "c"),
        ("Punctuation", ","), ("Name.Attribute", "act"), ("Operator", "="), ("Name.Builtin", "relu"),
        ("Punctuation", ")"), ("Keyword", "on"), ("Punctuation", "["), ("Name", "C"), ("Punctuation", ","),
        ("Name", "_"), ("Punctuation", ","), ("Name", "_"), ("Punctuation", "]"), ("Punctuation", "{"),
        ("Name.Builtin", "conv"), ("Punctuation", "("), ("Name", "c"), ("Punctuation", ","),
        ("Literal.Number.Integer", "3"), ("Punctuation", ","), ("Name.Attribute", "padding"), ("Operator", "="),
        ("Name", "same"), ("Punctuation", ","), ("Name.Attribute", "bias"), ("Operator", "="),
        ("Keyword.Constant", "false"), ("Punctuation", ")"), ("Operator", "->"), ("Name", "act"),
        ("Punctuation", "}"),
        ("Keyword.Declaration", "network"), ("Name.Class", "N"), ("Punctuation", "("), ("Name.Attribute", "classes"),
        ("Operator", "="), ("Literal.Number.Integer", "10"), ("Punctuation", ")"), ("Punctuation", "{"),
        ("Keyword", "input"), ("Name.Variable", "tokens"), ("Punctuation", ":"), ("Punctuation", "["),
        ("Name", "T"), ("Punctuation", "]"), ("Keyword.Type", "int"), ("Name.Attribute", "pad"), ("Operator", "="),
        ("Literal.Number.Integer", "0"),
        ("Keyword", "let"), ("Name.Variable", "e"), ("Operator", "="), ("Name.Builtin", "embedding"),
        ("Punctuation", "("), ("Literal.Number.Integer", "1000"), ("Punctuation", ","),
        ("Literal.Number.Integer", "64"), ("Punctuation", ")"),
        ("Name", "e"), ("Operator", "->"), ("Name.Label", "head"), ("Punctuation", ":"), ("Name.Builtin", "dense"),
        ("Punctuation", "("), ("Name", "classes"), ("Operator", "*"), ("Literal.Number.Integer", "2"),
        ("Operator", "//"), ("Literal.Number.Integer", "4"), ("Punctuation", ")"), ("Operator", "->"),
        ("Name.Builtin", "dropout"), ("Punctuation", "("), ("Literal.Number.Float", "0.5"), ("Punctuation", ")"),
        ("Operator", "->"), ("Name.Builtin", "layernorm"), ("Punctuation", "("), ("Name.Attribute", "eps"),
        ("Operator", "="), ("Literal.Number.Float", "1e-5"), ("Punctuation", ")"),
        ("Keyword", "repeat"), ("Literal.Number.Integer", "2"), ("Punctuation", "{"), ("Name", "Up"),
        ("Punctuation", "("), ("Literal.Number.Integer", "8"), ("Punctuation", ")"), ("Punctuation", "}"),
        ("Keyword", "train"), ("Punctuation", "{"), ("Name.Attribute", "data"), ("Operator", "="),
        ("Literal.String.Double", '"'), ("Literal.String.Double", "text:a "), ("Literal.String.Escape", '\\"'),
        ("Literal.String.Double", "b"), ("Literal.String.Escape", '\\"'), ("Literal.String.Double", ".csv"),
        ("Literal.String.Double", '"'), ("Punctuation", "}"),
        ("Punctuation", "}"),
    ]


def test_every_layer_kind_is_a_builtin():
    assert [v for t, v in tokens(" ".join(kinds()))] == kinds()
    assert {t for t, v in tokens(" ".join(kinds()))} == {"Name.Builtin"}
