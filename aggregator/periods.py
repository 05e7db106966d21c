"""Cut a history of posts into periods (a day, a month, a year) for compact archive pages.

An archive page holds every post of one period of its list (a topic, a blog, the river),
so a new post rewrites only the page of its own period: the pages of a period that is
over keep their bytes, and a deploy of the next day's site sends little (#14). Pure
functions: posts in, :class:`Period` records out, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from .models import Post

Grain = Literal["year", "month", "day"]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Period:
    """The posts of one list in one period, newest first, and where their page is."""

    key: tuple[int, ...]  # (year,), (year, month) or (year, month, day)
    path: str  # from the site's root: "topics/phonics/2024/05/index.html"
    label: str  # "2024", "May 2024", "20 May 2024"
    posts: tuple[Post, ...]

    @property
    def year(self) -> int:
        """Return the period's year."""
        return self.key[0]

    @property
    def short(self) -> str:
        """Return the period's name within its year: "May", or the year itself."""
        return MONTHS[self.key[1] - 1] if len(self.key) == 2 else self.label


@dataclass(frozen=True, slots=True)
class ArchivePage:
    """One archive page: its period and the neighbouring periods of the same list."""

    period: Period
    newer: Period | None
    older: Period | None


def period_key(when: datetime, grain: Grain) -> tuple[int, ...]:
    """Return the period ``when`` (read in UTC) falls in."""
    utc = when.astimezone(UTC)
    if grain == "year":
        return (utc.year,)
    return (utc.year, utc.month) if grain == "month" else (utc.year, utc.month, utc.day)


def period_path(base: str, key: tuple[int, ...]) -> str:
    """Return the page of period ``key`` under ``base`` ("topics/phonics/")."""
    return base + "/".join(f"{part:02d}" for part in key) + "/index.html"


def period_label(key: tuple[int, ...]) -> str:
    """Return how a page names period ``key``: "2024", "May 2024", "20 May 2024"."""
    if len(key) == 1:
        return str(key[0])
    month = f"{MONTHS[key[1] - 1]} {key[0]}"
    return month if len(key) == 2 else f"{key[2]} {month}"


def periods(posts: Iterable[Post], grain: Grain, base: str) -> list[Period]:
    """Return ``posts`` by period, the newest period first and each one's newest post first."""
    found: dict[tuple[int, ...], list[Post]] = {}
    for post in posts:
        found.setdefault(period_key(post.published, grain), []).append(post)
    return [Period(key=key, path=period_path(base, key), label=period_label(key),
                   posts=tuple(sorted(found[key], key=lambda p: (p.published, p.uid),
                                      reverse=True)))
            for key in sorted(found, reverse=True)]


def archive_pages(found: Sequence[Period]) -> list[ArchivePage]:
    """Return each of ``found`` (newest first) with its newer and older neighbour."""
    return [ArchivePage(period=p, newer=found[i - 1] if i else None,
                        older=found[i + 1] if i + 1 < len(found) else None)
            for i, p in enumerate(found)]


def by_year(found: Sequence[Period]) -> list[tuple[int, list[Period]]]:
    """Return ``found`` grouped by year, newest first (a front page's list of its archive)."""
    years: dict[int, list[Period]] = {}
    for period in found:
        years.setdefault(period.year, []).append(period)
    return sorted(years.items(), reverse=True)
