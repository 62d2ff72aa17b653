"""Checkpoints: everything a run needs to continue exactly, in a file safe to load.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(path, weights_only=True)`` (no pickled code runs). It holds::

    format      "nnspec-checkpoint/1"
    model       the state_dict (names as in the spec)
    optimizer   the optimizer's state_dict        scheduler, scaler: theirs, or None
    rng         torch, numpy, python and CUDA generator states
    epoch       the last completed epoch (1-based)
    spec        {path: text} of the spec and its imports; network, params
    vocab       the token list of a text run, or None; classes: the class names, or None
    settings    the training settings; metrics: one dict per completed epoch; best: the best score

Writes are atomic: a temporary file in the same folder, then a rename.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from ..files import atomic_write
from .errors import DataError

FORMAT = "nnspec-checkpoint/1"

def rng_state() -> dict:
    """The state of every random generator a run draws from, as weights_only-safe values."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": {"version": version, "internal": list(internal), "gauss": gauss},
    }


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))


def save(obj: dict, path: str) -> None:
    """Write a checkpoint atomically (see :mod:`nnspec.files`)."""
    atomic_write(path, lambda fh: torch.save(obj, fh))


def load(path: str) -> dict:
    """A checkpoint written by :func:`save`, loaded with ``weights_only=True`` onto the CPU."""
    obj = read(path)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise DataError(f"{path}: not an nnspec checkpoint", hint="checkpoints come from `nnspec train` (best.pt, last.pt)")
    return obj


def read(path: str, what: str = "checkpoint"):
    """Whatever a ``.pt`` file holds, loaded with ``weights_only=True`` onto the CPU (only
    tensors, numbers, strings and containers: no pickled code runs), or :class:`DataError`."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such {what}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 -- a truncated zip, a pickle with code, ...: all mean "not ours"
        # torch's own message suggests weights_only=False, which would run code from the file:
        # keep only its first line, and never pass that advice on
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if "weights_only" in reason or "Weights only" in reason:
            reason = "torch.load with weights_only=True could not read it"
        raise DataError(f"{path}: not a readable {what} ({reason})",
                        hint="checkpoints come from `nnspec train` (best.pt, last.pt)" if what == "checkpoint"
                        else "expected a state_dict saved with torch.save, or a .safetensors file") from None
    return obj
