"""PyTorch code generation: a typed :class:`~nnspec.core.ir.Graph` to one standalone Python module.

The module imports only torch. It holds a class per network and a class per block definition:
its instances share it, with the numbers in which they differ as the block's parameters
(``Bottleneck(in_channels, width)``, ``4 * width``) and what the spec's ``if`` builds in some
instances only as conditions in ``__init__`` and ``forward`` (``if exp != in_channels:``,
``if self.residual:``); instances that no parameter or condition explains get classes of their
own. ``forward`` has the shape of every value as a comment; in a class that serves several
sizes, the shape is written in its parameters and in symbols for the input's sizes
(``[width, (H - 1) // 2 + 1, W]``), ``?`` where no expression fits every instance.

The work is split along its seams: :mod:`.code` (Python code as values, and the one place that
writes them as text), :mod:`.plan` (the units, their submodules and class bodies as values),
:mod:`.share` (which instances share a class, with which parameters), :mod:`.conditions` and
:mod:`.forwards` (the ``if`` decisions, and forwards lined up across instances), :mod:`.explain`
(numbers as expressions of parameters), :mod:`.comments` (shape comments), :mod:`.emit` (bodies
as text) and :mod:`.naming` (Python names). Everything a layer contributes (its constructor,
its forward expression, its runtime helpers) comes from the layer kind itself as values.

The package is imported by every layer (for :mod:`.code`), so that ``nnspec check`` needs none
of the rest: :func:`to_source`, :func:`class_name` and :func:`module_paths` load :mod:`.source`,
and with it the planner and the writer, on first use.
"""

__all__ = ["class_name", "module_paths", "to_source"]


def __getattr__(name: str):
    if name in __all__:
        from . import source

        return getattr(source, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
