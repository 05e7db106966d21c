"""The topic stage's memory on a first fit over a long history (#14; run by hand).

    .venv/bin/python benchmarks/fit_memory.py                      # 100,000 posts, 1,000 blogs
    .venv/bin/python benchmarks/fit_memory.py --posts 20000 --tracemalloc
    .venv/bin/python benchmarks/fit_memory.py --state /tmp/histcache/history-100000-g2.db \
        --words store

``topiccache._fitted`` (the fit on the newest ``fit_window`` posts, then the older ones
placed in its topics) runs in a fresh process on Documents shaped like a cold build's:
by default history_corpus.py's blogs and posts (BBC prose, each blog's sign-off), each
post's topic text cleaned blog by blog as the parse workers clean it, an excerpt of 400
characters as its text; with ``--state``, the posts of a state read and held as build.py
reads and holds them, each post with its topic words (``--words held``, as before #14's
change) or without, the stage reading them from the state (``--words store``).
``--unclean``: the Documents carry their text and no cleaned words (a state stored
before the topic texts were kept), so the topic stage cleans them itself.

Reported: the process's peak RSS (ru_maxrss), the RSS once the Documents are held, and
the highest RSS sampled (every 20 ms) in each part of the stage: the fit
(``find_topics``), and placing the older posts (``assign_new``, which reads them as
``_new_posts`` yields them). ``--tracemalloc`` adds Python's own allocation peak of the
stage above what the Documents hold (several times slower).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # history_corpus, a sibling

import history_corpus as corpus

from aggregator import topiccache
from aggregator.textclean import clean_posts
from aggregator.topics import Document, TopicSettings

END = date(2026, 11, 19)  # history.py's
PAGE = 4096


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 1e6


class Sampler:
    """Sample the RSS in a thread; keep the highest seen in each named part of the run."""

    def __init__(self) -> None:
        self.part = "documents"
        self.peaks: dict[str, float] = {}
        self.traced: dict[str, float] = {}  # part -> tracemalloc peak above its start, MB
        self.traced_top = 0  # the highest tracemalloc peak of any part (reset in each), B
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.note()

    def note(self) -> None:
        rss = _rss_mb()
        if rss > self.peaks.get(self.part, 0.0):
            self.peaks[self.part] = rss

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.note()

    def during(self, part: str, function: Any) -> Any:
        """Return ``function`` wrapped so the samples taken while it runs count as ``part``.

        Under tracemalloc, also keep the most Python held during ``part`` above what it
        held when ``part`` began.
        """
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            before, self.part = self.part, part
            self.note()
            traced = tracemalloc.is_tracing()
            if traced:
                start = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
            try:
                return function(*args, **kwargs)
            finally:
                self.note()
                if traced:
                    peak = tracemalloc.get_traced_memory()[1]
                    self.traced[part] = (peak - start) / 1e6
                    self.traced_top = max(self.traced_top, peak)
                self.part = before
        return wrapped


def _post_parts(blog: corpus.Blog, number: int) -> tuple[str, str]:
    """Return the title and the HTML of ``blog``'s post ``number``, as item_xml makes them."""
    title, parts = corpus.post_parts(blog, number)
    return title, "".join(f"<p>{p}</p>" for p in parts)


def synthetic(posts: int, *, unclean: bool) -> Iterator[Document]:
    """Yield history_corpus's ``posts`` posts of 1,000 blogs as a cold build's Documents."""
    for blog in corpus.make_blogs(posts, blogs=1000, end=END):
        made = [_post_parts(blog, n) for n in range(len(blog.dates))]
        cleaned = [None] * len(made) if unclean else \
            clean_posts([f"{title}\n{html}" for title, html in made])
        for n, ((title, html), clean) in enumerate(zip(made, cleaned, strict=True)):
            plain = " ".join(html.replace("<p>", " ").replace("</p>", " ").split())
            yield Document(id=f"blog{blog.index}-{n}", text=html if unclean else plain[:400],
                           title=title, clean=clean, group=blog.url, language="en",
                           published=blog.dates[n])


def from_state(store: Any, *, lean: bool) -> tuple[list[Any], list[Document]]:
    """Return the posts of ``store`` as build.py holds them, and its Documents of them.

    ``lean``: the posts without their topic words, which the topic stage reads from the
    store as it needs them (build.py since #14); else each with its words, as before.
    """
    from aggregator.build import POST_TEXT_CHARS

    posts = store.posts(text_chars=POST_TEXT_CHARS, text_if_unclean=True,
                        **({"topic_words": False} if lean else {}))
    return posts, [Document(id=p.uid, text=p.excerpt, title=p.title, clean=p.topic_text,
                            group=p.feed_url, language=p.language, published=p.published)
                   for p in posts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=20_000, help="fit_window")
    parser.add_argument("--state", help="read the posts of this state instead, held as "
                        "build.py holds them")
    parser.add_argument("--words", choices=("held", "store"), default="held",
                        help="with --state: each post holds its topic words (held, before "
                        "#14's change), or the stage reads them from the store (store)")
    parser.add_argument("--no-posts", action="store_true",
                        help="with --state: let the posts go once the Documents are made "
                        "(what a build reloading them after the topic stage would hold)")
    parser.add_argument("--unclean", action="store_true",
                        help="Documents with their text and no cleaned words")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    lookup: dict[str, Any] = {}
    posts: list[Any] = []  # held, as build.py holds them, for the whole stage
    if args.state:
        from aggregator.store import Store

        store = Store(args.state)
        posts, docs = from_state(store, lean=args.words == "store")
        if args.no_posts:
            posts = []
        if args.words == "store":
            lookup = {"words": store.topic_words}
    else:
        docs = list(synthetic(args.posts, unclean=args.unclean))
    gc.collect()
    made_s = time.perf_counter() - started
    held = _rss_mb()
    settings = TopicSettings(fit_window=args.window)
    sampler = Sampler()
    topiccache.clustering.find_topics = sampler.during(  # type: ignore[method-assign]
        "fit (find_topics)", topiccache.clustering.find_topics)
    topiccache.assign_new = sampler.during(  # type: ignore[assignment]
        "older posts (assign_new)", topiccache.assign_new)
    if args.tracemalloc:
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    with sampler:
        sampler.part = "topic stage, other"
        topiccache.fingerprint(docs, settings, **lookup)  # as cached_topics does first
        model = topiccache._fitted(docs, (), seed=0, settings=settings, **lookup)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    traced = (max(sampler.traced_top, tracemalloc.get_traced_memory()[1]) / 1e6
              if args.tracemalloc else None)  # started once the Documents were made
    placed = sum(len(t.post_uids) for t in model.topics) + len(model.misc)
    source = f"state {args.state}, words {args.words}" if args.state else "synthetic"
    print(f"{len(docs):,} posts ({source}{', unclean' if args.unclean else ''}"
          f"{f', {len(posts):,} Posts held' if posts else ''}), fit_window {args.window:,}: "
          f"documents made in {made_s:.0f} s, RSS holding them {held:.0f} MB")
    print(f"topic stage: wall {wall:.1f} s, CPU {cpu:.1f} s; {len(model.topics)} topics, "
          f"{placed:,} posts placed")
    for part, peak in sampler.peaks.items():
        above = sampler.traced.get(part)
        print(f"  RSS peak in {part}: {peak:.0f} MB"
              + (f"; tracemalloc peak above its start: {above:.0f} MB" if above else ""))
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB
    print(f"peak RSS (ru_maxrss): {maxrss:.0f} MB"
          + (f"; tracemalloc peak of the stage: {traced:.0f} MB" if traced is not None else ""))


if __name__ == "__main__":
    main()
