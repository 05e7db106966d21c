"""Fetching against a real HTTP server on 127.0.0.1: limits, retries, redirects, safety."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import brotli
import httpx
import pytest

from aggregator import build as build_module
from aggregator import fetch, netguard
from aggregator.cli import main
from aggregator.errors import FetchError
from aggregator.fetch import FetchOptions, fetch_feed, make_client, skip_reason
from aggregator.models import Feed, FeedState, FetchedFeed, FetchResult, NotModified, Skipped

from .conftest import FeedServer, _start_server
from .fakes import feeds_yaml, subject_blog

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
BODY = subject_blog("phonics", "phonics", n=3, end=NOW).rss()


def options(**changes: object) -> FetchOptions:
    """Return options for tests: local server allowed, no polling interval, short waits."""
    base = FetchOptions(allow_private_hosts=True, min_interval=timedelta(0), backoff=0.01,
                        deadline=5.0)
    return replace(base, **changes)  # type: ignore[arg-type]


def fetch_one(url: str, state: FeedState | None = None, *,
              client: httpx.AsyncClient | None = None, **changes: object) -> FetchResult:
    opts = options(**changes)

    async def go() -> FetchResult:
        async with client or make_client(opts) as c:
            return await fetch_feed(c, Feed(url), state, opts, now=NOW)
    return asyncio.run(go())


def error_of(result: FetchResult) -> FetchError:
    assert isinstance(result.value, FetchError), result.value
    return result.value


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"",
           headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


# -- conditional GET, decoding, caching hints ---------------------------------------------

def test_conditional_get_sends_validators_and_gets_304(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", BODY, headers={
        "Last-Modified": "Thu, 19 Nov 2026 08:00:00 GMT", "Cache-Control": "max-age=7200"})
    first = fetch_one(url).value
    assert isinstance(first, FetchedFeed) and first.body == BODY
    assert first.etag and first.last_modified and first.max_age == 7200

    state = FeedState(url=url, slug="x", etag=first.etag, last_modified=first.last_modified)
    second = fetch_one(url, state).value
    assert isinstance(second, NotModified)
    sent = feed_server.hits("/feed.xml")[-1]
    assert sent["if-none-match"] == first.etag
    assert sent["if-modified-since"] == "Thu, 19 Nov 2026 08:00:00 GMT"
    assert "edublog-aggregator" in sent["user-agent"]


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("br", brotli.compress),
])
def test_compressed_bodies_are_decoded(feed_server: FeedServer, encoding: str,
                                       compress: object) -> None:
    url = feed_server.serve("/feed.xml", compress(BODY),  # type: ignore[operator]
                            headers={"Content-Encoding": encoding})
    value = fetch_one(url).value
    assert isinstance(value, FetchedFeed) and value.body == BODY
    assert encoding in feed_server.hits("/feed.xml")[0]["accept-encoding"]


def test_min_interval_and_max_age_decide_when_to_poll() -> None:
    opts = FetchOptions(min_interval=timedelta(hours=1))
    state = FeedState(url="u", slug="u", last_fetched=NOW - timedelta(minutes=30))
    assert skip_reason(state, opts, NOW) == "polled 30 min ago; polling at most once per 1 h"
    assert skip_reason(replace(state, last_fetched=NOW - timedelta(hours=2)), opts, NOW) is None
    # The feed asks for 3 hours between polls: honoured.
    asked = replace(state, last_fetched=NOW - timedelta(hours=2), max_age=3 * 3600)
    assert skip_reason(asked, opts, NOW) is not None
    # ...but never more than a day, however long it asks for.
    greedy = replace(state, last_fetched=NOW - timedelta(hours=25), max_age=30 * 86400)
    assert skip_reason(greedy, opts, NOW) is None
    # 0 turns every interval off (tests of conditional GET, benchmarks).
    assert skip_reason(asked, replace(opts, min_interval=timedelta(0)), NOW) is None
    assert fetch.max_age_seconds("public, max-age=600") == 600
    assert fetch.max_age_seconds("no-cache, max-age=600") is None
    assert fetch.retry_after_seconds("Fri, 20 Nov 2026 09:01:00 GMT", now=NOW) == 60.0


# -- limits -------------------------------------------------------------------------------

def test_total_deadline_cuts_off_a_trickling_server(feed_server: FeedServer) -> None:
    # One byte every 50 ms: each read is quick, so only the total deadline can stop it.
    url = feed_server.serve("/slow.xml", BODY[:400], trickle=0.05)
    error = error_of(fetch_one(url, deadline=0.5, read_timeout=5.0))
    assert error.kind == "timeout" and "0.5 s" in error.message
    assert len(feed_server.hits("/slow.xml")) == 1  # a timeout is not retried


def test_read_timeout_is_not_retried(feed_server: FeedServer) -> None:
    url = feed_server.serve("/late.xml", BODY, delay=1.0)
    error = error_of(fetch_one(url, read_timeout=0.2))
    assert error.kind == "timeout"
    assert len(feed_server.hits("/late.xml")) == 1


def test_size_cap_declared_and_streamed(feed_server: FeedServer) -> None:
    big = feed_server.serve("/big.xml", b"x" * 5000)
    assert error_of(fetch_one(big, max_bytes=1000)).kind == "too_large"
    # A small gzip body that inflates past the cap is cut off while decoding.
    bomb = feed_server.serve("/bomb.xml", gzip.compress(b"<" * 200_000),
                             headers={"Content-Encoding": "gzip"})
    error = error_of(fetch_one(bomb, max_bytes=50_000))
    assert error.kind == "too_large" and "limit" in error.message


def test_redirect_loop_is_detected(feed_server: FeedServer) -> None:
    feed_server.serve("/a", status=302, headers={"Location": "/b"})
    feed_server.serve("/b", status=301, headers={"Location": "/a"})
    error = error_of(fetch_one(feed_server.url("/a")))
    assert error.kind == "redirect_loop" and error.message.count("->") == 2


def test_permanent_redirect_target_is_reported(feed_server: FeedServer) -> None:
    feed_server.serve("/old.xml", status=301, headers={"Location": "/new.xml"})
    new = feed_server.serve("/new.xml", BODY)
    value = fetch_one(feed_server.url("/old.xml")).value
    assert isinstance(value, FetchedFeed) and value.moved_to == new and value.final_url == new
    # A temporary hop first means the feed has not moved for good.
    feed_server.serve("/tmp.xml", status=302, headers={"Location": "/old.xml"})
    value = fetch_one(feed_server.url("/tmp.xml")).value
    assert isinstance(value, FetchedFeed) and value.moved_to is None


def test_gone_feed(feed_server: FeedServer) -> None:
    url = feed_server.serve("/gone.xml", status=410)
    error = error_of(fetch_one(url))
    assert error.kind == "gone" and error.status == 410
    state = FeedState(url=url, slug="g", gone_since=NOW - timedelta(days=3),
                      last_fetched=NOW - timedelta(days=3))
    skipped = fetch_one(url, state).value
    assert isinstance(skipped, Skipped) and skipped.gone
    assert len(feed_server.hits("/gone.xml")) == 1  # not asked again within gone_retry
    asked_again = replace(state, last_fetched=NOW - timedelta(days=31))
    assert error_of(fetch_one(url, asked_again)).kind == "gone"


# -- retries ------------------------------------------------------------------------------

def flaky(failures: list[tuple[int, dict[str, str]] | None]):  # type: ignore[no-untyped-def]
    """Return a route answering each listed failure in turn, then the feed.

    ``None`` drops the connection without an answer (like a reset).
    """
    def route(handler: BaseHTTPRequestHandler) -> None:
        if failures:
            failure = failures.pop(0)
            if failure is None:
                handler.close_connection = True
                return
            answer(handler, failure[0], b"busy", failure[1])
            return
        answer(handler, 200, BODY, {"Content-Type": "application/rss+xml"})
    return route


def test_transient_failures_are_retried_then_succeed(feed_server: FeedServer) -> None:
    feed_server.routes["/f.xml"] = flaky([(503, {}), None])
    value = fetch_one(feed_server.url("/f.xml")).value
    assert isinstance(value, FetchedFeed) and value.body == BODY
    assert len(feed_server.hits("/f.xml")) == 3


def test_retries_give_up_and_say_so(feed_server: FeedServer) -> None:
    url = feed_server.serve("/err.xml", status=500)
    error = error_of(fetch_one(url, retries=2))
    assert error.kind == "http" and error.status == 500 and "after 3 attempts" in str(error)
    assert len(feed_server.hits("/err.xml")) == 3


def test_client_errors_are_not_retried(feed_server: FeedServer) -> None:
    error = error_of(fetch_one(feed_server.url("/missing.xml")))
    assert error.status == 404
    assert len(feed_server.hits("/missing.xml")) == 1


def test_retry_after_is_honoured_when_it_fits(feed_server: FeedServer) -> None:
    feed_server.routes["/limited.xml"] = flaky([(429, {"Retry-After": "1"})])
    value = fetch_one(feed_server.url("/limited.xml"), deadline=5.0).value
    assert isinstance(value, FetchedFeed)
    assert len(feed_server.hits("/limited.xml")) == 2


def test_retry_after_past_the_deadline_skips_the_feed(feed_server: FeedServer) -> None:
    feed_server.routes["/busy.xml"] = flaky([(503, {"Retry-After": "120"})])
    error = error_of(fetch_one(feed_server.url("/busy.xml"), deadline=2.0))
    assert error.kind == "rate_limited" and "skipped this run" in error.message
    assert len(feed_server.hits("/busy.xml")) == 1


# -- address safety -----------------------------------------------------------------------

def test_loopback_is_refused_by_default(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", BODY)
    error = error_of(fetch_one(url, allow_private_hosts=False))
    assert error.kind == "refused" and "127.0.0.1" in error.message
    assert feed_server.hits("/feed.xml") == []


def test_public_looking_name_resolving_to_loopback_is_refused(
        feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "feeds.example.org" else ["93.184.216.34"]
    monkeypatch.setattr(netguard, "resolve", fake_resolve)
    port = feed_server.base.rsplit(":", 1)[1]
    feed_server.serve("/feed.xml", BODY)
    error = error_of(fetch_one(f"http://feeds.example.org:{port}/feed.xml",
                               allow_private_hosts=False))
    assert error.kind == "refused" and "feeds.example.org resolves to 127.0.0.1" in error.message
    assert feed_server.hits("/feed.xml") == []


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/feed",
    "http://[::1]/feed",
    "file:///etc/passwd",
])
def test_redirect_to_a_private_address_is_refused(target: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(301, headers={"Location": target})
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    # A public address literal: allowed without DNS, answered by the mock transport.
    error = error_of(fetch_one("http://93.184.216.34/feed", client=client,
                               allow_private_hosts=False))
    assert error.kind == "refused"
    assert seen == ["http://93.184.216.34/feed"]  # the private target was never asked


@pytest.mark.parametrize("location", [
    "http://[::1/feed",  # urlsplit raises ValueError
    "http://exa\x01mple.org/feed",  # httpx raises InvalidURL
    "http://example.org:99999/feed",
    "http://intranet/feed",  # a bare name only the local network resolves
])
def test_a_malformed_redirect_or_stored_address_is_the_feeds_bad_url(location: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": location})
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    error = error_of(fetch_one("http://93.184.216.34/feed", client=client,
                               allow_private_hosts=False))
    assert error.kind == "bad_url" and seen == ["http://93.184.216.34/feed"]
    # The same address stored as where the feed moved (a state is downloaded: untrusted).
    moved = FeedState(url="https://blog.example/feed", slug="b", moved_to=location)
    result = fetch_one("https://blog.example/feed", moved, allow_private_hosts=False)
    assert error_of(result).kind == "bad_url"


def test_stored_validators_that_are_not_header_values_are_not_sent(
        feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", BODY)
    state = FeedState(url=url, slug="x", etag='"caf\u00e9"', last_modified="Thu\r\nX-Evil: 1")
    value = fetch_one(url, state).value
    assert isinstance(value, FetchedFeed) and value.body == BODY
    headers = feed_server.hits("/feed.xml")[0]
    assert "if-none-match" not in headers and "x-evil" not in headers


# -- whole builds: state across runs ------------------------------------------------------

def build(tmp_path: Path, day: str, *extra: str) -> dict:  # type: ignore[type-arg]
    code = main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                 str(tmp_path / "site"), "--state", str(tmp_path / "state.db"), "--date", day,
                 "--allow-private-hosts", "--min-interval", "0", "--deadline", "3", *extra])
    assert code == 0
    return json.loads((tmp_path / "site" / "data" / "build.json").read_text())  # type: ignore[no-any-return]


def test_warm_build_gets_304_and_parses_nothing(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = feed_server.serve("/feed.xml", BODY)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([url]))
    build(tmp_path, "2026-11-20")
    parsed: list[str] = []
    real = build_module._parse_job

    def counting(*args: object) -> object:
        parsed.append(str(args[1]))
        return real(*args)  # type: ignore[arg-type]
    monkeypatch.setattr(build_module, "_parse_job", counting)
    data = build(tmp_path, "2026-11-20")
    assert [f["outcome"] for f in data["feeds"]] == ["not_modified"]
    assert parsed == []
    assert "if-none-match" in feed_server.hits("/feed.xml")[-1]


def test_failing_feed_keeps_its_posts_and_reports_health(
        tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", BODY)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([url]))
    build(tmp_path, "2026-11-20")
    feed_server.serve("/feed.xml", BODY[:300], trickle=0.05)  # now too slow
    data = build(tmp_path, "2026-11-21", "--deadline", "0.5")
    assert data["feeds"][0]["outcome"] == "failed"
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("SELECT count(*) FROM posts").fetchone()[0] == 3
    health = data["health"][0]
    assert health["condition"] == "failing" and health["error_kind"] == "timeout"
    assert health["failing_since"].startswith("2026-11-21")
    assert health["last_success"].startswith("2026-11-20")
    page = (tmp_path / "site" / "status" / "index.html").read_text()
    assert "timeout" in page and url in page


def test_permanent_redirect_is_trusted_after_several_runs_over_days(
        tmp_path: Path, feed_server: FeedServer) -> None:
    old = feed_server.serve("/old.xml", status=301, headers={"Location": "/new.xml"})
    new = feed_server.serve("/new.xml", BODY)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([old]))
    for day in ("2026-11-20", "2026-11-20", "2026-11-21"):  # 3 runs, but 1 day apart
        data = build(tmp_path, day)
        assert data["health"][0]["moved_to"] is None
        assert data["health"][0]["redirect_target"] == new
    data = build(tmp_path, "2026-11-22")  # the 4th run, 2 days after the first: trusted
    assert data["health"][0]["moved_to"] == new
    asked = len(feed_server.hits("/old.xml"))
    data = build(tmp_path, "2026-11-23")
    assert len(feed_server.hits("/old.xml")) == asked  # fetched at the new address directly
    assert data["feeds"][0]["outcome"] == "not_modified"
    assert data["health"][0]["moved_to"] == new
    page = (tmp_path / "site" / "status" / "index.html").read_text()
    assert new in page and "feeds.yaml" in page

    feed_server.serve("/new.xml", status=404)  # the new address dies: it is forgotten
    data = build(tmp_path, "2026-11-24")
    assert data["health"][0]["moved_to"] is None
    feed_server.serve("/new.xml", BODY)
    data = build(tmp_path, "2026-11-25")
    assert len(feed_server.hits("/old.xml")) == asked + 1  # feeds.yaml's address again
    assert data["health"][0]["moved_to"] is None  # and the redirect must earn trust anew
    assert data["health"][0]["redirect_target"] == new


def test_gone_feed_is_reported_and_not_asked_again(
        tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", BODY)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([url]))
    build(tmp_path, "2026-11-20")
    feed_server.serve("/feed.xml", status=410)
    data = build(tmp_path, "2026-11-21")
    assert data["feeds"][0]["outcome"] == "failed" and data["health"][0]["condition"] == "gone"
    asked = len(feed_server.hits("/feed.xml"))
    data = build(tmp_path, "2026-11-22")
    assert len(feed_server.hits("/feed.xml")) == asked
    assert data["feeds"][0]["outcome"] == "failed" and "gone" in data["feeds"][0]["reason"]


# -- crash safety ---------------------------------------------------------------------------

def stored_feeds(db_path: Path) -> int:
    """Return how many feeds a running build has stored so far (read-only peek)."""
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM feeds WHERE last_success IS NOT NULL")
                       .fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # the schema is not there yet


@pytest.mark.slow
def test_build_killed_mid_run_leaves_consistent_state_and_next_run_carries_on(
        tmp_path: Path, feed_server: FeedServer) -> None:
    n, posts_each = 40, 5
    urls = [feed_server.serve(f"/f{i}.xml", subject_blog(f"blog{i}", "maths", n=posts_each,
                                                         end=NOW).rss(), delay=0.3)
            for i in range(n)]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    db_path = tmp_path / "state.db"
    command = [sys.executable, "-m", "aggregator", "build", "--feeds",
               str(tmp_path / "feeds.yaml"), "--out", str(tmp_path / "site"), "--state",
               str(db_path), "--date", "2026-11-20", "--allow-private-hosts", "--min-interval",
               "0", "--per-host", "4"]
    # Its own session, so the kill takes the parse workers too, like a killed CI job.
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):  # until a few feeds are stored: the build is mid-run
            if stored_feeds(db_path) >= 3 or proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert 3 <= stored_feeds(db_path) < n

    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT f.url, f.last_success, count(p.uid) FROM feeds f "
                          "LEFT JOIN posts p ON p.feed_url = f.url GROUP BY f.url").fetchall()
    assert len(rows) == n
    for url, last_success, posts in rows:  # each feed is all stored or not at all
        assert posts == (posts_each if last_success else 0), url

    data = build(tmp_path, "2026-11-20")
    assert {f["outcome"] for f in data["feeds"]} <= {"ok", "not_modified"}
    with sqlite3.connect(db_path) as db:
        counts = [c for (c,) in db.execute("SELECT count(p.uid) FROM feeds f LEFT JOIN posts p "
                                           "ON p.feed_url = f.url GROUP BY f.url")]
    assert counts == [posts_each] * n


# -- the summary ----------------------------------------------------------------------------

def test_summary_counts_failures_by_cause(tmp_path: Path, feed_server: FeedServer,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    urls = [feed_server.serve("/ok.xml", BODY), feed_server.url("/a.xml"),
            feed_server.url("/b.xml"), feed_server.serve("/slow.xml", BODY, delay=2.0)]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    build(tmp_path, "2026-11-20", "--timeout", "0.3")
    out = capsys.readouterr().out
    assert "1 ok, 0 unchanged, 3 failed (2 http 404, 1 timeout)" in out


def test_feeds_that_timed_out_last_run_start_first(tmp_path: Path,
                                                   feed_server: FeedServer) -> None:
    urls = [feed_server.serve("/a.xml", BODY), feed_server.serve("/b.xml", BODY),
            feed_server.serve("/c.xml", BODY[:200], trickle=0.05)]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    build(tmp_path, "2026-11-20", "--concurrency", "1", "--deadline", "0.5")
    assert [p for p, _ in feed_server.requests] == ["/a.xml", "/b.xml", "/c.xml"]
    feed_server.requests.clear()
    data = build(tmp_path, "2026-11-21", "--concurrency", "1", "--deadline", "0.5")
    # /c.xml timed out: it goes first, so its deadline overlaps the others' work.
    assert [p for p, _ in feed_server.requests] == ["/c.xml", "/a.xml", "/b.xml"]
    assert [f["url"] for f in data["feeds"]] == urls  # reports keep feeds.yaml's order


def test_feeds_queued_for_a_busy_host_do_not_hold_back_other_hosts(
        feed_server: FeedServer) -> None:
    # A community list has runs of feeds on one host (feedburner, medium). Those waiting
    # for their host's turn must not take the run's slots from feeds on idle hosts.
    with _start_server("127.0.0.2") as other:
        busy = [Feed(feed_server.serve(f"/a{i}.xml", BODY, delay=0.6)) for i in range(3)]
        idle = Feed(other.serve("/b.xml", BODY))
        opts = options(concurrency=2, per_host=1)
        results = asyncio.run(fetch.fetch_feeds([*busy, idle], {}, opts, now=NOW))
    assert all(isinstance(r.value, FetchedFeed) for r in results)
    # Held back, it would start only when two of the busy host's feeds were done (1.2 s).
    assert results[-1].seconds < 0.6


def test_feed_failing_for_30_days_is_marked_dead(tmp_path: Path, feed_server: FeedServer,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ok = feed_server.serve("/ok.xml", BODY)
    sick = feed_server.serve("/sick.xml", BODY)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([ok, sick]))
    build(tmp_path, "2026-10-01")
    feed_server.serve("/sick.xml", status=404)
    build(tmp_path, "2026-10-02")
    data = build(tmp_path, "2026-11-01")  # failing since 1 October: 30 days and more
    assert [(h["url"], h["condition"]) for h in data["health"]] == [(sick, "dead"), (ok, "ok")]
    page = (tmp_path / "site" / "status" / "index.html").read_text()
    assert "<strong>Dead</strong>" in page and "http: HTTP 404" in page
    assert page.index(sick) < page.index(ok)  # sick first
    assert "dead feeds (failing for 30+ days): 1" in capsys.readouterr().out


def test_retry_after_on_a_500_is_not_a_rate_limit(feed_server: FeedServer) -> None:
    url = feed_server.serve("/down.xml", status=500, headers={"Retry-After": "120"})
    error = error_of(fetch_one(url, retries=1))
    assert error.kind == "http" and error.status == 500  # backed off as usual, then gave up
    assert len(feed_server.hits("/down.xml")) == 2
