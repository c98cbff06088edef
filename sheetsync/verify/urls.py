"""URLs compared the way a link checker means them: same page, whatever the spelling."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_web_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)


def normalise(url: str) -> str:
    """Scheme and host in lower case, no default port, no fragment, "/" for an empty path and
    no trailing slash otherwise; the query is kept as it is (it can change the page)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if host else host
    except UnicodeError:
        pass
    if ":" in host:
        host = f"[{host}]"  # IPv6
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def resolve(base: str, href: str) -> str:
    """`href` as found in a page whose base URL is `base`, made absolute."""
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return href.strip()


def host_of(url: str) -> str:
    """The URL's host in lower case ("" when it has none)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def same_site(a: str, b: str) -> bool:
    """Same host, or one is the other's `www.` twin."""
    ha, hb = host_of(a), host_of(b)
    return ha.removeprefix("www.") == hb.removeprefix("www.") and bool(ha)


def origin(url: str) -> str:
    """scheme://host[:port] of `url`: the key for per-host limits and robots.txt."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{host}:{port}"
