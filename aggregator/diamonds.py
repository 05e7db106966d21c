"""Pick today's "diamonds in the rough": random recent posts, tilted toward small voices.

Pure logic: posts, topics and the exposure history go in, picks come out. The draw is
seeded (from the build date unless a seed is given), so the same inputs give the same
picks. A blog is drawn first and then one of its posts, so a blog that posts ten times
a day has no more chances than one that posts once a month; blogs featured less often
and less recently weigh more.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .models import Diamond, Post
from .store import Feature
from .text import word_count


@dataclass(frozen=True, slots=True)
class DiamondSettings:
    """Every knob of the picks, in one place (documented in the README)."""

    count: int = 5  # picks per build
    window_days: int = 30  # only posts published this recently
    min_words: int = 120  # "real substance": shorter posts are notices, not essays
    history_days: int = 90  # exposure is counted over this many days


def seed_for(day: date) -> int:
    """Return the default seed of a build date: the date as a number, e.g. 20261123."""
    return int(day.strftime("%Y%m%d"))


def is_eligible(post: Post, *, now: datetime, settings: DiamondSettings) -> bool:
    """Return whether ``post`` is recent and substantial enough to be picked."""
    if now - post.published > timedelta(days=settings.window_days):
        return False
    return word_count(post.text) >= settings.min_words


def pick_diamonds(
    posts: Sequence[Post],
    *,
    topic_of: Mapping[str, str],
    history: Sequence[Feature],
    now: datetime,
    seed: int,
    excluded_feeds: frozenset[str] = frozenset(),
    settings: DiamondSettings = DiamondSettings(),
) -> list[Diamond]:
    """Return up to ``settings.count`` picks: at most one per blog, spread across topics."""
    today = now.date()
    since = today - timedelta(days=settings.history_days)
    recent = [f for f in history if since <= f.date < today]
    featured_posts = {f.post_uid for f in history if f.date < today}
    times: dict[str, int] = {}
    for f in recent:
        times[f.feed_url] = times.get(f.feed_url, 0) + 1

    by_blog: dict[str, list[Post]] = {}
    for post in sorted(posts, key=lambda p: (p.feed_url, p.uid)):
        if (post.feed_url in excluded_feeds or post.uid in featured_posts
                or not is_eligible(post, now=now, settings=settings)):
            continue
        by_blog.setdefault(post.feed_url, []).append(post)

    rng = random.Random(seed)
    picks: list[Diamond] = []
    used_topics: set[str | None] = set()
    blogs = sorted(by_blog)
    while blogs and len(picks) < settings.count:
        weights = [1.0 / (1 + times.get(url, 0)) ** 2 for url in blogs]
        url = rng.choices(blogs, weights=weights)[0]
        blogs.remove(url)
        candidates = by_blog[url]
        fresh = [p for p in candidates if topic_of.get(p.uid) not in used_topics]
        post = rng.choice(fresh or candidates)
        topic = topic_of.get(post.uid)
        used_topics.add(topic)
        n = times.get(url, 0)
        reason = (f"From a blog featured {n} time{'s' if n != 1 else ''} in the last "
                  f"{settings.history_days} days, drawn at random from "
                  f"{len(by_blog)} blogs with a recent post.")
        picks.append(Diamond(post_uid=post.uid, feed_url=url, topic=topic, reason=reason))
    return picks
