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

Posts come from the last 30 days; when fewer blogs than picks have one (a summer, a
small community), the draw looks back further, step by step (:func:`draw_pool`).

At most one pick per blog, and no two picks from one topic while blogs with posts in
other topics remain. Every factor is reported in the pick's reason, in plain words.
Everything the draw uses is in the store's diamonds tables (the picks and each day's
count of blogs in the running), so it is recomputed the same from a restored state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

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
from .windows import Window, reach

__all__ = [
    "DiamondSettings", "Exposure", "Pool", "cross_post_groups", "days_left", "draw_pool",
    "explain", "exposures", "ineligible_because", "is_eligible", "is_roundup",
    "last_chance", "link_share", "pick_diamonds", "round_days", "seed_for", "unfit_because",
]

_DEFAULTS = DiamondSettings()


@dataclass(frozen=True, slots=True)
class Exposure:
    """How much attention one blog has had, as the draw sees it on one day."""

    times: int  # featured in the last history_days
    last: date | None  # last featured (ever, as far as history goes)
    joined: date | None  # when it was added to feeds.yaml, else first seen
    # ``times``, each pick counted by how many blogs were in the running that day against
    # today, at most 1 (:func:`exposures`); None: each counts 1 (no record of those days).
    turns: float | None = None
    # Days over which ``times`` could be counted: since the first draw of the history or
    # since the blog joined, whichever is later (None: the whole ``history_days``).
    counted: int | None = None

    @property
    def taken(self) -> float:
        """Return the turns the blog has had lately, as the weight counts them."""
        return self.times if self.turns is None else self.turns

    def wait(self, today: date, settings: DiamondSettings) -> int:
        """Return days since last featured, capped at ``history_days`` (never: the cap)."""
        if self.last is None:
            return settings.history_days
        return max(1, min(settings.history_days, (today - self.last).days))

    def newcomer_factor(self, today: date, settings: DiamondSettings) -> float:
        """Return the newcomer boost: ``newcomer_boost`` on joining, fading to 1."""
        if self.joined is None or settings.newcomer_days <= 0:
            return 1.0
        age = max(0, (today - self.joined).days)
        if age >= settings.newcomer_days:
            return 1.0
        return 1.0 + (settings.newcomer_boost - 1.0) * (1 - age / settings.newcomer_days)

    def owed(self, today: date, settings: DiamondSettings, round_days: float) -> float:
        """Return the rounds the blog is owed: rounds waited, less the turns it had lately."""
        return self.wait(today, settings) / round_days - self.paced(today, settings)

    def paced(self, today: date, settings: DiamondSettings) -> float:
        """Return the turns the blog had lately, at their pace over ``history_days``.

        Turns are counted over the days the blog has been in the draws (:attr:`counted`):
        a blog that joined 10 days ago and had a turn had them at the pace of 9 in 90 days.
        Counted as 1, it would be owed the turns of the blogs that were there all along,
        and be featured day after day until it had as many.
        """
        days = settings.history_days if self.counted is None else self.counted
        return self.taken * settings.history_days / max(1, min(settings.history_days, days))

    def log_odds(self, today: date, settings: DiamondSettings, *, round_days: float,
                 days_left: int | None = None) -> float:
        """Return the log of the blog's weight in the draw: the rounds owed, and the boosts.

        ``round_days``: how long a round of the draw is (:func:`round_days`);
        ``days_left``: how long until the blog's newest eligible post leaves the window
        (None: not known, no last chance).
        """
        owed = self.owed(today, settings, round_days) + last_chance(days_left, settings)
        return settings.round_steepness * owed + math.log(self.newcomer_factor(today, settings))

    def weight(self, today: date, settings: DiamondSettings) -> float:
        """Return the blog's tilt for "Surprise me" (1.0: waited the full history, never seen).

        Not the diamonds' draw, which goes by rounds owed (:meth:`log_odds`): a random
        post on demand should favour quiet blogs, not take turns.
        """
        wait = self.wait(today, settings) / settings.history_days
        return (math.pow(wait, settings.wait_power)
                / math.pow(1 + self.taken, settings.repeat_power)
                * self.newcomer_factor(today, settings))


def round_days(running: int, settings: DiamondSettings) -> float:
    """Return how many days a round of the draw takes: ``running`` blogs at ``count`` a day.

    At least a day: when no more blogs are in the running than there are picks, each of
    them can have a turn every day.
    """
    return max(1.0, running / max(1, settings.count))


def last_chance(days_left: int | None, settings: DiamondSettings) -> float:
    """Return the rounds more a blog is owed as its recent posts are about to age out.

    A blog that posts rarely is eligible only while its one recent post is; if its turn
    does not come then, it waits for its next post, which may be months away. The extra
    grows linearly from 0 (a post published today) to ``last_chance_rounds`` (the last
    day before the blog's newest eligible post leaves the window). None: not known.
    """
    if days_left is None or settings.window_days <= 0:
        return 0.0
    spent = 1 - max(0, min(settings.window_days, days_left)) / settings.window_days
    return settings.last_chance_rounds * spent


def days_left(posts: Iterable[Post], *, now: datetime, settings: DiamondSettings) -> int:
    """Return whole days until the newest of ``posts`` leaves the eligibility window.

    1: today is its last day in the window (it leaves tomorrow); 0: it has left.
    """
    newest = max(p.published for p in posts).date()
    last = reach(newest, settings.window_days).last
    return max(0, (last - now.date()).days + 1)


def exposures(history: Iterable[Feature], *, feeds: Iterable[str], today: date,
              joined: Mapping[str, date], settings: DiamondSettings,
              running: Mapping[date, int] | None = None,
              running_today: int | None = None) -> dict[str, Exposure]:
    """Return the exposure of each of ``feeds`` before ``today``, from the stored history.

    Features are counted over the ``history_days`` window as of ``today``, the window the
    ledger counts (:func:`aggregator.fairness.build_ledger`); today's own picks (an earlier
    run of this date) never count.

    ``running`` gives how many blogs were in the running on past days' draws, and
    ``running_today`` today's. A pick then counts as the share of a turn it took from
    others: a pick made when 30 blogs could have had it, counted on a day when 180 can,
    is a sixth of a turn. Without this, a blog that kept posting through a summer, and
    was featured often because hardly anyone else could be, would be held back for
    months after it, however long it then waits.
    """
    window = Window.as_of(today, settings.history_days)
    times: dict[str, int] = {}
    turns: dict[str, float] = {}
    last: dict[str, date] = {}
    first: date | None = None  # the first day of draws in the history
    for f in history:
        if f.date >= today:
            continue
        first = f.date if first is None or f.date < first else first
        if f.date in window:
            times[f.feed_url] = times.get(f.feed_url, 0) + 1
            then = (running or {}).get(f.date)
            share = min(1.0, then / running_today) if then and running_today else 1.0
            turns[f.feed_url] = turns.get(f.feed_url, 0.0) + share
        if f.feed_url not in last or f.date > last[f.feed_url]:
            last[f.feed_url] = f.date
    shared = bool(running) and bool(running_today)

    def counted(url: str) -> int | None:
        start = max((d for d in (first, joined.get(url)) if d is not None), default=None)
        return None if first is None or start is None else (today - start).days

    return {url: Exposure(times=times.get(url, 0), last=last.get(url), joined=joined.get(url),
                          turns=turns.get(url, 0.0) if shared else None,
                          counted=counted(url))
            for url in feeds}


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
    return Pool(window=window, by_blog=by_blog, step={url: step[url] for url in by_blog})


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
    rng = random.Random(seed)
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
        blogs = sorted(drawn)
        # Relative to the likeliest blog, so rounds owed by the hundred do not overflow.
        top = max(odds[u] for u in blogs)
        weights = [math.exp(odds[u] - top) for u in blogs]
        (url,) = rng.choices(blogs, weights=weights)
        chance = weights[blogs.index(url)] / sum(weights)
        post = rng.choice(drawn[url])
        topic = topic_of.get(post.uid)
        used_topics.add(topic)
        newest = max(p.published for p in by_blog[url]).date()
        picks.append(Diamond(post_uid=post.uid, feed_url=url, topic=topic, reason=explain(
            exposure[url], today=today, settings=settings, posts=len(by_blog[url]),
            blogs=len(blogs), chance=chance, days_left=left[url],
            widened_to=pool.window if pool.widened(url, settings) else None, newest=newest,
            running=len(by_blog)), running=len(by_blog)))
        del candidates[url]
        copies = group_of.get(post.uid, frozenset())
        if copies:  # the same post cross-posted on another blog is not picked twice today
            candidates = {u: tuple(p for p in ps if p.uid not in copies)
                          for u, ps in candidates.items()}
            candidates = {u: ps for u, ps in candidates.items() if ps}
    return picks


def explain(exposure: Exposure, *, today: date, settings: DiamondSettings, posts: int,
            blogs: int, chance: float, days_left: int | None = None,
            widened_to: int | None = None, newest: date | None = None,
            running: int | None = None) -> str:
    """Return why a blog was drawn, in plain words, from the factors of its weight.

    ``widened_to``: the days the draw looked back, when it had to look further than
    ``window_days`` to reach this blog; ``newest``: the date of the blog's newest post
    that could be picked; ``running``: how many blogs were in the running when the day's
    draw began, which sets the length of a round (None: the rounds are not explained).
    """
    n, days = exposure.times, settings.history_days
    if exposure.last is None:
        parts = ["From a blog never featured before"]
    else:
        ago = _plural((today - exposure.last).days, "day")
        if n:
            parts = [f"From a blog featured {_plural(n, 'time')} in the last {days} days, "
                     f"most recently {ago} ago"]
            if exposure.turns is not None and exposure.turns < n - 0.5:
                parts[0] += (f", mostly while few blogs had a post (counted as "
                             f"{exposure.turns:.1f} turns)")
        else:
            parts = [f"From a blog not featured in the last {days} days (last {ago} ago)"]
    if running is not None and running > settings.count:  # else every blog has a turn today
        parts.append(_owed(exposure, today=today, settings=settings, running=running))
    boost = exposure.newcomer_factor(today, settings)
    if exposure.joined is not None and boost > 1.0:
        age = max(0, (today - exposure.joined).days)
        joined = "today" if age == 0 else f"{_plural(age, 'day')} ago"
        parts.append(f"joined {joined} (newcomer boost ×{boost:.1f})")
    if widened_to is not None and newest is not None:
        since = _day(newest, today)
        parts.append(("its only post" if posts == 1 else f"one of its {posts} posts")
                     + f" that could be picked, with nothing newer from this blog since {since}"
                     f" (fewer than {settings.count} blogs had a post in the last "
                     f"{settings.window_days} days, so the draw looked back {widened_to} days)")
    else:
        parts.append("its only recent post" if posts == 1
                     else f"one of its {posts} recent posts")
    extra = last_chance(days_left, settings)
    if days_left is not None and extra > 0 and extra >= settings.last_chance_rounds / 2:
        when = "tomorrow" if days_left <= 1 else f"in {days_left} days"
        parts.append(f"its last eligible post leaves the {settings.window_days}-day window "
                     f"{when} (a last chance: owed {extra:.1f} rounds more)")
    if blogs == 1:
        odds = "It was the only blog still in the running."
    else:
        odds = f"It had {_chance(chance)} in its draw, among {blogs} blogs still in the running."
    return f"{'; '.join(parts)}. {odds}"


def _owed(exposure: Exposure, *, today: date, settings: DiamondSettings, running: int) -> str:
    """Return the rounds a blog was owed, and what a round is, as a part of its reason."""
    turn = round_days(running, settings)
    wait = exposure.wait(today, settings)
    rounds = f"{wait / turn:.1f} rounds"
    text = (f"a wait of {rounds}" if exposure.last is not None and wait < settings.history_days
            else f"counted as a wait of {settings.history_days} days, {rounds}")
    taken, days = exposure.paced(today, settings), settings.history_days
    if taken > 0:
        turns = "turn" if exposure.times == 1 else "turns"
        text += f", less {_turns(taken)} for the {turns} it had"
        if exposure.counted is not None and exposure.counted < days:
            text += f" in {_plural(exposure.counted, 'day')}, at that pace over {days} days"
    return (f"{text} (a round: {_plural(round(turn), 'day')} for {settings.count} picks a day "
            f"to reach all {running} blogs in the running; each round owed makes a blog far "
            f"likelier)")


def _turns(n: float) -> str:
    """Return a count of turns as a reader would say it: "1", "1.8"."""
    return f"{n:.0f}" if abs(n - round(n)) < 0.05 else f"{n:.1f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _day(day: date, today: date) -> str:
    """Return ``day`` as "3 June" (with the year when it is not ``today``'s)."""
    text = f"{day.day} {day:%B}"
    return text if day.year == today.year else f"{text} {day.year}"


def _chance(share: float) -> str:
    """Return a chance as a reader would say it: "a 42% chance", "about a 1 in 40 chance".

    Whole percents from 10% up (never "100%" for a draw among several blogs), odds below:
    a precision the draw's weights do not have would only mislead.
    """
    if share >= 0.995:
        return "a better than 99% chance"
    if share >= 0.095:
        return f"a {max(10, round(100 * share))}% chance"
    if share <= 1e-4:
        return "less than a 1 in 10,000 chance"
    odds = 1 / share
    digits = max(0, len(str(int(odds))) - 2)  # two significant figures: 1 in 24, 1 in 240
    rounded = round(odds, -digits) if digits else round(odds)
    return f"about a 1 in {int(rounded):,} chance"
