"""The deadline: no blog in the running waits past 1.4 rounds, while most picks stay drawn (#15).

Draws over histories built in-process, a few months of them kept in a real SQLite store;
no network. ``deadline_rounds=0`` is the draw without a deadline (the draw of before), so
each test also shows that the draw alone does not do what the deadline promises.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from aggregator.diamondreasons import BEFORE_THE_DRAW
from aggregator.diamonds import (
    DiamondSettings,
    days_in_running,
    deadline_days,
    draw_pool,
    pick_diamonds,
    seed_for,
)
from aggregator.models import Diamond, Post
from aggregator.store import Store

from .test_diamonds import ESSAY, NOW, _feature, draw, post

TODAY = NOW.date()


def _post(blog: str, day: date) -> Post:
    when = NOW.replace(year=day.year, month=day.month, day=day.day)
    return Post(feed_url=f"https://{blog}.example/feed", guid=f"{blog}-{day}",
                link=f"https://{blog}.example/{day}/", title=f"{blog} {day}", published=when,
                excerpt="", text=ESSAY)


def _posts_of(d: int, day: date) -> list[Post]:
    """Return the posts of the ``d``-th day of a history: 12 busy blogs post every day,
    24 quiet ones once every 25 to 48 days, each at its own time."""
    busy = [_post(f"busy{i:02d}", day) for i in range(12)]
    return busy + [_post(f"quiet{i:02d}", day) for i in range(24) if (d + 7 * i) % (25 + i) == 0]


def _months_of_draws(tmp_path: Path, settings: DiamondSettings, *, days: int = 150,
                     seed: int = 0) -> tuple[dict[str, int], list[list[Diamond]], Store]:
    """Return how far past its deadline each blog waited, the picks and the store of
    ``days`` of real draws.

    Busy blogs post every day and quiet ones every month or so (:func:`_posts_of`), like
    the busy and quiet blogs of a real list: the draw holds back the busy ones for the turns
    they have had. A wait is counted as round robin would: the days on which the blog
    had a post that could be picked (the draw's own pool) since its last pick, the day
    of the pick included. A blog's deadline is 1.4 rounds of the most blogs in the running
    on a day of its wait (since its last pick, or the first draw); left waiting at the
    end of a day on which it had reached it, it waited past it.
    """
    start = TODAY - timedelta(days=days - 1)
    store = Store(tmp_path / f"state-{settings.deadline_rounds}-{seed}.db")
    posts: list[Post] = []
    waited: dict[str, int] = {}
    past: dict[str, int] = {}
    began: dict[str, int] = {}  # the most blogs in the running on a day of each one's wait
    drawn = []
    for d in range(days):
        day = start + timedelta(days=d)
        posts += _posts_of(d, day)
        history = store.features()
        now = NOW.replace(year=day.year, month=day.month, day=day.day)
        featured = {f.post_uid for f in history}
        pool = draw_pool(posts, today=day, settings=settings, featured=featured).by_blog
        for url in pool:
            waited[url] = waited.get(url, 0) + 1
        first = began.setdefault("", len(pool))  # the first draw's
        picks = pick_diamonds(posts, topic_of={}, history=history, now=now,
                              seed=seed_for(day) + seed, running=store.running_counts(),
                              settings=settings)
        store.record_diamonds(day, picks)
        for p in picks:
            waited.pop(p.feed_url, None)
        for url in {*began, *pool} - {""}:
            began[url] = max(len(pool), began.get(url, first))
        for url in pool:
            deadline = deadline_days(began[url], DiamondSettings(count=settings.count))
            past[url] = max(past.get(url, 0), waited.get(url, 0) - (deadline or 0) + 1)
        for p in picks:
            began[p.feed_url] = len(pool)
        drawn.append(picks)
    return past, drawn, store


def test_no_blog_in_the_running_waits_past_its_deadline(tmp_path: Path) -> None:
    settings = DiamondSettings(count=2)
    past, drawn, store = _months_of_draws(tmp_path, settings)
    store.close()
    assert max(past.values()) <= 0, sorted(past.items(), key=lambda kv: -kv[1])[:5]
    # Most picks are still drawn, not made by the deadline.
    reasons = [p.reason for picks in drawn for p in picks]
    assert sum(BEFORE_THE_DRAW in r for r in reasons) < len(reasons) / 2
    # Without the deadline, the draw holds a busy blog back for longer than that.
    before, _, store = _months_of_draws(tmp_path, DiamondSettings(count=2, deadline_rounds=0))
    store.close()
    assert max(before.values()) > 0


def _due_today() -> tuple[list[Post], list, str]:
    """Return posts and a history in which one blog reaches its deadline today.

    50 blogs posting daily, 5 picks a day: a round is 10 days, the deadline 14. "late" was
    picked 14 days ago and three times before (so the weights hold it back: it has had
    more turns than anyone); each other blog had its turn 1 to 13 days ago.
    """
    posts = [post(f"b{i:02d}", k, days_ago=k) for i in range(49) for k in range(30)]
    posts += [post("late", k, days_ago=k) for k in range(30)]
    history = [_feature(TODAY - timedelta(days=1 + i % 13), post(f"b{i:02d}", 100))
               for i in range(49)]
    history += [_feature(TODAY - timedelta(days=ago), post("late", 100 + ago))
                for ago in (44, 34, 24, 14)]
    return posts, sorted(history, key=lambda f: f.date), post("late", 0).feed_url


def test_a_blog_that_reached_its_deadline_is_picked_that_day() -> None:
    posts, history, late = _due_today()
    settings = DiamondSettings()
    since = TODAY - timedelta(days=14)
    assert days_in_running([p.published.date() for p in posts if p.feed_url == late],
                           since=since, today=TODAY, settings=settings) == 14
    for seed in range(20):
        picks = draw(posts, seed=seed, history=history, settings=settings)
        assert picks[0].feed_url == late, seed
        assert BEFORE_THE_DRAW in picks[0].reason
        assert ("It had been in the running 14 days since its last turn, its deadline of 14 "
                "days (1.4 rounds; a round: 10 days for 5 picks a day to reach 50 blogs, the "
                "most in the running since its last turn): blogs at their deadline go first, "
                "so it was picked before the draw.") in picks[0].reason
        # The other picks are drawn, and say their chance.
        assert all(BEFORE_THE_DRAW not in p.reason and "chance in its draw" in p.reason
                   for p in picks[1:])
    # Without the deadline, the weights never give it this day.
    assert not any(p.feed_url == late for seed in range(20)
                   for p in draw(posts, seed=seed, history=history,
                                 settings=DiamondSettings(deadline_rounds=0)))
    # A day earlier it was not due: then the draw decides, and passes it over.
    earlier = [f for f in history if f.date != since]
    earlier.append(_feature(since + timedelta(days=1), post("late", 114)))
    assert not any(p.feed_url == late for seed in range(20)
                   for p in draw(posts, seed=seed, history=sorted(earlier, key=lambda f: f.date)))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_draw_with_its_deadline_is_reproducible(tmp_path: Path, seed: int) -> None:
    settings = DiamondSettings(count=2)
    _, first, store = _months_of_draws(tmp_path / "a", settings, days=60, seed=seed)
    store.close()
    _, again, store = _months_of_draws(tmp_path / "b", settings, days=60, seed=seed)
    assert again == first
    # Recomputed from the stored picks alone (as after a restore), the last day is the same.
    posts = [p for d in range(60) for p in _posts_of(d, TODAY - timedelta(days=59 - d))]
    redo = pick_diamonds(posts, topic_of={}, history=store.features(before=TODAY), now=NOW,
                         seed=seed_for(TODAY) + seed, running=store.running_counts(),
                         settings=settings)
    store.close()
    assert redo == first[-1]
    # Another seed draws other blogs on some days: the draw is still a draw.
    _, other, store = _months_of_draws(tmp_path / "c", settings, days=60, seed=seed + 10)
    store.close()
    assert other != first
