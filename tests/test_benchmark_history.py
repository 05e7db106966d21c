"""The history benchmark's own measuring says when, where and what (#14).

benchmarks/history.py is run by hand, and its numbers decide what the build's owners
change: which stage raised the build's peak (timed_build.py: each stage's first start,
last end, and the build's high-water mark when it ended), which process held the tree's
memory over time (the samples kept beside the timings), and how much of the site a
next-day build wrote again (an unchanged page keeps its mtime); and, with ``--retired``,
the written history is as daily builds would have left it. These check the helpers
on real processes and real files, not on a build: a build at these sizes is the
benchmark itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from aggregator.models import Feed, Post, TextWindow
from aggregator.store import Store

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# Run in a fresh process: its high-water mark starts low, whatever this one holds.
STAGED = """
import json, sys, time
import timed_build as t

def small():
    return len(bytearray(1_000_000))

def large():
    return len(bytearray(80_000_000))

def outer():
    time.sleep(0.05)
    return large()

small, large, outer = (t._timed(f.__name__, f) for f in (small, large, outer))
small()
outer()
print(json.dumps(t.timings))
"""


@pytest.fixture
def history() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import history as module  # a script beside its siblings, not a package
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_a_stage_says_when_it_ran_and_the_peak_when_it_ended() -> None:
    out = subprocess.run([sys.executable, "-c", STAGED], cwd=BENCHMARKS, check=True,
                         capture_output=True, text=True).stdout
    timings = json.loads(out)
    calls, wall, _cpu, small_start, small_end, small_hwm = timings["small"]
    _, _, _, outer_start, outer_end, outer_hwm = timings["outer"]
    _, _, _, large_start, large_end, large_hwm = timings["large"]
    assert calls == 1 and wall >= 0
    assert small_start <= small_end <= outer_start  # in the order they ran
    assert outer_start <= large_start <= large_end <= outer_end  # the inner one inside
    # The 80 MB is in the high-water mark of the stage that made it, and of the one
    # around it, not of the stage that ended before.
    assert large_hwm - small_hwm >= 70
    assert outer_hwm >= large_hwm


def test_the_files_a_build_wrote_are_those_newer_than_its_start(
        history: ModuleType, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "blogs/a").mkdir(parents=True)
    (site / "topics").mkdir()
    kept = site / "blogs/a/index.html"
    kept.write_text("the previous build's page")
    os.utime(kept, (1_700_000_000, 1_700_000_000))  # linked from the previous site
    since = time.time_ns()
    (site / "blogs/a/2025.html").write_text("12345")
    (site / "topics/index.html").write_text("123")
    (site / "index.html").write_text("1")

    size, files, parts = history.written_since(site, since)

    assert (size, files) == (9, 3)
    assert parts == {".": 1, "blogs": 1, "topics": 1}


def test_the_tree_memory_samples_are_kept(history: ModuleType, tmp_path: Path) -> None:
    samples = tmp_path / "memory-0.tsv"
    command = [sys.executable, "-c", "import time; b = bytearray(30_000_000); time.sleep(0.5)"]

    measured = history.run_measured(command, tmp_path / "build.log", samples)

    rows = [[float(v) for v in line.split("\t")] for line in samples.read_text().splitlines()]
    assert measured["exit"] == 0 and len(rows) >= 3
    assert all(len(row) == 4 for row in rows)  # seconds, build, workers, others
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)
    assert max(row[1] for row in rows) >= 25  # the 30 MB the command held, as its PSS


def test_a_retired_history_keeps_the_texts_only_inside_the_window(
        history: ModuleType, tmp_path: Path) -> None:
    feed = "https://a.example/feed"
    last = datetime.combine(history.END, datetime.min.time(), UTC)
    posts = [Post(feed_url=feed, guid=f"g{n}", link=f"https://a.example/{n}/",
                  title=f"Post {n}", published=last - timedelta(days=n), excerpt=f"e {n}",
                  excerpt_html=f"<p>e {n}</p>", text="words of the post",
                  topic_text="words post") for n in range(6)]  # one a day up to END
    state = tmp_path / "state.db"
    with Store(state) as store:
        store.sync_feeds([Feed(url=feed)], last)
        store.record_success(feed, now=last, status=200, etag=None, last_modified=None,
                             posts=posts)

    # The 2 newest, and any post of the 3 days before the history's last build (its
    # evening: g3 is 3 days and 21 hours older).
    assert history.retire_history(state, TextWindow(posts=2, days=3)) == 3

    with Store(state) as store:
        kept = {p.guid: bool(p.text and p.excerpt_html) for p in store.posts()}
    assert kept == {"g0": True, "g1": True, "g2": True, "g3": False, "g4": False, "g5": False}
