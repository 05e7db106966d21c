"""Why a blog was picked, in plain words: the reasons the diamonds give (issues 5, 15).

Split from :mod:`aggregator.diamonds` (which re-exports :func:`explain`): every factor of
a pick's weight, or the rule that picked it, said as a reader would say it.
"""

from __future__ import annotations

from datetime import date

from .diamondrules import DiamondSettings
from .turns import Exposure, last_chance, round_days

# What the reason of a pick made by the deadline says, not the draw (the simulation counts them).
BEFORE_THE_DRAW = "it was picked before the draw"


def explain(exposure: Exposure, *, today: date, settings: DiamondSettings, posts: int,
            blogs: int, chance: float | None, days_left: int | None = None,
            widened_to: int | None = None, newest: date | None = None,
            running: int | None = None, waited: int | None = None,
            deadline: int | None = None, deadline_running: int | None = None) -> str:
    """Return why a blog was picked, in plain words: the factors of its weight, or its deadline.

    ``waited``: the days it had been in the running since its last turn, when it was
    picked for its ``deadline`` (days: :func:`~aggregator.turns.deadline_days`, and
    :func:`~aggregator.turns.urgent`; ``deadline_running``: the most blogs in the running
    on a day of its wait, which set it) rather than drawn with ``chance``;
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
    drawn = waited is None or running is None or deadline is None
    if drawn and running is not None and running > settings.count:  # else all have a turn today
        parts.append(_owed(exposure, today=today, settings=settings, running=running))
    boost = exposure.newcomer_factor(today, settings)
    if drawn and exposure.joined is not None and boost > 1.0:
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
    if drawn and days_left is not None and extra > 0 and extra >= settings.last_chance_rounds / 2:
        when = "tomorrow" if days_left <= 1 else f"in {days_left} days"
        parts.append(f"its last eligible post leaves the {settings.window_days}-day window "
                     f"{when} (a last chance: owed {extra:.1f} rounds more)")
    if not drawn and waited is not None and running is not None and deadline is not None:
        then = running if deadline_running is None else deadline_running
        turn = round_days(then, settings)
        since = "without a turn" if exposure.last is None else "since its last turn"
        began = "in its wait" if exposure.last is None else "since its last turn"
        what = (f"{_plural(deadline, 'day')} ({_turns(settings.deadline_rounds)} rounds; a "
                f"round: {_plural(round(turn), 'day')} for {settings.count} picks a day to "
                f"reach {then} blogs, the most in the running {began})")
        if waited >= deadline:
            odds = (f"It had been in the running {_plural(waited, 'day')} {since}, its "
                    f"deadline of {what}: blogs at their deadline go first, so "
                    f"{BEFORE_THE_DRAW}.")
        else:
            soon = "tomorrow" if deadline - waited == 1 else f"in {deadline - waited} days"
            odds = (f"It had been in the running {_plural(waited, 'day')} {since}; its "
                    f"deadline, {what}, comes {soon}, and more blogs reach theirs by then "
                    f"than those days have picks for: the earliest deadlines go first, so "
                    f"{BEFORE_THE_DRAW}.")
    elif chance is None or blogs == 1:
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
