"""A short home page: what the site is in one line, the diamonds, compact topics (#17).

Measured in a real Chromium at a phone's width, on the demo site (28 blogs, 273 posts)
and on the litter feeds (podcast show notes, tracker links, long titles: tests/litter.py).
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aggregator.render import GIST_CHARS, HOME_TOPIC_POSTS

from .conftest import chromium, serve_dir

PHONE = {"width": 360, "height": 640}
SCREENS = 10  # the home page fits in about this many phone screens

# Every heading in document order, as its level.
HEADINGS = "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"


@pytest.fixture(scope="module", params=["demo", "litter"])
def phone(request: pytest.FixtureRequest) -> Iterator[tuple[Any, str]]:
    if request.param == "demo":
        site: Path = request.getfixturevalue("demo_site_dir")
    else:
        site = request.getfixturevalue("litter_site").site
    with serve_dir(site) as base, chromium() as browser:
        context = browser.new_context(viewport=PHONE)
        yield context.new_page(), base
        context.close()


def test_home_page_fits_in_ten_phone_screens(phone: tuple[Any, str]) -> None:
    page, base = phone
    page.goto(base + "index.html")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= SCREENS * PHONE["height"], f"{height}px at 360px wide"
    # ...and still shows the active topics, each with its newest posts, and the diamonds.
    assert page.locator("section.topic").count() >= 2
    assert page.locator("section.topic .brief").count() >= 4
    assert page.locator(".diamond-list > li").count() == 5


def test_no_heading_level_is_skipped(phone: tuple[Any, str]) -> None:
    page, base = phone
    page.goto(base + "index.html")
    topic = page.locator("#topics-heading ~ section h3 a").first.get_attribute("href")
    blog = page.locator(".post .meta a").first.get_attribute("href")
    for path in ("index.html", "latest/index.html", "about/index.html", "search/index.html",
                 "surprise/index.html", topic, blog, "diamonds/index.html", "tags/index.html"):
        if not page.request.get(base + path).ok:
            continue
        page.goto(base + path)
        levels = page.evaluate(HEADINGS)
        assert levels[0] == 1 and levels.count(1) == 1, (path, levels)
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        assert not jumps, (path, levels)


def test_the_first_line_says_what_the_site_is(demo_site_dir: Path) -> None:
    html = (demo_site_dir / "index.html").read_text()
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.DOTALL)
    assert h1
    blogs = len(list((demo_site_dir / "blogs").glob("*/index.html")))
    text = " ".join(h1.group(1).split())
    assert f"{blogs} education blogs" in text
    assert "subject" in text and "popularity" in text


def test_topics_are_compact_lists(demo_site_dir: Path) -> None:
    html = (demo_site_dir / "index.html").read_text()
    topics = json.loads((demo_site_dir / "data" / "build.json").read_text())["topics"]
    sections = re.findall(r'<section class="topic".*?</section>', html, re.DOTALL)
    assert len(sections) >= 5
    for section in sections:
        items = re.findall(r'<article class="brief".*?</article>', section, re.DOTALL)
        assert 1 <= len(items) <= HOME_TOPIC_POSTS
        for item in items:
            assert "<h4" not in item and 'class="age"' in item  # no heading, an age
            gists = re.findall(r'<p class="gist">(.*?)</p>', item, re.DOTALL)
            assert len(gists) <= 1, gists
            assert all(len(htmllib.unescape(g)) <= GIST_CHARS for g in gists), gists
    assert len(topics) >= len(sections) - 1  # misc ("More to explore") is a section too
