"""Posts in the state: stored as feeds send them, read back by the build, retired with age.

A post is keyed by its feed and entry id (models.post_uid), so re-running never
duplicates it. Its full text, excerpts and topic words are kept only while something
needs them (:meth:`PostsTable.retire_texts`, #14): past the text window a post keeps
what lists it (title, link, blog, dates, author, word counts, language, its topic).
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from .derived import forget_members, put_topic_texts
from .feedstore import note_redirect, settle_slug
from .models import Post, TextWindow
from .picks import withdraw_picks
from .storebase import StoreBase, dt, ts
from .textclean import CLEAN_VERSION

# Schema 6: every change to a post's row, or to what the topic model reads of it, counts
# one in ``revision`` (an upsert that sends a post again unchanged does not). The row
# itself is written by start_revision, not here: a published copy of the state gets this
# schema first and then the source's rows, its revision included.
_SHOWN = ("link", "title", "author", "published", "dated", "excerpt", "excerpt_html", "text",
          "language", "link_words", "words", "feed_url", "guid")
REVISION_MIGRATION = f"""
CREATE TABLE revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    changes INTEGER NOT NULL           -- changes to posts and topic texts so far
);
CREATE TRIGGER posts_added AFTER INSERT ON posts
    BEGIN UPDATE revision SET changes = changes + 1; END;
CREATE TRIGGER posts_removed AFTER DELETE ON posts
    BEGIN UPDATE revision SET changes = changes + 1; END;
CREATE TRIGGER posts_changed AFTER UPDATE ON posts
    WHEN {" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _SHOWN)}
    BEGIN UPDATE revision SET changes = changes + 1; END;
CREATE TRIGGER topic_texts_added AFTER INSERT ON topic_texts
    BEGIN UPDATE revision SET changes = changes + 1; END;
CREATE TRIGGER topic_texts_removed AFTER DELETE ON topic_texts
    BEGIN UPDATE revision SET changes = changes + 1; END;
CREATE TRIGGER topic_texts_changed AFTER UPDATE ON topic_texts
    WHEN OLD.words IS NOT NEW.words OR OLD.version IS NOT NEW.version
    BEGIN UPDATE revision SET changes = changes + 1; END
"""


UNCHANGED_KEY = "build.unchanged"  # meta: what the last build was made of (aggregator.unchanged)


def start_revision(db: sqlite3.Connection) -> None:
    """Give a state its revision row if it has none (a new state, or one just migrated)."""
    if db.execute("SELECT 1 FROM revision").fetchone() is None:
        db.execute("INSERT OR IGNORE INTO revision (id, changes) VALUES (1, 0)")


class PostsTable(StoreBase):
    """The ``posts`` table."""

    def revision(self) -> int:
        """Return how many times the posts (or their topic texts) have changed so far.

        Two equal values mean that nothing a page or the topic model reads of any post
        has changed in between: not a post added, edited, hidden, removed or retired.
        """
        return int(self._db.execute("SELECT changes FROM revision").fetchone()[0])

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
        redirects led this time (see :func:`aggregator.feedstore.note_redirect`).
        ``shared_links`` counts the entries whose link another entry has;
        ``merged_guids`` are the ids that several entries once shared: the one post
        stored under each is replaced by the entries' own (parse.py tells them apart).
        ``slug_names``, for a blog listed without a title, are what its slug may come
        from at its first success, best first (its feed's title, its site's host:
        :func:`aggregator.feedstore.settle_slug`). Return how many posts were new.
        """
        posts = list(posts)
        with self.transaction() as db:
            if slug_names:
                settle_slug(db, url, slug_names)
            db.executemany("DELETE FROM posts WHERE feed_url = ? AND guid = ?",
                           ((url, guid) for guid in merged_guids))
            existing = {row[0] for row in db.execute("SELECT uid FROM posts WHERE feed_url = ?",
                                                     (url,))}
            new = len({p.uid for p in posts} - existing)
            db.executemany(_UPSERT_POST, [(
                post.uid, url, post.guid, post.link, post.title, post.author,
                ts(post.published), int(post.dated), ts(now), post.excerpt, post.text,
                post.language, post.excerpt_html, post.link_words, post.words,
            ) for post in posts])
            put_topic_texts(db, ((p.uid, p.topic_text) for p in posts
                                 if p.topic_text is not None))
            db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_fetched = ?, last_success = ?,"
                " last_status = ?, last_error = NULL, consecutive_failures = 0,"
                " error_kind = NULL, failing_since = NULL, gone_since = NULL, max_age = ?,"
                " title = COALESCE(?, title), site = COALESCE(?, site),"
                " description = COALESCE(?, description), shared_links = ? WHERE url = ?",
                (etag, last_modified, ts(now), ts(now), status, max_age, title, site,
                 description, shared_links, url),
            )
            note_redirect(db, url, moved_to, now)
        return new

    def posts(self, feed_urls: Iterable[str] | None = None, *,
              text_chars: int | None = None, text_if_unclean: bool = False,
              topic_words: bool = True) -> list[Post]:
        """Return the stored posts (of ``feed_urls`` if given), newest first.

        ``text_chars`` loads only the start of each text (a build of thousands of posts
        need not hold them whole); ``Post.words`` still counts the whole text. With
        ``text_if_unclean``, only posts not cleaned yet (``topic_text`` None) come with
        their text (the topic model's need), the others with ``text`` "".

        ``topic_text`` is the post's topic words if this version cleaned them. A post
        without its text (restored from the published state, #16) keeps the words it
        has, whoever cleaned them; read whole, its text is then those words, so
        feeds.yaml's keyword rules still have them to match. A post past the text window
        has neither (:meth:`retire_texts`). Without ``topic_words`` every ``topic_text``
        is None (the build asks for them as the topic stage needs them: :meth:`topic_words`).
        """
        return list(self.iter_posts(feed_urls, text_chars=text_chars,
                                    text_if_unclean=text_if_unclean, topic_words=topic_words))

    def iter_posts(self, feed_urls: Iterable[str] | None = None, *,
                   text_chars: int | None = None, text_if_unclean: bool = False,
                   topic_words: bool = True) -> Iterator[Post]:
        """Yield the posts :meth:`posts` returns, one at a time, read as they are used."""
        words = "CASE WHEN t.version = ? OR p.text = '' THEN t.words END"
        text = ("CASE WHEN p.text = '' THEN COALESCE(t.words, '') ELSE p.text END"
                if text_chars is None else f"substr(p.text, 1, {int(text_chars)})")
        # The topic_text column comes first.
        args: list[str] = [CLEAN_VERSION] if topic_words else []
        if text_if_unclean:
            text = f"CASE WHEN ({words}) IS NULL THEN {text} ELSE '' END"
            args.append(CLEAN_VERSION)
        columns = ", ".join(f"{text} AS text" if c == "text" else f"p.{c}"
                            for c in _POST_COLUMNS)
        where = ""
        if feed_urls is not None:  # any number of feeds, as one JSON array parameter
            where = "WHERE p.feed_url IN (SELECT value FROM json_each(?))"
            args.append(json.dumps(list(feed_urls)))
        rows = self._db.execute(
            f"SELECT {words if topic_words else 'NULL'} AS topic_text, {columns} FROM posts p "
            f"LEFT JOIN topic_texts t ON t.uid = p.uid {where} "
            "ORDER BY p.published DESC, p.uid", args)
        for row in rows:
            yield _post(row)

    def newest_post_dates(self) -> dict[str, datetime]:
        """Return the date of each feed's newest post (health.newest_post_dates, in SQL)."""
        return {url: when for url, newest in self._db.execute(
                    "SELECT feed_url, MAX(published) FROM posts GROUP BY feed_url")
                if (when := dt(newest)) is not None}

    def post_count(self) -> int:
        """Return how many posts are stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM posts").fetchone()[0])

    def delete_posts(self, uids: Iterable[str]) -> None:
        """Forget posts by uid (hidden or filtered out in feeds.yaml), diamond picks included.

        A post hidden after it was featured (a hacked blog's spam) leaves the diamonds
        archive and feed too; its blog's exposure then counts one pick fewer.
        """
        uids = list(uids)
        with self.transaction() as db:
            db.executemany("DELETE FROM posts WHERE uid = ?", ((uid,) for uid in uids))
            for uid in uids:
                withdraw_picks(db, "post_uid = ?", (uid,))
            forget_members(db)

    def retire_texts(self, window: TextWindow, now: datetime) -> int:
        """Drop the text, excerpts and topic words of every post past ``window``.

        Return how many posts lost them. What lists a post stays (title, link, blog,
        dates, author, word counts, language) and so does its topic. A post a feed sends
        again after it was retired gets its text back until the next call.
        """
        with self.transaction() as db:
            return _retire(db, window, now)


def past_window(schema: str = "") -> str:
    """Return a SELECT of the uids of posts past a window (:func:`window_args` its values).

    The newest posts are ranked as a refit ranks them (topiccache: published, then uid).
    ``schema``: the attached database to read, as ``"src."``.
    """
    return (f"SELECT uid FROM {schema}posts WHERE published < ? AND uid NOT IN "
            f"(SELECT uid FROM {schema}posts ORDER BY published DESC, uid DESC LIMIT ?)")


def window_args(window: TextWindow, now: datetime) -> tuple[str, int]:
    """Return the values of :func:`past_window`'s SELECT for ``window`` as of ``now``."""
    return ts(now - timedelta(days=window.days)), window.posts


def _retire(db: sqlite3.Connection, window: TextWindow, now: datetime) -> int:
    """Retire the texts of posts past ``window`` in ``db`` (:meth:`PostsTable.retire_texts`)."""
    args = window_args(window, now)
    db.execute(f"DELETE FROM topic_texts WHERE uid IN ({past_window()})", args)
    # The posts are scanned once, the window's newest looked up among a few (not each
    # row looked up by its uid among all those past the window: 2 s at 300,000, #14).
    # Excerpts first: a post's text is read (its overflow pages) only when they are empty.
    return db.execute("UPDATE posts SET text = '', excerpt = '', excerpt_html = '' "
                      "WHERE (excerpt != '' OR excerpt_html != '' OR text != '') "
                      "AND published < ? AND uid NOT IN "
                      "(SELECT uid FROM posts ORDER BY published DESC, uid DESC LIMIT ?)",
                      args).rowcount


_POST_COLUMNS = ("uid", "feed_url", "guid", "link", "title", "author", "published", "dated",
                 "first_seen", "excerpt", "text", "language", "excerpt_html", "link_words",
                 "words")

_UPSERT_POST = """
INSERT INTO posts (uid, feed_url, guid, link, title, author, published, dated, first_seen,
                   excerpt, text, language, excerpt_html, link_words, words)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(uid) DO UPDATE SET
    link = excluded.link, title = excluded.title, author = excluded.author,
    excerpt = excluded.excerpt, text = excluded.text, language = excluded.language,
    excerpt_html = excluded.excerpt_html, link_words = excluded.link_words,
    words = excluded.words,
    -- an undated post keeps the time we first saw it
    published = CASE WHEN excluded.dated THEN excluded.published ELSE posts.published END,
    dated = MAX(posts.dated, excluded.dated)
"""


def _post(row: sqlite3.Row) -> Post:
    published = dt(row["published"])
    assert published is not None
    return Post(
        # A build holds every post: one string per blog, not one per post (#14).
        feed_url=sys.intern(row["feed_url"]), guid=row["guid"], link=row["link"],
        title=row["title"], author=_intern(row["author"]), published=published,
        dated=bool(row["dated"]), excerpt=row["excerpt"], text=row["text"],
        language=_intern(row["language"]),
        first_seen=_seen(row["first_seen"]), excerpt_html=row["excerpt_html"],
        link_words=row["link_words"], words=-1 if row["words"] is None else row["words"],
        topic_text=row["topic_text"],
    )


# Posts first seen by one build share that build's time: one datetime for all of them.
_seen = functools.lru_cache(maxsize=1024)(dt)


def _intern(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)
