"""A small LSP client for the tests: it starts ``python -m nnspec lsp`` and speaks to it as an
editor does, JSON-RPC framed by ``Content-Length`` headers over the process's stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ServerError(Exception):
    """The server answered a request with an error."""

    def __init__(self, error: dict):
        super().__init__(error.get("message"))
        self.error = error


class Client:
    """One server process; ``request`` waits for the answer, ``notify`` does not,
    ``diagnostics`` waits for what the server publishes."""

    def __init__(self, root: Path = ROOT, capabilities: dict | None = None):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "nnspec", "lsp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, cwd=ROOT, env=dict(os.environ))
        self.next_id = 0
        self.answers: dict[int, dict] = {}
        self.notifications: list[dict] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.initialized = self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "capabilities": capabilities or {"textDocument": {"hover": {"contentFormat": ["markdown"]}}}})
        self.notify("initialized", {})
        self.versions: dict[str, int] = {}

    # -- the wire ---------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            message = json.loads(out.read(length))
            with self.changed:
                if "id" in message and "method" not in message:
                    self.answers[message["id"]] = message
                elif "method" in message:
                    if "id" in message:  # a request of the server's (capabilities): accept it
                        self._send({"id": message["id"], "result": None})
                    self.notifications.append(message)
                self.changed.notify_all()

    def request(self, method: str, params: dict, timeout: float = 30):
        self.next_id += 1
        rid = self.next_id
        self._send({"id": rid, "method": method, "params": params})
        with self.changed:
            if not self.changed.wait_for(lambda: rid in self.answers, timeout):
                raise TimeoutError(f"no answer to {method} in {timeout} s; server said: {self.log()}")
            answer = self.answers.pop(rid)
        if "error" in answer:
            raise ServerError(answer["error"])
        return answer["result"]

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    def log(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    # -- documents ----------------------------------------------------------------------
    def open(self, path: Path, text: str | None = None) -> str:
        uri = Path(path).resolve().as_uri()
        self.versions[uri] = 1
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "nnspec", "version": 1,
            "text": Path(path).read_text() if text is None else text}})
        return uri

    def change(self, uri: str, text: str) -> int:
        """Replace the whole text; the new version."""
        self.versions[uri] += 1
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                               "contentChanges": [{"text": text}]})
        return self.versions[uri]

    def edit(self, uri: str, line: int, col: int, end_line: int, end_col: int, text: str) -> int:
        """Replace a range (0-based) by ``text``; the new version."""
        self.versions[uri] += 1
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": self.versions[uri]},
            "contentChanges": [{"range": {"start": {"line": line, "character": col},
                                          "end": {"line": end_line, "character": end_col}}, "text": text}]})
        return self.versions[uri]

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = 30) -> list[dict]:
        """The diagnostics published for ``uri`` (at ``version``, by default the latest sent)."""
        version = self.versions[uri] if version is None else version

        def found():
            return next((m["params"]["diagnostics"] for m in reversed(self.notifications)
                         if m["method"] == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
                         and m["params"].get("version") == version), None)

        with self.changed:
            if not self.changed.wait_for(lambda: found() is not None, timeout):
                raise TimeoutError(f"no diagnostics for version {version} in {timeout} s; server said: {self.log()}")
            return found()

    def published(self, uri: str) -> list[dict]:
        """Every publishDiagnostics for ``uri`` so far, in order."""
        with self.changed:
            return [m["params"] for m in self.notifications
                    if m["method"] == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]

    def at(self, uri: str, line: int, character: int) -> dict:
        return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except (TimeoutError, BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            self.stderr.close()


def wait_until(condition, timeout: float = 10) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
