"""Counts as a person reads them (parameters, MACs): shared by the summary, the diagram and
``check``'s verdicts.

>>> human(25_557_032), human(4_089_184_256), human(950)
('25.6M', '4.09G', '950')
"""

from __future__ import annotations

from .core.dims import Dim


def human(n: Dim) -> str:
    """``4.09G``, ``21.7M``, ``2.9K``; a symbolic count prints as its expression."""
    if not isinstance(n, int):
        return str(n)
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}" if n / size < 100 else f"{n / size:.0f}{unit}"
    return str(n)
