"""store.py: schema migrations and what a build loads."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator import poststore
from aggregator.errors import StoreError
from aggregator.models import Diamond, Feed, Post
from aggregator.store import MIGRATIONS, SCHEMA_VERSION, Store

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
TEXT = " ".join(f"word{i}" for i in range(3000))  # ~26,000 characters


def _post(n: int) -> Post:
    return Post(feed_url="https://a.example/feed", guid=f"g{n}", link=f"https://a.example/{n}/",
                title=f"Post {n}", published=NOW, excerpt="", text=TEXT)


def test_a_version_1_database_is_migrated_and_its_posts_counted(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:  # as a build before schema 2 left it
        db.executescript(MIGRATIONS[1] + "; PRAGMA user_version = 1;")
        db.execute("INSERT INTO feeds (url, slug, first_seen) VALUES "
                   "('https://a.example/feed', 'a', ?)", (NOW.isoformat(),))
        db.execute("INSERT INTO posts (uid, feed_url, guid, link, title, published, dated,"
                   " first_seen, excerpt, text) VALUES ('u1', 'https://a.example/feed', 'g', "
                   "'https://a.example/1/', 't', ?, 1, ?, '', ?)",
                   (NOW.isoformat(), NOW.isoformat(), "one two three"))
    with Store(path) as store:
        (post,) = store.posts()
        assert post.words == 3
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        assert db.execute("SELECT words FROM posts").fetchone()[0] == 3  # stored, not recounted
        # Not cleaned for the topic model yet: a build loads its text to clean it.
        assert db.execute("SELECT COUNT(*) FROM topic_texts").fetchone()[0] == 0
    with Store(path) as store:
        (post,) = store.posts(text_if_unclean=True)
        assert post.text == "one two three" and post.topic_text is None


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer version"):
        Store(path).__enter__()


def test_posts_can_be_loaded_with_the_start_of_their_text(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([Feed(url="https://a.example/feed")], NOW)
        store.record_success("https://a.example/feed", now=NOW, status=200, etag=None,
                             last_modified=None, title="A", site=None, description=None,
                             posts=[_post(1)])
        (whole,) = store.posts()
        (start,) = store.posts(text_chars=4000)
    assert whole.text == TEXT and start.text == TEXT[:4000]
    assert whole.words == start.words == 3000  # the count is of the whole text


def test_a_build_loads_texts_only_for_posts_not_yet_cleaned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cleaned = replace(_post(1), topic_text="post word0 word1")
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([Feed(url="https://a.example/feed")], NOW)
        store.record_success("https://a.example/feed", now=NOW, status=200, etag=None,
                             last_modified=None, posts=[cleaned, _post(2)])
        loaded = {p.guid: p for p in store.posts(text_chars=100, text_if_unclean=True)}
        assert loaded["g1"].text == "" and loaded["g1"].topic_text == "post word0 word1"
        assert loaded["g2"].text == TEXT[:100] and loaded["g2"].topic_text is None
        store.save_topic_texts({loaded["g2"].uid: "post two"})
        assert {p.guid: p.topic_text for p in store.posts()} == {
            "g1": "post word0 word1", "g2": "post two"}
        monkeypatch.setattr(poststore, "CLEAN_VERSION", "next")  # the cleaning changed
        assert {p.topic_text for p in store.posts()} == {None}


def test_a_post_restored_without_its_text_keeps_its_topic_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The published state has no full text (#16): what the next build reads instead."""
    restored = replace(_post(1), text="", topic_text="post casino word1")
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([Feed(url="https://a.example/feed")], NOW)
        store.record_success("https://a.example/feed", now=NOW, status=200, etag=None,
                             last_modified=None, posts=[restored, _post(2)])
        # Read whole (feeds.yaml's keyword rules), its text is its topic words.
        assert {p.guid: p.text for p in store.posts()} == {"g1": "post casino word1",
                                                           "g2": TEXT}
        # The cleaning changed: it has nothing to be cleaned again from, so it keeps them.
        monkeypatch.setattr(poststore, "CLEAN_VERSION", "next")
        assert {p.guid: p.topic_text for p in store.posts()} == {"g1": "post casino word1",
                                                                 "g2": None}


def test_a_blog_removed_from_the_list_takes_its_diamond_picks(tmp_path: Path) -> None:
    a, b = Feed(url="https://a.example/feed"), Feed(url="https://b.example/feed")
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([a, b], NOW)
        posts = [_post(1), replace(_post(2), feed_url=b.url)]
        store.record_success(a.url, now=NOW, status=200, etag=None, last_modified=None,
                             posts=posts[:1])
        store.record_success(b.url, now=NOW, status=200, etag=None, last_modified=None,
                             posts=posts[1:])
        store.record_diamonds(NOW.date(), [Diamond(p.uid, p.feed_url, None, "why")
                                           for p in posts], posts={p.uid: p for p in posts})
        store.sync_feeds([b], NOW)
        assert [(f.feed_url, f.title) for f in store.features()] == [(b.url, "Post 2")]


def test_posts_stream_and_share_their_blogs_strings(tmp_path: Path) -> None:
    """A build reads every post: one at a time if it wants, one feed URL per blog (#14)."""
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([Feed(url="https://a.example/feed")], NOW)
        store.record_success("https://a.example/feed", now=NOW, status=200, etag=None,
                             last_modified=None, posts=[_post(1), _post(2)])
        stream = store.iter_posts()
        first = next(stream)
        assert [first, *stream] == store.posts()
        a, b = store.posts()
        assert a.feed_url is b.feed_url and a.first_seen is b.first_seen
