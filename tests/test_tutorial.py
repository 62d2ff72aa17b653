"""docs/tutorial.md runs as written: its Python blocks are executed and its console blocks'
commands run, in order, in a scratch folder holding the repository's specs, and each command's
output must match the text under it. In the text, ``…`` stands for any text within a line, and
a line of ``…`` alone for any lines (figures that vary: timings, losses)."""

from __future__ import annotations

import os
import re
import shlex
import shutil

from click.testing import CliRunner

from nnspec.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIAL = os.path.join(ROOT, "docs", "tutorial.md")


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced ``console`` and ``python`` blocks, as (language, body), in order."""
    return re.findall(r"^```(console|python)\n(.*?)^```$", text, re.S | re.M)


def commands(body: str) -> list[tuple[str, str]]:
    """A console block's commands (``$ ...``) with the output printed under each."""
    out = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        else:
            out[-1][1].append(line)
    return [(cmd, "\n".join(lines)) for cmd, lines in out]


def pattern(expected: str) -> re.Pattern:
    """``expected`` as a regular expression: ``…`` is any text in a line, a line ``…`` any lines."""
    lines = []
    for line in expected.splitlines():
        lines.append(r"(?:.*\n)*?" if line == "…" else ".*?".join(map(re.escape, line.split("…"))) + r"\n")
    return re.compile("".join(lines))


def test_the_matcher_is_strict_but_for_its_placeholders():
    assert pattern("a … b\n…\nend").fullmatch("a 1.5 b\nx\ny\nend\n")
    assert pattern("a … b\n…\nend").fullmatch("a b\nend\n") is None  # `a … b` needs its spaces
    assert pattern("loss …\nbest 1.0").fullmatch("loss 0.3\nbest 0.9\n") is None


def test_every_command_of_the_tutorial_prints_what_it_says(tmp_path, monkeypatch):
    with open(TUTORIAL, encoding="utf-8") as fh:
        found = blocks(fh.read())
    assert [lang for lang, _ in found].count("console") >= 8
    shutil.copytree(os.path.join(ROOT, "specs"), tmp_path / "specs")
    shutil.copytree(os.path.join(ROOT, "docs", "tutorial"), tmp_path / "docs" / "tutorial")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    import torch

    # these networks are small: one thread is fastest, and many fight the other tests' for the cores
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run(found)
    finally:
        torch.set_num_threads(threads)


def run(found) -> None:
    """Run the tutorial's blocks in order in the current folder, checking each command's output."""
    for lang, body in found:
        if lang == "python":
            # the project's own page, which a reader runs as written
            exec(compile(body, TUTORIAL, "exec"), {"__name__": "tutorial"})  # noqa: S102
            continue
        for cmd, expected in commands(body):
            args = shlex.split(cmd)
            assert args[0] == "nnspec", cmd
            result = CliRunner().invoke(main, args[1:], catch_exceptions=False)
            assert result.exit_code == 0, f"$ {cmd}\n{result.output}"
            assert pattern(expected).fullmatch(result.output), f"$ {cmd}\nexpected:\n{expected}\ngot:\n{result.output}"
