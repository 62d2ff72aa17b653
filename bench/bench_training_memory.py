"""How close `nnspec summary --batch-size` comes to what PyTorch keeps on this machine's CPU:
for each network of tests/test_training_memory.py (float32, and the convnets under bfloat16
autocast), the static figure over the measured one, for the values kept for the backward pass
and for the whole step (with parameters, gradients and optimizer state).

    python bench/bench_training_memory.py

The measure is the test's own (``measure``): the storages saved for the backward pass, each
once, and the tensors of the parameters, gradients and optimizer after one step.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import test_training_memory as cases  # the cases and the measure the test holds

from nnspec import load
from nnspec.backends.memory import training_memory
from nnspec.core.dims import evaluate


def main() -> None:
    torch.set_num_threads(1)
    print(f"{'network':28s} {'precision':9s} {'kept':>8s} {'step':>8s}   (static / measured)")
    for amp in (False, True):
        for case in cases.AMP_CASES if amp else cases.CASES:
            name, batch, steps, optimizer, params = case
            path = cases.small_resnet18(Path(tempfile.mkdtemp())) if name == "resnet18" \
                else os.path.join(ROOT, "specs", name)
            spec = load(path)
            static = training_memory(spec.graph(**params), batch, optimizer, amp=amp)
            real = cases.measure(spec, batch, steps, optimizer, amp=amp, **params)
            kept = static.kept_batch if isinstance(static.kept_batch, int) else evaluate(static.kept_batch, {"T": steps})
            step = static.params + static.grads + static.optimizer_state + kept
            print(f"{name.removesuffix('.nn'):28s} {'bf16' if amp else 'float32':9s} {kept / real['kept']:8.3f} "
                  f"{step / sum(real.values()):8.3f}")


if __name__ == "__main__":
    main()
