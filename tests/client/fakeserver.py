"""A tiny scripted HTTP server on a real socket, for the client's transport-level tests.

Each answer is scripted per endpoint path; what cannot be scripted in a WSGI app (a hang, a
connection reset after the request was read) is done on the raw socket here.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/api/v1/"


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hang:
    """Read the request, then say nothing until the server stops (the client times out)."""


@dataclass
class Reset:
    """Read the request, then drop the connection with a TCP reset and no answer."""


@dataclass
class Trickle:
    """Answer 200 with `body`, headers included, one byte every `interval` seconds."""

    body: bytes = b'{"success": true, "credits": 5}'
    interval: float = 0.25


@dataclass
class Endless:
    """Answer 200 with a JSON body that grows, without Content-Length, up to `limit` bytes."""

    limit: int


@dataclass
class Seen:
    method: str
    endpoint: str
    query: dict[str, str]
    json: Any
    raw_path: str


class FakeApi:
    """Scripted answers per endpoint (`script`), falling back to `default`; records requests."""

    def __init__(self) -> None:
        self.scripts: dict[str, deque[Any]] = defaultdict(deque)
        self.defaults: dict[str, Any] = {}
        self.seen: list[Seen] = []
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    def script(self, endpoint: str, *answers: Any) -> None:
        self.scripts[endpoint].extend(answers)

    def default(self, endpoint: str, answer: Any) -> None:
        self.defaults[endpoint] = answer

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PREFIX}"

    def __enter__(self) -> FakeApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                endpoint = parts.path[len(PREFIX):] if parts.path.startswith(PREFIX) else parts.path
                api.seen.append(Seen(
                    self.command, endpoint,
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    json.loads(raw) if raw else None, self.path,
                ))
                queue = api.scripts.get(endpoint)
                answer = queue.popleft() if queue else api.defaults.get(endpoint, Reply(404, {"success": False, "message": "Not found"}))
                if isinstance(answer, Hang):
                    api._release.wait(10)
                    self.close_connection = True
                    return
                if isinstance(answer, Trickle):
                    head = (
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(answer.body)}\r\n\r\n"
                    ).encode() + answer.body
                    for i in range(len(head)):
                        if api._release.wait(answer.interval):
                            break
                        try:
                            self.wfile.write(head[i : i + 1])
                            self.wfile.flush()
                        except OSError:
                            break
                    self.close_connection = True
                    return
                if isinstance(answer, Endless):
                    self.wfile.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                        b'{"success": true, "message": ['
                    )
                    sent, chunk = 0, b'"padding", ' * 6000
                    try:
                        while sent < answer.limit and not api._release.is_set():
                            self.wfile.write(chunk)
                            sent += len(chunk)
                        self.wfile.write(b'"end"]}')
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if isinstance(answer, Reset):
                    # SO_LINGER 0: close() sends RST, like a crashed proxy after the commit.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                data = answer.body if answer.body is not None else json.dumps(answer.json).encode()
                self.send_response(answer.status)
                ctype = "application/json" if answer.body is None else "text/html; charset=utf-8"
                self.send_header("Content-Type", answer.headers.get("Content-Type", ctype))
                for name, value in answer.headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._release.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def refused_base_url() -> str:
    """A base URL on a local port nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{PREFIX}"
