"""Numbers as expressions of parameters: which expression over a block's parameters (or its
input's channels) gives a number in every instance that has it (``4 * width``, ``c1 + c3``,
``blocks - 1``).

>>> from nnspec.core.code import render
>>> render(explain([256, 512], {"width": [64, 128], "stride": [1, 1]}))
'4 * width'
"""

from __future__ import annotations

import itertools

from ...core.code import (
    BinOp,
    Param,
)


def explain(values: list, candidates: dict[str, list], strict: bool = False, products: bool = False):
    """An expression over the candidates (name -> one value per instance) that gives
    ``values`` (one per instance) in every instance: a candidate itself, a whole multiple of
    one (``4 * width``), an exact fraction (``width // 2``), a sum of several (the channels
    of a concat, ``c1 + c3``) or, where ``products`` asks (after all else failed: two sizes
    multiply by chance more often), a product of two (``in_channels * expand``); None when
    there is none. ``strict``: a candidate or a multiple only, for numbers seen in too few
    instances to tell a fraction or a sum from chance.

    >>> from nnspec.core.code import render
    >>> render(explain([96, 160], {"c1": [64, 128], "c3": [32, 32], "c5": [16, 16]}))
    'c1 + c3'
    """
    for name, vs in candidates.items():
        if list(vs) == list(values):
            return Param(name)
    for name, vs in candidates.items():
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (*vs, *values)) or 0 in vs:
            continue
        if all(x % v == 0 for x, v in zip(values, vs)):
            ks = {x // v for x, v in zip(values, vs)}
            if len(ks) == 1 and (k := ks.pop()) > 1:
                return BinOp(k, "*", Param(name))
        if not strict and 0 not in values and all(v % x == 0 for x, v in zip(values, vs)):
            ks = {v // x for x, v in zip(values, vs)}
            if len(ks) == 1 and (k := ks.pop()) > 1:
                return BinOp(Param(name), "//", k)
    if strict:
        return None
    if len(set(values)) > 1:  # a rounded fraction, seen at several values (`k // 2`, a padding)
        for name, vs in candidates.items():
            if all(isinstance(v, int) and not isinstance(v, bool) for v in (*vs, *values)):
                k = next((k for k in range(2, 9) if all(v // k == x for x, v in zip(values, vs))), None)
                if k is not None:
                    return BinOp(Param(name), "//", k)
    ints = {n: vs for n, vs in candidates.items() if all(isinstance(v, int) and not isinstance(v, bool) for v in vs)}
    for size in range(2, len(ints) + 1 if len(ints) <= 10 else 2):  # sums of up to 10: 1,013 tries at most
        for names in itertools.combinations(ints, size):
            if all(sum(ints[n][i] for n in names) == x for i, x in enumerate(values)):
                out = Param(names[0])
                for n in names[1:]:
                    out = BinOp(out, "+", Param(n))
                return out
    if products and len(set(values)) > 1:  # a product of two, that differs (`in_channels * expand`)
        for a, b in itertools.combinations(sorted(ints, key=lambda n: not n.startswith("in_")), 2):
            if all(x * y == v for x, y, v in zip(ints[a], ints[b], values)):
                return BinOp(Param(a), "*", Param(b))
    return None


def evaluated(expr, env: dict[str, list], k: int):
    """An expression of :func:`explain` in the ``k``-th instance; None when it cannot say."""
    if isinstance(expr, Param):
        return env[expr.name][k] if expr.name in env else None
    if isinstance(expr, BinOp):
        a, b = evaluated(expr.left, env, k), evaluated(expr.right, env, k)
        if a is None or b is None:
            return None
        ops = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "//": lambda: a // b if b else None}
        return ops[expr.op]() if expr.op in ops else None
    return expr if isinstance(expr, (int, float)) and not isinstance(expr, bool) else None


def explain_count(values: list, candidates: dict[str, list]):
    """A repeat count as a parameter and an offset (``blocks - 1``), or None."""
    for name, vs in candidates.items():
        if all(isinstance(v, int) and not isinstance(v, bool) for v in vs):
            offsets = {x - v for x, v in zip(values, vs)}
            if len(offsets) == 1 and (k := offsets.pop()) in (-2, -1, 1, 2):
                return BinOp(Param(name), "-" if k < 0 else "+", abs(k))
    return None
