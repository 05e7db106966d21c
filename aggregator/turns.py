"""How long each blog has waited for its turn, and what it has had: the draw's exposure.

Split from :mod:`aggregator.diamonds` (which re-exports all of it): the rounds a blog is
owed, its last chance, and the days it has been in the running since its last turn, all
recomputed from the stored picks and the posts, so a restored state draws the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .diamondrules import DiamondSettings
from .models import Feature, Post
from .windows import Window, reach


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
    # The day after which its wait for a turn is counted (:func:`days_in_running`): its
    # last pick, the day before it joined or before the first draw of the history,
    # whichever is latest (None: not known, counted over the whole ``history_days``).
    since: date | None = None

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

    # No draw before today: nobody has waited yet.
    before = (first or today) - timedelta(days=1)

    def since(url: str) -> date:
        start = joined.get(url)
        days = (before, last.get(url), None if start is None else start - timedelta(days=1))
        return max(d for d in days if d is not None)

    return {url: Exposure(times=times.get(url, 0), last=last.get(url), joined=joined.get(url),
                          turns=turns.get(url, 0.0) if shared else None,
                          counted=counted(url), since=since(url))
            for url in feeds}


def days_in_running(published: Iterable[date], *, since: date | None, today: date,
                    settings: DiamondSettings) -> int:
    """Return on how many days after ``since``, up to ``today``, a blog was in the running.

    ``published``: the days of the blog's posts that could be picked (substantial, never
    featured). On a day, the blog was in the running if one of them was inside the
    ``window_days`` window as of that day (:func:`~aggregator.windows.reach`): the days
    round robin would count as its wait. At most the last ``history_days`` are counted.
    A blog whose posts are all months apart waits only while one of them is recent, so
    its deadline (:func:`due`) comes when it has been passed over for a round, not the
    day its next post appears.
    """
    first = Window.as_of(today, settings.history_days).first
    if since is not None:
        first = max(first, since + timedelta(days=1))
    spans = sorted((max(first, w.first), min(today, w.last))
                   for w in (reach(day, settings.window_days) for day in set(published)))
    total, covered = 0, first - timedelta(days=1)  # the last day already counted
    for start, end in spans:
        start = max(start, covered + timedelta(days=1))
        if start <= end:
            total += (end - start).days + 1
            covered = end
    return total


def deadline_days(running: int, settings: DiamondSettings) -> int | None:
    """Return the days in the running after which a blog is past its deadline.

    ``deadline_rounds`` rounds of ``running`` blogs (:func:`round_days`; the most in
    the running on a day of its wait): a blog in the running that long since its last turn
    must have it that day. None: no deadline, as when every blog in the running has a
    turn every day anyway.
    """
    if running <= settings.count or settings.deadline_rounds <= 0:
        return None
    return math.ceil(settings.deadline_rounds * round_days(running, settings))


def urgent(left: Iterable[int], *, count: int) -> int:
    """Return how many of today's picks must go to the blogs nearest their deadline.

    ``left``: for each blog with a deadline, the days until it (0: today). Today and the
    ``k`` days after it have ``count * (k + 1)`` picks, and every blog that reaches its
    deadline within ``k`` days needs one of them, if it stays in the running. So today
    takes, earliest deadline first, as many as the days after could not: the most, over
    ``k``, of (blogs due within ``k`` days) - ``count * k``. Picking only the blogs
    already due would let deadlines bunch up until more fall on one day than it has
    picks; picking more would take turns from the draw for nothing.
    """
    need = 0
    for i, days in enumerate(sorted(left)):
        need = max(need, i + 1 - count * days)  # i + 1 blogs are due within ``days`` days
    return min(count, need)
