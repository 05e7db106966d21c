"""The CPU cost of reading one feed: ``parse.parse_feed`` in one process (#14, run by hand).

    .venv/bin/python -m benchmarks.parse_cost                       # 40 farm feeds + real ones
    .venv/bin/python -m benchmarks.parse_cost --feeds 100 --entry-bytes 3000
    .venv/bin/python -m benchmarks.parse_cost --profile             # and cProfile's top 25
    .venv/bin/python -m benchmarks.parse_cost --code /tmp/old        # the aggregator/ in /tmp/old

To compare with an older commit: ``git archive COMMIT aggregator | tar -x -C /tmp/old``,
then run both, in turn, on the same machine at the same load.

The farm feeds are feed_farm.py's (20 entries of ``--entry-bytes``, ~140 KB at the
default 6,800); the real ones are every feed file under ``../shared/corpora/real-feeds``
and the repo's ``tests/data/feeds`` (litter, encodings, malformed XML), skipped when the
shared folder is absent. Each set is parsed ``--rounds`` times after one unmeasured
round (imports, regex caches); the best round is reported, as CPU per feed (process
time: the parse workers' own cost, without the build's other processes). Run on a quiet
machine and say the load (``uptime``): other processes slow every figure here.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feed_farm import feed_body  # noqa: E402 - a sibling script, not a package

REPO = Path(__file__).resolve().parent.parent
REAL_FEEDS = REPO.parent / "shared" / "corpora" / "real-feeds"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def real_bodies() -> list[tuple[str, bytes]]:
    """Return the real feed files (shared corpora and the repo's test feeds), by name."""
    files = sorted(p for p in REAL_FEEDS.rglob("*")
                   if p.is_file() and p.suffix in (".xml", ".rss", ".rdf", ".atom", ".txt")
                   and p.name != "MANIFEST.json")
    files += sorted((REPO / "tests" / "data" / "feeds").rglob("*.xml"))
    return [(str(p), p.read_bytes()) for p in files]


def parse_all(bodies: list[tuple[str, bytes]]) -> int:
    """Parse every body as the workers do; return how many were feeds."""
    from aggregator.errors import ParseError
    from aggregator.parse import parse_feed
    parsed = 0
    for name, body in bodies:
        try:
            parse_feed(body, feed_url=f"https://feeds.example/{Path(name).name}", now=NOW)
            parsed += 1
        except ParseError:
            pass  # a broken response: still costs its read
    return parsed


def best_cpu(run: Callable[[], object], rounds: int) -> float:
    """Return the least process CPU seconds of ``rounds`` runs, after one unmeasured run."""
    run()
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=40, help="farm feeds to parse")
    parser.add_argument("--entry-bytes", type=int, default=6800)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one round of each set")
    parser.add_argument("--code", help="a folder holding another aggregator/ to measure")
    args = parser.parse_args()
    if args.code:
        sys.path.insert(0, args.code)

    farm = [(f"farm-{i}", feed_body(i, entry_bytes=args.entry_bytes)) for i in range(args.feeds)]
    real = real_bodies() if REAL_FEEDS.is_dir() else []
    import aggregator
    print(f"aggregator from {Path(aggregator.__file__).parent}")
    for label, bodies in (("farm", farm), ("real", real)):
        if not bodies:
            print(f"{label}: no feeds (is ../shared there?)")
            continue
        size = sum(len(b) for _, b in bodies) / len(bodies)
        parsed = parse_all(bodies)
        cpu = best_cpu(functools.partial(parse_all, bodies), args.rounds)
        print(f"{label}: {len(bodies)} bodies ({parsed} feeds), mean {size / 1000:.1f} KB, "
              f"best of {args.rounds}: {cpu:.2f} s CPU, {cpu / len(bodies) * 1000:.1f} ms a feed")
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(parse_all, bodies)
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
