"""Argument schemas: plain declarations, pydantic's verdicts, and the direct check that gives them
without pydantic."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from nnspec import cachedir
from nnspec.core.layers import REGISTRY, user_kinds
from nnspec.core.layers.base import ArgError
from nnspec.core.layers.dense import DenseArgs
from nnspec.core.layers.recurrent import RecurrentArgs, RNNArgs
from nnspec.core.layers.schema import _direct
from nnspec.files import atomic_write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_declared_fields_keep_order_defaults_and_bounds():
    fields = DenseArgs.model_fields
    assert list(fields) == ["units", "bias", "weight_norm"]
    assert fields["units"].is_required() and fields["units"].bounds == {"gt": 0}
    assert not fields["bias"].is_required() and fields["bias"].default is True
    assert list(RNNArgs.model_fields) == [*RecurrentArgs.model_fields, "nonlinearity"]
    assert RNNArgs.annotations()["nonlinearity"] == typing.Literal["tanh", "relu"]


def test_validated_arguments_are_read_only_values():
    a = DenseArgs.validate({"units": 10})
    assert (a.units, a.bias) == (10, True)
    assert a == DenseArgs.validate({"units": 10, "bias": True})
    assert a != DenseArgs.validate({"units": 11})
    with pytest.raises(AttributeError, match="read-only"):
        a.units = 3
    assert repr(a) == "DenseArgs(units=10, bias=True, weight_norm=False)"


def test_declaring_a_schema_imports_no_pydantic():
    probe = "import sys, nnspec.core.layers; print('pydantic' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert r.stdout.split() == ["False"]


# -- the direct check gives pydantic's verdict -------------------------------------------
def _value_for(annotation) -> st.SearchStrategy:
    words = [str(v) for a in (annotation, *typing.get_args(annotation)) if typing.get_origin(a) is typing.Literal
             for v in typing.get_args(a)]
    scalars = st.one_of(
        st.integers(-3, 300), st.floats(-2, 2, allow_nan=False), st.booleans(), st.none(),
        st.sampled_from([*words, "valid", "tanh", "sigmoid", "x"]),
        # beyond what the direct check takes: pydantic decides
        st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**70, float("inf"), float("-inf"), float("nan")]),
    )
    return st.one_of(scalars, st.lists(st.one_of(st.integers(-1, 9), st.floats(0, 2), st.booleans(), st.text(max_size=2)),
                                       max_size=3))


def _typed(v):
    """A value with its exact types: ``1``, ``1.0`` and ``True`` must not pass for each other."""
    if isinstance(v, list):
        return ["list", *map(_typed, v)]
    if isinstance(v, float) and v != v:
        return ("float", "nan")
    return (type(v).__name__, v)


def _verdict(validate, schema, values):
    try:
        got = validate(values)
    except ValidationError:
        return "rejected"
    return [(n, _typed(getattr(got, n))) for n in schema.model_fields]


@st.composite
def _calls(draw):
    kind = draw(st.sampled_from(sorted(k for k, c in user_kinds().items())))
    schema = REGISTRY[kind].Args
    hints = schema.annotations()
    names = draw(st.lists(st.sampled_from(list(schema.model_fields)), unique=True)) if schema.model_fields else []
    values = {n: draw(_value_for(hints[n])) for n in names}
    if draw(st.integers(0, 9)) == 0:
        values[draw(st.sampled_from(["x", "units", "bias"]))] = 1  # perhaps a name the schema lacks
    return schema, values


@settings(max_examples=600, deadline=None)
@given(call=_calls())
def test_every_verdict_is_pydantics(call):
    schema, values = call
    assert _verdict(schema.validate, schema, values) == _verdict(lambda v: schema.pydantic_model()(**v), schema, values)


def test_every_layer_kind_has_a_direct_check():
    assert [k for k, c in user_kinds().items() if _direct(c.Args) is None] == []


def test_the_direct_check_takes_what_specs_write_and_leaves_the_rest_to_pydantic(monkeypatch):
    from nnspec.core.layers.conv import ConvArgs

    def no_pydantic():
        raise AssertionError("pydantic was asked")

    with monkeypatch.context() as m:
        m.setattr(ConvArgs, "pydantic_model", no_pydantic)
        a = ConvArgs.validate({"out": 64, "kernel": [3, 3], "padding": "same", "bias": False})
        assert vars(a) == {"out": 64, "kernel": [3, 3], "stride": 1, "padding": "same", "dilation": 1, "groups": 1,
                           "bias": False, "weight_norm": False}
    for doubtful in ({"out": 0, "kernel": 3}, {"out": True, "kernel": 3}, {"out": 8, "kernel": [3, 3.0]},
                     {"out": 8, "kernel": 3, "padding": "full"}, {"out": 2**63, "kernel": 3}, {"out": 8},
                     {"out": 8, "kernel": 3, "strde": 2}):
        with monkeypatch.context() as m:
            m.setattr(ConvArgs, "pydantic_model", no_pydantic)
            with pytest.raises(AssertionError, match="pydantic was asked"):
                ConvArgs.validate(doubtful)


def test_a_validated_list_is_never_shared():
    from nnspec.core.layers.conv import ConvArgs

    values = {"out": 8, "kernel": [3, 3]}
    first = ConvArgs.validate(values)
    first.kernel.append(99)  # a layer that changes its list must not change the next one's, nor the call's
    second, third = ConvArgs.validate(values), ConvArgs.validate(values)
    assert values["kernel"] == [3, 3] and second.kernel == [3, 3] and third.kernel == [3, 3]
    assert second.kernel is not third.kernel


def test_checking_the_zoo_imports_no_pydantic_even_with_the_caches_off():
    probe = ("import glob, sys; from nnspec import load\n"
             "for f in sorted(glob.glob('specs/*.nn')):\n"
             "    assert not [d for d in load(f).check() if d.severity == 'error'], f\n"
             "print(len(glob.glob('specs/*.nn')) > 10, 'pydantic' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "NNSPEC_CACHE_DIR": ""}, check=True)
    assert r.stdout.split() == ["True", "False"]


def test_rejected_arguments_are_pydantics_message():
    with pytest.raises(ValidationError):
        DenseArgs.validate({"units": 0})
    with pytest.raises(ArgError, match="`units` must be greater than 0, got 0"):
        REGISTRY["dense"].bind([0], {})


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


def test_equal_calls_share_only_immutable_arguments():
    conv = REGISTRY["conv"]
    a, b = conv.bind([8, 3], {"bias": False}), conv.bind([8, 3], {"bias": False})
    assert a is not b and a.args is b.args  # one validation for the same block used many times
    c, d = conv.bind([8, [3, 3]], {}), conv.bind([8, [3, 3]], {})
    assert c.args == d.args and c.args.kernel is not d.args.kernel  # a list is never shared
    dense = REGISTRY["dense"]
    assert dense.bind([1], {}).args.units == 1
    with pytest.raises(ArgError, match="`units` of `dense` must be an integer, got true"):
        dense.bind([True], {})  # equal to 1 in Python, but another value
    drop = REGISTRY["dropout"]
    assert repr(drop.bind([0.0], {}).args.p) == "0.0" and repr(drop.bind([-0.0], {}).args.p) == "-0.0"
    with pytest.raises(ArgError):
        conv.bind([8, 3], {"bias": 1})  # a bound call's twin with a wrong type is not the bound call
