"""Diamonds in a quiet spell, reasons that read well, one window for draw and ledger, and
a blog that leaves (#15); the ledger that waits before judging (#17)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from aggregator.diamonds import DiamondSettings, Exposure, draw_pool, explain, exposures
from aggregator.fairness import JUDGE_AFTER_DAYS, build_ledger
from aggregator.models import Blog, Diamond, Feature
from aggregator.store import Store
from aggregator.windows import Window

from .conftest import FeedServer
from .fakes import feeds_yaml, voiced_blog
from .test_diamonds import NOW, _build, _feature, draw, post

TODAY = NOW.date()


def _blog(name: str) -> Blog:
    return Blog(url=f"https://{name}.example/feed", title=f"{name} blog", slug=name,
                site=None, author=None, description=None, tags=(), language=None, added=None,
                last_success=None, last_error=None, consecutive_failures=0)


# -- a quiet spell: the window widens ------------------------------------------------------


def test_a_quiet_month_widens_the_window_step_by_step() -> None:
    # Two blogs posted this month, four only 40-55 days ago, one 100 days ago.
    posts = [post("fresh1", 1, days_ago=3), post("fresh2", 1, days_ago=12),
             *(post(f"june{i}", 1, days_ago=40 + 5 * i) for i in range(4)),
             post("spring", 1, days_ago=100),
             post("both", 1, days_ago=5), post("both", 2, days_ago=45)]
    pool = draw_pool(posts, today=TODAY, settings=DiamondSettings())
    assert pool.window == 60  # 3 blogs within 30 days; 7 within 60: enough for 5
    assert set(pool.by_blog) == {p.feed_url for p in posts} - {"https://spring.example/feed"}
    # A blog with a recent post offers only that one: widening brings in blogs, not old posts.
    assert [p.guid for p in pool.by_blog["https://both.example/feed"]] == ["both-1"]
    for seed in range(20):
        picks = draw(posts, seed=seed)
        assert len(picks) == 5
        for d in picks:
            widened = d.feed_url.startswith("https://june")
            assert ("nothing newer from this blog since" in d.reason) == widened, d.reason
            assert ("the draw looked back 60 days" in d.reason) == widened
    (june,) = [d for d in draw(posts[2:3] + posts[:2] + posts[3:6], seed=1)
               if d.feed_url == "https://june0.example/feed"]
    published = (NOW - timedelta(days=40)).date()
    assert f"since {published.day} {published:%B}" in june.reason
    assert "fewer than 5 blogs had a post in the last 30 days" in june.reason


def test_fewer_picks_only_when_fewer_blogs_posted_within_180_days() -> None:
    posts = [post(f"old{i}", 1, days_ago=100 + 30 * i) for i in range(3)]  # 100, 130, 160
    posts += [post("older", 1, days_ago=180), post("oldest", 1, days_ago=400)]
    assert draw_pool(posts, today=TODAY, settings=DiamondSettings()).window == 180
    picks = draw(posts)
    assert {d.feed_url for d in picks} == {f"https://old{i}.example/feed" for i in range(3)}
    assert all("looked back 180 days" in d.reason for d in picks)
    # No widening asked for: the usual window only.
    assert draw(posts, settings=DiamondSettings(wider_windows=())) == []


def test_a_widened_post_gets_no_last_chance_boost() -> None:
    # Its post left the 30-day window days ago: the boost for a post about to leave it
    # would rank it above the blogs whose posts are still inside.
    quiet = [post("late", 1, days_ago=31)] + [post(f"b{i}", 1, days_ago=2) for i in range(3)]
    pool = draw_pool(quiet, today=TODAY, settings=DiamondSettings())
    assert pool.widened("https://late.example/feed", DiamondSettings())
    wins = sum(draw(quiet, seed=s, settings=DiamondSettings(count=5))[0].feed_url
               == "https://late.example/feed" for s in range(400))
    assert 50 < wins < 150  # one in four, not 4 in 7


# -- reasons --------------------------------------------------------------------------------


def _reason(chance: float, *, posts: int = 1, blogs: int = 12) -> str:
    return explain(Exposure(times=0, last=None, joined=None), today=TODAY,
                   settings=DiamondSettings(), posts=posts, blogs=blogs, chance=chance)


def test_reasons_for_a_blogs_only_post_and_for_one_of_several() -> None:
    assert "its only recent post." in _reason(0.5)
    assert "one of its 3 recent posts." in _reason(0.5, posts=3)
    only = draw([post("solo", 1)])[0].reason
    assert only == ("From a blog never featured before; its only recent post. It was the "
                    "only blog still in the running.")


@pytest.mark.parametrize(("chance", "said"), [
    (0.5, "a 50% chance"), (0.104, "a 10% chance"), (0.994, "a 99% chance"),
    (0.9999, "a better than 99% chance"), (0.025, "about a 1 in 40 chance"),
    (0.0417, "about a 1 in 24 chance"), (0.00413, "about a 1 in 240 chance"),
    (0.00001, "less than a 1 in 10,000 chance"),
])
def test_chances_are_said_with_sensible_precision(chance: float, said: str) -> None:
    assert f"It had {said} in its draw, among 12 blogs still in the running." in _reason(chance)


def test_no_reason_reads_badly() -> None:
    # Blogs of every kind: featured yesterday, never, long ago; one post or many; a newcomer.
    posts = [post(f"b{i}", k, days_ago=1 + k + i % 20) for i in range(40) for k in range(1 + i % 4)]
    history = [_feature(TODAY - timedelta(days=1 + i), post(f"b{i}", 99)) for i in range(0, 40, 3)]
    joined = {post("b5", 1).feed_url: TODAY - timedelta(days=2)}
    drawn = 0.0  # no deadline: in this history most blogs have waited over 1.4 rounds
    scenes = [(posts, history, 8, drawn), (posts[:2], [], 2, drawn),  # the last blog left
              (posts[:9], history, 3, drawn),  # one rested blog against blogs featured lately
              (posts, history, 8, 1.4)]  # blogs past their deadline
    bad = re.compile(r"one of 1 |among 1 blog|\b0\.0+%|100(\.0)?%|featured 0 times|\b1 days")
    said = set()
    for scene, past, count, deadline in scenes:
        for seed in range(30):
            for d in draw(scene, seed=seed, history=past, joined=joined,
                          settings=DiamondSettings(count=count, deadline_rounds=deadline)):
                assert not bad.search(d.reason), d.reason
                said |= {s for s in ("its only recent post", "only blog still in the running",
                                     "better than 99%", "1 in", "picked before the draw")
                         if s in d.reason}
    assert len(said) == 5  # every kind of reason was checked


# -- a pick counts as the share of a turn it took --------------------------------------------


def test_a_pick_made_when_few_blogs_could_have_it_is_a_share_of_a_turn() -> None:
    summer = [TODAY - timedelta(days=30 + 7 * k) for k in range(5)]
    history = [Feature(date=d, feed_url=_blog("stayed").url, post_uid=f"s{k}", topic=None,
                       reason="") for k, d in enumerate(summer)]
    history.append(Feature(date=TODAY - timedelta(days=30), feed_url=_blog("away").url,
                           post_uid="a", topic=None, reason=""))
    running = {d: 20 for d in summer[1:]} | {summer[0]: 100}
    feeds = [_blog("stayed").url, _blog("away").url]
    counted = exposures(history, feeds=feeds, today=TODAY, joined={}, settings=DiamondSettings(),
                        running=running, running_today=100)
    assert counted[feeds[0]].times == 5 and counted[feeds[0]].taken == pytest.approx(1.8)
    assert counted[feeds[1]].taken == 1  # no record of its day: a whole turn
    plain = exposures(history, feeds=feeds, today=TODAY, joined={}, settings=DiamondSettings())
    assert plain[feeds[0]].turns is None and plain[feeds[0]].taken == 5


def test_a_blog_that_posted_through_the_summer_is_not_held_back_after_it() -> None:
    # Both waited 30 days since their last pick; "stayed" had four more while only 20
    # blogs were in the running, against 100 now; "twice" had one more 60 days ago, in a
    # day of no record (a whole turn). The 98 others had two turns, the last yesterday.
    summer = [TODAY - timedelta(days=30 + 7 * k) for k in range(5)]
    history = [_feature(d, post("stayed", 90 + k)) for k, d in enumerate(summer)]
    history += [_feature(summer[0], post("twice", 90)),
                _feature(TODAY - timedelta(days=60), post("twice", 91))]
    history += [_feature(TODAY - timedelta(days=n), post(f"o{i}", 90 + n))
                for i in range(98) for n in (1, 40)]
    posts = [post("stayed", 1), post("twice", 1), *(post(f"o{i}", 1) for i in range(98))]
    running = {d: 20 for d in summer[1:]}
    one = DiamondSettings(count=1)
    wins = Counter(draw(posts, seed=s, history=history, running=running, settings=one)[0]
                   .feed_url for s in range(200))
    # 1.8 turns against 2 (and 2 for the others, who waited a day): "stayed" is owed the
    # most, by 0.2 of a round over "twice" (e ** 2.4: 11 times likelier).
    stayed, twice = post("stayed", 1).feed_url, post("twice", 1).feed_url
    assert wins[stayed] > 100 and wins[stayed] > 5 * wins[twice]
    before = Counter(draw(posts, seed=s, history=history, settings=one)[0].feed_url
                     for s in range(200))
    assert before[stayed] == 0  # 5 whole turns: owed 3 rounds less than "twice"
    reason = next(d.reason for s in range(200) for d in draw(
        posts, seed=s, history=history, running=running, settings=one)
        if d.feed_url == stayed)
    assert ("featured 5 times in the last 90 days, most recently 30 days ago, mostly while "
            "few blogs had a post (counted as 1.8 turns)") in reason


def test_each_days_running_count_is_kept_replaced_and_checked(tmp_path: Path) -> None:
    from aggregator.statecheck import StateFileError, check_state

    picks = [Diamond(post_uid="a", feed_url="https://a.example/feed", topic=None, reason="r",
                     running=12)]
    db = tmp_path / "state.db"
    with Store(db) as store:
        store.record_diamonds(TODAY - timedelta(days=1), picks)
        store.record_diamonds(TODAY, picks)
        store.record_diamonds(TODAY, [])  # the day drawn again, with nothing to pick
        assert store.running_counts() == {TODAY - timedelta(days=1): 12}
    check_state(db, "state.db")
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE meta SET value = '{\"2026-11-19\": -3}' WHERE key = ?",
                    ("diamonds.running",))
    raw.close()
    with pytest.raises(StateFileError, match="meta.value"):
        check_state(db, "state.db")


# -- one window for the draw and the ledger -----------------------------------------------


@pytest.mark.parametrize("days_ago", [88, 89, 90, 91])
def test_draw_and_ledger_count_a_pick_at_the_windows_edge_alike(days_ago: int) -> None:
    settings = DiamondSettings()
    blog = _blog("edge")
    history = [Feature(date=TODAY - timedelta(days=days_ago), feed_url=blog.url,
                       post_uid="x", topic=None, reason="")]
    drawn = exposures(history, feeds=[blog.url], today=TODAY, joined={},
                      settings=settings)[blog.url].times
    (row,) = build_ledger([blog], [], history, today=TODAY, settings=settings).rows
    assert drawn == row.featured == (1 if days_ago < settings.history_days else 0)
    assert Window.as_of(TODAY, settings.history_days).days == settings.history_days


@pytest.mark.parametrize("days_before", [27, 28, 29, 30, 31])
def test_ledger_eligibility_is_the_draws(days_before: int) -> None:
    # A post published days_before the ledger window's first day is eligible in the
    # ledger exactly when the draw could have picked it on some day of that window.
    settings = DiamondSettings(wider_windows=())
    window = Window.as_of(TODAY, settings.history_days)
    p = post("edge", 1, days_ago=(TODAY - window.first).days + days_before)
    drawable = any(draw_pool([p], today=window.first + timedelta(days=k), settings=settings)
                   .by_blog for k in range(window.days))
    (row,) = build_ledger([_blog("edge")], [p], [], today=TODAY, settings=settings).rows
    assert row.eligible == drawable == (days_before < settings.window_days)


def test_the_ledger_waits_for_30_days_of_draws() -> None:
    blogs = [_blog(f"b{i}") for i in range(7)]
    day1 = [Feature(date=TODAY, feed_url=b.url, post_uid=b.slug, topic=None, reason="")
            for b in blogs[:2]]
    ledger = build_ledger(blogs, [post(f"b{i}", 1) for i in range(7)], day1, today=TODAY)
    assert ledger.too_early and ledger.draw_days == 1 and ledger.picks == 2
    month = [Feature(date=TODAY - timedelta(days=k), feed_url=blogs[k % 7].url,
                     post_uid=str(k), topic=None, reason="") for k in range(JUDGE_AFTER_DAYS)]
    assert not build_ledger(blogs, [], month, today=TODAY).too_early
    assert build_ledger(blogs, [], month[:-1], today=TODAY).too_early


# -- real builds ----------------------------------------------------------------------------


def _serve_blogs(tmp: Path, server: FeedServer, ends: dict[str, datetime], *,
                 n: int = 3) -> list[str]:
    subjects = ("phonics", "maths", "library")
    urls = [server.serve(f"/{name}.xml", voiced_blog(name, subjects[i % 3], n=n, end=end).rss())
            for i, (name, end) in enumerate(ends.items())]
    (tmp / "feeds.yaml").write_text(feeds_yaml(urls))
    return urls


def test_a_build_in_a_six_week_silence_still_gets_five_diamonds(
        tmp_path: Path, feed_server: FeedServer) -> None:
    # Seven blogs, the last post on 28 June; built on 10 August, 43 days later.
    ends = {name: datetime(2026, 6, 28 - 3 * i, 9, tzinfo=UTC)
            for i, name in enumerate(("ash", "birch", "cedar", "dogwood", "elm", "fir", "gum"))}
    _serve_blogs(tmp_path, feed_server, ends)
    assert _build(tmp_path, "2026-08-10") == 0
    data = json.loads((tmp_path / "site" / "data" / "build.json").read_text())
    assert len(data["diamonds"]) == 5
    for d in data["diamonds"]:
        assert "the draw looked back 60 days" in d["reason"], d["reason"]
        assert re.search(r"nothing newer from this blog since \d+ June\b", d["reason"])
    home = (tmp_path / "site" / "index.html").read_text()
    assert home.count("the draw looked back 60 days") == 5


def test_a_blog_that_leaves_leaves_the_archive_the_feed_and_the_ledger(
        tmp_path: Path, feed_server: FeedServer) -> None:
    end = datetime(2026, 11, 20, 9, tzinfo=UTC)
    names = ("ash", "birch", "cedar", "dogwood", "elm", "fir")
    urls = _serve_blogs(tmp_path, feed_server, dict.fromkeys(names, end), n=6)
    for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
        assert _build(tmp_path, day) == 0
    with Store(tmp_path / "state.db") as store:
        picks = store.features()
    leaving = max(urls, key=lambda u: sum(f.feed_url == u for f in picks))
    gone = [f for f in picks if f.feed_url == leaving]
    assert gone and len(picks) == 15
    title = voiced_blog(names[urls.index(leaving)], "maths", n=1, end=end).title
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([u for u in urls if u != leaving]))
    assert _build(tmp_path, "2026-11-23") == 0

    site = tmp_path / "site"
    archive = (site / "diamonds" / "index.html").read_text()
    rss = (site / "diamonds.xml").read_text()
    ledger = (site / "fairness" / "index.html").read_text()
    for page in (archive, rss, ledger):
        assert title not in page
        assert not any(f.link in page for f in gone)
    db = sqlite3.connect(tmp_path / "state.db")
    assert not db.execute("SELECT 1 FROM diamonds WHERE feed_url = ?", (leaving,)).fetchall()
    (kept,) = db.execute("SELECT COUNT(*) FROM diamonds").fetchone()
    assert kept == 15 - len(gone) + 5
    assert len(feedparser.parse(rss.encode()).entries) == kept
    # The ledger still counts the withdrawn picks, and says how many there were.
    assert "20 picks made" in ledger
    assert f"({len(gone)} since withdrawn)" in ledger
    assert f"{len(gone)} past pick{'s were' if len(gone) > 1 else ' was'} withdrawn" in ledger


def test_the_ledger_page_judges_only_after_30_days_of_draws(
        tmp_path: Path, feed_server: FeedServer) -> None:
    end = datetime(2026, 11, 20, 9, tzinfo=UTC)
    _serve_blogs(tmp_path, feed_server, dict.fromkeys(("ash", "birch", "cedar", "dogwood",
                                                        "elm", "fir", "gum"), end))
    assert _build(tmp_path, "2026-11-20") == 0
    with Store(tmp_path / "state.db") as store:  # the next draws weigh today's picks by it
        assert store.running_counts() == {date(2026, 11, 20): 7}
    page = (tmp_path / "site" / "fairness" / "index.html").read_text()
    assert "Too early to judge" in page and "The draw has run on 1\nday so far" in page
    assert "5 picks made" in page
    assert not re.search(r"Gini coefficient</strong> of how often[^<]*<strong>0\.\d\d", page)
    # 29 earlier days of picks (as if the site had run for a month), then a build.
    with Store(tmp_path / "state.db") as store:
        first = store.features()
        for k in range(1, JUDGE_AFTER_DAYS):
            store.record_diamonds(date(2026, 11, 20) - timedelta(days=k), [
                Diamond(post_uid=f"old-{k}", feed_url=first[k % 5].feed_url, topic=None,
                        reason="An earlier pick.")])
    assert _build(tmp_path, "2026-11-21") == 0
    page = (tmp_path / "site" / "fairness" / "index.html").read_text()
    assert "Too early" not in page
    assert re.search(r"Gini coefficient</strong> of how often they were featured is\s*"
                     r"<strong>0\.\d\d</strong>", page)


def test_withdrawn_picks_are_counted_kept_and_checked_on_restore(tmp_path: Path) -> None:
    from aggregator.statecheck import StateFileError, check_state

    day = TODAY - timedelta(days=3)
    picks = [Diamond(post_uid=u, feed_url=f"https://{u}.example/feed", topic=None, reason="r")
             for u in ("a", "b", "c")]
    db = tmp_path / "state.db"
    with Store(db) as store:
        store.record_diamonds(day, picks)
        store.record_diamonds(TODAY, picks[:1])
        store.delete_posts(["a", "b"])  # hidden after they were featured
        assert store.withdrawn_picks() == {day: 2, TODAY: 1}
        assert [f.post_uid for f in store.features()] == ["c"]
        store.record_diamonds(TODAY, picks[2:])  # today drawn again: nothing of it withdrawn
        assert store.withdrawn_picks() == {day: 2}
    check_state(db, "state.db")  # what the store writes, a restore accepts
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE meta SET value = '{\"yesterday\": 2}' WHERE key = ?",
                    ("diamonds.withdrawn",))
    raw.close()
    with pytest.raises(StateFileError, match="meta.value"):
        check_state(db, "state.db")
    with Store(db) as store:  # and a build that meets one anyway loses a count, not the day
        assert store.withdrawn_picks() == {}
