"""A small JSON-over-HTTP client on the standard library, with one-line errors.

Every failure becomes a `DestinationError` noun naming the address: nothing answers
(`DestinationUnreachable`), no answer in time (`DestinationTimeout`), or an error status
(`DestinationRequestError`, whose message is the last line of the server's answer: Ray's
dashboard answers with a whole traceback).
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import IO, Any

from jobpack.errors import (
    DestinationRequestError,
    DestinationTimeout,
    DestinationUnreachable,
    JobNotFound,
)

_MAX_DETAIL = 300
MAX_ANSWER = 64 << 20  # Ray's answers are small JSON; job logs are the biggest
CHUNK = 1 << 16


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self, address: str) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise DestinationRequestError(
                f"the answer is not JSON ({_detail(self.body)!r}); is this a Ray dashboard "
                "address (usually port 8265)?", path=address, status=self.status) from None


@dataclass(frozen=True)
class HttpClient:
    address: str  # scheme://host:port, no trailing slash
    timeout: float = 30.0

    @classmethod
    def for_address(cls, address: str, timeout: float = 30.0) -> HttpClient:
        parsed = urllib.parse.urlsplit(address if "://" in address else f"http://{address}")
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise DestinationUnreachable(
                "not an http(s)://HOST:PORT address", path=address)
        return cls(f"{parsed.scheme}://{parsed.netloc}{parsed.path.rstrip('/')}", timeout)

    def request(self, method: str, path: str, *, data: bytes | None = None,
                payload: object = None, accept: tuple[int, ...] = (),
                timeout: float | None = None) -> Answer:
        """Send one request; statuses in `accept` come back as answers, not errors."""
        headers = {}
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            headers["Content-Type"] = "application/octet-stream"
        request = urllib.request.Request(
            self.address + path, data=data, method=method, headers=headers)
        limit = timeout or self.timeout
        try:
            with urllib.request.urlopen(request, timeout=limit) as answer:
                return Answer(answer.status, self._read_capped(answer, method, path, limit))
        except urllib.error.HTTPError as exc:
            body = _read(exc)
            if exc.code in accept:
                return Answer(exc.code, body)
            raise self._status_error(method, path, exc.code, body) from None
        except urllib.error.URLError as exc:
            raise self._connection_error(exc.reason, timeout) from None
        except (OSError, http.client.HTTPException) as exc:
            raise self._connection_error(exc, timeout) from None

    def _read_capped(self, answer: IO[bytes], method: str, path: str, limit: float) -> bytes:
        """The answer's body, refused beyond MAX_ANSWER bytes or, trickled slowly, beyond
        `limit` seconds in all (the socket timeout alone bounds each read, not the sum)."""
        deadline = time.monotonic() + limit
        chunks, size = [], 0
        while chunk := answer.read(CHUNK):
            size += len(chunk)
            if size > MAX_ANSWER:
                raise DestinationRequestError(
                    f"{method} {path}: the answer is larger than {MAX_ANSWER >> 20} MiB; "
                    "is this a Ray dashboard address?", path=self.address)
            if time.monotonic() > deadline:
                raise DestinationTimeout(f"the answer took longer than {limit:g} s",
                                         path=self.address)
            chunks.append(chunk)
        return b"".join(chunks)

    def _status_error(self, method: str, path: str, status: int, body: bytes
                      ) -> DestinationRequestError:
        noun = JobNotFound if status == 404 and path.startswith("/api/jobs/") else \
            DestinationRequestError
        message = f"{method} {path} answered {status}"
        detail = _detail(body)
        return noun(f"{message}: {detail}" if detail else message, path=self.address,
                    status=status)

    def _connection_error(self, reason: object, timeout: float | None
                          ) -> DestinationTimeout | DestinationUnreachable:
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return DestinationTimeout(
                f"no answer within {timeout or self.timeout:g} s", path=self.address)
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return DestinationUnreachable(f"cannot reach it ({text})", path=self.address)


def _read(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read(MAX_ANSWER)
    except (OSError, http.client.HTTPException):
        return b""


def _detail(body: bytes) -> str:
    """The last non-empty line of an answer: the error itself, below any traceback."""
    lines = [line.strip() for line in body.decode("utf-8", "replace").splitlines()]
    last = next((line for line in reversed(lines) if line), "")
    return last if len(last) <= _MAX_DETAIL else last[: _MAX_DETAIL - 3] + "..."
