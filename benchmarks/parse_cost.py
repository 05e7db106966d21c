"""The CPU cost of reading one feed: ``parse.parse_feed`` in one process (#14, run by hand).

    .venv/bin/python -m benchmarks.parse_cost                       # 40 farm feeds + real ones
    .venv/bin/python -m benchmarks.parse_cost --feeds 200 --entry-bytes 800
    .venv/bin/python -m benchmarks.parse_cost --profile             # and cProfile's top functions
    .venv/bin/python -m benchmarks.parse_cost --against /tmp/old    # and /tmp/old/aggregator's

The farm feeds are feed_farm.py's (20 entries of ``--entry-bytes``: ~140 KB a feed at the
default 6,800, ~20 KB at the 800 of the 10,000-blog runs); the real ones are every feed
file under ``../shared/corpora/real-feeds`` and the repo's ``tests/data/feeds`` (litter,
encodings, malformed XML), skipped when the shared folder is absent. Each set is parsed
``--rounds`` times after one unmeasured round (imports, caches); the best round is
reported, as CPU per feed (process time: a parse worker's own cost).

``--against DIR`` measures another checkout's ``aggregator/`` in the same process, its
rounds and this one's taken in turn, so both see the same machine load: to compare with
an older commit, ``git archive COMMIT aggregator | tar -x -C /tmp/old``. Run on a quiet
machine and say the load (``uptime``): other processes slow every figure here.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import importlib.util
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feed_farm import feed_body  # noqa: E402 - a sibling script, not a package

REPO = Path(__file__).resolve().parent.parent
REAL_FEEDS = REPO.parent / "shared" / "corpora" / "real-feeds"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)

Bodies = list[tuple[str, bytes]]


def real_bodies() -> Bodies:
    """Return the real feed files (shared corpora and the repo's test feeds), by name."""
    files = sorted(p for p in REAL_FEEDS.rglob("*")
                   if p.is_file() and p.suffix in (".xml", ".rss", ".rdf", ".atom", ".txt")
                   and p.name != "MANIFEST.json")
    files += sorted((REPO / "tests" / "data" / "feeds").rglob("*.xml"))
    return [(str(p), p.read_bytes()) for p in files]


def other_package(folder: Path) -> str:
    """Import ``folder/aggregator`` under another name (its imports are relative); return it."""
    name = "aggregator_against"
    spec = importlib.util.spec_from_file_location(
        name, folder / "aggregator" / "__init__.py",
        submodule_search_locations=[str(folder / "aggregator")])
    if spec is None or spec.loader is None:
        raise SystemExit(f"no aggregator/ package in {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return name


def parser_of(package: str) -> Callable[[Bodies], int]:
    """Return a function parsing bodies with ``package``'s parse_feed, as the workers do."""
    parse: ModuleType = importlib.import_module(f"{package}.parse")
    errors: ModuleType = importlib.import_module(f"{package}.errors")

    def parse_all(bodies: Bodies) -> int:
        parsed = 0
        for name, body in bodies:
            try:
                parse.parse_feed(body, feed_url=f"https://feeds.example/{Path(name).name}",
                                 now=NOW)
                parsed += 1
            except errors.ParseError:
                pass  # a broken response: it still cost its read
        return parsed

    return parse_all


def best_cpu(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Return the least process CPU seconds of each run, the runs taken in turn each round."""
    for run in runs.values():
        run()
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for label, run in runs.items():
            start = time.process_time()
            run()
            best[label] = min(best[label], time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=40, help="farm feeds to parse")
    parser.add_argument("--entry-bytes", type=int, default=6800)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one round of each set")
    parser.add_argument("--against", type=Path,
                        help="a folder holding another aggregator/ to measure in turn")
    args = parser.parse_args()

    packages = {"this": "aggregator"}
    if args.against:
        packages["against"] = other_package(args.against)
    parsers = {label: parser_of(package) for label, package in packages.items()}
    for label, package in packages.items():
        print(f"{label}: {Path(importlib.import_module(package).__file__ or '').parent}")

    farm = [(f"farm-{i}", feed_body(i, entry_bytes=args.entry_bytes)) for i in range(args.feeds)]
    real = real_bodies() if REAL_FEEDS.is_dir() else []
    for name, bodies in (("farm", farm), ("real", real)):
        if not bodies:
            print(f"{name}: no feeds (is ../shared there?)")
            continue
        size = sum(len(b) for _, b in bodies) / len(bodies)
        parsed = parsers["this"](bodies)
        best = best_cpu({label: lambda p=p, b=bodies: p(b)  # type: ignore[misc]
                         for label, p in parsers.items()}, args.rounds)
        print(f"{name}: {len(bodies)} bodies ({parsed} feeds), mean {size / 1000:.1f} KB, "
              f"best of {args.rounds} rounds:")
        for label, cpu in best.items():
            print(f"  {label}: {cpu:.2f} s CPU, {cpu / len(bodies) * 1000:.2f} ms a feed")
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(parsers["this"], bodies)
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
