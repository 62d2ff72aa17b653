"""The layer catalogue. Importing this package registers every kind in :data:`REGISTRY`."""

from . import (  # noqa: F401  (importing registers the kinds)
    activation,
    attention,
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
    recurrent,
    reduce,
    reshape,
    upsample,
)
from .base import Layer, TensorType

REGISTRY = Layer.registry

__all__ = ["REGISTRY", "Layer", "TensorType", "user_kinds"]


def user_kinds() -> dict[str, type[Layer]]:
    """The kinds a spec may call by name."""
    return {k: c for k, c in REGISTRY.items() if not c.internal}
