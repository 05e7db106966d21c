"""Feed health: conditions, the maintainers' order, failure causes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.errors import FetchError
from aggregator.health import (
    DORMANT_AFTER,
    causes_text,
    condition,
    failure_cause,
    feed_health,
    for_how_long,
    health_record,
    sickest_first,
)
from aggregator.models import Feed, FeedReport, FeedState

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def state(url: str, **kwargs: object) -> FeedState:
    return FeedState(url=url, slug=url, first_seen=NOW - timedelta(days=90),
                     **kwargs)  # type: ignore[arg-type]


def test_conditions() -> None:
    assert condition(state("a", last_success=NOW), NOW) == "ok"
    failing = state("b", last_success=NOW - timedelta(days=3), consecutive_failures=3)
    assert condition(failing, NOW) == "failing"
    dead = state("c", last_success=NOW - timedelta(days=30), consecutive_failures=40)
    assert condition(dead, NOW) == "dead"
    never = state("d", consecutive_failures=2)  # never worked since it joined 90 days ago
    assert condition(never, NOW) == "dead"
    gone = state("e", last_success=NOW - timedelta(days=2), gone_since=NOW - timedelta(days=1))
    assert condition(gone, NOW) == "gone"
    # Gone feeds are not polled, so they stop counting failures; they still die.
    assert condition(state("f", last_success=NOW - timedelta(days=31),
                           gone_since=NOW - timedelta(days=20)), NOW) == "dead"


def test_sick_feeds_come_first_longest_failing_first() -> None:
    feeds = {
        "ok": state("ok", last_success=NOW),
        "moved": state("moved", last_success=NOW, moved_to="https://new.example/feed"),
        "recent": state("recent", last_success=NOW - timedelta(days=1), consecutive_failures=1,
                        failing_since=NOW - timedelta(hours=5)),
        "older": state("older", last_success=NOW - timedelta(days=9), consecutive_failures=9,
                       failing_since=NOW - timedelta(days=8)),
        "dead": state("dead", last_success=NOW - timedelta(days=60), consecutive_failures=60,
                      failing_since=NOW - timedelta(days=59)),
        "gone": state("gone", last_success=NOW - timedelta(days=3),
                      gone_since=NOW - timedelta(days=2), failing_since=NOW - timedelta(days=2)),
    }
    health = [feed_health(Feed(url), s, url.title(), NOW) for url, s in feeds.items()]
    assert [h.url for h in sickest_first(health)] == [
        "dead", "gone", "older", "recent", "moved", "ok"]


def test_failures_are_grouped_by_cause() -> None:
    assert failure_cause(FetchError("http", "HTTP 404 Not Found", status=404)) == "http 404"
    assert failure_cause(FetchError("timeout", "slow")) == "timeout"
    reports = [FeedReport("a", "failed", "", cause="http 404"),
               FeedReport("b", "failed", "", cause="timeout"),
               FeedReport("c", "failed", "", cause="http 404"),
               FeedReport("d", "ok", "")]
    assert causes_text(reports) == "2 http 404, 1 timeout"


def test_for_how_long() -> None:
    assert for_how_long(NOW - timedelta(days=3, hours=2), NOW) == "3 days"
    assert for_how_long(NOW - timedelta(hours=5), NOW) == "5 hours"
    assert for_how_long(NOW - timedelta(minutes=70), NOW) == "about an hour"
    assert for_how_long(NOW - timedelta(minutes=5), NOW) == "under an hour"
    assert for_how_long(None, NOW) == "unknown"


def test_a_quiet_blog_is_dormant_whatever_its_feed_says() -> None:
    quiet = NOW - DORMANT_AFTER
    dormant = feed_health(Feed("q"), state("q", last_success=NOW), "Q", NOW, last_post=quiet)
    assert dormant.condition == "ok" and dormant.dormant and dormant.last_post == quiet
    busy = feed_health(Feed("b"), state("b", last_success=NOW), "B", NOW,
                       last_post=quiet + timedelta(days=1))
    assert not busy.dormant
    assert not feed_health(Feed("n"), state("n"), "N", NOW).dormant  # no post yet: not quiet
    failing = feed_health(Feed("f"), state("f", last_success=NOW - timedelta(days=2),
                                           consecutive_failures=2), "F", NOW, last_post=quiet)
    assert failing.condition == "failing" and failing.dormant  # both, said apart
    record = health_record(dormant)
    assert record["dormant"] is True and record["last_post"] == quiet.isoformat()


def test_dormant_and_shared_link_feeds_come_first_among_working_ones() -> None:
    ok = feed_health(Feed("a-ok"), state("a-ok", last_success=NOW), "A", NOW, last_post=NOW)
    quiet = feed_health(Feed("z-quiet"), state("z-quiet", last_success=NOW), "Z", NOW,
                        last_post=NOW - timedelta(days=400))
    shared = feed_health(Feed("m-shared"), state("m-shared", last_success=NOW, shared_links=5),
                         "M", NOW, last_post=NOW)
    failing = feed_health(Feed("f"), state("f", last_success=NOW - timedelta(days=2),
                                           consecutive_failures=2), "F", NOW, last_post=NOW)
    assert shared.shared_links == 5
    assert [h.url for h in sickest_first([ok, quiet, shared, failing])] == [
        "f", "m-shared", "z-quiet", "a-ok"]
