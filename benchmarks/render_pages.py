"""What writing the pages costs, cold and on the next day (#17, #14).

Renders one synthetic site (N posts from min(1000, N/20) blogs, 100 posts a day, 20
topics, excerpts of real length) with render.write_site and publishes it (Pagefind
included), then builds the next day's site over it with 100 new posts, each in a
fresh process. Reports, per build: wall and CPU seconds of writing the pages and of
the search index (Pagefind's CPU is its own process's), how many files were written
anew and how many kept (same inode and mtime as the previous site's), the site's size
and file count, and the process tree's peak memory (PSS, tree_memory.py) with Pagefind's
own peak beside it. CPU is the steadier figure on a busy machine.

    .venv/bin/python benchmarks/render_pages.py                   # N = 20,000
    .venv/bin/python benchmarks/render_pages.py --posts 100000
    PYTHONPATH=/path/to/older/checkout .venv/bin/python benchmarks/render_pages.py  # before
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tree_memory  # a sibling script: the process tree's PSS

WORDS = ("pupils reading fractions feedback library phonics lesson homework science "
         "assessment curriculum teachers classroom writing practice memory").split()
PER_DAY = 100  # posts a day: the community of 1,000 blogs
NEW_POSTS = 100  # the next day's


def _content(posts: int, day: int) -> tuple[Any, Any]:
    """Return the SiteContent and BuildReport of the site after ``day`` extra days."""
    from aggregator import render
    from aggregator.models import Blog, BuildReport, Post, Topic

    now = datetime(2026, 11, 20, 12, tzinfo=UTC) + timedelta(days=day)
    blogs = [Blog(url=f"https://b{n}.example/feed", slug=f"b{n}", title=f"Blog number {n}",
                  site=f"https://b{n}.example/", author=None, description=None, tags=(),
                  language="en", added=None, last_success=now, last_error=None,
                  consecutive_failures=0) for n in range(max(1, min(1000, posts // 20)))]
    made = []
    total = posts + day * NEW_POSTS
    start = datetime(2026, 11, 20, 12, tzinfo=UTC) + timedelta(days=day)
    for k in range(total):
        i = total - 1 - k  # the post's number: 0 the oldest, so old posts keep theirs
        text = " ".join(WORDS[(i + w) % len(WORDS)] for w in range(50))
        made.append(Post(feed_url=blogs[i % len(blogs)].url, guid=f"g{i}",
                         link=f"https://b{i % len(blogs)}.example/{i}/",
                         title=f"Post {i} on {WORDS[i % len(WORDS)]}",
                         published=start - timedelta(days=k / PER_DAY),
                         excerpt=text[:320] + ".", excerpt_html=f"<p>{text[:320]}.</p>",
                         text=text))
    topics = [Topic(slug=f"t{t}", label=f"Topic {t}", terms=(f"t{t}",),
                    post_uids=tuple(p.uid for p in made if int(p.guid[1:]) % 20 == t))
              for t in range(20)]
    content = render.SiteContent(today=now.date(), generated=now, seed=1,
                                 base_url="https://example.org/", blogs=blogs, posts=made,
                                 topics=topics, misc=[], diamonds=[])
    report = BuildReport(date=content.today, seed=1, feeds=(), topics=tuple(topics),
                         diamonds=(), new_posts=0, total_posts=len(made), seconds=0.0,
                         out_dir="site")
    return content, report


def _files(site: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in site.rglob("*") if p.is_file()}


def _by_folder(names: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        folder = name.split("/", 1)[0] if "/" in name else "."
        counts[folder] = counts.get(folder, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def run(posts: int, day: int, out: Path) -> dict[str, Any]:
    """Build the site of ``day`` (0: cold) over ``out`` in this process; return its figures."""
    from aggregator import render

    content, report = _content(posts, day)
    before = _files(out) if out.exists() else {}
    started, cpu = time.perf_counter(), time.process_time()
    staged = render.write_site(content, report, out)
    pages_s, pages_cpu = time.perf_counter() - started, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    staged.publish()
    index_s = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    files = _files(out)
    kept = sum(1 for name, stamp in files.items() if before.get(name) == stamp)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"posts": len(content.posts), "pages_s": round(pages_s, 2),
            "pages_cpu_s": round(pages_cpu, 2), "index_s": round(index_s, 2),
            "index_cpu_s": round(after.ru_utime + after.ru_stime
                                 - children.ru_utime - children.ru_stime, 2),
            "files": len(files), "written": len(files) - kept, "kept": kept,
            "html": sum(1 for name in files if name.endswith(".html")),
            "written_by_folder": _by_folder(n for n, stamp in files.items()
                                            if before.get(n) != stamp),
            "site_mb": round(size / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--day", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--figures", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.day is not None:
        args.figures.write_text(json.dumps(run(args.posts, args.day, args.out)))
        return
    print(f"posts={args.posts}")
    with tempfile.TemporaryDirectory() as tmp:
        for day, label in ((0, "cold"), (1, "next day (+100)")):
            figures = Path(tmp) / "figures.json"
            memory = tree_memory.run([sys.executable, __file__, "--posts", str(args.posts),
                                      "--day", str(day), "--out", str(Path(tmp) / "site"),
                                      "--figures", str(figures)], env=os.environ)
            if memory.code:
                raise SystemExit(f"{label}: exit {memory.code}")
            found = json.loads(figures.read_text())
            # The tree's peak (PSS) and the indexer's own (Pagefind: "other").
            found["peak_mb"] = round(memory.peak_mb)
            found["pagefind_peak_mb"] = round(max((t[3] for t in memory.timeline), default=0))
            print(f"{label:16} {json.dumps(found)}")


if __name__ == "__main__":
    main()
