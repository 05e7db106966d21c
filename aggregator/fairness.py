"""The public fairness ledger: how often each blog was featured, next to how much it posts.

Pure functions from the stored history to what the ledger page shows (issue 5): one row
per blog, the Gini coefficient of exposure, and the geometry of an inline SVG chart of
exposure against posting volume (drawn by ``templates/fairness.html``; no JavaScript).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .diamonds import DiamondSettings, ineligible_because
from .models import Blog, Post
from .store import Feature

_DEFAULTS = DiamondSettings()


def gini(values: Iterable[float]) -> float:
    """Return the Gini coefficient of ``values``: 0 is perfectly even, near 1 is one takes all.

    Zero for no values or all zeros (nobody has anything more than anybody else).
    """
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total <= 0:
        return 0.0
    return sum((2 * i - n - 1) * x for i, x in enumerate(xs, start=1)) / (n * total)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One blog's exposure and posting volume."""

    blog: Blog
    featured: int  # times featured in the last history_days
    featured_ever: int
    last_featured: date | None
    posts: int  # posts published in the last history_days
    posts_stored: int
    eligible: bool  # had a post that could be picked at some time in the last history_days


@dataclass(frozen=True, slots=True)
class Ledger:
    """The whole ledger as of one build."""

    today: date
    days: int  # the history window the counts cover
    rows: tuple[LedgerRow, ...]  # alphabetical by blog title
    gini: float  # of ``featured`` across the eligible blogs
    eligible: int  # how many blogs that Gini is over
    featured_share: float  # of the eligible blogs, the share featured at least once


def build_ledger(blogs: Sequence[Blog], posts: Sequence[Post], history: Sequence[Feature], *,
                 today: date, settings: DiamondSettings = _DEFAULTS) -> Ledger:
    """Return the ledger of ``blogs`` from their stored posts and the diamonds history."""
    since = today - timedelta(days=settings.history_days)
    featured: dict[str, int] = {}
    ever: dict[str, int] = {}
    last: dict[str, date] = {}
    for f in history:
        if f.date > today:
            continue
        ever[f.feed_url] = ever.get(f.feed_url, 0) + 1
        if f.date > since:
            featured[f.feed_url] = featured.get(f.feed_url, 0) + 1
        if f.feed_url not in last or f.date > last[f.feed_url]:
            last[f.feed_url] = f.date
    recent: dict[str, int] = {}
    stored: dict[str, int] = {}
    eligible: set[str] = set()
    # A post published within the window plus the eligibility window before it was
    # eligible on some day of the history window if it met the other criteria then.
    end_of_today = datetime.combine(today, time.max, tzinfo=UTC)
    for post in posts:
        stored[post.feed_url] = stored.get(post.feed_url, 0) + 1
        day = post.published.date()
        if since < day <= today:
            recent[post.feed_url] = recent.get(post.feed_url, 0) + 1
        reason = ineligible_because(post, now=post.published, settings=settings)
        oldest = since - timedelta(days=settings.window_days)
        if reason is None and oldest < day and post.published <= end_of_today:
            eligible.add(post.feed_url)
    rows = tuple(LedgerRow(
        blog=b, featured=featured.get(b.url, 0), featured_ever=ever.get(b.url, 0),
        last_featured=last.get(b.url), posts=recent.get(b.url, 0),
        posts_stored=stored.get(b.url, 0), eligible=b.url in eligible,
    ) for b in sorted(blogs, key=lambda b: (b.title.casefold(), b.slug)))
    counts = [r.featured for r in rows if r.eligible]
    return Ledger(today=today, days=settings.history_days, rows=rows, gini=gini(counts),
                  eligible=len(counts),
                  featured_share=sum(1 for c in counts if c) / len(counts) if counts else 0.0)


@dataclass(frozen=True, slots=True)
class Dot:
    """Blogs at one point of the chart (several blogs can share a point)."""

    cx: float
    cy: float
    r: float
    posts: int
    featured: int
    titles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Tick:
    """One labelled tick of an axis."""

    at: float  # position in the SVG's coordinates
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    """The geometry of the exposure-against-volume chart, in SVG user units."""

    width: int
    height: int
    left: int
    right: int  # x of the plot's right edge
    top: int
    bottom: int  # y of the plot's bottom edge
    dots: tuple[Dot, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]


_X_TICKS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def chart(ledger: Ledger, *, width: int = 640, height: int = 320) -> Chart:
    """Return the chart of featured (y) against posts (x, square-root scale) per blog.

    A square-root scale keeps the many small blogs apart while still showing how far
    ahead the prolific ones post; blogs sharing a point are one dot, larger.
    """
    left, right, top, bottom = 48, width - 16, 16, height - 44
    max_posts = max((r.posts for r in ledger.rows), default=0)
    max_featured = max((r.featured for r in ledger.rows), default=0)
    x_top = max(1, max_posts)
    y_top = max(1, max_featured)

    def x(posts: float) -> float:
        return round(left + (right - left) * math.sqrt(posts / x_top), 1)

    def y(featured: float) -> float:
        return round(bottom - (bottom - top) * featured / y_top, 1)

    groups: dict[tuple[int, int], list[str]] = {}
    for row in ledger.rows:
        groups.setdefault((row.posts, row.featured), []).append(row.blog.title)
    dots = tuple(Dot(cx=x(p), cy=y(f), r=round(3 + 2 * math.sqrt(len(t) - 1), 1), posts=p,
                     featured=f, titles=tuple(t))
                 for (p, f), t in sorted(groups.items()))
    x_ticks = tuple(Tick(x(v), str(v)) for v in _X_TICKS if v <= x_top)
    step = max(1, math.ceil(y_top / 6))
    y_ticks = tuple(Tick(y(v), str(v)) for v in range(0, y_top + 1, step))
    return Chart(width=width, height=height, left=left, right=right, top=top, bottom=bottom,
                 dots=dots, x_ticks=x_ticks, y_ticks=y_ticks)
