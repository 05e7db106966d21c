"""What the state derives from posts, in tables of its own: one owner for derived data (#14).

- ``topic_texts``: what the topic model reads of each post (textclean.clean_posts), with
  the ``CLEAN_VERSION`` that cleaned it, per row: a post cleaned by another version is
  cleaned again when it still has its text, and keeps its words when it has not (a
  post restored from the published state).
- ``topics`` and ``topic_members``: every topic a build had, active or dissolved, and
  its posts as of the last build that had it, in order (slugs are never reused).
- ``topic_model``, ``model_topics``, ``model_posts``, ``model_copies``,
  ``model_related``: the topic model the last build used (its fingerprint, when and on
  how many posts it was fitted, each topic's profile, which posts it put where, its
  cross-posts and related reading), so the next build reuses it or adds new posts to it
  (topiccache.py) without clustering everything again.

Nothing here is a source of truth: every row can be computed again from the posts, so
a row that is missing or stale costs a build time, never data.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from .models import Fit, StoredTopic, Topic, TopicModel, TopicProfile
from .storebase import StoreBase, dt, ts
from .textclean import CLEAN_VERSION

# Schema 5: derived data leaves the posts' rows, the topics' JSON lists and the meta
# blobs. What schema 4 held moves over (topic texts keep the version the meta key said);
# the model blob is read into its tables in Python (adopt_meta_model).
MIGRATION = """
CREATE TABLE topic_texts (
    uid TEXT PRIMARY KEY REFERENCES posts(uid) ON DELETE CASCADE,
    version TEXT NOT NULL,             -- textclean.CLEAN_VERSION that cleaned it
    words TEXT NOT NULL                -- title and first words, cleaned
);
INSERT INTO topic_texts (uid, version, words)
    SELECT uid, COALESCE((SELECT value FROM meta WHERE key = 'topic_text_version'), ''),
           topic_text FROM posts WHERE topic_text IS NOT NULL;
ALTER TABLE posts DROP COLUMN topic_text;
DELETE FROM meta WHERE key = 'topic_text_version';
-- The text window's newest posts (poststore.past_window), found without a table scan.
CREATE INDEX posts_published ON posts(published, uid);
CREATE TABLE topic_members (
    slug TEXT NOT NULL,                -- a topics row
    position INTEGER NOT NULL,
    uid TEXT NOT NULL,                 -- not a foreign key: a dissolved topic's history
    PRIMARY KEY (slug, position)
);
INSERT INTO topic_members (slug, position, uid)
    SELECT t.slug, CAST(j.key AS INTEGER), j.value FROM topics t, json_each(t.post_uids) j;
ALTER TABLE topics DROP COLUMN post_uids;
CREATE TABLE topic_model (
    id INTEGER PRIMARY KEY,            -- 1: there is one model
    fingerprint TEXT NOT NULL,         -- topiccache.fingerprint of the posts it was made of
    fit_day TEXT,                      -- when it was fitted (NULL: not known)
    fit_posts INTEGER,                 -- on how many posts
    vocabulary TEXT NOT NULL           -- JSON {language: {term: weight}} of the profiles
);
CREATE TABLE model_topics (
    slug TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    terms TEXT NOT NULL,               -- JSON list
    language TEXT,                     -- the profile's; NULL: a shelf, never assigned to
    floor REAL,
    profile TEXT                       -- JSON {term: weight}
);
CREATE TABLE model_posts (
    slug TEXT NOT NULL,                -- a model_topics slug, or 'misc'
    position INTEGER NOT NULL,
    uid TEXT NOT NULL,
    PRIMARY KEY (slug, position)
);
CREATE TABLE model_copies (
    kept TEXT NOT NULL,                -- the cross-post shown
    position INTEGER NOT NULL,
    copy TEXT NOT NULL,                -- a copy of it on another blog, shown as "also on"
    PRIMARY KEY (kept, position)
);
CREATE TABLE model_related (
    uid TEXT NOT NULL,
    position INTEGER NOT NULL,
    other TEXT NOT NULL,               -- worth reading next
    PRIMARY KEY (uid, position)
);
"""

_MODEL_TABLES = ("topic_model", "model_topics", "model_posts", "model_copies", "model_related")
MISC = "misc"  # model_posts.slug of the posts no topic holds (models.MISC_SLUG)


class DerivedTables(StoreBase):
    """Topic texts, topics and the topic model cache."""

    # -- topic texts -----------------------------------------------------------------

    def save_topic_texts(self, texts: Mapping[str, str]) -> None:
        """Store what the topic model reads of posts (uid -> cleaned text), as cleaned now."""
        with self.transaction() as db:
            put_topic_texts(db, texts.items())

    def topic_words(self, uids: Iterable[str]) -> dict[str, str]:
        """Return the stored topic texts of ``uids`` that the model reads (uid -> words).

        The ``topic_text`` :meth:`iter_posts` gives: cleaned by this version, or by any
        for a post without its text (nothing to clean it from again). The topic stage asks
        for them a window or a blog at a time, so that a build never holds the words of
        the whole history (#14).
        """
        return dict(self._db.execute(
            "SELECT t.uid, t.words FROM topic_texts t JOIN posts p ON p.uid = t.uid "
            "WHERE t.uid IN (SELECT value FROM json_each(?)) "
            "AND (t.version = ? OR p.text = '')", (json.dumps(list(uids)), CLEAN_VERSION)))

    # -- topics ----------------------------------------------------------------------

    def topics(self) -> list[StoredTopic]:
        """Return every topic ever stored, active or dissolved."""
        members: dict[str, list[str]] = {}
        for slug, uid in self._db.execute(
                "SELECT slug, uid FROM topic_members ORDER BY slug, position"):
            members.setdefault(slug, []).append(uid)
        rows = self._db.execute("SELECT * FROM topics ORDER BY slug").fetchall()
        return [StoredTopic(slug=r["slug"], label=r["label"], terms=tuple(json.loads(r["terms"])),
                            post_uids=tuple(members.get(r["slug"], ())),
                            active=bool(r["active"]), last_seen=dt(r["last_seen"]))
                for r in rows]

    def save_topics(self, topics: Sequence[Topic], now: datetime) -> None:
        """Make ``topics`` the active set; earlier topics not among them become dissolved."""
        with self.transaction() as db:
            db.execute("UPDATE topics SET active = 0")
            for topic in topics:
                db.execute(
                    "INSERT INTO topics (slug, label, terms, first_seen, last_seen, active)"
                    " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT(slug) DO UPDATE SET"
                    " label = excluded.label, terms = excluded.terms,"
                    " last_seen = excluded.last_seen, active = 1",
                    (topic.slug, topic.label, json.dumps(list(topic.terms)), ts(now), ts(now)),
                )
                db.execute("DELETE FROM topic_members WHERE slug = ?", (topic.slug,))
                db.executemany("INSERT INTO topic_members (slug, position, uid) VALUES (?, ?, ?)",
                               ((topic.slug, i, uid) for i, uid in enumerate(topic.post_uids)))

    # -- the topic model -------------------------------------------------------------

    def topic_model(self) -> tuple[TopicModel, str] | None:
        """Return the stored topic model and its fingerprint, or None if there is none."""
        head = self._db.execute("SELECT * FROM topic_model WHERE id = 1").fetchone()
        if head is None:
            return None
        posts: dict[str, list[str]] = {}
        for slug, uid in self._db.execute(
                "SELECT slug, uid FROM model_posts ORDER BY slug, position"):
            posts.setdefault(slug, []).append(uid)
        topics: list[Topic] = []
        profiles: dict[str, TopicProfile] = {}
        for r in self._db.execute("SELECT * FROM model_topics ORDER BY position"):
            topics.append(Topic(slug=r["slug"], label=r["label"],
                                terms=tuple(json.loads(r["terms"])),
                                post_uids=tuple(posts.get(r["slug"], ()))))
            if r["profile"] is not None:
                profiles[r["slug"]] = TopicProfile(
                    language=r["language"], floor=float(r["floor"]),
                    terms={str(t): float(w) for t, w in json.loads(r["profile"]).items()})
        fit = (Fit(day=date.fromisoformat(head["fit_day"]), posts=int(head["fit_posts"]))
               if head["fit_day"] is not None else None)
        model = TopicModel(
            topics=tuple(topics), misc=tuple(posts.get(MISC, ())),
            related=_lists(self._db, "SELECT uid, other FROM model_related "
                                     "ORDER BY uid, position"),
            duplicates=_lists(self._db, "SELECT kept, copy FROM model_copies "
                                        "ORDER BY kept, position"),
            profiles=profiles,
            vocabulary={lang: {str(t): float(w) for t, w in terms.items()}
                        for lang, terms in json.loads(head["vocabulary"]).items()},
            fit=fit)
        return model, str(head["fingerprint"])

    def model_topics(self) -> list[Topic]:
        """Return the stored model's topics in its order, without their posts (a summary's)."""
        return [Topic(slug=r["slug"], label=r["label"], terms=tuple(json.loads(r["terms"])),
                      post_uids=())
                for r in self._db.execute("SELECT slug, label, terms FROM model_topics "
                                          "ORDER BY position")]

    def save_topic_model(self, model: TopicModel, fingerprint: str) -> None:
        """Make ``model`` (made of posts with ``fingerprint``) the stored topic model."""
        with self.transaction() as db:
            write_model(db, model, fingerprint)


def put_topic_texts(db: sqlite3.Connection, texts: Iterable[tuple[str, str]]) -> None:
    """Store ``(uid, cleaned words)`` pairs as cleaned by this version, inside a transaction."""
    db.executemany("INSERT INTO topic_texts (uid, version, words) VALUES (?, ?, ?) "
                   "ON CONFLICT(uid) DO UPDATE SET version = excluded.version, "
                   "words = excluded.words",
                   ((uid, CLEAN_VERSION, words) for uid, words in texts))


def forget_members(db: sqlite3.Connection) -> None:
    """Take the posts no longer stored out of every topic's history, inside a transaction.

    A blog that leaves feeds.yaml, or a hidden post, leaves nothing of itself behind:
    not even its posts' ids in a dissolved topic's list.
    """
    db.execute("DELETE FROM topic_members WHERE uid NOT IN (SELECT uid FROM posts)")


def write_model(db: sqlite3.Connection, model: TopicModel, fingerprint: str) -> None:
    """Replace the stored topic model with ``model``, inside a transaction."""
    for table in _MODEL_TABLES:
        db.execute(f"DELETE FROM {table}")
    db.execute("INSERT INTO topic_model (id, fingerprint, fit_day, fit_posts, vocabulary) "
               "VALUES (1, ?, ?, ?, ?)",
               (fingerprint, model.fit.day.isoformat() if model.fit else None,
                model.fit.posts if model.fit else None,
                json.dumps(model.vocabulary, ensure_ascii=False, sort_keys=True)))
    for position, t in enumerate(model.topics):
        p = model.profiles.get(t.slug)
        db.execute("INSERT INTO model_topics (slug, position, label, terms, language, floor,"
                   " profile) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (t.slug, position, t.label, json.dumps(list(t.terms), ensure_ascii=False),
                    p and p.language, p and p.floor,
                    p and json.dumps(dict(p.terms), ensure_ascii=False, sort_keys=True)))
    members = [(t.slug, t.post_uids) for t in model.topics] + [(MISC, model.misc)]
    db.executemany("INSERT INTO model_posts (slug, position, uid) VALUES (?, ?, ?)",
                   ((slug, i, uid) for slug, uids in members for i, uid in enumerate(uids)))
    db.executemany("INSERT INTO model_copies (kept, position, copy) VALUES (?, ?, ?)",
                   ((kept, i, copy) for kept, copies in model.duplicates.items()
                    for i, copy in enumerate(copies)))
    db.executemany("INSERT INTO model_related (uid, position, other) VALUES (?, ?, ?)",
                   ((uid, i, other) for uid, others in model.related.items()
                    for i, other in enumerate(others)))


def _lists(db: sqlite3.Connection, sql: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for key, value in db.execute(sql):
        out.setdefault(key, []).append(value)
    return {k: tuple(v) for k, v in out.items()}


def adopt_meta_model(db: sqlite3.Connection) -> None:
    """Move the topic model a schema-4 state kept as meta blobs into its tables.

    A blob this version cannot read is dropped: the next build fits the topics again
    (keeping their slugs, from the ``topics`` table), which costs time, never posts.
    """
    rows = dict(db.execute("SELECT key, value FROM meta WHERE key IN "
                           "('topics.model', 'topics.fingerprint')").fetchall())
    db.execute("BEGIN IMMEDIATE")
    try:
        if "topics.model" in rows and "topics.fingerprint" in rows:
            try:
                model = model_from_json(rows["topics.model"])
            except ValueError:
                pass
            else:
                write_model(db, model, rows["topics.fingerprint"])
        db.execute("DELETE FROM meta WHERE key IN ('topics.model', 'topics.fingerprint')")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def model_from_json(text: str) -> TopicModel:
    """Return the model schema 4 stored as JSON; raise ValueError if it is not one."""
    try:
        data = json.loads(text)
        fit = data.get("fit")
        return TopicModel(
            topics=tuple(Topic(slug=t["slug"], label=t["label"], terms=tuple(t["terms"]),
                               post_uids=tuple(t["posts"])) for t in data["topics"]),
            misc=tuple(data["misc"]),
            related={k: tuple(v) for k, v in data["related"].items()},
            duplicates={k: tuple(v) for k, v in data["duplicates"].items()},
            profiles={slug: TopicProfile(language=str(p["language"]),
                                         terms={str(t): float(w) for t, w in p["terms"].items()},
                                         floor=float(p["floor"]))
                      for slug, p in data.get("profiles", {}).items()},
            vocabulary={lang: {str(t): float(w) for t, w in terms.items()}
                        for lang, terms in data.get("vocabulary", {}).items()},
            fit=fit and Fit(day=date.fromisoformat(fit["day"]), posts=int(fit["posts"])),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise ValueError(f"not a stored topic model: {e}") from e
