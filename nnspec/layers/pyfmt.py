"""Formatting argument values as Python source for generated code."""

from __future__ import annotations


def py(value) -> str:
    """A Python literal for an argument value: lists become tuples, strings are quoted safely."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple)):
        if len(set(value)) == 1 and len(value) > 0:
            return py(value[0])
        return "(" + ", ".join(py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def call(ctor: str, *positional, **keywords) -> str:
    """``ctor(p1, p2, k=v)`` with keywords whose value is None left out."""
    parts = [py(p) for p in positional] + [f"{k}={py(v)}" for k, v in keywords.items() if v is not None]
    return f"{ctor}({', '.join(parts)})"


def times(value, n: int = 2) -> str:
    """``3×3`` for a kernel of 3 over two spatial dims, ``1×7`` for a list."""
    vals = list(value) if isinstance(value, (list, tuple)) else [value] * n
    return "×".join(str(v) for v in vals)
