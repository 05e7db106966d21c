"""Group posts into topics with TF-IDF, LSA and k-means, and name each topic.

Pure logic: documents in, :class:`TopicModel` out; the seed and the previous run's
topics are passed in, so the same input always gives the same topics.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from .models import Topic
from .store import StoredTopic, slugify, unique_slug

MISC_SLUG = "misc"
MISC_LABEL = "More to explore"

# Words every blog uses that say nothing about what a post is about.
DOMAIN_STOP_WORDS = frozenset("""
post posts blog blogs read comment comments reply share shared click link links
week weeks today year years day days time just really like think thing things way lot
make made going get got know want need new good great use used using also one two three
first last next back still even much many well may might could would should will can
""".split())
_URL = re.compile(r"https?://\S+|www\.\S+")
_STOP = frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOP_WORDS


@dataclass(frozen=True, slots=True)
class Document:
    """One post as the topic model sees it."""

    id: str
    text: str
    group: str = ""  # the blog it comes from
    language: str | None = None


@dataclass(frozen=True, slots=True)
class TopicModel:
    """The topics found in a set of documents."""

    topics: tuple[Topic, ...]
    misc: tuple[str, ...]  # documents that fit no topic well ("more to explore")
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)


def clean_text(text: str) -> str:
    """Return ``text`` lowercased, with URLs removed."""
    return _URL.sub(" ", text.lower())


def find_topics(
    docs: Sequence[Document],
    *,
    seed: int,
    previous: Sequence[StoredTopic] = (),
    max_topics: int = 12,
) -> TopicModel:
    """Cluster ``docs`` into topics; keep the slugs of ``previous`` topics that persist."""
    english = [d for d in docs if _is_english(d.language)]
    by_language: dict[str, list[Document]] = {}
    for d in docs:
        if not _is_english(d.language):
            by_language.setdefault(_base_language(d.language), []).append(d)

    groups, misc, related = _cluster_english(english, seed=seed, max_topics=max_topics)
    for language, members in sorted(by_language.items()):
        label = f"Posts in {_language_name(language)}"
        groups.append((label, (language,), [d.id for d in members]))

    topics = _assign_slugs(groups, previous)
    return TopicModel(topics=tuple(topics), misc=tuple(misc), related=related)


def _is_english(language: str | None) -> bool:
    return language is None or _base_language(language) == "en"


def _base_language(language: str | None) -> str:
    return (language or "en").split("-")[0].split("_")[0].lower()


_LANGUAGE_NAMES = {"es": "Español", "fr": "Français", "de": "Deutsch", "pt": "Português",
                   "it": "Italiano", "nl": "Nederlands", "ca": "Català", "sv": "Svenska"}


def _language_name(code: str) -> str:
    return _LANGUAGE_NAMES.get(code, code)


def _cluster_english(
    docs: Sequence[Document], *, seed: int, max_topics: int
) -> tuple[list[tuple[str, tuple[str, ...], list[str]]], list[str], dict[str, tuple[str, ...]]]:
    if len(docs) < 6:
        return [], [d.id for d in docs], {}
    vectorizer = TfidfVectorizer(
        preprocessor=clean_text, stop_words=sorted(_STOP), sublinear_tf=True,
        ngram_range=(1, 2), min_df=2, max_df=0.5, max_features=30_000,
        token_pattern=r"(?u)\b[a-z][a-z]+\b",
    )
    try:
        tfidf = vectorizer.fit_transform([d.text for d in docs])
    except ValueError:  # no term survives (e.g. every text empty)
        return [], [d.id for d in docs], {}
    terms = vectorizer.get_feature_names_out()
    n_components = max(2, min(100, tfidf.shape[1] - 1, len(docs) - 1))
    svd = TruncatedSVD(n_components=n_components, random_state=seed)
    vectors = normalize(svd.fit_transform(tfidf))

    best_labels: np.ndarray | None = None
    best_score = -1.0
    for k in range(2, min(max_topics, len(docs) // 4) + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
            except ConvergenceWarning:
                break  # fewer distinct points than k: more clusters cannot help
        score = float(silhouette_score(vectors, labels, random_state=seed))
        if score > best_score:
            best_score, best_labels = score, labels
    if best_labels is None:
        return [], [d.id for d in docs], {}

    min_size = max(3, len(docs) // 50)
    groups: list[tuple[str, tuple[str, ...], list[str]]] = []
    misc: list[str] = []
    overall = np.asarray(tfidf.mean(axis=0)).ravel()
    for cluster in sorted(set(best_labels.tolist())):
        members = np.flatnonzero(best_labels == cluster)
        ids = [docs[int(i)].id for i in members]
        if len(members) < min_size:
            misc.extend(ids)
            continue
        inside = np.asarray(tfidf[members].mean(axis=0)).ravel()
        label_terms = _label_terms(inside - overall, terms)
        if not label_terms:
            misc.extend(ids)
            continue
        groups.append((_label(label_terms), tuple(label_terms), ids))

    related = _related(docs, vectors)
    return groups, misc, related


def _label_terms(weights: np.ndarray, terms: np.ndarray, count: int = 3) -> list[str]:
    chosen: list[str] = []
    stems: set[str] = set()
    for i in np.argsort(-weights):
        if weights[i] <= 0 or len(chosen) == count:
            break
        term = str(terms[i])
        words = term.split()
        if any(w in _STOP for w in words):
            continue
        term_stems = {_stem(w) for w in words}
        if term_stems & stems:
            continue
        chosen.append(term)
        stems |= term_stems
    return chosen


def _stem(word: str) -> str:
    for suffix in ("ing", "ers", "ies", "es", "ed", "er", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _label(terms: Sequence[str]) -> str:
    return ", ".join(terms).capitalize()


def _related(docs: Sequence[Document], vectors: np.ndarray, count: int = 3,
             threshold: float = 0.35) -> dict[str, tuple[str, ...]]:
    similarity = vectors @ vectors.T
    related: dict[str, tuple[str, ...]] = {}
    for i, doc in enumerate(docs):
        picks: list[str] = []
        for j in np.argsort(-similarity[i], kind="stable"):
            if len(picks) == count or similarity[i, j] < threshold:
                break
            if j != i and docs[j].group != doc.group:
                picks.append(docs[j].id)
        if picks:
            related[doc.id] = tuple(picks)
    return related


def _assign_slugs(
    groups: Sequence[tuple[str, tuple[str, ...], list[str]]],
    previous: Sequence[StoredTopic],
) -> list[Topic]:
    """Give each group the slug of the previous topic it most resembles, else a new slug."""
    pairs: list[tuple[float, int, str]] = []
    for gi, (_, _, ids) in enumerate(groups):
        members = set(ids)
        for old in previous:
            old_members = set(old.post_uids)
            union = members | old_members
            overlap = len(members & old_members) / len(union) if union else 0.0
            if overlap >= 0.3:
                pairs.append((overlap, gi, old.slug))
    chosen: dict[int, str] = {}
    used: set[str] = set()
    for _, gi, slug in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if gi not in chosen and slug not in used:
            chosen[gi] = slug
            used.add(slug)
    taken = {old.slug for old in previous} | used | {MISC_SLUG}
    topics: list[Topic] = []
    for gi, (label, terms, ids) in enumerate(groups):
        topic_slug = chosen.get(gi)
        if topic_slug is None:
            topic_slug = unique_slug(slugify("-".join(terms), max_length=48) or "topic", taken)
            taken.add(topic_slug)
        topics.append(Topic(slug=topic_slug, label=label, terms=terms, post_uids=tuple(ids)))
    return topics
