"""The published state holds what the site shows plus what the next build needs (#16).

Real builds on a local feed server, the state exported with the CLI as build.yml does,
and the export read as bytes: what anyone can download from the live site.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import feedparser

from aggregator.cli import main
from aggregator.statefile import EXPORT_NAME

from .conftest import FeedServer
from .fakes import SUBJECTS, Entry, feeds_yaml, subject_blog
from .test_build import END, serve_three_blogs
from .test_state_export import workflow_build

DEEP = "The zebrafish counted seventeen umbrellas beside the quiet archive"


def _exported(site: Path) -> bytes:
    return gzip.decompress((site / EXPORT_NAME).read_bytes())


def _build(work: Path, state: Path, out: str, day: str = "2026-11-20") -> None:
    assert main(["build", "--feeds", str(work / "feeds.yaml"), "--out", str(work / out),
                 "--state", str(state), "--date", day, "--allow-private-hosts"]) == 0


def test_the_export_holds_no_full_text_beyond_the_excerpt(
        tmp_path: Path, feed_server: FeedServer) -> None:
    long = subject_blog("essays", "library", n=2, end=END)
    body = " ".join([SUBJECTS["library"]] * 120)  # some 3,500 words
    long.entries.append(Entry(title="A very long essay", link="https://essays.example/long/",
                              published=END - timedelta(hours=3),
                              html=f"<p>{body}</p><p>{DEEP}.</p><p>{body}</p>"))
    urls = [*serve_three_blogs(feed_server), feed_server.serve("/essays.xml", long.rss())]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    workflow_build(tmp_path, "2026-11-20", None)
    state = tmp_path / "state-2026-11-20.db"
    with sqlite3.connect(state) as db:  # the build's own state has it, for its keyword rules
        assert db.execute("SELECT COUNT(*) FROM posts WHERE text LIKE ?",
                          (f"%{DEEP}%",)).fetchone()[0] == 1
    db.close()
    raw = _exported(tmp_path / "site")
    assert DEEP.encode() not in raw
    assert b"A very long essay" in raw  # what the site shows is there
    copy = tmp_path / "copy.db"
    copy.write_bytes(raw)
    with sqlite3.connect(copy) as db:
        texts = db.execute("SELECT COUNT(*) FROM posts WHERE text != ''").fetchone()[0]
        cleaned = db.execute("SELECT COUNT(*) FROM posts WHERE uid NOT IN "
                             "(SELECT uid FROM topic_texts)").fetchone()[0]
    db.close()
    assert texts == 0 and cleaned == 0  # each post keeps the topic model's words


def test_a_removed_blog_leaves_the_published_state_and_the_diamonds(
        tmp_path: Path, feed_server: FeedServer) -> None:
    urls = serve_three_blogs(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    workflow_build(tmp_path, "2026-11-20", None)
    with sqlite3.connect(tmp_path / "state-2026-11-20.db") as db:
        picked = db.execute("SELECT feed_url, title, blog_title FROM diamonds "
                            "ORDER BY position").fetchall()
        leaving = picked[0][0]
        titles = [r[0] for r in db.execute("SELECT title FROM posts WHERE feed_url = ?",
                                           (leaving,))]
        blog_title, home = db.execute("SELECT title, site FROM feeds WHERE url = ?",
                                      (leaving,)).fetchone()
    db.close()
    assert titles and picked[0][1] in titles  # it was featured: its pick is in the history
    # The blogger asks to leave: their entry is removed from feeds.yaml.
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([u for u in urls if u != leaving]))
    (tmp_path / "site").rename(tmp_path / "published")
    workflow_build(tmp_path, "2026-11-21", str(tmp_path / "published" / EXPORT_NAME))

    site = tmp_path / "site"
    raw = _exported(site)
    shown = [site / "diamonds" / "index.html", site / "diamonds.xml",
             site / "fairness" / "index.html"]
    identifying = [leaving, blog_title, home, *titles]
    for needle in identifying:
        assert needle.encode() not in raw, needle
        for page in shown:
            assert needle not in page.read_text(), (needle, page)
    with sqlite3.connect(tmp_path / "state-2026-11-21.db") as db:
        kept = {r[0] for r in db.execute("SELECT feed_url FROM diamonds")}
    db.close()
    assert kept and leaving not in kept  # the other blogs' history stays


def test_a_build_from_the_published_state_shows_the_same_pages(
        tmp_path: Path, feed_server: FeedServer) -> None:
    urls = [feed_server.serve(f"/{subject}-{i}.xml", subject_blog(
        f"{subject}{i}", subject, n=6, end=END - timedelta(hours=i)).rss())
        for subject in SUBJECTS for i in range(3)]  # topics: subjects several blogs share
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    _build(tmp_path, tmp_path / "a.db", "first")
    export = tmp_path / "state.sqlite.gz"
    assert main(["state", "export", str(export), "--state", str(tmp_path / "a.db")]) == 0
    fresh = tmp_path / "runner" / "state.db"
    assert main(["state", "restore", str(export), "--state", str(fresh), "--strict"]) == 0
    # The same date on a new runner: no feed is due again (--min-interval), so every page
    # comes from the restored state alone.
    _build(tmp_path, fresh, "second")

    def pages(out: str) -> dict[str, bytes]:
        root = tmp_path / out
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
                if p.is_file() and not p.is_relative_to(root / "pagefind")}
    first, second = pages("first"), pages("second")
    # Only what follows each fetch differs: the feeds were fetched by the first build and
    # found not yet due by the second (build.json's outcomes).
    differ = sorted(path for path in first.keys() | second.keys()
                    if first.get(path) != second.get(path))
    assert differ == ["data/build.json"]
    topic_pages = [p for p in first if p.startswith("topics/") and p.count("/") == 2
                   and not p.startswith("topics/misc/")]
    assert len(first) > 30 and "topics/index.html" not in topic_pages and topic_pages
    one, two = (json.loads(p["data/build.json"])
                for p in (first, second))
    for record in (one, two):
        del record["feeds"], record["summary"]
    assert one == two


def test_a_keyword_rule_added_later_still_finds_a_restored_posts_words(
        tmp_path: Path, feed_server: FeedServer) -> None:
    blog = subject_blog("trips", "maths", n=3, end=END)
    for i, entry in enumerate(blog.entries):
        entry.title = f"Trip {i}"
        spam = "Win big at the casino tonight." if i == 1 else ""
        entry.html = (f"<p>Our class trip number {i} went to the museum by coach, and the "
                      f"children sketched fossils and wrote postcards home. {spam}</p>")
    urls = [*serve_three_blogs(feed_server), feed_server.serve("/spam.xml", blog.rss())]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    _build(tmp_path, tmp_path / "a.db", "first")
    export = tmp_path / "state.sqlite.gz"
    assert main(["state", "export", str(export), "--state", str(tmp_path / "a.db")]) == 0
    fresh = tmp_path / "runner" / "state.db"
    assert main(["state", "restore", str(export), "--state", str(fresh), "--strict"]) == 0
    # A maintainer excludes the word; the feed is not fetched again (not due yet), so the
    # rule has only the restored post's words to go by.
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls, exclude="[casino]"))
    _build(tmp_path, fresh, "second")
    titles = {e.title for e in feedparser.parse(
        (tmp_path / "second" / "feed.xml").read_bytes()).entries}
    assert "Trip 0" in titles and "Trip 1" not in titles
