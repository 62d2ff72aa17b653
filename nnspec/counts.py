"""Counts as a person reads them (parameters, MACs, bytes): shared by the summary, the diagram
and ``check``'s verdicts.

>>> human(25_557_032), human(4_089_184_256), human(950)
('25.6M', '4.09G', '950')
>>> human_bytes(324), human_bytes(1_360), human_bytes(102_228_128), human_bytes(3 * 2**30)
('324 B', '1.33 KiB', '97.49 MiB', '3.00 GiB')
"""

from __future__ import annotations


def human(n) -> str:  # n: an int or a symbolic count (core.dims.Dim)
    """``4.09G``, ``21.7M``, ``2.9K``; a symbolic count prints as its expression."""
    if not isinstance(n, int):
        return str(n)
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}" if n / size < 100 else f"{n / size:.0f}{unit}"
    return str(n)


def human_bytes(n) -> str:
    """``1.33 KiB``, ``97.49 MiB``: the largest binary unit that leaves at least 1 (bytes under
    1 KiB as they are); a symbolic count prints as its expression, in bytes."""
    if not isinstance(n, int):
        return f"{n} bytes"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= size:
            return f"{n / size:,.2f} {unit}"
    return f"{n} B"
