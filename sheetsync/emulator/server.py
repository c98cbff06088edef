"""Serving the emulator over a real socket from a background thread."""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ..redact import redact
from .wsgi import EmulatorApp

if TYPE_CHECKING:
    from .emulator import Emulator

log = logging.getLogger("sheetsync.emulator")


class _QuietHandler(WSGIRequestHandler):
    """Logs method, path and status only: the query string carries the API token."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A request line too broken to parse leaves no path or command behind.
        path = str(getattr(self, "path", "") or "").split("?", 1)[0]
        log.debug("%s %s %s", getattr(self, "command", None) or "-", path or "-", code)

    def log(self, type: str, message: str, *args: Any) -> None:
        text = redact(message % args if args else message)
        log.log(logging.ERROR if type == "error" else logging.DEBUG, "%s", text)


class ServerHandle:
    """A running emulator server; a context manager that stops it on exit."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0):
        self.emulator = emulator
        # Bind here rather than in werkzeug, which prints and exits the process when a port is
        # busy; a library must raise OSError instead.
        listener = socket.create_server((host, port), reuse_port=False)
        try:
            self._server: BaseWSGIServer = make_server(
                host, port, EmulatorApp(emulator), threaded=True,
                request_handler=_QuietHandler, fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves from its own duplicate of the descriptor
        self.host = host
        self.port = int(self._server.server_address[1])
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.root_url = f"http://{shown}:{self.port}/"
        self.base_url = f"{self.root_url}api/v1/"
        self._thread = threading.Thread(
            # A short poll interval makes shutdown quick, which keeps test suites fast.
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
            name="backlinkbase-emulator", daemon=True,
        )
        self._thread.start()
        emulator.root_url = self.root_url

    def close(self) -> None:
        """Stop serving, end hanging answers, and release the port."""
        self.emulator.faults.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.emulator.faults.stopping.clear()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ServerHandle({self.base_url})"
