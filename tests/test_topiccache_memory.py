"""A first fit over a long history places the older posts a blog at a time (#14).

The older posts are cleaned and their language told one blog at a time, as they are
placed, not all before the first is placed, and their cleaned words are read from the
state then, not held by the build; the topics come out exactly as when they were all
cleaned at once, or all held. While the topics are fitted, the build holds no post.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from aggregator import topiccache, topics
from aggregator.assign import NewPost
from aggregator.config import load_config
from aggregator.models import Post, TopicModel
from aggregator.parse import parse_feed
from aggregator.store import Store
from aggregator.termspace import analyzer
from aggregator.topiccache import cached_topics
from aggregator.topics import Document, TopicSettings, _clean_all, _languages

from .conftest import FeedServer
from .fakes import feeds_yaml, subject_blogs
from .test_build import build, build_json, serve_subjects

START = datetime(2024, 1, 1, 8, tzinfo=UTC)
SUBJECTS = {
    "reading": "phonics fluency novel library vocabulary comprehension poetry authors chapter "
               "storytelling spelling grammar",
    "maths": "fractions algebra geometry equations multiplication arithmetic calculus graphs "
             "decimals percentages angles probability",
    "science": "experiment laboratory chemistry biology physics hypothesis microscope "
               "molecules energy ecosystems fossils magnets",
    "sport": "football athletics gymnastics swimming netball rugby stamina teamwork "
             "tournament referee fitness coaching",
}
FILLER = ("the a of and to in for with this that our we they was is on class pupils "
          "students week lesson today it my").split()
FRENCH = ("les élèves de la classe ont travaillé sur le projet avec leur enseignant et "
          "nous avons vu que la lecture des textes est une partie de leur journée dans "
          "cette école pour les parents qui sont venus").split()


def _english(rng: random.Random, subject: str, words: int) -> str:
    topical = SUBJECTS[subject].split()
    return " ".join(rng.choice(topical) if rng.random() < 0.35 else rng.choice(FILLER)
                    for _ in range(words))


def history(blogs: int = 60, posts: int = 3000, seed: int = 4) -> list[Document]:
    """Return ``posts`` posts of ``blogs`` blogs and some of none, dated over two years.

    Most blogs sign off every post with the same line (a footer the cleaning drops only
    when it sees the blog's posts together); every fifth writes in French, some of its
    posts too short to tell (they take the blog's language); some posts come cleaned
    already, as a build reads them, others with only their text.
    """
    rng = random.Random(seed)
    docs: list[Document] = []
    for n in range(posts):
        b = rng.randrange(blogs + 3)  # three "blogs" stand for the posts of no blog
        group = f"https://blog{b}.example/feed" if b < blogs else ""
        when = START + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        if group and b % 5 == 0:
            words = 8 if rng.random() < 0.3 else 60
            text = " ".join(rng.choice(FRENCH) for _ in range(words))
            title = f"Journal {n}"
        else:
            subject = sorted(SUBJECTS)[(b + (n % 3 == 0)) % len(SUBJECTS)]
            text = _english(rng, subject, rng.randint(40, 120))
            title = f"On {subject} {n}"
        footer = f"Until next time from the staffroom of blog {b}, keep teaching!"
        html = f"<p>{text}</p>" + (f"<p>{footer}</p>" if group and rng.random() < 0.9 else "")
        clean = _clean_all([Document(id="", text=html, title=title)], 250)[0] \
            if rng.random() < 0.3 else None  # cleaned alone: what a stored text holds
        docs.append(Document(id=f"p{n}", text=html, title=title, group=group, clean=clean,
                             language=None, published=when))
    return docs


def _all_at_once(docs: Sequence[Document], settings: TopicSettings,
                 words: topiccache.WordLookup = lambda uids: {}) -> Iterator[NewPost]:
    """Yield the NewPosts as before #14's change: every text cleaned before the first."""
    docs = topiccache.with_words(docs, words)
    texts = _clean_all(docs, settings.max_words)
    for d, text, language in zip(docs, texts, _languages(docs, texts), strict=True):
        yield NewPost(id=d.id, language=language, words=tuple(analyzer(language)(text)))


def test_a_blog_at_a_time_gives_the_topics_of_all_at_once(monkeypatch) -> None:
    docs = history()
    settings = TopicSettings(fit_window=500)
    streamed = topiccache._fitted(docs, (), seed=0, settings=settings)
    monkeypatch.setattr(topiccache, "_new_posts", _all_at_once)
    reference = topiccache._fitted(docs, (), seed=0, settings=settings)
    assert streamed == reference
    # Not a trivial sameness: the older posts went to several topics, a French shelf or
    # topic among them, and posts of no blog were placed too.
    recent = {d.id for d in sorted(docs, key=lambda d: (d.published, d.id))[-500:]}
    placed = {t.slug: [u for u in t.post_uids if u not in recent] for t in streamed.topics}
    assert sum(1 for uids in placed.values() if uids) >= 3
    french = {t.slug for t in streamed.topics
              if t.terms[:1] == ("in-fr",) or t.label.endswith("(French)")}
    assert any(placed[slug] for slug in french)
    blogless = {d.id for d in docs if not d.group} - recent
    where = {u for uids in placed.values() for u in uids} | set(streamed.misc)
    assert blogless and blogless <= where


def test_older_posts_are_placed_before_the_others_are_cleaned() -> None:
    docs = [d for d in history(blogs=100, posts=3000, seed=7) if d.group]
    unclean = [Document(id=d.id, text=d.text, title=d.title, group=d.group,
                        published=d.published) for d in docs]
    settings = TopicSettings()
    next(topiccache._new_posts(unclean[:50], settings))  # lazy tables, compiled patterns
    everything = sum(len(t) for t in _clean_all(unclean, settings.max_words))
    tracemalloc.start()
    try:
        posts = topiccache._new_posts(unclean, settings)
        first = next(posts)
        held = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert first.id == unclean[0].id
    # One blog's cleaned texts (~30 posts of 3,000), not the history's.
    assert held < everything / 5, (held, everything)


def _stored_history(path: Path) -> Store:
    """Return a state holding nine blogs' feeds, read by the parser and stored as builds do."""
    end = datetime(2026, 11, 19, 12, tzinfo=UTC)
    blogs = {f"https://blogs.example{at}": feed for at, feed in subject_blogs(end, n=30).items()}
    config = path.parent / "feeds.yaml"
    config.write_text(feeds_yaml(list(blogs)))
    store = Store(path)
    store.sync_feeds(load_config(str(config)).feeds, end - timedelta(days=60))
    for url, feed in blogs.items():
        parsed = parse_feed(feed.rss(), feed_url=url, now=end)
        store.record_success(url, now=end, status=200, etag=None, last_modified=None,
                             title=parsed.title, posts=parsed.posts)
    return store


def _documents(posts: Sequence[Post]) -> list[Document]:
    return [Document(id=p.uid, text=p.excerpt, title=p.title, clean=p.topic_text,
                     group=p.feed_url, language=p.language, published=p.published)
            for p in posts]


def test_the_older_posts_words_are_read_from_the_state_as_they_are_placed(tmp_path) -> None:
    store = _stored_history(tmp_path / "state.db")
    held = _documents(store.posts(text_if_unclean=True))  # each post with its words
    lean = _documents(store.posts(text_if_unclean=True, topic_words=False))
    assert len(lean) == 270 and all(d.clean is None for d in lean)
    asked: list[int] = []

    def words(uids: Sequence[str]) -> Mapping[str, str]:
        asked.append(len(uids))
        return store.topic_words(uids)

    settings = TopicSettings(fit_window=90)
    model = topiccache._fitted(lean, (), seed=0, settings=settings, words=words)
    assert model == topiccache._fitted(held, (), seed=0, settings=settings)
    assert len(model.topics) >= 2
    # The window's words once, then one blog's (30 posts, 20 past the window) at a time.
    assert asked[0] == 90 and max(asked[1:]) <= 30
    assert topiccache.fingerprint(lean, settings, store.topic_words) == \
        topiccache.fingerprint(held, settings)


def test_a_fit_is_announced_before_it_runs_and_only_then(tmp_path) -> None:
    store = _stored_history(tmp_path / "state.db")
    docs = _documents(store.posts(text_if_unclean=True, topic_words=False))
    calls: list[str] = []
    day = date(2026, 11, 19)
    _, how = cached_topics(docs, store, today=day, before_fit=lambda: calls.append("fit"))
    assert how == "fitted" and calls == ["fit"]
    _, how = cached_topics(docs, store, today=day, before_fit=lambda: calls.append("fit"))
    assert how == "reused" and calls == ["fit"]
    new = [replace(d, id=f"new-{d.id}") for d in docs[:3]]
    _, how = cached_topics(docs + new, store, today=day + timedelta(days=1),
                           before_fit=lambda: calls.append("fit"))
    assert how == "assigned" and calls == ["fit"]


def test_a_build_holds_no_post_while_its_topics_are_fitted(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = serve_subjects(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    real = topics.find_topics
    seen: list[tuple[int, int]] = []

    def spy(docs: Sequence[Document], **kwargs: object) -> TopicModel:
        seen.append((len(docs), sum(type(o) is Post for o in gc.get_objects())))
        return real(docs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(topics, "find_topics", spy)
    assert build(tmp_path) == 0
    assert seen and seen[0][0] == 54  # nine blogs of six posts, all in the fit
    assert all(alive == 0 for _, alive in seen)  # the Documents are all the fit holds
    assert build_json(tmp_path)["summary"]["posts"] == 54  # and the pages have them all
