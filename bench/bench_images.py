"""How fast `images:DIR` feeds training, and how much memory it holds, against the usual
PyTorch pattern.

A folder of generated RGB images (default 2,000 of 96×96, resized to the spec's 64×64 input)
is read two ways, and each way is timed over a few epochs of shuffled batches of 64, with the
batches normalised (ImageNet statistics) as a model would receive them — no model, so that
only the data path is measured:

  nnspec  `sources.load("images:DIR")` reads every file once into one uint8 array; each
          epoch is index gathers on it, scaled and normalised per batch (nnspec.train.data);
  stream  the same source with NNSPEC_STREAM=1 (the path of a folder too large for memory):
          files decoded to uint8 by `DataLoader` workers (num_workers=2 here, as plain),
          scaled and normalised per batch after (`Data.batches`);
  plain   a `Dataset` that opens one file with PIL per example (convert, resize, to float,
          normalise), batched by `DataLoader(num_workers=2)`, every epoch.

Memory: the growth of this process's resident memory while the nnspec data is built, against
the uint8 size of the images plus one float32 batch (what the in-memory path is meant to
hold).

    python bench/bench_images.py                  # 2,000 images, 3 epochs
    python bench/bench_images.py --images 500     # a quicker look

The streamed folder here fits in memory (it is forced to stream), so the figure is the
streaming path's throughput, not that of a disk too slow to feed it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nnspec.train import pixels, sources
from nnspec.train.data import Data, epoch_batches

SHAPE = (3, 64, 64)
BATCH = 64


def resident() -> int:
    """This process's resident memory in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_folder(root: str, n: int, classes: int = 4) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(classes):
        os.makedirs(os.path.join(root, f"class{c}"), exist_ok=True)
    for i in range(n):
        image = rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
        Image.fromarray(image).save(os.path.join(root, f"class{i % classes}", f"{i:05d}.png"))


class FileDataset(torch.utils.data.Dataset):
    """The tutorial pattern: one PIL image per __getitem__."""

    def __init__(self, root: str):
        self.files = [(os.path.join(root, c, f), i) for i, c in enumerate(sorted(os.listdir(root)))
                      for f in sorted(os.listdir(os.path.join(root, c)))]
        self.mean = torch.tensor(pixels.IMAGENET[0]).view(3, 1, 1)
        self.std = torch.tensor(pixels.IMAGENET[1]).view(3, 1, 1)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        from PIL import Image

        path, label = self.files[i]
        with Image.open(path) as im:
            array = np.asarray(im.convert("RGB").resize((SHAPE[2], SHAPE[1]), Image.BILINEAR), dtype=np.float32)
        x = torch.from_numpy(array.transpose(2, 0, 1) / 255.0)
        return (x - self.mean) / self.std, label


def run_nnspec(root: str, epochs: int) -> tuple[list[float], int, int]:
    before = resident()
    started = time.perf_counter()
    info = sources.InputInfo("image", SHAPE, "float")
    raw = sources.load(f"images:{root}", [info])
    data = Data([torch.from_numpy(raw.inputs[0])], torch.from_numpy(raw.labels), [pixels.IMAGENET])
    del raw
    load = time.perf_counter() - started
    held = resident() - before
    times = []
    for epoch in range(1, epochs + 1):
        t = time.perf_counter()
        for index in epoch_batches(len(data), BATCH, 0, epoch):
            xs, _ = data.batch(index)
            float(xs[0][0, 0, 0, 0])  # the batch exists
        times.append(time.perf_counter() - t)
    times[0] += load  # the first epoch pays for reading the files
    return times, held, data.inputs[0].numel()


def run_stream(root: str, epochs: int) -> list[float]:
    os.environ["NNSPEC_STREAM"] = "1"
    try:
        raw = sources.load(f"images:{root}", [sources.InputInfo("image", SHAPE, "float")])
    finally:
        del os.environ["NNSPEC_STREAM"]
    data = Data(raw.inputs, torch.from_numpy(raw.labels), [pixels.IMAGENET])
    times = []
    for epoch in range(1, epochs + 1):
        t = time.perf_counter()
        for xs, _ in data.batches(epoch_batches(len(data), BATCH, 0, epoch), torch.device("cpu"), workers=2):
            float(xs[0][0, 0, 0, 0])
        times.append(time.perf_counter() - t)
    return times


def run_plain(root: str, epochs: int) -> list[float]:
    loader = torch.utils.data.DataLoader(FileDataset(root), batch_size=BATCH, shuffle=True, num_workers=2,
                                         persistent_workers=False)
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        for x, _ in loader:
            float(x[0, 0, 0, 0])
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as root:
        make_folder(root, args.images)
        ours, held, pixels_held = run_nnspec(root, args.epochs)
        streamed = run_stream(root, args.epochs)
        plain = run_plain(root, args.epochs)
    n = args.images
    print(f"{n:,} images 96x96 -> {SHAPE}, batches of {BATCH}, {args.epochs} epochs, 1 torch thread")
    print("epoch  nnspec images:DIR (in memory)  DataLoader(num_workers=2)+PIL   ratio")
    for e, (a, b) in enumerate(zip(ours, plain), start=1):
        print(f"{e:>5}  {n / a:>20,.0f} img/s          {n / b:>14,.0f} img/s   {b / a:>6.1f}x"
              + ("   (epoch 1 includes reading the files once)" if e == 1 else ""))
    print(f"total  {n * args.epochs / sum(ours):>20,.0f} img/s          {n * args.epochs / sum(plain):>14,.0f} img/s"
          f"   {sum(plain) / sum(ours):>6.1f}x")
    print("epoch  nnspec images:DIR (streamed)   DataLoader(num_workers=2)+PIL   ratio")
    for e, (a, b) in enumerate(zip(streamed, plain), start=1):
        print(f"{e:>5}  {n / a:>20,.0f} img/s          {n / b:>14,.0f} img/s   {b / a:>6.2f}x")
    print(f"total  {n * args.epochs / sum(streamed):>20,.0f} img/s          {n * args.epochs / sum(plain):>14,.0f} img/s"
          f"   {sum(plain) / sum(streamed):>6.2f}x")
    budget = pixels_held + BATCH * int(np.prod(SHAPE)) * 4
    print(f"memory held by the in-memory data: {held / 2**20:.1f} MiB; uint8 images {pixels_held / 2**20:.1f} MiB "
          f"+ one float32 batch {BATCH * int(np.prod(SHAPE)) * 4 / 2**20:.1f} MiB = {budget / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
