"""PyTorch code generation: a typed :class:`~nnspec.core.ir.Graph` to one standalone Python module.

The module imports only torch. It holds a class per block definition and one for the network,
each written from the definition the user wrote, never guessed back from its instances: a
block's parameters are its class's constructor parameters with the spec's defaults, every
layer argument is the spec's expression over them (``nn.Conv2d(width, 2 * width, 3)``), and
every size the spec leaves implicit is an expression of the parameters and the input's sizes,
found by each layer kind's own shape rule run on symbols. ``if`` is a Python ``if``, ``repeat``
a loop, ``shortcut auto`` a condition on the class's own sizes, a value parameter an argument
of ``forward``. Where a definition needs numbers only a call has (a condition on a layer kind,
a repeat whose count numbers the class's own modules), the call gets a class of its own
arguments, which takes no parameters rather than parameters that would not mean the block's.
``forward`` has the shape of every value as a comment, in the class's symbols.

The work is split along its seams: :mod:`.sizes` (symbols as code), :mod:`.statements` (what a
walk makes), :mod:`.scan` (what a definition's body holds), :mod:`.walk` with :mod:`.calls` and
:mod:`.structures` (a definition's body, statement by statement), :mod:`.classes` (each class,
and the network's), :mod:`.text` (a class as lines), :mod:`.module` (the whole module, with only
the runtime helpers its classes call), :mod:`.emit` (comments and docstrings) and
:mod:`.naming` (Python names). Everything a layer contributes (its constructor, its forward
expression, its runtime helpers) comes from the layer kind itself, through
:mod:`nnspec.core.code`.

``nnspec check`` needs none of this: :func:`to_source`, :func:`class_name` and
:func:`module_paths` load :mod:`.source`, and with it the generator, on first use.
"""

__all__ = ["class_name", "module_paths", "to_source"]


def __getattr__(name: str):
    if name in __all__:
        from . import source

        return getattr(source, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
