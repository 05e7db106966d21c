"""Placing older posts: per-post dict cosines (old) against batched sparse products (#14).

Run by hand: ``.venv/bin/python -m benchmarks.assign_cost [posts]``. One process, the
old way then the new, on the same synthetic posts (20 profiles of 200 terms).
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from collections.abc import Iterator

from aggregator.assign import NewPost, assign_new, closeness, term_vector
from aggregator.models import Topic, TopicProfile


def _posts(count: int, vocabulary: list[str]) -> Iterator[NewPost]:
    rng = random.Random(1)
    for i in range(count):
        yield NewPost(id=f"p{i}", language="en",
                      words=tuple(rng.choice(vocabulary) for _ in range(300)))


def main(count: int) -> None:
    rng = random.Random(0)
    vocabulary = [f"w{i}" for i in range(5000)]
    weights = {w: rng.uniform(1.0, 5.0) for w in vocabulary}
    profiles = {f"t{k:02}": TopicProfile(
        language="en", terms={w: rng.random() for w in rng.sample(vocabulary, 200)},
        floor=0.02) for k in range(20)}
    topics = [Topic(slug=s, label=s, terms=(), post_uids=()) for s in profiles]

    def old() -> None:
        ranked = sorted(profiles.items())
        for post in _posts(count, vocabulary):
            vector = term_vector(post.words, weights)
            best_score = -1.0
            for _, profile in ranked:
                score = closeness(vector, profile)
                if score >= profile.floor and score > best_score:
                    best_score = score

    def new() -> None:
        assign_new(topics, [], _posts(count, vocabulary), profiles=profiles,
                   weights=lambda _: weights, shelves={})

    for name, run in (("old", old), ("new", new)):
        tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name}: {count} posts, wall {wall:.1f} s, cpu {cpu:.1f} s, "
              f"tracemalloc peak {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
