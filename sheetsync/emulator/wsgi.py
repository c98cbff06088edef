"""HTTP layer: requests in, the emulator's answers (and injected faults) out."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Request, Response

from . import answers, pages
from .answers import Answer
from .catalogue import SITES
from .emulator import ENDPOINTS, Emulator
from .progress import PUBLISHED, placement_state

API_PREFIX = "/api/v1/"
log = logging.getLogger("sheetsync.emulator")


class _Dropped(Exception):
    """The connection was closed on purpose; there is nothing to answer."""


def _json(answer: Answer) -> Response:
    response = Response(json.dumps(answer.body), status=answer.status, mimetype="application/json")
    for key, value in answer.headers.items():
        response.headers[key] = value
    return response


def _fields(request: Request) -> dict[str, object] | None:
    """Query string merged with the body (JSON or form); None when the body is not JSON."""
    fields: dict[str, object] = {key: request.args.get(key) for key in request.args}
    if request.method != "POST":
        return fields
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields.update({key: request.form.get(key) for key in request.form})
        return fields
    raw = request.get_data(cache=True)
    if raw.strip():
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        fields.update(body)
    return fields


class EmulatorApp:
    """The WSGI application serving the API under /api/v1/ and result pages under /sites/."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except _Dropped:
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return [b""]
        except Exception:
            log.exception("emulator failed on %s %s", request.method, request.path)
            response = _json(answers.server_error())
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        domain = pages.domain_of_host(request.host) if self.emulator.pages.hosts else None
        if domain is not None:
            return self.site_request(request, domain, path)
        if path == "/robots.txt":
            return self.site_request(request, None, path)
        if path.startswith(API_PREFIX):
            endpoint = path[len(API_PREFIX):].strip("/")
            started = time.perf_counter()
            response = self.api(request, endpoint)
            report = self.emulator.on_request
            if report is not None:
                # The path only: the token travels in the query string or the body.
                report(request.method, endpoint, response.status_code, (time.perf_counter() - started) * 1000)
            return response
        if path.startswith("/sites/"):
            return self.site_request(request, None, path)
        if path in ("/", "/api/v1"):
            return Response(
                "BacklinkBase emulator. The API is under /api/v1/.\n", mimetype="text/plain"
            )
        return _json(answers.no_route(path))

    def api(self, request: Request, endpoint: str) -> Response:
        emu = self.emulator
        emu.record(request.method, endpoint)
        methods = ENDPOINTS.get(endpoint)
        if methods is None:
            return _json(answers.no_route(request.path))
        if request.method not in methods:
            return _json(answers.wrong_method(request.method, ", ".join(methods)))

        fault = emu.faults.take(endpoint)
        if fault is not None and not fault.after_commit and fault.kind in ("500", "html", "429"):
            return self.fault_response(fault.kind, fault.status)

        try:
            fields = _fields(request)
        except BadRequest:
            fields = None
        if fields is None:
            answer = emu.invalid({"body": ["The request body must be a JSON object."]})
        else:
            answer = emu.handle(
                endpoint, fields, client=request.remote_addr or "-", root_url=request.host_url
            )

        if fault is not None:
            if fault.kind == "hang":
                # Processed already; the answer arrives after the client stopped waiting.
                emu.faults.stopping.wait(fault.seconds)
            elif fault.kind == "reset_after_commit":
                self.drop(request)
            elif fault.kind in ("500", "html"):
                return self.fault_response(fault.kind, fault.status)
        return _json(answer)

    def fault_response(self, kind: str, status: int | None) -> Response:
        if kind == "429":
            return _json(answers.rate_limited(self.emulator.retry_after))
        if kind == "html":
            code = status or 502
            return Response(answers.GATEWAY_PAGE.format(status=code), status=code, mimetype="text/html")
        answer = answers.server_error()
        answer.status = status or 500
        return _json(answer)

    def drop(self, request: Request) -> None:
        """Close the client's connection without answering."""
        sock = request.environ.get("werkzeug.socket")
        if sock is None:
            raise RuntimeError("this server cannot drop connections")
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Dropped()

    def site_request(self, request: Request, domain: str | None, path: str) -> Response:
        """A result page or robots.txt, with the injected latency, counted per host."""
        settings = self.emulator.pages
        host = request.host.lower()
        settings.enter(host, str(request.environ.get("REMOTE_PORT", "")))
        try:
            settings.wait()
            if path == "/robots.txt":
                return Response(self.robots(domain), mimetype="text/plain")
            if domain is not None:
                return self.result_page(domain, path.strip("/"), request.url)
            parts = [p for p in path.split("/") if p]
            if len(parts) != 3:
                return Response(pages.missing_page(), status=404, mimetype="text/html")
            return self.result_page(parts[1], parts[2], request.url)
        finally:
            settings.leave(host)

    def robots(self, domain: str | None) -> str:
        emu = self.emulator
        blocked: list[str] = []
        for site in SITES if emu.pages.variety else ():
            if domain is not None and site.url != domain:
                continue
            prefix = "/" if domain is not None else f"/sites/{site.url}/"
            for task, placement in emu.store.placements_of_site(site.id):
                if pages.variant(emu.seed, task.id, site.id, emu.pages.force) == pages.ROBOTS:
                    blocked.append(prefix + placement.slug)
        return pages.robots_txt(blocked, "")

    def result_page(self, domain: str, slug: str, url: str) -> Response:
        site = next((s for s in SITES if s.url == domain), None)
        found = self.emulator.store.find_placement(site.id, slug) if site else None
        if site is None or found is None:
            return Response(pages.missing_page(), status=404, mimetype="text/html")
        task, placement = found
        now = self.emulator.now()
        state = placement_state(placement.plan, now, task.cancelled_at)
        if state.status != PUBLISHED or state.completed_at is None:
            return Response(pages.missing_page(), status=404, mimetype="text/html")
        emu = self.emulator
        page = pages.render(
            emu.seed, task, placement, site, url, now, state.completed_at, emu.pages.force,
            emu.pages.variety,
        )  # fmt: skip
        response = Response(page.body, status=page.status, mimetype="text/html")
        for key, value in page.headers:
            response.headers[key] = value
        return response
