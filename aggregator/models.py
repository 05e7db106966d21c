"""Typed records passed between the pipeline's stages.

Every stage takes and returns these frozen dataclasses, never raw dicts: feedparser's
result is converted in :mod:`aggregator.parse` and SQLite rows in :mod:`aggregator.store`,
so nothing else depends on either library's shapes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from .errors import FetchError


@dataclass(frozen=True, slots=True)
class Feed:
    """One entry of feeds.yaml: a blog the community asked us to follow."""

    url: str
    title: str | None = None
    site: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    added: date | None = None
    line: int | None = None  # where the entry starts in feeds.yaml, for messages


@dataclass(frozen=True, slots=True)
class Config:
    """The validated contents of feeds.yaml."""

    path: str
    feeds: tuple[Feed, ...]


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers about one feed between runs."""

    url: str
    slug: str
    title: str | None = None
    site: str | None = None
    description: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetched: datetime | None = None
    last_success: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    first_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A feed body downloaded with a 2xx answer."""

    url: str  # as in feeds.yaml
    final_url: str  # after redirects
    status: int
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class NotModified:
    """The server answered 304: nothing changed since the validators we sent."""

    url: str
    status: int = 304


@dataclass(frozen=True, slots=True)
class Skipped:
    """The feed was not polled this run (polled too recently)."""

    url: str
    reason: str


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of fetching one feed: a value, never raised, so one feed never fails a run."""

    feed: Feed
    value: FetchedFeed | NotModified | Skipped | FetchError
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Post:
    """One blog post, as read from a feed."""

    feed_url: str
    guid: str
    link: str
    title: str
    published: datetime  # timezone-aware, UTC
    excerpt: str  # plain text, a few sentences
    text: str  # plain text for the topic model
    author: str | None = None
    dated: bool = True  # False: no usable date in the feed; `published` is when first seen
    language: str | None = None
    first_seen: datetime | None = None
    excerpt_html: str = ""  # sanitised HTML excerpt (aggregator.sanitize); "" if none

    @property
    def uid(self) -> str:
        """Return an identifier that is stable across runs and unique across feeds."""
        return post_uid(self.feed_url, self.guid)


def post_uid(feed_url: str, guid: str) -> str:
    """Return the stable identifier of the post ``guid`` in the feed at ``feed_url``."""
    return hashlib.sha1(f"{feed_url}\n{guid}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed says about itself, and its posts."""

    title: str | None
    site: str | None
    description: str | None
    language: str | None
    posts: tuple[Post, ...]


@dataclass(frozen=True, slots=True)
class Blog:
    """A blog as the site shows it: feeds.yaml merged with what its feed and the store say."""

    url: str  # feed URL, exactly as in feeds.yaml
    slug: str
    title: str
    site: str | None
    author: str | None
    description: str | None
    tags: tuple[str, ...]
    language: str | None
    added: date | None
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int


@dataclass(frozen=True, slots=True)
class Topic:
    """A group of posts about one subject, named by its most distinctive terms."""

    slug: str
    label: str
    terms: tuple[str, ...]
    post_uids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Diamond:
    """A post picked for today's "diamonds in the rough", with the reason in plain words."""

    post_uid: str
    feed_url: str
    topic: str | None
    reason: str


Outcome = Literal["ok", "not_modified", "failed"]  # a skipped poll counts as not_modified


@dataclass(frozen=True, slots=True)
class FeedReport:
    """How one feed fared in a build."""

    url: str
    outcome: Outcome
    reason: str
    new_posts: int = 0


@dataclass(frozen=True, slots=True)
class BuildReport:
    """The record of one build: what was fetched, found and picked, and how long it took."""

    date: date
    seed: int
    feeds: tuple[FeedReport, ...]
    topics: tuple[Topic, ...]
    diamonds: tuple[Diamond, ...]
    new_posts: int
    total_posts: int
    seconds: float
    out_dir: str
    warnings: tuple[str, ...] = field(default=())

    def count(self, outcome: Outcome) -> int:
        """Return how many feeds had ``outcome``."""
        return sum(1 for f in self.feeds if f.outcome == outcome)
