"""How fast `nnspec check` is, against the goals of issues #9 and #11: a whole process on ResNet-152
and ViT-B/16 repeated (caches warm), first (a fresh, empty cache folder) and with the caches off
(`NNSPEC_CACHE_DIR=`); torch, pydantic and Lark imported or not; the generated 10,000-layer
spec; and elaboration time against the number of layers (it should grow linearly).

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


def run_process(args: list[str], cache: str | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds of one child process; ``cache`` is its NNSPEC_CACHE_DIR ("" turns the
    caches off, "fresh" is a new empty folder)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as fresh:
        if cache is not None:
            env["NNSPEC_CACHE_DIR"] = fresh if cache == "fresh" else cache
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r


def best(args: list[str], runs: int, cache: str | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    results = [run_process(args, cache) for _ in range(runs)]
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


def whole_process(exe: list[str], spec: str, runs: int, cache: str) -> None:
    """`nnspec check SPEC` as a whole process: repeated, first, with the caches off; its imports."""
    run_process(exe + ["check", spec], cache)  # warm the file system's cache and nnspec's cache
    wall, cpu, r = best(exe + ["check", spec], runs, cache)
    assert r.returncode == 0, r.stderr
    print(f"nnspec check {spec}, repeated (caches warm): wall {wall * 1000:.0f} ms, cpu {cpu * 1000:.0f} ms "
          f"(best of {runs})")
    print(f"  {r.stdout.strip()}")
    wall, cpu, _ = best(exe + ["check", spec], runs, "fresh")
    print(f"  first check (a fresh, empty cache folder): wall {wall * 1000:.0f} ms, cpu {cpu * 1000:.0f} ms")
    wall, cpu, _ = best(exe + ["check", spec], runs, "")
    print(f"  caches off (NNSPEC_CACHE_DIR=): wall {wall * 1000:.0f} ms, cpu {cpu * 1000:.0f} ms")
    for label, where in (("first", "fresh"), ("repeated", cache)):
        _, _, r = run_process([sys.executable, "-X", "importtime", "-m", "nnspec", "check", spec], where)
        imports = [line.split("|") for line in r.stderr.splitlines() if line.startswith("import time:")]
        print(f"  {label}: " + ", ".join(f"{module} imported: {any(name.strip() == module for *_, name in imports)}"
                                        for module in ("torch", "pydantic", "lark")))
    top = sorted(((int(cum), name.strip()) for _, cum, name in (i for i in imports if i[1].strip().isdigit())
                  if not name.startswith("  ")), reverse=True)[:8]
    print("  heaviest top-level imports, repeated (cumulative ms): "
          + ", ".join(f"{name} {us / 1000:.0f}" for us, name in top))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    exe = [sys.executable, "-m", "nnspec"]

    with tempfile.TemporaryDirectory() as cache:
        for spec in SPECS:
            whole_process(exe, spec, runs, cache)
        wall, cpu, _ = best([sys.executable, "-c", "pass"], runs)
        print(f"python -c pass (the interpreter alone): wall {wall * 1000:.0f} ms, cpu {cpu * 1000:.0f} ms")

        path = os.path.join(cache, "deep10k.nn")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(deep_spec(10000))
        run_process(exe + ["check", path], cache)
        wall, cpu, r = best(exe + ["check", path], runs, cache)
        assert r.returncode == 0, r.stderr
        print(f"nnspec check (a generated 10,000-layer spec), repeated: wall {wall * 1000:.0f} ms, "
              f"cpu {cpu * 1000:.0f} ms (best of {runs})")

    sys.path.insert(0, ROOT)
    from nnspec.frontend.program import load_program
    from nnspec.spec import Spec

    Spec(load_program(deep_spec(40), "<warm-up>")).check()
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


if __name__ == "__main__":
    main()
