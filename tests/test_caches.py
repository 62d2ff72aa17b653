"""nnspec's disk caches cannot lie or be planted: data only (JSON), never unpickled, keyed by
every input of their answers, values never shared, and entries the size of the AST."""

from __future__ import annotations

import ast as pyast
import glob
import json
import os

import lark
import pytest

from nnspec import cachedir
from nnspec.frontend import astcache, parser
from nnspec.frontend.parser import parse_file
from nnspec.frontend.program import load_program

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_no_module_of_nnspec_unpickles():
    """Nothing read from disk is unpickled (checkpoints go through torch.load(weights_only=True))."""
    calls = []
    for path in glob.glob(os.path.join(ROOT, "nnspec", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as fh:
            tree = pyast.parse(fh.read(), path)
        for node in pyast.walk(tree):
            if isinstance(node, (pyast.Import, pyast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, pyast.ImportFrom) else [])
                calls += [f"{path}: imports {n}" for n in names if n and n.split(".")[0] in ("pickle", "dill", "marshal")]
            elif isinstance(node, pyast.Attribute) and node.attr in ("load", "loads", "Unpickler"):
                if isinstance(node.value, pyast.Name) and node.value.id in ("pickle", "dill", "marshal"):
                    calls.append(f"{path}:{node.lineno}: {node.value.id}.{node.attr}")
            elif isinstance(node, pyast.Call) and getattr(node.func, "attr", None) == "load" and \
                    getattr(node.func.value, "id", None) == "torch":
                weights_only = [k for k in node.keywords if k.arg == "weights_only"]
                if not (weights_only and getattr(weights_only[0].value, "value", None) is True):
                    calls.append(f"{path}:{node.lineno}: torch.load without weights_only=True")
    assert calls == []


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NNSPEC_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_an_ast_entry_is_json_about_the_size_of_the_file(cache):
    path = os.path.join(ROOT, "specs", "resnet152.nn")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    prog = load_program(text, path)
    assert prog.parsed and not prog.diagnostics
    entries = [p for p in cache.iterdir() if not p.name.startswith("args-")]
    assert len(entries) == len(prog.files) == len(prog.sources) > 1  # the spec and the blocks it imports
    for entry in entries:
        with open(entry, encoding="utf-8") as fh:
            json.load(fh)
    size = sum(len(t.encode()) for t in prog.sources.values())
    assert sum(e.stat().st_size for e in entries) < 8 * size  # a pickle of the AST was 30 times the file
    again = load_program(text, path)
    assert again.parsed == [] and again.files == prog.files  # the second time from the cache


def test_a_file_that_fails_leaves_no_entry(cache):
    path = str(cache / "bad.nn")
    load_program("block B { B }\nnetwork N {\n  input x: [4]\n  B\n}\n", path)  # a cycle: an error
    load_program("network N {\n  input x: [4]\n  dense(\n}\n", path)  # a syntax error
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize("planted", [
    b"\x80\x05\x95 a pickle",
    b'{"imports": ["", ["Import", "x.nn", 4722366764344638701570]], "definitions": ["", ["Import", "y", 4722366764344638701570]]}',
    b'{"imports": ["", ["object"]], "definitions": ["", ["__class__"]]}',
    b'{"imports": ["", ["Definition", 1]], "definitions": []}',
    b'{"imports": ["", ["Import", "x.nn", 4722366764344638701570, "extra"]], "definitions": []}',  # a field too many
    b'{"imports": ["", ["Import", "x.nn", [1, 1, 1, 2]]], "definitions": []}',  # a span not packed
    b'{"imports": ["", ["Import", "x.nn", -1]], "definitions": []}',
    b'{"imports": ["", ["Import", "x.nn", 79228162514264337593543950336]], "definitions": []}',  # a fifth number
    b'{"imports": ["", ["Import", "x.nn", true]], "definitions": []}',
    b'{"imports": "", "definitions": [["", 1]]}',
    b"[" * 100000,
])
def test_a_planted_or_broken_ast_entry_is_a_miss(cache, planted):
    text = "network N {\n  input x: [4]\n  dense(2)\n}\n"
    path = str(cache / "n.nn")
    parse_file(text, path)
    (entry,) = cache.iterdir()
    entry.write_bytes(planted)
    assert astcache.load(text, path) is None
    f, parsed = parse_file(text, path)
    assert parsed and [d.name for d in f.definitions] == ["N"]


def _lark_of_another_version(text: str) -> str:
    mine = f'__version__: str = "{lark.__version__}"'
    assert mine in text  # the line the stamp reads Lark's version from
    return text.replace(mine, '__version__: str = "0.0.1"')


def _tables_of_another_grammar(text: str) -> str:
    tables = json.loads(text)
    tables["grammar"] = "0" * 64
    return json.dumps(tables, sort_keys=True, separators=(",", ":")) + "\n"


@pytest.mark.parametrize("changed, edit", [
    (os.path.join(os.path.dirname(lark.__file__), "__init__.py"), _lark_of_another_version),
    (parser.TABLES, _tables_of_another_grammar),
    (parser._GRAMMAR, lambda text: text + "\n// another grammar\n"),
], ids=["lark version", "grammar tables", "grammar"])
def test_an_ast_entry_made_under_another_lark_or_grammar_is_a_miss_and_is_written_anew(
        cache, tmp_path_factory, monkeypatch, changed, edit):
    """An entry written under one Lark version (or grammar, or tables) is not read under
    another: the stamp of the key reads that file, so one edited copy of it in the stamp's
    place misses the entry and stores one of its own; back to the real file, the first hits."""
    text = "network N {\n  input x: [4]\n  dense(2)\n}\n"
    path = str(cache / "n.nn")
    first, _ = parse_file(text, path)
    (entry,) = cache.iterdir()
    assert astcache.load(text, path) == first

    other = tmp_path_factory.mktemp("other") / os.path.basename(changed)  # the basename is stamped too
    with open(changed, encoding="utf-8") as fh:
        other.write_text(edit(fh.read()), encoding="utf-8")
    stamped, real_stamp = [], cachedir.stamp

    def stamp_with_the_other_file(paths):
        paths = [str(other) if os.path.realpath(p) == os.path.realpath(changed) else p for p in paths]
        stamped.extend(paths)
        return real_stamp(paths)

    with monkeypatch.context() as patch:
        patch.setattr(cachedir, "stamp", stamp_with_the_other_file)
        astcache._stamp.cache_clear()
        try:
            assert astcache.load(text, path) is None
            assert str(other) in stamped  # the file is one of the key's inputs
            second, parsed = parse_file(text, path)
            assert parsed and second == first  # parsed again, and the same AST
            (new,) = [p for p in cache.iterdir() if p != entry]  # written anew, beside the first
            assert json.loads(new.read_text()) == json.loads(entry.read_text())
            assert astcache.load(text, path) == first  # the new entry is read under the other stamp
        finally:
            astcache._stamp.cache_clear()
    assert astcache.load(text, path) == first and entry.exists()


def test_the_stamp_finds_installed_packages_files_without_importing_them():
    assert cachedir.package_file("lark", "__init__.py") == os.path.join(os.path.dirname(lark.__file__), "__init__.py")
    assert cachedir.package_file("pydantic", "version.py").endswith(os.path.join("pydantic", "version.py"))
    assert cachedir.package_file("no_such_package_here", "__init__.py") is None


def test_an_entry_packs_each_span_in_one_integer_and_reads_it_back(cache):
    text = "network N {\n  input x: [4]\n  dense(2)\n}\n"
    path = str(cache / "n.nn")
    f, _ = parse_file(text, path)
    (entry,) = cache.iterdir()
    data = json.loads(entry.read_text())
    network = data["definitions"][1]
    assert network[:3] == ["Definition", "network", "N"]
    assert network[5] == ((1 << 24 | 1) << 24 | 4) << 24 | 2  # the definition spans 1:1 to 4:2
    loaded = astcache.load(text, path)
    assert loaded == f and loaded.definitions[0].span == f.definitions[0].span
    assert (loaded.definitions[0].span.line, loaded.definitions[0].span.end_col) == (1, 2)


def test_a_span_beyond_the_packed_range_leaves_the_file_uncached(cache):
    from nnspec.diagnostics import Span

    f, _ = parse_file("network N {\n  input x: [4]\n  dense(2)\n}\n", str(cache / "n.nn"))
    for entry in cache.iterdir():
        entry.unlink()
    f.definitions[0].span = Span(f.path, 1, 1, 1, 1 << 24)
    astcache.store(f)
    assert list(cache.iterdir()) == []


def test_an_entry_answers_only_for_the_text_it_was_parsed_from(cache):
    """An entry planted under another file's key (its name computed from the installed files)
    is a miss: the entry holds a digest of its own text."""
    path = str(cache / "n.nn")
    says_three, says_two = (f"network N {{\n  input x: [4]\n  dense({n})\n}}\n" for n in (3, 2))
    parse_file(says_three, path)
    (entry,) = cache.iterdir()
    planted = astcache._entry(says_two, path)
    os.replace(entry, planted)
    assert astcache.load(says_two, path) is None
    f, parsed = parse_file(says_two, path)
    assert parsed and f.definitions[0].body.stmts[1].items[0].atom.args[0].value.value == 2


def test_a_cache_folder_others_may_write_is_not_used(cache):
    text = "network N {\n  input x: [4]\n  dense(2)\n}\n"
    path = str(cache / "n.nn")
    parse_file(text, path)
    (entry,) = cache.iterdir()
    cache.chmod(0o777)  # anyone could plant an entry here now
    try:
        assert astcache.load(text, path) is None
        entry.unlink()
        assert parse_file(text, path)[1]  # parsed, and not stored
        assert list(cache.iterdir()) == []
    finally:
        cache.chmod(0o700)


def test_a_cache_folder_of_another_user_is_not_used(cache, monkeypatch):
    text = "network N {\n  input x: [4]\n  dense(2)\n}\n"
    path = str(cache / "n.nn")
    parse_file(text, path)
    assert astcache.load(text, path) is not None
    monkeypatch.setattr(os, "getuid", lambda: os.stat(cache).st_uid + 1)
    assert astcache.load(text, path) is None
    assert not cachedir.write(str(cache / "other.json"), {})


def test_a_new_cache_folder_is_made_private(tmp_path, monkeypatch):
    where = tmp_path / "caches" / "nnspec"
    monkeypatch.setenv("NNSPEC_CACHE_DIR", str(where))
    parse_file("network N {\n  input x: [4]\n  dense(2)\n}\n", str(tmp_path / "n.nn"))
    assert where.stat().st_mode & 0o777 == 0o700 and len(list(where.iterdir())) == 1


def test_a_link_for_the_cache_folder_is_not_followed(tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("NNSPEC_CACHE_DIR", str(tmp_path / "link"))
    parse_file("network N {\n  input x: [4]\n  dense(2)\n}\n", str(tmp_path / "n.nn"))
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_an_ast_too_deep_for_the_encoder_is_not_cached(cache):
    """10,000 `not`s: the parse nests them; the cache's encoder would meet Python's recursion
    limit (a traceback from `check` before), so the file is not cached and check says why."""
    from click.testing import CliRunner

    from nnspec.cli import main

    path = cache / "nots.nn"
    path.write_text("network N {\n  input x: [4]\n  if " + "not " * 10000 + "false { dense(2) }\n}\n")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines()[0] == f"{path}:1:9: error: nesting is too deep to elaborate"
    assert [p.name for p in cache.iterdir()] == ["nots.nn"]


def test_a_huge_entry_is_not_written(cache, monkeypatch):
    monkeypatch.setattr(astcache, "MAX_ENTRY", 1000)
    path = str(cache / "n.nn")
    parse_file("network N {\n  input x: [4]\n" + "  relu\n" * 10 + "}\n", path)  # 1,904 characters
    assert [p.name for p in cache.iterdir() if p.suffix == ".json"] == []
    parse_file("network N {\n  input x: [4]\n  relu\n}\n", path)
    assert len([p for p in cache.iterdir() if p.suffix == ".json"]) == 1
