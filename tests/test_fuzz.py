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

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnspec import ast
from nnspec.diagnostics import Diagnostic, Located
from nnspec.fmt import format_source
from nnspec.parser import _lark, parse
from nnspec.program import load_program
from nnspec.spec import Spec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = ["conv", "dense", "relu", "flatten", "maxpool", "batchnorm", "concat", "add", "mul", "identity", "lstm",
         "embedding", "globalavgpool", "dropout", "x", "h", "T", "L", "w", "same", "B", "N", "stride", "padding",
         "repeat", "each", "auto", "rleu", "Stage"]
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
        }[name]()


GRAMMAR = _Grammar()
SEEDS = []
for _p in sorted(glob.glob(os.path.join(ROOT, "specs", "*.nn"))):
    with open(_p, encoding="utf-8") as _fh:
        SEEDS.append(_fh.read())
_WORDS = re.compile(r"\w+|->|//|\s+|.", re.S)


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
