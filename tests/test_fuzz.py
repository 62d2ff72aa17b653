"""Property tests over the whole front end.

Texts are derived at random from the grammar's own rules (read from the compiled Lark
grammar, so the generator follows the grammar as it changes), then mutated: tokens deleted,
duplicated or swapped, random characters and bytes spliced in. Every text must either check
or fail with located diagnostics, never with another exception; every text that parses
must format to text that parses to the same AST, and formatting again changes nothing.
"""

from __future__ import annotations

import glob
import os
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnspec.diagnostics import Diagnostic, Located, Span
from nnspec.frontend import ast
from nnspec.frontend.fmt import format_ast, format_source
from nnspec.frontend.parser import KEYWORDS, _lark, parse
from nnspec.frontend.program import load_program
from nnspec.spec import Spec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = ["conv", "dense", "relu", "flatten", "maxpool", "batchnorm", "concat", "add", "mul", "identity", "lstm",
         "embedding", "globalavgpool", "dropout", "x", "h", "T", "L", "w", "same", "B", "N", "stride", "padding",
         "repeat", "each", "auto", "rleu", "Stage", "hardswish", "act", "C", "on",
         # the kinds and arguments the language gained later
         "scale", "shift", "pow", "exp", "log", "sqrt", "normalize", "sum", "tanh", "gelu", "positions", "sinusoid",
         "resize", "zeropad", "noise", "amplitude", "slope", "approximate", "dim", "mode", "std", "value"]
NUMBERS = ["0", "1", "2", "3", "4", "8", "16", "0.5", "1e-3", "2.", ".5", "99999999999999999999", "1e999"]
STRINGS = ['"a"', '"x\\"y"', '""', '"blocks/none.nn"']


class _Grammar:
    """The compiled grammar's rules, with the shortest derivation depth of each nonterminal
    so that deep derivations can be brought to an end."""

    def __init__(self):
        lark = _lark()
        self.rules: dict[str, list[list]] = {}
        for r in lark.rules:
            self.rules.setdefault(r.origin.name, []).append(r.expansion)
        self.literal = {t.name: t.pattern.value for t in lark.terminals if type(t.pattern).__name__ == "PatternStr"}
        self.cost = {name: 10**9 for name in self.rules}
        changed = True
        while changed:
            changed = False
            for name, expansions in self.rules.items():
                best = min(1 + max([self.cost.get(s.name, 0) if not s.is_term else 0 for s in e] or [0])
                           for e in expansions)
                if best < self.cost[name]:
                    self.cost[name], changed = best, True

    def tokens(self, rnd: random.Random, symbol: str = "start", depth: int = 0, out=None, seen=None) -> list[str]:
        out = [] if out is None else out
        if seen is not None:
            seen.add(symbol)
        expansions = self.rules[symbol]
        if depth > 13:
            least = min(max([self.cost.get(s.name, 0) for s in e if not s.is_term] or [0]) for e in expansions)
            expansions = [e for e in expansions
                          if max([self.cost.get(s.name, 0) for s in e if not s.is_term] or [0]) == least]
        for s in rnd.choice(expansions):
            if s.is_term:
                out.append(self.terminal(rnd, s.name))
            else:
                self.tokens(rnd, s.name, depth + 1, out, seen)
        return out

    def terminal(self, rnd: random.Random, name: str) -> str:
        if name in self.literal:
            return self.literal[name]
        return {
            "NAME": lambda: rnd.choice(NAMES),
            "NUMBER": lambda: rnd.choice(NUMBERS),
            "STRING": lambda: rnd.choice(STRINGS),
            "_NL": lambda: rnd.choice(["\n", "\n\n", "\n# note\n"]),
            "_ARROW": lambda: rnd.choice([" -> ", "\n  -> "]),
            "COMPARE": lambda: rnd.choice(["==", "!=", "<", "<=", ">", ">="]),
        }[name]()


GRAMMAR = _Grammar()
SEEDS = []
for _p in sorted(glob.glob(os.path.join(ROOT, "specs", "*.nn"))):
    with open(_p, encoding="utf-8") as _fh:
        SEEDS.append(_fh.read())
_WORDS = re.compile(r"\w+|->|//|\s+|.", re.DOTALL)


def _join(tokens: list[str]) -> str:
    return " ".join(tokens).replace(" \n", "\n").replace("\n ", "\n")


def _mutate(rnd: random.Random, words: list[str]) -> list[str]:
    words = list(words)
    for _ in range(rnd.randint(1, 4)):
        if not words:
            break
        i, j = rnd.randrange(len(words)), rnd.randrange(len(words))
        op = rnd.randrange(5)
        if op == 0:
            del words[i]
        elif op == 1:
            words.insert(i, words[j])
        elif op == 2:
            words[i], words[j] = words[j], words[i]
        elif op == 3:
            words.insert(i, rnd.choice(["{", "}", "(", ")", "[", "]", "|", "->", ":", "=", ",", "\n", '"', "#", "\\"]))
        else:
            words.insert(i, bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 4))).decode("latin-1"))
    return words


def _assert_checks_or_locates(text: str) -> None:
    diags = Spec(load_program(text, "<string>")).check()
    for d in diags:
        assert isinstance(d, Diagnostic)
        assert d.severity in ("error", "warning")
        assert d.span is not None and d.span.line >= 1 and d.span.col >= 1, d
        rendered = d.render({"<string>": text})
        assert rendered.startswith(f"<string>:{d.span.line}:{d.span.col}: {d.severity}: ")


def _assert_formats_faithfully(text: str) -> None:
    try:
        nodes = parse(text)
    except Located:
        return
    out = format_source(text)
    assert ast.plain(parse(out)) == ast.plain(nodes)
    assert format_source(out) == out
    assert out.count("#") >= sum(1 for line in text.splitlines() if "#" in line.split('"')[0]) or '"' in text


@FUZZ
@given(st.randoms(use_true_random=False))
def test_grammar_derived_texts_check_or_fail_located(rnd):
    text = _join(GRAMMAR.tokens(rnd))
    _assert_checks_or_locates(text)
    _assert_formats_faithfully(text)


@FUZZ
@given(st.randoms(use_true_random=False))
def test_mutated_grammar_texts_never_raise(rnd):
    text = _join(_mutate(rnd, GRAMMAR.tokens(rnd)))
    _assert_checks_or_locates(text)
    _assert_formats_faithfully(text)


@FUZZ
@given(st.randoms(use_true_random=False), st.sampled_from(range(len(SEEDS))))
def test_mutated_zoo_specs_never_raise(rnd, k):
    text = "".join(_mutate(rnd, _WORDS.findall(SEEDS[k])))
    _assert_checks_or_locates(text)
    _assert_formats_faithfully(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data):
    _assert_checks_or_locates(data.decode("utf-8", errors="replace"))
    _assert_checks_or_locates(data.decode("latin-1"))


def test_the_generator_reaches_every_rule_of_the_grammar():
    seen: set[str] = set()
    rnd = random.Random(0)
    for _ in range(500):
        GRAMMAR.tokens(rnd, seen=seen)
    assert seen == set(GRAMMAR.rules)


# -- random ASTs, printed and parsed back --------------------------------------------------------
_AT = Span("<ast>", 1, 1, 1, 2)
_RESERVED = KEYWORDS | {"train", "pad"}  # `train` and `pad` are words of the grammar too
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in _RESERVED)


def _exprs():
    leaves = st.one_of(
        st.integers(0, 2**62).map(lambda v: ast.Num(v, _AT)),
        st.floats(0, 1e300, allow_nan=False, allow_infinity=False).map(lambda v: ast.Num(v, _AT)),
        _names.map(lambda n: ast.Ref(n, _AT)),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"), max_size=3).map(
            lambda v: ast.Str(v, _AT)),  # a condition compares strings
    )
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/", "//", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or"]),
                  inner, inner).map(lambda t: ast.BinOp(t[0], t[1], t[2], _AT)),
        inner.map(lambda e: ast.Neg(e, _AT)),
        inner.map(lambda e: ast.Not(e, _AT)),
    ), max_leaves=6)


def _values():
    scalars = st.one_of(
        _exprs(),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"), max_size=5).map(
            lambda v: ast.Str(v, _AT)),
        st.booleans().map(lambda v: ast.Bool(v, _AT)),
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3).map(lambda v: ast.ListV(v, _AT)),
                        max_leaves=4)


def _args():
    return st.none() | st.lists(st.builds(lambda n, v: ast.Arg(n, v, _AT), st.none() | _names, _values()),
                                max_size=3)


def _bodies(stmts):
    return st.lists(stmts, max_size=3).map(lambda s: ast.Body(s, _AT))


def _chains(bodies):
    atoms = st.one_of(
        st.builds(lambda n, a: ast.Call(n, a, None, _AT, _AT), _names, _args()),
        st.builds(lambda n, a, b: ast.Call(n, a, b, _AT, _AT), _names, _args(), st.lists(bodies, max_size=3)),
        st.builds(lambda c, b: ast.Repeat(c, b, _AT), _exprs(), bodies),
        st.builds(lambda b, s: ast.Residual(b, s, _AT), bodies, st.none() | st.just("auto") | bodies),
        st.builds(lambda b, s: ast.Residual(b, s, _AT, shortcut_first=True), bodies, st.just("auto") | bodies),
        st.builds(lambda c, t, e: ast.If(c, t, e, _AT), _exprs(), bodies,
                  st.none() | bodies | st.builds(lambda c, t: ast.If(c, t, None, _AT), _exprs(), bodies)),
        st.builds(lambda b: ast.Each(b, _AT), bodies),
        st.lists(_exprs(), max_size=3).map(lambda d: ast.Expect(d, _AT)),
    )
    items = st.builds(lambda label, atom: ast.Item(label, atom, _AT), st.none() | _names, atoms)
    return st.lists(items, min_size=1, max_size=3).map(lambda i: ast.Chain(i, _AT))


def _statements():
    def extend(stmts):
        bodies = _bodies(stmts)
        chains = _chains(bodies)
        return st.one_of(
            chains,
            st.builds(lambda n, c: ast.Let(n, c, _AT, _AT), _names, chains),
            st.builds(lambda n, c: ast.Output(n, c, _AT, _AT), _names, chains),
        )

    base = st.one_of(
        st.builds(lambda n, d, t, p: ast.Input(n, d, t, p, _AT, _AT), _names, st.lists(_exprs(), max_size=3),
                  st.sampled_from(["float", "int"]), st.none() | _exprs()),
        st.lists(st.builds(lambda n, v: ast.Setting(n, v, _AT), _names, _values()), max_size=2).map(
            lambda s: ast.TrainSection(s, _AT)),
        _names.map(lambda n: ast.Chain([ast.Item(None, ast.Call(n, None, None, _AT, _AT), _AT)], _AT)),
    )
    return st.recursive(base, extend, max_leaves=8)


_files = st.lists(st.one_of(
    st.builds(lambda k, n, ps, b, on: ast.Definition(k, n, ps, b, _AT, _AT, on if k == "block" else None),
              st.sampled_from(["network", "block"]), _names,
              st.lists(st.builds(lambda n, v: ast.Param(n, v, _AT), _names, st.none() | _values()), max_size=3),
              _bodies(_statements()), st.none() | st.lists(_exprs(), max_size=3)),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"), max_size=8).map(
        lambda p: ast.Import(p, _AT)),
), max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_files)
def test_random_asts_print_and_parse_back(nodes):
    text = format_ast(nodes)
    assert ast.plain(parse(text)) == ast.plain(nodes), text
    assert format_source(text) == text


# -- network parameters of every kind in every place a size goes ------------------------------
_PARAM_VALUES = ['"q"', "K", '"q\\rimport os"', "[1, 2]", "[K]", "1.5", "true", "0", "-3", "2", "1e308",
                 "9223372036854775807", "T"]
_INPUTS = ["[D, 4]", "[3, D, D]", "[T, D]", "[D]", "[3, 8, 8]", "[T, 8]", "[D * 2, 4]", "[D // 2, 4]"]
_USES = ["dense(D)", "conv(D, 3)", "maxpool(D)", "upsample(D)", "adaptiveavgpool(D)", "reshape([D, -1])",
         "embedding(D, 4)", "repeat D { relu }", "expect [D, 4]", "lstm(D)", "conv(8, 3, padding=D)",
         "concat { | relu | conv(D, 1) }", "conv(4, 3, stride=D)", "sinusoid(D)", "sum(D)", "mean([0, D])",
         "scale(D) -> shift(D) -> pow(D)", "normalize(dim=D)", "tanh(amplitude=D, slope=D)",
         "add { | identity | positions -> embedding(D, 4) }", ""]


@pytest.mark.parametrize("value", _PARAM_VALUES)
def test_a_parameter_of_any_kind_used_as_a_size_checks_or_fails_located(value):
    """Text, names, lists, fractions, booleans and extreme numbers as sizes: each spec checks (and
    then summarises, draws and compiles) or fails with located errors, never an exception."""
    for shape in _INPUTS:
        for use in _USES:
            text = f"network N(D = {value}) {{\n  input x: {shape}\n  {use}\n  flatten\n}}\n"
            _assert_checks_or_locates(text)
            spec = Spec(load_program(text, "<string>"))
            if not [d for d in spec.check() if d.severity == "error"]:
                str(spec.summary())
                spec.to_dot()
                spec.to_source()
