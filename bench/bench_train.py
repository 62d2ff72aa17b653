"""How fast `nnspec train` trains, against the loops people write by hand.

CPU: one epoch of specs/fashion_mnist.nn on FashionMNIST-sized random data (60,000 images
1x28x28, 10 classes) through `nnspec train`'s loop, against

  (a) a hand-written loop over the same model, the same batch size and the same in-memory
      tensors (shuffled index batches, forward, cross-entropy, backward, step), and
  (b) a loop in the style of PyTorch's quickstart tutorial: a `Dataset` returning one example
      at a time, batched by a `DataLoader`.

Goals: nnspec / (a) <= 1.05, and faster than (b). Each figure is the best of --repeats runs.
On a CPU the convolutions dominate an epoch, so the loops differ by little more than the
noise of a shared machine; the script also times the data path alone (one epoch of batches,
no model), where the difference between the approaches lies.

GPU (when CUDA is present): ResNet-50 (specs/resnet50.nn) trained with bf16 autocast and
channels-last through the same loop, in images per second, and the share of the GPU's
dense bf16 peak this reaches (6 FLOPs per multiply-accumulate of the forward pass: forward,
and backward at twice the forward).

    python bench/bench_train.py                    # the full 60,000 images
    python bench/bench_train.py --samples 6000     # a quicker look
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

import nnspec
from nnspec.train.data import Data, epoch_batches
from nnspec.train.loop import fit
from nnspec.train.sources import Raw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Dense bf16 tensor-core peaks (FLOP/s) of the SXM parts, from the vendor's data sheets.
PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "A10": 125e12, "L4": 121e12}


def random_fashion(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n)


def nnspec_epoch(spec, x, y, batch_size: int) -> float:
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
        flags = {"epochs": 1, "batch_size": batch_size, "val_split": 0.0, "device": "cpu", "seed": 0}
        result = fit(spec, None, {}, flags, out, live=False, raw=Raw("random", y, [x]))
    return result["history"][0]["seconds"]


def hand_epoch(spec, x, y, batch_size: int) -> float:
    torch.manual_seed(0)
    model = spec.build()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    start = time.perf_counter()
    model.train()
    for index in torch.randperm(len(ys)).split(batch_size):
        loss = F.cross_entropy(model(xs[index]), ys[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


class OneByOne(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def quickstart_epoch(spec, x, y, batch_size: int) -> float:
    torch.manual_seed(0)
    model = spec.build()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(OneByOne(x, y), batch_size=batch_size, shuffle=True)
    start = time.perf_counter()
    model.train()
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def cpu(samples: int, batch_size: int, repeats: int) -> None:
    spec = nnspec.load(os.path.join(ROOT, "specs", "fashion_mnist.nn"))
    x, y = random_fashion(samples)
    print(f"CPU, {torch.get_num_threads()} threads: one epoch of FashionMNIST ({samples:,} images 1x28x28, "
          f"batch {batch_size}), best of {repeats}")
    loops = {"(a) hand-written, in memory": hand_epoch, "nnspec train": nnspec_epoch,
             "(b) quickstart Dataset/DataLoader": quickstart_epoch}
    runs: dict[str, list[float]] = {name: [] for name in loops}
    names = list(loops)
    for round_ in range(repeats):
        # Interleaved, each round starting with the next loop, so that a machine whose load
        # changes during the benchmark favours none of them.
        for name in names[round_ % 3:] + names[: round_ % 3]:
            runs[name].append(loops[name](spec, x, y, batch_size))
            print(f"  round {round_ + 1}: {name:<36} {runs[name][-1]:8.2f} s", flush=True)
    times = {name: min(ts) for name, ts in runs.items()}
    for name, seconds in times.items():
        print(f"  {name:<36} {seconds:8.2f} s  {samples / seconds:10,.0f} images/s")
    ours = times["nnspec train"]
    ratio_a = ours / times["(a) hand-written, in memory"]
    ratio_b = ours / times["(b) quickstart Dataset/DataLoader"]
    print(f"  nnspec / (a) = {ratio_a:.3f}  (goal <= 1.05: {'met' if ratio_a <= 1.05 else 'NOT met'})")
    print(f"  nnspec / (b) = {ratio_b:.3f}  (goal < 1: {'met' if ratio_b < 1 else 'NOT met'})")
    ours_data, quick_data = data_path(x, y, batch_size)
    print(f"  the data path alone, one epoch of batches: nnspec {ours_data:.3f} s, "
          f"quickstart DataLoader {quick_data:.3f} s ({quick_data / ours_data:.0f}x)")


def data_path(x, y, batch_size: int) -> tuple[float, float]:
    """Seconds to produce one epoch of batches, without a model: index gathers on in-memory
    tensors (what nnspec does) against a Dataset read one example at a time."""
    data = Data([torch.from_numpy(x)], torch.from_numpy(y))
    ours, quick = [], []
    for _ in range(3):
        start = time.perf_counter()
        for index in epoch_batches(len(data), batch_size, seed=0, epoch=1):
            data.batch(index)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in torch.utils.data.DataLoader(OneByOne(x, y), batch_size=batch_size, shuffle=True):
            pass
        quick.append(time.perf_counter() - start)
    return min(ours), min(quick)


def gpu(batch_size: int, steps: int) -> None:
    if not torch.cuda.is_available():
        print("GPU: skipped (PyTorch sees no CUDA device): ResNet-50 bf16 channels-last images/s not measured")
        return
    spec = nnspec.load(os.path.join(ROOT, "specs", "resnet50.nn"))
    graph = spec.checked_graph()
    name = torch.cuda.get_device_name()
    n = batch_size * steps
    rng = np.random.default_rng(0)
    x = rng.random((n, 3, 224, 224), dtype=np.float32)
    y = rng.integers(0, 1000, n)
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
        flags = {"epochs": 2, "batch_size": batch_size, "val_split": 0.0, "device": "cuda", "amp": "bf16",
                 "optimizer": "sgd", "lr": 0.1, "seed": 0}
        result = fit(spec, None, {}, flags, out, live=False, raw=Raw("random", y, [x]))
    seconds = result["history"][-1]["seconds"]  # the second epoch: cuDNN has chosen its kernels
    rate = n / seconds
    flops = 6 * int(graph.total_macs) * rate
    peak = next((p for key, p in PEAK_BF16.items() if key in name), None)
    share = f", {flops / peak:.0%} of the {peak / 1e12:.0f} TFLOP/s bf16 peak" if peak else ""
    print(f"GPU {name}: ResNet-50 bf16 channels-last, batch {batch_size}: {rate:,.0f} images/s "
          f"({flops / 1e12:.0f} TFLOP/s{share})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-path-only", action="store_true", help="Time only the data path (seconds).")
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--gpu-batch-size", type=int, default=256)
    parser.add_argument("--gpu-steps", type=int, default=40)
    args = parser.parse_args(argv)
    if args.data_path_only:
        ours, quick = data_path(*random_fashion(args.samples), args.batch_size)
        print(f"data path, one epoch of {args.samples:,} images in batches of {args.batch_size}: "
              f"nnspec {ours:.3f} s, quickstart DataLoader {quick:.3f} s ({quick / ours:.0f}x)")
        return
    cpu(args.samples, args.batch_size, args.repeats)
    gpu(args.gpu_batch_size, args.gpu_steps)


if __name__ == "__main__":
    sys.exit(main())
