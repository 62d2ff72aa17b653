"""Class templates for generated code: block instances whose code differs only in numbers
share one class, and the numbers that differ become its constructor's parameters.

Three ``Bottleneck`` instances of widths 64, 128 and 256 generate the same lines but for their
sizes; one class ``Bottleneck(in_channels, width)`` serves them all when every differing number
is a parameter of the block, a multiple of one (``4 * width``), or the input's channels. These
functions work on the text of a class body, so they know nothing of layers: numbers are found
in the code of each line (never in a comment or a string), and a number's place is its index
among them.

>>> code = "nn.Conv2d(256, 64, 1)  # [64, 56, 56]"
>>> numbers(code), template(code)
(['256', '64', '1'], 'nn.Conv2d(#, #, #)  # [64, 56, 56]')
>>> explain([256, 512], {"width": [64, 128], "stride": [1, 1]})
'4 * width'
>>> substitute(code, {0: "4 * width", 1: "width"})
'nn.Conv2d(4 * width, width, 1)  # [64, 56, 56]'
"""

from __future__ import annotations

import itertools
import re

# A string, a comment, or a number token (not part of a name such as ``x1`` or ``Conv2d``, nor
# of a longer number): one pass over a text finds the numbers of its code.
_TOKEN = re.compile(
    r"""(?P<string>"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')"""
    r"|(?P<comment>#[^\n]*)"
    r"|(?<![\w.])(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?![\w.])"
)


def _map_numbers(text: str, fn) -> str:
    """``text`` with each number token of its code (outside strings and comments) replaced by
    ``fn(index, token)``, the index counting tokens from the start of ``text``."""
    count = 0

    def replace(m: re.Match) -> str:
        nonlocal count
        if m.group("number") is None:
            return m.group()
        count += 1
        return fn(count - 1, m.group())

    return _TOKEN.sub(replace, text)


def numbers(text: str) -> list[str]:
    """The number tokens of ``text``'s code, in order."""
    found: list[str] = []
    _map_numbers(text, lambda i, tok: found.append(tok) or tok)
    return found


def template(text: str) -> str:
    """``text`` with every number of its code replaced by ``#``: equal templates, one class."""
    return _map_numbers(text, lambda i, tok: "#")


def substitute(text: str, exprs: dict[int, str]) -> str:
    """``text`` with the numbers at the given indices replaced by expressions."""
    return _map_numbers(text, lambda i, tok: exprs.get(i, tok))


def parse_number(token: str) -> int | float:
    return float(token) if any(c in token for c in ".eE") else int(token)


def explain(values: list, candidates: dict[str, list]) -> str | None:
    """An expression over the candidates (name -> one value per instance) that gives
    ``values`` (one per instance) in every instance: a candidate itself, a whole multiple of
    one (``4 * width``), an exact fraction (``width // 2``) or a sum of several (the channels
    of a concat, ``c1 + c3``); None when there is none.

    >>> explain([96, 160], {"c1": [64, 128], "c3": [32, 32], "c5": [16, 16]})
    'c1 + c3'
    """
    for name, vs in candidates.items():
        if list(vs) == list(values):
            return name
    for name, vs in candidates.items():
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (*vs, *values)) or 0 in vs:
            continue
        if all(x % v == 0 for x, v in zip(values, vs)):
            ks = {x // v for x, v in zip(values, vs)}
            if len(ks) == 1 and (k := ks.pop()) > 1:
                return f"{k} * {name}"
        if 0 not in values and all(v % x == 0 for x, v in zip(values, vs)):
            ks = {v // x for x, v in zip(values, vs)}
            if len(ks) == 1 and (k := ks.pop()) > 1:
                return f"{name} // {k}"
    ints = {n: vs for n, vs in candidates.items() if all(isinstance(v, int) and not isinstance(v, bool) for v in vs)}
    for size in range(2, len(ints) + 1 if len(ints) <= 10 else 2):  # sums of up to 10: 1,013 tries at most
        for names in itertools.combinations(ints, size):
            if all(sum(ints[n][i] for n in names) == x for i, x in enumerate(values)):
                return " + ".join(names)
    return None
