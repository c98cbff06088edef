"""Pure: one fetched page (and its host's robots.txt) in, one status with its evidence out.

No network here. The order of the checks is the order of what hurts most: no answer, no
page, a page elsewhere, a missing link; then the page is not indexed, not crawlable, says it
is a copy of another page; then the link passes no credit; else it is live.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from protego import Protego

from .fetch import Fetched
from .urls import normalise, resolve

# Statuses, in the words the sheet shows.
LIVE = "Live"
NOFOLLOW = "Nofollow"
NOINDEX = "Noindex"
BLOCKED = "Blocked by robots.txt"
CANONICAL = "Canonical elsewhere"
MISSING = "Link missing"
GONE = "Page gone"
REDIRECTED = "Redirected away"
UNREACHABLE = "Unreachable"
NOT_PUBLISHED = "Not published yet"
NOT_WEB = "Not an http(s) URL"
REFUSED = "Not checked"
LOST = "Lost"

#: A miss counts towards a loss; two in a row an hour apart confirm it.
MISSES = frozenset({MISSING, GONE, REDIRECTED})
#: The link is there but worth less than what was paid for.
PROBLEMS = frozenset({NOFOLLOW, NOINDEX, BLOCKED, CANONICAL, NOT_WEB, REFUSED})

GOOGLEBOT = "Googlebot"
_CREDITLESS_REL = ("nofollow", "sponsored", "ugc")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True)
class Check:
    """One check's verdict: a status, a note in plain words, and what the link looked like."""

    status: str
    note: str = ""
    anchor_text: str = ""
    rel: str = ""


def classify(fetched: Fetched, article_urls: tuple[str, ...], robots: RobotsTxt | None = None) -> Check:
    """Decide what `fetched` says about a placement that should link to `article_urls`."""
    if fetched.refused:
        status = NOT_WEB if "http(s)" in fetched.refused else REFUSED
        return Check(status, f"Not checked: {fetched.refused}.")
    if fetched.error:
        return Check(UNREACHABLE, f"Unreachable: {fetched.error}.")
    if fetched.away:
        return Check(REDIRECTED, f"Redirects to {fetched.away}, another site.")
    status = fetched.status or 0
    if status in (404, 410):
        return Check(GONE, f"The page answers {status} {'Not Found' if status == 404 else 'Gone'}.")
    if status >= 500 or status in (408, 429) or 400 <= status < 500:
        # 403 and friends are often a firewall refusing robots: temporary until proven.
        return Check(UNREACHABLE, f"Unreachable: the page answers {status}.")
    if status != 200:
        return Check(UNREACHABLE, f"Unreachable: the page answers {status}, not 200.")
    content_type = (fetched.header("content-type") or ["text/html"])[0].split(";")[0].strip().lower()
    if content_type not in ("text/html", "application/xhtml+xml", ""):
        return Check(MISSING, f"The page is {content_type}, not HTML, so it holds no link.")

    page = _parse(fetched)
    if page is None:
        return Check(MISSING, "The page is empty or not readable as HTML.")
    base = fetched.final_url or fetched.url
    base_href = page.xpath("string((//base[@href])[1]/@href)")
    if base_href:
        base = resolve(base, str(base_href))

    found: dict[str, tuple[str, str]] = {}  # article URL -> (anchor text, rel)
    wanted = {normalise(u): u for u in article_urls}
    for a in page.iter("a"):
        href = a.get("href")
        if not href:
            continue
        target = normalise(resolve(base, href))
        url = wanted.get(target)
        if url is None or url in found:
            continue
        found[url] = (_anchor(a), " ".join((a.get("rel") or "").lower().split()))
    missing = [u for u in article_urls if u not in found]
    anchors = " | ".join(found[u][0] for u in article_urls if u in found)
    rels = " | ".join(found[u][1] for u in article_urls if u in found and found[u][1])
    if missing:
        names = ", ".join(missing)
        extra = f" ({truncated_note})" if (truncated_note := _truncated(fetched)) else ""
        return Check(MISSING, f"Link to {names} missing{extra}.", anchors, rels)

    directives = _robots_directives(page, fetched)
    notes: list[str] = []
    verdict = ""
    noindex = [where for where, words in directives if "noindex" in words or "none" in words]
    if noindex:
        verdict = verdict or NOINDEX
        notes.append(f"{noindex[0]} says noindex")
    blocked = _blocked_by(robots, fetched.final_url or fetched.url)
    if blocked:
        verdict = verdict or BLOCKED
        notes.append(f"robots.txt disallows {blocked} for {GOOGLEBOT}")
    canonical = page.xpath("string((//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', 'canonical')), ' '), ' canonical ')][@href])[1]/@href)")
    if canonical:
        target = resolve(base, str(canonical))
        if _page_key(target) != _page_key(fetched.final_url or fetched.url):
            verdict = verdict or CANONICAL
            notes.append(f"canonical is {target}")
    creditless = sorted({word for u in article_urls for word in found[u][1].split() if word in _CREDITLESS_REL})
    if creditless:
        verdict = verdict or NOFOLLOW
        notes.append(", ".join(f"rel={w}" for w in creditless))
    page_nofollow = [where for where, words in directives if "nofollow" in words or "none" in words]
    if page_nofollow:
        verdict = verdict or NOFOLLOW
        notes.append(f"{page_nofollow[0]} says nofollow")
    return Check(verdict or LIVE, "; ".join(notes), anchors, rels)


def _parse(fetched: Fetched) -> etree._Element | None:
    """The page as an lxml tree, decoded by the header's charset, the page's, or UTF-8."""
    body = fetched.body
    if not body.strip():
        return None
    charset = _charset(fetched)
    if charset:
        text = body.decode(charset, errors="replace")
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("cp1252", errors="replace")  # what browsers assume then
    text = text.replace("\x00", "")
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def _charset(fetched: Fetched) -> str:
    candidates: list[str] = []
    for value in fetched.header("content-type"):
        match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", value, re.I)
        if match:
            candidates.append(match.group(1))
    if fetched.body.startswith(codecs.BOM_UTF8):
        candidates.insert(0, "utf-8-sig")
    match = _META_CHARSET.search(fetched.body[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "replace"))
    for name in candidates:
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        return name
    return ""


def _anchor(a: etree._Element) -> str:
    text = " ".join(a.text_content().split())
    if not text:
        text = " ".join(str(alt) for alt in a.xpath(".//img/@alt")).strip()
    return text[:200]


def _robots_directives(page: etree._Element, fetched: Fetched) -> list[tuple[str, set[str]]]:
    """(where, words) for meta robots/googlebot and X-Robots-Tag lines that apply to Google."""
    found: list[tuple[str, set[str]]] = []
    for meta in page.iter("meta"):
        name = (meta.get("name") or "").strip().lower()
        if name in ("robots", "googlebot"):
            found.append((f"meta {name}", _words(meta.get("content") or "")))
    for value in fetched.header("x-robots-tag"):
        agent, _, rest = value.partition(":")
        if rest and " " not in agent.strip() and agent.strip().lower() not in ("unavailable_after",):
            if agent.strip().lower() != "googlebot":
                continue  # a line for another crawler
            found.append(("X-Robots-Tag", _words(rest)))
        else:
            found.append(("X-Robots-Tag", _words(value)))
    return found


def _words(content: str) -> set[str]:
    return {w.strip().lower() for w in content.split(",") if w.strip()}


@dataclass(frozen=True)
class RobotsTxt:
    """A host's robots.txt: Google's rules (protego) and its Disallow lines, for the notes."""

    parser: Protego
    disallows: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "RobotsTxt":
        groups: list[tuple[set[str], list[str]]] = []
        agents_open = False
        for raw in text.splitlines():
            field, _, value = raw.split("#", 1)[0].partition(":")
            field, value = field.strip().lower(), value.strip()
            if field == "user-agent":
                if not agents_open:
                    groups.append((set(), []))
                    agents_open = True
                groups[-1][0].add(value.lower())
            elif field in ("allow", "disallow") and groups:
                agents_open = False
                if field == "disallow" and value:
                    groups[-1][1].append(value)
        own = [d for agents, d in groups if any(a and a in "googlebot" for a in agents - {"*"})]
        chosen = own or [d for agents, d in groups if "*" in agents]
        disallows = tuple(dict.fromkeys(v for d in chosen for v in d))
        return cls(Protego.parse(text), disallows)


def _blocked_by(robots: RobotsTxt | None, url: str) -> str:
    """The robots.txt rule that disallows `url` for Googlebot ("" when allowed)."""
    if robots is None:
        return ""
    try:
        if robots.parser.can_fetch(url, GOOGLEBOT):
            return ""
    except Exception:  # noqa: BLE001 - a robots.txt no parser understands blocks nothing
        return ""
    best = ""
    for value in robots.disallows:
        probe = Protego.parse(f"User-agent: *\nDisallow: {value}\n")
        if not probe.can_fetch(url, GOOGLEBOT) and len(value) > len(best):
            best = value
    return best or (urlsplit(url).path or "/")


def _page_key(url: str) -> str:
    """A page's identity for canonical checks: the scheme and the www. twin do not matter."""
    n = normalise(url)
    rest = n.split("://", 1)[-1]
    return rest.removeprefix("www.")


def _truncated(fetched: Fetched) -> str:
    return "only the first 5 MB of the page were read" if fetched.truncated else ""
