"""A small web server of awkward pages, on a real socket, that records what it was sent."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MB = 1024 * 1024
LINK = "https://acme.com/product"
PAGE = f'<html><head><title>t</title></head><body><p>x</p><a href="{LINK}">Acme product</a></body></html>'

# A gzip bomb: 200 MB of zeros, about 200 KB on the wire.
_BOMB = gzip.compress(b"<html><body>" + b"\0" * (200 * MB), compresslevel=9)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "Server"

    def log_message(self, *args: object) -> None:
        return None

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.server.seen.append((self.path, dict(self.headers.items()), self.requestline))
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.answer(404, b"<html><body>not here</body></html>")
            return
        route(self)

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, dict[str, str], str]] = []
        self.stop = threading.Event()
        self.routes: dict[str, Callable[[Handler], None]] = {
            "/robots.txt": lambda h: h.answer(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}),
            "/ok": lambda h: h.answer(200, PAGE.encode()),
            "/private/page": lambda h: h.answer(200, PAGE.encode()),
            "/cookie": lambda h: h.answer(200, PAGE.encode(), {"Set-Cookie": "session=s3cr3t; Path=/"}),
            "/broken": lambda h: h.answer(200, f'<html><body><div><p>unclosed <a href="{LINK}">Acme<b></div></td></table>'.encode()),
            "/binary": lambda h: h.answer(200, bytes(range(256)) * 100, {"Content-Type": "image/png"}),
            "/latin1": lambda h: h.answer(200, f'<html><body><a href="{LINK}">Caf\xe9 Acme</a></body></html>'.encode("latin-1"),
                                          {"Content-Type": "text/html"}),
            "/wrong-charset": lambda h: h.answer(200, f'<html><body><a href="{LINK}">\xe9t\xe9</a></body></html>'.encode("latin-1"),
                                                 {"Content-Type": "text/html; charset=klingon"}),
            "/nul": lambda h: h.answer(200, b"<html>\0\0<body>\0" + f'<a href="{LINK}">x</a>'.encode() + b"\0</body></html>"),
            "/empty": lambda h: h.answer(200, b""),
            "/loop-a": lambda h: h.answer(302, b"", {"Location": "/loop-b"}),
            "/loop-b": lambda h: h.answer(302, b"", {"Location": "/loop-a"}),
            "/forbidden": lambda h: h.answer(403, b"no robots"),
            "/down": lambda h: h.answer(503, b"maintenance"),
            "/huge": self.huge,
            "/bomb": lambda h: h.answer(200, _BOMB, {"Content-Encoding": "gzip"}),
            "/drip": self.drip,
            "/to-ftp": lambda h: h.answer(301, b"", {"Location": "ftp://files.example/x"}),
        }
        for n in range(8):
            self.routes[f"/hop{n}"] = (lambda n: lambda h: h.answer(302, b"", {"Location": f"/hop{n + 1}"}))(n)

    def huge(self, h: Handler) -> None:
        """20 MB of HTML without the link, sent as fast as the client reads."""
        size = 20 * MB
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        chunk = b"<p>filler filler filler</p>\n" * 2048
        sent = 0
        try:
            while sent < size:
                piece = chunk[: size - sent]
                h.wfile.write(piece)
                sent += len(piece)
        except OSError:
            pass  # the client stopped reading: what it should do
        self.huge_sent = sent

    def drip(self, h: Handler) -> None:
        """One byte every 0.2 s, forever: only a total deadline ends it."""
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(10 * MB))
        h.end_headers()
        try:
            while not self.stop.is_set():
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serving() -> Iterator[Server]:
    server = Server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
