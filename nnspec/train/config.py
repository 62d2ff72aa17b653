"""Training settings: the spec's ``train { }`` section, overridden by command-line flags.

A network may carry its own defaults::

    network XO(classes = 2) {
      train {
        epochs = 20
        lr = 1e-2
        optimizer = adam
      }
      input image: [1, 9, 9]
      ...
    }

Every key of :class:`Settings` is accepted there (``batch_size``, ``val_split``, ``amp``, ...);
a flag given on the command line wins over the section, and the section wins over the
defaults below. An unknown key or a value of the wrong kind is a spec error at its line.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, make_dataclass
from typing import Any

from ..diagnostics import Diagnostic, SpecError, did_you_mean

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("none", "cosine", "step", "warmup", "onecycle", "plateau")  # see nnspec.train.schedules
# Random changes of training images (nnspec.train.pixels); `augment = true` (the flag alone) is crop,flip.
AUGMENTS = ("crop", "flip", "rotate", "noise")
DEFAULT_AUGMENT = "crop,flip"
DEVICES = ("auto", "cpu", "cuda")  # and cuda:N, one GPU by its index
AMPS = ("none", "bf16", "fp16")
LOSSES = ("auto", "ce", "bce", "mse", "l1")  # see nnspec.train.tasks
# Other tools' names for a setting or a loss, named in the hint when one is written.
ALIASES = {"learning_rate": "lr", "scheduler": "schedule", "lr_schedule": "schedule", "early_stopping": "patience",
           "optim": "optimizer", "wd": "weight_decay", "grad_clip": "clip", "mixed_precision": "amp",
           "cross_entropy": "ce", "crossentropy": "ce", "categorical_crossentropy": "ce",
           "sparse_categorical_crossentropy": "ce", "binary_crossentropy": "bce", "bce_with_logits": "bce",
           "mean_squared_error": "mse", "mae": "l1", "mean_absolute_error": "l1"}
CHOICES = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES, "device": DEVICES, "amp": AMPS, "loss": LOSSES}


@dataclass
class Settings:
    """Everything that decides a training run, besides the spec and its parameters."""

    data: str | None = None  # a data source (see nnspec.train.sources); None: the spec's default
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    momentum: float = 0.9  # sgd only
    schedule: str = "none"
    val_split: float = 0.1  # share of the training data held out, when the source has no test split
    clip: float = 0.0  # gradient-norm clipping; 0 disables it
    max_len: int = 200  # longest token sequence kept, when the input's length is symbolic
    device: str = "auto"
    amp: str = "none"
    compile: bool = False
    seed: int = 0
    val_data: str | None = None  # a separate validation source (else: the source's own, or val_split)
    normalize: str = "none"  # image inputs: none, imagenet or MEAN,STD (see nnspec.train.pixels)
    augment: str | bool = "none"  # image changes, AUGMENTS comma-joined; true (an older run's): crop,flip
    init: str | None = None  # weights to start from (nnspec checkpoint, state_dict, .safetensors)
    freeze: list[str] = field(default_factory=list)  # module-path globs whose parameters stay fixed
    loss: str = "auto"  # auto: chosen from the output and the labels (see nnspec.train.tasks)
    patience: int = 0  # stop after this many epochs without a better validation score; 0: never
    resize: bool = False  # resize images of a fixed-size source (mnist) to the spec's input
    tensorboard: bool = False  # also log each epoch's figures for TensorBoard (the tensorboard package)

    def __post_init__(self):
        if isinstance(self.augment, bool):  # the switch of older runs and of `augment = true`
            self.augment = DEFAULT_AUGMENT if self.augment else "none"

    def to_dict(self) -> dict:
        return asdict(self)

    def merged(self, overrides) -> Settings:
        """A copy with ``overrides`` (a dict, or :class:`Overrides`; None values ignored)
        applied and checked."""
        values = self.to_dict()
        given = overrides.given() if isinstance(overrides, Overrides) else overrides
        values.update({k: v for k, v in given.items() if v is not None})
        out = Settings(**values)
        out.validate()
        return out

    def validate(self) -> None:
        """Raise ValueError naming the first setting out of range."""
        for _, message in self.problems():
            raise ValueError(message)

    def problems(self):
        """``(setting, message)`` for each setting out of range."""
        if self.normalize != "imagenet":
            from .pixels import parse

            try:
                parse(self.normalize, 1)  # its form; the channels are checked against the input later
            except ValueError as e:
                yield "normalize", str(e)
        if self.augment != "none":
            for kind in str(self.augment).split(","):
                if kind not in AUGMENTS:
                    yield "augment", (f"`augment` takes none or some of {', '.join(AUGMENTS)} comma-joined, "
                                      f"got {kind!r}")
                    break
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices and not (name == "device" and is_gpu_index(self.device)):
                shown = ", ".join(choices) + (", cuda:N" if name == "device" else "")
                yield name, f"`{name}` must be one of {shown}, got {getattr(self, name)!r}"
        for name, kind in _TYPES.items():
            if kind == "float" and not math.isfinite(getattr(self, name)):
                yield name, f"`{name}` must be a finite number, got {getattr(self, name)}"
        for name, low in (("epochs", 1), ("batch_size", 1), ("max_len", 1)):
            if getattr(self, name) < low:
                yield name, f"`{name}` must be at least {low}, got {getattr(self, name)}"
        if not self.lr > 0:
            yield "lr", f"`lr` must be positive, got {self.lr}"
        if not 0 <= self.val_split < 1:
            yield "val_split", f"`val_split` must be in [0, 1), got {self.val_split}"
        if self.patience < 0:
            yield "patience", f"`patience` must be 0 (off) or more, got {self.patience}"
        for name in ("weight_decay", "clip", "momentum"):
            if getattr(self, name) < 0:
                yield name, f"`{name}` must not be negative, got {getattr(self, name)}"


def augments(setting: str) -> tuple[str, ...]:
    """The image changes an ``augment`` setting names (none: ``()``).

    >>> augments("crop,flip"), augments("none")
    (('crop', 'flip'), ())
    """
    return () if setting == "none" else tuple(setting.split(","))


def is_gpu_index(device: str) -> bool:
    """``cuda:0``, ``cuda:1``, ...: one GPU by its index."""
    kind, sep, index = device.partition(":")
    return kind == "cuda" and sep == ":" and index.isdigit()


_TYPES = {f.name: f.type for f in fields(Settings)}


def _given(self) -> dict[str, Any]:
    """The settings given (those not None), by name."""
    return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


# Settings as given on a command line or to :meth:`nnspec.Spec.fit`: every field of
# :class:`Settings`, each None unless given. A dataclass rather than a dict, so that a name
# that is no setting fails where it is written.
Overrides = make_dataclass(
    "Overrides", [(f.name, f"{f.type} | None", field(default=None)) for f in fields(Settings)],
    frozen=True, namespace={"given": _given, "__module__": __name__,
                            "__doc__": "Settings given to one run (None: not given); they win over the "
                                       "spec's train section."},
)


def overrides(values: dict[str, Any]) -> Overrides:
    """:class:`Overrides` from keyword values, or ValueError naming a key that is no setting
    (with the nearest setting, or the other tools' name for one)."""
    unknown = [k for k in values if k not in _TYPES]
    if unknown:
        raise ValueError(f"unknown training setting `{unknown[0]}`; "
                         + (_suggest(unknown[0], _TYPES) or f"the settings are {', '.join(_TYPES)}"))
    return Overrides(**values)


@dataclass(frozen=True)
class TrainSettings:
    """One training run as asked for: what ``nnspec train`` and :meth:`nnspec.Spec.fit` hand
    :func:`nnspec.train.loop.train`.

    ``network`` and ``params`` choose the network (None: the file's only one); ``overrides``
    win over its ``train { }`` section; ``out`` is the run's folder. ``resume`` continues the
    run there, ``overwrite`` replaces it; ``download`` fetches missing dataset files; ``live``
    draws a progress bar (None: when stdout is a terminal).
    """

    out: str
    network: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    overrides: Overrides = field(default_factory=Overrides)
    resume: bool = False
    overwrite: bool = False
    download: bool = False
    live: bool | None = None


def _coerce(name: str, value: Any) -> Any:
    """A section value (int, float, bool, string or bare word) as the setting's type."""
    kind = _TYPES[name]
    if name == "augment" and isinstance(value, (bool, str)):
        return value  # true/false (crop,flip or none) or the changes by name
    if "list" in kind:
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return list(values)
        raise ValueError(f"`{name}` takes a list of module-path patterns, e.g. [\"conv1\", \"layer*\"], got {value!r}")
    if "bool" in kind:
        if isinstance(value, bool):
            return value
        raise ValueError(f"`{name}` takes true or false, got {value!r}")
    if "int" in kind and "float" not in kind:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(f"`{name}` takes an integer, got {value!r}")
    if "float" in kind:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ValueError(f"`{name}` takes a number, got {value!r}")
    if isinstance(value, str):
        return str(value)
    raise ValueError(f"`{name}` takes a word or a string, got {value!r}")


def section_problems(section: dict, keys: dict, values_at: dict | None = None) -> tuple[dict, list[Diagnostic]]:
    """A ``train { }`` section's values as the settings' types, and an error for each unknown
    key (at the key: ``keys`` maps a name to its span), value of the wrong kind and value out
    of range (at the value, ``values_at``), in the order of the lines. Pure Python: ``nnspec
    check`` runs it without torch.

    >>> values, errors = section_problems({"epochs": 0, "lr": 0.1}, {})
    >>> values, [e.message for e in errors]
    ({'epochs': 0, 'lr': 0.1}, ['`epochs` must be at least 1, got 0'])
    """
    at = lambda name: (values_at or {}).get(name) or keys.get(name)
    values, diags = {}, []
    for name, value in section.items():
        if name not in _TYPES:
            diags.append(Diagnostic(
                "error", f"unknown training setting `{name}`", keys.get(name),
                _suggest(name, _TYPES) or f"the settings are {', '.join(_TYPES)}",
            ))
            continue
        try:
            values[name] = _coerce(name, value)
        except ValueError as e:
            diags.append(Diagnostic("error", str(e), at(name)))
    for name, message in Settings(**{**Settings().to_dict(), **values}).problems():
        if name in values:
            choices = CHOICES.get(name)
            hint = _suggest(str(values[name]), choices) if choices else None
            diags.append(Diagnostic("error", message, at(name), hint))
    return values, sorted(diags, key=Diagnostic.sort_key)


def _suggest(word: str, choices) -> str | None:
    if ALIASES.get(word.lower()) in choices:
        return f"did you mean `{ALIASES[word.lower()]}`?"
    return did_you_mean(word, choices)


def from_section(spec, network: str, section: dict) -> Settings:
    """Settings from a graph's ``train`` section, or :class:`SpecError` located at the bad line."""
    spans = {}
    definition = spec.program.definitions.get(network)
    if definition is not None and getattr(definition, "train", None) is not None:
        spans = {s.name: s.span for s in definition.train.settings}
    values, diags = section_problems(section, spans)  # the key's span: the line's start
    if diags:
        raise SpecError(diags, spec.sources)
    if isinstance(values.get("init"), str) and spec.path != "<string>":
        # like an import, a path in the spec is relative to the spec's folder
        import os

        values["init"] = os.path.join(os.path.dirname(spec.path), os.path.expanduser(values["init"]))
    return Settings().merged(values)
