"""What the topics stage of a daily build costs: a fit, then a day's new posts assigned (#14).

    .venv/bin/python benchmarks/topics_daily.py                 # 20,000 posts, +100 a day
    .venv/bin/python benchmarks/topics_daily.py --posts 100000 --new 100

The posts are the synthetic BBC-paragraph posts of topics_bbc.py, spread over 1,000
blogs and cleaned once, as a build stores them. A first build fits the model
(topiccache.cached_topics with an empty store); the next day's build brings ``--new`` posts
and assigns them (assign.py), as a daily build does; a third, a week later with ``--new``
more, refits (keeping the slugs). Reported per step: wall and CPU seconds, how the topics
were got, and for the assigned posts how many went to the topic where their label is the
majority. A benchmark, run by hand on a quiet machine (check ``uptime``); never a timed
test.
"""

from __future__ import annotations

import argparse
import time as clock
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from topics_bbc import synthetic

from aggregator.store import Store
from aggregator.textclean import clean_posts
from aggregator.topiccache import cached_topics
from aggregator.topics import Document


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
    args = parser.parse_args()
    texts, labels = synthetic(args.posts + 2 * args.new, 900, 0)
    old = _docs(texts[:args.posts], 0, args.blogs)
    new = _docs(texts[args.posts:args.posts + args.new], args.posts, args.blogs)
    later = _docs(texts[args.posts + args.new:], args.posts + args.new, args.blogs)
    label_of = {str(i): label for i, label in enumerate(labels)}
    day = date(2026, 11, 2)
    with Store(":memory:") as store:
        for name, docs, today in (("fit", old, day), ("next day", old + new, day + timedelta(1)),
                                  ("a week on", old + new + later, day + timedelta(8))):
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


if __name__ == "__main__":
    main()
