"""The parser's shipped LALR tables (``grammar/nnspec.tables.json``) stay in sync with the
grammar, load without any pickle, and build the very trees the grammar builds.

After a change to ``nnspec.lark`` regenerate them with ``NNSPEC_REGEN=1 pytest
tests/test_parser_tables.py``, the switch of every golden file (see tests/golden_files.py), or
``python -c "from nnspec.frontend.parser import write_tables; write_tables()"``.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import lark
import pytest
from golden_files import REGEN

from nnspec.frontend import parser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _shipped() -> dict:
    with open(parser.TABLES, encoding="utf-8") as fh:
        return json.load(fh)


def test_the_tables_are_made_from_this_grammar():
    shipped = _shipped()
    # rewritten only when stale: Lark numbers the states anew on every build, so a rewrite of
    # current tables would be a diff that means nothing
    if REGEN and (shipped["grammar"], shipped["lark"]) != (parser._grammar_digest(), lark.__version__):
        parser.write_tables()
    assert _shipped()["grammar"] == parser._grammar_digest(), "grammar changed: NNSPEC_REGEN=1 rewrites the tables"


def _canonical(tables: dict) -> dict:
    """What the tables mean, free of the numbering Lark chooses (which differs between runs):
    the automaton's states numbered in the order a walk from the start reaches them, actions
    keyed by token name, rules and terminals written out in full."""
    memo = tables["memo"]

    def resolve(o):
        if isinstance(o, dict):
            if set(o) == {"@"}:
                return resolve(memo[str(o["@"])])
            return {k: unbounded(v) if k == "_width" else resolve(v) for k, v in o.items()}
        return [resolve(v) for v in o] if isinstance(o, list) else o

    def unbounded(width):
        # a pattern without an upper bound is as wide as `re` can count, which differs between
        # Python releases (2**32 - 1 before 3.11.7, 2**64 since): the same meaning either way
        low, high = width
        return [low, "unbounded" if high >= 2**32 - 1 else high]

    def text(o) -> str:
        return json.dumps(resolve(o), sort_keys=True)

    p = tables["data"]["parser"]["parser"]
    tokens, states = p["tokens"], p["states"]
    order: dict[str, int] = {}
    queue = [str(p["start_states"]["start"])]
    while queue:
        state = queue.pop(0)
        if state in order:
            continue
        order[state] = len(order)
        for _tok, (action, arg) in sorted(states[state].items(), key=lambda kv: tokens[kv[0]]):
            if action == 0:
                queue.append(str(arg))
    automaton = [{tokens[tok]: ("shift", order[str(arg)]) if action == 0 else ("reduce", text(arg))
                  for tok, (action, arg) in states[state].items()} for state in order]
    lexer = tables["data"]["parser"]["lexer_conf"]
    return {
        "automaton": automaton,
        "end": order[str(p["end_states"]["start"])],
        "unreached": len(states) - len(order),
        "rules": sorted(text(r) for r in tables["data"]["rules"]),
        "terminals": sorted(text(t) for t in lexer["terminals"]),
        "ignore": sorted(lexer["ignore"]),
        "options": tables["data"]["options"],
    }


def test_the_tables_are_what_the_grammar_builds_with_this_lark():
    shipped = _shipped()
    if shipped["lark"] != lark.__version__:
        # another Lark: the tables are not used, the parser is built from the grammar instead
        assert parser._lark.__wrapped__().source_path != "<deserialized>"
        pytest.skip(f"tables made with Lark {shipped['lark']}, Lark {lark.__version__} is installed")
    fresh = json.loads(parser.tables_text())
    assert _canonical(shipped) == _canonical(fresh)
    assert _canonical(shipped)["unreached"] == 0 and len(shipped["data"]["parser"]["parser"]["states"]) > 100
    assert parser._lark().source_path == "<deserialized>"  # loaded from the tables


def test_the_tables_parse_every_spec_as_the_grammar_does():
    built = parser._build()
    texts = [open(p, encoding="utf-8", errors="replace").read()
             for p in sorted(glob.glob(os.path.join(ROOT, "specs", "*.nn")) +
                             glob.glob(os.path.join(ROOT, "tests", "**", "*.nn"), recursive=True))]
    assert len(texts) > 80
    for text in texts:
        if text.count("{") > 400:  # comparing ASTs that deep recurses; the nesting tests cover them
            continue
        outcomes = []
        for p in (parser._lark(), built):
            try:
                nodes, problem = parser.run(p, text)
                outcomes.append((nodes, problem and (problem.message, problem.span)))
            except (lark.exceptions.LarkError, parser._TooDeep) as e:
                outcomes.append(type(e).__name__ + str(getattr(e, "pos_in_stream", "")))
        assert outcomes[0] == outcomes[1]


def test_no_pickle_is_read_or_written_in_the_temp_folder(tmp_path):
    """A fresh machine: the parser reads no grammar cache from the shared temp folder and
    leaves none there (a planted one would run code)."""
    assert "cache=True" not in open(parser.__file__, encoding="utf-8").read()
    env = dict(os.environ, TMPDIR=str(tmp_path), NNSPEC_CACHE_DIR="")
    result = subprocess.run([sys.executable, "-m", "nnspec", "check", os.path.join(ROOT, "specs", "resnet50.nn"),
                             os.path.join(ROOT, "tests", "errors", "too_deep.nn")],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert "ResNet50: ok" in result.stdout
    assert "too_deep.nn:1002:10: error: nesting is too deep" in result.stderr
    assert os.listdir(tmp_path) == []
