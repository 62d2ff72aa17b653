"""Data parallelism through ``torch.distributed``, set up from ``torchrun``'s environment.

``torchrun --nproc-per-node N nnspec train ...`` starts N processes with ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE`` set. Each process trains a DDP replica on its share of
every epoch's batches (see :func:`nnspec.train.data.epoch_batches`); metrics are summed
across processes, and only rank 0 prints and writes files. The backend is NCCL on GPUs
and gloo on CPUs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist


@dataclass
class Context:
    """Where this process trains: its rank among ``world`` processes and its device."""

    rank: int = 0
    world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    def sum(self, values: list[torch.Tensor]) -> list[torch.Tensor]:
        """Element-wise sums over all processes (the values themselves when alone)."""
        if not self.active:
            return values
        stacked = torch.stack([v.detach().double().reshape(()) for v in values])
        dist.all_reduce(stacked)
        return list(stacked.unbind())

    def barrier(self) -> None:
        if self.active:
            dist.barrier()

    def settle(self, failure=None) -> None:
        """End a step that rank 0 does alone (writing the run's files) on every process
        together: when it failed (``failure``, a :class:`~nnspec.train.errors.DataError` of
        rank 0), every process raises it, rank 0 having said it once, instead of
        waiting at a barrier for a process that has stopped."""
        if not self.active:
            if failure is not None:
                raise failure
            return
        from .errors import DataError

        text = b"" if failure is None or not self.main else \
            "\0".join([failure.message, failure.hint or ""]).encode()
        length = torch.tensor([len(text)], dtype=torch.int64, device=self._wire)
        # a sum, not a broadcast: no process returns before all have come (a broadcast's sender
        # may, and destroy the group under the others at the end of a run), as at a barrier
        dist.all_reduce(length)
        if int(length) == 0:
            return
        data = torch.tensor(list(text), dtype=torch.uint8, device=self._wire) if self.main else \
            torch.empty(int(length), dtype=torch.uint8, device=self._wire)
        dist.broadcast(data, src=0)
        if self.main:
            # said now, before any process exits: a launcher (torchrun) stops the others as
            # soon as one has, and rank 0 could be stopped before the command prints it
            import sys

            print(failure.diagnostic().render({}), file=sys.stderr, flush=True)
            failure.quiet = True
        dist.barrier()
        if self.main:
            raise failure
        message, hint = bytes(data.tolist()).decode().split("\0")
        error = DataError(message, hint or None)
        error.quiet = True  # rank 0 has printed it
        raise error

    @property
    def _wire(self) -> torch.device:
        return self.device if dist.get_backend() == "nccl" else torch.device("cpu")

    def close(self) -> None:
        if self.active and dist.is_initialized():
            dist.destroy_process_group()


def pick_device(choice: str, local_rank: int = 0) -> torch.device:
    """``auto``: the GPU when there is one, else the CPU; ``cuda:N``: GPU N (under torchrun,
    each process still takes its local rank's GPU)."""
    from .errors import DataError

    kind, _, index = choice.partition(":")
    if kind == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise DataError(f"--device {choice}, but PyTorch sees no CUDA GPU", hint="use --device cpu or auto")
        gpu = int(index) if index and int(os.environ.get("WORLD_SIZE", "1")) <= 1 else local_rank
        if gpu >= count:
            raise DataError(f"--device {choice}, but PyTorch sees {count} GPU{'s' if count > 1 else ''} "
                            f"(cuda:0{f' to cuda:{count - 1}' if count > 1 else ''})",
                            hint="choose one of them, or --device cuda for the first")
        return torch.device("cuda", gpu)
    return torch.device("cpu")


def setup(device_choice: str) -> Context:
    """The process's context; joins the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Context(0, 1, pick_device(device_choice))
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_choice, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Context(rank, world, device)
