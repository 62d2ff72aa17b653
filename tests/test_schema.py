"""Argument schemas: plain declarations, pydantic's verdicts, and the disk memo of them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from nnspec import argcache, cachedir
from nnspec.files import atomic_write
from nnspec.layers import REGISTRY, user_kinds
from nnspec.layers.base import ArgError
from nnspec.layers.dense import DenseArgs
from nnspec.layers.recurrent import RecurrentArgs, RNNArgs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def memo(tmp_path, monkeypatch):
    """A fresh memo in a temporary cache folder; yields the memo file's path."""
    monkeypatch.setenv("NNSPEC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(argcache, "_unsaved", {})
    argcache.path.cache_clear()
    argcache._memo.cache_clear()
    yield argcache.path()
    argcache.path.cache_clear()
    argcache._memo.cache_clear()


def test_declared_fields_keep_order_defaults_and_bounds():
    fields = DenseArgs.model_fields
    assert list(fields) == ["units", "bias"]
    assert fields["units"].is_required() and fields["units"].bounds == {"gt": 0}
    assert not fields["bias"].is_required() and fields["bias"].default is True
    assert list(RNNArgs.model_fields) == [*RecurrentArgs.model_fields, "nonlinearity"]
    assert RNNArgs.annotations()["nonlinearity"] == typing.Literal["tanh", "relu"]


def test_validated_arguments_are_read_only_values(memo):
    a = DenseArgs.validate({"units": 10})
    assert (a.units, a.bias) == (10, True)
    assert a == DenseArgs.validate({"units": 10, "bias": True})
    assert a != DenseArgs.validate({"units": 11})
    with pytest.raises(AttributeError, match="read-only"):
        a.units = 3
    assert repr(a) == "DenseArgs(units=10, bias=True)"


def test_declaring_a_schema_imports_no_pydantic():
    probe = "import sys, nnspec.layers; print('pydantic' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert r.stdout.split() == ["False"]


# -- the memo returns pydantic's verdict --------------------------------------------------
def _value_for(annotation) -> st.SearchStrategy:
    words = [str(v) for a in (annotation, *typing.get_args(annotation)) if typing.get_origin(a) is typing.Literal
             for v in typing.get_args(a)]
    scalars = st.one_of(
        st.integers(-3, 300), st.floats(-2, 2, allow_nan=False), st.booleans(), st.none(),
        st.sampled_from([*words, "valid", "tanh", "sigmoid", "x"]),
    )
    return st.one_of(scalars, st.lists(st.one_of(st.integers(-1, 9), st.floats(0, 2), st.booleans()), max_size=3))


def _typed(args) -> list:
    """Values with their exact types: ``1``, ``1.0`` and ``True`` must not pass for each other."""
    return [(k, type(v).__name__, v) for k, v in vars(args).items()]


@st.composite
def _calls(draw):
    kind = draw(st.sampled_from(sorted(k for k, c in user_kinds().items() if c.Args.model_fields)))
    schema = REGISTRY[kind].Args
    hints = schema.annotations()
    names = draw(st.lists(st.sampled_from(list(schema.model_fields)), unique=True))
    return schema, {n: draw(_value_for(hints[n])) for n in names}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=_calls())
def test_a_remembered_verdict_is_pydantics(memo, call):
    schema, values = call
    try:
        model = schema.pydantic_model()(**values)
        expected = [(k, type(v).__name__, v) for k, v in ((n, getattr(model, n)) for n in schema.model_fields)]
    except ValidationError:
        expected = "rejected"
    verdicts = []
    for _ in range(2):  # the second time, an accepted set comes from the memo
        try:
            verdicts.append(_typed(schema.validate(values)))
        except ValidationError:
            verdicts.append("rejected")
    assert verdicts == [expected, expected]
    assert (argcache.recall(argcache.key(f"{schema.__module__}.{schema.__qualname__}", values)) is None) == (
        expected == "rejected")


def test_the_memo_tells_integers_floats_and_booleans_apart():
    keys = {argcache.key("S", {"p": v}) for v in (1, 1.0, True, [1], (1,), "1")}
    assert len(keys) == 6
    assert argcache.key("S", {"a": 1, "b": 2}) == argcache.key("S", {"b": 2, "a": 1})
    assert argcache.key("S", {"p": object()}) is None


def test_the_memo_is_written_at_exit_and_read_by_the_next_process(tmp_path):
    env = {**os.environ, "NNSPEC_CACHE_DIR": str(tmp_path)}
    probe = ("import sys; from nnspec.layers.dense import DenseArgs; a = DenseArgs.validate({'units': 7}); "
             "print(a.units, a.bias, 'pydantic' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
                           check=True).stdout.split() for _ in range(2)]
    assert runs == [["7", "True", "True"], ["7", "True", "False"]]
    (memo_file,) = tmp_path.glob("args-*.json")
    with open(memo_file, encoding="utf-8") as fh:
        assert json.load(fh) == {argcache.key("nnspec.layers.dense.DenseArgs", {"units": 7}): [7, True]}


def test_a_new_memo_replaces_those_of_other_schemas(memo, tmp_path):
    stale = tmp_path / "args-0123456789abcdef0123456789abcdef.json"
    stale.write_bytes(b"from another version of the layers")
    DenseArgs.validate({"units": 4})
    argcache.save()
    assert [p.name for p in tmp_path.glob("args-*.json")] == [os.path.basename(memo)]


def test_a_broken_memo_is_ignored_and_replaced(memo):
    with open(memo, "wb") as fh:
        fh.write(b"\x80\x05 truncated")
    assert DenseArgs.validate({"units": 3}).units == 3
    argcache.save()
    assert cachedir.read(memo) == {argcache.key("nnspec.layers.dense.DenseArgs", {"units": 3}): [3, True]}


def test_a_remembered_entry_of_the_wrong_shape_is_validated_afresh(memo):
    key = argcache.key("nnspec.layers.dense.DenseArgs", {"units": 5})
    argcache._memo()[key] = (5,)  # one value for two fields: not trusted
    assert _typed(DenseArgs.validate({"units": 5})) == [("units", "int", 5), ("bias", "bool", True)]


def test_rejected_arguments_are_never_remembered(memo):
    with pytest.raises(ValidationError):
        DenseArgs.validate({"units": 0})
    with pytest.raises(ArgError, match="`units` must be greater than 0, got 0"):
        REGISTRY["dense"].bind([0], {})
    assert argcache._unsaved == {}


def test_an_unwritable_cache_folder_only_means_no_memo(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder would have to be inside this file")
    monkeypatch.setenv("NNSPEC_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(argcache, "_unsaved", {})
    argcache.path.cache_clear()
    argcache._memo.cache_clear()
    try:
        assert DenseArgs.validate({"units": 9}).units == 9
        argcache.save()  # cannot write: no error, and the set stays unsaved
        assert list(argcache._unsaved.values()) == [[9, True]]
    finally:
        argcache.path.cache_clear()
        argcache._memo.cache_clear()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_caching_off_means_no_memo_file(monkeypatch):
    monkeypatch.setenv("NNSPEC_CACHE_DIR", "")
    argcache.path.cache_clear()
    try:
        assert argcache.path() is None
    finally:
        argcache.path.cache_clear()


def test_a_stamp_changes_with_any_source(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    before = cachedir.stamp([a, b])
    b.write_text("y = 3\n")
    assert cachedir.stamp([a, b]) != before


# -- atomic writes ----------------------------------------------------------------------
def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def half(fh):
        fh.write(b"new, but")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(str(target), half)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_an_atomic_write_follows_the_umask_or_the_given_mode(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(str(tmp_path / "a"), lambda fh: fh.write(b"a"))
        atomic_write(str(tmp_path / "b"), lambda fh: fh.write(b"b"), mode=0o600, durable=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "b").st_mode) == 0o600
