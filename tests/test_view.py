"""`nnspec view`: the server as a browser meets it (HTTP on 127.0.0.1: the page, its content as
JSON, the file's version), following the file as it changes; and, where Chromium is
installed, the page itself drawn by a headless browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import nnspec

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
block Pair(width) {
  conv(width, 3, padding=1) -> relu
  conv(width, 3, padding=1) -> relu
}

network Tiny(classes = 4) {
  input image: [3, 16, 16]
  stem: conv(8, 3, padding=1)
  body: Pair(8)
  more: Pair(8)
  globalavgpool
  head: dense(classes)
}
"""


@pytest.fixture
def served(tmp_path):
    """A spec file and the address of `nnspec view` serving it."""
    spec = tmp_path / "tiny.nn"
    spec.write_text(SPEC)
    proc = subprocess.Popen([sys.executable, "-m", "nnspec", "view", str(spec), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"nnspec view: {spec} at http://127.0.0.1:"), line + proc.stderr.read()
        yield spec, line.split(" at ")[1].split()[0], proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def state(url: str, **query) -> dict:
    from urllib.parse import urlencode

    status, kind, body = get(url + "state" + ("?" + urlencode(query) if query else ""))
    assert (status, kind) == (200, "application/json")
    return json.loads(body)


def test_the_page_and_its_routes(served):
    _, url, _ = served
    status, kind, body = get(url)
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b'<div id="diagram">' in body and b'fetch("/state?"' in body
    assert get(url + "nothing")[0] == 404
    assert get(url + "../tiny.nn")[0] == 404  # no file is served but the page


def test_the_content_is_checks_summarys_and_diagrams(served):
    spec, url, _ = served
    s = state(url)
    assert (s["file"], s["networks"], s["network"], s["errors"], s["warnings"]) == (
        str(spec), ["Tiny"], "Tiny", [], [])
    assert s["svg"].startswith("<svg") and "<title>stem</title>" in s["svg"]
    assert s["items"]["stem"] == {"kind": "conv 8 3×3", "module": "stem", "shape": "[8, 16, 16]", "params": "224",
                                  "macs": "55.3K", "line": {"where": "tiny.nn:8", "source": "stem: conv(8, 3, padding=1)"}}
    # two equal block instances in a row: one box marked ×2, expanded by a click
    run = s["items"]["run:body..more"]
    assert (run["kind"], run["module"], run["params"], run["expand"]) == ("Pair(8) ×2", "body … more", "2,336", "body")
    summary = nnspec.load(str(spec)).summary()
    assert [(r["name"], r["shape"], r["params"]) for r in s["summary"]["rows"]] == [
        (r.name, "" if r.shape is None else "[" + ", ".join(map(str, r.shape)) + "]", r.params) for r in summary.rows]
    assert (s["summary"]["params"], s["summary"]["macs"]) == ("2,596", "647K")  # as `nnspec check` says


def test_a_click_expands_and_collapses(served):
    _, url, _ = served
    s = state(url, expand="body")
    assert "run:body..more" not in s["items"]
    assert "<title>cluster_body</title>" in s["svg"]
    assert s["items"]["cluster_body"]["collapse"] == ["body"]  # its frame undoes the expansion
    assert "collapse" not in s["items"].get("cluster_more", {})
    s = state(url, expand="nothing")
    assert s["svg"] is None and s["errors"][0].startswith("error: nothing to expand named `nothing`")


def test_it_follows_the_file(served):
    spec, url, _ = served
    before = get(url + "version")[2]
    time.sleep(0.01)
    spec.write_text(SPEC.replace("head: dense(classes)", "head: dence(classes)"))
    after = get(url + "version")[2]
    assert after != before
    s = state(url)
    assert s["version"] == after.decode()
    assert s["errors"] == [
        f"{spec}:12:9: error: unknown layer or block `dence`\n    head: dence(classes)\n          ^~~~~\n"
        "hint: did you mean `dense`?"]
    assert (s["svg"], s["summary"]) == (None, None)
    spec.unlink()
    assert get(url + "version")[2] == b"missing"
    assert state(url)["errors"] == [f"error: {spec}: no such file"]


def test_it_listens_on_loopback_only_and_never_imports_torch(served):
    _, url, proc = served
    assert url.startswith("http://127.0.0.1:")
    assert state(url)["svg"] is not None
    maps = Path(f"/proc/{proc.pid}/maps")
    if maps.exists():
        assert "libtorch" not in maps.read_text()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_a_browser_draws_the_page(served, tmp_path):
    _, url, _ = served
    profile = tempfile.mkdtemp(dir=tmp_path)
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", f"--user-data-dir={profile}", "--window-size=1400,900", "--virtual-time-budget=8000"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    # the script ran: the diagram, the status and the summary table are in the page
    assert '<svg width="' in dom and "<title>stem</title>" in dom
    assert "ok · 2,596 parameters" in dom
    assert "<td>head</td><td>dense 4</td><td>[4]</td>" in dom
    # the address's fragment keeps the view: here, the run of two blocks drawn in full
    expanded = subprocess.run([*flags, "--dump-dom", url + "#expand=body"], capture_output=True, text=True,
                              timeout=120).stdout
    assert "<title>cluster_body</title>" in expanded and "<title>run:body..more</title>" not in expanded
    assert "<title>run:body..more</title>" in dom
    shot = tmp_path / "view.png"
    subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
