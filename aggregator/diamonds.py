"""Pick today's "diamonds in the rough": random recent posts, tilted toward small voices.

Pure logic: posts, topics and the exposure history go in, picks come out. The draw is
seeded (from the build date unless a seed is given), so the same inputs give the same
picks (issue 5). Each pick is two draws:

1. A **blog**, by the rounds it is owed (issue 15). A *round* is how long the day's picks
   take to go once through the blogs in the running (180 blogs at 5 a day: 36 days). A
   blog is owed the rounds it has waited since it was last featured, less one for each
   turn it had in the last 90 days, and each round owed makes it ``e ** round_steepness``
   times likelier: a blog that has waited a round longer than another is all but certain
   to go first, while blogs owed about as much are drawn at random among themselves. So
   every blog in the running gets its turn about once a round, without a fixed order
   anyone could predict. Boosts for blogs that joined recently and for blogs whose
   recent posts are about to age out of the window multiply the odds. Drawing the blog
   first means a blog that posts ten times a day has no more chances than one that posts
   once a month.
2. One of that blog's eligible **posts**, uniformly.

Before the draw, a **deadline** (issue 15): a blog that has been in the running for
``deadline_rounds`` rounds since its last turn (days on which it had a post that could be
picked, :func:`~aggregator.turns.days_in_running`) is picked first, the longest waiting
first, ties drawn by the same weights. The weights, which hold back a blog that had
turns lately, decide most picks; the deadline only bounds how long any blog waits, as
round robin would. Its reason says so, not a chance.

Posts come from the last 30 days; when fewer blogs than picks have one (a summer, a
small community), the draw looks back further, step by step (:func:`draw_pool`).

At most one pick per blog, and no two picks from one topic while blogs with posts in
other topics remain. Every factor is reported in the pick's reason, in plain words.
Everything the draw uses is the posts and the store's diamonds tables (the picks and
each day's count of blogs in the running), so it is recomputed the same from a restored
state: the days a blog was in the running are counted again from its posts' dates.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from .diamondreasons import explain
from .diamondrules import (
    DiamondSettings,
    ineligible_because,
    is_eligible,
    is_roundup,
    link_share,
    seed_for,
    unfit_because,
)
from .models import Diamond, Feature, Post
from .turns import (
    Exposure,
    days_in_running,
    days_left,
    deadline_days,
    exposures,
    last_chance,
    round_days,
    urgent,
)
from .windows import Window

__all__ = [
    "DiamondSettings", "Exposure", "Pool", "cross_post_groups", "days_in_running", "days_left",
    "deadline_days", "draw_pool", "explain", "exposures", "ineligible_because", "is_eligible",
    "is_roundup", "last_chance", "link_share", "pick_diamonds", "round_days", "seed_for",
    "unfit_because", "urgent",
]

_DEFAULTS = DiamondSettings()


def cross_post_groups(
    duplicates: Mapping[str, Collection[str]] | None,
) -> dict[str, frozenset[str]]:
    """Return each post uid's cross-post group (itself and its copies on other blogs).

    ``duplicates`` maps a uid to the uids of its copies; whether the key is a group's
    canonical post or every member, the result is the same: each key with its values is
    one group, and groups sharing a post are merged.
    """
    group_of: dict[str, frozenset[str]] = {}
    for key, copies in (duplicates or {}).items():
        members = {key, *copies}
        for uid in list(members):
            members |= group_of.get(uid, frozenset())
        group = frozenset(members)
        for uid in group:
            group_of[uid] = group
    return group_of


@dataclass(frozen=True, slots=True)
class Pool:
    """What one day's draw picks from: each blog's posts, and how far back it looked."""

    window: int  # days the draw looked back: settings.window_days unless it widened
    by_blog: Mapping[str, tuple[Post, ...]]  # by feed URL, each blog's posts by uid
    step: Mapping[str, int]  # by feed URL: the narrowest window holding one of its posts
    # By feed URL: the days of all its posts that could be picked, in any of the windows
    # (what its days in the running are counted from: :func:`days_in_running`).
    published: Mapping[str, tuple[date, ...]]

    def widened(self, url: str, settings: DiamondSettings) -> bool:
        """Return whether the blog at ``url`` is in the draw only because it widened."""
        return self.step[url] > settings.window_days


def draw_pool(posts: Iterable[Post], *, today: date, settings: DiamondSettings,
              featured: Collection[str] = frozenset(),
              excluded_feeds: Collection[str] = frozenset()) -> Pool:
    """Return the blogs and posts ``today``'s draw may pick from.

    A post may be picked if it is substantial (:func:`unfit_because`), was never featured
    (``featured``: uids) and its blog is not excluded. It must be inside the
    ``window_days`` window, unless fewer blogs than ``count`` have such a post: then the
    window widens one step of ``wider_windows`` at a time until enough blogs have one (or
    the widest is reached). Widening brings in more blogs, never older posts of a blog
    that has a newer one: each blog offers only the posts of the narrowest window that
    holds any of its posts.
    """
    steps = (settings.window_days,
             *sorted(w for w in settings.wider_windows if w > settings.window_days))
    spans = {w: Window.as_of(today, w) for w in steps}
    widest = spans[steps[-1]]
    fit: dict[str, list[tuple[date, Post]]] = {}
    for post in sorted(posts, key=lambda p: (p.feed_url, p.uid)):
        day = post.published.date()
        if (post.feed_url in excluded_feeds or post.uid in featured or day not in widest
                or unfit_because(post, settings)):
            continue
        fit.setdefault(post.feed_url, []).append((day, post))
    step: dict[str, int] = {}
    for url, dated in fit.items():
        newest = max(day for day, _ in dated)
        step[url] = next(w for w in steps if newest in spans[w])
    window = next((w for w in steps if sum(1 for s in step.values() if s <= w) >= settings.count),
                  steps[-1])
    by_blog = {url: tuple(p for day, p in dated if day in spans[step[url]])
               for url, dated in fit.items() if step[url] <= window}
    return Pool(window=window, by_blog=by_blog, step={url: step[url] for url in by_blog},
                published={url: tuple(day for day, _ in fit[url]) for url in by_blog})


def pick_diamonds(
    posts: Sequence[Post],
    *,
    topic_of: Mapping[str, str],
    history: Sequence[Feature],
    now: datetime,
    seed: int,
    excluded_feeds: frozenset[str] = frozenset(),
    joined: Mapping[str, date] | None = None,
    duplicates: Mapping[str, Collection[str]] | None = None,
    running: Mapping[date, int] | None = None,
    settings: DiamondSettings = _DEFAULTS,
) -> list[Diamond]:
    """Return up to ``settings.count`` picks: at most one per blog, spread across topics.

    Only the date of ``now`` matters: posts are aged in whole days (see
    :class:`~aggregator.windows.Window`), so a re-run later the same day draws the same.

    ``excluded_feeds`` are dead blogs; ``joined`` gives each blog's join date (for the
    newcomer boost); ``duplicates`` maps a post to its cross-posts on other blogs, so a
    post featured on one blog is never featured again from another; ``running``: how many
    blogs were in the running on past days (each pick's :attr:`Diamond.running`), so a
    pick counts as the share of a turn it took (:func:`exposures`).
    """
    today = now.date()
    group_of = cross_post_groups(duplicates)
    featured: set[str] = set()
    for f in history:
        if f.date < today:
            featured |= group_of.get(f.post_uid, {f.post_uid})
    pool = draw_pool(posts, today=today, settings=settings, featured=featured,
                     excluded_feeds=excluded_feeds)
    by_blog = pool.by_blog

    exposure = exposures(history, feeds=by_blog, today=today, joined=joined or {},
                         settings=settings, running=running, running_today=len(by_blog))
    # The last chance is for a post about to leave the usual window; one from a
    # widened window has left it already, and gets none.
    left = {url: None if pool.widened(url, settings) else days_left(ps, now=now, settings=settings)
            for url, ps in by_blog.items()}
    turn = round_days(len(by_blog), settings)
    odds = {url: exposure[url].log_odds(today, settings, round_days=turn, days_left=left[url])
            for url in by_blog}
    waited = {url: days_in_running(pool.published[url], since=exposure[url].since,
                                   today=today, settings=settings) for url in by_blog}
    rng = random.Random(seed)
    # Each blog's deadline is a round of the most blogs in the running on any day of its
    # wait, today's included (each day's count is stored with its picks), so it never
    # comes sooner than it was: today's count alone would bring every deadline a few days
    # earlier at once when the pool shrinks, and the count when the wait began would make
    # every blog featured in a summer due at once when the others return.
    most = _most_since(running or {}, today=len(by_blog))
    then = {url: most(exposure[url].since) for url in by_blog}
    deadline = {url: deadline_days(then[url], settings) if len(by_blog) > settings.count
                else None for url in by_blog}
    left_days = {url: max(0, d - waited[url]) for url, d in deadline.items() if d is not None}
    forced = urgent(left_days.values(), count=settings.count)
    picks: list[Diamond] = []
    used_topics: set[str | None] = set()
    candidates = dict(by_blog)
    while candidates and len(picks) < settings.count:
        # Topic spread: while some blog has a post in a topic not yet picked, draw only
        # among those blogs and those posts.
        fresh = {url: [p for p in ps if topic_of.get(p.uid) not in used_topics]
                 for url, ps in candidates.items()}
        fresh = {url: ps for url, ps in fresh.items() if ps}
        drawn: Mapping[str, Sequence[Post]] = fresh or candidates
        # Earliest deadline first, for the picks the deadlines need (:func:`urgent`);
        # ties drawn by their weights (the topic spread among them too). Then the draw.
        tied: list[str] = []
        if len(picks) < forced:
            soonest = min((left_days[u] for u in candidates if u in left_days), default=None)
            tied = sorted(u for u in candidates if u in left_days and left_days[u] == soonest)
        blogs = [u for u in tied if u in fresh] or tied or sorted(drawn)
        if not tied and settings.fewest_first:
            blogs = _fewest_then_soonest(blogs, exposure=exposure, left=left)
        # Relative to the likeliest blog, so rounds owed by the hundred do not overflow.
        top = max(odds[u] for u in blogs)
        weights = [math.exp(odds[u] - top) for u in blogs]
        (url,) = rng.choices(blogs, weights=weights)
        chance = None if tied else weights[blogs.index(url)] / sum(weights)
        post = rng.choice(drawn.get(url) or candidates[url])
        topic = topic_of.get(post.uid)
        used_topics.add(topic)
        newest = max(p.published for p in by_blog[url]).date()
        picks.append(Diamond(post_uid=post.uid, feed_url=url, topic=topic, reason=explain(
            exposure[url], today=today, settings=settings, posts=len(by_blog[url]),
            blogs=len(blogs), chance=chance, days_left=left[url],
            widened_to=pool.window if pool.widened(url, settings) else None, newest=newest,
            running=len(by_blog), waited=waited[url] if tied else None,
            deadline=deadline[url], deadline_running=then[url]),
            running=len(by_blog)))
        del candidates[url]
        copies = group_of.get(post.uid, frozenset())
        if copies:  # the same post cross-posted on another blog is not picked twice today
            candidates = {u: tuple(p for p in ps if p.uid not in copies)
                          for u, ps in candidates.items()}
            candidates = {u: ps for u, ps in candidates.items() if ps}
    return picks


def _fewest_then_soonest(blogs: Sequence[str], *, exposure: Mapping[str, Exposure],
                         left: Mapping[str, int | None]) -> list[str]:
    """Return those of ``blogs`` featured fewest times lately, and of those, the ones whose
    newest eligible post leaves the window soonest (a post of a widened window has left it
    already, and comes last)."""
    fewest = min(exposure[u].times for u in blogs)
    tier = [u for u in blogs if exposure[u].times == fewest]
    expiry = {u: math.inf if left[u] is None else float(left[u] or 0) for u in tier}
    soonest = min(expiry.values())
    return [u for u in tier if expiry[u] == soonest]


def _most_since(running: Mapping[date, int], *, today: int) -> Callable[[date | None], int]:
    """Return a function of a day: the most blogs in the running on it or on any day
    since (of ``running``, past days' counts), and ``today``."""
    days = sorted(running)
    most = [today] * (len(days) + 1)  # most[i]: over days[i:] and today
    for i in range(len(days) - 1, -1, -1):
        most[i] = max(most[i + 1], running[days[i]])

    def since(day: date | None) -> int:
        return today if day is None else most[bisect_left(days, day)]
    return since
