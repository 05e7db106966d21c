"""The batched sparse assignment places posts as the per-post cosines do (#14)."""

from __future__ import annotations

import random

from aggregator.assign import NewPost, assign_new, closeness, term_vector
from aggregator.models import Topic, TopicProfile

WORDS = {"en": [f"e{i}" for i in range(60)], "fr": [f"f{i}" for i in range(60)]}


def _reference(posts: list[NewPost], profiles: dict[str, TopicProfile],
               weights: dict[str, dict[str, float]], shelves: dict[str, str]) -> dict[str, str]:
    where: dict[str, str] = {}
    for post in posts:
        vector = term_vector(post.words, weights.get(post.language, {}))
        best, best_score = None, -1.0
        for slug, profile in sorted(profiles.items()):
            if profile.language != post.language:
                continue
            score = closeness(vector, profile)
            if score >= profile.floor and score > best_score:
                best, best_score = slug, score
        where[post.id] = best or shelves.get(post.language, "misc")
    return where


def test_batched_assignment_equals_the_per_post_cosines() -> None:
    rng = random.Random(3)
    weights = {lang: {w: rng.uniform(0.5, 3.0) for w in words[:40]}
               for lang, words in WORDS.items()}
    for lang, words in WORDS.items():
        pairs = zip(words[:10], words[1:11], strict=True)
        weights[lang].update({f"{a} {b}": 2.0 for a, b in pairs})
    profiles = {f"{lang}-{k}": TopicProfile(
        language=lang, terms={w: rng.uniform(0.1, 1.0) for w in rng.sample(words[:40], 12)},
        floor=rng.uniform(0.05, 0.3)) for lang, words in WORDS.items() for k in range(4)}
    profiles["en-tie-a"] = TopicProfile(language="en", terms={"e0": 1.0}, floor=0.0)
    profiles["en-tie-b"] = TopicProfile(language="en", terms={"e0": 1.0}, floor=0.0)
    posts = [NewPost(id=f"p{i}", language=lang,
                     words=tuple(rng.choice(WORDS[lang]) for _ in range(rng.randint(0, 30))))
             for i, lang in enumerate(rng.choice(["en", "fr"]) for _ in range(5000))]
    posts.append(NewPost(id="unweighted", language="fr", words=("f55", "f56")))
    posts.append(NewPost(id="tie", language="en", words=("e0", "e0")))
    shelves = {"fr": "in-french"}
    topics = [Topic(slug=s, label=s, terms=(), post_uids=())
              for s in [*profiles, "in-french"]]
    out, misc = assign_new(topics, [], iter(posts), profiles=profiles,
                           weights=lambda lang: weights.get(lang, {}), shelves=shelves)
    got = {u: t.slug for t in out for u in t.post_uids} | {u: "misc" for u in misc}
    assert got == _reference(posts, profiles, weights, shelves)
    assert got["unweighted"] == "in-french" and got["tie"] == "en-tie-a"
    assert len({*got.values()}) > 5  # the set reaches many topics, misc and the shelf
