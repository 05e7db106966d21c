"""Time the state export and the checked restore on a large state (run by hand).

    .venv/bin/python benchmarks/state_restore.py [POSTS]

Builds a state of POSTS posts (default 20,000; 500 blogs, texts of some 4,000
characters) through the Store API, then times ``export_state`` (the published copy:
full texts left out) and ``restore_state`` (the schema and every value checked before
anything is replaced), and prints the sizes: what the published state costs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.models import Feed, Post
from aggregator.statefile import export_state, restore_state
from aggregator.store import Store

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
WORDS = "teachers pupils phonics fractions library reading classroom assessment".split()


def make_state(path: Path, posts: int, blogs: int = 500) -> None:
    feeds = [Feed(url=f"https://blog{i}.example/feed/") for i in range(blogs)]
    with Store(path) as store:
        store.sync_feeds(feeds, NOW)
        for b, feed in enumerate(feeds):
            batch = [Post(feed_url=feed.url, guid=f"g{n}", link=f"https://blog{b}.example/{n}/",
                          title=f"Post {n} of blog {b}", published=NOW - timedelta(hours=n),
                          excerpt=" ".join(WORDS[(n + k) % 8] for k in range(50)),
                          text=" ".join(WORDS[(n * k + b) % 8] for k in range(600)),
                          topic_text=" ".join(WORDS[(n + k) % 8] for k in range(250)))
                     for n in range(posts // blogs)]
            store.record_success(feed.url, now=NOW, status=200, etag='"e"',
                                 last_modified=None, title=f"Blog {b}", posts=batch)


def main() -> None:
    posts = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        state, export = Path(tmp) / "state.db", Path(tmp) / "state.sqlite.gz"
        make_state(state, posts)
        started = time.perf_counter()
        size = export_state(state, export)
        exported = time.perf_counter() - started
        started = time.perf_counter()
        result = restore_state(str(export), Path(tmp) / "restored" / "state.db")
        restored = time.perf_counter() - started
        print(f"{result.posts:,} posts: state {state.stat().st_size / 1e6:.1f} MB, "
              f"published export {size / 1e6:.2f} MB gzipped")
        print(f"export {exported:.2f} s, checked restore {restored:.2f} s")


if __name__ == "__main__":
    main()
