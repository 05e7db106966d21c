"""A build costs what changed: nothing read for a warm build, posts streamed (#14)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from aggregator import poststore
from aggregator.models import Post
from aggregator.store import Store

from .conftest import FeedServer
from .fakes import Entry, feeds_yaml, subject_blog
from .test_build import END, build, serve_subjects

# What a build writes whatever changed: what the fetch did, and the record of the build.
EVERY_BUILD = {"status/index.html", "data/build.json"}


def files_of(site: Path) -> dict[str, tuple[int, int]]:
    """Return each file of ``site``: its inode and mtime (a file kept keeps both)."""
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in site.rglob("*") if p.is_file()}


def count_posts_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return a list that gets the uid of every post the store reads back as a ``Post``."""
    read: list[str] = []
    make = poststore._post

    def spy(row: object) -> Post:
        post = make(row)  # type: ignore[arg-type]
        read.append(post.uid)
        return post

    monkeypatch.setattr(poststore, "_post", spy)
    return read


def test_a_warm_build_reads_no_post_and_rewrites_only_the_status(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_subjects(feed_server)))
    assert build(tmp_path) == 0
    site = tmp_path / "site"
    before, listed = files_of(site), json.loads((site / "data" / "build.json").read_text())

    read = count_posts_read(monkeypatch)
    assert build(tmp_path) == 0  # the same day; every feed answers 304
    assert read == []  # not one post loaded: nothing could have changed
    after = files_of(site)
    assert after.keys() == before.keys()
    assert "data/build.json" in {p for p in after if after[p] != before[p]} <= EVERY_BUILD
    data = json.loads((site / "data" / "build.json").read_text())
    assert {f["outcome"] for f in data["feeds"]} == {"not_modified"}
    for section in ("topics", "misc", "diamonds", "pages_key"):  # as the pages show them
        assert data[section] == listed[section]
    assert data["summary"] == {**listed["summary"], "feeds_ok": 0, "new_posts": 0,
                               "feeds_not_modified": len(data["feeds"])}


def test_an_edited_post_is_read_and_shown_by_the_next_build(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same day, no new post, but one changed its title: its pages are written again."""
    urls = serve_subjects(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    assert build(tmp_path) == 0
    doc = subject_blog("edited", "phonics", n=6, end=END)
    path = urls[0].rsplit("/", 1)[1]
    feed_server.serve(f"/{path}", doc.rss())  # new bytes, so a new ETag: answered 200
    assert build(tmp_path) == 0

    doc.entries[0] = Entry("A title put right", doc.entries[0].link, doc.entries[0].published,
                           html=doc.entries[0].html)
    feed_server.serve(f"/{path}", doc.rss())
    read = count_posts_read(monkeypatch)
    assert build(tmp_path) == 0
    assert read  # the posts were read: one of them changed
    assert "A title put right" in (tmp_path / "site" / "latest" / "index.html").read_text()


def test_the_revision_counts_changes_to_posts_not_the_same_post_sent_again(
        tmp_path: Path) -> None:
    day = END + timedelta(days=1)
    post = Post(feed_url="https://a.example/feed", guid="1", link="https://a.example/1",
                title="One", published=END, excerpt="Hello.", text="Hello there.",
                topic_text="one hello")
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([], day)
        start = store.revision()

        def fetched(*posts: Post) -> int:
            store.record_success(post.feed_url, now=day, status=200, etag=None,
                                 last_modified=None, posts=posts)
            return store.revision()

        from aggregator.models import Feed

        store.sync_feeds([Feed(url=post.feed_url)], day)
        added = fetched(post)
        assert added > start
        assert fetched(post) == added  # sent again as it was: nothing changed
        edited = fetched(Post(**{**_fields(post), "title": "One, edited"}))
        assert edited > added
        store.delete_posts([post.uid])
        assert store.revision() > edited
    with Store(tmp_path / "state.db") as store:  # kept in the state
        assert store.revision() > edited


def _fields(post: Post) -> dict[str, object]:
    return {name: getattr(post, name) for name in (
        "feed_url", "guid", "link", "title", "published", "excerpt", "text", "author",
        "dated", "language", "first_seen", "excerpt_html", "link_words", "words",
        "topic_text")}


def test_a_post_fit_to_show_is_kept_as_it_is_by_the_guard() -> None:
    """Not copied: a build of 100,000 posts held two records of each, and spent 4.8 s."""
    from dataclasses import replace

    from aggregator import guard

    post = Post(feed_url="https://a.example/feed", guid="1", link="https://a.example/1?x=2",
                title="One", published=END, excerpt="Hello.", text="", author="Ann")
    assert guard.post(post) is post
    reordered = guard.post(replace(post, title="RTL \u202egnp.exe"))
    assert reordered is not None and reordered.title == "RTL gnp.exe"
    assert guard.post(replace(post, link="javascript:alert(1)")) is None
    assert guard.post(replace(post, link="https://a.example/\\evil")) is None
    odd = replace(post, link="https://é.example/1")  # not the plain shape: parsed, kept
    assert guard.post(odd) == odd
