"""Seeing inside a trained network: what ``nnspec explain`` draws.

=============  ===============================================================================
``gradcam``    Grad-CAM (Selvaraju et al., 2017): the feature maps of a layer weighted by the
               mean gradient of the class score over each map, rectified, upsampled to the
               input and laid over it -- where the network looked to say "this class"
``saliency``   the largest absolute gradient of the class score over the input's channels, per
               pixel (Simonyan et al., 2014) -- which pixels would change the answer most
``features``   the feature maps of a layer for the input, one cell per channel
``filters``    the first convolution's kernels, one cell per filter (in colour for RGB input)
=============  ===============================================================================

Layers are named as in the spec (``conv1``, ``layer4``, ``features``). Pictures are PNGs of a
known size: the overlays 800 × 440 pixels (the input beside the heat map on it); a grid of
``n`` cells ``columns × 100`` by ``rows × 100 + 50`` pixels, with ``columns = ceil(sqrt(n))``.
"""

from __future__ import annotations

import math

import numpy as np

from ..backends.codegen import module_paths
from ..printable import listed, printable
from .errors import reported_write

METHODS = ("gradcam", "saliency", "features", "filters")
OVERLAY_SIZE = (800, 440)  # pixels of a gradcam or saliency picture
CELL, TITLE = 100, 50  # pixels of a grid cell, and of the title band above the grid
TITLE_MARGIN = 6  # pixels at least between the title and either side of the picture
MAX_CELLS = 64


class ExplainError(Exception):
    """What cannot be drawn, told in the user's terms."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def image_layers(graph, model) -> list[str]:
    """The spec's module names whose output is a feature map ``[C, H, W]``, in order."""
    names = dict(model.named_modules())
    paths = module_paths(graph)
    return [n.name for n in graph.nodes if n.name and paths.get(n.name, n.name) in names
            and n.out is not None and len(n.out.shape) == 3 and n.op != "input"]


def capture(model, layer: str, x, cls: int | None):
    """Run ``model`` on ``x`` ``[1, C, H, W]``; returns ``(activation, gradient, logits, class)``
    of ``layer``: its output and the gradient of the class score (the predicted class unless
    ``cls``) with respect to it."""
    a, logits, predicted = _record(model, layer, x, keep_grad=True)
    cls = predicted if cls is None else cls
    model.zero_grad(set_to_none=True)
    logits[0, cls].backward()
    return a.detach(), a.grad.detach(), logits.detach(), cls


def gradcam(model, x, layer: str, cls: int | None = None):
    """Grad-CAM heat map ``[H, W]`` in [0, 1] at the input's resolution, the logits and the class."""
    import torch.nn.functional as F

    a, g, logits, cls = capture(model, layer, x.clone().requires_grad_(True), cls)
    if a.dim() != 4:
        raise ExplainError(f"Grad-CAM needs a layer with feature maps [C, H, W]; `{layer}` gives {list(a.shape[1:])}")
    weights = g.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * a).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)[0, 0]
    return _unit(cam).numpy(), logits, cls


def saliency(model, x, cls: int | None = None):
    """The saliency map ``[H, W]`` in [0, 1], the logits and the class."""
    x = x.clone().requires_grad_(True)
    logits = model(x)
    cls = int(logits.argmax(-1)) if cls is None else cls
    model.zero_grad(set_to_none=True)
    logits[0, cls].backward()
    return _unit(x.grad[0].abs().amax(0)).numpy(), logits.detach(), cls


def _unit(t):
    t = t.detach().float()
    low, high = t.min(), t.max()
    return (t - low) / (high - low) if high > low else t * 0


def _picture(image: np.ndarray) -> np.ndarray:
    """``[C, H, W]`` in [0, 1] to what imshow draws: ``[H, W]`` grey or ``[H, W, 3]``."""
    return image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)


def draw_overlay(path: str, image: np.ndarray, heat: np.ndarray, title: str, method: str) -> None:
    """The input and the heat map laid over it, side by side (PNG, :data:`OVERLAY_SIZE`)."""
    from matplotlib.figure import Figure

    from ..files import atomic_write

    fig = Figure(figsize=(OVERLAY_SIZE[0] / 100, OVERLAY_SIZE[1] / 100), dpi=100)
    left, right = fig.subplots(1, 2)
    picture = np.clip(_picture(image), 0, 1)
    grey = picture.ndim == 2
    left.imshow(picture, cmap="gray" if grey else None, vmin=0, vmax=1)
    left.set_title("input")
    right.imshow(picture, cmap="gray" if grey else None, vmin=0, vmax=1)
    right.imshow(heat, cmap="jet", alpha=0.5, vmin=0, vmax=1)
    right.set_title(title)
    for ax in (left, right):
        ax.axis("off")
    fig.suptitle("Grad-CAM" if method == "gradcam" else "saliency")
    with reported_write(path):
        atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=100))


def draw_grid(path: str, cells: list[np.ndarray], title: str) -> tuple[int, int]:
    """One cell per picture (``[H, W]`` or ``[H, W, 3]``, each scaled to its own range), in a
    near-square grid; returns the PNG's size in pixels."""
    from matplotlib.figure import Figure

    from ..files import atomic_write

    columns = math.ceil(math.sqrt(len(cells)))
    rows = math.ceil(len(cells) / columns)
    grid = columns * CELL
    fig = Figure(figsize=(grid / 100, (rows * CELL + TITLE) / 100), dpi=100)
    heading = fig.suptitle(title, fontsize=10, y=1 - 0.15 * TITLE / (rows * CELL + TITLE), va="top")
    # a small grid (xo's 4 filters: 200 pixels) is narrower than its title: the picture widens
    # to the title (in steps of 10 pixels), the grid centred under it, its cells as they were
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    needed = heading.get_window_extent(FigureCanvasAgg(fig).get_renderer()).width + 2 * TITLE_MARGIN
    size = (max(grid, 10 * math.ceil(needed / 10)), rows * CELL + TITLE)
    fig.set_size_inches(size[0] / 100, size[1] / 100)
    top = 1 - TITLE / size[1]
    side = (size[0] - grid) / 2 + 0.01 * grid  # pixels left (and right) of the cells
    axes = fig.subplots(rows, columns, squeeze=False, gridspec_kw={"top": top, "bottom": 0.01, "left": side / size[0],
                                                                  "right": 1 - side / size[0], "wspace": 0.06,
                                                                  "hspace": 0.06})
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(cells):
            cell = cells[i]
            low, high = float(cell.min()), float(cell.max())
            cell = (cell - low) / (high - low) if high > low else cell * 0
            ax.imshow(cell, cmap="viridis" if cell.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    heading.set_y(1 - 0.15 * TITLE / size[1])
    with reported_write(path):
        atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=100))
    return size


def explain(spec, weights: str, input_path: str, method: str, path: str, layer: str | None = None,
            cls: str | None = None) -> dict:
    """Draw ``method`` (one of :data:`METHODS`) for the checkpoint ``weights`` of ``spec`` on
    the image ``input_path`` into the PNG ``path``; returns what was drawn
    (``{"method", "layer", "class", "probability", "size"}``).

    >>> explain(load("specs/xo.nn"), "runs/xo/best.pt", "x.png", "gradcam", "cam.png")  # doctest: +SKIP
    {'method': 'gradcam', 'layer': '0', 'class': 'X', 'probability': 0.99, 'size': (800, 440)}
    """
    import torch

    from . import sources
    from .assess import class_names, restore
    from .data import image_stats, input_infos
    from .pixels import prepare_batch
    from .predict import classifier_classes

    if method not in METHODS:
        raise ExplainError(f"unknown method `{method}`", hint=f"the methods are {', '.join(METHODS)}")
    state, graph, model = restore(spec, weights)
    names = class_names(state, classifier_classes(graph, state))
    model.requires_grad_(False)  # gradients flow to the activations and the input, not the weights
    if method == "filters":
        return _filters(model, graph, path, layer)
    infos = input_infos(graph)
    shape = sources.image_shape(infos, f"explain --method {method}")
    pixels = sources.read_image(input_path, shape)
    image = sources.unit_scale(pixels)  # what the picture shows
    x = prepare_batch(torch.from_numpy(pixels)[None], image_stats(infos, state["settings"].get("normalize", "none"))[0])
    wanted = None
    if cls is not None:
        if cls not in names:
            raise ExplainError(f"no class `{printable(cls)}`; the classes are {listed(names)}")
        wanted = names.index(cls)
    layers = image_layers(graph, model)
    if method in ("gradcam", "features"):
        if layer is None:
            if not layers:
                raise ExplainError(f"`{graph.network}` has no layer with feature maps [C, H, W]")
            layer = layers[-1] if method == "gradcam" else layers[0]
        elif module_paths(graph).get(layer, layer) not in dict(model.named_modules()) or not layer:
            from ..diagnostics import did_you_mean

            raise ExplainError(f"`{graph.network}` has no layer `{layer}`",
                               hint=did_you_mean(layer, layers) or f"layers with feature maps: {', '.join(layers)}")
    target = module_paths(graph).get(layer, layer) if layer is not None else None  # the module's path
    if method == "gradcam":
        heat, logits, k = gradcam(model, x, target, wanted)
    elif method == "saliency":
        heat, logits, k = saliency(model, x, wanted)
    else:
        with torch.no_grad():
            a, logits, k = _record(model, target, x)
        if a.dim() != 4:
            raise ExplainError(f"`{layer}` gives {list(a.shape[1:])}, not feature maps [C, H, W]",
                               hint=f"layers with feature maps: {', '.join(layers)}")
        maps = [m.numpy() for m in a[0][:MAX_CELLS]]
        more = f" (the first {MAX_CELLS} of {a.shape[1]})" if a.shape[1] > MAX_CELLS else ""
        size = draw_grid(path, maps, f"{layer}: {a.shape[1]} feature maps {a.shape[2]}×{a.shape[3]}{more}")
        p = float(logits.softmax(-1)[0, k])
        return {"method": method, "layer": layer, "class": names[k], "probability": p, "size": size}
    p = float(logits.softmax(-1)[0, k])
    draw_overlay(path, image, heat, f"{printable(names[k])} ({p:.2f})" + (f" at {layer}" if method == "gradcam" else ""), method)
    return {"method": method, "layer": layer, "class": names[k], "probability": p, "size": OVERLAY_SIZE, "heat": heat}


def _record(model, layer: str, x, keep_grad: bool = False):
    """``(the output of layer, the logits, the predicted class)`` for ``x``."""
    seen = {}

    def keep(_, __, out):
        if keep_grad:
            out.retain_grad()
        seen["a"] = out

    hook = model.get_submodule(layer).register_forward_hook(keep)
    try:
        logits = model(x)
    finally:
        hook.remove()
    if "a" not in seen:
        raise ExplainError(f"layer `{layer}` never runs on its own in the built module")
    return seen["a"], logits, int(logits.argmax(-1))


def _filters(model, graph, path: str, layer: str | None) -> dict:
    import torch

    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    if layer is not None:
        convs = [(n, m) for n, m in convs if n == layer]
        if not convs:
            raise ExplainError(f"`{graph.network}` has no 2-d convolution `{layer}`")
    if not convs:
        raise ExplainError(f"`{graph.network}` has no 2-d convolution to show the filters of")
    name, conv = convs[0]
    w = conv.weight.detach().float()
    colour = w.shape[1] == 3
    cells = [(k.permute(1, 2, 0) if colour else k[0]).numpy() for k in w[:MAX_CELLS]]
    more = f" (the first {MAX_CELLS} of {w.shape[0]})" if w.shape[0] > MAX_CELLS else ""
    size = draw_grid(path, cells, f"{name}: {w.shape[0]} filters {w.shape[2]}×{w.shape[3]}"
                     + ("" if colour else " (input channel 0)") + more)
    return {"method": "filters", "layer": name, "class": None, "probability": None, "size": size}
