"""Find how many topics there are, and which posts are in each: consensus k-means.

Many rough k-means runs over a range of k vote on which posts belong together; how often
two posts land together is their agreement (evidence accumulation, Fred & Jain 2005). An
average-linkage tree over the agreements is cut at the number of groups that survives the
widest range of agreement (its "lifetime"), so k comes from the data, not a constant.
Pure functions over L2-normalised vectors (the topic model's LSA space).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize

VOTE_ITERATIONS = 30  # k-means iterations of a run that only votes (rough is enough)


def consensus(vectors: np.ndarray, *, seed: int, min_size: int, sample: int,
              runs: int, max_k: int, max_share: float = 1.0) -> tuple[np.ndarray, float]:
    """Return a cluster per row (-1: misc), k found from the data, and how clear the cut is.

    A sample of rows is clustered many times with k-means over a range of k; how often two
    rows land together is their agreement, and an average-linkage tree over it is cut at
    the number of clusters that survives the widest range of agreement (its "lifetime").
    Every row then joins the nearest of those clusters, and k-means refines them. Also
    return that lifetime (0 to 1, the share of all agreement levels the cut survives): how
    clear the structure is.

    The widest-lived cut is often the coarsest (two or three broad groups where readers
    need subjects): among the cuts lasting at least half as long as the best, the coarsest
    one whose largest group holds at most ``max_share`` of the rows is taken, if there is
    one, so no broad subject is shattered either.
    """
    n = len(vectors)
    labels = np.full(n, -1, dtype=np.intp)
    if n < 2 * min_size:
        return labels, 0.0
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    points = vectors[chosen].astype(np.float64)
    distinct = len(np.unique(points.round(5), axis=0))
    k_high = min(max(3, round(math.sqrt(len(points)))), 40, distinct)
    if k_high < 2:
        return labels, 0.0
    ks = np.linspace(2, k_high, runs).round().astype(int)
    seeds = rng.integers(2**31 - 1, size=len(ks))

    voters = points.astype(np.float32)  # float32: k-means' own dtype, the fastest

    def vote(k: int, run_seed: int) -> np.ndarray:
        # Rough runs (few iterations) are enough: they only vote. Each starts from k posts
        # drawn at random, as in Fred & Jain's evidence accumulation: k-means++ seeks one
        # good partition, but the votes need many different ones, and it costs as much as
        # the iterations themselves.
        return np.asarray(KMeans(n_clusters=k, n_init=1, max_iter=VOTE_ITERATIONS,
                                 init="random", random_state=run_seed).fit_predict(voters))

    with ThreadPoolExecutor(max_workers=_workers()) as pool:  # k-means releases the GIL
        partitions = list(pool.map(vote, ks.tolist(), seeds.tolist()))
    # How often two rows land together: one product of the runs' memberships (one column
    # per cluster of each run), not a count per cluster and pair.
    offsets = np.cumsum([0] + [int(run.max()) + 1 for run in partitions])
    member = np.zeros((len(points), int(offsets[-1])), dtype=np.float32)
    for run, offset in zip(partitions, offsets[:-1].tolist(), strict=False):
        member[np.arange(len(points)), offset + run] = 1.0
    agreement = (member @ member.T) / len(partitions)  # exact: counts up to `runs` in float32
    del member
    upper = np.triu_indices(len(points), 1)
    tree = linkage(1.0 - agreement[upper], method="average")
    heights = tree[:, 2]
    m = len(points)
    lives = {k: float(heights[m - k] - heights[m - k - 1])  # how long k groups last
             for k in range(2, min(max_k, m - 1) + 1)}
    if not lives or max(lives.values()) <= 1e-9:
        return labels, 0.0
    best_k = min(lives, key=lambda k: (-lives[k], k))
    if max_share < 1.0:
        small = [k for k, life in lives.items() if life >= lives[best_k] / 2
                 and np.bincount(fcluster(tree, k, criterion="maxclust")).max() <= max_share * m]
        if small:
            best_k = min(small)
    best_life = lives[best_k]
    votes = fcluster(tree, best_k, criterion="maxclust")
    centroids = [points[votes == c].mean(axis=0) for c in sorted(set(votes.tolist()))
                 if (votes == c).sum() >= max(2, min_size * len(points) // n)]
    if len(centroids) < 2:
        return labels, 0.0
    refined = KMeans(n_clusters=len(centroids), init=np.array(centroids), n_init=1,
                     max_iter=50, random_state=seed).fit(vectors)
    labels = np.asarray(refined.labels_, dtype=np.intp)
    # A cluster no tighter than the whole corpus is not a subject, and a post less than
    # half as close to its cluster as the average post is to the whole corpus (one with
    # no known term: not at all) does not belong: both go to misc ("more to explore")
    # rather than being forced into a topic.
    overall = float(np.mean(vectors @ normalize(vectors.mean(axis=0, keepdims=True)).ravel()))
    for c in range(len(centroids)):
        members = labels == c
        center = normalize(vectors[members].mean(axis=0, keepdims=True)).ravel()
        closeness = vectors @ center
        labels[members & (closeness <= overall / 2)] = -1
        members = labels == c
        if members.sum() < min_size or float(np.mean(closeness[members])) <= overall:
            labels[members] = -1
    return labels, best_life


def split_large(vectors: np.ndarray, labels: np.ndarray, *, seed: int, min_size: int,
                sample: int, runs: int, max_share: float, clarity: float,
                separation: float, rounds: int = 3) -> np.ndarray:
    """Split again, by the same method, each cluster holding more than ``max_share``.

    The widest-lived cut can be the coarsest one ("primary" against "secondary"); a topic
    with a third of everything is not one a reader can browse, so its own structure is
    looked for, into just enough pieces (a topic of 60% into at most 2) so that a broad
    subject is not shattered, and again (up to ``rounds`` times) while a piece is still
    too large. k-means cuts any topic in two, noise included; a real subject has
    sub-subjects too, but far less distinct than the subjects are from one another, while
    a catch-all, made of subjects a weak first cut could not tell apart, splits about as
    clearly as the corpus did. So a split is kept when its pieces are, by either of two
    measures, at least half as distinct as the topics were: their cut lives at least half
    as long (``clarity``: the lifetime of the cut that found the topics; pieces that agree
    from run to run), or they beat noise (:func:`gap`) by more than the measure's error
    and by at least half as much as the topics did (``separation``: the topics' gap). The
    lifetime alone misses catch-alls of a weak first cut (in an LSA space noise can be cut
    more stably than a weak real structure); the gap alone, on a few hundred posts in a
    hundred dimensions, can rate even clear subjects no better than noise.
    """
    labels = labels.copy()
    next_label = int(labels.max(initial=-1)) + 1
    settled: set[int] = set()
    for _ in range(rounds):
        large = [c for c in sorted(set(labels.tolist()) - {-1} - settled)
                 if (labels == c).sum() > max_share * len(labels)]
        if not large:
            break
        for cluster in large:
            rows = np.flatnonzero(labels == cluster)
            pieces = math.ceil(len(rows) / (max_share * len(labels)))
            inner, life = consensus(vectors[rows], seed=seed, min_size=min_size,
                                    sample=sample, runs=runs, max_k=max(2, pieces))
            found, error = gap(vectors[rows], inner, seed=seed, sample=sample)
            clear = life >= clarity / 2 or (found > error and found >= separation / 2)
            if len(set(inner.tolist()) - {-1}) < 2 or not clear:
                settled.add(cluster)
                continue
            for sub in sorted(set(inner.tolist())):
                if sub == -1:
                    labels[rows[inner == -1]] = -1
                else:
                    labels[rows[inner == sub]] = next_label
                    next_label += 1
    return labels


def split_mixtures(vectors: np.ndarray, labels: np.ndarray, *, seed: int,
                   sample: int) -> np.ndarray:
    """Split each topic, whatever its size, that is two subjects rather than one.

    :func:`split_large` looks only inside topics over the largest share; but a first cut
    can also join two subjects into a topic of ordinary size, when the widest-lived number
    of groups is a near-tie (k groups, one of them two subjects, against k+1). Each topic
    is cut in two by k-means (on at most ``sample`` of its rows) and the cut is kept when
    both of these hold, measured against the topics themselves, not a threshold:

    - each half is at least as large as the smallest topic found: each is the size of a
      subject here, not a few odd posts peeled off;
    - a half is nearer (by the cosine of the centres) to another topic than to the other
      half. A subject's parts are nearer each other than anything else (tennis and
      football, both sport); when a half is more like another topic than like the rest of
      its own, the topic joined two subjects (in a corpus of news summaries: technology
      with the half of politics that is not the election, beside a topic of the
      election).

    The topics are compared as they were found, so the order they are looked at changes
    nothing; a piece is not cut again. Misc (-1) is left as it is.
    """
    labels = labels.copy()
    clusters = sorted(set(labels.tolist()) - {-1})
    if len(clusters) < 2:
        return labels
    sizes = {c: int((labels == c).sum()) for c in clusters}
    smallest = min(sizes.values())
    centres = normalize(np.stack([vectors[labels == c].mean(axis=0) for c in clusters]))
    rng = np.random.default_rng(seed)
    next_label = max(clusters) + 1
    for place, cluster in enumerate(clusters):
        if sizes[cluster] < 2 * smallest:
            continue
        rows = np.flatnonzero(labels == cluster)
        fitted = rows if len(rows) <= sample else np.sort(rng.choice(rows, size=sample,
                                                                    replace=False))
        if len(np.unique(vectors[fitted].round(5), axis=0)) < 2:  # one text, many times
            continue
        halves = KMeans(n_clusters=2, n_init=4, random_state=seed).fit(vectors[fitted])
        half = np.asarray(halves.predict(vectors[rows]))
        ends = normalize(halves.cluster_centers_)
        elsewhere = float((ends @ np.delete(centres, place, axis=0).T).max())
        subject_sized = int(np.bincount(half, minlength=2).min()) >= smallest
        if subject_sized and elsewhere > float(ends[0] @ ends[1]):
            labels[rows[half == 1]] = next_label
            next_label += 1
    return labels


def gap(vectors: np.ndarray, labels: np.ndarray, *, seed: int, sample: int = 2000,
        references: int = 5) -> tuple[float, float]:
    """Return how much better than noise ``labels`` (-1: unassigned) cut ``vectors``.

    The gap statistic (Tibshirani, Walther & Hastie 2001): how much the clusters reduce
    the spread of the rows around their centre (a log ratio), against how much k-means
    reduces it on reference data with the same spread in every direction and no clusters
    (each column shuffled on its own, rows normalised again). k-means always finds k
    pieces, and in an LSA space, whose directions differ in spread, noise can even be cut
    more stably than a weak real structure; but only real groups remove more of the
    spread than the best cut of noise does. Returns the gap (0: no better than noise) and
    its standard error. Measured on a sample of ``sample`` rows, as the consensus is.
    """
    rng = np.random.default_rng(seed)
    assigned = np.flatnonzero(labels >= 0)
    if len(assigned) > sample:
        assigned = np.sort(rng.choice(assigned, size=sample, replace=False))
    points = vectors[assigned].astype(np.float64)
    groups = labels[assigned]
    k = len(set(groups.tolist()))
    if k < 2 or len(points) <= k:
        return 0.0, 0.0

    def reduction(x: np.ndarray, cut: np.ndarray) -> float:
        within = sum(float(((x[cut == c] - x[cut == c].mean(axis=0)) ** 2).sum())
                     for c in set(cut.tolist()))
        total = float(((x - x.mean(axis=0)) ** 2).sum())
        return math.log(max(within, 1e-12) / max(total, 1e-12))

    real = reduction(points, groups)
    null = []
    for _ in range(references):
        shuffled = normalize(np.column_stack([rng.permutation(column) for column in points.T]))
        cut = KMeans(n_clusters=k, n_init=2, max_iter=50,
                     random_state=int(rng.integers(2**31 - 1))).fit_predict(shuffled)
        null.append(reduction(shuffled, cut))
    return float(np.mean(null)) - real, float(np.std(null)) * math.sqrt(1 + 1 / references)


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))
