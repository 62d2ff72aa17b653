"""Nothing from a spec, a flag or a checkpoint runs as code.

Hostile text is given every way a value reaches nnspec (a spec's string literal, the API's
parameters, ``compile --set``, ``train --set``, a checkpoint's stored parameters) and in
every place it can stand (a dimension, a block argument, a network parameter, the spec's
path). Text can never be a dimension; where text is accepted, the generated file is written
and imported, and the payload it carries must not have run.
"""

from __future__ import annotations

import builtins
import importlib.util
import os

import pytest
from click.testing import CliRunner

import nnspec
from nnspec.cli import main
from nnspec.diagnostics import SpecError

# Every character Python or an editor takes for a line break, and the quotes of docstrings.
BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", '"""', "'''",
          "\\", '"']
MARK = "NNSPEC_PAYLOAD_RAN"


def payload(br: str) -> str:
    """Text that, pasted unescaped after a comment or inside a docstring, sets a flag on import."""
    return f'q{br}import builtins; builtins.{MARK} = 1{br}"""{br}import builtins; builtins.{MARK} = 1{br}#'


def spec_literal(text: str) -> str:
    """``text`` as a spec string literal (a literal cannot hold a newline; ``\\n`` stays raw)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(autouse=True)
def _no_payload():
    assert not hasattr(builtins, MARK)
    yield
    assert not hasattr(builtins, MARK), "a payload from a spec value ran"


def _import(path: str):
    spec = importlib.util.spec_from_file_location("hostile_generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _written_source_is_inert(source: str, tmp_path, network: str = "N") -> None:
    """The source parses, imports without running the payload, and builds a module that runs."""
    import torch

    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8", newline="")
    assert source.count("\n") == len(source.splitlines())  # no line break but "\n"
    module = _import(str(path))
    net = getattr(module, network)()
    assert net(torch.zeros(2, 4)).shape == (2, 2)


@pytest.mark.parametrize("br", BREAKS, ids=repr)
def test_text_is_never_a_dimension_whichever_way_it_comes(br, tmp_path):
    text = payload(br)
    spec = nnspec.load('network N(D = "q") {\n  input x: [D, 4]\n  dense(2)\n}\n')
    for params in ({}, {"D": text}):
        diags = [d for d in spec.check(**params) if d.severity == "error"]
        assert [(d.span.line, d.span.col) for d in diags] == [(2, 13)]
        assert diags[0].message.startswith("a dimension must be an integer or a symbol, got ")
        assert "\n" not in diags[0].message and "\r" not in diags[0].message
        with pytest.raises(SpecError):
            spec.to_source(**params)
        with pytest.raises(SpecError):
            spec.build(**params)
    if "\n" not in br:  # a spec's string literal cannot hold a newline
        literal = nnspec.load(f"network N(D = {spec_literal(text)}) {{\n  input x: [D, 4]\n  dense(2)\n}}\n")
        assert [d.span.col for d in literal.check() if d.severity == "error"] == [13]


def test_a_bare_name_is_never_a_dimension():
    spec = nnspec.load("network N(k = K) {\n  input x: [k, 4]\n  dense(2)\n}\n")
    (d,) = spec.check()
    assert (d.span.line, d.span.col, d.message) == (
        2, 13, "a dimension must be an integer or a symbol, got the name `K`")


@pytest.mark.parametrize("br", BREAKS, ids=repr)
def test_accepted_text_reaches_generated_source_escaped(br, tmp_path):
    """Text is a fine value for a parameter that is no size: it shows in docstrings and the
    comments that introduce block instances, escaped."""
    text = payload(br)
    body = "block B(s = \"a\") {\n  relu\n}\nnetwork N(t = \"b\", u = \"c\") {\n  input x: [4]\n  B(s = u)\n  dense(2)\n}\n"
    spec = nnspec.load(body)
    assert spec.check(t=text, u=text) == []
    source = spec.to_source(t=text, u=text)
    _written_source_is_inert(source, tmp_path)
    import torch

    live = spec.build(t=text, u=text)  # the live module, from the same source (the fixture: no payload ran)
    assert live(torch.zeros(2, 4)).shape == (2, 2)
    assert [(n, type(m).__name__) for n, m in live.named_children()] == [
        (n, type(m).__name__) for n, m in _import(str(tmp_path / "model.py")).N().named_children()]
    if "\n" not in br:
        literal = nnspec.load(body.replace('"b"', spec_literal(text)).replace('"c"', spec_literal(text)))
        _written_source_is_inert(literal.to_source(), tmp_path)


def test_a_hostile_spec_path_stays_in_the_docstring(tmp_path):
    folder = tmp_path / 'x\r"""\rimport builtins; builtins.NNSPEC_PAYLOAD_RAN = 1\r#'
    folder.mkdir()
    spec_path = folder / "n.nn"
    spec_path.write_text("network N {\n  input x: [4]\n  dense(2)\n}\n", encoding="utf-8")
    _written_source_is_inert(nnspec.load(os.fspath(spec_path)).to_source(), tmp_path)


def _hostile_spec(tmp_path) -> str:
    path = tmp_path / "n.nn"
    path.write_text('network N(D = "q") {\n  input x: [D, 4]\n  dense(2)\n}\n', encoding="utf-8")
    return os.fspath(path)


@pytest.mark.parametrize("br", ["\r", "\x0b", "\x85", "\u2028"], ids=repr)
def test_compile_set_refuses_text_as_a_dimension(br, tmp_path):
    out = tmp_path / "model.py"
    result = CliRunner().invoke(main, ["compile", _hostile_spec(tmp_path), "-o", os.fspath(out),
                                       "--set", f"D={payload(br)}"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "a dimension must be an integer or a symbol" in result.stderr
    assert not out.exists()


def test_train_set_refuses_text_as_a_dimension(tmp_path):
    result = CliRunner().invoke(main, ["train", _hostile_spec(tmp_path), "--data", "xo", "--epochs", "1",
                                       "--out", os.fspath(tmp_path / "run"), "--set", f"D={payload(chr(13))}"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "a dimension must be an integer or a symbol" in result.stderr
    assert not (tmp_path / "run" / "last.pt").exists()


def test_a_checkpoints_stored_parameters_are_elaborated_like_any_other(tmp_path):
    """``evaluate`` and ``--resume`` rebuild the network from the checkpoint's parameters:
    hostile ones are refused, located in the spec, before any code is generated."""
    import torch

    spec = tmp_path / "n.nn"
    spec.write_text("network N(D = 1) {\n  input x: [D, 9, 9]\n  flatten\n  dense(2)\n}\n", encoding="utf-8")
    run = tmp_path / "run"
    trained = CliRunner().invoke(main, ["train", str(spec), "--data", "xo", "--epochs", "1", "--out", str(run)],
                                 catch_exceptions=False)
    assert trained.exit_code == 0, trained.output
    state = torch.load(run / "last.pt", weights_only=True)
    for value in (payload("\r"), ["q", 1], 2**70, float("inf")):
        state["params"] = {"D": value}
        torch.save(state, run / "last.pt")
        for args in (["evaluate", str(spec), "--weights", str(run / "last.pt")],
                     ["train", str(spec), "--data", "xo", "--epochs", "2", "--out", str(run), "--resume"]):
            result = CliRunner().invoke(main, args, catch_exceptions=False)
            assert result.exit_code == 1, result.output
            assert "Traceback" not in result.output
            assert f"{spec}:1:" in result.stderr, result.stderr


@pytest.mark.parametrize("value", [object(), 2**64, float("nan"), float("inf"), [[[[[[[[[[1]]]]]]]]]], b"x",
                                   {"a": 1}, (1, 2)], ids=repr)
def test_an_api_parameter_no_spec_could_write_is_refused(value):
    spec = nnspec.load('network N(D = 4) {\n  input x: [D]\n  dense(2)\n}\n')
    errors = [d for d in spec.check(D=value) if d.severity == "error"]
    assert len(errors) == 1 and errors[0].span.line == 1
    assert "which no spec can write" in errors[0].message
