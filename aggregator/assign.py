"""Put new posts in the topics already found, without clustering everything again (#14).

A build that brings a hundred new posts to a site of a hundred thousand need not refit
the topic model: each topic keeps a *profile* (the heaviest terms of its centre, in the
space the model clustered in: TF-IDF with each blog's voice taken out), and a new post
joins the topic whose profile it is closest to, if it is closer to it than nearly all the
posts the model put elsewhere are (the topic's *floor*); otherwise it goes where the model
puts what fits no topic (misc, or its language's shelf). The model is fitted again when
that is due (:func:`refit_due`): after a fixed age, or once the posts added since make up
a tenth of those it was fitted on, or when a post in a language it has not seen arrives.

Pure logic: the stored model and the posts go in, the model with the new posts in it
comes out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from scipy import sparse

from .models import Fit, Topic, TopicProfile

PROFILE_TERMS = 200  # terms of a topic's centre kept in its profile
OUTSIDE_SHARE = 0.05  # a new post joins if closer than all but this share of the others


@dataclass(frozen=True, slots=True)
class RefitPolicy:
    """When the topic model is fitted again rather than new posts assigned to it."""

    max_age_days: int = 7  # a week's drift: new subjects get a chance to become topics
    max_new_share: float = 0.1  # new posts since the fit, against the posts it was fit on


def refit_due(fit: Fit | None, *, today: date, new_posts: int, policy: RefitPolicy,
              languages_known: bool = True) -> bool:
    """Return whether the model must be fitted again today rather than added to."""
    if fit is None or not languages_known:
        return True
    age = (today - fit.day).days
    if age < 0 or age >= policy.max_age_days:  # a build dated before the fit: refit too
        return True
    return new_posts > policy.max_new_share * max(fit.posts, 1)


def term_vector(words: Sequence[str], weights: Mapping[str, float]) -> dict[str, float]:
    """Return a text's TF-IDF over the terms of ``weights`` (term -> column weight).

    ``words``: the text's words as the model's analyzer reads them. The terms are the
    words and pairs of neighbours, counted with sublinear tf (1 + log count), as the
    model does; terms without a weight are left out, and the vector is L2-normalised
    over what is left, which is how profiles and floors are measured too.
    """
    counts = Counter(words)
    counts.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    vector = {t: (1.0 + math.log(c)) * weights[t] for t, c in counts.items() if t in weights}
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm > 0 else {}


def closeness(vector: Mapping[str, float], profile: TopicProfile) -> float:
    """Return the cosine of a :func:`term_vector` and a profile's centre."""
    norm = math.sqrt(sum(w * w for w in profile.terms.values()))
    if norm == 0:
        return 0.0
    return sum(v * profile.terms.get(t, 0.0) for t, v in vector.items()) / norm


def floor_of(outside: Sequence[float], inside: Sequence[float]) -> float:
    """Return a topic's floor from how close other posts and its own are to its profile.

    A post belongs when it is closer than nearly all the posts the model put elsewhere
    (``outside``: other topics' and misc; all but ``OUTSIDE_SHARE`` of them). A topic with
    no outside (the only one of its language) takes the closeness of nearly all its own.
    """
    if outside:
        ordered = sorted(outside)
        return ordered[min(len(ordered) - 1, int((1 - OUTSIDE_SHARE) * len(ordered)))]
    ordered = sorted(inside)
    return ordered[int(OUTSIDE_SHARE * len(ordered))] if ordered else 1.0


@dataclass(frozen=True, slots=True)
class NewPost:
    """A post the stored model has not seen, as the assignment reads it."""

    id: str
    language: str  # base code, as the model decided it (declared, detected or the blog's)
    words: tuple[str, ...]  # the model's analyzer over its cleaned text


def assign_new(topics: Sequence[Topic], misc: Sequence[str], new: Iterable[NewPost], *,
               profiles: Mapping[str, TopicProfile],
               weights: Callable[[str], Mapping[str, float]],
               shelves: Mapping[str, str]) -> tuple[list[Topic], list[str]]:
    """Return ``topics`` and ``misc`` with each of ``new`` added where it belongs.

    A post joins the topic of its language it is closest to if it reaches that topic's
    floor; else its language's shelf (``shelves``: language -> slug of "In French"...),
    and English posts or languages without a shelf go to misc. ``weights``: the column
    weights of a language's terms.
    """
    added: dict[str, list[str]] = {}
    more_misc: list[str] = []
    by_language: dict[str, list[tuple[str, TopicProfile]]] = {}
    for slug, profile in sorted(profiles.items()):
        by_language.setdefault(profile.language, []).append((slug, profile))
    scorers: dict[str, _LanguageScorer] = {}
    for batch in _batches(new, BATCH_POSTS):
        for language, posts in _by_language(batch).items():
            if language not in scorers:
                scorers[language] = _LanguageScorer(by_language.get(language, []),
                                                    weights(language))
            for post, best in zip(posts, scorers[language].best(posts), strict=True):
                target = best or shelves.get(post.language)
                if target is None:
                    more_misc.append(post.id)
                else:
                    added.setdefault(target, []).append(post.id)
    out = [replace(t, post_uids=t.post_uids + tuple(added.get(t.slug, ()))) for t in topics]
    return out, [*misc, *more_misc]


BATCH_POSTS = 2000  # posts scored at once: memory follows the batch, not the history


def _batches(posts: Iterable[NewPost], size: int) -> Iterator[list[NewPost]]:
    batch: list[NewPost] = []
    for post in posts:
        batch.append(post)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _by_language(posts: Sequence[NewPost]) -> dict[str, list[NewPost]]:
    grouped: dict[str, list[NewPost]] = {}
    for post in posts:
        grouped.setdefault(post.language, []).append(post)
    return grouped


class _LanguageScorer:
    """A language's profiles as one matrix: a batch of posts scored in one product."""

    def __init__(self, profiles: Sequence[tuple[str, TopicProfile]],
                 weights: Mapping[str, float]) -> None:
        self.slugs = [slug for slug, _ in profiles]
        self.weights = weights
        self.column = {t: i for i, t in enumerate(sorted(
            {t for _, p in profiles for t in p.terms}))}
        rows = np.zeros((len(profiles), len(self.column)))
        for r, (_, p) in enumerate(profiles):
            norm = math.sqrt(sum(w * w for w in p.terms.values()))
            if norm > 0:
                for t, w in p.terms.items():
                    rows[r, self.column[t]] = w / norm
        self.profiles = rows.T  # columns: profiles
        self.floors = np.array([p.floor for _, p in profiles])

    def best(self, posts: Sequence[NewPost]) -> list[str | None]:
        """Return the slug each post joins (closest profile reaching its floor), or None."""
        if not self.slugs:
            return [None] * len(posts)
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for post in posts:  # normalised over every weighted term, as closeness reads it
            for t, v in term_vector(post.words, self.weights).items():
                col = self.column.get(t)
                if col is not None:
                    indices.append(col)
                    data.append(v)
            indptr.append(len(data))
        matrix = sparse.csr_matrix((data, indices, indptr),
                                   shape=(len(posts), len(self.column)))
        scores = np.asarray(matrix @ self.profiles)
        scores = np.where(scores >= self.floors, scores, -np.inf)
        best = np.argmax(scores, axis=1)  # the first of equals: sorted slug order
        return [self.slugs[int(b)] if np.isfinite(scores[i, b]) and scores[i, b] > -1.0
                else None for i, b in enumerate(best)]


def without(topics: Sequence[Topic], misc: Sequence[str], gone: set[str],
            ) -> tuple[list[Topic], list[str]]:
    """Return ``topics`` and ``misc`` without the posts in ``gone`` (removed since)."""
    return ([replace(t, post_uids=tuple(u for u in t.post_uids if u not in gone))
             for t in topics], [u for u in misc if u not in gone])

