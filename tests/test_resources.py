"""Big inputs end in bounded time and memory: each case runs ``nnspec check`` in a subprocess
under an address-space limit and a time limit, and must end with a verdict or a located error.

The inputs are sized to show the growth (a megabyte or so), not to be giant: a file over
``MAX_SOURCE_BYTES`` is refused before it is read.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from nnspec.frontend.program import MAX_SOURCE_BYTES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMORY = 1536 * 1024 * 1024  # bytes of address space: Python, Lark and nnspec need about 300 MB
HEAD = "network N {\n  input x: [4]\n"


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _check(tmp_path, text: str, timeout: int = 120):
    path = tmp_path / "big.nn"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "NNSPEC_CACHE_DIR": ""}
    r = subprocess.run([sys.executable, "-m", "nnspec", "check", str(path)], capture_output=True, text=True,
                       cwd=ROOT, env=env, timeout=timeout, preexec_fn=_limited)
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr, r.stderr[-2000:]
    return r, str(path)


CASES = {
    "a megabyte of blank lines": (HEAD + "\n" * 1_000_000 + "  relu\n}\n", "ok"),
    "a megabyte of comment lines": (HEAD + "# note\n" * 150_000 + "  relu\n}\n", "ok"),
    "a megabyte of blank lines around an arrow": (HEAD + "  relu\n" + "\n" * 500_000 + "  -> relu\n}\n", "ok"),
    "ten megabytes of blank lines": ("\n" * 10_000_000, f"a spec has at most {MAX_SOURCE_BYTES:,}"),
    "eight megabytes of relu lines": (HEAD + "  relu\n" * 1_200_000 + "}\n", f"a spec has at most {MAX_SOURCE_BYTES:,}"),
    "fifty megabytes on one line": (HEAD + "  " + "relu -> " * 6_500_000 + "relu\n}\n", "a spec has at most"),
    "30,000 blocks calling each other": (
        "block B0 { relu }\n" + "".join(f"block B{i} {{ B{i - 1} }}\n" for i in range(1, 30_000))
        + HEAD + "  B29999\n}\n", "error: blocks call each other more than 500 deep here"),
    "a cycle through 30,000 blocks": (
        "block B0 { B29999 }\n" + "".join(f"block B{i} {{ B{i - 1} }}\n" for i in range(1, 30_000))
        + HEAD + "  B29999\n}\n", "is part of a cycle: B0 -> B29999 -> B29998 -> B29997 -> ... (29,994 more) -> B2 -> B1 -> B0"),
    "an adaptive pool to a billion": (
        "network N {\n  input x: [3, 8, 8]\n  adaptiveavgpool(1000000000)\n}\n",
        "would hold more than 2,147,483,648 values per example"),
    "a flat sum of 100,000 terms": (
        "network N(a = " + " + ".join(["1"] * 100_000) + ") {\n  input x: [a]\n}\n",
        "error: this expression is too long: it chains more than 500 operations"),
    "relu lines past the layer limit": (HEAD + "  relu\n" * 100_100 + "}\n", "this network has more than 100,000 layers"),
    "two mebibytes of relu lines": (HEAD + "relu\n" * 400_000 + "}\n",
                                    ":200001:1: error: a spec has at most 200,000 lines of code"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_big_input_ends_in_bounded_time_and_memory(tmp_path, case):
    text, verdict = CASES[case]
    r, _ = _check(tmp_path, text)
    assert verdict in (r.stdout + r.stderr), (r.stdout[-500:], r.stderr[-2000:])
    assert r.returncode == (0 if verdict == "ok" else 1)
    assert len(r.stderr) < 20_000  # a long line is shown only around the caret


def test_an_error_on_a_long_line_shows_only_around_the_caret(tmp_path):
    r, path = _check(tmp_path, HEAD + "  " + "relu -> " * 50_000 + "dnse(2)\n}\n")
    assert r.returncode == 1
    first, line, caret = r.stderr.splitlines()[:3]
    assert first == f"{path}:3:400003: error: unknown layer or block `dnse`"
    assert line.startswith("  ...") and line.endswith("relu -> dnse(2)") and len(line) < 200
    assert line[caret.index("^"):] == "dnse(2)" and caret.strip() == "^~~~"  # under the name, not beside it


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "fifo"])
def test_devices_and_fifos_are_refused_not_read(tmp_path, target):
    if target == "fifo":
        target = str(tmp_path / "pipe.nn")
        os.mkfifo(target)
    spec = tmp_path / "imports.nn"
    spec.write_text(f'import "{target}"\nnetwork N {{\n  input x: [4]\n}}\n', encoding="utf-8")
    for args in ([target], [str(spec)]):
        r = subprocess.run([sys.executable, "-m", "nnspec", "check", *args], capture_output=True, text=True,
                           cwd=ROOT, timeout=60, preexec_fn=_limited)
        assert r.returncode == 1
        assert "not a regular file (a device, a FIFO or a socket)" in r.stderr


def test_lines_of_code_past_the_limit_are_refused_before_parsing():
    """Counted before Lark sees the text: the error names the first line past the limit;
    blank and comment lines do not count."""
    from nnspec.diagnostics import Located, Span
    from nnspec.frontend.parser import MAX_LINES, parse

    text = "# a comment\n\n" * 1000 + "network N {\n  input x: [4]\n" + "  relu\n" * (MAX_LINES - 3) + "  relu -> dense(2)\n}\n"
    with pytest.raises(Located) as e:
        parse(text, "big.nn")
    line = 2000 + MAX_LINES + 1
    assert e.value.message == "a spec has at most 200,000 lines of code (blank and comment lines aside); this is one more"
    assert e.value.span == Span("big.nn", line, 1, line, 2)
    assert e.value.hint == "use `repeat` or a block for layers that repeat"
    assert text.splitlines()[line - 1] == "}"
