"""`nnspec fmt`: the canonical layout, comments kept, idempotence, meaning unchanged."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import pytest

from nnspec.diagnostics import Located
from nnspec.frontend import ast
from nnspec.frontend.fmt import format_source, number
from nnspec.frontend.parser import parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECS = sorted(glob.glob(os.path.join(ROOT, "specs", "**", "*.nn"), recursive=True))

MESSY = """\
# header comment
import "blocks/a.nn"   # trailing import
import "b.nn"
block B( w,s=1 ){   # after open
    conv(w,3,stride=s,padding=1)->relu     # after chain


    # own line before residual
    residual{conv(w,3,padding=1)->batchnorm}shortcut auto
    r2: residual {
       conv(w, 1)   # inside
       # end of body
    } shortcut {
      conv(w,1) -> batchnorm
      relu
    }   # after close
    x:concat(dim=0){
      | conv( w , 1 ) -> relu
      | conv(w,1)->relu
        -> conv(w, 3, padding = 1)
      |
      | identity
        relu    # 2nd stmt in branch
      # inside concat end
    }
}
network N(c = 2*(3+4), lr=1e-5, s="a\\"b\\\\c", f = false, l=[1,2,[3]]) {
  input x : [T , 3, (L-3)//2+1] int pad = 0
  input y: [4]
  let e1 = x -> embedding(10, 4)
  -> each { dense(4) -> relu }
  output o1 = e1 -> dense(a - (b - c), bias = true) -> dense(-(a+b)) -> dense(- -3)
  y -> dense(1.50) -> dense(100000.0) -> dense(1e16) -> dense(3.0e-7) -> dense(123456789012345678) -> dense(0.0001)
  repeat 0 {}
  repeat 2 {
  }
  train {
    lr = 0.1 # the rate
    epochs = 3
  }
  expect [ 2 ]  # shape
}
# trailing file comment
"""

MESSY_FORMATTED = """\
# header comment
import "blocks/a.nn"  # trailing import
import "b.nn"

block B(w, s = 1) {  # after open
  conv(w, 3, stride=s, padding=1) -> relu  # after chain

  # own line before residual
  residual { conv(w, 3, padding=1) -> batchnorm } shortcut auto
  r2: residual {
    conv(w, 1)  # inside
    # end of body
  } shortcut {
    conv(w, 1) -> batchnorm
    relu
  }  # after close
  x: concat(dim=0) {
    | conv(w, 1) -> relu
    | conv(w, 1) -> relu -> conv(w, 3, padding=1)
    |
    | identity
      relu  # 2nd stmt in branch
    # inside concat end
  }
}

network N(c = 2 * (3 + 4), lr = 1e-5, s = "a\\"b\\\\c", f = false, l = [1, 2, [3]]) {
  input x: [T, 3, (L - 3) // 2 + 1] int pad=0
  input y: [4]
  let e1 = x -> embedding(10, 4) -> each { dense(4) -> relu }
  output o1 = e1 -> dense(a - (b - c), bias=true) -> dense(-(a + b)) -> dense(--3)
  y -> dense(1.5) -> dense(100000.0) -> dense(1e16) -> dense(3e-7) -> dense(123456789012345678)
    -> dense(0.0001)
  repeat 0 {}
  repeat 2 {}
  train {
    lr = 0.1  # the rate
    epochs = 3
  }
  expect [2]  # shape
}
# trailing file comment
"""


def test_messy_file_gets_the_canonical_layout():
    assert format_source(MESSY) == MESSY_FORMATTED


def test_formatting_is_idempotent_and_keeps_the_ast():
    assert format_source(MESSY_FORMATTED) == MESSY_FORMATTED
    assert ast.plain(parse(MESSY_FORMATTED)) == ast.plain(parse(MESSY))


def test_every_comment_survives():
    comments = sorted(line.split("#", 1)[1].strip() for line in MESSY.splitlines() if "#" in line)
    kept = sorted(line.split("#", 1)[1].strip() for line in MESSY_FORMATTED.splitlines() if "#" in line)
    assert kept == comments


def test_comment_between_chain_items_keeps_the_line_break():
    text = "network N {\n  input x: [4]\n  dense(3)  # a\n  -> relu # b\n  -> dense(2) -> relu\n}\n"
    assert format_source(text) == (
        "network N {\n  input x: [4]\n  dense(3)  # a\n    -> relu  # b\n    -> dense(2) -> relu\n}\n"
    )


def test_hash_inside_a_string_is_not_a_comment():
    text = 'network N(s = "a # b {") {\n  input x: [4]\n  dense(2)\n}\n'
    assert format_source(text) == text


def test_long_chain_wraps_before_an_arrow_at_the_width():
    items = " -> ".join(f"dense({1000 + i})" for i in range(20))
    out = format_source(f"network N {{ input x: [4]\n{items} }}")
    lines = out.splitlines()[2:-1]
    assert all(len(line) <= 100 for line in lines)
    assert lines[0].startswith("  dense(1000) -> ")
    assert all(line.startswith("    -> dense(") for line in lines[1:])
    assert format_source(out) == out


def test_nested_constructs_in_a_chain_continue_after_the_closing_brace():
    text = (
        "network N { input x: [3, 8, 8]\n"
        "conv(4, 3) -> residual { conv(4, 3, padding=1)\nrelu } shortcut { conv(4, 1)\nbatchnorm } -> relu\n}"
    )
    assert format_source(text) == (
        "network N {\n"
        "  input x: [3, 8, 8]\n"
        "  conv(4, 3) -> residual {\n"
        "    conv(4, 3, padding=1)\n"
        "    relu\n"
        "  } shortcut {\n"
        "    conv(4, 1)\n"
        "    batchnorm\n"
        "  } -> relu\n"
        "}\n"
    )


@pytest.mark.parametrize(
    "value, text",
    [(1e-5, "1e-5"), (0.5, "0.5"), (1e16, "1e16"), (3.0, "3.0"), (12, "12"), (1.5e-300, "1.5e-300"), (100000.0, "100000.0")],
)
def test_numbers_print_in_their_shortest_exact_form(value, text):
    assert number(value) == text
    assert float(text) == value


@pytest.mark.parametrize("path", SPECS, ids=lambda p: os.path.relpath(p, ROOT))
def test_zoo_specs_are_stable_under_fmt(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    once = format_source(text, path)
    assert format_source(once, path) == once
    assert ast.plain(parse(once)) == ast.plain(parse(text))


def test_unparsable_text_raises_a_located_error():
    with pytest.raises(Located) as e:
        format_source("network N {\n  conv(3,\n")
    assert e.value.span.line == 2


def _fmt(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "nnspec", "fmt", *args], input=stdin, capture_output=True, text=True, check=False)


def test_cli_check_lists_files_that_would_change_and_changes_nothing(tmp_path):
    messy, clean = tmp_path / "messy.nn", tmp_path / "clean.nn"
    messy.write_text(MESSY)
    clean.write_text(MESSY_FORMATTED)
    r = _fmt("--check", str(messy), str(clean))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [str(messy)]
    assert messy.read_text() == MESSY


def test_cli_rewrites_in_place_and_keeps_permissions(tmp_path):
    messy = tmp_path / "messy.nn"
    messy.write_text(MESSY)
    messy.chmod(0o640)
    r = _fmt(str(messy))
    assert r.returncode == 0, r.stderr
    assert messy.read_text() == MESSY_FORMATTED
    assert messy.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["messy.nn"]  # no temporary file left behind
    assert _fmt("--check", str(messy)).returncode == 0


def test_cli_never_touches_a_file_that_does_not_parse(tmp_path):
    bad = tmp_path / "bad.nn"
    bad.write_text("network N {\n  conv(3,\n")
    r = _fmt(str(bad))
    assert r.returncode == 1
    assert r.stderr.startswith(f"{bad}:2:")
    assert bad.read_text() == "network N {\n  conv(3,\n"


def test_cli_dash_formats_stdin_to_stdout_and_diff_shows_changes(tmp_path):
    r = _fmt("-", stdin="network N { input x: [2]\ndense(3)}")
    assert (r.returncode, r.stdout) == (0, "network N {\n  input x: [2]\n  dense(3)\n}\n")
    messy = tmp_path / "m.nn"
    messy.write_text("network N { input x: [2]\ndense( 3 )\n}\n")
    r = _fmt("--diff", str(messy))
    assert r.returncode == 0
    assert r.stdout.splitlines()[2:] == [
        "@@ -1,3 +1,4 @@", "-network N { input x: [2]", "-dense( 3 )", "+network N {", "+  input x: [2]", "+  dense(3)", " }",
    ]
    assert messy.read_text() == "network N { input x: [2]\ndense( 3 )\n}\n"


def test_byte_order_mark_tabs_and_crlf_line_ends_become_canonical():
    text = "\ufeffnetwork N {\r\n\tinput x: [4]\r\n\tdense(2)  # c\r\n}\r\n"
    assert format_source(text) == "network N {\n  input x: [4]\n  dense(2)  # c\n}\n"
    assert ast.plain(parse(text)) == ast.plain(parse(format_source(text)))
