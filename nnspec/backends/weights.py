"""Loading checkpoints into built modules: by name, or by order and shape for a foreign one.

A zoo network declares its parameters and buffers in the order of its reference
implementation (LANGUAGE.md §11), so a reference checkpoint whose names differ still lines up
entry by entry; the shapes confirm the pairing.
"""

from __future__ import annotations

from dataclasses import dataclass

# Batch-norm's step counter: bookkeeping that some checkpoints (Keras, older torch) lack.
_COUNTER = "num_batches_tracked"


class WeightsError(ValueError):
    """A checkpoint does not fit a module; the message lists every mismatch."""


@dataclass
class LoadReport:
    """How a checkpoint was loaded: ``by`` is ``"name"`` or ``"order"``; ``pairs`` maps the
    module's keys to the checkpoint's keys (identical when loaded by name)."""

    by: str
    pairs: list[tuple[str, str]]
    skipped: list[str]  # the module's step counters the checkpoint did not have

    def __str__(self) -> str:
        text = f"loaded {len(self.pairs)} tensors by {self.by}"
        return text + (f"; kept {len(self.skipped)} batch-norm step counters" if self.skipped else "")


def load_weights(module, state_dict) -> LoadReport:
    """Load ``state_dict`` into ``module``: by name when the keys match, else by order and shape.

    Raises :class:`WeightsError` listing each entry that does not match (never skips one
    silently). Example: ``nnspec.load_weights(nnspec.build("specs/resnet50.nn"),
    torchvision.models.resnet50(weights=...).state_dict())`` loads by name;
    a checkpoint with other names but the same layout loads by order.
    """
    import torch

    ours = module.state_dict()
    theirs = dict(state_dict)
    if set(ours) == set(theirs) or set(ours) - {k for k in ours if k.endswith(_COUNTER)} == set(theirs):
        pairs = [(k, k) for k in ours if k in theirs]
        by = "name"
    else:
        pairs = _by_order(ours, theirs)
        by = "order"
    bad = [
        f"  {ka} {_shape(ours[ka])} <- {kb} {_shape(theirs[kb])}"
        for ka, kb in pairs
        if tuple(ours[ka].shape) != tuple(theirs[kb].shape)
    ]
    if bad:
        raise WeightsError(f"{len(bad)} tensor(s) differ in shape (loading by {by}):\n" + "\n".join(_cut(bad)))
    with torch.no_grad():
        for ka, kb in pairs:
            ours[ka].copy_(theirs[kb])
    mapped = {ka for ka, _ in pairs}
    return LoadReport(by, pairs, [k for k in ours if k not in mapped])


def _by_order(ours: dict, theirs: dict) -> list[tuple[str, str]]:
    a, b = list(ours), list(theirs)
    if len(a) != len(b):
        # step counters are the one thing a foreign checkpoint may lack: compare without them
        a = [k for k in a if not k.endswith(_COUNTER)]
        b = [k for k in b if not k.endswith(_COUNTER)]
    if len(a) != len(b):
        lines = [f"  {i}: {_entry(a, ours, i)} | {_entry(b, theirs, i)}" for i in range(max(len(a), len(b)))
                 if i >= min(len(a), len(b)) or tuple(ours[a[i]].shape) != tuple(theirs[b[i]].shape)]
        raise WeightsError(
            f"the checkpoint's names differ from the module's and it holds {len(b)} tensors where the module "
            f"has {len(a)}, so it cannot be loaded by order; first differences (index: module | checkpoint):\n"
            + "\n".join(_cut(lines))
        )
    return list(zip(a, b))


def _entry(keys: list, tensors: dict, i: int) -> str:
    return f"{keys[i]} {_shape(tensors[keys[i]])}" if i < len(keys) else "(nothing)"


def _shape(t) -> str:
    return "[" + ", ".join(str(d) for d in t.shape) + "]"


def _cut(lines: list[str], n: int = 20) -> list[str]:
    return lines if len(lines) <= n else lines[:n] + [f"  ... and {len(lines) - n} more"]


@dataclass
class InitReport:
    """What :func:`load_matching` did: ``by_name`` and ``by_order`` are ``(module key,
    checkpoint key)`` pairs loaded; ``new`` the module's keys left as initialised; ``ignored``
    the checkpoint's keys not used. Shapes are kept for printing."""

    by_name: list[tuple[str, str]]
    by_order: list[tuple[str, str]]
    new: list[tuple[str, tuple]]
    ignored: list[tuple[str, tuple]]

    @property
    def loaded(self) -> int:
        return len(self.by_name) + len(self.by_order)

    def lines(self) -> list[str]:
        """The report as a person reads it: counts, then what was left new and what was ignored."""
        def show(items):
            shown = [f"{k} [{', '.join(map(str, s))}]" for k, s in items[:8]]
            return ", ".join(shown + ([f"and {len(items) - 8} more"] if len(items) > 8 else []))

        out = [f"loaded {self.loaded} tensors ({len(self.by_name)} by name, {len(self.by_order)} by order and shape)"]
        out.append(f"left new: {show(self.new)}" if self.new else "left new: none")
        out.append(f"ignored: {show(self.ignored)}" if self.ignored else "ignored: none")
        return out


def load_matching(module, state_dict) -> InitReport:
    """Load what fits of ``state_dict`` into ``module``, for transfer learning.

    A tensor is matched by name when both have the name and the same shape; the rest are
    aligned in order by shape (:class:`difflib.SequenceMatcher` over the two lists of shapes,
    so a renamed block still lines up with its counterpart). A tensor of the module that finds
    no match (a new head of another size) keeps its initialisation; one of the checkpoint
    that finds no place is ignored. Nothing is loaded across shapes.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 3))
    >>> old = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 10)).state_dict()
    >>> r = load_matching(net, old); (len(r.by_name), [k for k, _ in r.new], [k for k, _ in r.ignored])
    (2, ['1.weight', '1.bias'], ['1.weight', '1.bias'])
    """
    import difflib

    import torch

    ours = module.state_dict()
    theirs = {k: v for k, v in dict(state_dict).items() if isinstance(v, torch.Tensor)}
    by_name = [(k, k) for k in ours if k in theirs and tuple(ours[k].shape) == tuple(theirs[k].shape)]
    named = {k for k, _ in by_name}
    rest_a = [k for k in ours if k not in named]
    rest_b = [k for k in theirs if k not in named]
    shapes = lambda keys, tensors: [tuple(tensors[k].shape) for k in keys]
    matcher = difflib.SequenceMatcher(None, shapes(rest_a, ours), shapes(rest_b, theirs), autojunk=False)
    by_order = [(rest_a[block.a + i], rest_b[block.b + i])
                for block in matcher.get_matching_blocks() for i in range(block.size)]
    with torch.no_grad():
        for ka, kb in by_name + by_order:
            ours[ka].copy_(theirs[kb])
    used_a = named | {ka for ka, _ in by_order}
    used_b = named | {kb for _, kb in by_order}
    return InitReport(by_name, by_order,
                      [(k, tuple(ours[k].shape)) for k in ours if k not in used_a],
                      [(k, tuple(theirs[k].shape)) for k in theirs if k not in used_b])
