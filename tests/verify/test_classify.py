"""The pure classifier and URL rules: no network."""

from __future__ import annotations

import pytest

from sheetsync.verify.classify import RobotsTxt, classify
from sheetsync.verify.fetch import Fetched
from sheetsync.verify.urls import normalise, same_site

URL = "https://acme.com/product"
HTML = (("content-type", "text/html; charset=utf-8"),)


def page(body: str, url: str = "https://blog.example/posts/1", headers=HTML, **kw) -> Fetched:
    return Fetched(url, url, 200, headers, body.encode(), **kw)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPS://ACME.COM/product", URL),
        ("https://acme.com:443/product", URL),
        ("https://acme.com/product/", URL),
        ("https://acme.com/product#reviews", URL),
        ("http://acme.com:80", "http://acme.com/"),
    ],
)
def test_urls_compare_after_normalising(a, b):
    assert normalise(a) == normalise(b)


def test_different_pages_stay_different():
    assert normalise("https://acme.com/product?a=1") != normalise(URL)
    assert normalise("http://acme.com/product") != normalise(URL)
    assert normalise("https://acme.com:8443/product") != normalise(URL)
    assert same_site("https://www.blog.example/x", "https://blog.example/y")
    assert not same_site("https://blog.example.evil/x", "https://blog.example/y")


def test_relative_links_resolve_against_the_page_and_base_href():
    assert classify(page('<a href="/product">x</a>', url="https://acme.com/blog/"), (URL,)).status == "Live"
    assert classify(page('<a href="../product">x</a>', url="https://acme.com/blog/post"), (URL,)).status == "Live"
    body = '<head><base href="https://acme.com/"></head><a href="product">x</a>'
    assert classify(page(body), (URL,)).status == "Live"
    assert classify(page('<a href="product">x</a>'), (URL,)).status == "Link missing"


def test_every_article_url_must_be_linked_and_the_missing_one_is_named():
    other = "https://acme.com/pricing"
    check = classify(page(f'<a href="{URL}">Acme</a>'), (URL, other))
    assert check.status == "Link missing" and check.note == f"Link to {other} missing."
    assert check.anchor_text == "Acme"


@pytest.mark.parametrize(
    ("body", "headers", "status", "note"),
    [
        (f'<a rel="ugc" href="{URL}">x</a>', HTML, "Nofollow", "rel=ugc"),
        (f'<meta name="googlebot" content="nofollow"><a href="{URL}">x</a>', HTML, "Nofollow", "meta googlebot says nofollow"),
        (f'<meta name="ROBOTS" content="NOINDEX"><a href="{URL}">x</a>', HTML, "Noindex", "meta robots says noindex"),
        (f'<meta name="robots" content="none"><a href="{URL}">x</a>', HTML, "Noindex",
         "meta robots says noindex; meta robots says nofollow"),
        (f'<a href="{URL}">x</a>', HTML + (("x-robots-tag", "noindex"),), "Noindex", "X-Robots-Tag says noindex"),
        (f'<a href="{URL}">x</a>', HTML + (("x-robots-tag", "bingbot: noindex"),), "Live", ""),
        (f'<a href="{URL}">x</a>', HTML + (("x-robots-tag", "googlebot: nofollow"),), "Nofollow", "X-Robots-Tag says nofollow"),
        (f'<meta name="otherbot" content="noindex"><a href="{URL}">x</a>', HTML, "Live", ""),
        (f'<link rel="canonical" href="https://blog.example/posts/1/"><a href="{URL}">x</a>', HTML, "Live", ""),
        (f'<link rel="canonical" href="https://www.blog.example/posts/1"><a href="{URL}">x</a>', HTML, "Live", ""),
        (f'<link rel="canonical" href="/posts/original"><a href="{URL}">x</a>', HTML, "Canonical elsewhere",
         "canonical is https://blog.example/posts/original"),
    ],
)
def test_what_the_page_says_about_itself(body, headers, status, note):
    check = classify(page(body, headers=headers), (URL,))
    assert (check.status, check.note) == (status, note)


def test_several_problems_are_all_named_worst_first():
    body = f'<meta name="robots" content="noindex"><a rel="sponsored" href="{URL}">x</a>'
    check = classify(page(body), (URL,))
    assert check.status == "Noindex" and check.note == "meta robots says noindex; rel=sponsored"


@pytest.mark.parametrize(
    ("robots", "path", "rule"),
    [
        ("User-agent: *\nDisallow: /posts/", "/posts/1", "/posts/"),
        ("User-agent: *\nDisallow: /posts/\nAllow: /posts/1", "/posts/1", ""),  # longest match wins
        ("User-agent: *\nDisallow: /*.php$", "/index.php", "/*.php$"),
        ("User-agent: *\nDisallow: /*.php$", "/index.php?x=1", ""),
        ("User-agent: *\nDisallow: /\nUser-agent: Googlebot\nAllow: /", "/posts/1", ""),  # own group
        ("User-agent: Googlebot\nDisallow: /posts\n\nUser-agent: *\nDisallow: /posts/1", "/posts/1", "/posts"),
    ],
)
def test_robots_txt_follows_googles_rules(robots, path, rule):
    url = "https://blog.example" + path
    check = classify(page(f'<a href="{URL}">x</a>', url=url), (URL,), RobotsTxt.parse(robots))
    if rule:
        assert (check.status, check.note) == ("Blocked by robots.txt", f"robots.txt disallows {rule} for Googlebot")
    else:
        assert check.status == "Live"


def test_answers_without_a_page():
    assert classify(Fetched(URL, error="the connection timed out"), (URL,)).status == "Unreachable"
    assert classify(Fetched(URL, URL, 410), (URL,)).status == "Page gone"
    away = classify(Fetched(URL, URL, 301, away="https://elsewhere.example/"), (URL,))
    assert (away.status, away.note) == ("Redirected away", "Redirects to https://elsewhere.example/, another site.")
