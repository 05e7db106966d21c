"""Judge each feed's health from its stored state, for maintainers.

A feed is ``ok`` while its last poll worked, ``failing`` after that, ``dead`` once it
has been failing for :data:`DEAD_AFTER` (still listed, but out of the diamonds draw),
and ``gone`` once it answered 410 Gone. Apart from its feed's condition, a blog is
*dormant* when its newest post is :data:`DORMANT_AFTER` old: a working feed of a quiet
blog is not called simply healthy. A feed whose entries share one link is flagged too.
The status page and ``build.json`` show the sick ones first, with the cause and for how
long; the build summary groups failures by cause ("3 failed (2 http 404, 1 timeout)").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

import httpx

from .errors import FetchError
from .models import Blog, Condition, Feed, FeedHealth, FeedReport, FeedState, Post

DEAD_AFTER = timedelta(days=30)  # a feed failing this long is marked dead
# A blog whose newest post is this old is dormant: its feed may be fine, its author is
# quiet. Shown apart from a failing feed, so "healthy" never hides a silent blog (#17).
DORMANT_AFTER = timedelta(days=180)

_RANK: dict[Condition, int] = {"dead": 0, "gone": 1, "failing": 2, "ok": 3}


def is_dead(state: FeedState, now: datetime) -> bool:
    """Return whether a feed has been failing for :data:`DEAD_AFTER` or longer."""
    if state.consecutive_failures == 0 and state.gone_since is None:
        return False
    since = state.last_success or state.first_seen
    return since is not None and now - since >= DEAD_AFTER


def steady(blog: Blog) -> Blog:
    """Return ``blog`` without what changes at every fetch: what no page shows of it.

    The pages show a failing feed's kind of trouble (:func:`fetch_trouble`), never the
    error's text, its count of failures or the last success; both the pages key and the
    unchanged-build check compare blogs through this.
    """
    return replace(blog, last_success=None, consecutive_failures=0, last_error=None)


def fetch_trouble(state: FeedState) -> str | None:
    """Return the kind of trouble a failing feed is in, as its blog's page names it.

    Only the kind, never the error's text: a message that changes from build to build
    (a byte count, a server's own words) must not rewrite the blog's page (#14).
    ``None`` while the last fetch worked; else ``timeout``, ``missing`` (404 or 410),
    ``too_large``, ``unreadable`` (not a feed we can parse) or ``other``.
    """
    if state.consecutive_failures == 0 and state.gone_since is None:
        return None
    kind = state.error_kind
    if kind == "timeout":
        return "timeout"
    if kind == "gone" or state.last_status in (404, 410):
        return "missing"
    if kind == "too_large":
        return "too_large"
    if kind in ("parse", "parse_timeout", "parse_crash"):
        return "unreadable"
    return "other"


def is_dormant(last_post: datetime | None, now: datetime) -> bool:
    """Return whether a blog whose newest post is from ``last_post`` is dormant.

    A blog with no post yet is not dormant (it has nothing to be quiet after).
    """
    return last_post is not None and now - last_post >= DORMANT_AFTER


def condition(state: FeedState, now: datetime) -> Condition:
    """Return the one-word health of a feed."""
    if is_dead(state, now):
        return "dead"
    if state.gone_since is not None:
        return "gone"
    if state.consecutive_failures:
        return "failing"
    return "ok"


def newest_post_dates(posts: Iterable[Post]) -> dict[str, datetime]:
    """Return the date of each feed's newest post."""
    newest: dict[str, datetime] = {}
    for post in posts:
        if post.feed_url not in newest or post.published > newest[post.feed_url]:
            newest[post.feed_url] = post.published
    return newest


def feed_health(feed: Feed, state: FeedState, title: str, now: datetime, *,
                last_post: datetime | None = None) -> FeedHealth:
    """Return the health record of ``feed`` (``title`` as the site shows it).

    ``last_post`` is the date of the blog's newest post, which tells whether it is dormant.
    """
    return FeedHealth(
        url=feed.url, slug=state.slug, title=title, condition=condition(state, now),
        last_success=state.last_success, last_fetched=state.last_fetched,
        failing_since=state.failing_since, consecutive_failures=state.consecutive_failures,
        error_kind=state.error_kind, last_error=state.last_error,
        last_status=state.last_status, moved_to=state.moved_to,
        redirect_target=None if state.moved_to else state.redirect_target,
        last_post=last_post, dormant=is_dormant(last_post, now),
        shared_links=state.shared_links,
    )


def sickest_first(health: Iterable[FeedHealth]) -> list[FeedHealth]:
    """Return ``health`` ordered for maintainers: dead, gone, failing longest, then moved.

    Among working feeds, dormant blogs and feeds with shared links come first: they
    need a look, if not a fix.
    """
    def key(h: FeedHealth) -> tuple[int, int, int, str, str]:
        since = h.failing_since.isoformat() if h.failing_since else "~"
        return (_RANK[h.condition], 0 if (h.moved_to or h.redirect_target) else 1,
                0 if (h.dormant or h.shared_links) else 1, since, h.url)
    return sorted(health, key=key)


def failure_cause(error: FetchError) -> str:
    """Return a short cause for summaries: "http 404", "timeout", "parse"..."""
    if error.kind == "http" and error.status:
        return f"http {error.status}"
    return error.kind


def unexpected_cause(error: BaseException) -> str:
    """Return the cause to report for an exception that escaped fetching one feed.

    fetch.py reports what it expects as a :class:`FetchError`; whatever else escapes is
    most often an address the URL or IDNA codecs refuse (``bad_url``).
    """
    if isinstance(error, MemoryError):
        return "too_large"
    if isinstance(error, ValueError | httpx.InvalidURL):
        return "bad_url"  # UnicodeError is a ValueError
    return "fetch_crash"


def causes_text(reports: Iterable[FeedReport]) -> str:
    """Return failures grouped by cause, most common first: "2 http 404, 1 timeout"."""
    counts = Counter(r.cause or "other" for r in reports if r.outcome == "failed")
    return ", ".join(f"{n} {cause}" for cause, n in
                     sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def for_how_long(since: datetime | None, now: datetime) -> str:
    """Return a rough duration for people: "3 days", "5 hours", "under an hour"."""
    if since is None:
        return "unknown"
    delta = now - since
    if delta >= timedelta(days=2):
        return f"{delta.days} days"
    hours = int(delta.total_seconds() // 3600)
    if hours >= 2:
        return f"{hours} hours"
    return "about an hour" if hours == 1 else "under an hour"


def health_record(health: FeedHealth) -> dict[str, object]:
    """Return ``health`` as plain JSON data (times as ISO 8601 UTC), for build.json."""
    def iso(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value else None
    return {
        "url": health.url, "slug": health.slug, "title": health.title,
        "condition": health.condition, "last_success": iso(health.last_success),
        "last_fetched": iso(health.last_fetched), "failing_since": iso(health.failing_since),
        "consecutive_failures": health.consecutive_failures,
        "error_kind": health.error_kind, "last_error": health.last_error,
        "last_status": health.last_status, "moved_to": health.moved_to,
        "redirect_target": health.redirect_target, "last_post": iso(health.last_post),
        "dormant": health.dormant, "shared_links": health.shared_links,
    }
