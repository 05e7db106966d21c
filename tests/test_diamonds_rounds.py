"""The draw by rounds owed: turns come round in order, at random within a round (#15).

Pure draws on histories built in-process, and a few weeks of draws kept in a real SQLite
store; no network.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from aggregator.diamonds import DiamondSettings, pick_diamonds, round_days, seed_for
from aggregator.models import Diamond, Feature, Post
from aggregator.store import Store

from .test_diamonds import ESSAY, NOW, _feature, draw, post

TODAY = NOW.date()


def _crowd(others: int, *, waited: int) -> tuple[list[Post], list[Feature]]:
    """Return a post from each of ``others`` blogs, and one pick of each ``waited`` days ago."""
    posts = [post(f"o{i:03d}", 1) for i in range(others)]
    history = [_feature(TODAY - timedelta(days=waited), post(f"o{i:03d}", 90))
               for i in range(others)]
    return posts, history


def test_a_blog_a_round_behind_the_rest_is_all_but_certain_to_go_first() -> None:
    # 101 blogs at 5 a day: a round is 20 days. 100 had their turn 25 days ago; "behind"
    # had its turn 45 days ago, a round earlier, so it is owed a round more than any.
    posts, history = _crowd(100, waited=25)
    posts.append(post("behind", 1))
    history.append(_feature(TODAY - timedelta(days=45), post("behind", 90)))
    behind = post("behind", 1).feed_url
    assert round_days(101, DiamondSettings()) == 101 / 5
    for seed in range(40):
        picks = draw(posts, seed=seed, history=history)
        assert picks[0].feed_url == behind, seed
    # Among the rest, owed alike, the draw is random: many different blogs go next.
    seconds = Counter(draw(posts, seed=seed, history=history)[1].feed_url for seed in range(40))
    assert len(seconds) > 25


def test_the_reason_says_the_rounds_owed_and_what_a_round_is() -> None:
    # The draws began 45 days ago: a turn in those 45 days is the pace of 2 in 90.
    posts, history = _crowd(100, waited=25)
    posts.append(post("behind", 1))
    history.append(_feature(TODAY - timedelta(days=45), post("behind", 90)))
    (first, *_) = draw(posts, seed=3, history=history)
    assert first.reason.startswith(
        "From a blog featured 1 time in the last 90 days, most recently 45 days ago; a wait of "
        "2.2 rounds, less 2 for the turn it had in 45 days, at that pace over 90 days (a round: "
        "20 days for 5 picks a day to reach all 101 blogs in the running; each round owed "
        "makes a blog far likelier); ")
    assert "It had a better than 99% chance in its draw, among 101 blogs" in first.reason
    never = draw([post("new", 1), *posts[:9]], seed=3)[0]
    assert ("never featured before; counted as a wait of 90 days, 45.0 rounds (a round: 2 days "
            "for 5 picks a day to reach all 10 blogs in the running") in never.reason


BLOGS, COUNT = 100, 5  # a round: 20 days (21 once "late" joins)


def _always_posting(blogs: int, day: date, joined_on: date) -> list[Post]:
    """Return a fresh post of each blog for ``day``, and of "late" once it has joined."""
    names = [f"b{i:03d}" for i in range(blogs)] + (["late"] if day >= joined_on else [])
    when = NOW.replace(year=day.year, month=day.month, day=day.day)
    return [Post(feed_url=f"https://{name}.example/feed", guid=f"{name}-{day}",
                 link=f"https://{name}.example/{day}/", title=f"{name} {day}", published=when,
                 excerpt="", text=ESSAY) for name in names]


def _weeks_of_draws(tmp_path: Path, days: int, *, joined_on: date) -> tuple[
        list[list[Diamond]], Store, dict[str, date]]:
    """Return ``days`` of real draws over ``BLOGS`` blogs that always have a post.

    "late" joins on ``joined_on``. History and each day's count of blogs in the running go
    through a real SQLite store, as in a build.
    """
    settings = DiamondSettings(count=COUNT)
    start = TODAY - timedelta(days=days - 1)
    store = Store(tmp_path / "state.db")
    joined = {f"https://{name}.example/feed": start - timedelta(days=400)
              for name in (f"b{i:03d}" for i in range(BLOGS))}
    joined["https://late.example/feed"] = joined_on
    posts: list[Post] = []
    drawn = []
    for d in range(days):
        day = start + timedelta(days=d)
        posts += _always_posting(BLOGS, day, joined_on)
        now = NOW.replace(year=day.year, month=day.month, day=day.day)
        picks = pick_diamonds(posts, topic_of={}, history=store.features(), now=now,
                              seed=seed_for(day), joined=joined,
                              running=store.running_counts(), settings=settings)
        store.record_diamonds(day, picks)
        drawn.append(picks)
    return drawn, store, joined


def test_every_blog_has_its_turn_once_a_round_in_a_random_order(tmp_path: Path) -> None:
    days = 100
    start = TODAY - timedelta(days=days - 1)
    drawn, store, joined = _weeks_of_draws(tmp_path, days, joined_on=start + timedelta(days=50))
    picked_on: dict[str, list[int]] = {}
    for d, picks in enumerate(drawn):
        assert len(picks) == COUNT
        for p in picks:
            picked_on.setdefault(p.feed_url, []).append(d)
    late = picked_on.pop("https://late.example/feed")
    # The first round: every blog once before any blog twice.
    first = [p.feed_url for picks in drawn[:20] for p in picks]
    assert len(first) == len(set(first)) == BLOGS
    # A blog that joins mid-round has its turn the day it joins, and its next about a
    # round later, like everyone else: its newcomer boost does not bring it round sooner.
    assert late[0] == 50 and 15 <= late[1] - late[0] <= 30, late
    # Every blog has a turn about once a round: never two within half a round, never more
    # than a round and a half apart.
    gaps = [b - a for days_picked in picked_on.values()
            for a, b in zip(days_picked, days_picked[1:], strict=False)]
    assert min(gaps) >= 10 and max(gaps) <= 30, sorted(gaps)
    # Yet in no fixed order: each round's is drawn anew.
    orders = [[p.feed_url for picks in drawn[r * 20:(r + 1) * 20] for p in picks]
              for r in range(3)]
    assert orders[0] != orders[1] != orders[2]
    # Recomputed from the stored picks and counts, a day's draw is the same.
    again = pick_diamonds(_posts_until(TODAY, days, start + timedelta(days=50)), topic_of={},
                          history=store.features(before=TODAY), now=NOW,
                          seed=seed_for(TODAY), joined=joined, running=store.running_counts(),
                          settings=DiamondSettings(count=COUNT))
    assert again == drawn[-1]
    store.close()


def _posts_until(day: date, days: int, joined_on: date) -> list[Post]:
    start = day - timedelta(days=days - 1)
    return [p for d in range(days)
            for p in _always_posting(BLOGS, start + timedelta(days=d), joined_on)]
