"""The topic model: cleaning, clustering, labels, stable slugs, cross-posts, languages, CLI."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from aggregator import topics
from aggregator.cli import main
from aggregator.models import StoredTopic
from aggregator.store import Store
from aggregator.textclean import clean_text, repeated_lines, text_lines
from aggregator.topiccache import cached_topics
from aggregator.topics import (
    MISC_SLUG,
    Document,
    TopicModel,
    assignments,
    find_topics,
    read_corpus,
)
from aggregator.vocabulary import (
    DOMAIN_STOP_WORDS,
    ENGLISH_LABEL_STOP,
    _stem,
    detect_language,
    display_case,
    pick_terms,
)

SUBJECTS = {
    "phonics": "phonics blending decodable sounds letters graphemes phonemes segmenting "
               "reading books decoding spelling digraphs fluency".split(),
    "fractions": "fractions numerator denominator equivalent halves quarters thirds "
                 "fraction strips number line comparing multiplication division".split(),
    "library": "library librarian shelves borrowing novels catalogue lending fiction "
               "authors reading club loans stacks genres".split(),
    "science": "experiment hypothesis beakers magnets circuits batteries microscope "
               "plants photosynthesis forces friction evaporation thermometer".split(),
}
FILLER = ("the a and of to in our we this that it was with for on class pupils school "
          "children week term lesson teachers today really").split()
BOILERPLATE = ("Posted by Ms Teacher on 3 March in Uncategorized\nLeave a reply\n"
               "12 Comments\nShare this:\nThe post {title} appeared first on {blog}.\n"
               "Visit https://example.org/more for more")


def _post(subject: str, rng: random.Random, words: int = 90) -> str:
    vocab = SUBJECTS[subject]
    text = [rng.choice(vocab) if rng.random() < 0.45 else rng.choice(FILLER)
            for _ in range(words)]
    return " ".join(text)


def corpus(per_subject: int = 12, seed: int = 1, boilerplate: bool = True,
           subjects: tuple[str, ...] = ("phonics", "fractions", "library")) -> list[Document]:
    """Return posts about clearly separated subjects, each blog writing on one of them."""
    rng = random.Random(seed)
    docs = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for subject in subjects:
        for i in range(per_subject):
            blog = f"https://{subject}-{i % 3}.example/feed"
            body = _post(subject, rng)
            if boilerplate:
                body += "\n" + BOILERPLATE.format(title=f"{subject} {i}", blog=blog)
            docs.append(Document(id=f"{subject}-{i}", text=body, group=blog,
                                 published=start + timedelta(days=i)))
    return docs


def subject_of(uid: str) -> str:
    return uid.rsplit("-", 1)[0]


def stored(model: TopicModel) -> list[StoredTopic]:
    return [StoredTopic(slug=t.slug, label=t.label, terms=t.terms, post_uids=t.post_uids,
                        active=True) for t in model.topics]


# -- cleaning ----------------------------------------------------------------------------


def test_clean_text_removes_markup_boilerplate_and_urls() -> None:
    html = ("<p>Blending <b>sounds</b> with the youngest readers.</p>"
            "<p>Posted by Dana on 3 May 2026 in Phonics</p><p>Leave a reply</p>"
            "<p>12 Comments</p><p>Share this:</p><p>Click to share on Twitter (Opens in new "
            "window)</p><p>See https://phonics.example/a?b=c or www.example.org</p>"
            "<p>The post Blending appeared first on Phonics Corner.</p><p>Like this:</p>"
            "<p>Like Loading...</p><p>Cheers, Dana</p><script>var x = 'tracker';</script>")
    cleaned = clean_text(html)
    assert cleaned.startswith("blending sounds with the youngest readers.")
    for gone in ("posted", "reply", "comments", "share", "http", "www", "appeared first",
                 "loading", "cheers", "tracker", "<", "twitter"):
        assert gone not in cleaned, gone


def test_clean_text_keeps_ordinary_sentences_that_mention_posts() -> None:
    text = ("Pupils posted their questions on the board.\nWe read more widely this term.\n"
            "Best practice\nRelated work on spelling is below.")
    assert clean_text(text) == text.lower()


def test_repeated_lines_are_a_blogs_signature() -> None:
    posts = [f"Post {i} about fractions.\nMrs Example teaches Year 4 at Hill School" for i in
             range(5)]
    lines = [text_lines(post) for post in posts]
    assert repeated_lines(lines) == {"mrs example teaches year 4 at hill school"}
    assert repeated_lines(lines[:2]) == frozenset()  # too few posts to tell


def test_a_footer_with_a_link_is_still_a_footer() -> None:
    posts = [f"<p>Post {i} about fractions.</p><p>More at https://hill.example/{i}/ "
             "every week</p>" for i in range(5)]
    lines = [text_lines(post) for post in posts]
    assert repeated_lines(lines) == {"more at every week"}
    assert clean_text(posts[0], drop_lines=repeated_lines(lines)) == "post 0 about fractions."


def test_detect_language_by_stop_words() -> None:
    assert detect_language("La evaluación formativa permite a los docentes ajustar la "
                           "enseñanza durante el proceso de aprendizaje de sus alumnos, y "
                           "no solo al final del curso cuando ya es tarde.") == "es"
    assert detect_language("L'évaluation formative permet aux enseignants d'ajuster leur "
                           "enseignement pendant que les élèves apprennent, et pas "
                           "seulement à la fin du trimestre quand il est trop tard.") == "fr"
    assert detect_language("Formative assessment lets teachers adjust their teaching "
                           "while students are still learning, not only at the end of the "
                           "term when it is far too late.") == "en"
    assert detect_language("Hola amigos") == "en"  # too short to tell: the default


# -- clustering and labels -------------------------------------------------------------


def test_separated_subjects_are_split_along_them() -> None:
    model = find_topics(corpus(), seed=3)
    assert len(model.topics) == 3
    for topic in model.topics:
        subjects = {subject_of(uid) for uid in topic.post_uids}
        assert len(subjects) == 1, topic
        assert set(" ".join(topic.terms).split()) <= set(SUBJECTS[subjects.pop()])
    assert not model.misc


def test_labels_have_no_stop_words_boilerplate_or_repeated_stems() -> None:
    model = find_topics(corpus(), seed=3)
    for topic in model.topics:
        words = " ".join(topic.terms).split()
        assert 2 <= len(topic.terms) <= 4
        assert not set(words) & (ENGLISH_LABEL_STOP | DOMAIN_STOP_WORDS), topic.label
        assert not set(words) & {"posted", "reply", "comments", "share", "appeared",
                                 "uncategorized", "https", "example"}
        stems = [_stem(w) for w in words]
        assert len(set(stems)) == len(stems), topic.label


def test_pick_terms_drops_a_second_form_of_a_word() -> None:
    terms = ["teacher", "teachers", "the", "phonics", "reading", "read"]
    weights = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    assert pick_terms(weights, terms, "en", count=4) == ["teacher", "phonics", "reading"]


def test_labels_keep_the_case_the_posts_use_for_names() -> None:
    texts = ["Tony Blair spoke.", "Blair and the election", "The BLAIR", "Blair again",
             "Blair, Blair", "Blair went"]
    assert display_case("blair", texts) == "Blair"  # 6 of 7
    assert display_case("election", ["Election day", "the election", "an election"]) == (
        "election")  # capitalised only where a sentence starts
    assert display_case("phonics", []) == "phonics"
    # A capital where a sentence or a line starts is no evidence either way.
    assert display_case("comparing", ["Comparing fractions. Comparing decimals",
                                      "We are comparing.\nComparing again"]) == "comparing"
    assert display_case("ipad", ["Each iPad was new.", "iPad time", "with an iPad",
                                 "for our iPad"]) == "iPad"
    assert display_case("ipad", ["Each iPad was new.", "with an iPad"]) == "ipad"  # 2: too few


def test_topics_are_deterministic_for_a_seed() -> None:
    docs = corpus(per_subject=10, seed=7)
    assert find_topics(docs, seed=5) == find_topics(docs, seed=5)


def test_posts_about_nothing_the_others_share_go_to_misc() -> None:
    strays = ["weather sunshine umbrella forecast drizzle", "guitar chords strumming melody",
              "recipe flour butter oven sugar"]
    # Four subjects: three equal ones would each hold over 30% with the strays aside, and a
    # topic that large is split when it can be (#12).
    subjects = ("phonics", "fractions", "library", "science")
    docs = corpus(subjects=subjects) + [
        Document(id=f"stray-{i}", text=text, group=f"https://s{i}.example/feed")
        for i, text in enumerate(strays)]
    model = find_topics(docs, seed=3)
    assert {"stray-0", "stray-1", "stray-2"} <= set(model.misc)
    assert len(model.topics) == 4


def test_tiny_corpus_is_all_misc() -> None:
    docs = [Document(id=str(i), text=f"one short post number {i}") for i in range(3)]
    model = find_topics(docs, seed=1)
    assert model.topics == () and sorted(model.misc) == ["0", "1", "2"]


# -- stable slugs --------------------------------------------------------------------


def test_slugs_survive_a_rerun_with_a_few_posts_added() -> None:
    docs = corpus()
    first = find_topics(docs, seed=3)
    rng = random.Random(99)
    more = [Document(id=f"{s}-new", text=_post(s, rng), group=f"https://{s}-0.example/feed")
            for s in ("phonics", "fractions", "library")]
    second = find_topics(docs + more, seed=4, previous=stored(first))
    slug_of = {subject_of(t.post_uids[0]): t.slug for t in first.topics}
    for topic in second.topics:
        assert topic.slug == slug_of[subject_of(topic.post_uids[0])]
    placed = {u for t in second.topics for u in t.post_uids}
    assert {"phonics-new", "fractions-new", "library-new"} <= placed


def test_a_new_topic_gets_a_new_slug_and_old_slugs_are_not_reused() -> None:
    first = find_topics(corpus(), seed=3)
    old = stored(first) + [StoredTopic(slug="experiment-magnets", label="x", terms=(),
                                       post_uids=("gone-1",), active=False)]
    second = find_topics(corpus(subjects=tuple(SUBJECTS)), seed=3, previous=old)
    slugs = [t.slug for t in second.topics]
    assert {t.slug for t in first.topics} < set(slugs)
    assert len(slugs) == 4 and len(set(slugs)) == 4 and "experiment-magnets" not in slugs


# -- cross-posts and related reading ---------------------------------------------------


def test_a_cross_post_is_merged_and_credited() -> None:
    docs = corpus()
    original = docs[0]
    copy = Document(id="phonics-copy", text=original.text.replace("Ms Teacher", "Dana") +
                    "\nAlso published on another blog.", group="https://syndicator.example/feed",
                    published=original.published + timedelta(days=2))
    model = find_topics([*docs, copy], seed=3)
    assert model.duplicates == {original.id: ("phonics-copy",)}
    assert "phonics-copy" not in {u for t in model.topics for u in t.post_uids}
    assert "phonics-copy" not in model.misc
    assert all("phonics-copy" not in r for r in model.related.values())
    assert dict(assignments(model, [*docs, copy]))["phonics-copy"] == dict(
        assignments(model, docs))[original.id]


def test_the_same_text_twice_on_one_blog_is_not_a_cross_post() -> None:
    docs = corpus()
    again = Document(id="again", text=docs[0].text, group=docs[0].group)
    assert find_topics([*docs, again], seed=3).duplicates == {}


def test_related_posts_come_from_other_blogs() -> None:
    docs = corpus()
    model = find_topics(docs, seed=3)
    group = {d.id: d.group for d in docs}
    assert model.related
    for uid, others in model.related.items():
        assert 1 <= len(others) <= 3
        assert all(group[o] != group[uid] and subject_of(o) == subject_of(uid) for o in others)


# -- languages -------------------------------------------------------------------------

SPANISH = ("la evaluación formativa permite a los docentes ajustar la enseñanza durante el "
           "proceso de aprendizaje de sus alumnos y no solo al final del curso cuando ya es "
           "tarde para corregir lo que no funcionó en el aula con los estudiantes")
FRENCH = ("l'évaluation formative permet aux enseignants d'ajuster leur enseignement pendant "
          "que les élèves apprennent et pas seulement à la fin du trimestre quand il est "
          "trop tard pour corriger ce qui n'a pas marché dans la classe avec les élèves")


def test_posts_in_other_languages_are_grouped_by_language() -> None:
    docs = corpus()
    docs += [Document(id=f"es-{i}", text=f"{SPANISH} {i}", group="https://aula.example/feed",
                      language="es-ES") for i in range(4)]
    docs += [Document(id=f"fr-{i}", text=f"{FRENCH} {i}", group="https://salle.example/feed")
             for i in range(3)]  # undeclared: detected
    model = find_topics(docs, seed=3)
    by_slug = {t.slug: t for t in model.topics}
    assert set(by_slug["in-es"].post_uids) == {f"es-{i}" for i in range(4)}
    assert set(by_slug["in-fr"].post_uids) == {f"fr-{i}" for i in range(3)}
    assert by_slug["in-es"].label == "In Spanish"
    english = [t for t in model.topics if not t.slug.startswith("in-")]
    assert len(english) == 3
    assert not [u for u in model.misc if u[:3] in ("es-", "fr-")]


# -- cache and CLI ---------------------------------------------------------------------


def test_a_warm_build_reuses_the_topics(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = corpus()
    with Store(":memory:") as store:
        first, how = cached_topics(docs, store)
        assert how == "fitted"
        monkeypatch.setattr(topics, "find_topics", _fail)
        second, how = cached_topics(docs, store)
        assert how == "reused" and second == first
        monkeypatch.undo()
        third, how = cached_topics(docs[:-1], store)  # a post removed, no date: fit again
        assert how == "fitted"
        assert docs[-1].id not in {u for t in third.topics for u in t.post_uids}


def _fail(*args: object, **kwargs: object) -> TopicModel:
    raise AssertionError("clustered again")


def test_read_corpus_ignores_other_keys_and_names_bad_lines() -> None:
    docs = read_corpus(['{"id": 1, "text": "a", "label": "x"}', "", '{"id": "b", "text": "c"}'])
    assert [(d.id, d.text) for d in docs] == [("1", "a"), ("b", "c")]
    with pytest.raises(ValueError, match="line 2"):
        read_corpus(['{"id": 1, "text": "a"}', '{"text": "no id"}'])


def test_topics_command_prints_only_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         caplog: pytest.LogCaptureFixture) -> None:
    source = tmp_path / "corpus.jsonl"
    source.write_text("".join(json.dumps({"id": d.id, "text": d.text, "label": "ignored"}) + "\n"
                              for d in corpus()), encoding="utf-8")
    out = tmp_path / "assign.jsonl"
    caplog.set_level(logging.INFO, logger="aggregator")
    assert main(["topics", str(source), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)  # all of stdout is one JSON document
    assert summary["documents"] == 3 * 12 and len(summary["topics"]) == 3
    assert all(t["slug"] and t["label"] for t in summary["topics"])
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 36 and {r["topic"] for r in rows} <= (
        {t["slug"] for t in summary["topics"]} | {MISC_SLUG})
    assert "Finding topics in 36 documents" in caplog.text  # logged, not printed


def test_topics_command_reports_a_bad_corpus(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "corpus.jsonl"
    source.write_text("not json\n", encoding="utf-8")
    assert main(["topics", str(source), "--out", str(tmp_path / "a.jsonl")]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "line 1" in captured.err
