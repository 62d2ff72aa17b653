"""How fast `nnspec check` is: a whole process on ResNet-152 and ViT-B/16, torch never imported, and
elaboration time against the number of layers (it should grow linearly).

    python bench/bench_check.py [--runs N]

Prints wall and CPU (user + system) time, the best of N runs. On a shared machine wall time
suffers from other load; CPU time much less.
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
SPECS = [os.path.join("specs", "resnet152.nn"), os.path.join("specs", "vit_b_16.nn")]


def run_process(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r


def best(args: list[str], runs: int) -> tuple[float, float, subprocess.CompletedProcess]:
    results = [run_process(args) for _ in range(runs)]
    return min(w for w, _, _ in results), min(c for _, c, _ in results), results[-1][2]


def deep_spec(layers: int) -> str:
    """A network of ``layers`` layers: repeated conv/batchnorm/relu blocks in residuals."""
    blocks = layers // 4
    return (
        "block Unit(c) {\n  residual {\n    conv(c, 3, padding=1, bias=false) -> batchnorm -> relu\n  }\n}\n\n"
        "network Deep {\n  input x: [16, 8, 8]\n"
        + "".join(f"  u{i}: Unit(16)\n" for i in range(blocks))
        + "}\n"
    )


def whole_process(exe: list[str], spec: str, runs: int) -> None:
    """`nnspec check SPEC` as a whole process, with the caches and without, and its imports."""
    run_process(exe + ["check", spec])  # warm the file system's cache and nnspec's caches
    wall, cpu, r = best(exe + ["check", spec], runs)
    print(f"nnspec check {spec}: wall {wall * 1000:.0f} ms, cpu {cpu * 1000:.0f} ms (best of {runs})")
    print(f"  {r.stdout.strip()}")
    # caches off: every run parses with Lark and validates with pydantic, as for a file never checked
    os.environ["NNSPEC_CACHE_DIR"] = ""
    wall, cpu, _ = best(exe + ["check", spec], runs)
    del os.environ["NNSPEC_CACHE_DIR"]
    print(f"  the same with the caches off (a file never checked before): wall {wall * 1000:.0f} ms, "
          f"cpu {cpu * 1000:.0f} ms")
    _, _, r = run_process([sys.executable, "-X", "importtime", "-m", "nnspec", "check", spec])
    imports = [line.split("|") for line in r.stderr.splitlines() if line.startswith("import time:")]
    print("  " + ", ".join(f"{module} imported: {any(name.strip() == module for *_, name in imports)}"
                           for module in ("torch", "pydantic", "lark")))
    top = sorted(((int(cum), name.strip()) for _, cum, name in (i for i in imports if i[1].strip().isdigit())
                  if not name.startswith("  ")), reverse=True)[:8]
    print("  heaviest top-level imports (cumulative ms): "
          + ", ".join(f"{name} {us / 1000:.0f}" for us, name in top))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    exe = [sys.executable, "-m", "nnspec"]

    for spec in SPECS:
        whole_process(exe, spec, runs)
    wall, cpu, _ = best([sys.executable, "-c", "pass"], runs)
    print(f"python -c pass (the interpreter alone): wall {wall * 1000:.0f} ms, cpu {cpu * 1000:.0f} ms")

    sys.path.insert(0, ROOT)
    from nnspec.program import load_program
    from nnspec.spec import Spec

    Spec(load_program(deep_spec(40), "<warm-up>")).check()  # validates the spec's few argument sets
    print("elaboration and inference in-process (parse excluded), by layer count:")
    for layers in (1000, 2000, 5000, 10000):
        program = load_program(deep_spec(layers), f"<deep {layers}>")
        times = []
        for _ in range(3):
            spec = Spec(program)
            t = time.perf_counter()
            diags = spec.check()
            times.append(time.perf_counter() - t)
        assert not diags, diags
        nodes = len(spec.graph().nodes)
        print(f"  {layers:>6} layers ({nodes} nodes): {min(times) * 1000:7.0f} ms, "
              f"{min(times) / nodes * 1e6:.1f} µs per node")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "deep10k.nn")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(deep_spec(10000))
        wall, cpu, r = best(exe + ["check", path], 3)
        assert r.returncode == 0, r.stderr
        print(f"nnspec check (a generated 10,000-layer spec): wall {wall * 1000:.0f} ms, cpu {cpu * 1000:.0f} ms")


if __name__ == "__main__":
    main()
