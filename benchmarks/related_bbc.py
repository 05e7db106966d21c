"""Measure when "related reading" means something: same-label precision by similarity.

    .venv/bin/python benchmarks/related_bbc.py              # BBC, small BBC sites, litter
    .venv/bin/python benchmarks/related_bbc.py --small-only

The site suggests, under a post, up to 3 posts from other blogs whose LSA vectors are
close to it (aggregator.similar.related_posts). A suggestion is right when it is about
the same thing. On labelled corpora, "the same thing" is "the same label": for each
post this runs the site's own topic model (aggregator.topics.find_topics, capturing the
neighbours it computes), takes the 3 nearest posts from other blogs with no threshold,
and reports, for each rule that decides which of those are shown:

- ``shown``: pairs shown; ``precision``: the share of them with the post's label;
- ``withheld precision``: the same among the pairs the rule holds back;
- ``coverage``: the share of posts that get any related reading at all.

Rules: a fixed LSA cosine (0.3 was the site's), and chance levels: the cosine that
random pairs of posts from different blogs reach only 5%, 1% or 0.1% of the time, in
the same space (aggregator.similar.chance_similarity). Corpora: BBC News (2,127 articles
after dedupe, 5 labels, spread over 40 synthetic blogs); small sites of 150 BBC articles
over 10 blogs (5 draws; the size of a young aggregator); and the litter fixture feeds
(tests/data/feeds/litter: 9 blogs, 3 subjects; their psychic-phenomena post is on a
subject of its own and has no right suggestion).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

import aggregator.topics as topics
from aggregator.similar import chance_similarity
from aggregator.topics import Document, TopicSettings, find_topics

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared/corpora/labeled/bbc-news/bbc.jsonl"
LITTER = ROOT / "tests/data/feeds/litter"
COUNT = 3


@dataclass
class Captured:
    """What the topic model computed for one language: vectors, neighbours, similarities."""

    vectors: np.ndarray  # LSA, L2-normalised: what topics and neighbours are found in
    plain: sp.csr_matrix  # TF-IDF of the text as written, L2-normalised
    groups: list[str]
    ids: list[str]
    # Per post: its candidates from other blogs, (row, LSA cosine, TF-IDF cosine), in the
    # model's order (nearest in LSA first).
    candidates: dict[int, list[tuple[int, float, float]]]


def capture(docs: Sequence[Document], seed: int = 0) -> list[Captured]:
    """Run the site's topic model on ``docs``; return what it based related reading on."""
    seen: list[Captured] = []
    real_neighbours, real_copies = topics.neighbours, topics.find_copies
    last: dict[str, Any] = {}

    def neighbours(vectors: np.ndarray, clusters: np.ndarray, count: int,
                   chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
        last["vectors"] = vectors
        last["found"] = real_neighbours(vectors, clusters, count, chunk)
        return last["found"]

    def find_copies(docs: Sequence[Document], tfidf: sp.csr_matrix, index: np.ndarray,
                    threshold: float) -> dict[int, int]:
        copies = real_copies(docs, tfidf, index, threshold)
        similarity = last["found"][1]
        candidates: dict[int, list[tuple[int, float, float]]] = {}
        for i, doc in enumerate(docs):
            if i in copies:
                continue
            found = [(int(j), float(lsa)) for j, lsa in zip(index[i], similarity[i], strict=True)
                     if j >= 0 and int(j) not in copies and docs[int(j)].group != doc.group]
            candidates[i] = [(j, lsa, float(tfidf[i].multiply(tfidf[j]).sum()))
                             for j, lsa in found]
        seen.append(Captured(last["vectors"], tfidf, [d.group for d in docs],
                             [d.id for d in docs], candidates))
        return copies

    topics.neighbours, topics.find_copies = neighbours, find_copies  # type: ignore[assignment]
    try:
        find_topics(docs, seed=seed, settings=TopicSettings(related_count=COUNT))
    finally:
        topics.neighbours, topics.find_copies = real_neighbours, real_copies
    return seen


_ALL = float("-inf")


def _plain_chance(c: Captured, quantile: float) -> float:
    """The TF-IDF cosine random pairs from different blogs reach (chance_similarity)."""
    return chance_similarity(c.plain, c.groups, quantile=quantile)


def _by_lsa(threshold: Callable[[Captured], float]) -> Callable[[Captured], dict[int, list[int]]]:
    def pick(c: Captured) -> dict[int, list[int]]:
        t = threshold(c)
        return {i: [j for j, lsa, _ in found if lsa >= t][:COUNT]
                for i, found in c.candidates.items()}
    return pick


def _by_plain(threshold: Callable[[Captured], float],
              lsa: float = _ALL) -> Callable[[Captured], dict[int, list[int]]]:
    def pick(c: Captured) -> dict[int, list[int]]:
        t = threshold(c)
        return {i: [j for j, sim, cos in sorted(found, key=lambda f: -f[2])
                    if cos >= t and sim >= lsa][:COUNT]
                for i, found in c.candidates.items()}
    return pick


Pick = Callable[[Captured], dict[int, list[int]]]
Rule = tuple[str, Pick, Pick]  # name, the rule, the same ordering with no threshold
RULES: list[Rule] = [
    ("LSA >= 0.3 (before)", _by_lsa(lambda c: 0.3), _by_lsa(lambda c: _ALL)),
    ("LSA >= 0.5", _by_lsa(lambda c: 0.5), _by_lsa(lambda c: _ALL)),
    ("LSA >= chance 1%", _by_lsa(lambda c: chance_similarity(c.vectors, c.groups)),
     _by_lsa(lambda c: _ALL)),
    ("TF-IDF >= 0.1", _by_plain(lambda c: 0.1), _by_plain(lambda c: _ALL)),
    ("TF-IDF >= chance 1% (now)", _by_plain(lambda c: _plain_chance(c, 0.99)),
     _by_plain(lambda c: _ALL)),
    ("TF-IDF >= chance 0.1%", _by_plain(lambda c: _plain_chance(c, 0.999)),
     _by_plain(lambda c: _ALL)),
    ("LSA >= 0.3 and TF-IDF >= chance 1%",
     _by_plain(lambda c: _plain_chance(c, 0.99), lsa=0.3), _by_plain(lambda c: _ALL)),
]


def score(captured: list[Captured], label: dict[str, str]) -> dict[str, dict[str, float]]:
    """Return, per rule: pairs shown and their precision, the same of the pairs it withholds
    (of the 3 best it would show with no threshold), and the share of posts with any."""
    out: dict[str, dict[str, float]] = {}
    for name, rule, unbounded in RULES:
        counts = {"shown": 0, "right": 0, "held": 0, "held_right": 0, "covered": 0, "posts": 0}
        for c in captured:
            every = unbounded(c)
            for i, picks in rule(c).items():
                counts["posts"] += 1
                counts["covered"] += bool(picks)
                for j in every[i]:
                    same = label[c.ids[i]] == label[c.ids[j]] != "alone"
                    kind = "shown" if j in picks else "held"
                    counts[kind] += 1
                    counts["right" if kind == "shown" else "held_right"] += same
        out[name] = {
            "shown": counts["shown"], "held": counts["held"],
            "precision": counts["right"] / counts["shown"] if counts["shown"] else float("nan"),
            "held_precision": (counts["held_right"] / counts["held"] if counts["held"]
                               else float("nan")),
            "coverage": counts["covered"] / counts["posts"] if counts["posts"] else 0.0}
    return out


def bbc(limit: int | None, blogs: int, seed: int) -> tuple[list[Document], dict[str, str]]:
    """Return BBC articles (``limit`` of them, or all) spread over ``blogs`` blogs, labels."""
    from topics_blogs import load_bbc  # the same corpus, deduplicated the same way

    rows = load_bbc()
    rng = random.Random(seed)
    if limit:
        rows = rng.sample(rows, limit)
    docs = [Document(id=str(r["id"]), text=r["text"], title=r.get("title", ""),
                     group=f"blog{rng.randrange(blogs)}", language="en") for r in rows]
    return docs, {str(r["id"]): r["label"] for r in rows}


def litter() -> tuple[list[Document], dict[str, str]]:
    from aggregator.parse import parse_feed

    subjects = json.loads((LITTER / "manifest.json").read_text("utf-8"))["fixtures"]
    subject = {"teachers-podcast.xml": "tech", "untitled-feed.xml": "tech",
               "tech-coach.xml": "tech", "book-talk-podcast.xml": "reading",
               "quiet-classroom.xml": "reading", "reading-corner.xml": "reading",
               "psych-files.xml": "memory", "learning-lab.xml": "memory",
               "study-habits.xml": "memory"}
    docs, label = [], {}
    for fixture in subjects:
        feed = parse_feed((LITTER / fixture["file"]).read_bytes(),
                          feed_url=f"https://feeds.example/{fixture['file']}",
                          now=datetime(2026, 11, 20, tzinfo=UTC))
        for p in feed.posts:
            docs.append(Document(id=p.uid, text=p.excerpt, title=p.title, clean=p.topic_text,
                                 group=p.feed_url, published=p.published, language="en"))
            label[p.uid] = "alone" if "psychic" in p.title else subject[fixture["file"]]
    return docs, label


def table(title: str, results: list[dict[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    print("| rule | pairs shown | precision | pairs withheld | precision of the withheld "
          "| posts with related reading |")
    print("|---|---|---|---|---|---|")
    for name, _, _ in RULES:
        rows = [r[name] for r in results]

        def mean(key: str, rows: list[dict[str, float]] = rows) -> float:
            values = [r[key] for r in rows if r[key] == r[key]]
            return statistics.mean(values) if values else float("nan")

        print(f"| {name} | {mean('shown'):.0f} | {mean('precision'):.3f} | "
              f"{mean('held'):.0f} | {mean('held_precision'):.3f} | {mean('coverage'):.2f} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-only", action="store_true")
    parser.add_argument("--draws", type=int, default=5)
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"{CORPUS} is missing (../shared)", file=sys.stderr)
        return 1
    docs, label = litter()
    captured = capture(docs)
    table("Litter fixture feeds (67 posts, 9 blogs, 3 subjects + 1 post on its own)",
          [score(captured, label)])
    title = {d.id: d.title for d in docs}
    for name, rule, _ in RULES:
        picks = {c.ids[i]: [title[c.ids[j]] for j in js] for c in captured
                 for i, js in rule(c).items()}
        lonely = [p for d in docs if label[d.id] == "alone" for p in picks.get(d.id, [])]
        pair = [t for d in docs if d.title.startswith("The spacing effect")
                for t in picks.get(d.id, [])]
        print(f"  {name}: psychic post gets {lonely or 'none'}; spacing effect post gets "
              f"{pair or 'none'}")
    table("Small BBC sites: 150 articles over 10 blogs, "
          f"{args.draws} draws", [score(capture(d), lab) for d, lab in
                                  (bbc(150, 10, seed) for seed in range(args.draws))])
    if not args.small_only:
        docs, label = bbc(None, 40, 0)
        table("BBC News: 2,127 articles over 40 blogs", [score(capture(docs), label)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
