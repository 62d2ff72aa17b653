"""Weighing a training step's memory before the first step.

A batch too large for the device ends, after the data has loaded and the folder was made, in
the allocator's traceback (a run once asked for 115 GB). The summary knows each example's
activations (every layer's output, :attr:`nnspec.backends.summary.Summary.activation_bytes`);
a step keeps them for the backward pass, and the weights need room for their gradients. The
estimate errs low (layers that only view their input are counted, but the optimizer's state
and the framework's workspace are not), so that a run refused here could not have run.
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


def per_example(graph, inputs: list[torch.Tensor]) -> int:
    """Bytes of one example's activations in ``graph``, its symbols sized as in ``inputs``
    (the data's tensors ``[N, ...]``; a symbol no input sizes counts as 1)."""
    from ..backends.summary import Summary
    from .data import input_infos

    env = {}
    for info, x in zip(input_infos(graph), inputs):
        for d, size in zip(info.shape, tuple(x.shape)[1:]):
            if isinstance(d, str):
                env.setdefault(d, int(size))
    need = Summary(graph).activation_bytes
    if isinstance(need, int):
        return need
    try:
        return evaluate(need, env)
    except KeyError:
        return least(need)


def weigh(graph, inputs: list[torch.Tensor], batch_size: int, device: torch.device, amp: str = "none",
          free: int | None = None) -> None:
    """:class:`DataError` when a training step of ``graph`` at ``batch_size`` needs more memory
    than ``device`` has (``free`` bytes, by default :func:`available`), naming the batch size,
    the estimate and the largest batch that fits."""
    free = available(device) if free is None else free
    if free is None:
        return
    example = per_example(graph, inputs) // (2 if amp != "none" else 1)  # half-precision activations
    weights = 2 * 4 * (graph.total_params + graph.total_buffers)  # float32 weights and their gradients
    need = weights + example * batch_size
    if need <= free:
        return
    fits = (free - weights) // example if example and free > weights else 0
    raise DataError(
        f"a training step of `{graph.network}` at batch size {batch_size:,} needs about {_size(need)} "
        f"({_size(example)} of activations per example, {_size(weights)} for the weights and their gradients), "
        f"but the {device.type} has {_size(free)} free",
        hint=(f"lower --batch-size (about {fits:,} fits)" if fits else
              "the network does not fit even one example: make its inputs or layers smaller")
        + ("" if amp != "none" else ", or use --amp bf16"),
    )


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"
