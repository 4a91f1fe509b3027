"""A small stand-in for a Ray dashboard's job API, on 127.0.0.1 only, for error paths.

It keeps packages and jobs in memory and records every request. A test can script answers
(`fail`: 'METHOD path' or path -> (status, body)), delay them (`delay`), or script a job's life (`script`:
a list of (status, logs) the job goes through, one step per status query).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeRay:
    address: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)
    packages: dict[str, bytes] = field(default_factory=dict)
    submitted: list[dict[str, Any]] = field(default_factory=list)
    fail: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    delay: float = 0.0
    script: list[tuple[str, str]] = field(default_factory=lambda: [("SUCCEEDED", "")])
    exit_code: int | None = None
    stopped: list[str] = field(default_factory=list)
    _step: int = 0

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        self.requests.append((method, path))
        if self.delay:
            time.sleep(self.delay)
        for key in (f"{method} {path}", path):
            if key in self.fail:
                return self.fail[key]
        if path == "/api/version":
            return 200, json.dumps({"version": "2", "ray_version": "9.9.9"}).encode()
        if path.startswith("/api/packages/gcs/"):
            return self._package(method, path.rsplit("/", 1)[1], body)
        if method == "POST" and path == "/api/jobs/":
            self.submitted.append(json.loads(body))
            job_id = f"raysubmit_{len(self.submitted)}"
            return 200, json.dumps({"job_id": job_id, "submission_id": job_id}).encode()
        return self._job(method, path)

    def _package(self, method: str, name: str, body: bytes) -> tuple[int, bytes]:
        if method == "PUT":
            self.packages[name] = body
            return 200, b""
        return (200, b"") if name in self.packages else (404, b"Package does not exist")

    def _job(self, method: str, path: str) -> tuple[int, bytes]:
        parts = path.strip("/").split("/")  # api jobs ID [logs|stop]
        if len(parts) < 3 or parts[2] != "raysubmit_1":
            return 404, f"Job {parts[-1]} does not exist".encode()
        state, logs = self.script[min(self._step, len(self.script) - 1)]
        if parts[3:] == ["logs"]:
            return 200, json.dumps({"logs": logs}).encode()
        if parts[3:] == ["stop"] and method == "POST":
            self.stopped.append(parts[2])
            self.script = [("STOPPED", logs)]
            self._step = 0
            return 200, json.dumps({"stopped": state not in {"SUCCEEDED", "FAILED"}}).encode()
        self._step += 1
        details = {"status": state, "message": f"job is {state.lower()}\nsecond line",
                   "driver_exit_code": self.exit_code, "submission_id": parts[2]}
        return 200, json.dumps(details).encode()


@contextmanager
def serve(fake: FakeRay) -> Iterator[FakeRay]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body = fake.answer(self.command, self.path, self.rfile.read(length))
            with suppress(OSError):  # the client may have given up (timeout tests)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        do_GET = do_PUT = do_POST = _reply

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.address = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
