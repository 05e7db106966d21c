"""The diamonds' history in the state: each day's picks, and counts per day (#15, #16).

A pick keeps its post's title and link and its blog's name, so the archive outlives the
post; a pick withdrawn (its blog left feeds.yaml, its post was hidden) leaves only a count
per day, without any name, so the fairness ledger's totals still add up.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date

from .models import Diamond, Feature, Post
from .storebase import StoreBase


class PicksTable(StoreBase):
    """The ``diamonds`` table and its per-day counts."""

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


def withdraw_picks(db: sqlite3.Connection, where: str, args: Sequence[str]) -> None:
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

