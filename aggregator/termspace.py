"""The space the topic model clusters in: TF-IDF without each blog's voice, then LSA.

Pure functions from texts to matrices (:func:`vectorize`). Terms are words and pairs of
neighbouring words, hashed rather than listed, and named afterwards from a sample of the
posts; each term's weight is scaled by how widely blogs share it and each use by how much
its blog repeats it (:func:`blog_voice`, issue 12).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32

from .vocabulary import stop_words

if TYPE_CHECKING:
    from .topics import TopicSettings

# Words: runs of 2+ letters (no digits, no underscore). The ASCII form is the same set on
# ASCII text and runs twice as fast.
_TOKEN = re.compile(r"[^\W\d_]{2,}")
_ASCII_TOKEN = re.compile(r"[A-Za-z]{2,}")
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LETTERS = np.array([bool(_LETTER.match(chr(c))) for c in range(128)])
_HASH_FEATURES = 2**22  # few collisions among the terms kept
_MULTIPLIER = 0x100000001B3  # a word's key: its code points as digits in this (odd) base
_INVERSE = pow(_MULTIPLIER, -1, 2**64)


def analyzer(language: str) -> Callable[[str], list[str]]:
    """Return the tokenizer of the model: the words of a text, without stop words."""
    stop = stop_words(language)

    def words(text: str) -> list[str]:
        return [w for w in _tokens(text) if w not in stop]

    return words


def _mix(x: np.ndarray) -> np.ndarray:
    """Spread every bit of ``x`` (uint64) over all of them: splitmix64's finaliser."""
    x = x ^ (x >> np.uint64(31))
    x *= np.uint64(0xBF58476D1CE4E5B9)
    mixed: np.ndarray = x ^ (x >> np.uint64(29))
    return mixed


def word_hash(word: str) -> int:
    """Return the hash of ``word`` that names its column: murmurhash3, 31 bits."""
    return int(murmurhash3_32(word, seed=0, positive=True))


class WordHashes:
    """Each word's :func:`word_hash`, and whether it is a stop word, looked up by a key.

    The key (a 64-bit polynomial of the word's code points) is computed for every word of
    a text at once (:func:`_word_hashes`); the hash itself only once per distinct word, and
    whether it is a stop word (by hash, as :func:`_not_stop` tells) with it.
    """

    def __init__(self, stop: frozenset[str] = frozenset()) -> None:
        self._keys = np.empty(0, dtype=np.uint64)  # sorted
        self._hashes = np.empty(0, dtype=np.uint64)
        self._stopped = np.empty(0, dtype=bool)
        self._stop = stop
        # B**i and B**-i modulo 2**64 for every position of a chunk: the same every chunk.
        self._powers = np.empty(0, dtype=np.uint64)
        self._inverses = np.empty(0, dtype=np.uint64)

    def of(self, keys: np.ndarray, word: Callable[[int], str]) -> tuple[np.ndarray, np.ndarray]:
        """Return the hash of each word by its key, and whether it is a stop word.

        ``word(i)`` spells the i-th word. Each key is looked up as it comes: only the words
        never seen before are sorted and hashed (a sort of every chunk's keys was a tenth
        of the term counts).
        """
        at = self._find(keys)
        missing = np.flatnonzero(at < 0)
        if len(missing):
            distinct, first = np.unique(keys[missing], return_index=True)
            fresh = np.array([word_hash(word(int(i))) for i in missing[first]], dtype=np.uint64)
            where = np.searchsorted(self._keys, distinct)
            self._keys = np.insert(self._keys, where, distinct)
            self._hashes = np.insert(self._hashes, where, fresh)
            self._stopped = np.insert(self._stopped, where, ~_not_stop(fresh, self._stop))
            # Each key held before moves up by the new keys inserted at or below it.
            at += np.searchsorted(where, at, side="right")
            rank = np.searchsorted(distinct, keys[missing])
            at[missing] = where[rank] + rank  # the j-th new key lands j places after its spot
        return self._hashes[at], self._stopped[at]

    def powers(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        """Return B**i and B**-i modulo 2**64 (B: :data:`_MULTIPLIER`) for i < ``length``."""
        if len(self._powers) < length:
            size = max(length, 2 * len(self._powers))
            with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
                self._powers = np.full(size, _MULTIPLIER, dtype=np.uint64)
                self._inverses = np.full(size, _INVERSE, dtype=np.uint64)
                self._powers[0] = self._inverses[0] = 1
                np.cumprod(self._powers, out=self._powers)
                np.cumprod(self._inverses, out=self._inverses)
        return self._powers[:length], self._inverses[:length]

    def _find(self, keys: np.ndarray) -> np.ndarray:
        """Return where each of ``keys`` is held, -1 where it is not."""
        if not len(self._keys):
            return np.full(len(keys), -1, dtype=np.intp)
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        return np.where(self._keys[at] == keys, at, -1)


def _columns(first: np.ndarray, second: np.ndarray | None = None) -> np.ndarray:
    """Return the columns of words (hashes ``first``), or of word pairs (``first second``)."""
    if second is None:
        return (first % np.uint64(_HASH_FEATURES)).astype(np.int64)
    x = first.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + second.astype(np.uint64)
    return (_mix(x) % np.uint64(_HASH_FEATURES)).astype(np.int64)


def _word_hashes(texts: Sequence[str],
                 hashes: WordHashes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the text (index) and the hash (:func:`word_hash`) of each word of ``texts``.

    In reading order, with whether each is a stop word (of ``hashes``); the words are what
    :func:`_tokens` finds. Found and keyed on the code points as arrays: per word in
    Python, finding, filtering and hashing the words was a quarter of the time of a fit.
    """
    joined = "\0".join(texts)  # a separator that is not a letter: words never run on
    if joined.isascii():
        codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        letter = _ASCII_LETTERS[codes]
    else:
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        letter = np.zeros(len(codes), dtype=bool)
        ascii_ = codes < 128
        letter[ascii_] = _ASCII_LETTERS[codes[ascii_]]
        other = np.flatnonzero(~ascii_)
        if len(other):
            distinct, where = np.unique(codes[other], return_inverse=True)
            letter[other] = np.array([bool(_LETTER.match(chr(c))) for c in distinct.tolist()],
                                     dtype=bool)[where]
    edges = np.diff(letter.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_enough = ends - starts >= 2
    starts, ends = starts[long_enough], ends[long_enough]
    # A word's key is sum(c[j] * B**(end - 1 - j)): B**(end - 1) times a difference of
    # prefix sums of c[j] * B**-j (B is odd, so it has an inverse modulo 2**64).
    powers, inverses = hashes.powers(len(codes))
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
        prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
        np.cumsum(inverses * codes, out=prefix[1:])
        keys = _mix((prefix[ends] - prefix[starts]) * powers[ends - 1])
    text_starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    words, stopped = hashes.of(keys, lambda i: joined[starts[i]:ends[i]])
    return np.searchsorted(text_starts, starts, side="right") - 1, words, stopped


def _term_counts(texts: Sequence[str], stop: frozenset[str], *,
                 chunk: int = 512) -> sp.csr_matrix:
    """Return how often each text uses each term (a hashed column), as a sparse matrix.

    Words are hashed as scikit-learn's HashingVectorizer does, once per distinct word
    (:func:`_word_hashes`), pairs of words from their words' hashes: no term is ever a
    string. Each row holds its terms in descending column order: the order a product
    with a diagonal matrix leaves them in, which every later sum over a row (the LSA
    projection, the cosines) has always added them in.
    """
    hashes = WordHashes(stop)
    indptr: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
    indices: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for start in range(0, len(texts), chunk):
        block = texts[start:start + chunk]
        doc, h, stopped = _word_hashes(block, hashes)
        doc, h = doc[~stopped], h[~stopped]
        pair = doc[1:] == doc[:-1]  # neighbours within one text
        rows = np.concatenate([doc, doc[:-1][pair]])
        cols = np.concatenate([_columns(h), _columns(h[:-1][pair], h[1:][pair])])
        # One sort of (row, reversed column) keys: each row's terms, counted, high first.
        keys = np.sort(rows.astype(np.int64) * _HASH_FEATURES + (_HASH_FEATURES - 1 - cols))
        new = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else keys
        distinct = keys[new]
        counts.append(np.diff(np.r_[new, len(keys)]).astype(np.float32))
        indices.append((_HASH_FEATURES - 1 - distinct % _HASH_FEATURES).astype(np.int32))
        ends = np.searchsorted(distinct // _HASH_FEATURES, np.arange(1, len(block) + 1))
        indptr.append(ends + indptr[-1][-1])
    if not indices:
        return sp.csr_matrix((0, _HASH_FEATURES), dtype=np.float32)
    return sp.csr_matrix((np.concatenate(counts), np.concatenate(indices),
                          np.concatenate(indptr)), shape=(len(texts), _HASH_FEATURES))


@dataclass(frozen=True)
class TermSpace:
    """The posts of one language as the model sees them."""

    plain: sp.csr_matrix  # TF-IDF of the text as written: cross-posts are found in it
    tfidf: sp.csr_matrix  # the same without each blog's voice (blog_voice): topics, labels
    vectors: np.ndarray  # LSA of ``tfidf``, L2-normalised: clusters and neighbours
    terms: list[str]  # the name of each column of ``tfidf``
    weights: np.ndarray  # each column's weight (idf, times its spread when voiceless)
    # Whether several blogs share enough terms to find topics; if not, ``tfidf`` is
    # ``plain`` and serves only cross-posts and related reading.
    topical: bool = True



def blog_voice(present: sp.csr_matrix, sources: np.ndarray, min_blogs: int,
                centring: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Return how widely blogs share each term (column), and how much each use counts.

    Each blog's own words (its name, its host's, its school, "Episode", its sign-off) are
    the most distinctive terms TF-IDF sees: left alone they define the clusters, which then
    follow blogs instead of subjects (issue 12). Two measures take that voice out:

    - *Spread*, per term, from 0 to 1: each blog counts by the share of its posts using the
      term (a prolific blog counts as one blog, not as many posts), and the effective
      number of blogs using it is the inverse Simpson index of those shares (1 for a term
      one blog uses, whatever the others do in passing; k for k blogs using it alike). A
      term counts fully from ``min_blogs`` blogs, the fewest a topic may have, linearly less
      below, and not at all when fewer than ``min_blogs`` blogs use it at all.
    - *Centring*, per use: a post's weight for a term is lowered by the share of its blog's
      posts that use it, which is what subtracting the blog's mean vector (clipped at
      zero) does. A word in every post of a blog tells none of its posts apart; a subject
      the blog writes on now and then keeps most of its weight.

    Returns the spread of each column, and the factor of each stored entry of ``present``
    (in its order).
    """
    n, columns = present.shape
    blogs = int(sources.max(initial=-1)) + 1
    owner = sp.csr_matrix((np.ones(n, dtype=np.float32), (sources, np.arange(n))),
                          shape=(blogs, n))
    per_blog = (owner @ present).tocsr()  # posts of each blog using each term
    per_blog.sort_indices()
    posts = np.asarray(owner.sum(axis=1), dtype=np.float32).ravel()
    # One post more in each blog: a blog with a single post does not "always" use its words.
    share = (sp.diags(1.0 / (posts + 1.0)) @ per_blog).tocsr()
    share.sort_indices()
    total = np.asarray(share.sum(axis=0)).ravel()
    squares = np.asarray(share.multiply(share).sum(axis=0)).ravel()
    effective = np.divide(total * total, squares, out=np.zeros_like(total), where=squares > 0)
    using = np.diff(per_blog.tocsc().indptr)
    spread = np.clip((effective - 1.0) / max(min_blogs - 1, 1), 0.0, 1.0)
    spread[using < min_blogs] = 0.0
    # The share of (blog of the row, column) for each stored entry: both key lists sorted.
    share_keys = (np.repeat(np.arange(blogs, dtype=np.int64), np.diff(share.indptr))
                  * columns + share.indices)
    # A block of rows at a time: the keys and places of every entry at once were the
    # peak of the fit's memory.
    factor = np.empty(present.nnz, dtype=np.float32)
    for start in range(0, n, 4096):
        lo, hi = present.indptr[start], present.indptr[min(start + 4096, n)]
        rows = np.repeat(np.arange(start, min(start + 4096, n)),
                         np.diff(present.indptr[start:start + 4097]))
        entry_keys = sources[rows].astype(np.int64) * columns + present.indices[lo:hi]
        factor[lo:hi] = 1.0 - centring * share.data[np.searchsorted(share_keys, entry_keys)]
    return spread.astype(np.float32), factor


def vectorize(texts: Sequence[str], language: str, settings: TopicSettings,
               seed: int, sources: np.ndarray | None = None,
               ) -> TermSpace | None:
    """Return the TF-IDF matrices, the L2-normalised LSA projection, and the terms.

    TF-IDF as scikit-learn's TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2)) computes
    it, over hashed terms (_term_counts): no vocabulary of every pair of words is built,
    which is most of the time and memory on a large corpus. A term's name is only needed
    for labels, and is recovered from a sample of the posts. Each term's weight is then
    scaled by how widely blogs share it, and each use by how much its blog repeats it
    (:func:`blog_voice`; ``sources``: the blog of each text, every text its own when None).
    """
    n = len(texts)
    rng = np.random.default_rng(seed)
    fit_rows = rng.choice(n, size=min(n, max(settings.lsa_sample, settings.sample)),
                          replace=False)  # the first `sample` of them also name the terms
    counts = _term_counts(texts, stop_words(language))
    df = _column_sums(counts, counts.shape[1])  # no stored zero: the rows using each column
    min_df = 2 if n < 1000 else 3  # a term in one post groups nothing
    columns = np.flatnonzero((df >= min_df) & (df <= 0.5 * n))  # in most posts: tells none apart
    if len(columns) > settings.max_features:
        number = np.full(counts.shape[1], -1, dtype=np.int32)
        number[columns] = np.arange(len(columns), dtype=np.int32)
        weight = _column_sums(counts, len(columns), number, counts.data)
        del number
        columns = np.sort(columns[np.argsort(-weight, kind="stable")[: settings.max_features]])
    if len(columns) < 2:
        return None
    df = df[columns]
    tf = _renumbered(counts, columns, counts.data)
    del counts
    if sources is None:
        sources = np.arange(n)
    present = sp.csr_matrix((np.ones_like(tf.data), tf.indices, tf.indptr), shape=tf.shape)
    spread, centring = blog_voice(present, sources, settings.min_topic_blogs,
                                   settings.centring)
    del present
    np.log(tf.data, out=tf.data)
    tf.data += 1.0  # sublinear tf: 1 + log(count)
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    # The text as it is, voice included: what a cross-post shares with its original.
    # Each stored entry scaled in place: a product with a diagonal matrix did the same
    # arithmetic, and built the matrix again.
    plain = normalize(sp.csr_matrix((tf.data * idf[tf.indices], tf.indices, tf.indptr),
                                    shape=tf.shape), copy=False)
    keep = np.flatnonzero(spread > 0)
    tfidf, weights = plain, idf
    if len(keep) >= 2:
        weighted = np.zeros(len(columns), dtype=np.float32)
        weighted[keep] = idf[keep] * spread[keep]
        data = tf.data * centring
        data *= weighted[tf.indices]
        voiceless = normalize(_renumbered(tf, keep, data), copy=False)
        voiceless.eliminate_zeros()
        if voiceless.nnz > 0:
            tfidf, columns, weights = voiceless, columns[keep], idf[keep] * spread[keep]
    # If no term is shared by enough blogs there is no topic, but cross-posts all the same.
    topical = tfidf is not plain
    del tf

    n_components = min(settings.lsa_dims, len(columns) - 1, n - 1)
    if n_components < 2:
        return None
    # The topic directions of a few thousand posts are those of all of them, at a fraction
    # of the cost; every post is then projected on them.
    svd = TruncatedSVD(n_components=n_components, random_state=seed, n_iter=4)
    svd.fit(tfidf[np.sort(fit_rows)])
    vectors = normalize(svd.transform(tfidf)).astype(np.float32)

    # A term's name is only needed for labels: the terms of a sample of posts name them.
    names = _term_names([texts[int(i)] for i in fit_rows[: settings.sample]],
                        stop_words(language), columns)
    return TermSpace(plain=plain, tfidf=tfidf, vectors=vectors, terms=names, weights=weights,
                  topical=topical)


def _column_sums(matrix: sp.csr_matrix, width: int, number: np.ndarray | None = None,
                 data: np.ndarray | None = None, block: int = 2**20) -> np.ndarray:
    """Return how many entries (or the sum of ``data``) each column of ``matrix`` holds.

    ``number``: the column each column is counted as (-1: not counted), ``width`` of them.
    A block of entries at a time: a bincount of all 4 million entries of 20,000 posts at
    once made 64-bit copies of them, the peak of a fit's memory.
    """
    sums = np.zeros(width, dtype=np.int64 if data is None else np.float64)
    for start in range(0, matrix.nnz, block):
        at = matrix.indices[start:start + block]
        weights = None if data is None else data[start:start + block]
        if number is not None:
            at = number[at]
            counted = at >= 0
            at = at[counted]
            weights = None if weights is None else weights[counted]
        sums += np.bincount(at, weights=weights, minlength=width)
    return sums


def _renumbered(matrix: sp.csr_matrix, columns: np.ndarray, data: np.ndarray) -> sp.csr_matrix:
    """Return ``matrix`` with ``data`` for its values, cut to ``columns`` (sorted).

    Column ``columns[i]`` becomes column i; entries whose value is zero are left out, as
    a sparse product leaves them out. Each row keeps the order of its entries.
    """
    number = np.full(matrix.shape[1], -1, dtype=np.int32)
    number[columns] = np.arange(len(columns), dtype=np.int32)
    at = number[matrix.indices]
    kept = (at >= 0) & (data != 0)
    ends = np.concatenate(([0], np.cumsum(kept, dtype=matrix.indptr.dtype)))[matrix.indptr]
    return sp.csr_matrix((data[kept], at[kept], ends), shape=(matrix.shape[0], len(columns)))


def _term_names(sample: Sequence[str], stop: frozenset[str], columns: np.ndarray) -> list[str]:
    """Name each of ``columns`` (sorted) by the term of the ``sample`` texts hashed to it.

    When two terms share a column, the one used most in the sample names it (then the
    first in alphabetical order). Only the terms that name a column are ever strings.
    """
    names = [""] * len(columns)
    hashes = WordHashes(stop)
    # A chunk of texts at a time, as the counts are: the arrays of every code point of
    # 1,500 posts at once were the peak of a fit's memory.
    starts = range(0, max(len(sample), 1), 512)
    parts = [_word_hashes(sample[start:start + 512], hashes) for start in starts]
    doc = np.concatenate([part[0] + start for part, start in zip(parts, starts, strict=True)])
    h = np.concatenate([part[1] for part in parts])
    keep = ~np.concatenate([part[2] for part in parts])
    words = list(compress((w for text in sample for w in _tokens(text)), keep.tolist()))
    doc, h = doc[keep], h[keep]
    pair = np.flatnonzero(doc[1:] == doc[:-1])  # the first word of each pair
    column = np.concatenate([_columns(h), _columns(h[pair], h[pair + 1])])
    with np.errstate(over="ignore"):  # which term: a word's hash, or its pair's
        term = np.concatenate([h, _mix(h[pair] * np.uint64(0x9E3779B97F4A7C15) + h[pair + 1])
                               ^ np.uint64(1)])
    start = np.concatenate([np.arange(len(h)), pair])
    at = np.minimum(np.searchsorted(columns, column), max(len(columns) - 1, 0))
    hit = np.flatnonzero(columns[at] == column) if len(columns) else at[:0]
    at, term, start = at[hit], term[hit], start[hit]
    is_pair = hit >= len(h)
    order = np.lexsort((term, at))
    at, term, start, is_pair = at[order], term[order], start[order], is_pair[order]
    new = np.flatnonzero(np.r_[True, (at[1:] != at[:-1]) | (term[1:] != term[:-1])])
    uses = np.diff(np.r_[new, len(at)])
    best: dict[int, tuple[int, str]] = {}
    for i, k, used in zip(at[new].tolist(), new.tolist(), uses.tolist(), strict=True):
        p = int(start[k])
        name = f"{words[p]} {words[p + 1]}" if is_pair[k] else words[p]
        if i not in best or (-used, name) < (-best[i][0], best[i][1]):
            best[i] = (used, name)
    for i, (_, name) in best.items():
        names[i] = name
    return names


def _tokens(text: str) -> list[str]:
    """Return every word of ``text``, stop words included, as :func:`_word_hashes` sees them."""
    return (_ASCII_TOKEN if text.isascii() else _TOKEN).findall(text)


def _not_stop(hashes: np.ndarray, stop: frozenset[str]) -> np.ndarray:
    """Return which of the words (by hash) are not stop words."""
    if not stop:
        return np.ones(len(hashes), dtype=bool)
    stopped = _stop_hashes(stop)
    found: np.ndarray = stopped[np.minimum(np.searchsorted(stopped, hashes),
                                           len(stopped) - 1)] != hashes
    return found


@functools.lru_cache(maxsize=64)
def _stop_hashes(stop: frozenset[str]) -> np.ndarray:
    """Return the sorted hashes of ``stop``: once per language, not once per chunk of texts."""
    return np.array(sorted({word_hash(w) for w in stop}), dtype=np.uint64)
