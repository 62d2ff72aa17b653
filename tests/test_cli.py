"""`nnspec check` and `nnspec summary` as a user runs them: exit codes, streams, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nnspec.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XO = "specs/xo.nn"
XO_VERDICT = "specs/xo.nn: XO: ok, 170 parameters, 3.3K MACs, output [2]\n"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def process(*args):
    """A real process with stdout and stderr piped, as in a script or CI."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-m", "nnspec", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, check=False)


@pytest.fixture
def bad(tmp_path):
    p = tmp_path / "bad.nn"
    p.write_text("network N {\n  input x: [3, 8, 8]\n  conv(4, 3) -> dense(2)\n}\n")
    return str(p)


def test_check_clean_spec_exits_0_with_one_verdict_line():
    r = process("check", XO)
    assert (r.returncode, r.stdout, r.stderr) == (0, XO_VERDICT, "")


def test_check_with_errors_exits_1_and_reports_on_stderr_without_colour(bad):
    r = process("check", bad)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == (
        f"{bad}:3:17: error: `dense` acts on the last dimension, but its input [4, 6, 6] looks like an image\n"
        "    conv(4, 3) -> dense(2)\n"
        "                  ^~~~~~~~\n"
        "hint: insert `flatten` (or a global pool) before `dense`; to act on the channels at every position, "
        "move them last first: `permute([1, 2, 0])`\n"
        f"{bad}: 1 error\n"
    )
    assert "\x1b[" not in r.stderr


def test_usage_errors_exit_2():
    assert run("check").exit_code == 2
    assert run("check", "--bogus", XO).exit_code == 2
    r = run("check", "--set", "classes", XO)
    assert r.exit_code == 2
    assert "expected NAME=VALUE, got 'classes'" in r.stderr
    assert run("summary", XO, "--depth", "-1").exit_code == 2


@pytest.mark.parametrize("command", ["summary", "diagram", "compile", "train"])
def test_a_file_of_several_networks_needs_network_a_usage_error(command, tmp_path):
    """Not choosing among several networks, or naming none of them, is a usage error (exit 2,
    as a bad option value is), said as nnspec says errors; a file without any network is a
    spec that cannot serve (exit 1)."""
    two = tmp_path / "two.nn"
    two.write_text("network A {\n  input x: [4]\n  dense(2)\n}\nnetwork B {\n  input y: [3]\n  dense(7)\n}\n")
    out = ["-o", str(tmp_path / "out.dot")] if command == "diagram" else ["--out", str(tmp_path / "run")] \
        if command == "train" else []
    r = run(command, str(two), *out)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {two} defines several networks (A, B)\n"
                                                        "hint: choose one with --network, e.g. --network A\n")
    r = run(command, str(two), "--network", "a", *out)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {two} has no network `a`; it has A, B\n"
                                                        "hint: did you mean `A`?\n")
    blocks = tmp_path / "blocks.nn"
    blocks.write_text("block B {\n  relu\n}\n")
    r = run(command, str(blocks), *out)
    assert (r.exit_code, r.stderr) == (1, f"error: {blocks} defines no network\n")
    assert not (tmp_path / "out.dot").exists() and not (tmp_path / "run").exists()


def test_the_chosen_network_of_several_is_the_one_used(tmp_path):
    two = tmp_path / "two.nn"
    two.write_text("network A {\n  input x: [4]\n  dense(2)\n}\nnetwork B {\n  input y: [3]\n  dense(7)\n}\n")
    r = run("summary", str(two), "--network", "B", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["params"] == 3 * 7 + 7


def test_reported_says_the_errors_it_is_given_and_lets_others_through(capsys):
    from nnspec.backends.export import ExportError
    from nnspec.cli import reported
    from nnspec.diagnostics import Diagnostic, NetworkChoiceError, SpecError
    from nnspec.train.errors import DataError

    for error, code, said in [
        (DataError("no such checkpoint", hint="train first"), 1, "error: no such checkpoint\nhint: train first\n"),
        (ExportError("cannot export", hint=None), 1, "error: cannot export\n"),
        (SpecError([Diagnostic("error", "a", hint="b")]), 1, "error: a\nhint: b\n"),
        (NetworkChoiceError([Diagnostic("error", "which one")]), 2, "error: which one\n"),
    ]:
        with pytest.raises(SystemExit) as e, reported(DataError, ExportError):
            raise error
        assert (e.value.code, capsys.readouterr().err) == (code, said)
    with pytest.raises(ExportError), reported(DataError):  # not one it was given: not its to say
        raise ExportError("cannot export", hint=None)
    with reported(DataError):
        pass
    assert capsys.readouterr() == ("", "")


def test_missing_file_is_a_spec_error_not_a_traceback():
    r = run("check", "no/such.nn")
    assert (r.exit_code, r.stderr) == (1, "error: no/such.nn: no such file\n")


def test_every_file_is_checked_and_one_failure_fails_the_run(bad):
    r = run("check", XO, bad, XO)
    assert r.exit_code == 1
    assert r.stdout == XO_VERDICT * 2
    assert r.stderr.endswith(f"{bad}: 1 error\n")


def test_set_overrides_a_parameter_and_a_wrong_kind_is_an_error():
    assert run("check", "--set", "classes=3", XO).stdout == XO_VERDICT.replace("170", "235").replace(
        "3.3K", "3.36K").replace("[2]", "[3]")
    r = run("check", "--set", "classes=3.5", XO)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == (
        "specs/xo.nn:2:12: error: `--set classes=3.5`: `classes` of `XO` is an integer (its default is 2), got a number")
    r = run("check", "--set", "clases=3", XO)
    assert r.exit_code == 1
    assert "has no parameter `clases`; its parameters are classes" in r.stderr
    assert "hint: did you mean `classes`?" in r.stderr


@pytest.mark.parametrize("command", ["check", "summary", "diagram", "compile", "train"])
@pytest.mark.parametrize("typed", ["1e3", "2.50", " 1E+3"])
def test_a_wrong_kind_of_set_value_is_echoed_as_typed(command, typed, tmp_path):
    # the value read is 1000.0 or 2.5; the message shows the text the user wrote
    extra = ["--out", str(tmp_path / "run")] if command == "train" else ["-o", str(tmp_path / "d.svg")] if command == "diagram" else []
    r = run(command, "--set", f"classes={typed}", XO, *extra)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == (
        f"specs/xo.nn:2:12: error: `--set classes={typed.strip()}`: `classes` of `XO` is an integer "
        "(its default is 2), got a number")
    assert not (tmp_path / "run").exists() and not (tmp_path / "d.svg").exists()


def test_warnings_do_not_fail_the_check(tmp_path):
    p = tmp_path / "w.nn"
    p.write_text("network N {\n  input x: [4]\n  let h = x -> dense(8)\n  x -> dense(2)\n}\n")
    r = run("check", str(p))
    assert r.exit_code == 0
    assert r.stderr.startswith(f"{p}:3:7: warning: `h` is bound but never used\n")
    assert r.stdout == f"{p}: N: ok, 50 parameters, 40 MACs, output [2]\n"  # the unused dense still has weights


def test_check_json_reports_networks_and_diagnostics(bad):
    r = run("check", "--json", XO, bad)
    assert r.exit_code == 1
    first, second = (json.loads(line) for line in r.stdout.splitlines())
    assert first == {"file": XO, "ok": True, "networks": [{"network": "XO", "params": 170, "macs": 3300,
                                                             "outputs": [[2]]}], "diagnostics": []}
    assert second["ok"] is False and second["networks"] == []
    assert [(d["severity"], d["line"], d["col"]) for d in second["diagnostics"]] == [("error", 3, 17)]


def test_check_json_writes_only_json_and_leaves_stderr_empty(bad, tmp_path):
    """With --json, the diagnostics live in the JSON: stderr has nothing (no rendered
    diagnostic, no `N errors` line), for an error, a warning and a file that cannot be read."""
    warned = tmp_path / "warned.nn"
    warned.write_text("network W {\n  input x: [4]\n  let h = x -> dense(8)\n  x -> dense(2)\n}\n")
    missing = str(tmp_path / "missing.nn")
    r = process("check", "--json", XO, bad, str(warned), missing)
    assert (r.returncode, r.stderr) == (1, "")
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(o["file"], o["ok"], [(d["severity"], d["line"]) for d in o["diagnostics"]]) for o in out] == [
        (XO, True, []), (bad, False, [("error", 3)]), (str(warned), True, [("warning", 3)]), (missing, False, [("error", None)])]
    assert out[3]["diagnostics"][0]["message"] == f"{missing}: no such file"
    plain = process("check", XO, bad, str(warned), missing)  # without --json, all of it on stderr
    assert plain.returncode == 1 and plain.stderr.count(": error:") == 1 and plain.stderr.count(": warning:") == 1
    assert f"{bad}: 1 error\n" in plain.stderr and f"error: {missing}: no such file\n" in plain.stderr


def test_check_json_writes_symbolic_dimensions_as_strings(tmp_path):
    p = tmp_path / "s.nn"
    p.write_text("network S {\n  input x: [4, L]\n  conv(8, 3)\n}\n")
    out = json.loads(run("check", "--json", str(p)).stdout)
    assert out["networks"][0]["outputs"] == [[8, "L - 2"]]


def test_summary_plain_when_piped():
    r = process("summary", XO)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "XO"
    assert lines[2].split() == ["Module", "Layer", "Output", "shape", "Params", "MACs"]
    assert lines[5].split() == ["0", "conv", "4", "3×3", "[4,", "9,", "9]", "40", "2.92K"]
    assert "Total params: 170" in lines
    assert "\x1b[" not in r.stdout


def test_summary_json_has_the_documented_fields():
    out = json.loads(run("summary", "--json", XO).stdout)
    assert {"schema", "network", "inputs", "outputs", "params", "macs", "macs_expr", "layers"} <= set(out)
    assert (out["network"], out["inputs"], out["outputs"], out["params"]) == (
        "XO", [{"name": "image", "shape": [1, 9, 9], "dtype": "float"}], [{"name": None, "shape": [2], "dtype": "float"}],
        170)
    assert [layer["name"] for layer in out["layers"]][:2] == ["image", "0"]
    assert [layer["kind"] for layer in out["layers"]][:2] == ["input", "conv"]


def test_summary_of_a_bad_spec_exits_1_with_diagnostics(bad):
    r = run("summary", bad)
    assert r.exit_code == 1
    assert r.stderr.startswith(f"{bad}:3:17: error:")
    assert r.stdout == ""


def test_a_file_checked_before_needs_neither_lark_nor_pydantic(tmp_path):
    env = {**os.environ, "NNSPEC_CACHE_DIR": str(tmp_path / "cache")}
    probe = ("import sys, nnspec; s = nnspec.load('specs/resnet50.nn'); assert not [d for d in s.check()"
             " if d.severity == 'error']; print(*(m in sys.modules for m in ('lark', 'pydantic', 'torch')))")
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    second = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert first.stdout.split() == ["True", "False", "False"]  # arguments a spec writes need no pydantic
    assert second.stdout.split() == ["False", "False", "False"]
    cached = sorted(p.suffix for p in (tmp_path / "cache").iterdir())
    assert cached == [".json", ".json"]  # the spec and the blocks it imports


def test_the_ast_cache_misses_on_changed_text_and_ignores_broken_entries(tmp_path, monkeypatch):
    from nnspec.frontend import astcache
    from nnspec.frontend.parser import parse_file

    monkeypatch.setenv("NNSPEC_CACHE_DIR", str(tmp_path))
    text = "network N {\n  input x: [4]\n  dense(2)\n}\n"
    f, parsed = parse_file(text, "n.nn")
    assert parsed and astcache.load(text, "n.nn") == f
    assert astcache.load(text.replace("2", "3"), "n.nn") is None
    assert astcache.load(text, "other.nn") is None
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(b"not JSON")
    assert astcache.load(text, "n.nn") is None
    assert parse_file(text, "n.nn") == (f, True)
    monkeypatch.setenv("NNSPEC_CACHE_DIR", "")
    assert astcache.directory() is None


def test_check_reads_the_train_section_without_torch_or_numpy(tmp_path):
    spec = tmp_path / "t.nn"
    spec.write_text("network N {\n  input x: [4]\n  dense(2)\n  train {\n    epochs = 0\n  }\n}\n")
    probe = (f"import sys, nnspec; d = nnspec.load({str(spec)!r}).check(); "
             "print(d[0].span.line, d[0].message, 'torch' in sys.modules, 'numpy' in sys.modules, sep='|')")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().split("|") == ["5", "`epochs` must be at least 1, got 0", "False", "False"]


def test_check_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    import gc

    spec = tmp_path / "n.nn"
    spec.write_text("network N {\n  input x: [4]\n  dense(2)\n}\n")
    assert gc.isenabled()
    assert run("check", str(spec), str(spec)).exit_code == 0
    assert gc.isenabled()
    gc.disable()
    try:
        assert run("check", str(spec)).exit_code == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
