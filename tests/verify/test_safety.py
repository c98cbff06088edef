"""Manners and safety: private addresses, secrets, caps and deadlines, against real sockets."""

from __future__ import annotations

import time

import pytest

from sheetsync.verify.cli import private_addresses

from .helpers import cell, check
from .hostile import serving


@pytest.fixture(scope="module")
def site():
    with serving() as server:
        yield server


def test_private_and_link_local_addresses_are_refused_before_any_connection(site):
    for url in ("http://10.1.2.3/page", "http://192.168.0.7/x", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]:9/x", "http://[fd00::1]/x"):
        v, extras = check(url, private="loopback" if "::1" not in url else "none")
        assert cell(extras) == "Not checked", url
        assert "pass --allow-private" in cell(extras, name="check_note")
        assert v.requests == 0, url
    # A host name that resolves to loopback is refused unless the API itself is on loopback.
    v, extras = check(f"http://localhost:{site.server_address[1]}/ok", private="none")
    assert cell(extras) == "Not checked" and "loopback" in cell(extras, name="check_note")
    assert not site.seen or all("/ok" != p for p, _, _ in site.seen[-1:])
    _, extras = check(f"http://localhost:{site.server_address[1]}/ok", private="loopback")
    assert cell(extras) == "Live"


def test_a_host_name_that_resolves_to_a_private_address_is_refused_at_connection_time():
    from sheetsync.verify import History, Policy, Verifier

    from .helpers import NOW, pulled

    v = Verifier(History(":memory:"), Policy(pause=0.0, private="loopback"),
                 overrides={"intranet.example": "10.0.0.5", "metadata.example": "169.254.169.254"})
    extras = v([pulled("http://intranet.example/wiki", "http://metadata.example/latest")], NOW)
    assert cell(extras) == cell(extras, 373) == "Not checked"
    assert "private address 10.0.0.5" in cell(extras, name="check_note")
    assert "link-local address 169.254.169.254" in cell(extras, 373, "check_note")
    assert set(extras.attention) == {"ss-test0001"}  # a URL that cannot be checked needs a person


def test_private_addresses_are_allowed_only_for_a_loopback_api_or_on_request():
    assert private_addresses("https://backlinkbase.com/api/v1/", False) == "none"
    assert private_addresses("http://127.0.0.1:8787/api/v1/", False) == "loopback"
    assert private_addresses("http://localhost:8787/api/v1/", False) == "loopback"
    assert private_addresses("https://backlinkbase.com/api/v1/", True) == "all"


def test_non_http_result_urls_are_reported_and_never_fetched():
    for url in ("ftp://files.example/x", "javascript:alert(1)", "file:///etc/passwd", "not a url"):
        v, extras = check(url)
        assert cell(extras) == "Not an http(s) URL", url
        assert v.requests == 0


def test_no_cookie_and_no_token_is_ever_sent_and_the_user_agent_names_sheetsync(site):
    token = "sync-test-token-7f3a9c"
    site.seen.clear()
    check(f"{site.root}/cookie", f"{site.root}/ok", f"{site.root}/broken")
    assert [p for p, _, _ in site.seen] == ["/robots.txt", "/cookie", "/ok", "/broken"]
    for path, headers, line in site.seen:
        lowered = {k.lower(): v for k, v in headers.items()}
        assert "cookie" not in lowered and "authorization" not in lowered, path
        assert token not in line and token not in str(headers)
        assert "api_token" not in line
        assert "sheetsync" in lowered["user-agent"]


def test_robots_txt_is_fetched_once_per_host_per_run(site):
    site.seen.clear()
    check(*(f"{site.root}/ok?n={n}" for n in range(5)))
    paths = [p for p, _, _ in site.seen]
    assert paths.count("/robots.txt") == 1 and len(paths) == 6


def test_a_20_mb_page_is_read_up_to_5_mb_only(site):
    started = time.monotonic()
    _, extras = check(f"{site.root}/huge")
    assert cell(extras) == "Link missing"
    assert "only the first 5 MB" in cell(extras, name="check_note")
    assert time.monotonic() - started < 10


def test_a_gzip_bomb_stops_at_the_cap(site):
    import tracemalloc

    tracemalloc.start()
    _, extras = check(f"{site.root}/bomb")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert cell(extras) == "Link missing" and "5 MB" in cell(extras, name="check_note")
    assert peak < 40 * 1024 * 1024  # 200 MB inflated would not fit


def test_a_slow_drip_page_ends_at_the_total_deadline(site):
    started = time.monotonic()
    _, extras = check(f"{site.root}/drip", total_timeout=1.0)
    assert time.monotonic() - started < 4
    assert cell(extras) == "Unreachable"
    assert "no complete answer within 1 s" in cell(extras, name="check_note")


def test_the_time_budget_leaves_the_rest_due_for_the_next_run(site):
    v, extras = check(*(f"{site.root}/ok?n={n}" for n in range(40)), pause=0.2, budget=1.0)
    report = extras.report["verify"]
    assert 0 < report["checked"] < 40 and report["left_for_next_run"] == 40 - report["checked"]
    assert any("left for the next run" in n for n in extras.notes)
