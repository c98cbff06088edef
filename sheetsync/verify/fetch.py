"""Fetching result pages politely and safely, many hosts at once.

One request at a time per host with a pause in between, at most `concurrency` at once over
all hosts, connect and total deadlines, at most `max_bytes` read (after decompression), no
cookies, and no request to a loopback, private or link-local address unless allowed. A
worker takes the host that may be asked soonest, so a host's pause never idles a worker
while another host has work; memory stays flat however many pages are fetched.
"""

from __future__ import annotations

import asyncio
import heapq
import ipaddress
import socket
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from .. import __version__
from .urls import is_web_url, origin, resolve, same_site

USER_AGENT = f"sheetsync/{__version__} link checker (checks placements its user paid for)"
MB = 1024 * 1024


@dataclass(frozen=True)
class Policy:
    """How the checker behaves on the network."""

    concurrency: int = 8
    pause: float = 0.2  # seconds between two requests to one host
    connect_timeout: float = 10.0
    total_timeout: float = 30.0  # per page, redirects and body included
    max_bytes: int = 5 * MB
    max_redirects: int = 5
    #: Addresses a result URL may resolve to besides public ones: "none", "loopback"
    #: (the API itself is on loopback: the emulator) or "all" (--allow-private).
    private: str = "none"
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Fetched:
    """What fetching one URL gave: the final answer, or why there is none."""

    url: str
    final_url: str = ""
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()  # (lower-case name, value), repeats kept
    body: bytes = b""
    truncated: bool = False
    redirects: tuple[str, ...] = ()
    #: Why there is no answer (timeout, DNS, TLS, loop...): "" when there is one.
    error: str = ""
    #: Set when the checker refused to ask (scheme, private address): "" otherwise.
    refused: str = ""
    #: The first redirect to another site, not followed.
    away: str = ""

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]


class Refused(OSError):
    """The checker will not connect to this address."""


def _refusal(ip: str, private: str) -> str:
    """Why `ip` may not be asked under `private`, or ""."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return f"{ip} is not an address"
    mapped = getattr(addr, "ipv4_mapped", None)
    if mapped is not None:
        addr = mapped
    if private == "all":
        return ""
    if addr.is_loopback:
        return "" if private == "loopback" else f"it resolves to the loopback address {ip}"
    if addr.is_link_local:
        return f"it resolves to the link-local address {ip}"
    if addr.is_private or addr.is_reserved or addr.is_multicast or addr.is_unspecified:
        return f"it resolves to the private address {ip}"
    return ""


class SafeResolver(AbstractResolver):
    """DNS that refuses private answers, and resolves `*.localhost` to loopback (RFC 6761)."""

    def __init__(self, private: str, overrides: Mapping[str, str] | None = None):
        self.private = private
        self.overrides = dict(overrides or {})

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        host = host.rstrip(".").lower()
        if host in self.overrides:
            addresses = [self.overrides[host]]
        elif host == "localhost" or host.endswith(".localhost"):
            addresses = ["127.0.0.1"]
        else:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for ip in addresses:
            why = _refusal(ip, self.private)
            if why:
                raise Refused(why)
        return [
            {
                "hostname": host, "host": ip, "port": port,
                "family": socket.AF_INET6 if ":" in ip else socket.AF_INET,
                "proto": 0, "flags": socket.AI_NUMERICHOST,
            }
            for ip in addresses
        ]  # fmt: skip

    async def close(self) -> None:
        return None


@dataclass(order=True)
class _Host:
    ready_at: float
    key: str = field(compare=False)
    items: list[tuple[Any, str]] = field(compare=False, default_factory=list)
    robots_done: bool = field(compare=False, default=False)


Robots = Callable[[str, Fetched | None], None]


class Fetcher:
    """Fetches many URLs under one `Policy`; `run` yields (item id, Fetched) as they finish."""

    def __init__(self, policy: Policy = Policy(), *, overrides: Mapping[str, str] | None = None):
        self.policy = policy
        self.overrides = dict(overrides or {})
        self.requests = 0
        self.max_per_host = 0
        self._active: dict[str, int] = {}

    async def run(
        self,
        items: Iterable[tuple[Any, str]],
        *,
        deadline: float | None = None,
        robots: Robots | None = None,
    ) -> AsyncIterator[tuple[Any, Fetched]]:
        """Fetch every (id, url); stop starting new ones at `deadline` (time.monotonic()).

        `robots(origin, fetched)` is called once per host, before its first page, with the
        host's /robots.txt answer (None when the host cannot be asked).
        """
        hosts: dict[str, _Host] = {}
        for item_id, url in items:
            key = origin(url) if is_web_url(url) else ""
            hosts.setdefault(key, _Host(0.0, key)).items.append((item_id, url))
        for host in hosts.values():
            host.items.reverse()  # popped from the end, in the given order
        heap = [h for h in hosts.values()]
        heapq.heapify(heap)
        results: asyncio.Queue[tuple[Any, Fetched] | None] = asyncio.Queue()
        connector = aiohttp.TCPConnector(
            limit=self.policy.concurrency, limit_per_host=1,
            resolver=SafeResolver(self.policy.private, self.overrides), use_dns_cache=False,
        )  # fmt: skip
        session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate",
                     "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"},
            trust_env=False,
        )  # fmt: skip

        async def worker() -> None:
            while heap:
                if deadline is not None and time.monotonic() >= deadline:
                    return
                host = heapq.heappop(heap)
                delay = host.ready_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if deadline is not None and time.monotonic() >= deadline:
                    return
                if not host.key:  # not a web URL: nothing to fetch
                    for item_id, url in host.items:
                        await results.put((item_id, Fetched(url, refused="it is not an http(s) URL")))
                    host.items.clear()
                    continue
                if robots is not None and not host.robots_done:
                    host.robots_done = True
                    first = urlsplit(host.items[-1][1])
                    robots_url = f"{first.scheme}://{first.netloc}/robots.txt"
                    robots(host.key, await self.fetch(session, robots_url, host.key))
                else:
                    item_id, url = host.items.pop()
                    await results.put((item_id, await self.fetch(session, url, host.key)))
                if host.items:
                    host.ready_at = time.monotonic() + self.policy.pause
                    heapq.heappush(heap, host)

        async def workers() -> None:
            # Idle workers return when the heap is momentarily empty (all hosts in use); that is
            # fine: at least the workers holding those hosts are still running.
            try:
                await asyncio.gather(*(worker() for _ in range(max(1, self.policy.concurrency))))
            finally:
                await results.put(None)

        runner = asyncio.ensure_future(workers())
        try:
            while True:
                if deadline is None:
                    got = await results.get()
                else:
                    # At the deadline pages still in flight are dropped, not counted: they
                    # stay due for the next run.
                    try:
                        got = await asyncio.wait_for(results.get(), max(0.0, deadline - time.monotonic()))
                    except TimeoutError:
                        break
                if got is None:
                    break
                yield got
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            await session.close()

    async def fetch(self, session: aiohttp.ClientSession, url: str, host_key: str) -> Fetched:
        """One page, its redirects followed within the site, under the total deadline."""
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                return await self._follow(session, url, host_key)
        except TimeoutError:
            return Fetched(url, error=f"no complete answer within {self.policy.total_timeout:g} s")

    async def _follow(self, session: aiohttp.ClientSession, url: str, host_key: str) -> Fetched:
        redirects: list[str] = []
        current = url
        seen = {url}
        while True:
            parts = urlsplit(current)
            if parts.hostname and _is_ip(parts.hostname):
                why = _refusal(parts.hostname, self.policy.private)
                if why:
                    return Fetched(url, refused=f"{why}; pass --allow-private to check it anyway")
            try:
                self._enter(host_key)
                try:
                    answer = await self._one(session, current)
                finally:
                    self._leave(host_key)
            except aiohttp.ClientSSLError as exc:
                return Fetched(url, redirects=tuple(redirects), error=f"TLS error ({_short(exc)})")
            except aiohttp.ClientConnectorError as exc:
                cause = exc.os_error if isinstance(exc.os_error, Refused) else exc.__cause__
                if isinstance(cause, Refused):
                    return Fetched(url, refused=f"{cause}; pass --allow-private to check it anyway")
                return Fetched(url, redirects=tuple(redirects), error=_connect_error(exc))
            except (aiohttp.ClientError, OSError) as exc:
                return Fetched(url, redirects=tuple(redirects), error=f"the connection failed ({_short(exc)})")
            status, headers, body, truncated = answer
            location = next((v for k, v in headers if k == "location"), "")
            if status in (301, 302, 303, 307, 308) and location:
                target = resolve(current, location)
                redirects.append(target)
                if not is_web_url(target):
                    return Fetched(url, current, status, headers, redirects=tuple(redirects), away=target)
                if not same_site(target, url):
                    return Fetched(url, current, status, headers, redirects=tuple(redirects), away=target)
                if target in seen:
                    return Fetched(url, redirects=tuple(redirects), error=f"redirect loop ({current} -> {target})")
                if len(redirects) > self.policy.max_redirects:
                    return Fetched(url, redirects=tuple(redirects),
                                   error=f"more than {self.policy.max_redirects} redirects")
                seen.add(target)
                current = target
                host_key = origin(target)
                continue
            return Fetched(url, current, status, headers, body, truncated, tuple(redirects))

    async def _one(
        self, session: aiohttp.ClientSession, url: str
    ) -> tuple[int, tuple[tuple[str, str], ...], bytes, bool]:
        self.requests += 1
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.policy.connect_timeout)
        async with session.get(url, allow_redirects=False, timeout=timeout) as response:
            headers = tuple((k.lower(), v) for k, v in response.headers.items())
            if response.status in (301, 302, 303, 307, 308):
                return response.status, headers, b"", False
            body, truncated = await _read_capped(response, self.policy.max_bytes)
            return response.status, headers, body, truncated

    def _enter(self, key: str) -> None:
        self._active[key] = self._active.get(key, 0) + 1
        self.max_per_host = max(self.max_per_host, self._active[key])

    def _leave(self, key: str) -> None:
        self._active[key] -= 1


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
    """The body, decompressed, at most `cap` bytes: a gzip bomb stops at the cap too."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    inflate = None
    if encoding in ("gzip", "x-gzip"):
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflate = zlib.decompressobj(zlib.MAX_WBITS)
    parts: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        if inflate is not None:
            try:
                chunk = inflate.decompress(chunk, cap - size + 1)
            except zlib.error:
                return b"".join(parts), True
            if inflate.unconsumed_tail:
                parts.append(chunk)
                return b"".join(parts)[:cap], True
        parts.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(parts)[:cap], True
    return b"".join(parts), False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def _connect_error(exc: aiohttp.ClientConnectorError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"the host name {exc.host} does not resolve"
    os_error = exc.os_error
    if isinstance(os_error, (TimeoutError, asyncio.TimeoutError)):
        return "the connection timed out"
    if isinstance(os_error, ConnectionRefusedError):
        return "the connection was refused"
    return f"the connection failed ({_short(os_error or exc)})"
