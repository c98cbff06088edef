"""Result URLs are real pages served by the emulator, carrying the article and its links."""

from __future__ import annotations

from html.parser import HTMLParser

import requests

from sheetsync.emulator import Emulator, FakeClock

from .conftest import TOKEN, store_payload


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def test_published_placements_link_to_the_article_urls(base: str, clock: FakeClock, emu: Emulator) -> None:
    emu.pages.variety = False  # every page clean (the variants have their own tests)
    body = "<p>Acme, a Pune based fintech company, raised its <em>series A</em>.</p>"
    payload = store_payload(article_body=body, article_urls="https://acme.com, https://acme.com/product?a=1&b=2")
    task_id = requests.post(base + "task/store", json=payload).json()["task_id"]
    clock.advance(8 * 24 * 3600)
    sites = requests.get(base + "task/show", params={"api_token": TOKEN, "id": task_id}).json()["message"]["sites"]
    published = [s for s in sites if s["status"] == "Published"]
    assert published, "seed 1 publishes at least one of three placements"
    for site in published:
        assert site["result_url"].startswith(base.removesuffix("api/v1/") + "sites/")
        page = requests.get(site["result_url"])
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "<h1>Fintech startup Acme raises series A funding</h1>" in page.text
        assert body in page.text
        parser = Links()
        parser.feed(page.text)
        external = [h for h in parser.hrefs if h.startswith("https://")]
        assert external == ["https://acme.com", "https://acme.com/product?a=1&b=2"]


def test_pages_of_unpublished_or_unknown_placements_are_404(base: str, emu: Emulator) -> None:
    requests.post(base + "task/store", json=store_payload())
    row = emu.task_rows(TOKEN)[0]
    root = base.removesuffix("api/v1/")
    slug_path = row["placements"][0]
    assert slug_path["result_url"] is None  # still queued
    domain_and_slug = f"sites/greenleafjournal.com/fintech-startup-acme-raises-series-a-funding-{row['id']}"
    assert requests.get(root + domain_and_slug).status_code == 404
    assert requests.get(root + "sites/nowhere.example/x").status_code == 404
