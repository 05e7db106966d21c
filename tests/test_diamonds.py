"""Diamonds in the rough: eligibility, the fair seeded draw, its history, and its pages (#5)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest

from aggregator.cli import main
from aggregator.diamonds import (
    DiamondSettings,
    cross_post_groups,
    ineligible_because,
    is_roundup,
    pick_diamonds,
    seed_for,
)
from aggregator.fairness import gini
from aggregator.models import Diamond, Feature, Post
from aggregator.parse import link_words, parse_feed
from aggregator.store import Store

from .conftest import FeedServer, _start_server
from .fakes import Entry, FeedDoc, feeds_yaml, subject_blog

NOW = datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC)
ESSAY = " ".join(["Pupils explained their reasoning with bar models before the algebra."] * 20)


def post(blog: str, n: int, *, days_ago: float = 1, words: int | None = None,
         title: str | None = None, link_words: int = 0) -> Post:
    text = ESSAY if words is None else " ".join(["word"] * words)
    return Post(feed_url=f"https://{blog}.example/feed", guid=f"{blog}-{n}",
                link=f"https://{blog}.example/{n}/", title=title or f"{blog} post {n}",
                published=NOW - timedelta(days=days_ago), excerpt="", text=text,
                link_words=link_words)


def blogs(n_blogs: int, posts_each: int = 2) -> list[Post]:
    return [post(f"b{i:02d}", k, days_ago=1 + k) for i in range(n_blogs) for k in range(posts_each)]


def draw(posts: list[Post], **kwargs: object) -> list[Diamond]:
    args: dict[str, object] = {"topic_of": {}, "history": [], "now": NOW, "seed": 7}
    args.update(kwargs)
    return pick_diamonds(posts, **args)  # type: ignore[arg-type]


# -- eligibility -------------------------------------------------------------------------


def test_eligibility_reasons() -> None:
    s = DiamondSettings()
    assert ineligible_because(post("a", 1), now=NOW, settings=s) is None
    assert ineligible_because(post("a", 1, days_ago=31), now=NOW, settings=s) == (
        "older than 30 days")
    assert ineligible_because(post("a", 1, words=119), now=NOW, settings=s) == (
        "shorter than 120 words")
    assert ineligible_because(post("a", 1, words=400, link_words=300), now=NOW, settings=s) == (
        "a roundup of links")


def test_roundups_by_link_share_and_title() -> None:
    essay_with_links = post("a", 1, words=400, link_words=40)  # 10%: an essay citing sources
    assert not is_roundup(essay_with_links)
    assert is_roundup(post("a", 2, words=400, link_words=200))  # half the words are links
    # A roundup title only lowers the bar; it never condemns a post without links.
    assert is_roundup(post("a", 3, words=400, link_words=100, title="Weekly links #42"))
    assert not is_roundup(post("a", 4, words=400, link_words=0, title="Weekly links #42"))
    assert not is_roundup(post("a", 5, words=400, link_words=100, title="Reading for pleasure"))


def test_link_words_counts_links_and_linked_list_items() -> None:
    roundup = ("<p>This week:</p><ul>"
               "<li><a href='https://x.example/1'>Fractions with bar models</a> by Sam, "
               "a clear walk-through</li>"
               "<li><a href='https://x.example/2'>Phonics myths</a> worth a read"
               "</ul><p>See you next week.</p>")
    # 4 + 5 words in the first item, 2 + 3 in the second; the paragraphs are not links.
    assert link_words(roundup) == 14
    essay = "<p>We tried <a href='https://x.example'>bar models</a> in class today.</p>"
    assert link_words(essay) == 2
    assert link_words("<p>No links here.</p>") == 0
    assert link_words("<ul><li>plain item</li></ul>") == 0


def test_parse_keeps_link_words() -> None:
    items = "".join(f"<li><a href='https://x.example/{i}'>A great post number {i}</a> on "
                    f"maths</li>" for i in range(30))
    doc = FeedDoc(title="Links", site="https://links.example/", entries=[
        Entry(title="Friday five", link="https://links.example/1/", published=NOW,
              html=f"<ul>{items}</ul>")])
    parsed = parse_feed(doc.rss(), feed_url="https://links.example/feed", now=NOW)
    (p,) = parsed.posts
    assert p.link_words == 7 * 30
    assert is_roundup(p)


def test_dead_short_roundup_and_featured_posts_are_never_picked() -> None:
    posts = [post("dead", 1), post("short", 1, words=50),
             post("links", 1, words=300, link_words=250), post("old", 1, days_ago=181),
             post("done", 1), post("good", 1)]
    history = [_feature(NOW.date() - timedelta(days=3), posts[4])]
    for seed in range(40):
        picks = draw(posts, seed=seed, history=history,
                     excluded_feeds=frozenset({"https://dead.example/feed"}))
        assert [d.feed_url for d in picks] == ["https://good.example/feed"]


def test_a_cross_post_featured_on_one_blog_is_never_picked_from_another() -> None:
    original, copy = post("a", 1), post("b", 1)
    history = [_feature(NOW.date() - timedelta(days=5), original)]
    dupes = {original.uid: (copy.uid,)}
    for seed in range(20):
        assert draw([copy, post("c", 1)], seed=seed, history=history, duplicates=dupes,
                    settings=DiamondSettings(count=2))[0].feed_url == "https://c.example/feed"
    # Within one draw, the same post on two blogs is picked at most once.
    fresh = {post("x", 1).uid: (post("y", 1).uid,)}
    for seed in range(20):
        picks = draw([post("x", 1), post("y", 1)], seed=seed, duplicates=fresh)
        assert len(picks) == 1


def test_cross_post_groups_merge_whatever_the_key() -> None:
    groups = cross_post_groups({"a": ["b"], "c": ["b", "d"]})
    assert groups["a"] == groups["d"] == frozenset("abcd")
    assert cross_post_groups(None) == {}


# -- the draw ----------------------------------------------------------------------------


def test_seeded_draw_is_deterministic() -> None:
    posts = blogs(30, 3)
    assert draw(posts, seed=11) == draw(list(reversed(posts)), seed=11)
    distinct = {tuple(d.post_uid for d in draw(posts, seed=s)) for s in range(10)}
    assert len(distinct) > 5  # the seed really drives the draw


def test_the_time_of_day_a_build_runs_does_not_change_the_draw() -> None:
    # Posts published at every hour, some near the end of the 30-day window and all with
    # last-chance boosts that depend on how many days they have left: a morning and an
    # evening build of the same date must still draw the same picks.
    day = NOW.date()
    posts = [Post(feed_url=f"https://b{i}.example/feed", guid=f"g{i}", link=f"https://b{i}.example/",
                  title=f"t{i}", published=NOW - timedelta(days=1 + i % 30, hours=i % 24),
                  excerpt="", text=ESSAY) for i in range(120)]
    runs = {tuple(d.post_uid for d in draw(posts, now=datetime.combine(
        day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=h, minutes=7)))
        for h in range(24)}
    assert len(runs) == 1


def test_seed_for_is_the_date() -> None:
    assert seed_for(date(2026, 11, 23)) == 20261123


def test_at_most_one_pick_per_blog() -> None:
    posts = [post("busy", k) for k in range(50)] + [post("quiet", 1), post("rare", 1)]
    for seed in range(30):
        picks = draw(posts, seed=seed)
        assert len(picks) == 3
        assert len({d.feed_url for d in picks}) == 3


def test_topics_are_spread_while_other_topics_have_posts() -> None:
    posts = blogs(20, 2)
    # 14 blogs write only about maths; the other 6 about three other topics, two blogs each.
    topic_of = {p.uid: "maths" for p in posts[:28]}
    topic_of.update({p.uid: f"topic-{i // 4}" for i, p in enumerate(posts[28:])})
    assert len(set(topic_of.values())) == 4
    for seed in range(30):
        picks = draw(posts, seed=seed, topic_of=topic_of)
        assert len(picks) == 5
        assert len({d.topic for d in picks[:4]}) == 4  # every topic before any repeat


def test_exposure_tilts_the_draw_and_is_explained() -> None:
    posts = blogs(2, 1)
    featured, waiting = posts
    history = [_feature(NOW.date() - timedelta(days=2), post("b00", 99))]
    picks = Counter(draw(posts, seed=s, history=history,
                         settings=DiamondSettings(count=1))[0].feed_url for s in range(200))
    # Waited 2 days against 90: (2/90)^6 / 2^6 against 1, so the rested blog nearly always wins.
    assert picks[waiting.feed_url] >= 195
    (pick,) = draw([featured], history=history)
    assert pick.reason == ("From a blog featured 1 time in the last 90 days, most recently 2 "
                           "days ago; its only recent post. It was the only blog still in the "
                           "running.")


def test_newcomers_get_a_boost_and_it_is_said() -> None:
    posts = blogs(2, 1)
    joined = {posts[0].feed_url: NOW.date() - timedelta(days=3)}
    wins = Counter(draw(posts, seed=s, joined=joined, settings=DiamondSettings(count=1))[0]
                   .feed_url for s in range(400))
    assert wins[posts[0].feed_url] > wins[posts[1].feed_url] * 1.4  # x1.9 in weight
    reasons = {d.feed_url: d.reason for d in draw(posts, joined=joined)}
    assert "joined 3 days ago (newcomer boost ×1.9)" in reasons[posts[0].feed_url]
    assert "never featured before" in reasons[posts[0].feed_url]
    assert "joined" not in reasons[posts[1].feed_url]


def test_a_blog_whose_last_post_is_ageing_out_gets_its_last_chance() -> None:
    # Both blogs never featured; one's only post leaves the 30-day window in 2 days, the
    # other's was published today: owed 0.5 * 28/30 = 0.47 rounds more, e ** 5.6 likelier.
    ageing, fresh = post("quiet", 1, days_ago=28), post("busy", 1, days_ago=0)
    wins = Counter(draw([ageing, fresh], seed=s, settings=DiamondSettings(count=1))[0]
                   .feed_url for s in range(400))
    assert wins[ageing.feed_url] > wins[fresh.feed_url] * 2.5
    reasons = {d.feed_url: d.reason for d in draw([ageing, fresh])}
    assert ("its last eligible post leaves the 30-day window in 2 days (a last chance: owed "
            "0.5 rounds more)" in reasons[ageing.feed_url])
    assert "last chance" not in reasons[fresh.feed_url]
    # Switched off, the two are even.
    even = Counter(draw([ageing, fresh], seed=s,
                        settings=DiamondSettings(count=1, last_chance_rounds=0))[0].feed_url
                   for s in range(400))
    assert abs(even[ageing.feed_url] - even[fresh.feed_url]) < 80


def test_a_prolific_blog_does_not_dominate_over_many_days(tmp_path: Path) -> None:
    """One blog posts ten times a day, nine post weekly: 120 days of real draws and history."""
    start = NOW - timedelta(days=120)
    settings = DiamondSettings(count=1)  # 120 picks: 12 each would be perfectly even
    stored: list[Post] = []
    with Store(tmp_path / "state.db") as store:
        for d in range(120):
            now = start + timedelta(days=d)
            stored += [_dated("busy", f"{d}-{k}", now) for k in range(10)]
            stored += [_dated(f"quiet{i}", f"{d}", now) for i in range(9) if (d + i) % 7 == 0]
            picks = pick_diamonds(stored, topic_of={}, history=store.features(), now=now,
                                  seed=seed_for(now.date()), settings=settings)
            store.record_diamonds(now.date(), picks)
        counts = Counter(f.feed_url for f in store.features())
    busy = counts.pop("https://busy.example/feed")
    assert len(counts) == 9
    assert busy <= max(counts.values())  # no more turns than a blog posting weekly
    assert gini([busy, *counts.values()]) < 0.1


def _dated(blog: str, n: str, when: datetime) -> Post:
    return Post(feed_url=f"https://{blog}.example/feed", guid=n,
                link=f"https://{blog}.example/{n}", title=n,
                published=when - timedelta(hours=1), excerpt="", text=ESSAY)


def _feature(day: date, p: Post) -> Feature:
    return Feature(date=day, feed_url=p.feed_url, post_uid=p.uid, topic=None, reason="")


# -- history in SQLite -------------------------------------------------------------------


def test_history_survives_a_restart_and_a_rerun_is_not_counted_twice(tmp_path: Path) -> None:
    posts = blogs(12, 2)
    db = tmp_path / "state.db"
    day1 = NOW
    with Store(db) as store:
        first = pick_diamonds(posts, topic_of={}, history=store.features(), now=day1,
                              seed=seed_for(day1.date()))
        store.record_diamonds(day1.date(), first, posts={p.uid: p for p in posts},
                              blog_titles={p.feed_url: "A blog" for p in posts})
    with Store(db) as store:  # a new process, the same file: the same date again
        again = pick_diamonds(posts, topic_of={}, history=store.features(), now=day1,
                              seed=seed_for(day1.date()))
        assert again == first
        store.record_diamonds(day1.date(), again, posts={p.uid: p for p in posts})
        history = store.features()
    assert len(history) == 5
    assert [f.post_uid for f in history] == [d.post_uid for d in first]  # in pick order
    assert history[0].link.startswith("https://") and history[0].title
    with Store(db) as store:  # the next day sees yesterday's exposure, once
        day2 = day1 + timedelta(days=1)
        second = pick_diamonds(posts, topic_of={}, history=store.features(), now=day2,
                               seed=seed_for(day2.date()))
    yesterday = {d.feed_url for d in first}
    # 7 rested blogs against 5 featured yesterday: the rested ones win every slot they can.
    assert sum(1 for d in second if d.feed_url in yesterday) == 0
    assert not {d.post_uid for d in second} & {d.post_uid for d in first}


# -- the built site ----------------------------------------------------------------------


def _build(tmp_path: Path, day: str) -> int:
    return main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                 str(tmp_path / "site"), "--state", str(tmp_path / "state.db"), "--date", day,
                 "--allow-private-hosts", "--min-interval", "0",
                 "--base-url", "https://edu.example/sub/"])


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build two days from a real local server (the second day twice); yield the folder."""
    with _start_server() as server:
        yield _build_two_days(tmp_path_factory.mktemp("diamonds"), server)


def _build_two_days(tmp_path: Path, feed_server: FeedServer) -> Path:
    end = datetime(2026, 11, 21, 9, tzinfo=UTC)
    urls = [feed_server.serve(f"/{name}.xml", subject_blog(name, subject, n=6, end=end).rss())
            for name, subject in (("phonics", "phonics"), ("maths", "maths"),
                                  ("library", "library"))]
    roundup = FeedDoc(title="Links blog", site="https://links.example/", entries=[
        Entry(title=f"Weekly links {i}", link=f"https://links.example/{i}/",
              published=end - timedelta(days=i),
              html="<ul>" + "".join(f"<li><a href='https://x.example/{i}/{k}'>A post worth "
                                    f"reading about phonics {k}</a> from a teacher</li>"
                                    for k in range(25)) + "</ul>")
        for i in range(4)])
    urls.append(feed_server.serve("/links.xml", roundup.rss()))
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    for day in ("2026-11-20", "2026-11-21", "2026-11-21"):  # the second day built twice
        assert _build(tmp_path, day) == 0
    return tmp_path


def test_pages_and_feeds_after_builds(two_days: Path) -> None:
    site = two_days / "site"
    db = sqlite3.connect(two_days / "state.db")
    per_day = dict(db.execute("SELECT date, COUNT(*) FROM diamonds GROUP BY date").fetchall())
    assert per_day == {"2026-11-20": 3, "2026-11-21": 3}  # the re-run replaced, not added
    assert not db.execute("SELECT 1 FROM diamonds d JOIN feeds f ON f.url = d.feed_url "
                          "WHERE f.url LIKE '%links.xml'").fetchall()  # roundups never

    feed = feedparser.parse((site / "diamonds.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == 6
    assert len({e.id for e in feed.entries}) == 6
    assert all("Why this pick: From a blog" in e.summary for e in feed.entries)
    assert feed.feed.links[0].href  # self link present
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [
        "https://edu.example/sub/diamonds.xml"]

    archive = (site / "diamonds" / "index.html").read_text()
    assert archive.index("2026-11-21") < archive.index("2026-11-20")  # newest day first
    assert archive.count('class="why"') == 6

    home = (site / "index.html").read_text()
    assert 'href="fairness/index.html"' in home and 'href="diamonds/index.html"' in home
    assert home.count('href="fairness/index.html"') >= 2  # the diamonds section and the footer

    ledger = (site / "fairness" / "index.html").read_text()
    svg = ET.fromstring(ledger[ledger.index("<svg"):ledger.index("</svg>") + 6])
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "chart-title chart-desc"
    assert svg.find(f"{ns}title") is not None and svg.find(f"{ns}desc") is not None
    assert len(svg.findall(f".//{ns}circle")) >= 1
    # The chart is static SVG: the one script is the site's "Surprise me" link's (#17).
    assert ledger.count("<script") == 1 and '<script defer src="../assets/surprise.js">' in ledger
    assert "<caption" in ledger and ledger.count('<th scope="row"') == 4  # every blog
    assert "Gini coefficient" in ledger

    data = json.loads((site / "data" / "build.json").read_text())
    assert len(data["diamonds"]) == 3
    for d in data["diamonds"]:
        assert {"link", "feed_url", "topic", "reason"} <= d.keys()


def test_diamond_guids_are_stable_per_date_and_post(two_days: Path) -> None:
    first = {(e.link, e.published): e.id
             for e in feedparser.parse((two_days / "site" / "diamonds.xml").read_bytes()).entries}
    assert _build(two_days, "2026-11-21") == 0
    again = {(e.link, e.published): e.id
             for e in feedparser.parse((two_days / "site" / "diamonds.xml").read_bytes()).entries}
    assert first == again


def test_gini() -> None:
    assert gini([]) == 0.0
    assert gini([0, 0, 0]) == 0.0
    assert gini([3, 3, 3, 3]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([1, 2]) == pytest.approx(1 / 6)
