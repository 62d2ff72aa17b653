"""`nnspec view`: the server as a browser meets it (HTTP on 127.0.0.1: the page, its content as
JSON, the file's version), following the file as it changes; and, where Chromium is
installed, the page itself drawn by a headless browser."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import CHROMIUM, Browser

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


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_a_browser_draws_the_page_and_follows_clicks_and_saves(served, tmp_path):
    spec, url, _ = served
    browser = Browser()
    try:
        browser.go(url)
        browser.wait('document.querySelector("#diagram svg") !== null')
        titles = 'Array.from(document.querySelectorAll("#diagram g > title"), t => t.textContent)'
        assert "run:body..more" in browser.js(titles)
        assert browser.js('document.getElementById("status").textContent').startswith("ok · 2,596 parameters")
        assert browser.js('Array.from(document.querySelectorAll("#summary tbody tr"), r => r.innerText)')[-1] == \
            "head\tdense 4\t[4]\t36\t32"
        # pointing at a box shows what it is
        node = '(id => Array.from(document.querySelectorAll("#diagram g.node")).find(g => g.querySelector("title").textContent === id))'
        browser.js(f'{node}("stem").dispatchEvent(new MouseEvent("mouseenter"))')
        assert browser.js('document.getElementById("info").innerText').split("\n") == [
            "module", "stem", "layer", "conv 8 3×3", "shape", "[8, 16, 16]", "params", "224", "MACs", "55.3K",
            "line", "tiny.nn:8", "spec", "stem: conv(8, 3, padding=1)"]
        # a click on the run of two blocks draws them in full; a click on a frame folds them again
        browser.js(f'{node}("run:body..more").dispatchEvent(new MouseEvent("click", {{bubbles: true}}))')
        browser.wait(f'{titles}.includes("cluster_body")')
        assert "run:body..more" not in browser.js(titles)
        assert browser.js("location.hash") == "#expand=body"
        browser.screenshot(tmp_path / "expanded.png")
        frame = '(Array.from(document.querySelectorAll("#diagram g.cluster")).find(g => g.querySelector("title").textContent === "cluster_body"))'
        browser.js(f'{frame}.dispatchEvent(new MouseEvent("click", {{bubbles: true}}))')
        browser.wait(f'{titles}.includes("run:body..more")')
        # a save with an error: the page says so and keeps the last diagram, faded
        spec.write_text(SPEC.replace("head: dense(classes)", "head: dence(classes)"))
        browser.wait('document.getElementById("status").textContent === "1 error"')
        assert "unknown layer or block `dence`" in browser.js('document.getElementById("errors").innerText')
        assert browser.js('document.getElementById("diagram").className') == "stale"
        spec.write_text(SPEC.replace("dense(classes)", "dense(2 * classes)"))
        browser.wait('document.getElementById("status").textContent.startsWith("ok · 2,632 parameters")')
        browser.screenshot(tmp_path / "view.png")
    finally:
        browser.close()
    for shot in ("expanded.png", "view.png"):
        data = (tmp_path / shot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
