"""Weighing a training step's memory before the first step.

A batch too large for the device ends, after the data has loaded and the folder was made, in
the allocator's traceback (a run once asked for 115 GB). The static estimate of
:func:`nnspec.backends.memory.training_memory` (``nnspec summary --batch-size``: the weights,
their gradients, the optimizer's state and what the forward pass keeps for the backward pass)
is weighed here against the device's free memory, with the data's sizes for the symbols.
"""

from __future__ import annotations

import torch

from ..backends.builder import available_memory
from ..core.dims import evaluate, least
from .errors import DataError


def available(device: torch.device) -> int | None:
    """Bytes the device can still give: the free memory of a GPU, the available RAM of a CPU."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    return available_memory() if device.type == "cpu" else None


def step_memory(graph, inputs: list[torch.Tensor], batch_size: int, amp: str = "none",
                optimizer: str = "adam", freeze: list[str] | None = None) -> tuple[int, int]:
    """``(per_example, fixed)``: the bytes a training step of ``graph`` keeps per example for
    the backward pass, and those it holds whatever the batch (weights, gradients, optimizer
    state, batch statistics), its symbols sized as in ``inputs`` (the data's tensors
    ``[N, ...]``; a symbol no input sizes counts as 1)."""
    from ..backends.memory import training_memory
    from .data import input_infos, symbol_sizes

    env = symbol_sizes(input_infos(graph), inputs)

    def sized(d) -> int:
        try:
            return evaluate(d, env)
        except KeyError:
            return least(d)

    m = training_memory(graph, batch_size, optimizer, amp != "none", freeze or [])
    example = sized(m.kept_per_sample)
    return example, sized(m.total) - example * batch_size


def weigh(graph, inputs: list[torch.Tensor], batch_size: int, device: torch.device, amp: str = "none",
          optimizer: str = "adam", freeze: list[str] | None = None, free: int | None = None) -> None:
    """:class:`DataError` when a training step of ``graph`` at ``batch_size`` needs more memory
    than ``device`` has (``free`` bytes, by default :func:`available`), naming the batch size,
    the estimate and the largest batch that fits."""
    free = available(device) if free is None else free
    if free is None:
        return
    example, fixed = step_memory(graph, inputs, batch_size, amp, optimizer, freeze)
    need = fixed + example * batch_size
    if need <= free:
        return
    fits = (free - fixed) // example if example and free > fixed else 0
    raise DataError(
        f"a training step of `{graph.network}` at batch size {batch_size:,} needs about {_size(need)} "
        f"({_size(example)} kept for the backward pass per example, {_size(fixed)} for the weights, "
        f"their gradients and the optimizer's state), but the {device.type} has {_size(free)} free",
        hint=(f"lower --batch-size (about {fits:,} fits)" if fits else
              "the network does not fit even one example: make its inputs or layers smaller")
        + ("" if amp != "none" else ", or use --amp bf16"),
    )


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"
