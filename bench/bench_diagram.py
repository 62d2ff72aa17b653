"""Diagram speed: ResNet-152 collapsed as a whole `nnspec diagram` process (goal < 3 s), and the
DOT text of the fully expanded ResNet-152 (goal < 0.5 s).

Run: .venv/bin/python bench/bench_diagram.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "resnet152.nn"


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import nnspec
    from nnspec.backends.diagram import to_dot

    exe = shutil.which("nnspec", path=str(Path(sys.executable).parent)) or "nnspec"
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("svg", "png"):
            out = os.path.join(tmp, f"resnet152.{fmt}")
            cmd = [exe, "diagram", str(SPEC), "-o", out]
            t = best(lambda cmd=cmd: subprocess.run(cmd, check=True, capture_output=True), args.repeat)
            print(f"process  nnspec diagram resnet152.nn -o .{fmt} (collapsed): {t:.2f} s  (goal < 3 s)")

    spec = nnspec.load(SPEC)
    graph = spec.checked_graph()
    t_load = best(lambda: nnspec.load(SPEC).checked_graph(), args.repeat)
    t_collapsed = best(lambda: to_dot(graph), args.repeat)
    t_expanded = best(lambda: to_dot(graph, expand="all"), args.repeat)
    lines = to_dot(graph, expand="all").count("\n")
    print(f"in-process  parse + elaborate resnet152:        {t_load * 1000:.0f} ms")
    print(f"in-process  DOT text, collapsed:                {t_collapsed * 1000:.0f} ms")
    print(f"in-process  DOT text, expanded ({len(graph.nodes)} nodes, {lines} lines): "
          f"{t_expanded * 1000:.0f} ms  (goal < 500 ms)")


if __name__ == "__main__":
    main()
