"""The fewest-first option: after the deadlines, the draw takes the blogs featured fewest
times in the 90-day window, their posts leaving the window soonest first (#15).

Pure draws over in-process histories; no network.
"""

from __future__ import annotations

from datetime import timedelta

from aggregator.diamonds import DiamondSettings
from aggregator.models import Feature, Post

from .test_diamonds import NOW, _feature, draw, post

TODAY = NOW.date()


def _history() -> tuple[list[Post], list[Feature]]:
    """Return posts and picks: ``twice`` featured 60 and 30 days ago (two picks in 90 days,
    a long wait), ``once`` featured yesterday (one pick, no wait); each has fresh posts."""
    old = [post("twice", 1, days_ago=61), post("twice", 2, days_ago=31),
           post("once", 1, days_ago=2)]
    fresh = [post("twice", 3, days_ago=1), post("once", 2, days_ago=1)]
    history = [_feature(TODAY - timedelta(days=60), old[0]),
               _feature(TODAY - timedelta(days=30), old[1]),
               _feature(TODAY - timedelta(days=1), old[2])]
    return old + fresh, history


def test_the_blog_with_fewer_picks_in_the_window_goes_first() -> None:
    posts, history = _history()
    settings = DiamondSettings(count=1, deadline_rounds=0, fewest_first=True)
    picked = {draw(posts, history=history, seed=s, settings=settings)[0].feed_url
              for s in range(20)}
    assert picked == {"https://once.example/feed"}
    # The weights alone go by rounds waited, and take the other one.
    weighed = {draw(posts, history=history, seed=s,
                    settings=DiamondSettings(count=1, deadline_rounds=0))[0].feed_url
               for s in range(20)}
    assert weighed == {"https://twice.example/feed"}


def test_among_the_fewest_the_post_leaving_soonest_goes_first() -> None:
    # Five blogs never featured; one's only post is on its last day in the window.
    posts = [post(f"b{i}", 1, days_ago=1) for i in range(5)]
    posts.append(post("leaving", 1, days_ago=29.5))
    settings = DiamondSettings(count=1, deadline_rounds=0, last_chance_rounds=0,
                               fewest_first=True)
    assert {draw(posts, seed=s, settings=settings)[0].feed_url for s in range(20)} == {
        "https://leaving.example/feed"}
    # Within a tier the draw stays random: without the one leaving, several blogs are drawn.
    assert len({draw(posts[:5], seed=s, settings=settings)[0].feed_url for s in range(20)}) > 1
