"""Benchmark the build over a long history: years of posts of 1,000 blogs (issue 14; by hand).

    .venv/bin/python benchmarks/history.py                       # 20,000, 100,000, 300,000 posts
    .venv/bin/python benchmarks/history.py --sizes 2000          # quick: to try it
    .venv/bin/python benchmarks/history.py serve --posts 2000    # only the farm, day 0

For each size, one after another (never two at once):

1. a state holding the whole history is written through the Store API, as years of
   builds would have left it: each blog's posts, oldest first, read 20 at a time by the
   real parser from feeds made of them (history_corpus.py makes the blogs and posts) and
   stored with ``record_success`` at the time they were fetched. The state is kept in
   ``--cache`` for the next run of the same size;
2. a farm serves each blog's feed (its newest 20 posts) on loopback, 1,000 feeds over 20
   addresses, with an ETag and a Last-Modified, answering 304 to either (feed_farm.Farm);
3. **cold**: ``aggregator build --date END`` on a copy of that state, no site yet: every
   feed answers 200 (the state holds no validators), nothing is new, the topic model is
   fitted and every page is written (``--retired``: on a state whose texts past the
   window were retired first, as a site of that age, or its restored export, has them);
4. **next day**: the farm now has one new post on each of 100 blogs (new ETags; the others
   answer 304), and ``aggregator build --date END+1`` runs on what the cold build left;
5. after each build, ``aggregator state export`` of its state.

Each build runs in a fresh process (benchmarks/timed_build.py: the real command with its
stages timed). Reported: wall, CPU (children included), the peak memory of the whole
process tree (tree_memory.py: PSS, and the build process's own high-water mark), the
export's size and time, the site's size and file count, and the stages that took the
time. Targets (issue 14) are checked at the end. A benchmark: run it on a quiet machine
(check ``uptime``), never beside another heavy job.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING

import history_corpus as corpus
import tree_memory
from feed_farm import Farm, FeedSpec, farm_stats

if TYPE_CHECKING:
    from aggregator.models import TextWindow

END = date(2026, 11, 19)  # the history's last day: the cold build's --date
PORT = 8767  # not feed_farm's, so both farms can be up
BLOGS = 1000
NEW_POSTS = 100
GENERATOR = 2  # bump when history_corpus changes what it makes: cached states are redone
CHUNK = corpus.FEED_ENTRIES  # posts read per parse while writing the history

# -- the farm -------------------------------------------------------------------------------


def serve(posts: int, day: int, latency: float) -> None:
    """Serve every blog's feed as of ``day`` days after END, until killed."""
    import asyncio

    blogs = corpus.make_blogs(posts, blogs=BLOGS, end=END, port=PORT)
    new = corpus.new_posters(blogs, NEW_POSTS)
    bodies, modified = {}, {}
    for blog in blogs:
        bodies[blog.index], modified[blog.index] = corpus.feed_body(blog, day, END, new)
    specs = [FeedSpec(b.index, b.host, "ok", PORT) for b in blogs]
    asyncio.run(Farm(specs, latency, 0, bodies=bodies, modified=modified,
                     hosts=corpus.HOSTS, port=PORT).serve())


def start_farm(posts: int, day: int, latency: float) -> subprocess.Popen[bytes]:
    farm = subprocess.Popen([sys.executable, __file__, "serve", "--posts", str(posts),
                             "--day", str(day), "--latency", str(latency)],
                            stdout=subprocess.DEVNULL)
    for _ in range(1200):
        try:
            farm_stats(reset=True, port=PORT)
            return farm
        except Exception:  # noqa: BLE001 - not listening yet
            if farm.poll() is not None:
                raise SystemExit("the farm exited") from None
            time.sleep(0.1)
    farm.kill()
    raise SystemExit("the farm did not start")


def stop_farm(farm: subprocess.Popen[bytes]) -> None:
    farm.terminate()
    farm.wait()


# -- the history, written into a state ------------------------------------------------------


def feeds_yaml(posts: int) -> str:
    blogs = corpus.make_blogs(posts, blogs=BLOGS, end=END, port=PORT)
    return "feeds:\n" + "".join(f"  - url: {b.url}\n    language: en\n" for b in blogs)


def _chunk_job(args: tuple[int, int, int]) -> tuple[str, datetime, object]:
    """Parse posts ``start``... of blog ``index`` as one feed (runs in a pool worker)."""
    from aggregator.parse import parse_feed

    posts, index, start = args
    blog = _blogs(posts)[index]
    dates = blog.dates[start:start + CHUNK]
    fetched = min(dates[-1] + timedelta(hours=1),
                  datetime.combine(END, dtime(21), UTC))
    items = [corpus.item_xml(blog, start + n, when) for n, when in enumerate(dates)][::-1]
    parsed = parse_feed(corpus.feed_xml(blog, items), feed_url=blog.url, now=fetched,
                        language="en")
    return blog.url, fetched, parsed


_BLOGS: dict[int, list[corpus.Blog]] = {}


def _blogs(posts: int) -> list[corpus.Blog]:
    if posts not in _BLOGS:
        _BLOGS[posts] = corpus.make_blogs(posts, blogs=BLOGS, end=END, port=PORT)
    return _BLOGS[posts]


def write_history(posts: int, path: Path, feeds_path: Path) -> None:
    """Write a state holding ``posts`` posts of history, as years of builds would leave it."""
    from aggregator.config import load_config
    from aggregator.store import Store

    started = time.perf_counter()
    feeds = load_config(str(feeds_path)).feeds
    jobs = [(posts, b.index, start) for b in _blogs(posts)
            for start in range(0, len(b.dates), CHUNK)]
    jobs.sort(key=lambda j: _blogs(posts)[j[1]].dates[j[2]])  # in the order they were posted
    tmp = path.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    with Store(tmp) as store, multiprocessing.get_context("spawn").Pool(
            os.cpu_count() or 1) as pool:
        store.sync_feeds(feeds, datetime.combine(END - timedelta(days=365 * 5), dtime(), UTC))
        for done, (url, fetched, parsed) in enumerate(pool.imap(_chunk_job, jobs, 16)):
            store.record_success(url, now=fetched, status=200, etag=None, last_modified=None,
                                 title=parsed.title, site=parsed.site,  # type: ignore[attr-defined]
                                 description=parsed.description,  # type: ignore[attr-defined]
                                 posts=parsed.posts)  # type: ignore[attr-defined]
            if done % 2000 == 0:
                print(f"  history: {done}/{len(jobs)} feeds read", file=sys.stderr)
        count = store.post_count()
        store.leave_wal()
    tmp.replace(path)
    print(f"  history: {count} posts written in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)


def stamp_clean_version(path: Path) -> None:
    """Say which cleaning made the stored topic texts, as the builds that stored them did.

    Until schema 5 a build kept that in the meta table (``topic_text_version``), set by
    the first build; a state written straight through the Store API lacks it, and the
    next build would clean every text again. Later schemas keep it per text.
    """
    import sqlite3

    from aggregator.textclean import CLEAN_VERSION

    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if "meta" in tables and "derived_texts" not in tables and "topic_texts" not in tables:
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                       ("topic_text_version", CLEAN_VERSION))
    # closed: the build opens it next


def retire_history(path: Path, window: TextWindow | None = None) -> int:
    """Retire the texts past the window, as the daily builds of that history would have.

    A build keeps a post's text and excerpts only while the topic model or the diamonds
    may read them (Store.retire_texts, after each build); the history is written without
    any build, so every post still has them until the cold build retires 86% of them at
    300,000. With ``--retired`` the cold build reads the state a site of that age has
    (or restores from its export): return how many posts were retired.
    """
    from aggregator.store import Store
    from aggregator.topiccache import text_window

    with Store(path) as store:
        return store.retire_texts(window or text_window(), datetime.combine(END, dtime(21), UTC))


# -- measuring ------------------------------------------------------------------------------


def run_measured(command: list[str], log: Path, samples: Path) -> dict[str, float]:
    """Run ``command`` in a fresh process; return wall, CPU (children too) and memory.

    Every sample of the tree's memory goes to ``samples`` (seconds, then the build's,
    the parse workers' and the others' PSS in MB, tab-separated): set beside the stages'
    starts and ends in the timings, they say which stage and process a peak was in.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("w") as err:
        mem = tree_memory.run(command, stderr=err)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    samples.write_text("".join("\t".join(f"{v:.1f}" for v in row) + "\n"
                               for row in mem.timeline))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"exit": mem.code, "wall_s": mem.wall, "cpu_s": cpu, "peak_mb": mem.peak_mb,
            "build_hwm_mb": mem.build_hwm_mb, "workers_mb": mem.workers_peak_mb,
            "peak_at_s": mem.at, "split": {k: round(v) for k, v in mem.split_mb.items()}}


def tree_size(root: Path) -> tuple[int, int]:
    """Return the bytes and the number of files under ``root``."""
    size = files = 0
    for folder, _, names in os.walk(root):
        for name in names:
            size += os.lstat(os.path.join(folder, name)).st_size
            files += 1
    return size, files


def written_since(root: Path, since_ns: int) -> tuple[int, int, dict[str, int]]:
    """Return the bytes and files under ``root`` written at or after ``since_ns``, and
    the files of each top folder among them.

    A page a build leaves unchanged keeps its mtime (it is the previous site's file,
    linked), so on a next day this is what the build wrote: what a deploy uploads.
    """
    size = files = 0
    parts: dict[str, int] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            stat = os.lstat(os.path.join(folder, name))
            if stat.st_mtime_ns >= since_ns:
                size += stat.st_size
                files += 1
                top = Path(folder).relative_to(root).parts[:1]
                parts[top[0] if top else "."] = parts.get(top[0] if top else ".", 0) + 1
    return size, files, dict(sorted(parts.items()))


def stages(path: Path) -> dict[str, tuple[int, float, float]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: (int(v[0]), round(v[1], 1), round(v[2], 1)) for k, v in data.items()}


def bench(posts: int, args: argparse.Namespace) -> list[dict[str, object]]:
    """Measure the cold and the next-day build over ``posts`` posts of history."""
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    seeded = cache / f"history-{posts}-g{GENERATOR}.db"
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="history-", dir=args.work) as tmp:
        work = Path(tmp)
        feeds = work / "feeds.yaml"
        feeds.write_text(feeds_yaml(posts))
        if not seeded.exists():
            write_history(posts, seeded, feeds)
        state = work / "state.db"
        shutil.copyfile(seeded, state)
        stamp_clean_version(state)
        retired = retire_history(state) if args.retired else 0
        for day, label in ((0, "cold"), (1, "next day")):
            farm = start_farm(posts, day, args.latency)
            try:
                when = END + timedelta(days=day)
                timings = work / f"timings-{day}.json"
                command = [sys.executable, str(Path(__file__).with_name("timed_build.py")),
                           str(timings), "build", "--feeds", str(feeds), "--out",
                           str(work / "site"), "--state", str(state), "--date",
                           when.isoformat(), "--allow-private-hosts", "--min-interval", "0"]
                load = os.getloadavg()[0]
                since_ns = time.time_ns()
                measured = run_measured(command, work / f"build-{day}.log",
                                        work / f"memory-{day}.tsv")
                served = farm_stats(port=PORT)
            finally:
                stop_farm(farm)
            export = work / f"state-{day}.sqlite.gz"
            started = time.perf_counter()
            code = subprocess.run([sys.executable, "-m", "aggregator", "state", "export",
                                   "--state", str(state), str(export)],
                                  stdout=subprocess.DEVNULL).returncode
            export_s = time.perf_counter() - started
            site_bytes, site_files = tree_size(work / "site")
            written_bytes, written_files, written_parts = written_since(work / "site", since_ns)
            report = _build_json(work / "site")
            row = {"posts": posts, "build": label, "load": round(load, 1),
                   "retired_before": retired if day == 0 else None, **measured,
                   "200s": served.get("200", 0), "304s": served.get("304", 0),
                   "new_posts": report.get("new_posts"), "stored": report.get("total_posts"),
                   "failed": report.get("failed"),
                   "export_mb": export.stat().st_size / 1e6 if code == 0 else None,
                   "export_s": export_s, "site_mb": site_bytes / 1e6, "site_files": site_files,
                   "written_mb": written_bytes / 1e6, "written_files": written_files,
                   "written_parts": written_parts,
                   "build_json_mb": _size(work / "site/data/build.json") / 1e6,
                   "site_parts_mb": {p.name: round(tree_size(p)[0] / 1e6, 1)
                                     for p in sorted((work / "site").iterdir()) if p.is_dir()},
                   "stages": stages(timings)}
            if measured["exit"] != 0:
                row["log"] = (work / f"build-{day}.log").read_text()[-2000:]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            if args.keep:
                keep = Path(args.keep) / f"{posts}-{day}"
                shutil.rmtree(keep, ignore_errors=True)
                shutil.copytree(work, keep, ignore=shutil.ignore_patterns("site"))
    return rows


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _build_json(site: Path) -> dict[str, object]:
    """Return the counts build.json gives (new and stored posts), if it says them."""
    try:
        data = json.loads((site / "data/build.json").read_text())
    except (OSError, ValueError):
        return {}
    summary = data.get("summary", {})
    return {"new_posts": summary.get("new_posts"), "total_posts": summary.get("posts"),
            "failed": summary.get("feeds_failed")}


# -- the report -----------------------------------------------------------------------------

COLUMNS = ("posts", "build", "wall_s", "cpu_s", "peak_mb", "build_hwm_mb", "export_mb",
           "export_s", "site_mb", "site_files", "build_json_mb", "200s", "304s", "new_posts",
           "stored", "failed", "load", "exit")


def table(rows: list[dict[str, object]]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}"
        if isinstance(value, int):
            return f"{value:,}"
        return "" if value is None else str(value)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(r.get(k)) for k in COLUMNS) + " |" for r in rows]
    for r in rows:
        parts = ", ".join(f"{k} {v[1]:g} s ({v[2]:g} CPU)" for k, v in
                          sorted(r["stages"].items(), key=lambda kv: -kv[1][1])  # type: ignore[union-attr]
                          if v[1] >= 0.5)
        retired = f" (texts retired before it: {r['retired_before']:,})" \
            if r.get("retired_before") else ""
        lines.append(f"\n{r['posts']:,} {r['build']}{retired}: {parts}; peak split "
                     f"{r.get('split')} at {r.get('peak_at_s', 0):.0f} s; site folders (MB) "
                     f"{r.get('site_parts_mb')}; written {r.get('written_files')} files "
                     f"({float(r.get('written_mb') or 0):.1f} MB) {r.get('written_parts')}")
    return "\n".join(lines)


def targets(rows: list[dict[str, object]]) -> str:
    """Return the issue's targets, each met or missed, for the sizes that were run."""
    by = {(r["posts"], r["build"]): r for r in rows}
    out = []

    def say(text: str, ok: bool) -> None:
        out.append(f"{text}: {'met' if ok else 'MISSED'}")

    base = by.get((20_000, "next day"))
    for size, factor in ((100_000, 1.5), (300_000, 2.0)):
        row = by.get((size, "next day"))
        if base and row:
            ratio = float(row["wall_s"]) / float(base["wall_s"])  # type: ignore[arg-type]
            say(f"next day at {size:,} within {factor}x of 20,000 ({ratio:.2f}x)",
                ratio <= factor)
    for r in rows:
        say(f"peak < 500 MB at {r['posts']:,} {r['build']} ({r['peak_mb']:.0f} MB)",
            float(r["peak_mb"]) < 500)  # type: ignore[arg-type]
    for build in ("cold", "next day"):
        if (r := by.get((100_000, build))) is not None:
            say(f"export <= 40 MB at 100,000 {build} ({r['export_mb']:.1f} MB)",
                r["export_mb"] is not None and float(r["export_mb"]) <= 40)  # type: ignore[arg-type]
            say(f"site <= 150 MB at 100,000 {build} ({r['site_mb']:.0f} MB)",
                float(r["site_mb"]) <= 150)  # type: ignore[arg-type]
        if (r := by.get((300_000, build))) is not None:
            total = float(r["site_mb"]) + float(r["export_mb"] or 0)  # type: ignore[arg-type]
            say(f"site + export <= 500 MB at 300,000 {build} ({total:.0f} MB)", total <= 500)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=("bench", "serve", "report"))
    parser.add_argument("rows", nargs="?",
                        help="report: a file of the JSON rows a run printed on stderr")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 300_000],
                        help="posts of history (default: 20,000 100,000 300,000)")
    parser.add_argument("--posts", type=int, default=2000, help="serve: posts of history")
    parser.add_argument("--day", type=int, default=0, help="serve: days after the history")
    parser.add_argument("--latency", type=float, default=0.05,
                        help="seconds each answer waits (default 0.05)")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "history-cache"),
                        help="where written histories are kept between runs")
    parser.add_argument("--work", default=None, help="where each size's run is made")
    parser.add_argument("--retired", action="store_true",
                        help="retire the written history's texts past the window before the "
                             "cold build, as daily builds would have")
    parser.add_argument("--keep", default=None,
                        help="copy each run's state, logs and timings here (not the site)")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.posts, args.day, args.latency)
        return
    if args.mode == "report":  # the table again, e.g. of a run stopped part way
        lines = Path(args.rows).read_text().splitlines()
        done = [json.loads(line) for line in lines if line.startswith("{")]
        print(table(done))
        print(targets(done))
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=Path(__file__).parent).stdout.strip()
    print(f"commit {commit}; load before: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}",
          file=sys.stderr)
    rows: list[dict[str, object]] = []
    for posts in args.sizes:
        rows += bench(posts, args)
    print(f"commit {commit}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(table(rows))
    print(targets(rows))


if __name__ == "__main__":
    main()
