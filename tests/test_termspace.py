"""The topic model's term space equals TF-IDF computed the straightforward way (#12).

termspace.py builds its matrices with array tricks for speed (word keys from code points,
one sort per chunk, columns cut in place); this pins them against a plain-Python
reference of the same definition: the same hashed columns, counts, TF-IDF, blog voice
weights and term names.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from aggregator import termspace
from aggregator.topics import TopicSettings
from aggregator.vocabulary import stop_words

MASK = 2**64 - 1
WIDTH = 2**22
SUBJECTS = {
    "phonics": "phonics decode blending sounds segmenting phonemes decodable reception letters",
    "maths": "fractions times tables reasoning bar models manipulatives arithmetic algebra",
    "library": "librarian novels graphic picture books borrow shelves reading pleasure club",
}
# Each blog's own voice, in every post: a name, a school, a sign-off.
VOICES = ["Quill Primary wishes you well", "Sprout Academy's Mrs Ňemcová signs off",
          "Tally Ho from Slate Hall", "Folio Café déjà vu, Señora Núñez"]


def corpus(seed: int = 3, posts: int = 40) -> tuple[list[str], np.ndarray]:
    """Return posts of four voiced blogs on shared subjects, and each post's blog."""
    rng = random.Random(seed)
    texts, blogs = [], []
    for i in range(posts):
        blog = i % len(VOICES)
        words = SUBJECTS[rng.choice(sorted(SUBJECTS))].split()
        body = " ".join(rng.choice(words) for _ in range(rng.randint(8, 30)))
        texts.append(f"the {body} and {rng.choice(words)} 2026 {VOICES[blog]}")
        blogs.append(blog)
    return texts, np.array(blogs)


def _mix(x: int) -> int:
    x ^= x >> 31
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    return x ^ (x >> 29)


def _hash(word: str) -> int:
    return int(murmurhash3_32(word, seed=0, positive=True))


def reference_counts(texts: list[str], language: str = "en") -> list[Counter[int]]:
    """Return each text's term counts by column: words and pairs of neighbouring words."""
    stop = stop_words(language)
    out = []
    for text in texts:
        words = [w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in stop]
        terms = Counter(_hash(w) % WIDTH for w in words)
        terms.update(_mix((_hash(a) * 0x9E3779B97F4A7C15 + _hash(b)) & MASK) % WIDTH
                     for a, b in zip(words, words[1:], strict=False))
        out.append(terms)
    return out


def reference_space(texts: list[str], blogs: np.ndarray, settings: TopicSettings,
                    ) -> tuple[list[int], np.ndarray, list[int], np.ndarray]:
    """Return the TF-IDF columns and matrix, then the voiceless columns and matrix."""
    counts = reference_counts(texts)
    n = len(texts)
    df = Counter(c for row in counts for c in row)
    total = Counter()
    for row in counts:
        total.update(row)
    min_df = 2 if n < 1000 else 3
    columns = sorted(c for c, k in df.items() if min_df <= k <= 0.5 * n)
    columns = sorted(sorted(columns, key=lambda c: -total[c])[:settings.max_features])
    idf = {c: math.log((1 + n) / (1 + df[c])) + 1 for c in columns}
    plain = np.zeros((n, len(columns)))
    for i, row in enumerate(counts):
        for j, c in enumerate(columns):
            if row[c]:
                plain[i, j] = (1 + math.log(row[c])) * idf[c]
    # Each blog's voice: how evenly blogs use a term, and how much a post's blog repeats it.
    posts = Counter(blogs.tolist())
    share = {(b, c): sum(1 for i, row in enumerate(counts) if blogs[i] == b and row[c])
             / (posts[b] + 1) for b in posts for c in columns}
    spread = {}
    for c in columns:
        shares = [share[b, c] for b in posts if share[b, c] > 0]
        effective = sum(shares) ** 2 / sum(s * s for s in shares)
        spread[c] = (0.0 if len(shares) < settings.min_topic_blogs else
                     min(max((effective - 1) / (settings.min_topic_blogs - 1), 0.0), 1.0))
    kept = [c for c in columns if spread[c] > 0]
    voiceless = np.zeros((n, len(kept)))
    for i, row in enumerate(counts):
        for j, c in enumerate(kept):
            if row[c]:
                voiceless[i, j] = ((1 + math.log(row[c])) * idf[c] * spread[c]
                                   * (1 - settings.centring * share[blogs[i], c]))
    return columns, _unit_rows(plain), kept, _unit_rows(voiceless)


def _unit_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


@pytest.mark.parametrize("chunk", [1, 3, 512])
def test_term_counts_are_the_hashed_words_and_pairs_of_each_text(chunk: int) -> None:
    # Small chunks: words first seen in a later chunk are where a lookup table goes wrong.
    texts, _ = corpus()
    counts = termspace._term_counts(texts, stop_words("en"), chunk=chunk)
    expected = reference_counts(texts)
    assert counts.shape == (len(texts), WIDTH)
    for i, row in enumerate(expected):
        start, end = counts.indptr[i], counts.indptr[i + 1]
        got = dict(zip(counts.indices[start:end].tolist(), counts.data[start:end].tolist(),
                       strict=True))
        assert got == dict(row)


def test_the_tfidf_and_the_voiceless_tfidf_equal_the_straightforward_computation() -> None:
    texts, blogs = corpus()
    settings = TopicSettings(max_features=25, lsa_dims=5, sample=100)
    space = termspace.vectorize(texts, "en", settings, seed=0, sources=blogs)
    assert space is not None and space.topical
    columns, plain, kept, voiceless = reference_space(texts, blogs, settings)
    assert space.plain.shape == plain.shape and space.tfidf.shape == voiceless.shape
    # The same stored entries (no zero kept), the same values up to float32 rounding.
    assert (space.plain != 0).nnz == space.plain.nnz == np.count_nonzero(plain)
    assert ((space.plain != 0) != sp.csr_matrix(plain != 0)).nnz == 0
    np.testing.assert_allclose(space.plain.toarray(), plain, rtol=1e-5, atol=1e-7)
    assert ((space.tfidf != 0) != sp.csr_matrix(voiceless != 0)).nnz == 0
    np.testing.assert_allclose(space.tfidf.toarray(), voiceless, rtol=1e-5, atol=1e-7)
    # Each column is named by the term hashed to it (every post is in the sample).
    name_of = {}
    for text in texts:
        words = [w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in stop_words("en")]
        for term in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
            column = (_hash(term) if " " not in term else _mix(
                (_hash(term.split()[0]) * 0x9E3779B97F4A7C15 + _hash(term.split()[1])) & MASK))
            name_of[column % WIDTH] = term
    assert space.terms == [name_of[c] for c in kept]

