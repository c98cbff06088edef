"""Hostile and broken pages: each gets a status and a note, never a crash or a hang."""

from __future__ import annotations

import pytest

from .helpers import cell, check
from .hostile import serving


@pytest.fixture(scope="module")
def site():
    with serving() as server:
        yield server


@pytest.mark.parametrize(
    ("path", "status", "note"),
    [
        ("/broken", "Live", ""),
        ("/binary", "Link missing", "image/png, not HTML"),
        ("/latin1", "Live", ""),
        ("/wrong-charset", "Live", ""),
        ("/nul", "Live", ""),
        ("/empty", "Link missing", "empty"),
        ("/loop-a", "Unreachable", "redirect loop"),
        ("/hop0", "Unreachable", "more than 5 redirects"),
        ("/forbidden", "Unreachable", "answers 403"),
        ("/down", "Unreachable", "answers 503"),
        ("/nowhere", "Page gone", "404"),
        ("/to-ftp", "Redirected away", "ftp://files.example/x"),
        ("/private/page", "Blocked by robots.txt", "robots.txt disallows /private/ for Googlebot"),
    ],
)
def test_awkward_pages_get_a_status_and_a_note(site, path, status, note):
    _, extras = check(site.root + path)
    assert cell(extras) == status
    assert note in cell(extras, name="check_note")


def test_anchor_text_is_read_in_the_page_charset(site):
    _, extras = check(site.root + "/latin1")
    assert cell(extras, name="anchor_text") == "Café Acme"


def test_an_unreachable_host_is_unreachable_not_lost():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    _, extras = check(f"http://127.0.0.1:{port}/x")
    assert cell(extras) == "Unreachable" and "refused" in cell(extras, name="check_note")
    assert not extras.attention
