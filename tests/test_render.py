"""render.py on hand-made records: no network, no store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from aggregator import feeditems, syndication
from aggregator.cli import main
from aggregator.models import Blog, BuildReport, Post, Topic
from aggregator.render import SiteContent, render_site
from aggregator.syndication import Channel, Item, Outline

from .conftest import FeedServer
from .fakes import feeds_yaml
from .test_build import DAY, build, serve_three_blogs

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


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


def test_404_page_uses_absolute_links(tmp_path: Path) -> None:
    site = _render(tmp_path, _posts(3), [], [p.uid for p in _posts(3)])
    page = (site / "404.html").read_text()
    assert "<style>" in page and "assets/style.css" not in page  # works at any depth
    assert 'href="https://example.org/sub/topics/index.html"' in page


def test_a_failed_render_leaves_the_previous_site(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    site = _render(tmp_path, _posts(3), [], [])
    before = (site / "index.html").read_text()

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")
    monkeypatch.setattr(feeditems, "write_feeds", fail)  # half the pages are written by then
    with pytest.raises(OSError):
        _render(tmp_path, _posts(4), [], [])
    assert (site / "index.html").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary left behind


def test_a_dissolved_topic_keeps_its_url_and_says_where_posts_went(tmp_path: Path) -> None:
    import feedparser

    from aggregator.models import StoredTopic

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
    failing = [replace(blogs[0], last_error="http: HTTP 500", fetch_trouble="other"), *blogs[1:]]
    assert pages_key(content(failing)) != pages_key(content(blogs))  # its page shows it
    reworded = [replace(failing[0], last_error="http: HTTP 500 Disk full"), *blogs[1:]]
    assert pages_key(content(reworded)) == pages_key(content(failing))  # the kind, not the text
    edited = [replace(posts[0], title="A new title"), *posts[1:]]
    assert pages_key(replace(content(blogs), posts=edited)) != pages_key(content(blogs))


def test_feeds_and_opml_leave_out_links_that_are_not_http() -> None:
    item = Item(id="urn:uuid:1", title="T", link="javascript:alert(1)", published=NOW,
                summary="s", author="a")
    channel = Channel(title="c", description="d", self_url="https://e.org/feed.xml",
                      site_url="https://e.org/", updated=NOW)
    for writer in (syndication.rss, syndication.atom):
        assert b"javascript" not in writer(channel, [item])
    outlines = [Outline(title="bad", xml_url="file:///etc/passwd"),
                Outline(title="good", xml_url="https://e.org/feed", html_url="javascript:x")]
    opml = syndication.opml("t", outlines, created=NOW)
    assert b"passwd" not in opml and b"javascript" not in opml and b"https://e.org/feed" in opml


def test_only_web_links_and_no_bidi_controls_reach_pages_and_feeds(
        tmp_path: Path, feed_server: FeedServer) -> None:
    """Whatever the state holds (#13): a real build, then a state changed behind its back."""
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_three_blogs(feed_server)))
    assert build(tmp_path) == 0
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("UPDATE posts SET link = 'javascript:alert(1)', title = 'Hostile post' "
                   "WHERE uid = (SELECT uid FROM posts ORDER BY uid LIMIT 1)")
        db.execute("UPDATE posts SET title = 'RTL \u202egnp.exe', author = 'A\u2066B' "
                   "WHERE uid = (SELECT uid FROM posts ORDER BY uid LIMIT 1 OFFSET 1)")
        db.execute("UPDATE feeds SET site = 'javascript:alert(2)', title = 'Blog \u202dX'")
        db.execute("UPDATE diamonds SET link = 'data:text/html,x' WHERE position = 0")
        db.execute("UPDATE diamonds SET reason = 'Because \u202e' WHERE position = 1")
    db.close()
    # The same day again: no feed is fetched (--min-interval), the pages come from the state.
    assert main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                 str(tmp_path / "site"), "--state", str(tmp_path / "state.db"),
                 "--date", DAY, "--allow-private-hosts"]) == 0
    written = [p for p in (tmp_path / "site").rglob("*")
               if p.is_file() and p.suffix in (".html", ".xml", ".opml", ".json")]
    assert len(written) > 10
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "javascript:" not in text and "data:text" not in text, path
        assert not BIDI_CONTROLS.intersection(text), path
    feed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
    titles = {e.title for e in feed.entries}
    assert "Hostile post" not in titles  # a post is shown only as a link to the original
    assert "RTL gnp.exe" in titles and len(titles) == 23
    blogs = (tmp_path / "site" / "blogs" / "index.html").read_text()
    assert "Blog X" in blogs


def test_a_killed_builds_staging_folders_are_removed_by_the_next(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()  # a process id no one has now: a build killed with -9
    left = [f".site-{dead.pid}-abcd_123", f".site-old-{dead.pid}", ".site-k2j3h4l5"]
    kept = [f".site-{os.getppid()}-abcdefgh",  # a build still running beside this one
            ".site-2-backup", "site-2", ".sites"]  # not this site's staging folders
    for name in left + kept:
        (tmp_path / name / "topics").mkdir(parents=True)
        (tmp_path / name / "index.html").write_text("old")
    _render(tmp_path, _posts(3), [], [])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, "site"])
    # In a container a later build may get the killed one's pid: its old site still goes.
    (tmp_path / f".site-old-{os.getpid()}" / "x").mkdir(parents=True)
    _render(tmp_path, _posts(4), [], [])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, "site"])


def test_a_slug_that_is_not_a_folder_name_writes_nothing_outside_the_site(
        tmp_path: Path, feed_server: FeedServer) -> None:
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_three_blogs(feed_server)))
    assert build(tmp_path) == 0
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("UPDATE feeds SET slug = '../../escaped' WHERE rowid = 1")
    db.close()
    assert main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                 str(tmp_path / "site"), "--state", str(tmp_path / "state.db"),
                 "--date", DAY, "--allow-private-hosts"]) == 0
    assert not (tmp_path / "escaped").exists()
    assert len(list((tmp_path / "site" / "blogs").iterdir())) == 3  # index.html and 2 blogs
