"""The repo's own fixture feeds (tests/data/feeds): edge cases parse as their manifest says.

Each fixture is parsed on its own (what comes out of it), then all of them are built into
one site through a real local server (that nothing crashes, that each feed's outcome is
the expected one and its posts reach their blog's page). tests/test_xss.py scans the
same site for anything dangerous.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from aggregator.build import build_clock
from aggregator.errors import ParseError
from aggregator.parse import parse_feed

from .conftest import FEED_FIXTURES, FIXTURE_DAY, FixtureSite, feed_fixtures

FIXTURES = feed_fixtures()
NOW = build_clock(datetime.fromisoformat(FIXTURE_DAY).date())
HOST = "https://fixtures.example"


def _expand(link: str, host: str) -> str:
    return link.replace("{host}", host)


def test_every_fixture_is_described_once() -> None:
    files = {path.name for path in FEED_FIXTURES.iterdir()  # litter/ has its own manifest
             if path.is_file() and path.name != "manifest.json"}
    described = [f["file"] for f in FIXTURES]
    assert sorted(described) == sorted(files)
    for fixture in FIXTURES:
        assert fixture["asserts"] and fixture["content_type"], fixture["file"]
        assert fixture["outcome"] in ("ok", "parse_error"), fixture["file"]
    outcomes = {f["outcome"] for f in FIXTURES}
    assert outcomes == {"ok", "parse_error"}
    assert {f["well_formed"] for f in FIXTURES} == {True, False}


def _well_formed(body: bytes) -> bool:
    try:
        ET.fromstring(body)  # expat: strict XML, honours the declared encoding and the BOM
    except ET.ParseError:
        return False
    return True


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["file"] for f in FIXTURES])
def test_fixture_parses_as_its_manifest_says(fixture: dict[str, Any]) -> None:
    body = (FEED_FIXTURES / fixture["file"]).read_bytes()
    assert _well_formed(body) is fixture["well_formed"]
    url = f"{HOST}/{fixture['file']}"
    if fixture["outcome"] == "parse_error":
        with pytest.raises(ParseError):
            parse_feed(body, feed_url=url, now=NOW, content_type=fixture["content_type"])
        return
    feed = parse_feed(body, feed_url=url, now=NOW, content_type=fixture["content_type"])
    assert feed.title == fixture["title"]
    if "site" in fixture:
        assert feed.site == fixture["site"]
    if "count" in fixture:
        assert len(feed.posts) == fixture["count"], [p.link for p in feed.posts]
    posts = {p.link: p for p in feed.posts}
    for link, expected in fixture["posts"].items():
        post = posts.get(_expand(link, HOST))
        assert post is not None, (link, sorted(posts))
        if "title" in expected:
            assert post.title == expected["title"]
        if expected.get("published") == "undated":
            assert (post.published, post.dated) == (NOW, False)
        elif "published" in expected:
            assert post.published.isoformat() == expected["published"]
            assert post.dated
        if "excerpt_includes" in expected:
            assert expected["excerpt_includes"] in post.excerpt, post.excerpt
    for post in feed.posts:  # whatever the fixture, every post is safe to link to
        assert post.link.startswith(("https://", "http://")), post.link
        assert post.published.tzinfo is not None and post.published <= NOW


def test_a_site_builds_from_every_fixture(fixture_site: FixtureSite) -> None:
    data = json.loads((fixture_site.site / "data" / "build.json").read_text())
    outcomes = {f["url"]: (f["outcome"], f.get("cause")) for f in data["feeds"]}
    for fixture in FIXTURES:
        outcome = outcomes[fixture_site.urls[fixture["file"]]]
        if fixture["outcome"] == "ok":
            assert outcome == ("ok", None), fixture["file"]
        else:
            assert outcome == ("failed", "parse"), fixture["file"]


def _pages_text(site: Path) -> str:
    return "\n".join(p.read_text() for p in site.glob("blogs/*/index.html"))


def test_every_expected_post_reaches_its_blog_page(fixture_site: FixtureSite) -> None:
    pages = _pages_text(fixture_site.site)
    found = 0
    for fixture in FIXTURES:
        for link in fixture.get("posts", {}):
            href = _expand(link, fixture_site.base).replace("&", "&amp;")
            assert f'href="{href}"' in pages, (fixture["file"], link)
            found += 1
    assert found > 50


def test_failed_fixtures_are_reported_on_the_status_page(fixture_site: FixtureSite) -> None:
    status = (fixture_site.site / "status" / "index.html").read_text()
    for fixture in FIXTURES:
        if fixture["outcome"] == "parse_error":
            assert fixture_site.urls[fixture["file"]] in status, fixture["file"]


def test_feeds_keep_the_fixtures_characters(fixture_site: FixtureSite) -> None:
    # Odd encodings decoded right reach the combined feed as the same characters.
    root = ET.parse(fixture_site.site / "feed.xml").getroot()
    titles = {item.findtext("link"): item.findtext("title") for item in root.iter("item")}
    checked = 0
    for fixture in FIXTURES:
        if fixture["file"].startswith("encoding-"):
            for link, expected in fixture["posts"].items():
                if link in titles:  # a post taken for a cross-post is in the feed once
                    assert titles[link] == expected["title"], fixture["file"]
                    checked += 1
    assert checked >= 3
