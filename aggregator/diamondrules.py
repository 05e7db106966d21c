"""The rules of the diamonds: their settings, their seed, and which posts may be picked.

Split from :mod:`aggregator.diamonds` (which re-exports all of it) so that the draw
stays one module of a readable size: this is what a post must be to be a diamond at
all; the draw, its exposure counts and its reasons are there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from .models import Post
from .windows import Window


@dataclass(frozen=True, slots=True)
class DiamondSettings:
    """Every knob of the picks, in one place (documented in the README)."""

    count: int = 5  # picks per build
    window_days: int = 30  # only posts published this recently...
    # ... unless fewer blogs than ``count`` have one: then the draw looks back this far,
    # one step at a time, so a quiet month or a small community still gets its picks.
    wider_windows: tuple[int, ...] = (60, 90, 180)
    min_words: int = 120  # "real substance": shorter posts are notices, not essays
    max_link_share: float = 0.5  # more of the words than this in links / linked list items: roundup
    roundup_title_link_share: float = 0.2  # the same, for a title like "Weekly links"
    history_days: int = 90  # exposure is counted over this many days; waits are capped at it
    # Each round a blog is owed (rounds waited, less turns had lately) multiplies its odds
    # in the draw by e ** this (12: about 160,000), so turns come round in order, at random
    # among blogs owed about as much (a day's difference in a 36-day round: x1.4).
    round_steepness: float = 12.0
    # The tilt of "Surprise me" (:meth:`Exposure.weight`, aggregator/surprise.py), which is
    # not a draw of turns: (days since last featured) ** this ...
    wait_power: float = 6.0
    repeat_power: float = 6.0  # ... divided by (1 + times featured lately) ** this
    newcomer_days: int = 30  # blogs that joined this recently get a boost...
    newcomer_boost: float = 2.0  # ... of this factor on the day they join, fading to 1
    # A blog whose newest eligible post is about to leave the window is owed up to this
    # many rounds more (none on the day it is published, all of it on its last day).
    last_chance_rounds: float = 0.5
    # A blog in the running this many rounds since its last turn (rounds of the most
    # blogs in the running during that wait) is past its deadline: it is picked before
    # the draw, the earliest deadline first (0: no deadline, the draw alone). On the
    # simulated years 1.4 keeps the longest wait within round robin's while the weights
    # still make two picks in three; later deadlines lower the Gini and lengthen the
    # longest wait, earlier ones the reverse (benchmarks/README.md).
    deadline_rounds: float = 1.4
    # After the deadlines, draw only among the blogs featured fewest times in the last
    # ``history_days`` (what the 90-day Gini counts), and among those the ones whose
    # newest eligible post leaves the window soonest; the weights draw within that tier.
    fewest_first: bool = False


def seed_for(day: date) -> int:
    """Return the default seed of a build date: the date as a number, e.g. 20261123."""
    return int(day.strftime("%Y%m%d"))


# Titles of link roundups. A secondary signal only: it lowers the share of link text that
# marks a roundup, because "Reading for pleasure" is an essay title on an education blog.
_ROUNDUP_TITLE = re.compile(
    r"\b(?:weekly|monthly|daily|friday|saturday|sunday|weekend)\s+"
    r"(?:links|reads|reading|round-?up|digest|bookmarks|finds|five)\b"
    r"|\blinks?\s+(?:of|for)\s+(?:the|this)\s+(?:week|month|day)\b"
    r"|\b(?:link|news|resource)s?\s*(?:round-?up|dump|digest|list)\b"
    r"|\bround-?up\b|\bwhat i'?m reading\b|\bweek in (?:review|links)\b"
    r"|\b(?:interesting|good|great|recommended)\s+(?:links|reads)\b|^\s*links?\b",
    re.IGNORECASE,
)


def link_share(post: Post, words: int | None = None) -> float:
    """Return the share of the post's ``words`` that are link text or linked list items."""
    words = post.words if words is None else words
    return min(1.0, post.link_words / words) if words else 0.0


def is_roundup(post: Post, settings: DiamondSettings = DiamondSettings(), *,
               words: int | None = None) -> bool:
    """Return whether ``post`` is mostly links: a "weekly links" roundup, not an essay."""
    share = link_share(post, words)
    if share >= settings.max_link_share:
        return True
    return share >= settings.roundup_title_link_share and bool(_ROUNDUP_TITLE.search(post.title))


def unfit_because(post: Post, settings: DiamondSettings = DiamondSettings()) -> str | None:
    """Return why ``post`` could never be a diamond, whatever its age, or None if it could."""
    words = post.words
    if words < settings.min_words:
        return f"shorter than {settings.min_words} words"
    if is_roundup(post, settings, words=words):
        return "a roundup of links"
    return None


def ineligible_because(post: Post, *, now: datetime, settings: DiamondSettings) -> str | None:
    """Return why ``post`` cannot be a diamond on ``now``'s day, or None if it can.

    Its age is counted as :class:`~aggregator.windows.Window` counts it: a post of today
    or of the ``window_days - 1`` days before it is recent enough.
    """
    if post.published.date() not in Window.as_of(now.date(), settings.window_days):
        return f"older than {settings.window_days} days"
    return unfit_because(post, settings)


def is_eligible(post: Post, *, now: datetime, settings: DiamondSettings) -> bool:
    """Return whether ``post`` is recent, substantial and not a link roundup."""
    return ineligible_because(post, now=now, settings=settings) is None
