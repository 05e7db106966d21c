""""Surprise me": one post at random, tilted toward small voices, with and without script (#17)."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator.models import Blog, BuildReport, Feature, Post
from aggregator.render import SiteContent, render_site
from aggregator.surprise import blog_weights, draw, index_json, pool

from .conftest import chromium, serve_dir

TODAY = date(2026, 11, 23)


def _blog(name: str) -> Blog:
    return Blog(url=f"https://{name}.example/feed/", slug=name, title=name, site=None,
                author=None, description=None, tags=(), language=None, added=None,
                last_success=None, last_error=None, consecutive_failures=0)


def _post(blog: Blog, i: int) -> Post:
    return Post(feed_url=blog.url, guid=f"{blog.slug}-{i}",
                link=f"https://{blog.slug}.example/{i}/", title=f"{blog.slug} {i}",
                published=datetime(2026, 11, 20, tzinfo=UTC) - timedelta(days=i),
                excerpt="", text="")


def _featured(blog: Blog, *days_ago: int) -> list[Feature]:
    return [Feature(date=TODAY - timedelta(days=d), feed_url=blog.url, post_uid="x",
                    topic=None, reason="") for d in days_ago]


def test_a_blog_featured_often_weighs_less() -> None:
    often, once, never = _blog("often"), _blog("once"), _blog("never")
    history = [*_featured(often, 5, 20, 40), *_featured(once, 40)]
    weights = blog_weights([often, once, never], history, today=TODAY)
    assert weights[often.url] < weights[once.url] < weights[never.url]


def test_todays_diamonds_count_as_exposure() -> None:
    picked, other = _blog("picked"), _blog("other")
    weights = blog_weights([picked, other], _featured(picked, 0), today=TODAY)
    assert weights[picked.url] < weights[other.url] / 1000  # it has the home page today


def test_the_draw_is_tilted_one_post_per_blog_and_seeded() -> None:
    often, never = _blog("often"), _blog("never")
    candidates = pool([_post(b, i) for i in range(5) for b in (often, never)])
    weights = blog_weights([often, never], _featured(often, 10, 30), today=TODAY)
    firsts = Counter(draw(candidates, weights, random.Random(s), 1)[0].feed_url
                     for s in range(200))
    assert firsts[never.url] > 190, firsts
    picks = draw(candidates, weights, random.Random(7), 10)
    assert len(picks) == 2 and {p.feed_url for p in picks} == {often.url, never.url}
    assert draw(candidates, weights, random.Random(7), 10) == picks  # reproducible


def test_the_pool_keeps_each_blogs_newest_posts_and_no_copies() -> None:
    blog = _blog("busy")
    posts = [_post(blog, i) for i in range(40)]  # newest first
    chosen = pool(posts, copies={posts[0].uid}, per_blog=30)
    assert chosen[blog.url] == posts[1:31]


def test_the_index_holds_links_and_weights_and_nothing_more() -> None:
    a, b = _blog("a"), _blog("b")
    candidates = pool([_post(a, 0), _post(a, 1), _post(b, 0)])
    data = json.loads(index_json(candidates, {a.url: 0.5, b.url: 1.0}))
    assert data == {"blogs": [
        {"weight": 0.5, "posts": ["https://a.example/0/", "https://a.example/1/"]},
        {"weight": 1.0, "posts": ["https://b.example/0/"]}]}


def test_every_page_links_to_the_fallback_page(demo_site_dir: Path) -> None:
    for page in ("index.html", "about/index.html", "latest/index.html", "search/index.html"):
        html = (demo_site_dir / page).read_text()
        root = "../" * page.count("/")
        assert (f'<a href="{root}surprise/index.html" data-surprise="{root}data/surprise.json"'
                in html), page
    picks = (demo_site_dir / "surprise" / "index.html").read_text()
    links = re.findall(r'class="post-title"><a href="([^"]+)"', picks)
    assert len(links) == 10 and len({link.split("/")[2] for link in links}) == 10


@pytest.fixture(scope="module")
def served(demo_site_dir: Path) -> Iterator[tuple[Any, str]]:
    with serve_dir(demo_site_dir) as base, chromium() as browser:
        yield browser, base


def _open_surprise(browser: Any, base: str, *, script: bool) -> tuple[str, list[str]]:
    """Click "Surprise me" on the home page; return where it led and what was requested."""
    context = browser.new_context(java_script_enabled=script)
    page = context.new_page()
    page.goto(base + "index.html")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    # The posts live on other hosts: answer for them here, so the test needs no network.
    context.route(lambda url: not url.startswith(base),
                  lambda route: route.fulfill(body="<title>a post</title>",
                                              content_type="text/html"))
    with page.expect_navigation():
        page.get_by_role("link", name="Surprise me").click()
    page.wait_for_load_state()
    url = page.url
    context.close()
    return url, requests


def test_with_script_the_link_opens_one_post(served: tuple[Any, str],
                                             demo_site_dir: Path) -> None:
    browser, base = served
    index = json.loads((demo_site_dir / "data" / "surprise.json").read_text())
    links = {link for blog in index["blogs"] for link in blog["posts"]}
    url, requests = _open_surprise(browser, base, script=True)
    assert url in links
    # The one request before leaving: the index, from this site. Nothing sent elsewhere.
    assert requests == [base + "data/surprise.json", url]


def test_without_script_the_link_opens_the_page_of_picks(served: tuple[Any, str]) -> None:
    browser, base = served
    url, requests = _open_surprise(browser, base, script=False)
    assert url == base + "surprise/index.html"
    assert all(r.startswith(base) for r in requests), requests


def test_from_disk_the_link_opens_the_page_of_picks(served: tuple[Any, str],
                                                    demo_site_dir: Path) -> None:
    browser, _ = served
    page = browser.new_page()  # script on: fetching the index from file:// fails, so...
    page.goto((demo_site_dir / "index.html").as_uri())
    with page.expect_navigation():
        page.get_by_role("link", name="Surprise me").click()
    assert page.url == (demo_site_dir / "surprise" / "index.html").as_uri()
    assert page.locator(".post").count() == 10
    page.close()


def _picks_page(tmp_path: Path, seed: int, name: str) -> list[str]:
    """Render a site of 20 blogs with the build seed ``seed``; return its picks' links."""
    blogs = [_blog(f"b{n}") for n in range(20)]
    posts = sorted((_post(b, i) for b in blogs for i in range(3)),
                   key=lambda p: p.published, reverse=True)
    content = SiteContent(today=TODAY, generated=datetime(2026, 11, 23, 23, tzinfo=UTC),
                          seed=seed, base_url="https://example.org/", blogs=blogs,
                          posts=posts, topics=[], misc=[p.uid for p in posts], diamonds=[])
    report = BuildReport(date=TODAY, seed=seed, feeds=(), topics=(), diamonds=(), new_posts=0,
                         total_posts=len(posts), seconds=0.0, out_dir=str(tmp_path / name))
    render_site(content, report, tmp_path / name)
    html = (tmp_path / name / "surprise" / "index.html").read_text()
    return re.findall(r'class="post-title"><a href="([^"]+)"', html)


def test_the_page_of_picks_is_the_same_for_a_build_and_new_the_next_day(tmp_path: Path) -> None:
    first = _picks_page(tmp_path, 20261123, "a")
    assert len(first) == 10
    assert _picks_page(tmp_path, 20261123, "b") == first  # the same build: the same picks
    assert _picks_page(tmp_path, 20261124, "c") != first  # the next day's seed: a new draw
