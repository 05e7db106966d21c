"""Compact archive pages, and pages kept whole from one build to the next (#14).

A topic's page and a blog's page show their newest posts with excerpts; every post is
also on the compact archive page of its period (a topic's month, a blog's year, the
river's day). A new post rewrites only the pages that show it: every other file keeps
its bytes and its mtime, so a deploy of the next day's site is small.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator.models import Blog, BuildReport, Post, Topic
from aggregator.pages import Pages
from aggregator.render import TOPIC_PAGE_POSTS, SiteContent, render_site

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
OLD = datetime(2001, 1, 1, tzinfo=UTC).timestamp()  # an mtime no build could give


def _blog(n: int) -> Blog:
    return Blog(url=f"https://b{n}.example/feed", slug=f"b{n}", title=f"Blog {n}",
                site=f"https://b{n}.example/", author=None, description=None, tags=(),
                language="en", added=None, last_success=NOW, last_error=None,
                consecutive_failures=0)


def _posts(count: int, start: int = 0) -> list[Post]:
    """Return ``count`` posts two days apart, newest first, from 3 blogs (over 1 year)."""
    return [Post(feed_url=f"https://b{i % 3}.example/feed", guid=f"g{i}",
                 link=f"https://b{i % 3}.example/{i}/", title=f"Post {i}",
                 published=NOW - timedelta(days=2 * i, hours=1), excerpt=f"Excerpt of post {i}.",
                 text="words", excerpt_html=f"<p>Excerpt of post {i}.</p>")
            for i in range(start, start + count)]


def _render(out: Path, posts: list[Post], generated: datetime = NOW) -> Path:
    topic = Topic(slug="phonics", label="Phonics", terms=("phonics",),
                  post_uids=tuple(p.uid for p in posts))
    content = SiteContent(today=generated.date(), generated=generated, seed=1,
                          base_url="https://example.org/sub/",
                          blogs=[_blog(i) for i in range(3)], posts=posts, topics=[topic],
                          misc=[], diamonds=[])
    report = BuildReport(date=generated.date(), seed=1, feeds=(), topics=(topic,),
                         diamonds=(), new_posts=0, total_posts=len(posts), seconds=0.0,
                         out_dir=str(out))
    render_site(content, report, out)
    return out


def _entry(html: str, title: str) -> str:
    """Return the list item of the post titled ``title`` on a page."""
    found = re.search(rf"<li[^>]*>((?:(?!</li>).)*>{re.escape(title)}</a>.*?)</li>", html, re.S)
    assert found, title
    return found.group(1)


def test_a_post_past_the_newest_is_on_its_topics_and_blogs_archive_in_brief(
        tmp_path: Path) -> None:
    posts = _posts(200)  # over a year: Nov 2026 back to Oct 2025
    site = _render(tmp_path / "site", posts)
    front = (site / "topics/phonics/index.html").read_text()
    titles = re.findall(r'class="post-title"[^>]*><a [^>]*>([^<]+)</a>', front)
    assert titles == [f"Post {i}" for i in range(TOPIC_PAGE_POSTS)]  # newest, with excerpts
    assert 'class="excerpt"' in front
    old = posts[150]  # 300 days ago: January 2026, past the front page
    assert old.published.strftime("%Y-%m") == "2026-01"
    month = (site / "topics/phonics/2026/01/index.html").read_text()
    year = (site / f"blogs/b{150 % 3}/2026/index.html").read_text()
    for page in (month, year):
        entry = _entry(page, old.title)
        # The day, without the year the page's name gives ("January 2026", "2026").
        assert old.link in entry and '<time datetime="2026-01-24">24 Jan</time>' in entry
        assert "Excerpt of post" not in page and 'class="excerpt"' not in page  # compact
        assert "ago" not in page  # no age: a closed period's page never changes
    assert 'href="../../../../blogs/b0/index.html">Blog 0</a>' in _entry(month, old.title)
    assert "Blog 0" in _entry(year, old.title)
    # Every post is on its topic's archive once, and the months link their neighbours.
    archived = re.findall(r'<li><a href="([^"]+)" rel="ugc">',
                          "".join(p.read_text() for p in sorted(
                              (site / "topics/phonics").glob("*/*/index.html"), reverse=True)))
    assert archived == [p.link for p in posts]
    assert '<link rel="prev" href="../../../../topics/phonics/2026/02/index.html">' in month
    assert '<link rel="next" href="../../../../topics/phonics/2025/12/index.html">' in month
    assert 'href="../../topics/phonics/2026/01/index.html">Jan</a>' in front  # linked
    blog = (site / "blogs/b0/index.html").read_text()
    assert 'href="../../blogs/b0/2025/index.html">2025</a>' in blog


def test_a_post_without_excerpt_shows_no_empty_excerpt(tmp_path: Path) -> None:
    # A post past the state's text window comes without excerpt (#14): title, blog, date.
    posts = [replace(p, excerpt="", excerpt_html="") for p in _posts(3)]
    site = _render(tmp_path / "site", posts)
    for page in ("topics/phonics/index.html", "blogs/b0/index.html", "latest/index.html"):
        html = (site / page).read_text()
        assert "Post 0</a>" in html
        assert 'class="excerpt"' not in html, page


def test_a_new_post_rewrites_only_the_pages_that_show_it(tmp_path: Path) -> None:
    posts = _posts(200)
    site = _render(tmp_path / "site", posts)
    for path in site.rglob("*"):
        os.utime(path, (OLD, OLD))
    before = {p.relative_to(site).as_posix(): p.read_bytes()
              for p in site.rglob("*") if p.is_file()}
    new = Post(feed_url="https://b0.example/feed", guid="new", link="https://b0.example/new/",
               title="A brand new post", published=NOW + timedelta(minutes=30),
               excerpt="Fresh.", text="words")
    _render(tmp_path / "site", [new, *posts], generated=NOW + timedelta(hours=1))

    after = {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}
    changed = {name for name, path in after.items() if path.stat().st_mtime != OLD}
    shows_it = {name for name, path in after.items() if b"A brand new post" in path.read_bytes()}
    assert shows_it <= changed  # what shows the new post is new...
    for name in changed - shows_it:  # ...and what else changed has new bytes
        assert after[name].read_bytes() != before.get(name), name
    kept = set(after) - changed
    for name in kept:
        assert after[name].read_bytes() == before[name], name
    # The pages of closed periods, of other blogs, and the pages that say nothing new.
    for name in ("topics/phonics/2026/01/index.html", "topics/phonics/2025/12/index.html",
                 "blogs/b0/2025/index.html", "blogs/b1/index.html", "blogs/b1/2026/index.html",
                 "blogs/b2/2025/index.html", "latest/2026/11/16/index.html",
                 "about/index.html", "404.html", "assets/style.css", "search/index.html"):
        assert name in kept, name
    for name in ("index.html", "topics/phonics/index.html", "topics/phonics/2026/11/index.html",
                 "blogs/b0/index.html", "blogs/b0/2026/index.html", "latest/index.html",
                 "latest/2026/11/20/index.html", "feed.xml", "data/build.json"):
        assert name in changed, name
    assert len(kept) > 3 * len(changed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging left behind


def test_a_page_no_longer_in_the_site_is_removed(tmp_path: Path) -> None:
    posts = _posts(200)
    site = _render(tmp_path / "site", posts)
    assert (site / "topics/phonics/2025/12/index.html").is_file()
    _render(tmp_path / "site", posts[:100])  # the older posts are gone (their blog left)
    assert not (site / "topics/phonics/2025").exists()
    assert not (site / "blogs/b0/2025").exists()
    assert (site / "topics/phonics/2026/11/index.html").is_file()


def test_the_published_site_is_never_written_through(tmp_path: Path) -> None:
    # The staging folder shares files with the published site: a page written anew must
    # be a new file, or a build that fails half way would have changed the live site.
    site = _render(tmp_path / "site", _posts(40))
    published = site / "topics/phonics/index.html"
    held = published.open("rb")  # the live site's file, as a web server holds it
    try:
        _render(tmp_path / "site", _posts(41))  # one more post: the topic's page changes
        assert held.read() != published.read_bytes()  # the old file itself is unchanged
    finally:
        held.close()


def _renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return the list the paths of the pages rendered from now on are added to."""
    rendered: list[str] = []
    render_page = Pages.__call__

    def spy(self: Pages, path: str, template: str, **context: Any) -> None:
        rendered.append(path)
        render_page(self, path, template, **context)

    monkeypatch.setattr(Pages, "__call__", spy)
    return rendered


def test_an_archive_page_is_rendered_again_only_when_what_it_shows_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    posts = _posts(200)
    site = _render(tmp_path / "site", posts)
    rendered = _renders(monkeypatch)
    edited = replace(posts[150], title="Post 150, retitled")  # January 2026, blog b0
    new = replace(posts[0], guid="new", title="A brand new post",
                  published=NOW + timedelta(minutes=30))
    _render(tmp_path / "site", [new, *posts[:150], edited, *posts[151:]])
    archives = {p for p in rendered if re.search(r"/\d{4}/", p)}
    assert archives == {"topics/phonics/2026/11/index.html", "topics/phonics/2026/01/index.html",
                        "blogs/b0/2026/index.html", "latest/2026/11/20/index.html",
                        "latest/2026/01/24/index.html"}
    assert "Post 150, retitled" in (site / "topics/phonics/2026/01/index.html").read_text()
    assert "topics/phonics/index.html" in rendered  # front pages are rendered every time


def test_archive_pages_are_rendered_again_when_the_code_that_shapes_them_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aggregator.pages as pages

    posts = _posts(60)
    _render(tmp_path / "site", posts)
    rendered = _renders(monkeypatch)
    _render(tmp_path / "site", posts)
    assert not [p for p in rendered if re.search(r"/\d{4}/", p)]  # the same: all kept
    # A new date format, say, in ages.py or periods.py: the same data, other pages.
    monkeypatch.setattr(pages, "_code_digest", lambda: "another version of the code")
    new = replace(posts[0], guid="new", title="A brand new post",
                  published=NOW + timedelta(minutes=30))
    _render(tmp_path / "site", [new, *posts])  # (with nothing new, no page is rendered)
    archives = list((tmp_path / "site").glob("topics/phonics/*/*/index.html"))
    assert len(archives) > 3
    assert {p.relative_to(tmp_path / "site").as_posix() for p in archives} <= set(rendered)


def test_a_blog_whose_posts_all_fit_its_page_has_no_archive_repeating_them(
        tmp_path: Path) -> None:
    from aggregator.render import BLOG_PAGE_POSTS

    posts = _posts(3 * BLOG_PAGE_POSTS + 3)  # 31 posts for b0, b1 and b2, over 6 months
    small = [p for p in posts if p.feed_url != "https://b2.example/feed"][:2 * BLOG_PAGE_POSTS]
    site = _render(tmp_path / "site", small)  # b0 and b1: 30 posts each, all on their page
    for n in (0, 1):
        front = (site / f"blogs/b{n}/index.html").read_text()
        assert len(re.findall(r'class="post-title"', front)) == BLOG_PAGE_POSTS
        assert not list((site / f"blogs/b{n}").glob("*/index.html"))  # no year pages
        assert "by year" not in front
    site = _render(tmp_path / "site", posts)  # 31 each: the oldest only in the archive
    assert (site / "blogs/b0/2026/index.html").is_file()
    assert 'href="../../blogs/b0/2026/index.html">2026</a>' in (
        site / "blogs/b0/index.html").read_text()
