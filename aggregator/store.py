"""The SQLite state: feeds, their fetch metadata, posts, topics and diamond history.

Posts live here between runs, so a feed that fails today keeps its earlier posts on
the site. Every feed's update is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``):
a build killed at any moment leaves the database as it was before or after that feed,
never in between.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from .errors import StoreError
from .models import Diamond, Feed, FeedState, Post, Topic, word_count

# Records live in models.py; these two are re-exported while modules move their imports.
from .models import Feature as Feature
from .models import StoredTopic as StoredTopic
from .slugs import blog_slug_base, slugify, unique_slug

SCHEMA_VERSION = 4

# A permanent redirect is trusted (the new URL fetched directly, and maintainers told)
# once the same target was seen on this many runs spanning at least this long: a single
# 301 is often a misconfiguration that the blog's owner undoes the next day.
REDIRECT_TRUST_RUNS = 3
REDIRECT_TRUST_SPAN = timedelta(days=2)

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
}


def migrate(db: sqlite3.Connection, version: int, target: int) -> None:
    """Bring the database ``db`` from schema ``version`` up to ``target``."""
    for step in range(version + 1, target + 1):
        # One script, one transaction: a migration is applied whole or not at all.
        db.executescript(
            f"BEGIN IMMEDIATE; {MIGRATIONS[step]}; PRAGMA user_version = {step}; COMMIT;")


class Store:
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

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block as one transaction: all of it is written, or none."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: {e}") from e
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as e:
                raise StoreError(f"{self.path}: {e}") from e

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer version of the aggregator "
                             f"(schema {version}, this one knows {SCHEMA_VERSION}); upgrade it")
        migrate(self._db, version, SCHEMA_VERSION)
        if 0 < version < 2:
            self._count_words()

    def _count_words(self) -> None:
        """Fill in the word count of posts stored before schema 2 had one."""
        with self.transaction() as db:
            rows = db.execute("SELECT uid, text FROM posts WHERE words IS NULL").fetchall()
            db.executemany("UPDATE posts SET words = ? WHERE uid = ?",
                           ((word_count(row["text"]), row["uid"]) for row in rows))

    # -- feeds -----------------------------------------------------------------------

    def feed_states(self) -> dict[str, FeedState]:
        """Return the stored state of every known feed, by feeds.yaml URL."""
        rows = self._db.execute("SELECT * FROM feeds").fetchall()
        return {row["url"]: _feed_state(row) for row in rows}

    def sync_feeds(self, feeds: Sequence[Feed], now: datetime) -> dict[str, FeedState]:
        """Register new feeds (giving each a slug) and forget feeds no longer listed.

        A blog removed from feeds.yaml is dropped with all its posts and diamond picks: a
        blogger who asks to leave is gone from the next build, its published state
        included. Return the state of every listed feed.
        """
        wanted = {feed.url for feed in feeds}
        with self.transaction() as db:
            known = {row[0]: row[1] for row in db.execute("SELECT url, slug FROM feeds")}
            for url in set(known) - wanted:
                db.execute("DELETE FROM feeds WHERE url = ?", (url,))
                # Its diamond picks go too (titles, links, its name): they are published
                # in the archive, diamonds.xml and the state export (#16). Only how many
                # there were each day is kept, so the ledger's totals stay honest (#15).
                _withdraw_picks(db, "feed_url = ?", (url,))
            taken = {slug for url, slug in known.items() if url in wanted}
            for feed in feeds:
                if feed.url in known:
                    continue
                slug = unique_slug(blog_slug_base(feed), taken)
                taken.add(slug)
                db.execute("INSERT INTO feeds (url, slug, title, site, first_seen) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (feed.url, slug, feed.title, feed.site, _ts(now)))
        states = self.feed_states()
        return {feed.url: states[feed.url] for feed in feeds}

    def has_posts(self) -> bool:
        """Return whether any post is stored (False on a site's very first build)."""
        return self._db.execute("SELECT 1 FROM posts LIMIT 1").fetchone() is not None

    def record_success(
        self,
        url: str,
        *,
        now: datetime,
        status: int,
        etag: str | None,
        last_modified: str | None,
        title: str | None = None,
        site: str | None = None,
        description: str | None = None,
        posts: Iterable[Post] = (),
        max_age: int | None = None,
        moved_to: str | None = None,
        shared_links: int = 0,
        merged_guids: Sequence[str] = (),
        slug_names: Sequence[str] = (),
    ) -> int:
        """Store a successful fetch of ``url`` and its posts in one transaction.

        A post already stored (same feed and entry id) is updated in place, never
        duplicated, and keeps its first-seen time. ``moved_to`` is where 301/308
        redirects led this time (see :meth:`_note_redirect`). ``shared_links`` counts the
        entries whose link another entry has; ``merged_guids`` are the ids that several
        entries once shared: the one post stored under each is replaced by the entries'
        own (parse.py tells them apart). ``slug_names``, for a blog listed without a
        title, are what its slug may come from at its first success, best first (its
        feed's title, its site's host: :func:`_settle_slug`). Return how many posts were
        new.
        """
        posts = list(posts)
        with self.transaction() as db:
            if slug_names:
                _settle_slug(db, url, slug_names)
            db.executemany("DELETE FROM posts WHERE feed_url = ? AND guid = ?",
                           ((url, guid) for guid in merged_guids))
            existing = {row[0] for row in db.execute("SELECT uid FROM posts WHERE feed_url = ?",
                                                     (url,))}
            new = len({p.uid for p in posts} - existing)
            db.executemany(_UPSERT_POST, [(
                post.uid, url, post.guid, post.link, post.title, post.author,
                _ts(post.published), int(post.dated), _ts(now), post.excerpt, post.text,
                post.language, post.excerpt_html, post.link_words, post.words, post.topic_text,
            ) for post in posts])
            db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_fetched = ?, last_success = ?,"
                " last_status = ?, last_error = NULL, consecutive_failures = 0,"
                " error_kind = NULL, failing_since = NULL, gone_since = NULL, max_age = ?,"
                " title = COALESCE(?, title), site = COALESCE(?, site),"
                " description = COALESCE(?, description), shared_links = ? WHERE url = ?",
                (etag, last_modified, _ts(now), _ts(now), status, max_age, title, site,
                 description, shared_links, url),
            )
            _note_redirect(db, url, moved_to, now)
        return new

    def record_not_modified(self, url: str, *, now: datetime, status: int = 304,
                            max_age: int | None = None, moved_to: str | None = None) -> None:
        """Store that ``url`` answered 304 Not Modified (a success: the feed is healthy)."""
        with self.transaction() as db:
            db.execute("UPDATE feeds SET last_fetched = ?, last_success = ?, last_status = ?, "
                       "last_error = NULL, consecutive_failures = 0, error_kind = NULL, "
                       "failing_since = NULL, gone_since = NULL, max_age = ? WHERE url = ?",
                       (_ts(now), _ts(now), status, max_age, url))
            _note_redirect(db, url, moved_to, now)

    def record_failure(self, url: str, *, now: datetime, error: str,
                       status: int | None = None, kind: str | None = None) -> None:
        """Store a failed fetch; the feed's posts stay as they were.

        ``kind`` "gone" (HTTP 410) marks the feed gone. A trusted new address that
        answers 404 or 410 is forgotten, with the redirect's history, so the next run asks
        feeds.yaml's URL again and a redirect there must earn trust anew.
        """
        dead_end = status in (404, 410)
        with self.transaction() as db:
            db.execute(
                "UPDATE feeds SET last_fetched = ?, last_status = ?, last_error = ?,"
                " error_kind = ?, consecutive_failures = consecutive_failures + 1,"
                " failing_since = COALESCE(failing_since, ?),"
                " gone_since = CASE WHEN ? = 'gone' THEN COALESCE(gone_since, ?) END"
                " WHERE url = ?",
                (_ts(now), status, error, kind, _ts(now), kind, _ts(now), url))
            if dead_end:
                db.execute("UPDATE feeds SET moved_to = NULL, redirect_target = NULL,"
                           " redirect_count = 0, redirect_first_seen = NULL"
                           " WHERE url = ? AND moved_to IS NOT NULL", (url,))

    # -- posts -----------------------------------------------------------------------

    def posts(self, feed_urls: Iterable[str] | None = None, *,
              text_chars: int | None = None, text_if_unclean: bool = False) -> list[Post]:
        """Return the stored posts (of ``feed_urls`` if given), newest first.

        ``text_chars`` loads only the start of each text (a build of thousands of posts
        need not hold them whole); ``Post.words`` still counts the whole text. With
        ``text_if_unclean``, only posts not cleaned yet (``topic_text`` None) come with
        their text (the topic model's need), the others with ``text`` "".

        A post restored from the published state has no text (the export leaves it out,
        #16): read whole, its text is then its topic text, the first words of it, cleaned,
        so feeds.yaml's keyword rules still have its words to match.
        """
        text = ("CASE WHEN text = '' THEN COALESCE(topic_text, '') ELSE text END"
                if text_chars is None else f"substr(text, 1, {int(text_chars)})")
        if text_if_unclean:
            text = f"CASE WHEN topic_text IS NULL THEN {text} ELSE '' END"
        columns = ", ".join(f"{text} AS text" if c == "text" else c for c in _POST_COLUMNS)
        where, args = "", []
        if feed_urls is not None:  # any number of feeds, as one JSON array parameter
            where = "WHERE feed_url IN (SELECT value FROM json_each(?))"
            args = [json.dumps(list(feed_urls))]
        rows = self._db.execute(
            f"SELECT {columns} FROM posts {where} ORDER BY published DESC, uid", args)
        return [_post(row) for row in rows]

    def post_count(self) -> int:
        """Return how many posts are stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM posts").fetchone()[0])

    def save_topic_texts(self, texts: Mapping[str, str]) -> None:
        """Store what the topic model reads of posts (uid -> cleaned text)."""
        with self.transaction() as db:
            db.executemany("UPDATE posts SET topic_text = ? WHERE uid = ?",
                           ((text, uid) for uid, text in texts.items()))

    def forget_topic_texts(self) -> None:
        """Mark the posts' topic texts stale: the cleaning changed since they were stored.

        A post restored from the published state has no full text to clean again (the
        export leaves it out, #16): it keeps the words it has until its feed sends it again.
        """
        with self.transaction() as db:
            db.execute("UPDATE posts SET topic_text = NULL WHERE text != ''")

    def delete_posts(self, uids: Iterable[str]) -> None:
        """Forget posts by uid (hidden or filtered out in feeds.yaml), diamond picks included.

        A post hidden after it was featured (a hacked blog's spam) leaves the diamonds
        archive and feed too; its blog's exposure then counts one pick fewer.
        """
        uids = list(uids)
        with self.transaction() as db:
            db.executemany("DELETE FROM posts WHERE uid = ?", ((uid,) for uid in uids))
            for uid in uids:
                _withdraw_picks(db, "post_uid = ?", (uid,))

    # -- topics ----------------------------------------------------------------------

    def topics(self) -> list[StoredTopic]:
        """Return every topic ever stored, active or dissolved."""
        rows = self._db.execute("SELECT * FROM topics ORDER BY slug").fetchall()
        return [StoredTopic(slug=r["slug"], label=r["label"], terms=tuple(json.loads(r["terms"])),
                            post_uids=tuple(json.loads(r["post_uids"])), active=bool(r["active"]),
                            last_seen=_dt(r["last_seen"]))
                for r in rows]

    def save_topics(self, topics: Sequence[Topic], now: datetime) -> None:
        """Make ``topics`` the active set; earlier topics not among them become dissolved."""
        with self.transaction() as db:
            db.execute("UPDATE topics SET active = 0")
            for topic in topics:
                db.execute(
                    "INSERT INTO topics (slug, label, terms, post_uids, first_seen, last_seen,"
                    " active) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT(slug) DO UPDATE SET"
                    " label = excluded.label, terms = excluded.terms,"
                    " post_uids = excluded.post_uids, last_seen = excluded.last_seen, active = 1",
                    (topic.slug, topic.label, json.dumps(list(topic.terms)),
                     json.dumps(list(topic.post_uids)), _ts(now), _ts(now)),
                )

    # -- diamonds --------------------------------------------------------------------

    def record_diamonds(self, day: date, diamonds: Sequence[Diamond], *,
                        posts: Mapping[str, Post] | None = None,
                        blog_titles: Mapping[str, str] | None = None) -> None:
        """Store the picks of ``day``, replacing any earlier picks for that same day.

        Re-running a build for the same date therefore never counts exposure twice.
        The post's title and link (from ``posts``, by uid) and its blog's title are
        kept with the pick, so the archive can list it after the post is gone.
        """
        posts = posts or {}
        blog_titles = blog_titles or {}
        with self.transaction() as db:
            db.execute("DELETE FROM diamonds WHERE date = ?", (day.isoformat(),))
            # The day is drawn again, among the blogs listed now: nothing of it is withdrawn.
            withdrawn = _day_counts(db, WITHDRAWN)
            if withdrawn.pop(day.isoformat(), None) is not None:
                _set_day_counts(db, WITHDRAWN, withdrawn)
            # How many blogs were in the running, so later draws can weigh this day's picks.
            running = _day_counts(db, RUNNING)
            running.pop(day.isoformat(), None)
            if diamonds and diamonds[0].running > 0:
                running[day.isoformat()] = diamonds[0].running
            _set_day_counts(db, RUNNING, running)
            for position, d in enumerate(diamonds):
                post = posts.get(d.post_uid)
                db.execute("INSERT INTO diamonds (date, feed_url, post_uid, topic, reason, "
                           "position, title, link, blog_title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (day.isoformat(), d.feed_url, d.post_uid, d.topic, d.reason, position,
                            post.title if post else "", post.link if post else "",
                            blog_titles.get(d.feed_url, "")))

    def features(self, before: date | None = None) -> list[Feature]:
        """Return past diamonds (strictly before ``before`` if given), oldest first."""
        sql = "SELECT * FROM diamonds"
        args: tuple[str, ...] = ()
        if before is not None:
            sql += " WHERE date < ?"
            args = (before.isoformat(),)
        rows = self._db.execute(sql + " ORDER BY date, position, feed_url", args).fetchall()
        return [Feature(date=date.fromisoformat(r["date"]), feed_url=r["feed_url"],
                        post_uid=r["post_uid"], topic=r["topic"], reason=r["reason"],
                        title=r["title"], link=r["link"], blog_title=r["blog_title"])
                for r in rows]

    def withdrawn_picks(self) -> dict[date, int]:
        """Return, per day, how many of its picks were withdrawn since (blog left, post hidden)."""
        return {date.fromisoformat(day): n for day, n in _day_counts(self._db, WITHDRAWN).items()}

    def running_counts(self) -> dict[date, int]:
        """Return, per day, how many blogs were in the running when its draw began."""
        return {date.fromisoformat(day): n for day, n in _day_counts(self._db, RUNNING).items()}

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


WITHDRAWN = "diamonds.withdrawn"  # meta key: JSON {"YYYY-MM-DD": picks withdrawn since}
RUNNING = "diamonds.running"  # meta key: JSON {"YYYY-MM-DD": blogs in that day's draw}


def _day_counts(db: sqlite3.Connection, key: str) -> dict[str, int]:
    """Return the positive counts per day stored as JSON under the meta ``key``."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    try:
        data = json.loads(row[0]) if row else {}
    except ValueError:
        data = {}  # never written so: a count is lost, never a build
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items()
            if _is_day(k) and isinstance(v, int) and not isinstance(v, bool) and v > 0}


def _is_day(text: str) -> bool:
    try:
        return len(text) == 10 and bool(date.fromisoformat(text))
    except ValueError:
        return False


def _set_day_counts(db: sqlite3.Connection, key: str, counts: Mapping[str, int]) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
               "value = excluded.value", (key, json.dumps(dict(sorted(counts.items())))))


def _withdraw_picks(db: sqlite3.Connection, where: str, args: Sequence[str]) -> None:
    """Delete the diamond picks matching ``where``, counting them per day in the meta table."""
    rows = db.execute(f"SELECT date, COUNT(*) FROM diamonds WHERE {where} GROUP BY date",
                      args).fetchall()
    if not rows:
        return
    counts = _day_counts(db, WITHDRAWN)
    for day, n in rows:
        counts[day] = counts.get(day, 0) + int(n)
    _set_day_counts(db, WITHDRAWN, counts)
    db.execute(f"DELETE FROM diamonds WHERE {where}", args)


def _settle_slug(db: sqlite3.Connection, url: str, names: Sequence[str]) -> None:
    """Give a blog its slug from the first of ``names`` that makes one, once, at its first success.

    A blog listed in feeds.yaml without a title is registered under a slug made from its
    feed URL (``127-0-0-1-feeds-feedburner-com-x-xml``) until its feed first answers;
    then its page moves to the slug of its feed's title (or, for a title in a script a
    slug cannot spell, 再現力, of its site's host) and stays there, whatever the title
    becomes.
    """
    row = db.execute("SELECT slug, last_success FROM feeds WHERE url = ?", (url,)).fetchone()
    base = next((slug for slug in map(slugify, names) if slug), "")
    if row is None or row["last_success"] is not None or not base or row["slug"] == base:
        return
    taken = {r[0] for r in db.execute("SELECT slug FROM feeds WHERE url != ?", (url,))}
    db.execute("UPDATE feeds SET slug = ? WHERE url = ?", (unique_slug(base, taken), url))


def _note_redirect(db: sqlite3.Connection, url: str, moved_to: str | None,
                   now: datetime) -> None:
    """Remember where permanent redirects led ``url`` this run; trust a steady target.

    Once :data:`REDIRECT_TRUST_RUNS` runs over at least :data:`REDIRECT_TRUST_SPAN` saw
    the same target, ``moved_to`` is set and later runs fetch it directly (so this is
    not called with a redirect again). A run without the redirect forgets it.
    """
    row = db.execute("SELECT redirect_target, redirect_count, redirect_first_seen, moved_to "
                     "FROM feeds WHERE url = ?", (url,)).fetchone()
    if row is None or row["moved_to"] is not None:
        return  # fetched at the trusted address: nothing to learn
    if moved_to is None:
        db.execute("UPDATE feeds SET redirect_target = NULL, redirect_count = 0, "
                   "redirect_first_seen = NULL WHERE url = ?", (url,))
        return
    if row["redirect_target"] != moved_to:
        count, first = 1, now
    else:
        count, first = row["redirect_count"] + 1, _dt(row["redirect_first_seen"]) or now
    trusted = count >= REDIRECT_TRUST_RUNS and now - first >= REDIRECT_TRUST_SPAN
    db.execute("UPDATE feeds SET redirect_target = ?, redirect_count = ?, "
               "redirect_first_seen = ?, moved_to = ? WHERE url = ?",
               (moved_to, count, _ts(first), moved_to if trusted else None, url))


_POST_COLUMNS = ("uid", "feed_url", "guid", "link", "title", "author", "published", "dated",
                 "first_seen", "excerpt", "text", "language", "excerpt_html", "link_words",
                 "words", "topic_text")

_UPSERT_POST = """
INSERT INTO posts (uid, feed_url, guid, link, title, author, published, dated, first_seen,
                   excerpt, text, language, excerpt_html, link_words, words, topic_text)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(uid) DO UPDATE SET
    link = excluded.link, title = excluded.title, author = excluded.author,
    excerpt = excluded.excerpt, text = excluded.text, language = excluded.language,
    excerpt_html = excluded.excerpt_html, link_words = excluded.link_words,
    words = excluded.words, topic_text = excluded.topic_text,
    -- an undated post keeps the time we first saw it
    published = CASE WHEN excluded.dated THEN excluded.published ELSE posts.published END,
    dated = MAX(posts.dated, excluded.dated)
"""


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _feed_state(row: sqlite3.Row) -> FeedState:
    return FeedState(
        url=row["url"], slug=row["slug"], title=row["title"], site=row["site"],
        description=row["description"], etag=row["etag"], last_modified=row["last_modified"],
        last_fetched=_dt(row["last_fetched"]), last_success=_dt(row["last_success"]),
        last_status=row["last_status"], last_error=row["last_error"],
        consecutive_failures=row["consecutive_failures"], first_seen=_dt(row["first_seen"]),
        error_kind=row["error_kind"], failing_since=_dt(row["failing_since"]),
        max_age=row["max_age"], redirect_target=row["redirect_target"],
        redirect_count=row["redirect_count"],
        redirect_first_seen=_dt(row["redirect_first_seen"]), moved_to=row["moved_to"],
        gone_since=_dt(row["gone_since"]), shared_links=row["shared_links"],
    )


def _post(row: sqlite3.Row) -> Post:
    published = _dt(row["published"])
    assert published is not None
    return Post(
        feed_url=row["feed_url"], guid=row["guid"], link=row["link"], title=row["title"],
        author=row["author"], published=published, dated=bool(row["dated"]),
        excerpt=row["excerpt"], text=row["text"], language=row["language"],
        first_seen=_dt(row["first_seen"]), excerpt_html=row["excerpt_html"],
        link_words=row["link_words"], words=-1 if row["words"] is None else row["words"],
        topic_text=row["topic_text"],
    )
