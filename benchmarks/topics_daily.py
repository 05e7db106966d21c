"""What the topics stage of a daily build costs: a fit, then a day's new posts assigned (#14).

    .venv/bin/python benchmarks/topics_daily.py                 # 20,000 posts, +100 a day
    .venv/bin/python benchmarks/topics_daily.py --posts 100000 --new 100
    .venv/bin/python benchmarks/topics_daily.py --fit-only      # the fit and its stages

The posts are the synthetic BBC-paragraph posts of topics_bbc.py, spread over 1,000
blogs and cleaned once, as a build stores them. A first build fits the model
(topiccache.cached_topics with an empty store); the next day's build brings ``--new`` posts
and assigns them (assign.py), as a daily build does; a third, a week later with ``--new``
more, refits (keeping the slugs). Reported per step: wall and CPU seconds, how the topics
were got, and for the assigned posts how many went to the topic where their label is the
majority. After each step that fits, a table of the fit's stages (#12): calls, wall and
CPU seconds of each (its own: a stage run inside another is counted in its own line,
not its parent's), and the highest resident memory of the process while it ran,
sampled every 2 ms, next to what the process held when the fit began. A benchmark, run
by hand on a quiet machine (check ``uptime``); never a timed test.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import threading
import time as clock
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import ModuleType
from typing import Any

from topics_bbc import synthetic

from aggregator import termspace, topics
from aggregator.store import Store
from aggregator.textclean import clean_posts
from aggregator.topiccache import cached_topics
from aggregator.topics import Document

# The stages of a fit, as (module, the name find_topics calls it by, the name shown);
# indented: run inside the stage above (vectorize).
STAGES = [
    (topics, "_clean_all", "clean"), (topics, "_languages", "languages"),
    (topics, "vectorize", "term space (vectorize)"),
    (termspace, "_term_counts", "  term counts"), (termspace, "blog_voice", "  blog voice"),
    (termspace, "_term_names", "  term names"),
    (topics, "consensus", "consensus"), (topics, "split_large", "split large"),
    (topics, "gap", "gap"), (topics, "_shared_by_blogs", "shared by blogs"),
    (topics, "neighbours", "neighbours"), (topics, "find_copies", "cross-posts"),
    (topics, "related_posts", "related reading"), (topics, "_label_terms", "labels"),
    (topics, "display_case", "label case"), (topics, "_profiles", "profiles"),
]
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss() -> int:
    """Return the process's resident memory now, in bytes (its peak where /proc is not)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class _Stage:
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    peak: int = 0


@dataclass
class StageClock:
    """Time each stage of a fit by its own work, and the memory held while it runs."""

    stages: dict[str, _Stage] = field(default_factory=dict)
    _running: list[str] = field(default_factory=list)
    _peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return ``func`` timed as stage ``name``."""
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stage = self.stages.setdefault(name, _Stage())
            outer = self._running[-1] if self._running else None
            self._running.append(name)
            held, self._peak = self._peak, _rss()  # the stage's own peak, from here
            wall, cpu = clock.perf_counter(), clock.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                wall, cpu = clock.perf_counter() - wall, clock.process_time() - cpu
                self._running.pop()
                stage.calls += 1
                stage.wall += wall
                stage.cpu += cpu
                stage.peak = max(stage.peak, self._peak)
                self._peak = max(held, self._peak)
                if outer is not None:  # the parent's own time is what is left
                    self.stages[outer].wall -= wall
                    self.stages[outer].cpu -= cpu
        return timed

    @contextmanager
    def sampling(self) -> Iterator[None]:
        """Sample the resident memory every 2 ms while the block runs."""
        def sample() -> None:
            while not self._stop.wait(0.002):
                self._peak = max(self._peak, _rss())
        self._peak = _rss()
        self._stop.clear()
        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Time the STAGES while the block runs, then put the functions back."""
        saved: list[tuple[ModuleType, str, Any]] = []
        for module, attribute, name in STAGES:
            saved.append((module, attribute, getattr(module, attribute)))
            setattr(module, attribute, self.wrap(name, getattr(module, attribute)))
        try:
            yield
        finally:
            for module, attribute, func in saved:
                setattr(module, attribute, func)

    def report(self, wall: float, cpu: float, before: int) -> str:
        """Return the stages as a Markdown table, then what no stage accounts for."""
        lines = ["| stage | calls | wall s | CPU s | peak RSS MB |", "|---|---|---|---|---|"]
        for _, _, name in STAGES:
            if (s := self.stages.get(name)) is not None:
                lines.append(f"| {name} | {s.calls} | {s.wall:.2f} | {s.cpu:.2f} | "
                             f"{s.peak / 2**20:.0f} |")
        own_wall = sum(s.wall for s in self.stages.values())
        own_cpu = sum(s.cpu for s in self.stages.values())
        lines.append(f"| the rest | | {wall - own_wall:.2f} | {cpu - own_cpu:.2f} | |")
        lines.append(f"| **fit** | | **{wall:.2f}** | **{cpu:.2f}** | "
                     f"**{self._peak / 2**20:.0f}** (from {before / 2**20:.0f} before) |")
        return "\n".join(lines)


def _docs(texts: list[str], start: int, blogs: int) -> list[Document]:
    # As builds pass them: cleaned once, when the post was stored.
    return [Document(id=str(start + i), text=t, group=f"blog{(start + i) % blogs}",
                     language="en", clean=clean_posts([t], footers=False)[0])
            for i, t in enumerate(texts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--blogs", type=int, default=1000)
    parser.add_argument("--fit-only", action="store_true", help="only the first fit")
    args = parser.parse_args()
    texts, labels = synthetic(args.posts + 2 * args.new, 900, 0)
    old = _docs(texts[:args.posts], 0, args.blogs)
    new = _docs(texts[args.posts:args.posts + args.new], args.posts, args.blogs)
    later = _docs(texts[args.posts + args.new:], args.posts + args.new, args.blogs)
    del texts
    label_of = {str(i): label for i, label in enumerate(labels)}
    day = date(2026, 11, 2)
    steps = [("fit", old, day), ("next day", old + new, day + timedelta(1)),
             ("a week on", old + new + later, day + timedelta(8))]
    with Store(":memory:") as store:
        for name, docs, today in steps[:1] if args.fit_only else steps:
            stages = StageClock()
            before = _rss()
            with stages.installed(), stages.sampling():
                wall, cpu = clock.perf_counter(), clock.process_time()
                model, how = cached_topics(docs, store, today=today)
                wall, cpu = clock.perf_counter() - wall, clock.process_time() - cpu
            store.save_topics(model.topics, datetime.combine(today, time(12), UTC))
            line = f"{name:10} {len(docs):7} posts  {how:8} {wall:6.1f} s wall {cpu:6.1f} s CPU"
            if name == "next day":
                where = {u: t for t in model.topics for u in t.post_uids}
                majority = {t.slug: Counter(label_of[u] for u in t.post_uids
                                            ).most_common(1)[0][0] for t in model.topics}
                right = sum(1 for d in new if d.id in where
                            and majority[where[d.id].slug] == label_of[d.id])
                line += (f"  new posts: {right}/{len(new)} in their label's topic, "
                         f"{sum(1 for d in new if d.id in model.misc)} in misc")
            print(line, flush=True)
            if stages.stages:
                print(stages.report(wall, cpu, before), flush=True)
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
