"""Merge the spellings of feeds.yaml's ``tags`` into :class:`~aggregator.models.Tag` records.

Tags are subjects and phases the community gives its blogs ("maths", "primary"). Different
people spell one tag differently, so spellings are merged by a rule a reader can predict:

- case and inner whitespace never matter ("Early Years", "early  years");
- an English plural "s" is dropped only when both forms occur in the file: "libraries"
  stays apart from "library" (not a plain "s"), "Maths" merges with "math" only because
  someone wrote "math", and "physics" never becomes "physic".

A tag is shown as most of its blogs spell it (the first such spelling in the file on a
tie). Its slug comes from the merged form, so it does not change when the count of
spellings tips from one to another.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

from .models import Tag
from .slugs import slugify, unique_slug


def tag_key(spelling: str) -> str:
    """Return the case- and space-free form of one spelling ("Early  Years" -> "early years")."""
    return " ".join(spelling.casefold().split())


def find_tags(tagged: Sequence[tuple[str, Sequence[str]]]) -> list[Tag]:
    """Return the tags of ``tagged`` (feed URL, its tags), merged, sorted by name.

    A blog that gives two spellings of one tag counts once.
    """
    keys = {tag_key(t) for _, tags in tagged for t in tags if tag_key(t)}
    merged = {k: k[:-1] if k.endswith("s") and k[:-1] in keys else k for k in keys}
    blogs: dict[str, list[str]] = {}
    spellings: dict[str, Counter[str]] = {}
    for url, tags in tagged:
        for raw in tags:
            key = tag_key(raw)
            if not key:
                continue
            group = merged[key]
            spellings.setdefault(group, Counter())[raw.strip()] += 1
            members = blogs.setdefault(group, [])
            if url not in members:
                members.append(url)
    records = []
    taken: set[str] = set()
    # Slugs are given in the order of the merged forms, so a collision ("café", "cafe")
    # is settled the same way in every build.
    for group in sorted(blogs):
        slug = unique_slug(slugify(group) or _fallback_slug(group), taken)
        taken.add(slug)
        counts = spellings[group]
        name = " ".join(max(counts, key=lambda s: counts[s]).split())  # first on a tie
        records.append(Tag(slug=slug, name=name, spellings=tuple(sorted(counts)),
                           blogs=tuple(blogs[group])))
    return sorted(records, key=lambda t: (t.name.casefold(), t.slug))


def _fallback_slug(group: str) -> str:
    """Return a slug for a tag with no ASCII letter or digit ("数学"): stable, from its text."""
    return "tag-" + hashlib.sha1(group.encode()).hexdigest()[:8]


def slugs_by_spelling(tags: Sequence[Tag]) -> dict[str, str]:
    """Return the slug of each spelling, as written in feeds.yaml (stripped)."""
    return {spelling: tag.slug for tag in tags for spelling in tag.spellings}
