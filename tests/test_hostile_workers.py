"""A parse worker keeps little between feeds, and one parse's memory is capped (#13).

The fuzz benchmark's builds peaked over 500 MB with every worker still holding what its
largest parse had grown to. Real worker processes here, as in a build.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator import build as build_module
from aggregator.errors import ParseError
from aggregator.fetch import FetchOptions
from aggregator.models import Feed, FeedReport, FetchResult
from aggregator.store import Store
from aggregator.workers import ParseLimits, ParsePool, parse_job, resident_bytes

from .conftest import FeedServer
from .fakes import subject_blog

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)

# Jobs run in the spawned workers, which import them from this module.
_HOARD: list[bytes] = []


def whoami() -> int:
    return os.getpid()


def hoard(megabytes: int) -> int:
    """Keep ``megabytes`` alive after the job, as a fragmented heap would."""
    _HOARD.append(os.urandom(1 << 20) * megabytes)
    return os.getpid()


def churn(megabytes: int) -> int:
    """Use ``megabytes`` in small objects, all freed when the job ends (a big feed's parse)."""
    chunks = [os.urandom(64) * 8 for _ in range(megabytes * 2048)]
    del chunks
    return os.getpid()


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes << 20))


def run(pool: ParsePool, *jobs: tuple[Any, ...]) -> list[Any]:
    async def go() -> list[Any]:
        return [await pool.parse(job, *args) for job, *args in jobs]

    try:
        return asyncio.run(go())
    finally:
        pool.close()


needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                                reason="a worker reads its memory from /proc")


@needs_proc
def test_a_worker_left_large_by_a_job_is_replaced() -> None:
    pool = ParsePool(1, ParseLimits(idle_bytes=96 << 20))
    first, hoarder, after, again = run(pool, (whoami,), (hoard, 150), (whoami,), (whoami,))
    assert hoarder == first  # the job ran, and its result came back
    assert after != first  # ...from a worker that then exited, its 150 MB with it
    assert again == after  # a worker that stays small is reused
    assert pool.started == 2


def _has_malloc_trim() -> bool:
    try:
        return sys.platform.startswith("linux") and hasattr(ctypes.CDLL("libc.so.6"),
                                                            "malloc_trim")
    except OSError:
        return False


@needs_proc
@pytest.mark.skipif(not _has_malloc_trim(), reason="handing memory back needs glibc")
def test_a_worker_hands_back_what_a_big_parse_freed_and_stays() -> None:
    pool = ParsePool(1, ParseLimits(idle_bytes=96 << 20))
    first, churned, after = run(pool, (whoami,), (churn, 200), (whoami,))
    assert first == churned == after
    assert pool.started == 1


def test_one_parse_may_not_take_more_than_the_memory_limit() -> None:
    """The default limit is sized from the fuzz run's worst parse (~120 MB), with room."""
    over, within = run(ParsePool(1), (allocate, 600), (allocate, 100))
    assert isinstance(over, ParseError) and over.kind == "too_large"
    assert within == 100 << 20


def test_resident_bytes_reads_this_process() -> None:
    if not os.path.exists("/proc/self/statm"):
        assert resident_bytes() == 0
        return
    assert 5 << 20 < resident_bytes() < 2 << 30


def nap(seconds: float) -> float:
    import time

    time.sleep(seconds)  # no CPU used: only the wall-clock limit can end it
    return seconds


def test_a_worker_that_never_answers_is_a_timeout_not_a_crash() -> None:
    """A stopped or CPU-starved worker (a loaded machine) is killed at the wall-clock limit."""
    (stuck,) = run(ParsePool(1, ParseLimits(wall_seconds=2)), (nap, 60))
    assert isinstance(stuck, ParseError) and stuck.kind == "parse_timeout", stuck
    assert "no answer after 2 s" in str(stuck)


def slow_parse(*args: Any) -> Any:
    """Parse as a build does, slowly: downloads outrun the workers."""
    time.sleep(0.2)
    return parse_job(*args)


def test_bodies_waiting_for_a_worker_are_bounded(
        feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # At 10,000 feeds downloads outran the two workers by thousands of bodies, all held
    # in memory. A feed now starts only while fewer than --concurrency others hold one.
    monkeypatch.setattr(build_module, "_parse_job", slow_parse)
    body = subject_blog("phonics", "phonics", n=2, end=NOW).rss()
    feeds = [Feed(feed_server.serve(f"/{i}.xml", body)) for i in range(24)]
    waiting: list[int] = []

    def on_feed(result: FetchResult, report: FeedReport) -> None:
        waiting.append(len(feed_server.requests) - len(waiting) - 1)  # others downloaded

    options = FetchOptions(allow_private_hosts=True, min_interval=timedelta(0), concurrency=3)
    with Store(tmp_path / "state.db") as store:
        states = store.sync_feeds(feeds, NOW)
        reports = asyncio.run(build_module.update_feeds(
            feeds, states, store, now=NOW, options=options, first_build=True,
            on_feed=on_feed))
    assert [r.outcome for r in reports] == ["ok"] * len(feeds)
    assert max(waiting) <= options.concurrency
