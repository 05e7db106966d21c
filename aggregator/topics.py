"""Group posts into topics with TF-IDF, LSA and consensus k-means, and name each topic.

Pure logic: documents in, :class:`TopicModel` out; the seed and the previous run's
topics are passed in, so the same input always gives the same topics. The steps::

    clean (textclean.py)  -> one language at a time (declared, detected on evidence, or
                             the blog's: vocabulary.py)
    | TF-IDF (sublinear tf, 1-2 grams)   termspace.py
    | each blog's voice out -> terms weighted by how many blogs share them, each post
                             centred on its blog (termspace.blog_voice)
    | LSA + L2 normalise
    | consensus k-means   -> k from the data, tiny or loose clusters into "misc" (consensus.py)
    | catch-alls split    -> a topic over 30% with structure, or any topic that is two
                             subjects (consensus.split_large, split_mixtures); a topic
                             of most posts is found its own topics (_subjects_of_large),
                             each kept if it is a subject several blogs write and can be named
    | >= 3 blogs a topic  -> a cluster of fewer blogs is dissolved (_shared_by_blogs)
    | nearest neighbours  -> cross-posts (near-identical text on two blogs), related reading
                             (similar.py)
    | labels              -> the terms most distinctive of a topic, shared by its blogs
    | slugs               -> kept from the previous run's topic a new one resembles
    | profiles            -> what a new post is assigned by until the next fit (assign.py)

No k is told, and no threshold is tuned to a corpus: see benchmarks/topics_bbc.py for
how it fares on labelled news, next to baselines that are told k, and
benchmarks/topics_blogs.py for many blogs, each with a strong voice of its own.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from .assign import (
    PROFILE_TERMS,
    closeness,
    floor_of,
    term_vector,
)
from .consensus import consensus, gap, split_large, split_mixtures
from .models import MISC_SLUG, StoredTopic, Topic, TopicModel, TopicProfile
from .similar import find_copies, neighbour_cosines, neighbours, related_posts
from .slugs import slugify, unique_slug
from .termspace import TermSpace, analyzer, vectorize
from .textclean import TOPIC_WORDS, clean_posts
from .vocabulary import (
    base_language,
    display_case,
    guess_language,
    join_terms,
    language_name,
    pick_terms,
)

MODEL_VERSION = "5"  # bump when a change here should invalidate cached topics
# The site's topics do not follow the day's seed (that is the diamonds draw's): with one
# seed, a day with no new post finds the same topics, and a day with a few new ones keeps
# most posts where they were.
TOPIC_SEED = 0


@dataclass(frozen=True, slots=True)
class TopicSettings:
    """The knobs of the topic model; the defaults are what the site uses."""

    max_words: int = TOPIC_WORDS  # words of each (cleaned) post the model reads
    max_topics: int = 20  # per language
    lsa_dims: int = 100
    max_features: int = 20_000  # the most used terms (after the document-frequency limits)
    sample: int = 1500  # posts the consensus votes on (and that name terms); the rest join
    lsa_sample: int = 4000  # posts the LSA directions are fitted on; all are projected
    runs: int = 200  # k-means runs that vote in the consensus (fewer: a noisier k)
    max_topic_share: float = 0.3  # a larger topic is split again if it has structure
    min_topic_posts: int = 3  # smaller clusters go to misc (and at least 1% of the posts)
    # A topic is a subject several blogs write about: it holds posts of at least this many
    # blogs, and a term counts fully only when about this many blogs use it (_spread).
    min_topic_blogs: int = 3
    centring: float = 1.0  # how much of each blog's mean use of a term is taken out
    duplicate_similarity: float = 0.9  # TF-IDF cosine from which two posts are one text
    related_similarity: float = 0.3  # LSA cosine from which a post is worth suggesting
    related_count: int = 3
    # A refit reads the newest this many posts; older ones keep their topic (#14).
    fit_window: int = 20_000


@dataclass(frozen=True, slots=True)
class Document:
    """One post as the topic model sees it."""

    id: str
    text: str  # HTML or plain; also where labels find how their words are written
    group: str = ""  # the blog it comes from
    title: str = ""  # read as the text's first line
    # The post already cleaned (textclean.clean_posts, when it was read): read instead of
    # cleaning title and text again.
    clean: str | None = None
    language: str | None = None  # declared; detected from the text when None
    published: datetime | None = None  # the earliest of near-identical copies is kept


@dataclass
class _Group:
    label: str
    terms: tuple[str, ...]
    ids: list[str]
    profile: TopicProfile | None = None  # None: a language's shelf, never assigned to


def find_topics(
    docs: Sequence[Document],
    *,
    seed: int,
    previous: Sequence[StoredTopic] = (),
    settings: TopicSettings = TopicSettings(),
) -> TopicModel:
    """Cluster ``docs`` into topics; keep the slugs of ``previous`` topics that persist."""
    texts = _clean_all(docs, settings.max_words)
    by_language: dict[str, list[int]] = {}
    for i, language in enumerate(_languages(docs, texts)):
        by_language.setdefault(language, []).append(i)

    groups: list[_Group] = []
    misc: list[str] = []
    related: dict[str, tuple[str, ...]] = {}
    duplicates: dict[str, tuple[str, ...]] = {}
    vocabulary: dict[str, dict[str, float]] = {}
    for language in sorted(by_language, key=lambda code: (code != "en", code)):
        members = by_language[language]
        # BLAS and OpenMP threads spin and crawl when the machine is busy (a 13x slowdown
        # measured on 2 shared cores); the k-means votes run in threads of our own instead.
        with threadpool_limits(limits=1):
            found = _model_language(language, [docs[i] for i in members],
                                    [texts[i] for i in members], seed=seed, settings=settings)
        groups.extend(found.groups)
        related.update(found.related)
        duplicates.update(found.duplicates)
        if found.vocabulary:
            vocabulary[language] = found.vocabulary
        if language == "en":
            misc.extend(found.misc)
        elif found.misc:  # never into an English "misc": a group of their own language
            more = "More in" if found.groups else "In"
            groups.append(_Group(f"{more} {language_name(language)}", (f"in-{language}",),
                                 found.misc))
    topics = _assign_slugs(groups, previous, present={d.id for d in docs})
    profiles = {t.slug: g.profile for t, g in zip(topics, groups, strict=True)
                if g.profile is not None}
    return TopicModel(topics=tuple(topics), misc=tuple(misc), related=related,
                      duplicates=duplicates, profiles=profiles, vocabulary=vocabulary)


def _languages(docs: Sequence[Document], texts: Sequence[str]) -> list[str]:
    """Return the base language of each document: declared, else detected, else its blog's.

    A post is put in another language than English only on evidence: its (or its feed's)
    declared language, or enough of that language's function words for its length
    (vocabulary.guess_language). A post too short to tell takes the language most of its
    blog's posts are in, and English if they cannot tell either.
    """
    guesses = [base_language(d.language) or guess_language(t) for d, t in zip(docs, texts,
                                                                               strict=True)]
    votes: dict[str, Counter[str]] = {}
    for d, guess in zip(docs, guesses, strict=True):
        if guess is not None and d.group:
            votes.setdefault(d.group, Counter())[guess] += 1
    blog_language = {group: max(sorted(c.items()), key=lambda item: item[1])[0]
                     for group, c in votes.items()}
    return [guess or blog_language.get(d.group, "en")
            for d, guess in zip(docs, guesses, strict=True)]


def _clean_all(docs: Sequence[Document], max_words: int) -> list[str]:
    """Clean every text, dropping the lines a blog repeats in most of its posts."""
    out = [""] * len(docs)
    by_group: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        if d.clean is not None:  # cleaned to TOPIC_WORDS words: cut only to fewer
            out[i] = (d.clean if max_words >= TOPIC_WORDS else
                      " ".join(d.clean.split(maxsplit=max_words)[:max_words]))
        else:
            by_group.setdefault(d.group, []).append(i)
    for group, members in by_group.items():  # a blog at a time: its lines are then let go
        texts = [_head(docs[i], max_words * 40) for i in members]
        for i, text in zip(members, clean_posts(texts, max_words=max_words,
                                                footers=bool(group)), strict=True):
            out[i] = text
    return out


def _head(doc: Document, chars: int) -> str:
    """Return the title and the start of the text of ``doc``."""
    return f"{doc.title}\n{doc.text[:chars]}" if doc.title else doc.text[:chars]


@dataclass
class _Found:
    groups: list[_Group] = field(default_factory=list)
    misc: list[str] = field(default_factory=list)
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    duplicates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    vocabulary: dict[str, float] = field(default_factory=dict)  # the profiles' term weights


def _model_language(language: str, docs: list[Document], texts: list[str], *, seed: int,
                    settings: TopicSettings) -> _Found:
    """Find the topics, cross-posts and related posts among the posts of one language."""
    ids = [d.id for d in docs]
    sources = _sources(docs)
    space = vectorize(texts, language, settings, seed, sources=sources)
    if space is None:  # no term in common: nothing to group by
        return _Found(misc=ids)
    tfidf, vectors, terms = space.tfidf, space.vectors, space.terms
    min_size = max(settings.min_topic_posts, math.ceil(0.01 * len(docs)))
    if not space.topical:  # too few blogs share any term: cross-posts and related only
        labels = np.full(len(docs), -1, dtype=np.intp)
    else:
        labels, clarity = consensus(vectors, seed=seed, min_size=min_size,
                                    sample=settings.sample, runs=settings.runs,
                                    max_k=settings.max_topics,
                                    max_share=settings.max_topic_share)
        labels = split_large(vectors, labels, seed=seed, min_size=min_size,
                             sample=settings.sample, runs=settings.runs,
                             max_share=settings.max_topic_share, clarity=clarity,
                             separation=gap(vectors, labels, seed=seed,
                                            sample=settings.sample)[0])
        labels = _named_pieces(labels, split_mixtures(vectors, labels, seed=seed,
                                                      sample=settings.sample),
                               space, sources, language, settings.min_topic_blogs)
        labels = _named_pieces(labels, _subjects_of_large(vectors, labels, seed=seed,
                                                          min_size=min_size, settings=settings),
                               space, sources, language, settings.min_topic_blogs)
        labels = _shared_by_blogs(vectors, labels, sources, settings.min_topic_blogs)
    index, similarity = neighbours(vectors, labels, count=settings.related_count + 8)
    cosines = neighbour_cosines(docs, space.plain, index)  # once, for copies and related
    copies = find_copies(docs, space.plain, index, settings.duplicate_similarity,
                         cosines=cosines)
    found = _Found(related=related_posts(docs, index, similarity, copies,
                                         count=settings.related_count,
                                         threshold=settings.related_similarity,
                                         tfidf=space.plain, cosines=cosines))
    duplicates: dict[str, list[str]] = {}
    for copy, original in sorted(copies.items()):
        duplicates.setdefault(ids[original], []).append(ids[copy])
        labels[copy] = -2  # shown once, with the copy that is kept
    found.duplicates = {kept: tuple(copied) for kept, copied in duplicates.items()}
    total = np.asarray(tfidf.sum(axis=0)).ravel()
    profiled: list[np.ndarray] = []
    for cluster in sorted(set(labels.tolist()) - {-1, -2}):
        rows = np.flatnonzero(labels == cluster)
        label_terms = _label_terms(tfidf, rows, terms, language, sources=sources,
                                   min_blogs=settings.min_topic_blogs, total=total)
        if len(label_terms) < 2:  # nothing distinctive to name it by: not a topic
            found.misc.extend(ids[i] for i in rows)
            continue
        # Titles are left out: many are in Title Case, which says nothing of a word.
        sample = [docs[i].text[:5000] for i in rows[:100]]  # enough to tell "Blair" from "blair"
        shown = [display_case(term, sample) for term in label_terms]
        found.groups.append(_Group(_label(shown, language), tuple(label_terms),
                                   [ids[i] for i in rows]))
        profiled.append(rows)
    found.misc.extend(ids[i] for i in np.flatnonzero(labels == -1))
    found.vocabulary = _profiles(found.groups, profiled, space, texts, language, seed)
    return found


def _profiles(groups: Sequence[_Group], members: Sequence[np.ndarray], space: TermSpace,
              texts: Sequence[str], language: str, seed: int) -> dict[str, float]:
    """Give each group its profile (assign.py); return the weights of the profiles' terms.

    A profile is the heaviest terms of the group's centre in the clustering's TF-IDF; its
    floor is measured on a sample of the language's posts, in the space of every
    profile's terms, where new posts are measured too.
    """
    centres: list[dict[str, float]] = []
    for rows in members:
        mean = np.asarray(space.tfidf[rows].mean(axis=0)).ravel()
        top = [int(c) for c in np.argsort(-mean, kind="stable")[:PROFILE_TERMS]
               if mean[c] > 0 and space.terms[c]]
        centres.append({space.terms[c]: float(mean[c]) for c in top})
    column = {name: c for c, name in enumerate(space.terms) if name}
    vocabulary = {t: float(space.weights[column[t]]) for centre in centres for t in centre}
    words_of = analyzer(language)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(texts), size=min(len(texts), 600), replace=False))
    vectors = [term_vector(words_of(texts[int(i)]), vocabulary) for i in sample]
    for group, rows, terms in zip(groups, members, centres, strict=True):
        profile = TopicProfile(language=language, terms=terms, floor=0.0)
        own = np.isin(sample, rows)
        near = [closeness(v, profile) for v in vectors]
        group.profile = replace(profile, floor=floor_of(
            [c for c, mine in zip(near, own, strict=True) if not mine],
            [c for c, mine in zip(near, own, strict=True) if mine]))
    return vocabulary

def _sources(docs: Sequence[Document]) -> np.ndarray:
    """Return the blog of each document as a number; a document with no blog is its own."""
    numbers: dict[str, int] = {}
    out = np.empty(len(docs), dtype=np.intp)
    for i, d in enumerate(docs):
        out[i] = numbers.setdefault(d.group or f"\0{i}", len(numbers))
    return out


def _shared_by_blogs(vectors: np.ndarray, labels: np.ndarray, sources: np.ndarray,
                     min_blogs: int) -> np.ndarray:
    """Dissolve each cluster written by fewer than ``min_blogs`` blogs.

    A topic is a subject several blogs write about, never one blog's corner. Each post of a
    dissolved cluster joins the remaining topic it is closest to, if it is at least as
    close to it as that topic's own posts are on average to the corpus, else misc.
    """
    labels = labels.copy()
    clusters = sorted(set(labels.tolist()) - {-1})
    blogs = {c: len(set(sources[labels == c].tolist())) for c in clusters}
    kept = [c for c in clusters if blogs[c] >= min_blogs]
    dissolved = np.flatnonzero(np.isin(labels, [c for c in clusters if blogs[c] < min_blogs]))
    if len(dissolved) == 0:
        return labels
    labels[dissolved] = -1
    if not kept:
        return labels
    overall = float(np.mean(vectors @ normalize(vectors.mean(axis=0, keepdims=True)).ravel()))
    centers = normalize(np.stack([vectors[labels == c].mean(axis=0) for c in kept]))
    closeness = vectors[dissolved] @ centers.T
    best = np.argmax(closeness, axis=1)
    near = closeness[np.arange(len(dissolved)), best] > overall
    labels[dissolved[near]] = np.array(kept)[best[near]]
    return labels


def _subjects_of_large(vectors: np.ndarray, labels: np.ndarray, *, seed: int, min_size: int,
                       settings: TopicSettings) -> np.ndarray:
    """Return ``labels`` with a topic of most of the posts cut into its own topics.

    :func:`consensus.split_large` splits a large topic only when its pieces are about as
    distinct as the topics beside them. Beside a few blogs whose subjects stand far apart
    (three podcasts on phonics, study habits, robotics), the many blogs writing on
    ordinary school subjects can look like one topic of three quarters of the posts
    ("Term, teacher & answer"), though alone they are nine. A topic holding more than
    half of the posts is no subject but the rest of the corpus: it is found its topics
    the way a corpus is (k from the data, no group over the largest share where a
    long-lived cut allows it); its first group keeps its label. The caller keeps only the
    pieces that are subjects (:func:`_named_pieces`). A large topic beside others of its
    size (three subjects of a third each) is left to split_large.
    """
    out = labels.copy()
    next_label = int(labels.max(initial=-1)) + 1
    for cluster in sorted(set(labels.tolist()) - {-1}):
        rows = np.flatnonzero(labels == cluster)
        if 2 * len(rows) <= len(labels):
            continue
        inner, _ = consensus(vectors[rows], seed=seed, min_size=min_size,
                             sample=settings.sample, runs=settings.runs,
                             max_k=settings.max_topics,
                             max_share=settings.max_topic_share * len(labels) / len(rows))
        groups = sorted(set(inner.tolist()) - {-1})
        for group in groups[1:]:
            out[rows[inner == group]] = next_label
            next_label += 1
    return out


def _named_pieces(before: np.ndarray, after: np.ndarray, space: TermSpace,
                  sources: np.ndarray, language: str, min_blogs: int) -> np.ndarray:
    """Return ``after`` (topics split in two), with each split undone that named no subject.

    A topic is split (consensus.split_mixtures) to give readers two subjects; a piece that
    fewer than ``min_blogs`` blogs write, or that has no two terms of its own to be named
    by, is no subject (often the vaguer half of a topic: posts that say little), and would
    only go to misc. Its topic is then kept whole.
    """
    pieces = sorted(set(after.tolist()) - set(before.tolist()))
    if not pieces:  # nothing was split: the usual case
        return after
    out = after.copy()
    total = np.asarray(space.tfidf.sum(axis=0)).ravel()
    for piece in pieces:
        rows = np.flatnonzero(after == piece)
        parent = int(before[rows[0]])
        kept = np.flatnonzero(after == parent)
        named = all(
            len(set(sources[members].tolist())) >= min_blogs
            and len(_label_terms(space.tfidf, members, space.terms, language, sources=sources,
                                 min_blogs=min_blogs, total=total)) >= 2
            for members in (rows, kept))
        if not named:
            out[rows] = parent
    return out


def _label_terms(tfidf: sp.csr_matrix, rows: np.ndarray, terms: Sequence[str],
                 language: str, count: int = 3, *, sources: np.ndarray | None = None,
                 min_blogs: int = 1, total: np.ndarray | None = None) -> list[str]:
    """Return the terms most distinctive of ``rows`` against the other posts.

    Only terms that posts of at least ``min_blogs`` of the topic's blogs (``sources``: the
    blog of each row) use: a label names what the topic's blogs share. ``total``: the
    column sums of ``tfidf``, when already known.
    """
    sub = tfidf[rows]
    width = tfidf.shape[1]
    inside = np.asarray(sub.mean(axis=0)).ravel()
    outside_rows = tfidf.shape[0] - len(rows)
    if total is None:
        total = np.asarray(tfidf.sum(axis=0)).ravel()
    outside = (total - inside * len(rows)) / max(outside_rows, 1)
    floor = 1.0 / max(tfidf.shape[0], 1) * float(inside.max(initial=0.0)) + 1e-6
    present = np.bincount(sub.indices, minlength=width) / max(len(rows), 1)
    # What the topic says a lot, and the rest says rarely (a KL divergence term), among
    # terms that at least 1 post in 10 of the topic uses.
    score = inside * np.log((inside + floor) / (outside + floor))
    score[present < 0.1] = 0.0
    if sources is not None and min_blogs > 1:
        own, blog_of_row = np.unique(sources[rows], return_inverse=True)
        owner = sp.csr_matrix((np.ones(len(rows), dtype=np.float32),
                               (blog_of_row, np.arange(len(rows)))), shape=(len(own), len(rows)))
        per_blog = (owner @ sub).tocsr()  # one stored entry per (blog, term) used
        blogs = np.bincount(per_blog.indices, minlength=width)  # the topic's blogs using each
        score[blogs < min(min_blogs, len(own))] = 0.0
    return pick_terms(score, terms, language, count)


def _label(terms: Sequence[str], language: str) -> str:
    label = join_terms(terms)
    return label if language == "en" else f"{label} ({language_name(language)})"


def _assign_slugs(groups: Sequence[_Group], previous: Sequence[StoredTopic], *,
                  present: set[str]) -> list[Topic]:
    """Give each group the slug of the previous topic it most resembles, else a new slug.

    Resemblance is the Jaccard overlap of their posts, counting only posts still here:
    new posts and removed blogs shift a topic a little without renaming it.
    """
    pairs: list[tuple[float, int, str]] = []
    for gi, group in enumerate(groups):
        members = set(group.ids)
        for old in previous:
            old_members = set(old.post_uids) & present
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
    for gi, group in enumerate(groups):
        topic_slug = chosen.get(gi)
        if topic_slug is None:
            base = slugify("-".join(group.terms), max_length=48) or "topic"
            topic_slug = unique_slug(base, taken)
            taken.add(topic_slug)
        topics.append(Topic(slug=topic_slug, label=group.label, terms=group.terms,
                            post_uids=tuple(group.ids)))
    return topics


def read_corpus(lines: Iterable[str]) -> list[Document]:
    """Return the documents of a JSON-lines corpus: ``{"id": ..., "text": ...}`` per line.

    Other keys are ignored; blank lines are skipped. Raise ValueError naming the line
    of a malformed record.
    """
    docs: list[Document] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            docs.append(Document(id=str(row["id"]), text=str(row["text"])))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"line {number}: not a {{\"id\", \"text\"}} JSON object ({e})") from e
    return docs


def assignments(model: TopicModel, docs: Sequence[Document]) -> list[tuple[str, str]]:
    """Return ``(id, topic slug or "misc")`` for every document, in order.

    A cross-post copy gets the topic of the copy that was kept.
    """
    topic_of = {uid: t.slug for t in model.topics for uid in t.post_uids}
    for kept, copies in model.duplicates.items():
        for copy in copies:
            topic_of[copy] = topic_of.get(kept, MISC_SLUG)
    return [(d.id, topic_of.get(d.id, MISC_SLUG)) for d in docs]
