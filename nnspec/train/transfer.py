"""Transfer learning: start from other weights (``--init``) and train only part of a network
(``--freeze``).

``--init`` reads an nnspec checkpoint, a foreign ``state_dict`` (``.pt``/``.pth``, loaded with
``weights_only=True``) or a ``.safetensors`` file, and loads what fits
(:func:`nnspec.backends.weights.load_matching`: by name, then by order and shape); a tensor whose shape
differs, such as a new head, keeps its fresh initialisation. ``--freeze`` stops the gradient of
the parameters under the matching module paths (:mod:`nnspec.freeze`) and keeps their batch
norms in inference mode, so that their running statistics do not move either.
"""

from __future__ import annotations

import torch

from ..backends.weights import InitReport, load_matching
from ..freeze import first_unmatched, is_frozen
from ..printable import printable
from . import checkpoint
from .errors import DataError, check_file


def read_weights(path: str) -> dict[str, torch.Tensor]:
    """The tensors of ``path`` by name: a checkpoint's model, a ``state_dict`` (also one nested
    under ``state_dict`` or ``model``, as many training scripts save it) or a safetensors file."""
    if path.endswith(".safetensors"):
        try:
            from safetensors import SafetensorError
            from safetensors.torch import load_file
        except ImportError:
            raise DataError(f"{path}: reading .safetensors needs the safetensors package",
                            hint="pip install safetensors (or nnspec[safetensors])") from None
        check_file(path, what="weights file")
        try:
            return _usable(path, load_file(path, device="cpu"))
        except (SafetensorError, OSError, ValueError) as e:
            raise DataError(f"{path}: not a readable .safetensors file ({e})") from None
    return tensors_of(checkpoint.read(path, "weights file"), path)


def tensors_of(obj, what: str = "the weights") -> dict[str, torch.Tensor]:
    """The tensors by name of a loaded file (``what`` names it): an nnspec checkpoint's model,
    a ``state_dict``, or one nested under ``state_dict``, ``model`` or ``model_state_dict``."""
    if isinstance(obj, dict) and obj.get("format") == checkpoint.FORMAT:
        obj = obj["model"]
    elif isinstance(obj, dict) and not any(isinstance(v, torch.Tensor) for v in obj.values()):
        obj = next((obj[k] for k in ("state_dict", "model", "model_state_dict") if isinstance(obj.get(k), dict)), obj)
    tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)} if isinstance(obj, dict) else {}
    if not tensors:
        raise DataError(f"{what} holds no tensors by name",
                        hint="give an nnspec checkpoint, a state_dict (.pt, .pth) or a .safetensors file")
    return _usable(what, tensors)


def _usable(path: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``tensors``, unless one cannot start a run: a sparse one (copying it into a parameter
    raised a RuntimeError), a complex one (torch keeps only the real part, with a warning) or
    one holding NaN or infinities (the run's first step would fail, and blame the learning rate)."""
    for name, t in tensors.items():
        shown = f"{path}: tensor `{printable(name)}`"
        if t.layout != torch.strided:
            raise DataError(f"{shown} is {str(t.layout).removeprefix('torch.')}, not dense",
                            hint="save the weights with t.to_dense()")
        if t.is_complex():
            raise DataError(f"{shown} holds complex numbers; a network's weights are real",
                            hint="save the real weights the network was trained with")
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise DataError(f"{shown} holds NaN or infinite values", hint="these weights come from a run that "
                            "diverged: start from another checkpoint, or without --init")
    return tensors


def initialise(model: torch.nn.Module, path: str) -> InitReport:
    """Load what fits of the weights at ``path`` into ``model``; :class:`DataError` when nothing does."""
    report = load_matching(model, read_weights(path))
    if report.loaded == 0:
        raise DataError(f"no tensor of {path} fits the network: names and shapes all differ",
                        hint="--init needs weights of the same architecture (a head of another size is fine)")
    return report


def freeze(model: torch.nn.Module, patterns) -> list[torch.nn.Module]:
    """Stop the gradient of every parameter under a module matching ``patterns``; returns the
    frozen batch norms, which :func:`train_mode` keeps in inference mode.

    A pattern that matches no module with parameters is a :class:`DataError`, and so is
    freezing every parameter (nothing would train)."""
    if not patterns:
        return []
    check_patterns(patterns, [name for name, m in model.named_modules()
                              if name and any(True for _ in m.parameters(recurse=False))])
    norms = []
    for name, module in model.named_modules():
        if name and is_frozen(name, patterns):
            for p in module.parameters(recurse=False):
                p.requires_grad_(False)
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                norms.append(module)
    if not any(p.requires_grad for p in model.parameters()):
        raise DataError(f"`--freeze {' '.join(patterns)}` freezes every parameter: nothing would train",
                        hint="freeze the backbone only, e.g. everything but the head")
    return norms


def check_patterns(patterns, paths: list[str]) -> None:
    """:class:`DataError` for the first ``freeze`` pattern that matches none of the module
    ``paths`` (those with parameters), with the closest module as the hint; ``nnspec train``
    checks the spec's paths (:func:`nnspec.freeze.graph_paths`) before it loads any data."""
    missing = first_unmatched(patterns or [], paths)
    if missing:
        raise DataError(f"`freeze` pattern `{missing[0]}` matches no module with parameters", hint=missing[1])


def train_mode(model: torch.nn.Module, frozen_norms: list[torch.nn.Module]) -> None:
    """``model.train()``, except for the frozen batch norms: they normalise with their running
    statistics and leave them as they are."""
    model.train()
    for module in frozen_norms:
        module.eval()


def counts(model: torch.nn.Module) -> tuple[int, int]:
    """``(trainable, frozen)`` parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters()) - trainable
