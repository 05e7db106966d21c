"""Windows of days: the one definition the diamonds draw, the fairness ledger and the
simulation share (issue 15).

A window of ``n`` days *as of* a day is those ``n`` days ending with it, both ends
counted: the 30-day window as of 20 November runs from 22 October to 20 November. Days
are UTC calendar days. Every count over "the last n days" uses this, so the draw and the
ledger of the same day always agree on what a pick exactly at the window's edge is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Window:
    """The calendar days ``first`` to ``last``, both included."""

    first: date
    last: date

    @classmethod
    def as_of(cls, day: date, days: int) -> Window:
        """Return the ``days``-day window ending with ``day`` (``day`` itself included)."""
        return cls(first=day - timedelta(days=days - 1), last=day)

    @property
    def days(self) -> int:
        """Return how many days the window holds."""
        return max(0, (self.last - self.first).days + 1)

    def __contains__(self, day: object) -> bool:
        """Return whether ``day`` (a date) is one of the window's days."""
        return isinstance(day, date) and self.first <= day <= self.last

    def overlaps(self, other: Window) -> bool:
        """Return whether the two windows share at least one day."""
        return self.first <= other.last and other.first <= self.last


def reach(published: date, days: int) -> Window:
    """Return the days on which a post published on ``published`` is inside a ``days``-day
    window: from that day until ``days - 1`` days later."""
    return Window(first=published, last=published + timedelta(days=days - 1))
