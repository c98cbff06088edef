"""The emulator's site catalogue: about 40 invented but plausible target websites.

Deterministic and the same for every account and every seed, so demo sheets and tests can
name site ids (372 ... 420) that always mean the same site.
"""

from __future__ import annotations

import hashlib

from ..models import Catalogue, Site

_DOMAINS = (
    "greenleafjournal.com", "urbancyclistdaily.com", "thefinancenook.com", "homesteadhacks.net",
    "techpulsereview.com", "travelwithmara.com", "cleaneatingcorner.com", "startupsignal.io",
    "petcareplaybook.com", "coastalkitchen.blog", "marketingmosaic.co", "indiegamerhub.com",
    "smallbizledger.com", "wellnesswanderer.org", "codecraftweekly.dev", "parentingpathways.net",
    "diygardenlab.com", "cryptocompass.news", "fitnessforge.io", "bookwormbulletin.com",
    "ecoinnovators.org", "remoteworkradar.com", "autoenthusiastz.com", "fashionfolio.style",
    "localfoodscout.com", "datadrivendesk.com", "mindfulmornings.blog", "realtyreporter.net",
    "sciencespark.org", "photogearguide.com", "legaltechlens.com", "outdoorroutes.co",
    "healthyhabitshq.com", "musicmakersmag.com", "saasstackreview.com", "edtechinsider.net",
    "craftbeercircle.com", "solarsavvyhome.com", "cityeventsdigest.com", "nomadfinance.io",
)
# 49 ids from 372 to 420; nine were retired, as a long-lived catalogue would have.
_RETIRED = frozenset({376, 379, 383, 391, 396, 404, 409, 413, 418})
IDS = tuple(i for i in range(372, 421) if i not in _RETIRED)
DISABLED_IDS = frozenset({375, 394, 411})
LIMITED_IDS = frozenset({381, 399, 416})


def _metric(site_id: int, name: str, low: int, high: int) -> int:
    digest = hashlib.sha256(f"site:{site_id}:{name}".encode()).digest()
    return low + int.from_bytes(digest[:4], "big") % (high - low + 1)


def _site(site_id: int, domain: str) -> Site:
    da = _metric(site_id, "da", 12, 78)
    # Page authority tracks domain authority closely on small blogs.
    pa = min(90, max(5, da + _metric(site_id, "pa", -6, 12)))
    return Site(
        id=site_id,
        url=domain,
        da=da,
        pa=pa,
        spam_score=_metric(site_id, "spam", 0, 9) if da < 40 else _metric(site_id, "spam", 0, 4),
        enabled=site_id not in DISABLED_IDS,
        limited=site_id in LIMITED_IDS,
    )


SITES: tuple[Site, ...] = tuple(_site(i, d) for i, d in zip(IDS, _DOMAINS, strict=True))
CATALOGUE = Catalogue(SITES)
ENABLED_IDS = tuple(s.id for s in SITES if s.enabled)


def site_json(site: Site) -> dict[str, object]:
    """One catalogue entry in the shape `task/sites` documents."""
    return {
        "id": site.id,
        "url": site.url,
        "da": site.da,
        "pa": site.pa,
        "spam_score": site.spam_score,
        "status": 1 if site.enabled else 0,
        "limited": site.limited,
    }
