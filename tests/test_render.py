"""render.py on hand-made records: no network, no store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from aggregator.models import Blog, BuildReport, Post, Topic
from aggregator.render import SiteContent, render_site

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _blog(n: int) -> Blog:
    return Blog(url=f"https://b{n}.example/feed", slug=f"b{n}", title=f"Blog {n}",
                site=f"https://b{n}.example/", author=None, description=None, tags=(),
                language="en", added=None, last_success=NOW, last_error=None,
                consecutive_failures=0)


def _posts(count: int) -> list[Post]:
    return [Post(feed_url=f"https://b{i % 3}.example/feed", guid=f"g{i}",
                 link=f"https://b{i % 3}.example/{i}/", title=f"Post {i}",
                 published=NOW - timedelta(hours=i), excerpt=f"Excerpt {i}.", text="words")
            for i in range(count)]


def _render(tmp_path: Path, posts: list[Post], topics: list[Topic], misc: list[str],
            base: str = "https://example.org/sub/") -> Path:
    content = SiteContent(today=date(2026, 11, 20), generated=NOW, seed=1, base_url=base,
                          blogs=[_blog(i) for i in range(3)], posts=posts, topics=topics,
                          misc=misc, diamonds=[])
    report = BuildReport(date=date(2026, 11, 20), seed=1, feeds=(), topics=tuple(topics),
                         diamonds=(), new_posts=0, total_posts=len(posts), seconds=0.0,
                         out_dir=str(tmp_path / "site"))
    render_site(content, report, tmp_path / "site")
    return tmp_path / "site"


def test_long_topics_paginate(tmp_path: Path) -> None:
    posts = _posts(65)
    topic = Topic(slug="phonics", label="Phonics", terms=("phonics",),
                  post_uids=tuple(p.uid for p in posts))
    site = _render(tmp_path, posts, [topic], [])
    pages = [site / "topics/phonics/index.html", site / "topics/phonics/page/2/index.html",
             site / "topics/phonics/page/3/index.html"]
    assert all(p.is_file() for p in pages)
    assert not (site / "topics/phonics/page/4").exists()
    first, second, third = (p.read_text() for p in pages)
    assert "Post 0<" in first and "Post 29<" in first and "Post 30<" not in first
    assert "Post 30<" in second and "Post 64<" in third
    assert 'href="../../../../topics/phonics/page/3/index.html" rel="next"' in second
    assert 'href="../../../../topics/phonics/index.html" rel="prev"' in second
    assert "page 2 of 3" in second


def test_404_page_uses_absolute_links(tmp_path: Path) -> None:
    site = _render(tmp_path, _posts(3), [], [p.uid for p in _posts(3)])
    page = (site / "404.html").read_text()
    assert "<style>" in page and "assets/style.css" not in page  # works at any depth
    assert 'href="https://example.org/sub/topics/index.html"' in page


def test_a_failed_render_leaves_the_previous_site(tmp_path: Path) -> None:
    site = _render(tmp_path, _posts(3), [], [])
    before = (site / "index.html").read_text()
    broken = _posts(3) + [Post(feed_url="https://unknown.example/feed", guid="x",
                               link="https://unknown.example/x", title="Orphan",
                               published=NOW, excerpt="", text="")]
    try:
        _render(tmp_path, broken, [], [])  # a post whose blog is unknown: render fails
    except KeyError:
        pass
    else:
        raise AssertionError("expected the render to fail")
    assert (site / "index.html").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary left behind


def test_a_dissolved_topic_keeps_its_url_and_says_where_posts_went(tmp_path: Path) -> None:
    import feedparser

    from aggregator.store import StoredTopic

    posts = _posts(6)
    now_topics = [Topic(slug="reading", label="Reading", terms=("reading",),
                        post_uids=tuple(p.uid for p in posts[:4])),
                  Topic(slug="maths", label="Maths", terms=("maths",),
                        post_uids=tuple(p.uid for p in posts[4:]))]
    old = StoredTopic(slug="phonics", label="Phonics", terms=("phonics",),
                      post_uids=tuple(p.uid for p in posts[:3]), active=False,
                      last_seen=NOW - timedelta(days=3))
    content = SiteContent(today=date(2026, 11, 20), generated=NOW, seed=1,
                          base_url="https://example.org/", blogs=[_blog(i) for i in range(3)],
                          posts=posts, topics=now_topics, misc=[], diamonds=[],
                          dissolved=[old])
    report = BuildReport(date=date(2026, 11, 20), seed=1, feeds=(), topics=tuple(now_topics),
                         diamonds=(), new_posts=0, total_posts=6, seconds=0.0, out_dir="site")
    render_site(content, report, tmp_path / "site")

    page = (tmp_path / "site/topics/phonics/index.html").read_text()
    assert "has ended" in page
    assert 'href="../../topics/reading/index.html">Reading</a>' in page
    assert "(3 of its posts)" in page
    feed = feedparser.parse((tmp_path / "site/topics/phonics/feed.xml").read_bytes())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["The topic “Phonics” has ended"]
    assert "Reading" in feed.entries[0].summary
    assert feed.entries[0].link == "https://example.org/topics/phonics/index.html"


def test_the_pages_key_ignores_what_changes_at_every_fetch() -> None:
    from dataclasses import replace

    from aggregator.diamonds import DiamondSettings
    from aggregator.fairness import build_ledger
    from aggregator.render import pages_key

    posts = _posts(6)

    def content(blogs: list[Blog]) -> SiteContent:
        ledger = build_ledger(blogs, posts, [], today=date(2026, 11, 20),
                              settings=DiamondSettings())
        return SiteContent(today=date(2026, 11, 20), generated=NOW, seed=1,
                           base_url="https://example.org/", blogs=blogs, posts=posts,
                           topics=[], misc=[p.uid for p in posts], diamonds=[], ledger=ledger)

    blogs = [_blog(i) for i in range(3)]
    later = [replace(b, last_success=NOW + timedelta(hours=6), consecutive_failures=2)
             for b in blogs]
    assert pages_key(content(blogs)) == pages_key(replace(content(later),
                                                          generated=NOW + timedelta(hours=6)))
    failing = [replace(blogs[0], last_error="http: HTTP 500"), *blogs[1:]]
    assert pages_key(content(failing)) != pages_key(content(blogs))  # its page shows it
    edited = [replace(posts[0], title="A new title"), *posts[1:]]
    assert pages_key(replace(content(blogs), posts=edited)) != pages_key(content(blogs))
