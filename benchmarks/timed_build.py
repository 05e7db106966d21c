"""Run the ``aggregator`` command with its stages timed (a benchmark helper).

    python benchmarks/timed_build.py TIMINGS.json build --feeds ... --state ...

Runs ``aggregator.cli.main`` exactly as ``python -m aggregator`` would, with the
functions that make up a build's stages wrapped in a timer (wall and CPU seconds, calls;
a stage inside another counts in both; when it first started and last ended, and the
process's memory high-water mark when it last ended, to place a peak). The timings are
written to TIMINGS.json when the command ends. Names are looked up where they are defined
and replaced everywhere they were imported, and names that do not exist (moved or renamed
by a refactor) are skipped, so the list below can name more than one version's functions.

Only the standard library is imported at the top: parse workers are spawned, and spawn
runs the main script's top level again in each of them.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time
from collections.abc import Callable
from typing import Any

# (module, attribute): a function, or "Class.method"
STAGES = [
    ("aggregator.build", "update_feeds"),
    ("aggregator.store", "Store.sync_feeds"),
    ("aggregator.store", "Store.posts"),
    ("aggregator.build", "apply_feed_rules"),
    ("aggregator.build", "clean_topic_texts"),
    ("aggregator.topics", "cached_topics"),
    ("aggregator.topiccache", "cached_topics"),
    ("aggregator.topiccache", "_fitted"),
    ("aggregator.topiccache", "_assigned"),
    ("aggregator.topics", "find_topics"),
    ("aggregator.assign", "assign_new"),
    ("aggregator.store", "Store.save_topics"),
    ("aggregator.diamonds", "pick_diamonds"),
    ("aggregator.store", "Store.record_diamonds"),
    ("aggregator.fairness", "build_ledger"),
    ("aggregator.render", "write_site"),
    ("aggregator.render", "_write_all"),
    ("aggregator.pageplan", "write_all"),
    ("aggregator.render", "index_search"),
    ("aggregator.searchindex", "index_search"),
    ("aggregator.render", "_swap_in"),
    ("aggregator.staging", "swap_in"),
    ("aggregator.staging", "link_tree"),
    ("aggregator.workers", "release_memory"),
    # Inside the stages above, to say which part of one grows with the history (#14):
    # the topic stage's reads,
    ("aggregator.topiccache", "fingerprint"),
    ("aggregator.store", "Store.topic_model"),
    ("aggregator.store", "Store.save_topic_model"),
    ("aggregator.store", "Store.features"),
    # the pages' parts (write_all's),
    ("aggregator.pages", "Pages.__init__"),
    ("aggregator.pages", "Site.__init__"),
    ("aggregator.overview", "by_newest"),
    ("aggregator.archive", "write_diamond_pages"),
    ("aggregator.river", "write_river"),
    ("aggregator.pageplan", "_write_topic_pages"),
    ("aggregator.pages", "write_archive"),
    ("aggregator.blogpages", "directory_page"),
    ("aggregator.blogpages", "write_tag_pages"),
    ("aggregator.feeditems", "write_feeds"),
    ("aggregator.pageplan", "write_status"),
    ("aggregator.buildjson", "build_json"),
    ("aggregator.pages", "Pages.save_keys"),
    ("aggregator.pages", "Files.prune"),
    # one Pagefind run a bundle indexed again, and what the build does after the pages.
    ("aggregator.searchindex", "_pagefind"),
    ("aggregator.unchanged", "remember"),
    ("aggregator.store", "Store.retire_texts"),
]

# name -> [calls, wall s, CPU s, first start s, last end s, high-water MB at the last end]
timings: dict[str, list[float]] = {}
STARTED = time.perf_counter()  # the starts and ends are seconds from here


def _hwm_mb() -> float:
    """Return this process's memory high-water mark (VmHWM) in MB, 0 if unknown.

    Read at each stage's end, it says which stage raised the build's own peak: the
    first to end with the final figure (a stage inside another ends first).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def note(wall: float, cpu: float) -> None:
        end = time.perf_counter()
        entry = timings.setdefault(name, [0, 0.0, 0.0, wall - STARTED, 0.0, 0.0])
        entry[0] += 1
        entry[1] += end - wall
        entry[2] += time.process_time() - cpu
        entry[4] = end - STARTED
        entry[5] = _hwm_mb()

    if asyncio.iscoroutinefunction(func):
        @functools.wraps(func)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return await func(*args, **kwargs)
            finally:
                note(wall, cpu)
        return run_async

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            note(wall, cpu)
    return run


def install() -> None:
    """Wrap every function of STAGES that exists, wherever it was imported.

    A module the build imports late (the topic model, imported while the last feeds
    download) is wrapped when it is imported, not imported early: that would move a
    second of CPU to the start of the build.
    """
    import builtins
    import threading

    pending = list(STAGES)
    real_import = builtins.__import__
    lock = threading.Lock()  # threads import too (the topic model's, the parse waits')

    def apply() -> None:
        with lock:
            for stage in [s for s in pending if s[0] in sys.modules]:
                # A module being imported is in sys.modules before its functions are.
                if _wrap(sys.modules[stage[0]], stage[1]):
                    pending.remove(stage)

    def hooked(*args: Any, **kwargs: Any) -> Any:
        module = real_import(*args, **kwargs)
        if pending:
            apply()
        return module

    import aggregator.cli  # noqa: F401 - what `aggregator build` imports before it runs
    apply()
    builtins.__import__ = hooked


def _wrap(module: Any, attr: str) -> bool:
    owner: Any = module
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part, None)
    original = getattr(owner, name, None) if owner is not None else None
    if original is None:
        return False
    if getattr(original, "__timed__", False):
        return True  # the same function, imported into the module named first
    wrapped = _timed(attr, original)
    wrapped.__timed__ = True  # type: ignore[attr-defined]
    setattr(owner, name, wrapped)
    if not path:  # a function: also where other modules imported it
        for other in list(sys.modules.values()):
            if (getattr(other, "__name__", "").startswith("aggregator")
                    and getattr(other, name, None) is original):
                setattr(other, name, wrapped)
    return True


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    install()
    from aggregator.cli import main as cli_main
    try:
        return cli_main(argv)
    finally:
        end = time.perf_counter()
        timings["total"] = [1, end - started, time.process_time(), started - STARTED,
                            end - STARTED, _hwm_mb()]
        with open(out, "w") as f:
            json.dump(timings, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
