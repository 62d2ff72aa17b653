"""The layer catalogue. Importing this package registers every kind in :data:`REGISTRY`."""

from . import (  # noqa: F401  (importing registers the kinds)
    activation,
    arithmetic,
    attention,
    batch,
    conv,
    dense,
    dropout,
    embedding,
    internal,
    merge,
    norm,
    param,
    pick,
    pool,
    positions,
    recurrent,
    reduce,
    reshape,
    upsample,
    windows,
)
from .base import Layer, TensorType

REGISTRY = Layer.registry

__all__ = ["REGISTRY", "Layer", "TensorType", "suggest", "synonym", "user_kinds"]


def user_kinds() -> dict[str, type[Layer]]:
    """The kinds a spec may call by name."""
    return {k: c for k, c in REGISTRY.items() if not c.internal}


def synonym(name: str) -> str | None:
    """The kind another tool's name stands for, whatever its case and underscores.

    >>> synonym("Linear"), synonym("batch_norm2d"), synonym("MultiheadAttention"), synonym("relu")
    ('dense', 'batchnorm', 'attention', None)
    """
    key = name.lower().replace("_", "")
    return next((kind for kind, cls in user_kinds().items() if key in cls.synonyms), None)


def suggest(name: str, choices) -> str | None:
    """The hint for an unknown layer ``name``: a kind or block written in another case
    (``Relu``), the kind another tool's name stands for (``Conv2D``, ``MaxPooling2D``), else
    the closest of ``choices``."""
    from ...diagnostics import did_you_mean

    same = [c for c in choices if c.lower() == name.lower()]
    if same:
        return f"did you mean `{same[0]}`? (names are case-sensitive" + ("; the layer kinds are lowercase)"
                                                                        if same[0].islower() else ")")
    kind = synonym(name)
    if kind is not None:
        return f"did you mean `{kind}`? (nnspec's name for `{name}`)"
    return did_you_mean(name, choices)
