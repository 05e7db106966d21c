"""Derived data in tables of its own, and texts kept only while something reads them (#14)."""

from __future__ import annotations

import gzip
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator import topiccache
from aggregator.build import apply_feed_rules
from aggregator.models import Feed, Fit, Post, TextWindow, Topic, TopicModel, TopicProfile
from aggregator.statefile import EXPORT_NAME
from aggregator.store import SCHEMA_VERSION, Store, migrate

from .conftest import FeedServer, serve_dir
from .fakes import feeds_yaml
from .test_build import serve_subjects
from .test_state_export import workflow_build

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
FEED = "https://a.example/feed"


def _post(n: int, *, days_old: int = 0, text: str = "some words of the post") -> Post:
    return Post(feed_url=FEED, guid=f"g{n}", link=f"https://a.example/{n}/",
                title=f"Post {n}", published=NOW - timedelta(days=days_old, minutes=n),
                excerpt=f"excerpt {n}", excerpt_html=f"<p>excerpt {n}</p>", text=text,
                topic_text=f"post {n} words")


def _schema_4_state(path: Path) -> dict[str, str]:
    """Write a state as schema 4 left it (today's released layout); return its post uids."""
    model = {"topics": [{"slug": "reading", "label": "Reading", "terms": ["reading"],
                         "posts": ["u1"]}],
             "misc": ["u2"], "related": {"u1": ["u2"]}, "duplicates": {},
             "profiles": {"reading": {"language": "en", "terms": {"reading": 0.5},
                                      "floor": 0.25}},
             "vocabulary": {"en": {"reading": 1.5}}, "fit": {"day": "2026-11-19", "posts": 2}}
    db = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(db, 0, 4)
        ts = NOW.isoformat()
        db.execute("INSERT INTO feeds (url, slug, first_seen) VALUES (?, 'a', ?)", (FEED, ts))
        for uid, topic_text in (("u1", "reading words"), ("u2", None)):
            db.execute("INSERT INTO posts (uid, feed_url, guid, link, title, published, dated,"
                       " first_seen, excerpt, text, words, topic_text) VALUES (?, ?, ?, ?, 't',"
                       " ?, 1, ?, 'e', 'the text', 2, ?)",
                       (uid, FEED, uid, f"https://a.example/{uid}/", ts, ts, topic_text))
        db.execute("INSERT INTO topics (slug, label, terms, post_uids, first_seen, last_seen,"
                   " active) VALUES ('reading', 'Reading', '[\"reading\"]', '[\"u1\"]', ?, ?, 1)",
                   (ts, ts))
        db.execute("INSERT INTO topics (slug, label, terms, post_uids, first_seen, last_seen,"
                   " active) VALUES ('old', 'Old', '[\"old\"]', '[\"u2\", \"u1\"]', ?, ?, 0)",
                   (ts, ts))
        db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
            ("topics.model", json.dumps(model)), ("topics.fingerprint", "abc"),
            ("topic_text_version", "1")])
    finally:
        db.close()
    return {"u1": "reading words"}


def test_a_schema_4_state_keeps_its_derived_data_in_tables(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    _schema_4_state(path)
    with Store(path) as store:
        assert {p.guid: p.topic_text for p in store.posts()} == {"u1": "reading words",
                                                                "u2": None}
        assert [(t.slug, t.post_uids, t.active) for t in store.topics()] == [
            ("old", ("u2", "u1"), False), ("reading", ("u1",), True)]
        stored = store.topic_model()
        assert stored == (TopicModel(
            topics=(Topic("reading", "Reading", ("reading",), ("u1",)),), misc=("u2",),
            related={"u1": ("u2",)}, duplicates={},
            profiles={"reading": TopicProfile("en", {"reading": 0.5}, 0.25)},
            vocabulary={"en": {"reading": 1.5}}, fit=Fit(NOW.date() - timedelta(days=1), 2)),
            "abc")
        assert store.get_meta("topics.model") is None  # no blob is left behind
        assert store.get_meta("topic_text_version") is None
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        columns = {r[1] for r in db.execute("PRAGMA table_info(posts)")}
        assert "topic_text" not in columns and "text" in columns
        assert db.execute("SELECT uid, version FROM topic_texts").fetchall() == [("u1", "1")]
    finally:
        db.close()


def test_a_stored_model_is_read_back_whole(tmp_path: Path) -> None:
    model = TopicModel(
        topics=(Topic("b-topic", "B", ("b", "bee"), ("u3", "u1")),
                Topic("a-topic", "A", ("a",), ("u2",))),
        misc=("u4",), related={"u1": ("u2", "u3")}, duplicates={"u1": ("u5", "u6")},
        profiles={"b-topic": TopicProfile("en", {"b": 0.4, "bee": 0.1}, 0.0)},
        vocabulary={"en": {"b": 1.0}}, fit=None)
    with Store(tmp_path / "state.db") as store:
        assert store.topic_model() is None
        store.save_topic_model(model, "f1")
        assert store.topic_model() == (model, "f1")
        store.save_topic_model(TopicModel(topics=(), misc=()), "f2")
        assert store.topic_model() == (TopicModel(topics=(), misc=()), "f2")


def test_texts_past_the_window_are_retired_and_the_rest_kept(tmp_path: Path) -> None:
    posts = [_post(n, days_old=n) for n in range(8)]  # one a day, newest first
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([Feed(url=FEED)], NOW)
        store.record_success(FEED, now=NOW, status=200, etag=None, last_modified=None,
                             posts=posts)
        # The 3 newest, and any post of the last 5 days.
        assert store.retire_texts(TextWindow(posts=3, days=5), NOW) == 3
        by_guid = {p.guid: p for p in store.posts()}
        for n in range(5):
            p = by_guid[f"g{n}"]
            assert (p.text, p.excerpt, p.topic_text) == (
                "some words of the post", f"excerpt {n}", f"post {n} words")
        for n in range(5, 8):
            p = by_guid[f"g{n}"]
            assert (p.text, p.excerpt, p.excerpt_html, p.topic_text) == ("", "", "", None)
            assert (p.title, p.link, p.words) == (f"Post {n}", f"https://a.example/{n}/", 5)
        assert store.retire_texts(TextWindow(posts=3, days=5), NOW) == 0  # nothing twice


def test_keyword_rules_on_retired_posts_match_what_they_keep(tmp_path: Path) -> None:
    """``include`` is not asked again of a post without its text; ``exclude`` still is."""
    posts = [_post(0, text="about fractions"), _post(1, text="about fractions"),
             _post(2, days_old=30, text="about fractions"),
             replace(_post(3, days_old=31, text="about fractions"), title="Post 3 casino")]
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([Feed(url=FEED)], NOW)
        store.record_success(FEED, now=NOW, status=200, etag=None, last_modified=None,
                             posts=posts)
        store.retire_texts(TextWindow(posts=2, days=7), NOW)
        kept = apply_feed_rules(store, [Feed(url=FEED, include=("fractions",),
                                             exclude=("casino",))], store.posts())
        assert sorted(p.guid for p in kept) == ["g0", "g1", "g2"]
        assert sorted(p.guid for p in store.posts()) == ["g0", "g1", "g2"]  # g3 deleted


@pytest.fixture
def small_window(monkeypatch: pytest.MonkeyPatch) -> TextWindow:
    """Make the text window the newest 20 posts and the build's day."""
    window = TextWindow(posts=20, days=1)
    monkeypatch.setattr(topiccache, "text_window", lambda *args, **kwargs: window)
    return window


def test_old_posts_lose_their_text_but_keep_their_topic_and_blog(
        tmp_path: Path, feed_server: FeedServer, small_window: TextWindow) -> None:
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_subjects(feed_server)))
    workflow_build(tmp_path, "2026-11-20", None)
    state = tmp_path / "state-2026-11-20.db"
    with Store(state) as store:
        posts = store.posts()
        old = [p for p in posts if not p.text]
        assert len(posts) == 54 and len(old) == 54 - 20  # none of the last day is older
        assert all(p.excerpt == p.excerpt_html == "" and p.topic_text is None for p in old)
    links = {p.link for p in old}
    first = {link: slug for link, slug in _topic_of(tmp_path / "site").items() if link in links}
    assert len(first) > 20  # most are in a topic, not in misc
    export = gzip.decompress((tmp_path / "site" / EXPORT_NAME).read_bytes())
    copy = tmp_path / "copy.db"
    copy.write_bytes(export)
    db = sqlite3.connect(copy)
    try:  # past the window the export holds what lists a post, and no words of it
        assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 54
        assert db.execute("SELECT COUNT(*) FROM posts WHERE excerpt != ''").fetchone()[0] == 20
        assert db.execute("SELECT COUNT(*) FROM posts WHERE text != ''").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM topic_texts").fetchone()[0] == 20
    finally:
        db.close()

    # The next run restores the published state; the feeds send the old posts again.
    published = tmp_path / "published"
    (tmp_path / "site").rename(published)
    with serve_dir(published) as base:
        workflow_build(tmp_path, "2026-11-21", base + EXPORT_NAME)
    second = _topic_of(tmp_path / "site")
    assert {link: second.get(link) for link in first} == first  # still on their topics
    with Store(tmp_path / "state-2026-11-21.db") as store:
        again = {p.uid: p for p in store.posts()}
        assert all(again[p.uid].text == "" and again[p.uid].topic_text is None for p in old)
        slug = store.feed_states()[old[0].feed_url].slug
    blog_page = (tmp_path / "site" / "blogs" / slug / "index.html").read_text()
    assert old[0].link in blog_page  # and on their blog's page


def _topic_of(site: Path) -> dict[str, str]:
    """Return the topic of each post link in a site's build.json."""
    topics = json.loads((site / "data" / "build.json").read_text())["topics"]
    return {link: t["slug"] for t in topics for link in t["posts"]}


PURE = ("topics", "topiccache", "assign", "diamonds", "fairness", "surprise", "guard",
        "consensus", "similar", "termspace", "vocabulary", "textclean", "windows")


@pytest.mark.parametrize("module", PURE)
def test_stages_take_their_records_from_models_not_from_the_store(module: str) -> None:
    """A pure stage is handed records (models.py): it never imports the SQLite modules."""
    import ast

    import aggregator

    source = Path(aggregator.__file__).parent / f"{module}.py"
    imported = {node.module for node in ast.walk(ast.parse(source.read_text()))
                if isinstance(node, ast.ImportFrom) and node.module}
    store_modules = {"store", "storebase", "feedstore", "poststore", "picks", "derived"}
    assert not imported & store_modules, f"{module} imports {imported & store_modules}"


def test_a_blog_that_leaves_leaves_no_post_in_any_topics_history(tmp_path: Path) -> None:
    other = "https://b.example/feed"
    posts = [_post(1), replace(_post(2), feed_url=other)]
    with Store(tmp_path / "state.db") as store:
        store.sync_feeds([Feed(url=FEED), Feed(url=other)], NOW)
        for p in posts:
            store.record_success(p.feed_url, now=NOW, status=200, etag=None,
                                 last_modified=None, posts=[p])
        store.save_topics([Topic("t", "T", ("t",), tuple(p.uid for p in posts))], NOW)
        store.save_topics([], NOW)  # dissolved: its list is its history
        store.sync_feeds([Feed(url=FEED)], NOW)
        assert [t.post_uids for t in store.topics()] == [(posts[0].uid,)]
        store.delete_posts([posts[0].uid])  # hidden in feeds.yaml
        assert [t.post_uids for t in store.topics()] == [()]
