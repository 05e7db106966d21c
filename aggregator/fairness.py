"""The public fairness ledger: how often each blog was featured, next to how much it posts.

Pure functions from the stored history to what the ledger page shows (issue 5): one row
per blog, the Gini coefficient of exposure, and the geometry of an inline SVG chart of
exposure against posting volume (drawn by ``templates/fairness.html``; no JavaScript).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .diamonds import DiamondSettings, unfit_because
from .models import Blog, Feature, Post
from .windows import Window, reach

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
    featured: int  # times featured in the history window
    featured_ever: int
    last_featured: date | None
    posts: int  # posts published in the history window
    posts_stored: int
    eligible: bool  # had a post that could be picked on some day of the history window


@dataclass(frozen=True, slots=True)
class Ledger:
    """The whole ledger as of one build."""

    today: date
    days: int  # the history window the counts cover (see aggregator.windows)
    rows: tuple[LedgerRow, ...]  # alphabetical by blog title
    gini: float  # of ``featured`` across the eligible blogs
    eligible: int  # how many blogs that Gini is over
    featured_share: float  # of the eligible blogs, the share featured at least once
    picks: int = 0  # picks made in the window, withdrawn ones included
    withdrawn: int = 0  # of those, picks of blogs since removed (or posts since hidden)
    withdrawn_ever: int = 0
    draw_days: int = 0  # days on which a draw picked anything, ever

    @property
    def too_early(self) -> bool:
        """Return whether there are too few days of draws to judge the draw's fairness."""
        return self.draw_days < self.judge_after

    @property
    def judge_after(self) -> int:
        """Return how many days of draws the ledger waits for before judging them."""
        return JUDGE_AFTER_DAYS

    @property
    def featured_blogs(self) -> int:
        """Return how many of the eligible blogs were featured in the window."""
        return sum(1 for r in self.rows if r.eligible and r.featured)


# Below this many days of draws a Gini says nothing: after one day of 5 picks among 35
# blogs it is 0.86 however fair the draw is, because 30 blogs simply had no turn yet.
JUDGE_AFTER_DAYS = 30


def build_ledger(blogs: Sequence[Blog], posts: Sequence[Post], history: Sequence[Feature], *,
                 today: date, settings: DiamondSettings = _DEFAULTS,
                 withdrawn: Mapping[date, int] | None = None) -> Ledger:
    """Return the ledger of ``blogs`` from their stored posts and the diamonds history.

    Counts are over the ``history_days`` window as of ``today``: the window the draw
    counts a blog's features in (:func:`aggregator.diamonds.exposures`). ``withdrawn``
    gives, per day, how many of its picks were withdrawn since (their blog left the site,
    or the post was hidden), so the totals still add up to the picks that were made.
    """
    window = Window.as_of(today, settings.history_days)
    featured: dict[str, int] = {}
    ever: dict[str, int] = {}
    last: dict[str, date] = {}
    draw_days: set[date] = set()
    for f in history:
        if f.date > today:
            continue
        draw_days.add(f.date)
        ever[f.feed_url] = ever.get(f.feed_url, 0) + 1
        if f.date in window:
            featured[f.feed_url] = featured.get(f.feed_url, 0) + 1
        if f.feed_url not in last or f.date > last[f.feed_url]:
            last[f.feed_url] = f.date
    gone = {day: n for day, n in (withdrawn or {}).items() if day <= today and n > 0}
    draw_days |= gone.keys()
    recent: dict[str, int] = {}
    stored: dict[str, int] = {}
    eligible = {url for url, n in featured.items() if n}  # a featured blog could be picked
    for post in posts:
        stored[post.feed_url] = stored.get(post.feed_url, 0) + 1
        day = post.published.date()
        if day in window:
            recent[post.feed_url] = recent.get(post.feed_url, 0) + 1
        # Eligible on some day of the window: inside the draw's usual window on that day.
        if (reach(day, settings.window_days).overlaps(window) and day <= today
                and unfit_because(post, settings) is None):
            eligible.add(post.feed_url)
    rows = tuple(LedgerRow(
        blog=b, featured=featured.get(b.url, 0), featured_ever=ever.get(b.url, 0),
        last_featured=last.get(b.url), posts=recent.get(b.url, 0),
        posts_stored=stored.get(b.url, 0), eligible=b.url in eligible,
    ) for b in sorted(blogs, key=lambda b: (b.title.casefold(), b.slug)))
    counts = [r.featured for r in rows if r.eligible]
    withdrawn_recent = sum(n for day, n in gone.items() if day in window)
    return Ledger(today=today, days=settings.history_days, rows=rows, gini=gini(counts),
                  eligible=len(counts),
                  featured_share=sum(1 for c in counts if c) / len(counts) if counts else 0.0,
                  picks=sum(featured.values()) + withdrawn_recent, withdrawn=withdrawn_recent,
                  withdrawn_ever=sum(gone.values()), draw_days=len(draw_days))


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
    font_size: int = 13  # FONT_SIZE


_X_TICKS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
FONT_SIZE = 13  # of the chart's labels, in its user units
# The chart is drawn at about phone width, so that on a 360 px screen (where it is shown
# at nearly this size) its labels stay readable; wider screens show it up to 30rem wide.
CHART_WIDTH, CHART_HEIGHT = 360, 300


def chart(ledger: Ledger, *, width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> Chart:
    """Return the chart of featured (y) against posts (x, square-root scale) per blog.

    A square-root scale keeps the many small blogs apart while still showing how far
    ahead the prolific ones post; blogs sharing a point are one dot, larger. Ticks too
    close to draw apart are left out (the table below has every number).
    """
    left, right, top, bottom = 44, width - 14, 14, height - 42
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
    x_ticks = _spaced([Tick(x(v), str(v)) for v in _X_TICKS if v <= x_top],
                      gap=FONT_SIZE * 0.6 * 5)  # room for a 4-digit label and a space
    step = max(1, math.ceil(y_top / 6))
    y_ticks = _spaced([Tick(y(v), str(v)) for v in range(0, y_top + 1, step)],
                      gap=FONT_SIZE * 1.5)
    return Chart(width=width, height=height, left=left, right=right, top=top, bottom=bottom,
                 dots=dots, x_ticks=x_ticks, y_ticks=y_ticks, font_size=FONT_SIZE)


def _spaced(ticks: Sequence[Tick], *, gap: float) -> tuple[Tick, ...]:
    """Return ``ticks`` without those closer than ``gap`` to the one kept before them.

    The last tick (the axis' top) is kept, dropping its neighbour instead if need be.
    """
    kept: list[Tick] = []
    for tick in ticks:
        if not kept or abs(tick.at - kept[-1].at) >= gap:
            kept.append(tick)
    if ticks and kept[-1] != ticks[-1]:
        while len(kept) > 1 and abs(ticks[-1].at - kept[-1].at) < gap:
            kept.pop()
        kept.append(ticks[-1])
    return tuple(kept)
