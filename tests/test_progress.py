"""The fetch progress display: a live line on a terminal, plain log lines elsewhere."""

from __future__ import annotations

import io
import logging

import pytest

from aggregator.errors import FetchError
from aggregator.models import Feed, FeedReport, FetchResult, NotModified
from aggregator.progress import FetchProgress, ProgressLogHandler


def finish(progress: FetchProgress, ok: int, failed: int) -> None:
    for i in range(ok):
        progress.on_feed(FetchResult(Feed(f"u{i}"), NotModified(f"u{i}")),
                         FeedReport(f"u{i}", "not_modified", "304"))
    for i in range(failed):
        progress.on_feed(FetchResult(Feed(f"f{i}"), FetchError("timeout", "slow")),
                         FeedReport(f"f{i}", "failed", "timeout: slow", cause="timeout"))


def test_plain_mode_logs_a_line_every_tenth(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    progress = FetchProgress(stream, live=False)
    progress.on_start(100)
    with caplog.at_level(logging.INFO, logger="aggregator"):
        finish(progress, ok=95, failed=5)
    progress.finish()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "fetched 10/100 feeds (0 failed)"
    assert lines[-1] == "fetched 90/100 feeds (0 failed)"
    assert len(lines) == 9
    assert stream.getvalue() == ""  # nothing redrawn without a terminal


def test_live_mode_redraws_one_line_and_prints_logs_above_it() -> None:
    stream = io.StringIO()
    progress = FetchProgress(stream, live=True)
    progress.on_start(3)
    logger = logging.getLogger("test-progress")
    logger.propagate = False
    logger.addHandler(ProgressLogHandler(progress))
    finish(progress, ok=2, failed=0)
    logger.warning("http://b.example/feed: timeout")
    finish(progress, ok=0, failed=1)
    progress.finish()
    out = stream.getvalue()
    assert "\n" not in out.replace("http://b.example/feed: timeout\n", "")  # one line, redrawn
    assert "\r\x1b[2Khttp://b.example/feed: timeout\n\r\x1b[2Kfetching" in out
    assert "fetching 3/3 feeds · 1 failed" in out
    assert out.endswith("\r\x1b[2K")  # cleared for the summary
