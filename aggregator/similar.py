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
        for start in range(0, len(queries), chunk):
            rows = queries[start:start + chunk]
            block = vectors[rows] @ vectors[pool].T
            block[pool[None, :] == rows[:, None]] = -np.inf  # not its own neighbour
            top = np.argpartition(-block, take - 1, axis=1)[:, :take]
            top_sims = np.take_along_axis(block, top, axis=1)
            found = pool[top]
            order = np.lexsort((found, -top_sims), axis=1)  # by similarity, then row
            index[rows, :take] = np.take_along_axis(found, order, axis=1)
            sims[rows, :take] = np.take_along_axis(top_sims, order, axis=1)
    return index, sims


def find_copies(docs: Sequence[Document], tfidf: sp.csr_matrix, index: np.ndarray,
                threshold: float) -> dict[int, int]:
    """Map each cross-post copy to the copy that is kept (the earliest, then the lowest id).

    Two posts are copies when they come from different blogs and their TF-IDF rows (L2
    normalised) have a cosine of at least ``threshold``; copies of copies are one family.
    Only the pairs in ``index`` (each row's nearest neighbours) are checked.
    """
    parent = list(range(len(docs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _copy_pairs(docs, tfidf, index, threshold):
        if root(i) != root(j):
            parent[root(j)] = root(i)
    families: dict[int, list[int]] = {}
    for i in range(len(docs)):
        families.setdefault(root(i), []).append(i)
    copies: dict[int, int] = {}
    for family in families.values():
        if len(family) < 2:
            continue
        keep = min(family, key=lambda i: (_when(docs[i]), docs[i].id))
        copies.update({i: keep for i in family if i != keep})
    return copies


def _copy_pairs(docs: Sequence[Document], tfidf: sp.csr_matrix, index: np.ndarray,
                threshold: float, chunk: int = 8_192) -> list[tuple[int, int]]:
    """Return the (row, neighbour) pairs from different blogs with a cosine >= ``threshold``.

    The cosines are computed a chunk of pairs at a time with whole-matrix operations: one
    sparse product per pair made 20,000 posts cost about a minute.
    """
    n, width = index.shape
    rows = np.repeat(np.arange(n), width)
    cols = index.ravel()
    groups = np.array([d.group for d in docs], dtype=object)
    keep = cols >= 0
    rows, cols = rows[keep], cols[keep]
    keep = groups[rows] != groups[cols]
    rows, cols = rows[keep], cols[keep]
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(rows), chunk):
        a, b = rows[start:start + chunk], cols[start:start + chunk]
        cosines = np.asarray(tfidf[a].multiply(tfidf[b]).sum(axis=1)).ravel()
        hits = np.flatnonzero(cosines >= threshold)
        pairs.extend(zip(a[hits].tolist(), b[hits].tolist(), strict=True))
    return pairs


def _when(doc: Document) -> float:
    return doc.published.timestamp() if doc.published else math.inf


def related_posts(docs: Sequence[Document], index: np.ndarray, similarity: np.ndarray,
                  copies: dict[int, int], *, count: int,
                  threshold: float) -> dict[str, tuple[str, ...]]:
    """Pick up to ``count`` posts from other blogs at least ``threshold`` similar to each post.

    Cross-post copies are neither given nor suggested, nor is a post from a blog that
    carries a copy of the post itself.
    """
    carriers: dict[int, set[str]] = {}
    for copy, keep in copies.items():
        carriers.setdefault(keep, set()).add(docs[copy].group)
    related: dict[str, tuple[str, ...]] = {}
    for i, doc in enumerate(docs):
        if i in copies:
            continue
        family = carriers.get(i, set()) | {doc.group}
        picks: list[str] = []
        for j, score in zip(index[i], similarity[i], strict=True):
            if len(picks) == count or score < threshold:
                break
            j = int(j)
            if j >= 0 and j not in copies and docs[j].group not in family:
                picks.append(docs[j].id)
        if picks:
            related[doc.id] = tuple(picks)
    return related
