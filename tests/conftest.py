"""Fixtures several test files share, and caches of the run's own."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# nnspec's disk caches (and anything else kept under XDG_CACHE_HOME) live in a folder of this
# run's own, made empty: no entry of an earlier run or another checkout can answer a test, and
# the tests write nothing into the user's caches. Set before any test imports nnspec.
_CACHES = tempfile.mkdtemp(prefix="nnspec-test-caches-")
os.environ["NNSPEC_CACHE_DIR"] = os.path.join(_CACHES, "nnspec")
os.environ["XDG_CACHE_HOME"] = _CACHES


# golden files are data (generated source under review), not modules to collect doctests from
collect_ignore_glob = ["golden/*", "golden/*/*"]


def pytest_unconfigure(config):
    shutil.rmtree(_CACHES, ignore_errors=True)


@pytest.fixture(scope="session")
def shapes_run(tmp_path_factory):
    """A small CNN trained on a generated folder of crosses, rings and squares:
    ``{"spec": path, "data": folder, "files": {class: [(path, box)...]}, "weights": best.pt}``."""
    import torch
    from shape_images import SPEC, write_folder

    import nnspec
    from nnspec.train.loop import fit

    root = tmp_path_factory.mktemp("shapes")
    files = write_folder(root / "data", per_class=60, seed=0)
    spec = root / "shapes.nn"
    spec.write_text(SPEC)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        fit(nnspec.load(str(spec)), None, {}, {"data": f"images:{root / 'data'}", "epochs": 20, "lr": 0.003,
                                              "batch_size": 16, "val_split": 0.2, "seed": 0}, str(root / "run"),
            live=False)
    finally:
        torch.set_num_threads(threads)
    return {"spec": str(spec), "data": root / "data", "files": files, "weights": str(root / "run" / "best.pt"),
            "root": root}


@pytest.fixture(scope="session")
def sentiment_run(tmp_path_factory):
    """specs/sentiment_lstm.nn, made small, trained on the toy reviews:
    ``{"spec": path, "params": {...}, "weights": best.pt}``."""
    import os

    import torch

    import nnspec
    from nnspec.train.loop import fit

    spec = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "specs", "sentiment_lstm.nn")
    out = tmp_path_factory.mktemp("sentiment")
    params = {"vocab": 60, "dim": 16, "hidden": 16}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        fit(nnspec.load(spec), None, params, {"data": "sentiment_toy?n=600", "epochs": 3, "lr": 0.02,
                                              "batch_size": 32, "seed": 0}, str(out), live=False)
    finally:
        torch.set_num_threads(threads)
    return {"spec": spec, "params": params, "weights": str(out / "best.pt")}


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models train fastest, and reproducibly, on one thread."""
    import torch  # here: most test modules never import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
