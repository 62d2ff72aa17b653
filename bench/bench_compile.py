"""Compiled modules against hand-written PyTorch twins, and the cost of building.

    .venv/bin/python bench/bench_compile.py [--repeats 15] [--threads 1] [--wall]

Prints, for ResNet-50 and the sentiment LSTM, the median processor time (one thread, so that
other work on a shared machine does not count) of a forward pass and of a
forward and backward pass of the compiled module and of its twin (tests/twins/), measured
alternately in one run with the same weights, and their ratio (goal: at most 1.03). Then the
time to build ResNet-152 from its spec beyond the time torch takes to construct the same
network by hand (goal: under 1 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from twins.resnet import resnet50, resnet152
from twins.sentiment_lstm import SentimentLSTM

import nnspec

# Processor time of this process, not wall time: on a shared machine other processes stretch
# wall time by whatever they run, while the work done here stays the same. One thread keeps
# it an honest measure of work (no spinning of idle worker threads).
clock = time.process_time


def timed(fn) -> float:
    start = clock()
    fn()
    return clock() - start


def compare(name: str, compiled, twin, make_input, repeats: int) -> None:
    report = nnspec.load_weights(twin, compiled.state_dict())
    x = make_input()
    compiled.eval(), twin.eval()
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), twin(x), rtol=1e-4, atol=1e-4)
    compiled.train(), twin.train()

    def forward(model):
        with torch.no_grad():
            model(x)

    def backward(model):
        model.zero_grad(set_to_none=True)
        model(x).float().pow(2).mean().backward()

    print(f"{name}: weights loaded into the twin by {report.by}; outputs equal")
    for what, step in (("forward", forward), ("forward+backward", backward)):
        step(compiled), step(twin)  # warm up
        ours, theirs = [], []
        for _ in range(repeats):  # alternate, so that drift in the machine hits both alike
            ours.append(timed(lambda s=step: s(compiled)))
            theirs.append(timed(lambda s=step: s(twin)))
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"  {what:17s} compiled {a * 1000:8.1f} ms   twin {b * 1000:8.1f} ms   ratio {a / b:.3f}")


def build_cost(repeats: int) -> None:
    path = os.path.join(ROOT, "specs", "resnet152.nn")
    builds, twins = [], []
    for _ in range(repeats):
        # a fresh load each time: parsing, elaboration, code generation and execution all count
        builds.append(timed(lambda: nnspec.build(path)))
        twins.append(timed(resnet152))
    a, b = statistics.median(builds), statistics.median(twins)
    print(f"ResNet-152 build: nnspec {a:.3f} s, hand-written {b:.3f} s, beyond torch's initialisation {a - b:.3f} s "
          f"(first build {builds[0]:.3f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--wall", action="store_true", help="measure wall time instead of processor time")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--size", type=int, default=128, help="ResNet-50 input height and width")
    args = parser.parse_args()
    global clock
    clock = time.perf_counter if args.wall else time.process_time
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, CPU, {args.threads} thread(s), {'wall' if args.wall else 'processor'} time, "
          f"load average {os.getloadavg()[0]:.1f}")

    compare(
        f"ResNet-50 [{args.batch}, 3, {args.size}, {args.size}]",
        nnspec.build(os.path.join(ROOT, "specs", "resnet50.nn")),
        resnet50(),
        lambda: torch.randn(args.batch, 3, args.size, args.size),
        args.repeats,
    )

    def tokens():
        lengths = torch.randint(10, 100, (32,))
        ids = torch.randint(1, 20000, (32, 100))
        return ids.masked_fill(torch.arange(100)[None, :] >= lengths[:, None], 0)

    compare("Sentiment LSTM [32, 100] padded", nnspec.build(os.path.join(ROOT, "specs", "sentiment_lstm.nn")),
            SentimentLSTM(), tokens, args.repeats)
    build_cost(max(3, args.repeats // 2))


if __name__ == "__main__":
    main()
