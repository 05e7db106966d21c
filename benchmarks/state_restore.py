"""Time the state export and the checked restore on a large state (run by hand).

    .venv/bin/python benchmarks/state_restore.py [POSTS ...] [--blogs N] [--whole] [--keep DIR]

For each POSTS (default 20,000 and 100,000) writes a state as a site of that history
holds it, straight into SQLite through the store's own writes (``record_success``, the
topic model and topics as a build saves them; 1,000 blogs, texts of some 4,000
characters of Zipf-distributed words, so they compress like prose rather than like one
repeated line), retires the texts past the text window as a build does when it
finishes, then times ``export_state`` (the published copy: no full text, and past the
text window no excerpt or topic words either) and ``restore_state`` (the schema and
every value checked before anything is replaced), and prints the sizes. ``--whole``
exports with a window that holds every post: what the export held before #14.
``--keep DIR`` keeps the generated states there and reuses them.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator import topiccache
from aggregator.models import Feed, Post, TextWindow, Topic, TopicModel, TopicProfile
from aggregator.statefile import export_state, restore_state
from aggregator.store import Store

original_window = topiccache.text_window
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu " \
            "na ne ni no nu ra re ri ro ru sa se si so su ta te ti to tu".split()


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Return ``size`` made-up words of 1 to 4 syllables."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


class Prose:
    """Draw words as prose uses them: a few very often, most rarely (Zipf)."""

    def __init__(self, rng: random.Random, size: int = 20_000) -> None:
        self.rng = rng
        self.words = vocabulary(size, rng)
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(size)))

    def text(self, words: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=words))


def make_state(path: Path, posts: int, blogs: int = 1000, seed: int = 14) -> None:
    """Write a state of ``posts`` posts over ``blogs`` blogs, one post per blog a day or so."""
    rng = random.Random(seed)
    prose = Prose(rng)
    feeds = [Feed(url=f"https://blog{i}.example/feed/") for i in range(blogs)]
    hours = max(1, 24 * 365 * 3 // max(1, posts // blogs))  # three years of history
    uids: list[str] = []
    with Store(path) as store:
        store.sync_feeds(feeds, NOW)
        for b, feed in enumerate(feeds):
            batch = []
            for n in range(posts // blogs):
                text = prose.text(600)
                excerpt = " ".join(text.split()[:45])
                batch.append(Post(
                    feed_url=feed.url, guid=f"https://blog{b}.example/{n}/",
                    link=f"https://blog{b}.example/{n}/", title=prose.text(6).title(),
                    published=NOW - timedelta(hours=n * hours + b % hours), author=None,
                    excerpt=excerpt, excerpt_html=f"<p>{excerpt}</p>", text=text,
                    topic_text=" ".join(text.split()[:250]), link_words=rng.randint(0, 40)))
            uids.extend(p.uid for p in batch)
            store.record_success(feed.url, now=NOW, status=200, etag=f'"{b}-etag"',
                                 last_modified="Fri, 20 Nov 2026 10:00:00 GMT",
                                 title=f"Blog {b}", site=f"https://blog{b}.example/",
                                 posts=batch)
        # The topic model and topics a build stores: 20 topics hold every post, and the
        # newest 20,000 posts have three related posts each.
        rng.shuffle(uids)
        topics = tuple(Topic(slug=f"topic-{t}", label=f"Topic {t}", terms=(f"t{t}", f"u{t}"),
                             post_uids=tuple(uids[t::20])) for t in range(20))
        profiles = {t.slug: TopicProfile("en", {w: rng.random() for w in prose.words[:200]},
                                         0.2) for t in topics}
        model = TopicModel(topics=topics, misc=(),
                           related={u: tuple(rng.sample(uids, 3)) for u in uids[:20_000]},
                           profiles=profiles,
                           vocabulary={"en": {w: rng.random() for w in prose.words[:4000]}})
        store.save_topic_model(model, "bench")
        store.save_topics(topics, NOW)


def measure(posts: int, blogs: int, whole: bool, keep: Path | None) -> None:
    window = TextWindow(posts=posts, days=10 * 365) if whole else None
    # Every post inside the window: what the export held before #14.
    topiccache.text_window = (  # type: ignore[assignment]
        (lambda *args, **kwargs: window) if window else original_window)
    with tempfile.TemporaryDirectory() as tmp:
        state, export = Path(tmp) / "state.db", Path(tmp) / "state.sqlite.gz"
        cached = keep / f"state-{posts}-{blogs}.db" if keep else None
        started = time.perf_counter()
        if cached is not None and cached.is_file():
            shutil.copyfile(cached, state)
        else:
            make_state(state, posts, blogs)
            with Store(state) as store:
                store.leave_wal()  # the export's time is the export's, not a checkpoint's
            if cached is not None:
                shutil.copyfile(state, cached)
        with Store(state) as store:  # as the build that wrote it left it (#14)
            store.retire_texts(topiccache.text_window(), NOW)
        made = time.perf_counter() - started
        started = time.perf_counter()
        size = export_state(state, export)
        exported = time.perf_counter() - started
        started = time.perf_counter()
        result = restore_state(str(export), Path(tmp) / "restored" / "state.db")
        restored = time.perf_counter() - started
        print(f"{result.posts:,} posts, {blogs:,} blogs{' (whole: no window)' if whole else ''}:"
              f" state {state.stat().st_size / 1e6:.1f} MB (made in {made:.0f} s), "
              f"published export {size / 1e6:.2f} MB gzipped; "
              f"export {exported:.2f} s, checked restore {restored:.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("posts", nargs="*", type=int, default=[20_000, 100_000])
    parser.add_argument("--blogs", type=int, default=1000)
    parser.add_argument("--whole", action="store_true",
                        help="keep every post's excerpt and topic words (before #14)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the generated states here, and reuse them")
    args = parser.parse_args()
    for posts in args.posts:
        measure(posts, args.blogs, args.whole, args.keep)


if __name__ == "__main__":
    main()
