"""What the reading pages (#17) cost to write: the "Latest" river and "Surprise me" at scale.

Renders one synthetic site (N posts over N/50 blogs, 20 topics, excerpts of real length)
with render.write_site, without the search index, and times it as it is and with the
river and the surprise pages turned off, each in a fresh process. Reports wall and CPU
seconds (CPU is the steadier on a busy machine), the pages written, the river's page
count and the size of data/surprise.json.

    .venv/bin/python benchmarks/render_pages.py                 # N = 20,000
    .venv/bin/python benchmarks/render_pages.py --posts 5000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

WORDS = ("pupils reading fractions feedback library phonics lesson homework science "
         "assessment curriculum teachers classroom writing practice memory").split()


def run(posts: int, without: str) -> dict[str, float | int]:
    """Render the site once in this process; return its figures."""
    from aggregator import render, river, surprise
    from aggregator.models import Blog, BuildReport, Post, Topic

    if without == "reading":
        river.write_river = lambda *a, **k: None  # type: ignore[assignment]
        surprise.write_surprise = lambda *a, **k: None  # type: ignore[assignment]
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    blogs = [Blog(url=f"https://b{n}.example/feed", slug=f"b{n}", title=f"Blog number {n}",
                  site=f"https://b{n}.example/", author=None, description=None, tags=(),
                  language="en", added=None, last_success=now, last_error=None,
                  consecutive_failures=0) for n in range(max(1, posts // 50))]
    made = []
    for i in range(posts):
        text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(50))
        made.append(Post(feed_url=blogs[i % len(blogs)].url, guid=f"g{i}",
                         link=f"https://b{i % len(blogs)}.example/{i}/",
                         title=f"Post {i} on {WORDS[i % len(WORDS)]}",
                         published=now - timedelta(hours=i), excerpt=text[:320] + ".",
                         text=text))
    topics = [Topic(slug=f"t{t}", label=f"Topic {t}", terms=(f"t{t}",),
                    post_uids=tuple(p.uid for p in made[t::20])) for t in range(20)]
    content = render.SiteContent(today=date(2026, 11, 20), generated=now, seed=1,
                                 base_url="https://example.org/", blogs=blogs, posts=made,
                                 topics=topics, misc=[], diamonds=[])
    report = BuildReport(date=content.today, seed=1, feeds=(), topics=tuple(topics),
                         diamonds=(), new_posts=0, total_posts=posts, seconds=0.0,
                         out_dir="site")
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        staged = render.write_site(content, report, Path(tmp) / "site")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        index = staged.tmp / "data" / "surprise.json"
        figures = {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                   "pages": sum(1 for _ in staged.tmp.rglob("*.html")),
                   "river_pages": sum(1 for _ in (staged.tmp / "latest").rglob("*.html"))
                   if (staged.tmp / "latest").exists() else 0,
                   "surprise_json_kb": round(index.stat().st_size / 1024, 1)
                   if index.exists() else 0}
        staged.discard()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--one", choices=("all", "reading"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run(args.posts, args.one)))
        return
    print(f"posts={args.posts}")
    for without in ("all", "reading"):
        out = subprocess.run([sys.executable, __file__, "--posts", str(args.posts),
                              "--one", without], capture_output=True, text=True, check=True)
        label = "as built" if without == "all" else "without river and surprise"
        print(f"{label:28} {out.stdout.strip()}")


if __name__ == "__main__":
    main()
