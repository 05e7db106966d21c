"""Summarise each topic for the home page and the topics index: fresh and mixed (#12).

Pure functions: topics and posts in, :class:`~aggregator.models.TopicOverview` out. The
home page orders topics by their newest post, so what moved lately comes first; each
preview shows the newest posts with at most one post per blog, so one prolific blog never
fills a topic's window; a topic with no post for ``QUIET_AFTER_DAYS`` moves to a list of
quieter topics below the active ones (still linked, never hidden).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from .models import Post, Topic, TopicOverview

QUIET_AFTER_DAYS = 90  # no post in this long: a "quieter topic"


def preview(posts: Sequence[Post], count: int) -> tuple[Post, ...]:
    """Return the ``count`` newest of ``posts``, at most one per blog.

    A post its feed gave no date has the day it was first seen as its date; it comes after
    every dated one, or an old episode first read today would open the topic.
    """
    chosen: list[Post] = []
    seen: set[str] = set()
    for post in sorted(posts, key=lambda p: (p.dated, p.published, p.uid), reverse=True):
        if post.feed_url not in seen:
            seen.add(post.feed_url)
            chosen.append(post)
            if len(chosen) == count:
                break
    return tuple(chosen)


def overview(topic: Topic, posts: Mapping[str, Post], *, today: date,
             count: int) -> TopicOverview:
    """Return what the site shows of ``topic`` (``posts``: every post by uid)."""
    members = [posts[uid] for uid in topic.post_uids if uid in posts]
    dated = [p.published for p in members if p.dated]  # first-seen times are no post's age
    latest = max(dated or [p.published for p in members], default=None)
    return TopicOverview(
        topic=topic, preview=preview(members, count), posts=len(members),
        blogs=len({p.feed_url for p in members}), latest=latest,
        active=latest is not None and (today - latest.date()).days <= QUIET_AFTER_DAYS,
    )


def by_newest(topics: Sequence[Topic], posts: Mapping[str, Post], *, today: date,
              count: int) -> list[TopicOverview]:
    """Return an overview of every topic, the one with the newest post first."""
    found = [overview(t, posts, today=today, count=count) for t in topics]
    return sorted(found, key=lambda o: (o.latest is None,
                                        -o.latest.timestamp() if o.latest else 0.0,
                                        o.topic.label, o.topic.slug))
