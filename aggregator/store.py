"""The SQLite state: feeds, their fetch metadata, posts, topics and diamond history.

Posts live here between runs, so a feed that fails today keeps its earlier posts on
the site. Every feed's update is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``):
a build killed at any moment leaves the database as it was before or after that feed,
never in between.

:class:`Store` is one connection with one part per job, each in a module of its own:
feeds and their fetch state (feedstore.py), posts (poststore.py), the diamonds' history
(picks.py) and what is derived from posts: topic texts, topics, the topic model cache
(derived.py). This module holds the schema, its migrations and the meta table.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import derived, poststore
from .derived import DerivedTables
from .errors import StoreError
from .feedstore import FeedsTable
from .models import word_count
from .picks import PicksTable
from .poststore import PostsTable

SCHEMA_VERSION = 6

_SCHEMA = """
CREATE TABLE feeds (
    url TEXT PRIMARY KEY,              -- exactly as in feeds.yaml
    slug TEXT NOT NULL UNIQUE,         -- assigned once, so blog URLs never change
    title TEXT,
    site TEXT,
    description TEXT,
    etag TEXT,
    last_modified TEXT,
    last_fetched TEXT,
    last_success TEXT,
    last_status INTEGER,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    error_kind TEXT,                   -- FetchError.kind of the last failure: timeout, http...
    failing_since TEXT,                -- first failure after the last success
    max_age INTEGER,                   -- Cache-Control: max-age of the last answer, seconds
    redirect_target TEXT,              -- a 301/308 target seen on recent runs, not yet trusted
    redirect_count INTEGER NOT NULL DEFAULT 0,  -- runs that saw redirect_target
    redirect_first_seen TEXT,
    moved_to TEXT,                     -- trusted permanent redirect: fetched instead of url
    gone_since TEXT                    -- answered 410 Gone
);
CREATE TABLE posts (
    uid TEXT PRIMARY KEY,
    feed_url TEXT NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
    guid TEXT NOT NULL,
    link TEXT NOT NULL,
    title TEXT NOT NULL,
    author TEXT,
    published TEXT NOT NULL,
    dated INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    excerpt_html TEXT NOT NULL DEFAULT '',
    link_words INTEGER NOT NULL DEFAULT 0,  -- words in links: tells link roundups from essays
    text TEXT NOT NULL,
    language TEXT
);
CREATE INDEX posts_feed ON posts(feed_url, published);
CREATE TABLE topics (
    slug TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    terms TEXT NOT NULL,               -- JSON list
    post_uids TEXT NOT NULL,           -- JSON list, as of the last build that had this topic
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    active INTEGER NOT NULL            -- 0: dissolved; the slug is kept so it is never reused
);
CREATE TABLE diamonds (
    date TEXT NOT NULL,                -- the build date that featured it
    feed_url TEXT NOT NULL,            -- not a foreign key: history outlives a removed blog
    post_uid TEXT NOT NULL,
    topic TEXT,
    reason TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,  -- order of the picks that day
    title TEXT NOT NULL DEFAULT '',    -- title, link and blog kept so the archive outlives the post
    link TEXT NOT NULL DEFAULT '',
    blog_title TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (date, feed_url)
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


MIGRATIONS: dict[int, str] = {
    # version -> SQL that brings version-1 up to it; 1 is the initial schema.
    1: _SCHEMA,
    # Each post's word count, so a build can load only the start of long texts. Posts
    # stored before it get theirs counted in Python (Store._count_words) when it opens.
    2: "ALTER TABLE posts ADD COLUMN words INTEGER",
    # What the topic model reads of each post, cleaned when the post is read. Posts stored
    # before it are cleaned by the next build (build.clean_topic_texts).
    3: "ALTER TABLE posts ADD COLUMN topic_text TEXT",  # NULL: not cleaned yet
    # Entries of the feed that shared their link with another at the last fetch (#17).
    4: "ALTER TABLE feeds ADD COLUMN shared_links INTEGER NOT NULL DEFAULT 0",
    # Derived data in tables of its own (#14): topic texts with their cleaning version
    # per row, topic membership as rows, the topic model cache instead of meta blobs.
    5: derived.MIGRATION,
    # A count of the changes to what the site shows of posts, kept by SQLite itself, so a
    # build with nothing new can tell without reading a single post (#14).
    6: poststore.REVISION_MIGRATION,
}


def migrate(db: sqlite3.Connection, version: int, target: int) -> None:
    """Bring the database ``db`` from schema ``version`` up to ``target``."""
    for step in range(version + 1, target + 1):
        # One script, one transaction: a migration is applied whole or not at all.
        db.executescript(
            f"BEGIN IMMEDIATE; {MIGRATIONS[step]}; PRAGMA user_version = {step}; COMMIT;")


class Store(FeedsTable, PostsTable, PicksTable, DerivedTables):
    """Read and write the aggregator's state in one SQLite file (or ``":memory:"``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
            poststore.start_revision(self._db)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: cannot open the state database: {e}") from e

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def leave_wal(self) -> None:
        """Write the write-ahead log into the file and stop using one (until reopened).

        The file is then complete on its own, to be moved or copied without a ``-wal``.
        """
        self._db.execute("PRAGMA journal_mode = DELETE")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer version of the aggregator "
                             f"(schema {version}, this one knows {SCHEMA_VERSION}); upgrade it")
        migrate(self._db, version, SCHEMA_VERSION)
        if 0 < version < 2:
            self._count_words()
        if 0 < version < 5:
            derived.adopt_meta_model(self._db)

    def _count_words(self) -> None:
        """Fill in the word count of posts stored before schema 2 had one."""
        with self.transaction() as db:
            rows = db.execute("SELECT uid, text FROM posts WHERE words IS NULL").fetchall()
            db.executemany("UPDATE posts SET words = ? WHERE uid = ?",
                           ((word_count(row["text"]), row["uid"]) for row in rows))


    # -- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """Return a stored setting, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        with self.transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
