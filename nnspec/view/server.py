"""The ``nnspec view`` web server: the standard library's, bound to 127.0.0.1 only.

Routes: ``/`` the page; ``/version`` what changes when the file does (the page asks twice a
second and reloads its content when it changes); ``/state?network=N&expand=a,b`` the page's
content as JSON (:func:`nnspec.view.state.state`). Nothing else is served, and nothing a
request says is executed or read from disk: the file is the one named on the command line.
"""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .state import state, version

PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "page.html")


class ViewServer(ThreadingHTTPServer):
    """Serves one spec file's page."""

    daemon_threads = True

    def __init__(self, path: str, port: int = 0):
        self.path = os.path.abspath(path)
        self.cache: dict[tuple, dict] = {}  # (version, network, expand) -> state, the latest few
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def state(self, network: str | None, expand: tuple[str, ...]) -> dict:
        key = (version(self.path), network, expand)
        if key not in self.cache:
            if len(self.cache) > 16:
                self.cache.clear()
            self.cache[key] = state(self.path, network, list(expand))
        return self.cache[key]


class _Handler(BaseHTTPRequestHandler):
    server: ViewServer

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/":
            with open(PAGE, "rb") as fh:
                self._send(200, "text/html; charset=utf-8", fh.read())
        elif url.path == "/version":
            self._send(200, "text/plain; charset=utf-8", version(self.server.path).encode())
        elif url.path == "/state":
            network = (query.get("network") or [None])[0] or None
            expand = tuple(e for e in ",".join(query.get("expand", [])).split(",") if e)
            body = json.dumps(self.server.state(network, expand)).encode()
            self._send(200, "application/json", body)
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # the terminal shows the address, not every request
        pass
