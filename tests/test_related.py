"""Related reading: only posts that are really alike; none rather than a wrong one (#17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from aggregator.similar import chance_similarity
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
