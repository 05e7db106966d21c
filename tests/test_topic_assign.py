"""A daily build puts new posts in the current topics; the model is fitted again when due (#14)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from aggregator import topics
from aggregator.assign import RefitPolicy, refit_due
from aggregator.models import Fit
from aggregator.store import Store
from aggregator.topiccache import cached_topics
from aggregator.topics import Document, TopicModel, TopicSettings

from .test_topic_voices import voiced_corpus

DAY = date(2026, 11, 2)


def _fail(*args: object, **kwargs: object) -> TopicModel:
    raise AssertionError("clustered again")


def _fresh(count: int, seed: int = 9) -> tuple[list[Document], dict[str, str]]:
    """Return ``count`` new posts of the same blogs and subjects, and their subjects."""
    docs, subject_of = voiced_corpus(seed=seed)
    picked = docs[::len(docs) // count][:count]
    return ([replace(d, id=f"new-{d.id}") for d in picked],
            {f"new-{d.id}": subject_of[d.id] for d in picked})


def _subject_of_topics(model: TopicModel, subject_of: dict[str, str]) -> dict[str, str]:
    return {t.slug: Counter(subject_of[u] for u in t.post_uids if u in subject_of
                            ).most_common(1)[0][0] for t in model.topics}


@pytest.fixture
def fitted() -> tuple[Store, list[Document], dict[str, str], TopicModel]:
    docs, subject_of = voiced_corpus()
    store = Store(":memory:")
    model, how = cached_topics(docs, store, today=DAY)
    assert how == "fitted" and len(model.topics) == 3 and model.fit == Fit(DAY, len(docs))
    store.save_topics(model.topics, datetime.combine(DAY, time(23, 59), UTC))  # as builds do
    return store, docs, subject_of, model


def test_new_posts_join_their_subjects_topic_without_refitting(
        fitted: tuple[Store, list[Document], dict[str, str], TopicModel],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, docs, subject_of, first = fitted
    new, new_subject = _fresh(6)
    monkeypatch.setattr(topics, "find_topics", _fail)
    model, how = cached_topics(docs + new, store, today=DAY + timedelta(days=1))
    assert how == "assigned"
    assert [t.slug for t in model.topics] == [t.slug for t in first.topics]
    subject = _subject_of_topics(first, subject_of)
    where = {u: t.slug for t in model.topics for u in t.post_uids}
    for post in new:
        assert subject[where[post.id]] == new_subject[post.id], post.id
    for old, now in zip(first.topics, model.topics, strict=True):  # the old posts stay put
        assert now.post_uids[:len(old.post_uids)] == old.post_uids
    placed = sum(len(t.post_uids) for t in model.topics) + len(model.misc)
    assert placed == len(docs) + len(new)
    assert model.fit == first.fit  # still the same fit


def test_a_post_like_no_topic_goes_to_misc(
        fitted: tuple[Store, list[Document], dict[str, str], TopicModel]) -> None:
    store, docs, _, _ = fitted
    odd = Document(id="odd", group=docs[0].group, language="en", title="Volcano trip",
                   text="<p>Basalt columns, lava tubes and pumice: our geology field trip "
                        "to the volcano crater, with seismographs and magma chambers.</p>")
    model, how = cached_topics([*docs, odd], store, today=DAY + timedelta(days=1))
    assert how == "assigned" and "odd" in model.misc


def test_removed_posts_leave_their_topic_without_refitting(
        fitted: tuple[Store, list[Document], dict[str, str], TopicModel],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, docs, _, first = fitted
    gone = first.topics[0].post_uids[0]
    monkeypatch.setattr(topics, "find_topics", _fail)
    model, how = cached_topics([d for d in docs if d.id != gone], store,
                               today=DAY + timedelta(days=1))
    assert how == "assigned"
    assert gone not in model.topics[0].post_uids
    assert gone not in model.related and all(gone not in r for r in model.related.values())


def test_a_refit_is_due_after_a_week_and_keeps_the_slugs(
        fitted: tuple[Store, list[Document], dict[str, str], TopicModel]) -> None:
    store, docs, _, first = fitted
    new, _ = _fresh(6)
    model, how = cached_topics(docs + new, store, today=DAY + timedelta(days=7))
    assert how == "fitted" and model.fit == Fit(DAY + timedelta(days=7), len(docs) + 6)
    assert sorted(t.slug for t in model.topics) == sorted(t.slug for t in first.topics)


def test_a_refit_is_due_when_many_posts_are_new(
        fitted: tuple[Store, list[Document], dict[str, str], TopicModel]) -> None:
    store, docs, _, _ = fitted
    new, _ = _fresh(12)  # 12 of 84: more than a tenth
    _, how = cached_topics(docs + new, store, today=DAY + timedelta(days=1))
    assert how == "fitted"


def test_a_post_in_a_new_language_brings_a_refit(
        fitted: tuple[Store, list[Document], dict[str, str], TopicModel]) -> None:
    store, docs, _, _ = fitted
    french = Document(id="fr-1", group="https://fr.example/feed", language="fr",
                      title="La lecture", text="<p>Nous avons lu des livres en classe.</p>")
    _, how = cached_topics([*docs, french], store, today=DAY + timedelta(days=1))
    assert how == "fitted"


def test_refit_due_rules() -> None:
    policy = RefitPolicy(max_age_days=7, max_new_share=0.1)
    fit = Fit(DAY, 1000)
    assert not refit_due(fit, today=DAY + timedelta(days=6), new_posts=100, policy=policy)
    assert refit_due(fit, today=DAY + timedelta(days=7), new_posts=0, policy=policy)
    assert refit_due(fit, today=DAY + timedelta(days=1), new_posts=101, policy=policy)
    assert refit_due(fit, today=DAY - timedelta(days=1), new_posts=0, policy=policy)
    assert refit_due(None, today=DAY, new_posts=0, policy=policy)


def test_the_stored_model_keeps_its_profiles(
        fitted: tuple[Store, list[Document], dict[str, str], TopicModel]) -> None:
    model = fitted[3]
    assert set(model.profiles) == {t.slug for t in model.topics}
    stored = fitted[0].topic_model()
    assert stored is not None and stored[0] == model  # read back from its tables as it was


def test_a_refit_reads_the_newest_posts_and_older_ones_keep_their_topic(
        fitted: tuple[Store, list[Document], dict[str, str], TopicModel],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, docs, _, first = fitted
    new, _ = _fresh(6)
    seen: list[int] = []
    real = topics.find_topics

    def spy(docs: list[Document], **kwargs: object) -> TopicModel:
        seen.append(len(docs))
        return real(docs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(topics, "find_topics", spy)
    window = TopicSettings(fit_window=60)
    model, how = cached_topics(docs + new, store, today=DAY + timedelta(days=7),
                               settings=window)
    assert how == "fitted" and seen == [60]
    everything = docs + new
    newest = {d.id for d in sorted(everything, key=lambda d: (d.published, d.id))[-60:]}
    where = {u: t.slug for t in model.topics for u in t.post_uids}
    assert set(where) | set(model.misc) == {d.id for d in everything}  # every post placed
    before = {u: t.slug for t in first.topics for u in t.post_uids}
    slugs = {t.slug for t in model.topics}
    older = [u for u in before if u not in newest and before[u] in slugs]
    assert older and all(where[u] == before[u] for u in older)


def test_an_older_cross_post_stays_one_after_a_windowed_refit() -> None:
    docs, _ = voiced_corpus()
    earliest = min(docs, key=lambda d: d.published or DAY)
    copy = replace(earliest, id="copy", group="https://copier.example/feed")
    store = Store(":memory:")
    first, _ = cached_topics([*docs, copy], store, today=DAY)
    assert {tuple(v) for v in first.duplicates.values()} == {("copy",)}
    store.save_topics(first.topics, datetime.combine(DAY, time(23, 59), UTC))
    new, _ = _fresh(6)
    model, how = cached_topics([*docs, copy, *new], store, today=DAY + timedelta(days=7),
                               settings=TopicSettings(fit_window=60))
    assert how == "fitted"
    assert "copy" in {u for v in model.duplicates.values() for u in v}
    assert "copy" not in {u for t in model.topics for u in t.post_uids} | set(model.misc)
