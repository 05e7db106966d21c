"""Say how old a date is, in words a reader takes in at a glance (#17).

Pure functions of two instants: the date shown and the build's clock (``--date`` when
given), never the wall clock, so the same inputs and date give the same page, byte for
byte. Ages count whole calendar days in UTC, the time zone every date on the site is in.
"""

from __future__ import annotations

from datetime import UTC, datetime


def day(when: datetime) -> str:
    """Return the UTC day of ``when`` as the site writes it: "10 Mar 2009"."""
    utc = when.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y}"


def age(when: datetime, now: datetime) -> str:
    """Return how long before ``now`` the day of ``when`` was: "today", "3 weeks ago".

    Days up to a fortnight, then weeks up to two months, then whole calendar months and
    years (a birthday rule: 10 Mar 2009 is "2 years ago" until 10 Mar 2012). A date after
    ``now`` (a clock a little ahead) reads "today".
    """
    then, today = when.astimezone(UTC).date(), now.astimezone(UTC).date()
    days = (today - then).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 61:
        return f"{days // 7} weeks ago"
    # Whole calendar months, as a birthday counts years: 20 Nov to 20 Mar is 4 months.
    months = (12 * (today.year - then.year) + today.month - then.month
              - (today.day < then.day))
    if days < 365:
        return f"{min(11, max(2, months))} months ago"
    years = max(1, months // 12)
    return "a year ago" if years == 1 else f"{years} years ago"


def stamp(when: datetime) -> str:
    """Return ``when`` to the minute, for when a build ran: "10 Mar 2009, 16:07 UTC"."""
    utc = when.astimezone(UTC)
    return f"{day(utc)}, {utc:%H:%M} UTC"
