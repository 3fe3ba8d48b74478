"""A small HTTP proxy on 127.0.0.1 in front of a real server, for the faults a real server shows only under load or
at the worst moment: 429 with Retry-After, a server that is down. Test support, not a test module.

Everything else goes through to the server unchanged; the proxy records the Authorization headers it saw, so a
test can assert the key was sent (and so that it could have leaked).
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Proxy:
    """`Proxy(upstream)`, `upstream` the server's root URL (without /v1): `url` is the proxy's base URL (with /v1); set `too_many` (answer that many requests with
    429 and `Retry-After: 1`) or `down` (answer 503 to everything) at any time."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.too_many = 0
        self.down = False
        self.hidden: set[str] = set()
        self.seen: list[tuple[str, int]] = []  # (path, status) of every request, in order
        self.keys: set[str] = set()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _forward(self, body: bytes | None):
                proxy.keys.add(self.headers.get("Authorization", ""))
                with proxy._lock:
                    refuse = 404 if self.path in proxy.hidden else 503 if proxy.down else 429 if proxy.too_many > 0 else 0
                    proxy.too_many -= refuse == 429
                if refuse:
                    self._answer(refuse, b'{"error": {"message": "injected by the test proxy"}}',
                                 {"Retry-After": "1"} if refuse == 429 else {})
                    return
                upstream = urllib.request.Request(proxy.upstream + self.path, data=body,
                                                  method=self.command, headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(upstream, timeout=600) as response:
                        self._answer(response.status, response.read(), {})
                except urllib.error.HTTPError as error:
                    self._answer(error.code, error.read(), {})

            def _answer(self, status: int, payload: bytes, headers: dict):
                proxy.seen.append((self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._forward(None)

            def do_POST(self):
                self._forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
