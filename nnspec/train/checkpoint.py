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

Reading one back checks it before anything uses it: :func:`load` validates its structure
against :class:`Stored` (a pydantic model: every key present, no unknown key, every value of
its type, the settings those of :class:`~nnspec.train.config.Settings`), and :func:`restore`
checks each tensor's name and shape against the network and the optimizer's, the
scheduler's and the scaler's states against fresh ones, before loading them. A checkpoint
that fails is a :class:`DataError` naming the file and the first thing wrong.
"""

from __future__ import annotations

import dataclasses
import random
import typing
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ..files import atomic_write
from .config import Settings
from .errors import DataError, check_file

FORMAT = "nnspec-checkpoint/1"
DAMAGED_HINT = "it was changed or damaged after `nnspec train` wrote it; use the run's other checkpoint, or train again"

Number = int | float
Scalar = int | float | str | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", arbitrary_types_allowed=True)


class NumpyRNG(_Strict):
    kind: Literal["MT19937"]
    keys: torch.Tensor
    pos: int
    has_gauss: int
    cached: float


class PythonRNG(_Strict):
    version: int
    internal: list[int]
    gauss: float | None


class RNG(_Strict):
    torch: torch.Tensor
    cuda: list[torch.Tensor]
    numpy: NumpyRNG
    python: PythonRNG


class Optimizer(_Strict):
    state: dict[int, dict[str, torch.Tensor | Number | None]]
    param_groups: list[dict[str, Any]]


# The stored settings: Settings' own fields and types (a key missing from an older checkpoint
# takes its default; an unknown key or a value of another type is an error).
StoredSettings = create_model(
    "StoredSettings", __base__=_Strict,
    **{f.name: (typing.get_type_hints(Settings)[f.name],
                f.default if f.default is not dataclasses.MISSING else Field(default_factory=f.default_factory))
       for f in dataclasses.fields(Settings)},
)


class Stored(_Strict):
    """What a checkpoint holds (see the module's docstring), as pydantic validates it."""

    format: Literal["nnspec-checkpoint/1"]
    model: dict[str, torch.Tensor]
    optimizer: Optimizer
    scheduler: dict[str, Any] | None
    scaler: dict[str, Any] | None
    rng: RNG
    epoch: int = Field(ge=1)
    spec: dict[str, str]
    network: str
    params: dict[str, Any]
    vocab: list[str] | None
    classes: list[str] | None
    settings: StoredSettings
    metrics: list[dict[str, Scalar]]
    best: list[Number] | None

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
    """A checkpoint written by :func:`save`, loaded with ``weights_only=True`` onto the CPU and
    validated (:class:`Stored`); its ``settings`` hold every setting, defaults filled in."""
    obj = read(path)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise DataError(f"{path}: not an nnspec checkpoint", hint="checkpoints come from `nnspec train` (best.pt, last.pt)")
    try:
        stored = Stored.model_validate(obj)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(map(str, first["loc"]))
        got = "" if first["type"] in ("missing", "extra_forbidden") else f", got {_brief(first.get('input'))}"
        raise DataError(f"{path}: a damaged checkpoint: `{where}`: {first['msg'][0].lower()}{first['msg'][1:]}{got}",
                        hint=DAMAGED_HINT) from None
    problem = _invariants(stored)
    if problem:
        raise DataError(f"{path}: a damaged checkpoint: {problem}", hint=DAMAGED_HINT)
    try:
        settings = Settings(**stored.settings.model_dump())
        settings.validate()
    except ValueError as e:
        raise DataError(f"{path}: a damaged checkpoint: settings: {e}", hint=DAMAGED_HINT) from None
    return {**obj, "settings": settings.to_dict()}


def _brief(value) -> str:
    text = repr(value) if not isinstance(value, torch.Tensor) else f"a tensor {list(value.shape)}"
    return text if len(text) <= 60 else text[:57] + "..."


def _invariants(s: Stored) -> str | None:
    """The first thing a valid-looking checkpoint gets wrong that types cannot say."""
    rng = s.rng
    if rng.torch.dtype != torch.uint8 or rng.torch.shape != torch.get_rng_state().shape:
        return f"`rng.torch` is a {rng.torch.dtype} tensor {list(rng.torch.shape)}, not torch's generator state"
    if rng.numpy.keys.shape != (624,) or not 0 <= rng.numpy.pos <= 624:
        return "`rng.numpy` is not a Mersenne Twister state (624 keys and a position)"
    if rng.python.version != 3 or len(rng.python.internal) != 625:
        return "`rng.python` is not Python's generator state (version 3, 625 numbers)"
    epochs = [row.get("epoch") for row in s.metrics]
    # the count first: a list of `epoch` numbers to compare with would be as long as it claims
    if len(epochs) != s.epoch or epochs != list(range(1, s.epoch + 1)):
        return f"`metrics` holds epochs {epochs[:5]}{'...' if len(epochs) > 5 else ''} for a run at epoch {s.epoch}"
    return None


def read(path: str, what: str = "checkpoint"):
    """Whatever a ``.pt`` file holds, loaded with ``weights_only=True`` onto the CPU (only
    tensors, numbers, strings and containers: no pickled code runs), or :class:`DataError`."""
    check_file(path, what=what)
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


def restore(path: str, state: dict, model: torch.nn.Module, optimizer, scheduler=None, scaler=None,
            what: str | None = None) -> None:
    """Load a checkpoint's model, optimizer, scheduler, scaler and generator states, each
    first checked against what this run built; :class:`DataError` names the first misfit
    (``what`` names the network, as in :func:`load_model`)."""
    load_model(path, state["model"], model, what)
    problem = conform(state["optimizer"]["param_groups"], optimizer.state_dict()["param_groups"], "optimizer.param_groups")
    for name, stored, fresh in (("scheduler", state["scheduler"], scheduler), ("scaler", state["scaler"], scaler)):
        if problem is None and (stored is None) != (fresh is None):
            problem = f"`{name}` is None but the settings need one" if stored is None else \
                f"`{name}` holds a state but the settings use none"
        elif problem is None and fresh is not None:
            problem = conform(stored, fresh.state_dict(), name)
    if problem is None:
        params = [p for group in optimizer.param_groups for p in group["params"]]
        problem = _optimizer_state(state["optimizer"]["state"], params)
    if problem:
        raise DataError(f"{path}: a damaged checkpoint: {problem}", hint=DAMAGED_HINT)
    try:
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        if scaler is not None:
            scaler.load_state_dict(state["scaler"])
        set_rng_state(state["rng"])
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"{path}: a damaged checkpoint: {str(e).splitlines()[0]}", hint=DAMAGED_HINT) from None


def load_model(path: str, tensors: dict, model: torch.nn.Module, what: str | None = None) -> None:
    """``model.load_state_dict(tensors)`` after checking every name and shape, so that a misfit
    is a :class:`DataError` saying which tensor; ``what`` names the network for the message."""
    expected = model.state_dict()
    what = what or f"the network `{type(model).__name__}`"
    missing = [k for k in expected if k not in tensors]
    unknown = [k for k in tensors if k not in expected]
    problem = None
    if missing:
        problem = f"it has no tensor `{missing[0]}`" + (f" (nor {len(missing) - 1} more)" if len(missing) > 1 else "")
    elif unknown:
        problem = f"its tensor `{unknown[0]}` is not in the network" + (f" (nor {len(unknown) - 1} more)" if len(unknown) > 1 else "")
    else:
        bad = next((k for k in expected if tensors[k].shape != expected[k].shape), None)
        if bad is not None:
            problem = f"its tensor `{bad}` is {list(tensors[bad].shape)} where the network has {list(expected[bad].shape)}"
    if problem:
        raise DataError(f"{path} does not fit {what}: {problem}",
                        hint="use the spec (and --set values) the checkpoint was trained with")
    model.load_state_dict(tensors)
    from .finite import first_non_finite

    name = first_non_finite(model)
    if name is not None:
        raise DataError(f"{path}: the tensor `{name}` holds NaN or infinite values", hint=DAMAGED_HINT)


def conform(stored, fresh, where: str) -> str | None:
    """How ``stored`` differs in structure from ``fresh`` (the same kind of state made by this
    run): a key missing or unknown, a list of another length, a value of another type; None
    when it conforms. Numbers conform to numbers.

    >>> conform({"lr": 0.1, "betas": (0.9, 0.99)}, {"lr": 1e-3, "betas": (0.9, 0.999)}, "group")
    >>> conform({"lr": "fast"}, {"lr": 1e-3}, "group")
    "`group.lr` is 'fast' where a float belongs"
    """
    if isinstance(fresh, dict):
        if not isinstance(stored, dict):
            return f"`{where}` is {_brief(stored)} where a dict belongs"
        for key in fresh:
            if key not in stored:
                return f"`{where}` has no `{key}`"
        for key in stored:
            if key not in fresh:
                return f"`{where}` has an unknown key `{key}`"
        return next(filter(None, (conform(stored[k], fresh[k], f"{where}.{k}") for k in fresh)), None)
    if isinstance(fresh, (list, tuple)):
        if not isinstance(stored, (list, tuple)) or len(stored) != len(fresh):
            return f"`{where}` is {_brief(stored)} where {len(fresh)} values belong"
        return next(filter(None, (conform(a, b, f"{where}.{i}") for i, (a, b) in enumerate(zip(stored, fresh)))), None)
    number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if fresh is None or stored is None or (number(fresh) and number(stored)) or type(stored) is type(fresh):
        if isinstance(fresh, torch.Tensor) and stored.shape != fresh.shape:
            return f"`{where}` is {list(stored.shape)} where {list(fresh.shape)} belongs"
        return None
    return f"`{where}` is {_brief(stored)} where a {type(fresh).__name__} belongs"


def _optimizer_state(state: dict, params: list[torch.Tensor]) -> str | None:
    """An optimizer state entry for a parameter that does not exist, or a buffer (momentum,
    moments) of another shape than its parameter."""
    for index, entry in state.items():
        if not 0 <= index < len(params):
            return f"`optimizer.state` has an entry for parameter {index} of {len(params)}"
        for key, value in entry.items():
            if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape != params[index].shape:
                return (f"`optimizer.state.{index}.{key}` is {list(value.shape)} where its parameter is "
                        f"{list(params[index].shape)}")
    return None
