"""Result pages: the published article as a real HTML page, with links to its URLs.

Like real placements, pages vary, deterministically by the emulator's seed and the placement:
most are clean, and a documented share (`SHARES`) is not what was paid for or stops being it
later: a nofollow or sponsored link, a noindex page, a robots.txt rule, a canonical pointing
elsewhere, a link removed some days after publishing, a page that 404s later, a redirect to
another host. Tests force a variant per site with `PageSettings.force`.

Pages are served under `/sites/<domain>/<slug>` on the emulator's own host, or, with
`PageSettings.hosts`, on one host name per site (`<domain>.localhost`, all on the same port),
which lets a checker see 40 hosts on one machine. `latency` delays every page and robots.txt.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..models import Site
from .progress import unit
from .store import PlacementRecord, TaskRecord

CLEAN = "clean"
NOFOLLOW = "nofollow"
SPONSORED = "sponsored"
NOINDEX = "noindex"
ROBOTS = "robots"
CANONICAL = "canonical"
REMOVED_LATER = "removed-later"
GONE_LATER = "gone-later"
REDIRECT = "redirect-away"

#: Share of placements per variant (the rest are clean), drawn from the seed.
SHARES: tuple[tuple[str, float], ...] = (
    (NOFOLLOW, 0.05),
    (SPONSORED, 0.04),
    (NOINDEX, 0.03),
    (ROBOTS, 0.03),
    (CANONICAL, 0.03),
    (REMOVED_LATER, 0.04),
    (GONE_LATER, 0.03),
    (REDIRECT, 0.02),
)
VARIANTS = (CLEAN, *(name for name, _ in SHARES))
#: A later change happens this many days after publishing, drawn per placement.
LATER_DAYS = (3, 20)
HOST_SUFFIX = ".localhost"


@dataclass
class PageSettings:
    """How result pages are served; change the fields on a running emulator."""

    variety: bool = True
    latency: float = 0.0  # seconds added to every page and robots.txt answer
    hosts: bool = False  # one host name per site: <domain>.localhost
    force: dict[int, str] = field(default_factory=dict)  # site id -> variant
    #: Per host: requests being answered now, the most at once, and the client ports
    #: (connections) seen, so a benchmark can tell how the checker treats each host.
    busy: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    ports: dict[str, set[str]] = field(default_factory=dict)
    served: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def enter(self, host: str, port: str) -> None:
        with self._lock:
            self.busy[host] = self.busy.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.busy[host])
            self.ports.setdefault(host, set()).add(port)
            self.served += 1

    def leave(self, host: str) -> None:
        with self._lock:
            self.busy[host] -= 1

    def reset_counts(self) -> None:
        with self._lock:
            self.busy.clear()
            self.peak.clear()
            self.ports.clear()
            self.served = 0

    def wait(self) -> None:
        if self.latency > 0:
            time.sleep(self.latency)


def variant(seed: int, task_id: str, site_id: int, force: Mapping[int, str] | None = None) -> str:
    """The variant of one placement's page."""
    if force and site_id in force:
        return force[site_id]
    draw = unit(seed, task_id, site_id, "page")
    for name, share in SHARES:
        if draw < share:
            return name
        draw -= share
    return CLEAN


def change_at(seed: int, task_id: str, site_id: int, published: dt.datetime) -> dt.datetime:
    """When a later change (link removed, page gone) happens to a placement."""
    low, high = LATER_DAYS
    days = low + (high - low) * unit(seed, task_id, site_id, "later")
    return published + dt.timedelta(days=days)


def site_host(domain: str) -> str:
    """The host name a site's pages are served on in `hosts` mode."""
    return f"{domain}{HOST_SUFFIX}"


def domain_of_host(host: str) -> str | None:
    """The site domain a `hosts`-mode host name stands for (port ignored), or None."""
    name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else ""
    if not name.endswith(HOST_SUFFIX) or name == HOST_SUFFIX.lstrip("."):
        return None
    return name[: -len(HOST_SUFFIX)].removeprefix("www.") or None


@dataclass(frozen=True)
class Page:
    """What to answer for one result page."""

    status: int
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()


def render(
    seed: int, task: TaskRecord, placement: PlacementRecord, site: Site, page_url: str,
    now: dt.datetime, published: dt.datetime, force: Mapping[int, str] | None = None,
    variety: bool = True,
) -> Page:
    """The answer for a published placement's page at `now`."""
    kind = variant(seed, task.id, site.id, force) if variety else CLEAN
    later = change_at(seed, task.id, site.id, published)
    if kind == GONE_LATER and now >= later:
        return Page(410 if unit(seed, task.id, site.id, "gone") < 0.3 else 404, missing_page())
    if kind == REDIRECT:
        stem = site.url.split(".")[0]
        return Page(301, "", (("Location", f"https://{stem}-deals.example/offers?ref={placement.slug}"),))
    rel = {NOFOLLOW: "nofollow", SPONSORED: "sponsored noopener"}.get(kind, "")
    links = () if kind == REMOVED_LATER and now >= later else task.article_urls
    head = ""
    if kind == NOINDEX:
        head += '    <meta name="robots" content="noindex, follow">\n'
    if kind == CANONICAL:
        home = page_url.split("/sites/")[0] + f"/sites/{site.url}/" if "/sites/" in page_url else "/"
        head += f'    <link rel="canonical" href="{html.escape(home)}syndicated/{placement.slug}">\n'
    return Page(200, article_page(task, site, links=links, rel=rel, head=head))


def robots_txt(slugs: list[str], prefix: str) -> str:
    """A site's robots.txt: common rules, plus a `$`-anchored Disallow per blocked page."""
    lines = [
        "# robots.txt",
        "User-agent: *",
        "Disallow: /wp-admin/",
        "Allow: /wp-admin/admin-ajax.php",
        "Disallow: /*?replytocom=",
        "",
        "User-agent: Googlebot",
        "Disallow: /wp-admin/",
        "Disallow: /*?replytocom=",
        *(f"Disallow: {prefix}{slug}$" for slug in slugs),
        "",
        "User-agent: GPTBot",
        "Disallow: /",
        "",
    ]
    return "\n".join(lines)


def article_page(
    task: TaskRecord, site: Site, *, links: tuple[str, ...] | None = None, rel: str = "", head: str = ""
) -> str:
    """The page a placement publishes: title, body (HTML as submitted) and its links."""
    title = html.escape(task.article_title)
    rel_attr = f' rel="{rel}"' if rel else ""
    urls = task.article_urls if links is None else links
    items = "\n".join(
        f'      <li><a href="{html.escape(url, quote=True)}"{rel_attr}>{html.escape(url)}</a></li>'
        for url in urls
    )
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{title} | {html.escape(site.url)}</title>
{head}  </head>
  <body>
    <header>{html.escape(site.url)}
      <nav><a href="/">Home</a> <a href="/about">About</a> <a href="/contact">Contact</a></nav>
    </header>
    <article>
      <h1>{title}</h1>
      <div class="article-body">
{task.article_body}
      </div>
      <h2>Sources</h2>
      <ul class="article-links">
{items}
      </ul>
    </article>
    <footer><a href="/privacy">Privacy</a> &middot; &copy; {html.escape(site.url)}</footer>
  </body>
</html>
"""


def missing_page() -> str:
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title>"
        "</head><body><h1>404 Not Found</h1><p>No published article here.</p></body></html>\n"
    )
