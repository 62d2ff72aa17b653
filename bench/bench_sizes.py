"""How the cost of a spec grows with its size, against the goals of issue #22: `nnspec check`
linear in the spec (1 MB of layers in under 2 s, a 2 MiB spec refused in under 1 s without a
huge cache entry; 50,000 networks or 100,000 parameters in one file not quadratic), and
`nnspec compile` no worse than linear in branches (a concat of N) and instances (N of one block).

    python bench/bench_sizes.py [--scale 1.0] [--compile] [--no-goals]

First the goals themselves, one run each: 1 MB of layer lines (one network of `dense(8)` lines,
and many small networks) checked, and a 2 MiB spec of `relu` lines refused.

Each case runs at two sizes, N and 2N: the ratio of their times says how the cost grows (2 for
linear, 4 for quadratic). Times are wall and CPU (user + system) seconds of a whole process,
caches off; ``--scale`` shrinks every N (0.1 on a slow machine); ``--compile`` adds the
compile cases (slow while the code generator is quadratic in them).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NNSPEC = [sys.executable, "-m", "nnspec"]


def lines_of_layers(n: int) -> str:
    return "network N {\n  input x: [3, 8, 8]\n" + "  conv(4, 3, padding=1) -> batchnorm -> relu\n" * n + "}\n"


def relu_lines(n: int) -> str:
    return "network N {\n  input x: [4]\n" + "  relu\n" * n + "}\n"


def dense_lines(n: int) -> str:
    return "network N {\n  input x: [8]\n" + "  dense(8)\n" * n + "}\n"


def small_networks(n: int) -> str:
    return "".join(f"network N{i} {{\n  input x: [4]\n  dense(2) -> relu\n}}\n" for i in range(n))


def networks(n: int) -> str:
    return "".join(f"network N{i} {{\n input x: [4]\n dense(2)\n}}\n" for i in range(n))


def parameters(n: int) -> str:
    return f"network N({', '.join(f'p{i} = 1' for i in range(n))}) {{\n  input x: [4]\n  dense(2)\n}}\n"


def branches(n: int) -> str:
    return "network N {\n  input x: [4]\n  concat {\n" + "    | dense(2)\n" * n + "  }\n}\n"


def instances(n: int) -> str:
    return ("block B {\n  dense(4) -> relu\n}\nnetwork N {\n  input x: [4]\n  repeat " + str(n)
            + " { B }\n}\n")


GOALS = [  # (what, text, the goal in seconds): one run each, printed first
    ("1 MB: one network of `dense(8)` lines", dense_lines(95_000), 2.0),
    ("1 MB: small networks (`dense(2) -> relu`)", small_networks(20_000), 2.0),
    ("2 MiB of `relu` lines (refused: over 200,000 lines)", relu_lines(2 * 1024 * 1024 // 7 - 10), 1.0),
]
CHECKS = [  # (what, text of N, N)
    ("1 MB of layers (conv -> batchnorm -> relu lines)", lines_of_layers, 22_000),
    ("`relu` lines of one network", relu_lines, 45_000),
    ("networks in one file", networks, 25_000),
    ("parameters of one network", parameters, 50_000),
]
COMPILES = [
    ("compile: branches of one concat", branches, 10_000),
    ("compile: instances of one block", instances, 16_384),
]


def timed(args: list[str], text: str) -> tuple[float, float, int, int]:
    """Wall and CPU seconds, exit status and the cache's size in bytes after one process."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "spec.nn")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        cache = os.path.join(folder, "cache")
        env = {**os.environ, "NNSPEC_CACHE_DIR": cache}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        r = subprocess.run([*args, path], capture_output=True, cwd=ROOT, env=env, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        size = sum(os.path.getsize(os.path.join(cache, f)) for f in os.listdir(cache)) if os.path.isdir(cache) else 0
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), r.returncode, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--no-goals", action="store_true", help="only the growth cases")
    options = parser.parse_args()
    cases = [(what, make, n, [*NNSPEC, "check"]) for what, make, n in CHECKS]
    cases += [(what, make, n, [*NNSPEC, "compile"]) for what, make, n in COMPILES] \
        if options.compile else []
    if not options.no_goals:
        print(f"{'goal: nnspec check of':<54} {'bytes':>10} {'wall s':>7} {'cpu s':>7} {'exit':>4} {'goal s':>7}")
        for what, text, goal in GOALS:
            wall, cpu, code, _ = timed([*NNSPEC, "check"], text)
            print(f"{what:<54} {len(text.encode()):>10,} {wall:7.2f} {cpu:7.2f} {code:>4} {goal:7.1f}", flush=True)
        print()
    print(f"{'case':<54} {'N':>8} {'bytes':>10} {'wall s':>7} {'cpu s':>7} {'exit':>4} {'cache':>9}   2N/N")
    for what, make, n, args in cases:
        n = max(1, int(n * options.scale))
        cpu_n = None
        for size in (n, 2 * n):
            text = make(size)
            wall, cpu, code, cached = timed(args, text)
            ratio = f"{cpu / cpu_n:5.2f}" if cpu_n else ""
            cpu_n = cpu_n or cpu
            print(f"{what:<54} {size:>8,} {len(text.encode()):>10,} {wall:7.2f} {cpu:7.2f} {code:>4} {cached:>9,}   {ratio}",
                  flush=True)


if __name__ == "__main__":
    main()
