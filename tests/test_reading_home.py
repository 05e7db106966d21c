"""A short home page: what the site is in one line, the diamonds, compact topics (#17).

Measured in a real Chromium at a phone's width, on the demo site (28 blogs, 273 posts)
and on the litter feeds (podcast show notes, tracker links, long titles: tests/litter.py).
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator.models import Blog, BuildReport, Post, Topic
from aggregator.render import GIST_CHARS, HOME_TOPIC_POSTS, HOME_TOPICS, SiteContent, render_site

from .conftest import chromium, serve_dir

PHONE = {"width": 360, "height": 640}
SCREENS = 10  # the home page fits in about this many phone screens

# Every heading in document order, as its level.
HEADINGS = "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"


@pytest.fixture(scope="module")
def browser(demo_site_dir: Path, litter_site: Any) -> Iterator[Any]:
    # The sites first: a build runs an event loop, which cannot start inside playwright's;
    # one browser for the module, as playwright's sync API does not nest.
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module", params=["demo", "litter"])
def phone(request: pytest.FixtureRequest) -> Iterator[tuple[Any, str]]:
    if request.param == "demo":
        site: Path = request.getfixturevalue("demo_site_dir")
    else:
        site = request.getfixturevalue("litter_site").site
    browser = request.getfixturevalue("browser")
    with serve_dir(site) as base:
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


def _many_topics_site(tmp_path: Path, count: int) -> Path:
    """Render a site of ``count`` active topics, each from three blogs (no topic model)."""
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    blogs = [Blog(url=f"https://b{n}.example/feed", slug=f"b{n}", title=f"The blog of {n}",
                  site=None, author=None, description=None, tags=(), language="en",
                  added=None, last_success=now, last_error=None, consecutive_failures=0)
             for n in range(3 * count)]
    posts, topics = [], []
    for t in range(count):
        mine = [Post(feed_url=blogs[3 * t + i % 3].url, guid=f"{t}-{i}",
                     link=f"https://b{3 * t + i % 3}.example/{t}-{i}/",
                     title=f"A fairly long title of a post, number {i} of topic {t}",
                     published=now - timedelta(hours=t * 10 + i),
                     excerpt="A sentence of a real length about teaching and learning. " * 5,
                     text="") for i in range(6)]
        posts += mine
        topics.append(Topic(slug=f"topic-{t}", label=f"Subject {t}, terms & more",
                            terms=("a", "b"), post_uids=tuple(p.uid for p in mine)))
    posts.sort(key=lambda p: p.published, reverse=True)
    content = SiteContent(today=date(2026, 11, 20), generated=now, seed=1,
                          base_url="https://example.org/", blogs=blogs, posts=posts,
                          topics=topics, misc=[], diamonds=[])
    report = BuildReport(date=content.today, seed=1, feeds=(), topics=tuple(topics),
                         diamonds=(), new_posts=0, total_posts=len(posts), seconds=0.0,
                         out_dir=str(tmp_path / "site"))
    render_site(content, report, tmp_path / "site")
    return tmp_path / "site"


def test_many_topics_stay_short_and_all_linked(tmp_path: Path, browser: Any) -> None:
    count = HOME_TOPICS + 6
    site = _many_topics_site(tmp_path, count)
    html = (site / "index.html").read_text()
    previews = re.findall(r'<section class="topic"', html)
    assert len(previews) == HOME_TOPICS  # the newest, with their posts...
    more = re.search(r'<section class="more-topics".*?</section>', html, re.DOTALL)
    assert more  # ...and the rest a line each, newest first, none left out
    listed = re.findall(r'href="topics/(topic-\d+)/index.html"', more.group(0))
    assert listed == [f"topic-{t}" for t in range(HOME_TOPICS, count)]
    with serve_dir(site) as base:
        page = browser.new_page(viewport=PHONE)
        page.goto(base + "index.html")
        height = page.evaluate("document.documentElement.scrollHeight")
        page.close()
    assert height <= SCREENS * PHONE["height"], f"{height}px with {count} topics"
