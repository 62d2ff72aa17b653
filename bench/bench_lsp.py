"""How fast `nnspec lsp` answers, against the goals of issue #20: on ResNet-152's text,
diagnostics within 0.3 s of an edit, hover and inlay hints within 0.1 s; and a burst of edits
ends with the last text's diagnostics (none of an older text after them).

    python bench/bench_lsp.py [--runs N] [--spec specs/resnet152.nn]

The server is a real process spoken to over stdio, as an editor does (tests/lsp_client.py).
Prints the median and the worst of N runs of each, and the server's start (initialize).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from lsp_client import Client  # the tests' client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--spec", default=str(ROOT / "specs" / "resnet152.nn"))
    args = parser.parse_args()
    path = Path(args.spec).resolve()
    text = path.read_text()
    lines = text.count("\n") + 1

    start = time.perf_counter()
    client = Client()
    started = time.perf_counter() - start
    try:
        uri = client.open(path, text)
        start = time.perf_counter()
        client.diagnostics(uri)
        opened = time.perf_counter() - start

        # an edit: a number changed on the stem's line (a real re-check each time)
        edits, hovers, hints = [], [], []
        line = next(k for k, s in enumerate(text.split("\n")) if "conv(" in s)
        col = text.split("\n")[line].index("conv(") + len("conv(")
        for k in range(args.runs):
            width = str(64 + (k % 2))
            start = time.perf_counter()
            version = client.edit(uri, line, col, line, col + 2, width)
            client.diagnostics(uri, version)
            edits.append(time.perf_counter() - start)
            start = time.perf_counter()
            client.request("textDocument/hover", client.at(uri, line, col - 3))
            hovers.append(time.perf_counter() - start)
            start = time.perf_counter()
            client.request("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": {
                "start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}}})
            hints.append(time.perf_counter() - start)
            time.sleep(0.05)

        # a burst: 50 edits as fast as they can be sent, then the last text's diagnostics
        start = time.perf_counter()
        for k in range(50):
            last = client.edit(uri, line, col, line, col + 2, str(10 + k))
        client.diagnostics(uri, last)
        burst = time.perf_counter() - start
        time.sleep(0.5)
        published = [p["version"] for p in client.published(uri)]
        stale = published[published.index(last) + 1:]
    finally:
        client.close()

    # the analysis alone, in this process: what an edit costs without the wire and the debounce
    from nnspec.lsp.analysis import analyse

    analyse(text, str(path))
    cpu = []
    for _ in range(args.runs):
        start = time.process_time()
        analyse(text, str(path))
        cpu.append(time.process_time() - start)

    def ms(xs):
        return f"median {statistics.median(xs) * 1000:6.1f} ms, worst {max(xs) * 1000:6.1f} ms"

    print(f"{os.path.relpath(path, ROOT)}: {lines} lines, {args.runs} runs")
    print(f"  server start (initialize)          {started * 1000:6.1f} ms")
    print(f"  first diagnostics after didOpen     {opened * 1000:6.1f} ms")
    print(f"  analysis alone (CPU, in process)    {ms(cpu)}")
    print(f"  diagnostics after an edit           {ms(edits)}   (goal 300 ms)")
    print(f"  hover                               {ms(hovers)}   (goal 100 ms)")
    print(f"  inlay hints, whole file             {ms(hints)}   (goal 100 ms)")
    print(f"  burst of 50 edits to last diagnostics {burst * 1000:6.1f} ms; analyses published "
          f"{len(published)} in all; after the last: {stale or 'none'}")


if __name__ == "__main__":
    main()
