"""Benchmark ``aggregator build`` against a local farm of generated feeds (run by hand).

    .venv/bin/python benchmarks/feed_farm.py                  # N=200 and N=1000, full table
    .venv/bin/python benchmarks/feed_farm.py --feeds 200      # one size
    .venv/bin/python benchmarks/feed_farm.py serve --feeds 50 # only the farm, for poking at
    .venv/bin/python benchmarks/feed_farm.py --feeds 10000 --hosts 40 --entry-bytes 3000 \
        --runs build                                          # 10,000 blogs: builds only

One process (the farm) serves N generated feeds of 20 entries (~140 KB each) on loopback,
spread over several addresses (127.0.0.2, 127.0.0.3, ...) so per-host limits behave as on
the real web. Every answer waits ``--latency`` first; feeds carry an ETag and a
Last-Modified and answer 304 to either. A share of the feeds (``--faulty``) misbehave, in
turn: a slow trickle past the deadline, 404, 500, 429 (Retry-After: 3600), malformed XML,
a huge body, a redirect loop, a 301 to a new address, and gzip. The last two are healthy.

For each N it measures, each in a fresh process so the numbers are its own:

* ``aggregator build`` cold (empty state) and warm (the same state, ``--min-interval 0``),
  the whole build: fetch, parse, store, topics, render;
* a naive baseline: httpx.AsyncClient with 100 connections, feedparser inline, no state.

Reported: wall time, CPU time (user+system of the process and its children), peak memory
(ru_maxrss of the largest single process, and the peaks of the whole process tree's RSS
and PSS sampled from /proc), how many 304s the farm served, and checks: every healthy feed's
posts stored, every 404/500/timeout feed reported failed. Timings belong here, never in
the test suite. Run it on a quiet machine (check ``uptime``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import json
import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

FAULTS = ("trickle", "404", "500", "429", "malformed", "huge", "loop", "301", "gzip")
HEALTHY = frozenset({"ok", "301", "gzip"})
MUST_FAIL = frozenset({"trickle", "404", "500"})  # the "every 404/500/timeout"
HOSTS = 20  # loopback addresses the feeds are spread over
PORT = 8765
LAST_MODIFIED = "Mon, 16 Nov 2026 08:00:00 GMT"

SUBJECTS = {
    "reading": "phonics decoding fluency comprehension vocabulary novels library readers "
               "picture books guided reading inference",
    "maths": "fractions algebra geometry number sense times tables reasoning problem solving "
             "arithmetic bar models equations",
    "science": "experiments hypothesis plants forces electricity microscopes ecosystems "
               "investigation evidence chemistry",
    "wellbeing": "anxiety wellbeing mindfulness pastoral attendance behaviour relationships "
                 "belonging resilience counselling",
    "edtech": "laptops coding programming spreadsheets online platforms devices digital "
              "literacy algorithms robots",
    "assessment": "marking feedback rubrics exams grades moderation formative summative "
                  "tests data tracking",
}
COMMON = ("the a of and to in our we pupils students class lesson teachers school year week "
          "this that with for learning teaching children were they it on about how what "
          "then").split()


# -- the farm -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedSpec:
    """One feed of the farm: where it lives and how it behaves."""

    index: int
    host: str
    kind: str  # "ok" or one of FAULTS
    port: int = PORT

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/feed/{self.index}.xml"


def plan(n: int, faulty: float, seed: int = 7, hosts: int = HOSTS) -> list[FeedSpec]:
    """Return the farm's feeds: ``faulty`` of them misbehave, the kinds taken in turn."""
    rng = random.Random(seed)
    bad = set(rng.sample(range(n), round(n * faulty)))
    specs, turn = [], 0
    for i in range(n):
        kind = "ok"
        if i in bad:
            kind, turn = FAULTS[turn % len(FAULTS)], turn + 1
        specs.append(FeedSpec(i, host_address(i, hosts), kind))
    return specs


def host_address(i: int, hosts: int = HOSTS) -> str:
    """Return the loopback address of feed ``i``: 127.0.0.2 to 127.0.0.(hosts + 1)."""
    if not 1 <= hosts <= 250:
        raise ValueError("the farm spreads feeds over 1 to 250 loopback addresses")
    return f"127.0.0.{2 + i % hosts}"


def feed_body(index: int, entries: int = 20, entry_bytes: int = 6800) -> bytes:
    """Return a deterministic RSS feed of ``entries`` posts of about ``entry_bytes`` each."""
    rng = random.Random(index)
    subject = list(SUBJECTS)[index % len(SUBJECTS)]
    words = SUBJECTS[subject].split()
    items = []
    for e in range(entries):
        paragraphs, size = [], 0
        while size < entry_bytes:
            sentence = " ".join(rng.choice(words) if rng.random() < 0.35 else rng.choice(COMMON)
                                for _ in range(rng.randint(8, 20)))
            paragraph = f"<p>{sentence.capitalize()}.</p>"
            paragraphs.append(paragraph)
            size += len(paragraph) + 20  # escaping makes it a little larger
        published = format_datetime(_day(index, e), usegmt=True)
        items.append(
            f"<item><title>{subject.title()} notes {index}-{e}</title>"
            f"<link>https://blog{index}.example/{e}/</link>"
            f'<guid isPermaLink="false">blog{index}-{e}</guid><pubDate>{published}</pubDate>'
            f"<description>{escape(''.join(paragraphs))}</description></item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Blog {index} about {subject}</title>"
            f"<link>https://blog{index}.example/</link><description>A farm blog</description>"
            + "".join(items) + "</channel></rss>").encode()


def generated_bodies(indexes: list[int], entry_bytes: int) -> dict[int, bytes]:
    """Return feed_body of each index, kept on disk between runs (10,000 take minutes)."""
    if not indexes:
        return {}
    import pickle
    cache = Path(tempfile.gettempdir()) / "feed-farm-cache" / (
        f"bodies-{len(indexes)}-{max(indexes)}-{entry_bytes}-v1.pickle")
    try:
        with cache.open("rb") as f:
            bodies: dict[int, bytes] = pickle.load(f)
        if set(bodies) == set(indexes):
            return bodies
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    bodies = {i: feed_body(i, entry_bytes=entry_bytes) for i in indexes}
    cache.parent.mkdir(exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}")
    with partial.open("wb") as f:
        pickle.dump(bodies, f)
    partial.replace(cache)
    return bodies


def _day(index: int, entry: int):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta
    return datetime(2026, 11, 20, 8, tzinfo=UTC) - timedelta(days=entry * 2 + index % 3,
                                                              minutes=index)


class Farm:
    """An asyncio HTTP/1.1 server answering for every feed of the plan.

    ``bodies`` and ``modified`` (by feed index) replace the generated feeds and the
    common Last-Modified (history.py serves its own); ``entry_bytes`` sizes the
    generated ones. The farm listens on the plan's ``hosts`` addresses at ``port``.
    """

    def __init__(self, specs: list[FeedSpec], latency: float, trickle_for: float, *,
                 bodies: dict[int, bytes] | None = None,
                 modified: dict[int, str] | None = None, entry_bytes: int = 6800,
                 hosts: int = HOSTS, port: int = PORT) -> None:
        self.specs = {s.index: s for s in specs}
        self.latency = latency
        self.trickle_for = trickle_for
        self.hosts, self.port = hosts, port
        self.bodies: dict[int, bytes] = dict(bodies or {})
        self.modified = modified or {}
        self.gzipped: dict[int, bytes] = {}
        wanted = [s.index for s in specs if (s.kind in HEALTHY or s.kind == "trickle")
                  and s.index not in self.bodies]
        self.bodies.update(generated_bodies(wanted, entry_bytes))
        for s in specs:
            if s.kind == "gzip":
                self.gzipped[s.index] = gzip.compress(self.bodies[s.index], 6)
        self.etags = {i: '"' + hashlib.sha1(b).hexdigest()[:16] + '"'
                      for i, b in self.bodies.items()}
        self.stats: dict[str, int] = {}

    async def serve(self) -> None:
        servers = [await asyncio.start_server(self.connection, f"127.0.0.{2 + h}", self.port,
                                              backlog=4096) for h in range(self.hosts)]
        print("ready", flush=True)
        await asyncio.gather(*(s.serve_forever() for s in servers))

    async def connection(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in lines[1:] if line)}
                if not await self.answer(path, headers, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    def count(self, key: str) -> None:
        self.stats[key] = self.stats.get(key, 0) + 1

    async def answer(self, path: str, headers: dict[str, str],
                     writer: asyncio.StreamWriter) -> bool:
        """Write the answer for ``path``; return whether the connection may be reused."""
        if path.startswith("/_stats"):
            body = json.dumps(self.stats).encode()
            if "reset" in path:
                self.stats = {}
            return await self.send(writer, 200, body, {"Content-Type": "application/json"})
        await asyncio.sleep(self.latency)
        parts = path.strip("/").split("/")
        try:
            index = int(parts[1].split(".")[0])
            spec = self.specs[index]
        except (IndexError, ValueError, KeyError):
            return await self.send(writer, 404, b"")
        kind = spec.kind
        if parts[0] == "loop":
            other = "b" if parts[2] == "a" else "a"
            return await self.send(writer, 302, b"", {"Location": f"/loop/{index}/{other}"})
        if parts[0] == "feed" and kind == "loop":
            return await self.send(writer, 302, b"", {"Location": f"/loop/{index}/a"})
        if parts[0] == "feed" and kind == "301":
            self.count("301")
            return await self.send(writer, 301, b"", {"Location": f"/moved/{index}.xml"})
        if kind == "404":
            return await self.send(writer, 404, b"not here")
        if kind == "500":
            self.count("500")
            return await self.send(writer, 500, b"oops")
        if kind == "429":
            return await self.send(writer, 429, b"slow down", {"Retry-After": "3600"})
        if kind == "malformed":
            return await self.send(writer, 200, b'<?xml version="1.0"?>\n<rss><channel>\x00'
                                   b"<<< not &&& a feed", {"Content-Type": "application/xml"})
        if kind == "huge":
            return await self.huge(writer)
        if kind == "trickle":
            return await self.trickle(writer, self.bodies[index])
        etag = self.etags[index]
        modified = self.modified.get(index, LAST_MODIFIED)
        if (headers.get("if-none-match") == etag
                or headers.get("if-modified-since") == modified):
            self.count("304")
            return await self.send(writer, 304, b"", {"ETag": etag})
        self.count("200")
        extra = {"ETag": etag, "Last-Modified": modified,
                 "Content-Type": "application/rss+xml; charset=utf-8"}
        body = self.bodies[index]
        if kind == "gzip" and "gzip" in headers.get("accept-encoding", ""):
            body, extra["Content-Encoding"] = self.gzipped[index], "gzip"
        return await self.send(writer, 200, body, extra)

    async def send(self, writer: asyncio.StreamWriter, status: int, body: bytes,
                   headers: dict[str, str] | None = None) -> bool:
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        return True

    async def trickle(self, writer: asyncio.StreamWriter, body: bytes) -> bool:
        """Send one byte a second: every read is quick, only a total deadline stops it."""
        self.count("trickle")
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
                     "Content-Type: application/rss+xml\r\n\r\n".encode())
        ends = time.monotonic() + self.trickle_for
        for i in range(len(body)):
            if time.monotonic() > ends:
                break
            writer.write(body[i:i + 1])
            await writer.drain()
            await asyncio.sleep(1.0)
        return False

    async def huge(self, writer: asyncio.StreamWriter) -> bool:
        """Send 8 MB with no Content-Length, so only a streamed cap can stop it."""
        self.count("huge")
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
                     b"Content-Type: application/rss+xml\r\n\r\n<rss>")
        chunk = b"<item><title>x</title></item>" * 2000
        for _ in range(8 * 1024 * 1024 // len(chunk)):
            writer.write(chunk)
            await writer.drain()
        return False


def run_farm(specs: list[FeedSpec], latency: float, trickle_for: float,
             entry_bytes: int = 6800, hosts: int = HOSTS) -> None:
    """Serve the farm until killed (the body of the farm process)."""
    asyncio.run(Farm(specs, latency, trickle_for, entry_bytes=entry_bytes,
                     hosts=hosts).serve())


def farm_stats(reset: bool = False, port: int = PORT) -> dict[str, int]:
    import httpx
    url = f"http://127.0.0.2:{port}/_stats" + ("?reset=1" if reset else "")
    return dict(httpx.get(url, timeout=10).json())


# -- measuring ------------------------------------------------------------------------------

@dataclass
class Measure:
    wall: float
    cpu: float
    maxrss_mb: float  # the largest single process
    tree_mb: float  # peak of the whole process tree's RSS, sampled
    code: int
    pss_mb: float = 0.0  # peak of the tree's PSS (tree_memory.py: shared pages counted once)


def measure(command: list[str]) -> Measure:
    """Run ``command`` in a fresh wrapper process and return its own resource use."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "wall = time.perf_counter() - t\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([wall, r.ru_utime + r.ru_stime, r.ru_maxrss / 1024, code]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", wrapper, *command],
                            stdout=subprocess.PIPE, text=True)
    peak = [0, 0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(proc.pid, peak, done), daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    wall, cpu, maxrss, code = json.loads(out.strip().splitlines()[-1])
    return Measure(wall, cpu, maxrss, peak[0] / 1024, code, pss_mb=peak[1] / 1024)


def _sample_tree(root: int, peak: list[int], done: threading.Event) -> None:
    """Record the peaks of the summed RSS and PSS (kB) of ``root``'s descendants.

    ``root`` (the measuring wrapper) is left out. For PSS, as in tree_memory.py, so is a
    child forked by the build but not yet exec'd: its pages are the build's.
    """
    from tree_memory import _cmdline, _pss_mb  # a sibling script, which imports this one
    while not done.is_set():
        pids = _descendants(root)
        total = sum(_rss_kb(pid) for pid in pids)
        peak[0] = max(peak[0], total)
        build = _cmdline(pids[0]) if pids else b""
        pss = sum(_pss_mb(pid) for i, pid in enumerate(pids) if i == 0 or _cmdline(pid) != build)
        peak[1] = max(peak[1], int(pss * 1024))
        time.sleep(0.1)


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                found += kids
                todo += kids
        except OSError:
            pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- the naive baseline ---------------------------------------------------------------------

async def naive(urls: list[str]) -> tuple[int, int]:
    """Fetch and parse every feed the simple way; return (feeds with entries, failures)."""
    import feedparser
    import httpx
    ok = failed = 0
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    timeout = httpx.Timeout(10, pool=None)  # queueing for one of the 100 connections is fine
    slots = asyncio.Semaphore(100)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, follow_redirects=True) as client:
        async def one(url: str) -> None:
            nonlocal ok, failed
            try:
                async with slots:  # the 10 s cap (for trickling feeds) starts with the request
                    response = await asyncio.wait_for(client.get(url), 10)
                response.raise_for_status()
                parsed = feedparser.parse(response.content)  # inline: blocks the loop
                ok += bool(parsed.entries)
            except Exception:  # noqa: BLE001 - a baseline: any failure counts as one
                failed += 1
        await asyncio.gather(*(one(u) for u in urls))
    return ok, failed


# -- fetch, parse and store only ----------------------------------------------------------

def update_only(feeds_path: str, state_path: str, deadline: float) -> None:
    """Run only the build's fetch | parse | store stage; write the outcomes next to the state."""
    from datetime import timedelta

    from aggregator.build import build_clock, update_feeds
    from aggregator.config import load_config
    from aggregator.fetch import FetchOptions
    from aggregator.store import Store

    config = load_config(feeds_path)
    now = build_clock(None)
    options = FetchOptions(allow_private_hosts=True, min_interval=timedelta(0),
                           deadline=deadline)
    with Store(state_path) as store:
        first = not store.has_posts()
        states = store.sync_feeds(config.feeds, now)
        reports = asyncio.run(update_feeds(config.feeds, states, store, now=now,
                                           options=options, first_build=first))
    Path(state_path + ".json").write_text(json.dumps({r.url: r.outcome for r in reports}))


# -- the benchmark --------------------------------------------------------------------------

@contextlib.contextmanager
def _work_dir(keep: str | None) -> Iterator[Path]:
    """Yield the folder of a run's feeds.yaml, state and site: ``keep``, or a temporary one.

    A kept folder lets ``--runs build-warm`` measure the warm build again, on a later
    commit, without the cold build of 10,000 blogs (17 minutes) before it.
    """
    if keep is not None:
        Path(keep).mkdir(parents=True, exist_ok=True)
        yield Path(keep)
        return
    with tempfile.TemporaryDirectory(prefix="feed-farm-") as tmp:
        yield Path(tmp)


def bench(n: int, args: argparse.Namespace) -> list[dict[str, object]]:
    specs = plan(n, args.faulty, hosts=args.hosts)
    farm = multiprocessing.get_context("spawn").Process(
        target=run_farm, args=(specs, args.latency, args.deadline * 4, args.entry_bytes,
                               args.hosts), daemon=True)
    farm.start()
    _wait_ready()
    runs = set(args.runs.split(","))
    rows = []
    try:
        with _work_dir(args.work) as work:
            (work / "feeds.yaml").write_text(
                "feeds:\n" + "".join(f"  - url: {s.url}\n" for s in specs))
            (work / "urls.json").write_text(json.dumps([s.url for s in specs]))
            build = [sys.executable, "-m", "aggregator", "build", "--feeds",
                     str(work / "feeds.yaml"), "--out", str(work / "site"), "--state",
                     str(work / "state.db"), "--allow-private-hosts", "--min-interval", "0",
                     "--deadline", str(args.deadline)]
            update = [sys.executable, __file__, "update", str(work / "feeds.yaml"),
                      "--state", str(work / "update.db"), "--deadline", str(args.deadline)]
            for label in ("cold", "warm") if "update" in runs else ():
                farm_stats(reset=True)
                since = time.time()
                m = measure(update)
                rows.append(_row(f"fetch+parse+store {label}", n, m, farm_stats(),
                                 check(work / "update.db.json", work / "update.db", specs,
                                       since=since)))
                print(table(rows[-1:]), file=sys.stderr)
            if "warm-update" in runs:  # the fetch at N with every feed unchanged, no cold run
                seed_validators(work / "update.db", work / "feeds.yaml", specs,
                                args.entry_bytes)
                farm_stats(reset=True)
                since = time.time()
                m = measure(update)
                rows.append(_row("fetch+parse+store warm, validators written", n, m,
                                 farm_stats(), _unchanged(work / "update.db.json", specs,
                                                          since=since)))
                print(table(rows[-1:]), file=sys.stderr)
            builds = ("cold", "warm") if "build" in runs else ()
            if "build-warm" in runs:  # again on the state and site --work kept
                builds = ("warm",)
            for label in builds:
                farm_stats(reset=True)
                since = time.time()
                m = measure(build)
                stats = farm_stats()
                rows.append(_row(f"build {label}", n, m, stats,
                                 check(work / "site" / "data" / "build.json",
                                       work / "state.db", specs, since=since)))
                print(table(rows[-1:]), file=sys.stderr)
            if "naive" in runs:
                farm_stats(reset=True)
                m = measure([sys.executable, __file__, "naive", str(work / "urls.json")])
                rows.append(_row("naive baseline", n, m, farm_stats(), ""))
    finally:
        farm.terminate()
        farm.join()
    return rows


def seed_validators(state: Path, feeds_path: Path, specs: list[FeedSpec],
                    entry_bytes: int) -> None:
    """Write a state in which every healthy feed has the farm's ETag, as a cold run leaves it.

    A cold run at 10,000 feeds takes an hour on a busy 2-core machine (parsing); this
    measures the warm fetch on its own. The state holds no posts.
    """
    from datetime import UTC, datetime

    from aggregator.config import load_config
    from aggregator.store import Store

    bodies = generated_bodies([s.index for s in specs
                               if s.kind in HEALTHY or s.kind == "trickle"], entry_bytes)
    now = datetime.now(UTC)
    with Store(state) as store:
        store.sync_feeds(load_config(str(feeds_path)).feeds, now)
        for s in specs:
            if s.kind in HEALTHY:
                etag = '"' + hashlib.sha1(bodies[s.index]).hexdigest()[:16] + '"'
                store.record_success(s.url, now=now, status=200, etag=etag,
                                     last_modified=LAST_MODIFIED)


def _unchanged(outcomes: Path, specs: list[FeedSpec], *, since: float) -> str:
    if not outcomes.exists() or outcomes.stat().st_mtime < since:
        return "FAILED: no outcomes written (see the run's stderr)"
    outcome = json.loads(outcomes.read_text())
    healthy = [s for s in specs if s.kind in HEALTHY]
    unchanged = sum(1 for s in healthy if outcome[s.url] == "not_modified")
    failed = sum(1 for s in specs if s.kind in MUST_FAIL and outcome[s.url] == "failed")
    return (f"healthy unchanged {unchanged}/{len(healthy)}; 404/500/timeout failed "
            f"{failed}/{sum(1 for s in specs if s.kind in MUST_FAIL)}")


def _wait_ready() -> None:
    for _ in range(6000):  # generating 10,000 feeds the first time takes minutes
        try:
            farm_stats(reset=True)
            return
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.1)
    raise SystemExit("the farm did not start")


def check(outcomes: Path, state: Path, specs: list[FeedSpec], *, since: float) -> str:
    """Return the correctness checks of a run, as a short text.

    ``outcomes`` is build.json, or the {url: outcome} file the update-only mode writes;
    it must have been written after ``since`` (a time.time()), so a failed run cannot
    pass on an earlier run's file. (It is not deleted: a warm build reads the previous
    build.json to know whether its pages changed.)
    """
    if not outcomes.exists() or outcomes.stat().st_mtime < since:
        return "FAILED: no outcomes written (see the run's stderr)"
    data = json.loads(outcomes.read_text())
    outcome = ({f["url"]: f["outcome"] for f in data["feeds"]} if "feeds" in data else data)
    with sqlite3.connect(state) as db:
        posts = dict(db.execute("SELECT feed_url, count(*) FROM posts GROUP BY feed_url"))
    healthy = [s for s in specs if s.kind in HEALTHY]
    stored = sum(1 for s in healthy if posts.get(s.url) == 20
                 and outcome[s.url] in ("ok", "not_modified"))
    must_fail = [s for s in specs if s.kind in MUST_FAIL]
    failed = sum(1 for s in must_fail if outcome[s.url] == "failed")
    all_failed = sum(1 for s in specs if outcome[s.url] == "failed")
    return (f"healthy stored {stored}/{len(healthy)}; 404/500/timeout failed "
            f"{failed}/{len(must_fail)}; failed in all {all_failed}")


def _row(name: str, n: int, m: Measure, stats: dict[str, int], checks: str
         ) -> dict[str, object]:
    return {"run": name, "N": n, "wall_s": round(m.wall, 1), "cpu_s": round(m.cpu, 1),
            "max_rss_mb": round(m.maxrss_mb), "tree_peak_mb": round(m.tree_mb),
            "tree_pss_mb": round(m.pss_mb),
            "200s": stats.get("200", 0), "304s": stats.get("304", 0), "exit": m.code,
            "checks": checks}


def table(rows: list[dict[str, object]]) -> str:
    keys = ["run", "N", "wall_s", "cpu_s", "max_rss_mb", "tree_peak_mb", "tree_pss_mb",
            "200s", "304s",
            "exit", "checks"]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="bench",
                        choices=("bench", "serve", "naive", "update"))
    parser.add_argument("path", nargs="?",
                        help="naive: a JSON file of feed URLs; update: a feeds.yaml")
    parser.add_argument("--state", help="update: the state file")
    parser.add_argument("--feeds", type=int, action="append",
                        help="N (repeatable; default: 200 and 1000)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds (default 0.1)")
    parser.add_argument("--faulty", type=float, default=0.05, help="share (default 0.05)")
    parser.add_argument("--deadline", type=float, default=10.0,
                        help="the build's --deadline in seconds (default 10)")
    parser.add_argument("--hosts", type=int, default=HOSTS,
                        help=f"loopback addresses the feeds are spread over (default {HOSTS})")
    parser.add_argument("--entry-bytes", type=int, default=6800,
                        help="about how large each of a feed's 20 entries is (default 6800)")
    parser.add_argument("--runs", default="update,build,naive",
                        help="which rows: update, build, naive, warm-update (a warm fetch on "
                             "validators written straight into the state), build-warm (the "
                             "warm build alone, on what --work kept), comma-separated "
                             "(default update,build,naive)")
    parser.add_argument("--work", help="keep the feeds.yaml, state and site of the builds in "
                                       "this folder (default: a temporary one)")
    args = parser.parse_args()
    if args.mode == "naive":
        ok, failed = asyncio.run(naive(json.loads(Path(args.path).read_text())))
        print(f"naive: {ok} feeds with entries, {failed} failed")
        return
    if args.mode == "update":
        update_only(args.path, args.state, args.deadline)
        return
    if args.mode == "serve":
        specs = plan((args.feeds or [50])[0], args.faulty, hosts=args.hosts)
        for s in specs[:20]:
            print(s.kind, s.url)
        run_farm(specs, args.latency, args.deadline * 4, args.entry_bytes, args.hosts)
        return
    print(f"load before: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}", file=sys.stderr)
    rows = []
    for n in args.feeds or [200, 1000]:
        rows += bench(n, args)
        print(table(rows), file=sys.stderr)
    print(table(rows))


if __name__ == "__main__":
    main()
