"""The pure shape functions, against PyTorch's own arithmetic where PyTorch has it."""

from __future__ import annotations

import itertools

import pytest
import torch

from nnspec.core.dims import Sym, evaluate
from nnspec.core.shapes import (
    ShapeError,
    adaptive_reads,
    broadcast,
    concat,
    drop_dim,
    expand,
    reshape,
    scaled,
    spatial_reduction,
    transposed_out,
    window_out,
)

L, H, W, T = (Sym.symbol(n) for n in "LHWT")


@pytest.mark.parametrize(
    "args, out",
    [
        ((224, 7, 2, 3), 112),
        ((56, 3, 1, 1), 56),
        ((32, 3, 1, 0, 2), 28),
        ((5, 5, 1, 0), 1),
        ((112, 3, 2, 1), 56),  # ResNet's stem pool
        ((112, 3, 2, 1, 1, True), 57),
        ((55, 3, 2, 0, 1, True), 27),
        ((13, 3, 2, 0, 1, True), 6),
        ((6, 2, 2, 1, 1, True), 4),  # ceil keeps the last window starting inside the padded input
        ((5, 2, 2, 1, 1, True), 3),  # ... and drops one starting in the right padding
        ((1, 2, 2, 0, 1, True), 1),  # a window starting inside may reach past the edge
        ((L, 3, 2, 0), (L - 3) // 2 + 1),
        ((L, 3, 1, 1), L),
        ((L, 3, 2, 0, 1, True), Sym.ceildiv(L - 3, 2) + 1),
    ],
)
def test_window_out(args, out):
    assert window_out(*args) == out


def test_window_out_matches_torch_pooling_with_and_without_ceil():
    for size, k, s, ceil in itertools.product(range(1, 13), range(1, 5), range(1, 5), (False, True)):
        for p in range(k // 2 + 1):
            pool = torch.nn.MaxPool2d((k, 2), (s, 1), (p, 0), ceil_mode=ceil)
            try:
                expected = tuple(pool(torch.zeros(1, 1, size, 4)).shape[-2:])
            except RuntimeError:
                expected = None  # output size too small
            try:
                ours = (window_out(size, k, s, p, 1, ceil), window_out(4, 2, 1, 0, 1, ceil))
            except ShapeError:
                ours = None
            assert ours == expected, (size, k, s, p, ceil)


def test_window_out_matches_torch_conv_with_dilation():
    for size, k, s, p, d in itertools.product(range(1, 12), range(1, 4), range(1, 4), range(3), range(1, 3)):
        if size + 2 * p < d * (k - 1) + 1:
            continue
        conv = torch.nn.Conv1d(1, 1, k, s, p, d)
        assert window_out(size, k, s, p, d) == conv(torch.zeros(1, 1, size)).shape[-1], (size, k, s, p, d)


def test_window_out_symbolic_agrees_with_integers():
    refused = []
    for k, s, p, ceil in itertools.product(range(1, 5), range(1, 4), range(3), (False, True)):
        try:
            out = window_out(L, k, s, p, 1, ceil)
        except ShapeError:
            refused.append(ceil)  # the ceil cases whose size has no closed form
            continue
        for size in range(max(1, k - 2 * p), 30):
            assert evaluate(out, {"L": size}) == window_out(size, k, s, p, 1, ceil), (k, s, p, ceil, size)
    assert refused == [True] * 18  # only ceil mode is refused, and only 18 of its 36 cases


def test_window_errors():
    with pytest.raises(ShapeError, match=r"the window \(5 with dilation 1\) is larger than the padded input \(4\)"):
        window_out(4, 5, 1, 0)
    with pytest.raises(ShapeError, match="with `ceil=true`, the output length for `L` depends on `L` modulo 2"):
        window_out(L, 2, 2, 1, 1, True)


def test_transposed_out_matches_torch():
    for size, k, s, p, op in itertools.product(range(1, 7), range(1, 5), range(1, 4), range(3), range(3)):
        if op >= s:
            continue
        try:
            ours = transposed_out(size, k, s, p, op)
        except ShapeError:
            ours = None
        deconv = torch.nn.ConvTranspose1d(1, 1, k, s, p, op)
        try:
            theirs = deconv(torch.zeros(1, 1, size)).shape[-1]
        except RuntimeError:
            theirs = None
        assert ours == theirs, (size, k, s, p, op)
    assert transposed_out(L, 4, 2, 1, 0) == 2 * L


def test_scaled_matches_torch_upsample():
    for size, scale in itertools.product(range(1, 12), (0.5, 1, 1.5, 2, 2.5, 3.0, 1.25)):
        up = torch.nn.Upsample(scale_factor=float(scale))
        if size * scale < 1:
            with pytest.raises(ShapeError, match=f"scaling a length of {size} by {scale} leaves nothing"):
                scaled(size, scale)
            continue
        assert scaled(size, scale) == up(torch.zeros(1, 1, size)).shape[-1], (size, scale)
    assert scaled(L, 2) == 2 * L
    assert scaled(L, 3.0) == 3 * L


def test_adaptive_reads_sums_pytorch_windows():
    # overlapping windows: 5 -> 3 reads [0,2), [1,4), [3,5): 2 + 3 + 2
    assert adaptive_reads(5, 3) == 7
    assert adaptive_reads(12, 4) == 12
    assert adaptive_reads(3, 5) == 7  # windows [0,1), [0,2), [1,2), [1,3), [2,3)
    assert adaptive_reads(L, 1) == L


@pytest.mark.parametrize(
    "a, b, out",
    [
        ((64, 8, 8), (64, 1, 1), (64, 8, 8)),
        ((8,), (3, 1), (3, 8)),
        ((1, 5), (4, 1), (4, 5)),
        ((T, 16), (16,), (T, 16)),
        ((T, 1), (1, 7), (T, 7)),
        ((), (2, 3), (2, 3)),
    ],
)
def test_broadcast(a, b, out):
    assert broadcast(a, b) == out
    if all(isinstance(d, int) for d in a + b):
        assert tuple(torch.broadcast_shapes(a, b)) == out


def test_broadcast_error():
    with pytest.raises(ShapeError, match=r"shapes \[3, 4\] and \[5, 4\] do not broadcast"):
        broadcast((3, 4), (5, 4))


@pytest.mark.parametrize(
    "shapes, dim, out",
    [
        ([(64, 28, 28), (128, 28, 28), (32, 28, 28)], 0, (224, 28, 28)),
        ([(T, 8), (T, 4)], -1, (T, 12)),
        ([(T, 8), (L, 8)], 0, (T + L, 8)),
        ([(2, 3, 4), (2, 5, 4)], 1, (2, 8, 4)),
    ],
)
def test_concat(shapes, dim, out):
    assert concat(shapes, dim) == out
    if all(isinstance(d, int) for s in shapes for d in s):
        tensors = [torch.zeros(1, *s) for s in shapes]
        assert tuple(torch.cat(tensors, dim + 1 if dim >= 0 else dim).shape[1:]) == out


@pytest.mark.parametrize(
    "shapes, dim, message",
    [
        ([(64, 28, 28), (64, 14, 14)], 0, r"concat along dimension 0 needs the other dimensions to agree, got \[64, 28, 28\] and \[64, 14, 14\]"),
        ([(64, 28), (64, 28, 28)], 0, r"concat needs inputs of the same rank, got \[64, 28\] and \[64, 28, 28\]"),
        ([(4, 4)], 2, r"`dim=2` is out of range for an input with 2 dimensions"),
    ],
)
def test_concat_errors(shapes, dim, message):
    with pytest.raises(ShapeError, match=message):
        concat(shapes, dim)


@pytest.mark.parametrize(
    "shape, target, out",
    [
        ((16, 5, 5), [16, 25], (16, 25)),
        ((16, 5, 5), [-1], (400,)),
        ((2, 4, 6), [4, -1], (4, 12)),
        ((T, 6), [T, 2, 3], (T, 2, 3)),
        ((T, 6), [T, 3, -1], (T, 3, 2)),
        ((T, 6), [-1], (6 * T,)),
    ],
)
def test_reshape(shape, target, out):
    assert reshape(shape, target) == out
    if all(isinstance(d, int) for d in shape):
        assert tuple(torch.zeros(1, *shape).reshape(1, *target).shape[1:]) == out


@pytest.mark.parametrize(
    "shape, target, message",
    [
        ((16, 5, 5), [16, 24], r"cannot reshape \[16, 5, 5\] \(400 elements\) to \[16, 24\] \(384 elements\)"),
        ((16, 5, 5), [-1, 7], r"cannot reshape \[16, 5, 5\] \(400 elements\) to \[-1, 7\]"),
        ((16, 5, 5), [-1, -1], "reshape allows at most one -1"),
    ],
)
def test_reshape_errors(shape, target, message):
    with pytest.raises(ShapeError, match=message):
        reshape(shape, target)


@pytest.mark.parametrize(
    "before, after, stride",
    [
        ((56, 56), (56, 56), 1),
        ((56, 56), (28, 28), 2),
        ((7, 7), (4, 4), 2),  # a strided 1×1 conv maps 7 to ceil(7 / 2)
        ((H, W), (H, W), 1),
        ((56, 56), (28, 14), None),
        ((H, 8), ((H - 1) // 2 + 1, 4), 2),
        ((H, W), ((H - 1) // 4 + 1, (W - 1) // 4 + 1), 4),
        ((H, 8), (H // 2, 4), None),  # a floor, as after maxpool(2): odd sizes differ from ceil
        ((H, 8), (8, 4), None),
        ((), (), 1),
    ],
)
def test_spatial_reduction(before, after, stride):
    assert spatial_reduction(before, after) == stride
    if stride is not None and all(isinstance(d, int) for d in before):
        conv = torch.nn.Conv2d(1, 1, 1, stride=stride) if len(before) == 2 else None
        if conv is not None:
            assert tuple(conv(torch.zeros(1, 1, *before)).shape[2:]) == after


def test_expand_and_drop_dim():
    assert expand(3, 2, "kernel") == (3, 3)
    assert expand([1, 7], 2, "kernel") == (1, 7)
    with pytest.raises(ShapeError, match="`kernel` has 3 entries but the input has 2 spatial dimensions"):
        expand([1, 2, 3], 2, "kernel")
    assert drop_dim((T, 5, 7), 0) == (5, 7)
    assert drop_dim((T, 5, 7), -1) == (T, 5)
    with pytest.raises(ShapeError, match="`dim=-4` is out of range for an input with 3 dimensions"):
        drop_dim((T, 5, 7), -4)


def test_broadcast_of_a_gate_against_the_leading_dimensions_is_an_error_with_the_fix():
    # [C] against [C, H, W] with W == C would silently scale columns, not channels
    with pytest.raises(ShapeError) as e:
        broadcast((8, 8, 8), (8,))
    assert e.value.message.startswith("[8] lines up with the last dimension of [8, 8, 8], not the first")
    assert "`reshape([8, 1, 1])`" in e.value.hint
    with pytest.raises(ShapeError) as e:
        broadcast((5, 5), (5, 5, 5))
    assert "along dimension 1 to 2" in e.value.message and "`reshape([5, 5, 1])`" in e.value.hint
    assert broadcast((8, 8, 8), (1,)) == (8, 8, 8)  # a single value applies everywhere either way
    assert broadcast((T, 8), (8,)) == (T, 8)  # a per-feature bias on a sequence


def test_broadcast_mismatch_of_different_ranks_says_which_axes_were_aligned():
    with pytest.raises(ShapeError) as e:
        broadcast((3, 4), (5, 4, 6))
    assert e.value.message == ("shapes [3, 4] and [5, 4, 6] do not broadcast: broadcasting aligns the last "
                               "dimensions, so dimension 1 of [3, 4] (4) meets dimension 2 of [5, 4, 6] (6)")


def test_adaptive_reads_in_closed_form_equal_the_sum_over_windows():
    from nnspec.core.shapes import adaptive_reads

    for size in range(1, 30):
        for out in range(1, 30):
            windows = sum(-(-(i + 1) * size // out) - (i * size // out) for i in range(out))
            assert adaptive_reads(size, out) == windows
    assert adaptive_reads(8, 10**9) == 10**9 + 8 - 8  # a billion windows: no loop
