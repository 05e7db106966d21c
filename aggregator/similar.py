"""Find similar posts: cross-posts (one text on two blogs) and related reading.

Pure functions over L2-normalised vectors (the topic model's LSA space) and TF-IDF rows.
A post is compared with the posts of its own topic, and a post in no topic with all:
what is most like a post is in its topic, and this keeps the cost far below all pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from .topics import Document


def neighbours(vectors: np.ndarray, clusters: np.ndarray, count: int,
               chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's ``count`` most similar other rows (cosine) and the similarities.

    ``clusters`` holds each row's topic number (-1: none). Missing neighbours (in a small
    topic) are -1, with similarity -inf.
    """
    n = len(vectors)
    index = np.full((n, count), -1, dtype=np.intp)
    sims = np.full((n, count), -np.inf, dtype=np.float32)
    everyone = np.arange(n)
    for cluster in sorted(set(clusters.tolist())):
        queries = np.flatnonzero(clusters == cluster)
        pool = everyone if cluster == -1 else queries
        take = min(count, len(pool) - 1)
        if take <= 0:
            continue
        pooled = np.ascontiguousarray(vectors[pool].T)  # once per topic, not per chunk
        for start in range(0, len(queries), chunk):
            rows = queries[start:start + chunk]
            block = vectors[rows] @ pooled
            # Not its own neighbour: each query's place in the pool (both sorted).
            block[np.arange(len(rows)), np.searchsorted(pool, rows)] = -np.inf
            top = _top(block, take)
            top_sims = np.take_along_axis(block, top, axis=1)
            found = pool[top]
            order = np.lexsort((found, -top_sims), axis=1)  # by similarity, then row
            index[rows, :take] = np.take_along_axis(found, order, axis=1)
            sims[rows, :take] = np.take_along_axis(top_sims, order, axis=1)
    return index, sims


def _top(block: np.ndarray, take: int) -> np.ndarray:
    """Return the columns of the ``take`` largest values of each row of ``block``, unordered.

    The row's take-th largest value, then what reaches it: a partition of the values is
    twice as fast as one of their positions. Where a tie at that value lets more reach it,
    the positions are partitioned instead.
    """
    width = block.shape[1]
    bar = np.partition(block, width - take, axis=1)[:, width - take]
    rows, columns = np.nonzero(block >= bar[:, None])
    if len(rows) == take * len(block):  # no tie at the bar: exactly `take` in each row
        return columns.reshape(len(block), take)
    found: np.ndarray = np.argpartition(block, width - take, axis=1)[:, width - take:]
    return found


def neighbour_cosines(docs: Sequence[Document], tfidf: sp.csr_matrix,
                      index: np.ndarray) -> np.ndarray:
    """Return the TF-IDF cosine of each row and each of its neighbours from another blog.

    Shaped as ``index`` (each row's nearest neighbours); NaN where the neighbour is
    missing (-1) or from the same blog. Both :func:`find_copies` and
    :func:`related_posts` read these: computed once and handed to both, they cost half.
    """
    out = np.full(index.shape, np.nan)
    groups = np.array([d.group for d in docs], dtype=object)
    rows, slots = np.nonzero(index >= 0)
    cols = index[rows, slots]
    other = groups[rows] != groups[cols]
    rows, slots, cols = rows[other], slots[other], cols[other]
    out[rows, slots] = pair_cosines(tfidf, rows, cols)
    return out


def find_copies(docs: Sequence[Document], tfidf: sp.csr_matrix, index: np.ndarray,
                threshold: float, *, cosines: np.ndarray | None = None) -> dict[int, int]:
    """Map each cross-post copy to the copy that is kept (the earliest, then the lowest id).

    Two posts are copies when they come from different blogs and their TF-IDF rows (L2
    normalised) have a cosine of at least ``threshold``; copies of copies are one family.
    Only the pairs in ``index`` (each row's nearest neighbours) are checked; ``cosines``:
    their :func:`neighbour_cosines`, when already known.
    """
    parent = list(range(len(docs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if cosines is None:
        cosines = neighbour_cosines(docs, tfidf, index)
    rows, slots = np.nonzero(cosines >= threshold)  # NaN: never
    for i, j in zip(rows.tolist(), index[rows, slots].tolist(), strict=True):
        if root(i) != root(j):
            parent[root(j)] = root(i)
    families: dict[int, list[int]] = {}
    for i in np.unique(np.concatenate([rows, index[rows, slots]])).tolist():  # the rest: alone
        families.setdefault(root(i), []).append(i)
    copies: dict[int, int] = {}
    for family in families.values():
        if len(family) < 2:
            continue
        keep = min(family, key=lambda i: (_when(docs[i]), docs[i].id))
        copies.update({i: keep for i in family if i != keep})
    return copies


def pair_cosines(tfidf: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray,
                 chunk: int = 8_192) -> np.ndarray:
    """Return the cosine of each pair (``rows[k]``, ``cols[k]``) of L2-normalised rows.

    A chunk of pairs at a time with whole-matrix operations: one sparse product per pair
    made 20,000 posts cost about a minute.
    """
    out = np.zeros(len(rows), dtype=np.float64)
    for start in range(0, len(rows), chunk):
        a, b = rows[start:start + chunk], cols[start:start + chunk]
        out[start:start + len(a)] = np.asarray(tfidf[a].multiply(tfidf[b]).sum(axis=1)).ravel()
    return out


def _when(doc: Document) -> float:
    return doc.published.timestamp() if doc.published else math.inf


def chance_similarity(vectors: np.ndarray | sp.csr_matrix, groups: Sequence[str], *,
                      quantile: float = 0.99, samples: int = 20_000, seed: int = 0) -> float:
    """Return the cosine that random pairs of posts from different blogs reach by chance.

    The ``quantile`` of the cosines of ``samples`` random pairs of rows of ``vectors``
    (L2-normalised, dense or sparse) whose ``groups`` (blogs) differ: a neighbour at
    least this close is closer than all but 1 - ``quantile`` of unrelated pairs. How
    close "close" is depends on the space (the number of posts, of dimensions, how alike
    the blogs write), so a fixed cosine means little. -inf when no two posts come from
    different blogs.
    """
    n = vectors.shape[0]
    if n < 2:
        return -math.inf
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, size=samples)
    b = rng.integers(0, n, size=samples)
    codes = np.unique(np.asarray(groups, dtype=object), return_inverse=True)[1]
    keep = codes[a] != codes[b]
    if not keep.any():
        return -math.inf
    a, b = a[keep], b[keep]
    if sp.issparse(vectors):
        cosines = np.asarray(vectors[a].multiply(vectors[b]).sum(axis=1)).ravel()
    else:
        cosines = np.einsum("ij,ij->i", vectors[a], vectors[b])
    return float(np.quantile(cosines, quantile))


def related_posts(docs: Sequence[Document], index: np.ndarray, similarity: np.ndarray,
                  copies: dict[int, int], *, count: int, threshold: float,
                  tfidf: sp.csr_matrix | None = None, chance: float = 0.99,
                  cosines: np.ndarray | None = None) -> dict[str, tuple[str, ...]]:
    """Pick up to ``count`` posts from other blogs that are really like each post.

    Candidates are each post's neighbours in ``index`` (the topic model's LSA space).
    With ``tfidf`` (the posts' TF-IDF rows as written) a candidate must share the post's
    words: a TF-IDF cosine higher than all but 1 - ``chance`` of random pairs of posts
    from different blogs reach (:func:`chance_similarity`), the closest first. Without
    it, an LSA ``similarity`` of at least ``threshold`` is enough. A fixed LSA cosine
    means little: a post with few of the topics' words points straight at one topic
    (cosine 0.8 to posts it shares one line with), two posts on a thing only two blogs
    write about are far apart in it (their words make no topic), and on 2,000 news
    articles every neighbour passed 0.3 (benchmarks/related_bbc.py). None is better
    than a wrong one. Cross-post copies are neither given nor suggested, nor is a post
    from a blog that carries a copy of the post itself. ``cosines``: the TF-IDF cosines
    of ``index`` (:func:`neighbour_cosines`), when already known.
    """
    if tfidf is not None:
        threshold = -math.inf  # the words decide, below
    n, width = index.shape
    blog = np.unique(np.asarray([d.group for d in docs], dtype=object), return_inverse=True)[1]
    is_copy = np.zeros(n, dtype=bool)
    is_copy[list(copies)] = True
    known = index >= 0
    other = np.where(known, index, 0)
    # Arrays, not a loop over posts: this was a tenth of a fit of 20,000 posts.
    ok = known & (similarity >= threshold) & ~is_copy[other] & (blog[other] != blog[:, None])
    ok[is_copy] = False
    carriers: dict[int, set[int]] = {}
    for copy, keep in copies.items():
        carriers.setdefault(keep, set()).add(int(blog[copy]))
    for keep, blogs in carriers.items():
        ok[keep] &= ~np.isin(blog[other[keep]], list(blogs))
    rows, slots = np.nonzero(ok)  # each post's candidates, closest first
    cols = other[rows, slots]
    if tfidf is not None and len(rows):
        given = None if cosines is None else cosines[rows, slots]
        rows, cols = _sharing_words(rows, cols, tfidf, [d.group for d in docs], chance, given)
    first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else rows
    rank = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
    rows, cols = rows[rank < count], cols[rank < count]
    related: dict[str, list[str]] = {}
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        related.setdefault(docs[i].id, []).append(docs[j].id)
    return {uid: tuple(found) for uid, found in related.items()}


def _sharing_words(rows: np.ndarray, cols: np.ndarray, tfidf: sp.csr_matrix,
                   groups: Sequence[str], chance: float,
                   cosines: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Keep the candidate pairs whose TF-IDF cosine beats chance, each post's closest first.

    ``rows`` are sorted; the pairs come back sorted by row, then cosine (highest first),
    then candidate. ``cosines``: the pairs' cosines, when already known.
    """
    if cosines is None:
        cosines = pair_cosines(tfidf, rows, cols)
    bar = chance_similarity(tfidf, groups, quantile=chance)
    kept = np.flatnonzero((cosines >= bar) & (cosines > 0))
    rows, cols, cosines = rows[kept], cols[kept], cosines[kept]
    order = np.lexsort((cols, -cosines, rows))
    return rows[order], cols[order]
