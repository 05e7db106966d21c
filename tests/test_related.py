"""Related reading: only posts that are really alike; none rather than a wrong one (#17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import scipy.sparse as sp

from aggregator.similar import (
    chance_similarity,
    find_copies,
    neighbour_cosines,
    neighbours,
    related_posts,
)
from aggregator.topics import Document, find_topics

from .fakes import subject_blogs

END = datetime(2026, 11, 20, 9, tzinfo=UTC)
# Two library blogs on one thing: a manga club in the library (its own words, and the
# subject's). The lonely post shares only a line of the subject's words: alone in the
# topic space such a post points straight at a topic, and a fixed LSA cosine let it
# suggest that topic's posts ("psychic phenomena" suggesting an aviator's biography).
MANGA = ("Our librarian started a manga club: graphic novels, manga volumes and comics on "
         "the library shelves, borrowing every Friday. The manga club reads in the library, "
         "and the book club now argues about manga artists and graphic novels.",
         "A manga corner for the library: our librarian ordered manga volumes and graphic "
         "novels, the book club votes on which manga to borrow, and pupils draw comics of "
         "their own after reading for pleasure in the manga corner.")
LONELY = ("Parapsychology has tested telepathy, clairvoyance and precognition for a century. "
          "Ganzfeld sessions put a receiver in red light and white noise; psi results did not "
          "replicate, and Ouija boards show the ideomotor effect at work. Someone at book "
          "club asked about it.")


def _docs() -> list[Document]:
    """Nine voiced blogs on three subjects, a real pair on two of them, a lonely post."""
    docs = []
    for path, feed in subject_blogs(END, n=6).items():
        for entry in feed.entries:
            docs.append(Document(id=entry.link, text=entry.html, title=entry.title, group=path,
                                 published=entry.published, language="en"))
    extra = [("https://shelf.example/manga/", "/shelf.xml", "A manga club", MANGA[0]),
             ("https://atlas.example/manga/", "/atlas.xml", "Our manga corner", MANGA[1]),
             ("https://abacus.example/psi/", "/abacus.xml", "Research into psychic phenomena",
              LONELY)]
    for i, (link, group, title, text) in enumerate(extra):
        docs.append(Document(id=link, text=f"<p>{text}</p>", title=title, group=group,
                             published=END - timedelta(hours=i), language="en"))
    return docs


def test_a_post_with_no_real_neighbour_gets_no_related_reading() -> None:
    model = find_topics(_docs(), seed=0)
    assert model.topics  # the subjects make topics: the setting the site runs in
    assert model.related.get("https://abacus.example/psi/", ()) == ()


def test_a_real_pair_is_still_suggested() -> None:
    model = find_topics(_docs(), seed=0)
    assert "https://atlas.example/manga/" in model.related["https://shelf.example/manga/"]
    assert "https://shelf.example/manga/" in model.related["https://atlas.example/manga/"]
    assert any(model.related.values())  # and posts of one subject suggest each other


def test_chance_similarity_is_what_random_pairs_from_different_blogs_reach() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(400, 20))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = [f"blog{i % 8}" for i in range(400)]
    bar = chance_similarity(vectors, groups, quantile=0.99)
    assert 0.3 < bar < 0.8  # random 20-dimensional directions: about 0.5
    assert chance_similarity(vectors, groups, quantile=0.5) < bar
    assert chance_similarity(vectors, ["one"] * 400) == float("-inf")  # no pair to compare


def _brute_neighbours(vectors: np.ndarray, clusters: np.ndarray,
                      count: int) -> list[list[int]]:
    """Each row's ``count`` closest other rows of its topic (misc: of all), one at a time."""
    out = []
    for i, v in enumerate(vectors.astype(np.float64)):
        pool = [j for j in range(len(vectors)) if j != i
                and (clusters[i] == -1 or clusters[j] == clusters[i])]
        out.append(sorted(pool, key=lambda j: (-float(v @ vectors[j]), j))[:count])
    return out


@pytest.mark.parametrize("chunk", [7, 256])
def test_neighbours_are_the_closest_posts_of_the_topic(chunk: int) -> None:
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(300, 12)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    clusters = rng.integers(-1, 4, size=300)
    clusters[:3] = 9  # a topic of three posts: two neighbours each, then none
    index, sims = neighbours(vectors, clusters, count=5, chunk=chunk)
    for i, expected in enumerate(_brute_neighbours(vectors, clusters, 5)):
        assert index[i, :len(expected)].tolist() == expected
        np.testing.assert_allclose(sims[i, :len(expected)], vectors[expected] @ vectors[i],
                                   rtol=1e-5)
        assert (index[i, len(expected):] == -1).all()
        assert np.isneginf(sims[i, len(expected):]).all()


def test_neighbours_with_ties_still_take_the_closest() -> None:
    # Copies of one post: many rows at the same similarity as the last one taken.
    rng = np.random.default_rng(5)
    base = rng.normal(size=(40, 8)).astype(np.float32)
    vectors = np.repeat(base, 4, axis=0)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    clusters = np.zeros(len(vectors), dtype=np.intp)
    index, sims = neighbours(vectors, clusters, count=5)
    for i in range(len(vectors)):
        best = np.sort(np.delete(vectors @ vectors[i], i))[::-1][:5]
        np.testing.assert_allclose(sims[i], best, rtol=1e-5)
        assert i not in index[i].tolist()
        np.testing.assert_allclose(vectors[index[i]] @ vectors[i], sims[i], rtol=1e-5)


def _space() -> tuple[list[Document], sp.csr_matrix, np.ndarray]:
    """Posts of four blogs as L2-normalised sparse rows, some near-copies of others."""
    rng = np.random.default_rng(6)
    dense = rng.random((60, 40)) * (rng.random((60, 40)) < 0.3)
    dense[30:40] = dense[:10] + 0.01 * rng.random((10, 40))  # cross-posts, another blog
    for k in range(10, 15):  # pairs on one thing of their own: related reading
        shared = rng.random(40) * (rng.random(40) < 0.3)
        dense[2 * k] += 1.5 * shared
        dense[2 * k + 1] += 1.5 * shared
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    docs = [Document(id=f"p{i}", text="", group=f"blog{i % 4}" if i < 30 else "blog9",
                     published=END - timedelta(hours=i)) for i in range(60)]
    index = neighbours(dense.astype(np.float32), np.zeros(60, dtype=np.intp), count=6)[0]
    index[5, 3:] = -1  # missing neighbours
    return docs, sp.csr_matrix(dense.astype(np.float32)), index


def test_neighbour_cosines_are_each_pairs_tfidf_cosine_across_blogs() -> None:
    docs, tfidf, index = _space()
    cosines = neighbour_cosines(docs, tfidf, index)
    assert cosines.shape == index.shape
    dense = tfidf.toarray().astype(np.float64)
    for i, row in enumerate(index):
        for slot, j in enumerate(row.tolist()):
            if j < 0 or docs[i].group == docs[j].group:
                assert np.isnan(cosines[i, slot])
            else:
                assert cosines[i, slot] == pytest.approx(dense[i] @ dense[j], rel=1e-6)
    assert np.isnan(cosines).any() and not np.isnan(cosines).all()


def test_copies_and_related_reading_are_the_same_with_the_cosines_given() -> None:
    docs, tfidf, index = _space()
    cosines = neighbour_cosines(docs, tfidf, index)
    copies = find_copies(docs, tfidf, index, 0.9)
    assert copies  # the near-copies were found
    assert find_copies(docs, tfidf, index, 0.9, cosines=cosines) == copies
    similarity = np.zeros(index.shape, dtype=np.float32)
    alone = related_posts(docs, index, similarity, copies, count=3, threshold=0.3,
                          tfidf=tfidf)
    assert alone
    assert related_posts(docs, index, similarity, copies, count=3, threshold=0.3,
                         tfidf=tfidf, cosines=cosines) == alone
