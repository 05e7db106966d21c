"""Feeds in the state: who is listed, each feed's validators, health and redirects."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from .derived import forget_members
from .models import Feed, FeedState
from .picks import withdraw_picks
from .slugs import blog_slug_base, slugify, unique_slug
from .storebase import StoreBase, dt, ts

# A permanent redirect is trusted (the new URL fetched directly, and maintainers told)
# once the same target was seen on this many runs spanning at least this long: a single
# 301 is often a misconfiguration that the blog's owner undoes the next day.
REDIRECT_TRUST_RUNS = 3
REDIRECT_TRUST_SPAN = timedelta(days=2)


class FeedsTable(StoreBase):
    """The ``feeds`` table: one row per feeds.yaml entry."""

    def feed_states(self) -> dict[str, FeedState]:
        """Return the stored state of every known feed, by feeds.yaml URL."""
        rows = self._db.execute("SELECT * FROM feeds").fetchall()
        return {row["url"]: feed_state(row) for row in rows}

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
                withdraw_picks(db, "feed_url = ?", (url,))
            if set(known) - wanted:
                forget_members(db)  # and its posts leave the topics' history
            taken = {slug for url, slug in known.items() if url in wanted}
            for feed in feeds:
                if feed.url in known:
                    continue
                slug = unique_slug(blog_slug_base(feed), taken)
                taken.add(slug)
                db.execute("INSERT INTO feeds (url, slug, title, site, first_seen) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (feed.url, slug, feed.title, feed.site, ts(now)))
        states = self.feed_states()
        return {feed.url: states[feed.url] for feed in feeds}


    def record_not_modified(self, url: str, *, now: datetime, status: int = 304,
                            max_age: int | None = None, moved_to: str | None = None) -> None:
        """Store that ``url`` answered 304 Not Modified (a success: the feed is healthy)."""
        with self.transaction() as db:
            db.execute("UPDATE feeds SET last_fetched = ?, last_success = ?, last_status = ?, "
                       "last_error = NULL, consecutive_failures = 0, error_kind = NULL, "
                       "failing_since = NULL, gone_since = NULL, max_age = ? WHERE url = ?",
                       (ts(now), ts(now), status, max_age, url))
            note_redirect(db, url, moved_to, now)

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
                (ts(now), status, error, kind, ts(now), kind, ts(now), url))
            if dead_end:
                db.execute("UPDATE feeds SET moved_to = NULL, redirect_target = NULL,"
                           " redirect_count = 0, redirect_first_seen = NULL"
                           " WHERE url = ? AND moved_to IS NOT NULL", (url,))



def settle_slug(db: sqlite3.Connection, url: str, names: Sequence[str]) -> None:
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


def note_redirect(db: sqlite3.Connection, url: str, moved_to: str | None,
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
        count, first = row["redirect_count"] + 1, dt(row["redirect_first_seen"]) or now
    trusted = count >= REDIRECT_TRUST_RUNS and now - first >= REDIRECT_TRUST_SPAN
    db.execute("UPDATE feeds SET redirect_target = ?, redirect_count = ?, "
               "redirect_first_seen = ?, moved_to = ? WHERE url = ?",
               (moved_to, count, ts(first), moved_to if trusted else None, url))



def feed_state(row: sqlite3.Row) -> FeedState:
    return FeedState(
        url=row["url"], slug=row["slug"], title=row["title"], site=row["site"],
        description=row["description"], etag=row["etag"], last_modified=row["last_modified"],
        last_fetched=dt(row["last_fetched"]), last_success=dt(row["last_success"]),
        last_status=row["last_status"], last_error=row["last_error"],
        consecutive_failures=row["consecutive_failures"], first_seen=dt(row["first_seen"]),
        error_kind=row["error_kind"], failing_since=dt(row["failing_since"]),
        max_age=row["max_age"], redirect_target=row["redirect_target"],
        redirect_count=row["redirect_count"],
        redirect_first_seen=dt(row["redirect_first_seen"]), moved_to=row["moved_to"],
        gone_since=dt(row["gone_since"]), shared_links=row["shared_links"],
    )

