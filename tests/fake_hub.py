"""A stand-in for the Hub's HTTP API on 127.0.0.1: just what `HfApi.upload_file`, `upload_folder` and `create_repo`
call, recording each commit; `status` makes it refuse everything, `refuse_repo` one repo (a push failing half way)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeHub:
    def __init__(self, status: int | None = None) -> None:
        self.status = status  # every API request answered with this status when set (401, 500, ...)
        self.refuse_repo: str | None = None  # commits to this repo ("datasets/org/name") get 403 while set
        self.commits: list[dict] = []
        self.files: dict[tuple[str, str], bytes] = {}  # (repo, path) → the bytes last committed there
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hub.requests.append(f"POST {self.path}")
                if hub.status:
                    return self._answer(hub.status, {"error": f"fake Hub says {hub.status}"})
                if self.path.startswith("/api/repos/create"):
                    request = json.loads(body)
                    kind = {"dataset": "datasets/", "space": "spaces/"}.get(request.get("type"), "")
                    return self._answer(200, {"url": f"{hub.url}/{kind}{request.get('organization')}/{request.get('name')}"})
                if self.path.startswith("/api/validate-yaml"):  # a dataset card's YAML header, checked before commit
                    return self._answer(200, {"errors": [], "warnings": []})
                if "/preupload/" in self.path:
                    files = json.loads(body)["files"]
                    return self._answer(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                                        for f in files]})
                if "/commit/" in self.path:
                    repo = self.path.split("/commit/")[0].removeprefix("/api/")
                    if repo == hub.refuse_repo:
                        return self._answer(403, {"error": f"fake Hub: no write access to {repo}"})
                    lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
                    paths = sorted(line["value"]["path"] for line in lines if line.get("key") == "file")
                    for line in lines:
                        if line.get("key") == "file":
                            hub.files[(repo, line["value"]["path"])] = base64.b64decode(line["value"]["content"])
                    pr = "create_pr=1" in self.path or "create_pr=True" in self.path
                    hub.commits.append({"repo": repo, "paths": paths, "pr": pr})
                    number = len(hub.commits)
                    return self._answer(200, {"commitUrl": f"{hub.url}/{repo}/commit/{number:040x}",
                                              "commitOid": f"{number:040x}",
                                              **({"pullRequestUrl": f"{hub.url}/{repo}/discussions/{number}"} if pr else {})})
                return self._answer(404, {"error": f"fake Hub: no route {self.path}"})

            def do_GET(self) -> None:  # noqa: N802
                hub.requests.append(f"GET {self.path}")
                return self._answer(hub.status or 404, {"error": "fake Hub: no route"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
