"""Keep the topic model between builds: reuse it, add new posts to it, or fit it again (#14).

The topics stage of a daily build costs what changed: :func:`cached_topics` reuses the
stored model when no post changed, puts new posts in the stored topics (assign.py) until
a refit is due, and refits on the newest ``TopicSettings.fit_window`` posts only, older
posts keeping their topic. The model itself is found by :mod:`aggregator.topics` (pure:
documents in, a model out) and kept by the store (:mod:`aggregator.derived`).

Its memory does not grow with the history: a Document may come without its cleaned words
(``clean`` None), which are then read from the store (``topic_words``) as they are needed:
the window's posts for a fit, the older ones a blog at a time as they are placed, the
fingerprint's a chunk at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Protocol

from . import topics as clustering  # find_topics looked up when called: tests replace it
from .assign import NewPost, RefitPolicy, assign_new, refit_due, without
from .diamonds import DiamondSettings
from .models import Fit, StoredTopic, TextWindow, TopicModel
from .termspace import analyzer
from .topics import (
    MODEL_VERSION,
    TOPIC_SEED,
    Document,
    TopicSettings,
    _clean_all,
    _languages,
)

DEFAULT_SETTINGS = TopicSettings()
_DRAW = DiamondSettings()


def text_window(settings: TopicSettings = DEFAULT_SETTINGS,
                diamonds: DiamondSettings = _DRAW) -> TextWindow:
    """Return which posts keep their text: what a refit reads, and what the diamonds may pick.

    A refit reads the newest ``settings.fit_window`` posts; the diamonds draw looks back
    at most its widest window. An older post is past both: it keeps no text (#14).
    """
    return TextWindow(posts=settings.fit_window,
                      days=max(diamonds.window_days, *diamonds.wider_windows))


# uids -> the stored cleaned words of those that have them (derived.topic_words)
WordLookup = Callable[[Sequence[str]], Mapping[str, str]]
LOOKUP_CHUNK = 5000  # posts whose words the fingerprint reads at once


def _no_words(uids: Sequence[str]) -> Mapping[str, str]:
    return {}


def with_words(docs: Sequence[Document], words: WordLookup) -> list[Document]:
    """Return ``docs``, those without their cleaned words given the ones ``words`` keeps.

    A Document without them (``clean`` None) that the store has none for either is
    cleaned from its title and text, as before.
    """
    missing = [d.id for d in docs if d.clean is None]
    found = words(missing) if missing else {}
    if not found:
        return list(docs)
    return [replace(d, clean=found[d.id]) if d.clean is None and d.id in found else d
            for d in docs]


def fingerprint(docs: Sequence[Document], settings: TopicSettings = DEFAULT_SETTINGS,
                words: WordLookup = _no_words) -> str:
    """Return a digest of everything the topics depend on: the posts and the model.

    A post's cleaned words count whether the Document holds them or ``words`` has them
    (read a chunk at a time): the same posts give the same digest either way.
    """
    digest = hashlib.sha256(f"{MODEL_VERSION}\n{settings!r}\n".encode())
    ordered = sorted(docs, key=lambda d: d.id)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        for d in with_words(ordered[start:start + LOOKUP_CHUNK], words):
            when = d.published.isoformat() if d.published else ""
            digest.update(f"{d.id}\t{d.group}\t{d.language}\t{when}\t".encode())
            digest.update(hashlib.sha1(f"{d.title}\n{d.text}\n{d.clean}".encode()).digest())
    return digest.hexdigest()


class TopicState(Protocol):
    """What :func:`cached_topics` needs from the store (:class:`aggregator.store.Store`)."""

    def topics(self) -> list[StoredTopic]: ...
    def topic_model(self) -> tuple[TopicModel, str] | None: ...
    def save_topic_model(self, model: TopicModel, fingerprint: str) -> None: ...
    def topic_words(self, uids: Sequence[str]) -> Mapping[str, str]: ...


def cached_topics(docs: Sequence[Document], store: TopicState, *, seed: int = TOPIC_SEED,
                  today: date | None = None, policy: RefitPolicy | None = None,
                  settings: TopicSettings = DEFAULT_SETTINGS,
                  before_fit: Callable[[], None] | None = None) -> tuple[TopicModel, str]:
    """Return the topics of ``docs``, and how: "reused", "assigned" or "fitted".

    When no post was added, removed or changed since the model stored in ``store`` was
    found, it is reused as it is (a warm build does not cluster again). When posts were
    added or removed and a refit is not due (assign.refit_due: given ``today``, the
    build's date), the new posts are put in the stored topics (assign.py) and the removed
    ones taken out: a daily build costs what changed. Otherwise the topics are found
    afresh, matched to the stored ones for their slugs, and stored. New posts assigned
    this way have no related reading, and are not checked for cross-posts, until the next
    fit. ``before_fit`` is called once a fit is decided, before it runs: the caller may
    let go of what it need not hold while the fit's memory is at its highest.
    """
    key = fingerprint(docs, settings, store.topic_words)
    found = store.topic_model()
    stored = found[0] if found is not None else None
    if found is not None and found[1] == key:
        return found[0], "reused"
    how = "fitted"
    model = _assigned(docs, stored, today=today, policy=policy or RefitPolicy(),
                      settings=settings, words=store.topic_words,
                      ) if stored is not None and today is not None else None
    if model is not None:
        how = "assigned"
    else:
        if before_fit is not None:
            before_fit()
        model = _fitted(docs, store.topics(), seed=seed, settings=settings,
                        copies=stored.duplicates if stored is not None else {},
                        words=store.topic_words)
        model = replace(model, fit=Fit(day=today, posts=min(len(docs), settings.fit_window))
                        if today else None)
    store.save_topic_model(model, key)
    return model, how


def _fitted(docs: Sequence[Document], previous: Sequence[StoredTopic], *, seed: int,
            settings: TopicSettings, copies: Mapping[str, Sequence[str]] | None = None,
            words: WordLookup = _no_words) -> TopicModel:
    """Fit the topics on the newest ``settings.fit_window`` posts, and place the older ones.

    A refit costs what the window holds, not the site's whole history. An older post keeps
    the topic it was in (``previous``) while that topic lives on; otherwise it is put
    where a new post would be (assign.py). An older post that was a cross-post's copy
    (``copies``: kept post -> its copies, as last stored) stays one. Only the window's
    posts get related reading and are checked for new cross-posts. ``words``: the stored
    cleaned words of Documents that come without them, read for the window's posts when
    they are fitted, and for the older ones a blog at a time as they are placed.
    """
    if len(docs) <= settings.fit_window:
        return clustering.find_topics(with_words(docs, words), seed=seed, previous=previous,
                                      settings=settings)
    oldest = datetime.min.replace(tzinfo=UTC)
    ranked = sorted(docs, key=lambda d: (d.published or oldest, d.id), reverse=True)
    recent, older = with_words(ranked[:settings.fit_window], words), ranked[settings.fit_window:]
    model = clustering.find_topics(recent, seed=seed, previous=previous, settings=settings)
    del recent, ranked  # the window's words go before the older posts' are read
    present = {d.id for d in docs}
    original = {copy: kept for kept, copied in (copies or {}).items() if kept in present
                for copy in copied}
    duplicates = {k: list(v) for k, v in model.duplicates.items()}
    for d in older:
        if d.id in original:
            duplicates.setdefault(original[d.id], []).append(d.id)
    older = [d for d in older if d.id not in original]
    slugs = {t.slug for t in model.topics}
    kept = {u: old.slug for old in previous if old.slug in slugs for u in old.post_uids}
    stay: dict[str, list[str]] = {}
    for d in older:
        if d.id in kept:
            stay.setdefault(kept[d.id], []).append(d.id)
    topics = [replace(t, post_uids=t.post_uids + tuple(stay.get(t.slug, ())))
              for t in model.topics]
    unplaced = [d for d in older if d.id not in kept]
    placed, misc = assign_new(topics, model.misc, _new_posts(unplaced, settings, words),
                              profiles=model.profiles,
                              weights=lambda language: model.vocabulary.get(language, {}),
                              shelves=_shelves(model))
    rank = {d.id: i for i, d in enumerate(unplaced)}
    topics = [replace(t, post_uids=_ranked_tail(t.post_uids, len(before.post_uids), rank))
              for t, before in zip(placed, topics, strict=True)]
    misc = list(_ranked_tail(tuple(misc), len(model.misc), rank))
    return replace(model, topics=tuple(topics), misc=tuple(misc),
                   duplicates={k: tuple(v) for k, v in duplicates.items()})


def _new_posts(docs: Sequence[Document], settings: TopicSettings,
               words: WordLookup = _no_words) -> Iterator[NewPost]:
    """Yield ``docs`` as assign.py reads them: language and the model's words.

    One at a time: a post's words as strings take about 15 KB, so the 80,000 older posts
    of a first fit over a long history, held at once, took a gigabyte. And a blog at a
    time: a blog's posts are cleaned together (the lines it repeats are dropped) and vote
    together on the language of those too short to tell, and neither looks past the blog
    (topics._clean_all, topics._languages), so cleaning them blog by blog gives what
    cleaning them all at once gives, holding one blog's texts, not the history's (#14).
    The posts come out blog by blog, the blogs in the order of their first post in
    ``docs``: :func:`_ranked_tail` puts them back in ``docs``' order once placed. A
    blog's stored words (``words``) are read when its turn comes.
    """
    blogs: dict[str, list[Document]] = {}
    for d in docs:
        blogs.setdefault(d.group, []).append(d)  # "": the posts of no blog, as one
    for group in blogs.values():
        blog = with_words(group, words)
        texts = _clean_all(blog, settings.max_words)
        for d, text, language in zip(blog, texts, _languages(blog, texts), strict=True):
            yield NewPost(id=d.id, language=language, words=tuple(analyzer(language)(text)))


def _ranked_tail(uids: tuple[str, ...], start: int,
                 rank: Mapping[str, int]) -> tuple[str, ...]:
    """Return ``uids`` with those from ``start`` on (the ones just placed) in ``rank`` order.

    :func:`_new_posts` yields a blog at a time; a topic lists its posts in the order they
    were given, as when they were placed all at once.
    """
    return uids[:start] + tuple(sorted(uids[start:], key=rank.__getitem__))


def _shelves(model: TopicModel) -> dict[str, str]:
    """Return the slug of each language's shelf ("In French") in ``model``."""
    return {t.terms[0].removeprefix("in-"): t.slug for t in model.topics
            if t.terms and t.terms[0].startswith("in-")}


def _assigned(docs: Sequence[Document], stored: TopicModel, *, today: date,
              policy: RefitPolicy, settings: TopicSettings,
              words: WordLookup = _no_words) -> TopicModel | None:
    """Return ``stored`` with ``docs``' new posts in and removed ones out; None: refit."""
    known = ({u for t in stored.topics for u in t.post_uids} | set(stored.misc)
             | {u for copies in stored.duplicates.values() for u in copies})
    present = {d.id for d in docs}
    new = [d for d in docs if d.id not in known]
    rank = {d.id: i for i, d in enumerate(new)}
    posts = sorted(_new_posts(new, settings, words), key=lambda p: rank[p.id])  # a day's: few
    shelves = _shelves(stored)
    seen = set(stored.vocabulary) | set(shelves)
    if not stored.profiles or refit_due(stored.fit, today=today, new_posts=len(new),
                                        policy=policy,
                                        languages_known={p.language for p in posts} <= seen):
        return None
    gone = known - present
    topics, misc = without(stored.topics, stored.misc, gone)
    topics, misc = assign_new(topics, misc, posts, profiles=stored.profiles,
                              weights=lambda language: stored.vocabulary.get(language, {}),
                              shelves=shelves)
    return replace(
        stored, topics=tuple(topics), misc=tuple(misc),
        related={k: tuple(u for u in v if u not in gone)
                 for k, v in stored.related.items() if k not in gone},
        duplicates={k: tuple(u for u in v if u not in gone)
                    for k, v in stored.duplicates.items() if k not in gone})
