"""Benchmark the topic model on labelled news, next to two baselines that are told k.

    .venv/bin/python benchmarks/topics_bbc.py            # BBC table (5 seeds) + scale run
    .venv/bin/python benchmarks/topics_bbc.py --no-scale # BBC table only
    .venv/bin/python benchmarks/topics_bbc.py --scale-only --scale-docs 20000

BBC News (../shared/corpora/labeled/bbc-news/bbc.jsonl, deduplicated by text) is
clustered by three methods for each seed:

- ``ours``: the site's pipeline (aggregator.topics, the same code as ``aggregator topics``),
  NOT told how many topics there are; posts it puts in "misc" count as one more cluster;
- ``tfidf+kmeans(k)``: TfidfVectorizer(stop_words="english") + KMeans told the true k;
- ``tfidf+lsa100+kmeans(k)``: the same + TruncatedSVD(100) + L2 normalisation, told k.

NMI and ARI against the labels (scikit-learn), wall time, and peak memory (tracemalloc
peak of a separate run, so tracing does not slow the timed one) are printed as a table:
mean and worst over the seeds. The scale run clusters N synthetic posts of about 900
words, each made of paragraphs resampled from BBC articles of one label, in a child
process, and reports its wall time, peak resident memory (ru_maxrss) and NMI.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import normalize

from aggregator.topics import Document, assignments, find_topics

CORPUS = Path(__file__).resolve().parents[2] / "shared/corpora/labeled/bbc-news/bbc.jsonl"

Method = Callable[[Sequence[str], int, int], list[str]]


def load(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Return ids, texts and labels, keeping the first of rows with the same text."""
    ids, texts, labels, seen = [], [], [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["text"] in seen:
            continue
        seen.add(row["text"])
        ids.append(row["id"])
        texts.append(row["text"])
        labels.append(row["label"])
    return ids, texts, labels


def ours(texts: Sequence[str], k: int, seed: int) -> list[str]:
    """Run the site's pipeline (k is not used: the model finds it)."""
    docs = [Document(id=str(i), text=t) for i, t in enumerate(texts)]
    model = find_topics(docs, seed=seed)
    assigned = dict(assignments(model, docs))
    return [assigned[d.id] for d in docs]


def plain(texts: Sequence[str], k: int, seed: int) -> list[str]:
    """TF-IDF + k-means told k."""
    x = TfidfVectorizer(stop_words="english").fit_transform(texts)
    return [str(c) for c in KMeans(n_clusters=k, random_state=seed).fit_predict(x)]


def lsa(texts: Sequence[str], k: int, seed: int) -> list[str]:
    """TF-IDF + LSA(100) + k-means told k."""
    x = TfidfVectorizer(stop_words="english").fit_transform(texts)
    z = normalize(TruncatedSVD(100, random_state=seed).fit_transform(x))
    return [str(c) for c in KMeans(n_clusters=k, random_state=seed).fit_predict(z)]


METHODS: dict[str, Method] = {
    "ours (k not told)": ours,
    "tfidf+kmeans(k)": plain,
    "tfidf+lsa100+kmeans(k)": lsa,
}


def bbc_table(seeds: Sequence[int]) -> None:
    """Print NMI/ARI/time/memory of each method on BBC News."""
    ids, texts, labels = load(CORPUS)
    k = len(set(labels))
    print(f"BBC News: {len(texts)} documents after dedupe by text, {k} labels; seeds {list(seeds)}")
    print(f"{'method':24} {'NMI mean':>9} {'NMI worst':>9} {'ARI mean':>9} {'ARI worst':>9} "
          f"{'time s':>7} {'peak MB':>8} {'clusters':>9}")
    per_seed: dict[str, list[float]] = {}
    for name, method in METHODS.items():
        nmis, aris, times, sizes = [], [], [], []
        for seed in seeds:
            started = time.perf_counter()
            found = method(texts, k, seed)
            times.append(time.perf_counter() - started)
            nmis.append(normalized_mutual_info_score(labels, found))
            aris.append(adjusted_rand_score(labels, found))
            sizes.append(len(set(found)))
        per_seed[name] = nmis
        tracemalloc.start()
        method(texts, k, seeds[0])
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"{name:24} {statistics.mean(nmis):9.3f} {min(nmis):9.3f} "
              f"{statistics.mean(aris):9.3f} {min(aris):9.3f} {statistics.mean(times):7.2f} "
              f"{peak:8.0f} {'/'.join(map(str, sizes)):>9}")
    print("NMI per seed:")
    for name, values in per_seed.items():
        print(f"  {name:24} " + " ".join(f"{v:.3f}" for v in values))
    docs = [Document(id=i, text=t) for i, t in zip(ids, texts, strict=True)]
    model = find_topics(docs, seed=seeds[0])
    label_of = dict(zip(ids, labels, strict=True))
    print(f"Topics found (seed {seeds[0]}): slug | label | posts | majority label")
    for topic in model.topics:
        votes = [label_of[u] for u in topic.post_uids]
        top = max(sorted(set(votes)), key=votes.count)
        print(f"  {topic.slug:32} | {topic.label:40} | {len(topic.post_uids):4} | {top} "
              f"{votes.count(top) / len(votes):.0%}")
    print(f"  misc: {len(model.misc)} posts")


def synthetic(n: int, words: int, seed: int) -> tuple[list[str], list[str]]:
    """Return ``n`` posts of about ``words`` words resampled from BBC paragraphs of one label."""
    _, texts, labels = load(CORPUS)
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        by_label.setdefault(label, []).extend(p for p in text.split("\n") if p.strip())
    names = sorted(by_label)
    out_texts, out_labels = [], []
    for _ in range(n):
        label = names[int(rng.integers(len(names)))]
        pool = by_label[label]
        parts: list[str] = []
        count = 0
        while count < words:
            paragraph = pool[int(rng.integers(len(pool)))]
            parts.append(paragraph)
            count += len(paragraph.split())
        out_texts.append("\n".join(parts))
        out_labels.append(label)
    return out_texts, out_labels


def scale_child(n: int, seed: int, blogs: int = 0) -> None:
    """Cluster ``n`` synthetic posts; print time, peak RSS and NMI as JSON (child process).

    With ``blogs``, the posts are spread over that many blogs (as a real build's are).
    """
    texts, labels = synthetic(n, 900, seed)
    docs = [Document(id=str(i), text=t, group=f"blog{i % blogs}" if blogs else "")
            for i, t in enumerate(texts)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    model = find_topics(docs, seed=seed)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assigned = dict(assignments(model, docs))
    found = [assigned[d.id] for d in docs]
    print(json.dumps({"docs": n, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak,
                      "rss_before_mb": before, "topics": len(model.topics),
                      "misc": len(model.misc),
                      "nmi": normalized_mutual_info_score(labels, found)}))


def scale_run(n: int, seed: int, blogs: int = 0) -> None:
    """Run :func:`scale_child` in a fresh process so its peak memory is its own."""
    out = subprocess.run([sys.executable, __file__, "--scale-child", str(n), "--seed", str(seed),
                          "--scale-blogs", str(blogs)],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    print(f"Scale: {r['docs']} posts of ~900 words ({blogs or 'no'} blogs): "
          f"{r['seconds']:.1f} s ({r['cpu_seconds']:.1f} s of CPU, all threads), peak RSS "
          f"{r['peak_rss_mb']:.0f} MB (of which {r['rss_before_mb']:.0f} MB before clustering: "
          f"interpreter, libraries, corpus), {r['topics']} topics, {r['misc']} in misc, "
          f"NMI {r['nmi']:.3f}")


def main() -> None:
    """Parse the flags and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--scale-only", action="store_true")
    parser.add_argument("--scale-docs", type=int, default=20_000)
    parser.add_argument("--scale-blogs", type=int, default=1000,
                        help="blogs the scale run's posts come from (0: none)")
    parser.add_argument("--scale-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not CORPUS.is_file():
        sys.exit(f"{CORPUS} not found: the benchmark needs ../shared next to the repo")
    if args.scale_child is not None:
        scale_child(args.scale_child, args.seed, args.scale_blogs)
        return
    if not args.scale_only:
        bbc_table(list(range(args.seeds)))
    if not args.no_scale:
        scale_run(args.scale_docs, args.seed, args.scale_blogs)


if __name__ == "__main__":
    main()
