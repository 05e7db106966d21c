"""Typed records passed between the pipeline's stages.

Every stage takes and returns these frozen dataclasses, never raw dicts: feedparser's
result is converted in :mod:`aggregator.parse` and SQLite rows in :mod:`aggregator.store`,
so nothing else depends on either library's shapes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
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
    disabled: bool = False  # not fetched any more; its stored posts stay on the site
    include: tuple[str, ...] = ()  # keep only posts mentioning one of these words (title/text)
    exclude: tuple[str, ...] = ()  # drop posts mentioning any of these words
    hide: tuple[str, ...] = ()  # links or guids of single posts never to show


@dataclass(frozen=True, slots=True)
class Notice:
    """A remark about feeds.yaml worth a look, never a reason to refuse it (a tag used once)."""

    line: int | None
    message: str
    url: str | None = None  # the entry it is about


@dataclass(frozen=True, slots=True)
class Config:
    """The validated contents of feeds.yaml."""

    path: str
    feeds: tuple[Feed, ...]
    warnings: tuple[Notice, ...] = ()


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
    error_kind: str | None = None  # FetchError.kind of the last failure ("timeout", "http"...)
    failing_since: datetime | None = None  # first failure after the last success
    max_age: int | None = None  # seconds of the last answer's Cache-Control: max-age
    redirect_target: str | None = None  # permanent redirect seen on recent runs, not yet trusted
    redirect_count: int = 0  # runs that saw redirect_target
    redirect_first_seen: datetime | None = None
    moved_to: str | None = None  # trusted permanent redirect: fetched directly instead of url
    gone_since: datetime | None = None  # the feed answered 410 Gone
    shared_links: int = 0  # entries sharing their link with another, at the last success


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
    max_age: int | None = None  # Cache-Control: max-age, in seconds
    moved_to: str | None = None  # where 301/308 redirects sent us, if they did


@dataclass(frozen=True, slots=True)
class NotModified:
    """The server answered 304: nothing changed since the validators we sent."""

    url: str
    status: int = 304
    max_age: int | None = None
    moved_to: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """The feed was not polled this run (polled too recently, or gone)."""

    url: str
    reason: str
    gone: bool = False  # it answered 410 Gone earlier: reported as failed, not as unchanged


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
    link_words: int = 0  # words in links or linked list items: tells roundups from essays
    # Words in the whole text, counted when the post is read (-1: count them from `text`).
    # Kept apart because a build may load only the start of each text (the topic model
    # reads no further), while the diamonds need the whole post's length.
    words: int = -1
    # What the topic model reads: title and text cleaned of markup, links and the blog's
    # boilerplate, first words only (textclean.clean_posts); None if not cleaned yet.
    topic_text: str | None = None
    # An identifier stable across runs and unique across feeds (see post_uid). Computed
    # once: the site looks posts up by it hundreds of thousands of times.
    uid: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "uid", post_uid(self.feed_url, self.guid))
        if self.words < 0:
            object.__setattr__(self, "words", word_count(self.text))


def word_count(text: str) -> int:
    """Return the number of words in ``text`` (runs of non-space characters)."""
    return len(text.split())


def post_uid(feed_url: str, guid: str) -> str:
    """Return the stable identifier of the post ``guid`` in the feed at ``feed_url``."""
    return hashlib.sha1(f"{feed_url}\n{guid}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class TextWindow:
    """Which posts keep their text: the newest ``posts``, and all from the last ``days``.

    The newest posts are what a refit of the topic model reads (TopicSettings.fit_window);
    the days are the diamonds' widest look-back (DiamondSettings.wider_windows), so a post
    that can still be picked keeps its excerpt.
    """

    posts: int
    days: int


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed says about itself, and its posts."""

    title: str | None
    site: str | None
    description: str | None
    language: str | None
    posts: tuple[Post, ...]
    unlinked: int = 0  # entries skipped: no http(s) address a reader could follow
    # Entries whose link another entry of the feed also has (a podcast's show page):
    # they are told apart by their guid or enclosure (parse.tell_apart).
    shared_links: int = 0
    # The ids posts of such entries were stored under before they were told apart.
    merged_guids: tuple[str, ...] = ()


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
    # health.fetch_trouble: the kind of a failing feed's trouble, all its page says of it
    fetch_trouble: str | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    """A subject or phase from feeds.yaml's ``tags``, its spellings merged (aggregator.tags)."""

    slug: str
    name: str  # as most blogs spell it
    spellings: tuple[str, ...]  # every spelling in feeds.yaml that means this tag, sorted
    blogs: tuple[str, ...]  # feed URLs, in feeds.yaml order


MISC_SLUG = "misc"  # the posts no topic holds: a page of their own, never a topic
MISC_LABEL = "More to explore"


@dataclass(frozen=True, slots=True)
class Topic:
    """A group of posts about one subject, named by its most distinctive terms."""

    slug: str
    label: str
    terms: tuple[str, ...]
    post_uids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredTopic:
    """A topic as the previous build left it."""

    slug: str
    label: str
    terms: tuple[str, ...]
    post_uids: tuple[str, ...]
    active: bool
    last_seen: datetime | None = None  # the last build that had this topic


@dataclass(frozen=True, slots=True)
class TopicProfile:
    """What a topic looks like, enough to tell whether a new post belongs in it (assign.py)."""

    language: str  # base code: posts of other languages never join
    terms: Mapping[str, float]  # term -> weight of the topic's centre (unnormalised)
    floor: float  # the cosine from which a post is as close as the topic's own posts


@dataclass(frozen=True, slots=True)
class Fit:
    """When the stored topics were found, and on how many posts."""

    day: date
    posts: int


@dataclass(frozen=True, slots=True)
class TopicModel:
    """The topics found in a set of documents (aggregator.topics)."""

    topics: tuple[Topic, ...]
    misc: tuple[str, ...]  # documents that fit no topic well ("more to explore")
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    duplicates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kept -> copies
    # What new posts are assigned by until the next fit (assign.py): each topic's profile
    # (by slug; a language's shelf has none), the weights of the profiles' terms per
    # language, and when the topics were fitted.
    profiles: dict[str, TopicProfile] = field(default_factory=dict)
    vocabulary: dict[str, dict[str, float]] = field(default_factory=dict)
    fit: Fit | None = None


@dataclass(frozen=True, slots=True)
class TopicOverview:
    """What the home page and the topics index show of one topic (aggregator.overview)."""

    topic: Topic
    preview: tuple[Post, ...]  # its newest posts, at most one per blog
    posts: int
    blogs: int  # how many blogs write on it
    latest: datetime | None  # its newest post
    active: bool  # a post within the last QUIET_AFTER_DAYS; else a "quieter topic"


@dataclass(frozen=True, slots=True)
class Diamond:
    """A post picked for today's "diamonds in the rough", with the reason in plain words."""

    post_uid: str
    feed_url: str
    topic: str | None
    reason: str
    running: int = 0  # blogs in the running when the day's draw began (0: not known)


@dataclass(frozen=True, slots=True)
class Feature:
    """One past diamond."""

    date: date
    feed_url: str
    post_uid: str
    topic: str | None
    reason: str
    title: str = ""  # as when picked, so the archive outlives the post
    link: str = ""
    blog_title: str = ""


Outcome = Literal["ok", "not_modified", "failed"]  # a skipped poll counts as not_modified


@dataclass(frozen=True, slots=True)
class FeedReport:
    """How one feed fared in a build."""

    url: str
    outcome: Outcome
    reason: str
    new_posts: int = 0
    cause: str | None = None  # failures only: "timeout", "http 404", "parse"... for summaries


Condition = Literal["ok", "failing", "gone", "dead"]


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """How a feed has fared over time, for maintainers (status page and build.json)."""

    url: str  # as in feeds.yaml
    slug: str
    title: str
    condition: Condition  # dead: failing for 30+ days; gone: answered 410
    last_success: datetime | None
    last_fetched: datetime | None
    failing_since: datetime | None
    consecutive_failures: int
    error_kind: str | None
    last_error: str | None
    last_status: int | None
    moved_to: str | None  # trusted permanent redirect: update feeds.yaml to this URL
    redirect_target: str | None  # permanent redirect seen, not yet trusted
    last_post: datetime | None = None  # the blog's newest post
    dormant: bool = False  # no post for health.DORMANT_AFTER: the blog is quiet, not the feed
    shared_links: int = 0  # entries sharing their link with another, at the last fetch


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
    health: tuple[FeedHealth, ...] = field(default=())  # one per feed, sickest first

    def count(self, outcome: Outcome) -> int:
        """Return how many feeds had ``outcome``."""
        return sum(1 for f in self.feeds if f.outcome == outcome)
