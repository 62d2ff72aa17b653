"""Symbolic dimensions: arithmetic, simplification, printing, and agreement with integers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnspec.core.dims import (
    Sym,
    ceildiv,
    differ_at,
    equal,
    evaluate,
    same_shape,
    shape_str,
    to_json,
)

L, H, W, T = (Sym.symbol(n) for n in "LHWT")


@pytest.mark.parametrize(
    "expr, text",
    [
        ((L - 3) // 2 + 1, "(L - 3) // 2 + 1"),
        (2 * L + 1, "2*L + 1"),
        (((L - 3) // 2 + 1) * 2, "2*((L - 3) // 2) + 2"),
        (H * W * 64, "64*H*W"),
        (W * H, "H*W"),
        (1 - L, "-L + 1"),
        (-L, "-L"),
        (ceildiv(L - 2, 2) + 1, "ceil((L - 2) / 2) + 1"),
        (ceildiv(L, 2), "ceil(L / 2)"),
        (((L - 3) // 2 + 1 - 3) // 2 + 1, "((L - 3) // 2 - 2) // 2 + 1"),
        ((H + 1) * (H - 1), "H*H - 1"),
        ((L // 2 + 1) // 2, "(L // 2 + 1) // 2"),
        (T * 4 - 1, "4*T - 1"),
    ],
)
def test_printing(expr, text):
    assert str(expr) == text


@pytest.mark.parametrize(
    "expr, result",
    [
        (L - L, 0),
        (L * 0, 0),
        ((L + 1) - L, 1),
        (H * W - W * H, 0),
        ((L * 2) // 2, L),
        (3 * L // 3, L),
        ((2 * L + 3) // 2, L + 1),
        (ceildiv(2 * L + 3, 2), L + 2),
        ((L // 2) // 2, L // 4),
        (ceildiv(ceildiv(L, 2), 3), ceildiv(L, 6)),
        ((4 * L - 2) // 2, 2 * L - 1),
    ],
)
def test_simplification(expr, result):
    assert expr == result
    assert type(expr) is type(result)


def test_equality_and_hashing():
    assert Sym.symbol("L") == L and hash(L) == hash(Sym.symbol("L"))
    assert L != H and L != 3
    assert (L - 3) // 2 == (L - 3) // 2
    assert {(L + 1) * 2: "a"}[2 * L + 2] == "a"


def test_evaluate_and_formatting():
    assert evaluate((L - 3) // 2 + 1, {"L": 10}) == 4
    assert evaluate(ceildiv(L - 2, 3), {"L": 10}) == 3
    assert evaluate(64 * H * W, {"H": 2, "W": 5}) == 640
    assert evaluate(7, {}) == 7
    with pytest.raises(KeyError):
        evaluate(L + H, {"L": 1})
    assert shape_str((64, T, (L - 1) // 2)) == "[64, T, (L - 1) // 2]"
    assert [to_json(d) for d in (3, T * 2)] == [3, "2*T"]


def test_division_needs_a_positive_integer():
    with pytest.raises(TypeError):
        L // 0
    with pytest.raises(TypeError):
        L // H


def test_exact_division():
    assert (4 * T).exact_div(2) == 2 * T
    assert (4 * T + 1).exact_div(2) is None


# Random expressions built side by side over symbols and over their values must agree.
_OPS = ["add", "sub", "mul", "floordiv", "ceildiv", "neg"]


@st.composite
def expressions(draw, depth=4):
    env = {"L": draw(st.integers(-30, 60)), "H": draw(st.integers(-30, 60))}
    sym, val = Sym.symbol("L"), env["L"]
    for _ in range(draw(st.integers(1, depth * 2))):
        op = draw(st.sampled_from(_OPS))
        k = draw(st.integers(1, 7))
        other_sym, other_val = draw(st.sampled_from([(k, k), (Sym.symbol("H"), env["H"]), (Sym.symbol("L"), env["L"])]))
        if op == "add":
            sym, val = sym + other_sym, val + other_val
        elif op == "sub":
            sym, val = sym - other_sym, val - other_val
        elif op == "mul":
            sym, val = sym * other_sym, val * other_val
        elif op == "floordiv":
            sym, val = sym // k, val // k
        elif op == "ceildiv":
            sym, val = ceildiv(sym, k), -(-val // k)
        else:
            sym, val = -sym, -val
    return sym, val, env


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_symbolic_arithmetic_agrees_with_integers(case):
    sym, val, env = case
    assert evaluate(sym, env) == val


@pytest.mark.parametrize(
    "a, b, same",
    [
        ((L - 1) // 2 + 1, ceildiv(L - 2, 2) + 1, True),  # stride-2 conv vs ceil-mode pool
        ((L - 2) // 2, (L - 4) // 2 + 1, True),
        (L // 2, (L - 1) // 2 + 1, False),  # differ for odd L
        (2 * (L // 2), L, False),
        (H * W, W * H, True),
        ((H - 1) // 2 + (W - 1) // 2, ceildiv(H - 2, 2) + ceildiv(W, 2) - 1 + 0 * H, True),
        (H // 2, W // 2, False),
        (4, 4, True),
        (4, L, False),
    ],
)
def test_equal_means_equal_for_every_size(a, b, same):
    assert equal(a, b) is same
    assert same_shape((8, a), (8, b)) is same
    assert not same_shape((8, a), (a,))


def test_differ_at_names_the_first_sizes_where_both_are_positive():
    assert differ_at(L // 2, (L - 1) // 2 + 1) == {"L": 3}  # at L = 1 one of them is 0
    assert differ_at(L - 5, 2 * L - 10) == {"L": 6}
    assert differ_at(L - 70, 2 * L - 140) == {"L": 97}
    assert differ_at(L - 5000, 2 * L - 10000) == {"L": 1}  # never both positive among the sizes tried
    assert differ_at(H // 2 + W, W + (H - 1) // 2 + 1) == {"H": 1, "W": 1}
    assert differ_at((L - 1) // 2 + 1, ceildiv(L - 2, 2) + 1) is None
