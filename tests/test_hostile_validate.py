"""A pull request's feed check parses as a build does: bounded, in a worker (#13).

``aggregator validate --network`` and ``aggregator add`` run on a stranger's feed in the
pull-request check; a parse that runs away there is killed at the build's limits and
reported as that feed's problem, and the command returns.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator import discover
from aggregator.cli import main
from aggregator.workers import ParseLimits

from .conftest import FeedServer
from .fakes import Entry, FeedDoc, feeds_yaml
from .test_hostile_feeds import runaway_parse

# Generous: the limits below kill a runaway within seconds; before #13 it never returned.
PROMPTLY = 60.0


def blog(name: str, posts: int = 2) -> bytes:
    doc = FeedDoc(title=f"{name.title()} blog", site=f"https://{name}.example/")
    doc.entries = [Entry(f"Post {i}", f"https://{name}.example/{i}/",
                         datetime(2026, 11, 1, tzinfo=UTC)) for i in range(posts)]
    return doc.rss()


def lower_limits(monkeypatch: pytest.MonkeyPatch, cpu_seconds: float) -> None:
    # raising=False: on code without the bounded parse, this changes nothing and the
    # assertions below fail on what the command did.
    monkeypatch.setattr(discover, "PARSE_LIMITS",
                        ParseLimits(cpu_seconds=cpu_seconds, memory_bytes=1 << 30),
                        raising=False)


def test_validate_reports_a_runaway_parse_as_that_feeds_problem(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Over its CPU time or its memory, the parse is killed; the other feeds are checked."""
    urls = [feed_server.serve(f"/{name}.xml", blog(name))
            for name in ("good", "runaway", "hog")]
    path = tmp_path / "feeds.yaml"
    path.write_text(feeds_yaml(urls))
    monkeypatch.setattr(discover, "_parse_job", runaway_parse, raising=False)
    lower_limits(monkeypatch, cpu_seconds=2)

    started = time.monotonic()
    code = main(["validate", str(path), "--network", "--allow-private-hosts"])
    elapsed = time.monotonic() - started

    assert code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{path}:2: {urls[0]}: ok, 'Good blog', 2 posts"
    assert err[1].startswith(f"{path}:3: {urls[1]}: not a readable feed (parse_timeout): ")
    assert err[2].startswith(f"{path}:4: {urls[2]}: not a readable feed (too_large): ")
    assert err[3] == f"{path}: 3 feeds; fetched 3 listed, 2 problems found"
    assert elapsed < PROMPTLY


def test_add_refuses_a_feed_whose_parse_runs_over_the_limit(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A genuinely slow input (15,000 entries: 3.6 s of CPU), no test seam in the parse.

    The limit is whole seconds on top of what the worker has used (RLIMIT_CPU): 6,000
    entries (1.4 s) sat on that edge.
    """
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: https://first.example/feed/\n")
    before = feeds.read_bytes()
    url = feed_server.serve("/feed.xml", blog("slow", posts=15_000))
    lower_limits(monkeypatch, cpu_seconds=1)

    started = time.monotonic()
    code = main(["add", url, "--feeds", str(feeds), "--allow-private-hosts"])
    elapsed = time.monotonic() - started

    assert code == 1
    err = capsys.readouterr().err
    assert f"{url}: not a readable feed (parse_timeout): " in err
    assert feeds.read_bytes() == before
    assert elapsed < PROMPTLY

