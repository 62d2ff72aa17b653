"""The time of code generation: ``to_source`` of a checked graph, best of several runs.

    .venv/bin/python bench/bench_to_source.py [--repeats 5] [--profile SPEC]

Prints, for ResNet-152, ResNet-50 and ViT-B/16, the best processor time of ``to_source`` on
an already checked graph (parsing and the network's own elaboration are not counted; the
elaboration of the changed networks that find the class's parameters is), and the length of
the source as a check that the same text is timed.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import pstats
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import nnspec
from nnspec.backends.codegen import to_source

SPECS = ("resnet152", "resnet50", "vit_b_16")


def graph_of(name: str):
    path = os.path.join("specs", f"{name}.nn")
    return nnspec.load(os.path.join(ROOT, path)).checked_graph(), path


def best(name: str, repeats: int) -> tuple[float, str]:
    times, text = [], ""
    for _ in range(repeats):
        graph, path = graph_of(name)  # a fresh graph: nothing planned on it yet
        start = time.process_time()
        text = to_source(graph, path)
        times.append(time.process_time() - start)
    return min(times), text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", metavar="SPEC", help="profile to_source of one spec instead")
    args = parser.parse_args()
    if args.profile:
        graph, path = graph_of(args.profile)
        profile = cProfile.Profile()
        profile.runcall(to_source, graph, path)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        return
    to_source(*graph_of("resnet50"))  # warm up: imports, the code generator's first use
    print(f"to_source, best of {args.repeats} (processor time), load average {os.getloadavg()[0]:.1f}")
    for name in SPECS:
        t, text = best(name, args.repeats)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        print(f"  {name:10s} {t * 1000:7.1f} ms   ({len(text):,} characters, sha256 {digest})")


if __name__ == "__main__":
    main()
