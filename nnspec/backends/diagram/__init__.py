"""Architecture diagrams: the typed graph as DOT text (:func:`to_dot`, pure), rendered by
Graphviz's ``dot`` (:func:`render`) to SVG, PNG or PDF."""

from .dot import to_dot
from .render import RenderError, render

__all__ = ["RenderError", "render", "to_dot"]
