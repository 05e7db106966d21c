"""Builders of real feed XML and feeds.yaml text for tests."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

# Sentences per subject, so the topic model has something real to separate.
SUBJECTS = {
    "phonics": ("Phonics lessons help early readers decode words. We practise blending sounds "
                "and segmenting phonemes with decodable books every morning in reception. "
                "Children who struggle with letter sounds get extra phonics practice."),
    "maths": ("Our maths lessons build number sense with fractions, times tables and "
              "problem solving. Pupils explain their reasoning with bar models and "
              "manipulatives before moving to abstract arithmetic and algebra."),
    "library": ("The school library runs a reading for pleasure club. Our librarian "
                "recommends novels, graphic novels and picture books, and pupils borrow "
                "books from the library shelves every week."),
}


@dataclass
class Entry:
    title: str
    link: str
    published: datetime | None
    html: str = "<p>Hello.</p>"
    guid: str | None = None
    author: str | None = None


@dataclass
class FeedDoc:
    title: str
    site: str
    entries: list[Entry] = field(default_factory=list)

    def rss(self) -> bytes:
        items = []
        for e in self.entries:
            parts = [f"<title>{escape(e.title)}</title>", f"<link>{escape(e.link)}</link>"]
            if e.guid:
                parts.append(f'<guid isPermaLink="false">{escape(e.guid)}</guid>')
            if e.published:
                parts.append(f"<pubDate>{format_datetime(e.published, usegmt=True)}</pubDate>")
            if e.author:
                parts.append(f"<dc:creator>{escape(e.author)}</dc:creator>")
            parts.append(f"<description>{escape(e.html)}</description>")
            items.append("<item>" + "".join(parts) + "</item>")
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>{escape(self.title)}</title><link>{escape(self.site)}</link>"
            "<description>A test blog</description>" + "".join(items) + "</channel></rss>"
        ).encode()

    def atom(self) -> bytes:
        entries = []
        for e in self.entries:
            when = (e.published or datetime(2020, 1, 1, tzinfo=UTC)).isoformat()
            entries.append(
                f"<entry><title>{escape(e.title)}</title>"
                f'<link rel="alternate" href="{escape(e.link)}"/>'
                f"<id>{escape(e.guid or e.link)}</id><updated>{when}</updated>"
                f'<content type="html">{escape(e.html)}</content></entry>'
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(self.title)}</title>"
            f'<link rel="alternate" href="{escape(self.site)}"/><id>{escape(self.site)}</id>'
            "<updated>2026-11-01T00:00:00Z</updated>" + "".join(entries) + "</feed>"
        ).encode()


def subject_blog(name: str, subject: str, *, n: int, end: datetime,
                 site: str | None = None) -> FeedDoc:
    """Return a blog of ``n`` posts about ``subject``, one a day up to ``end``."""
    site = site or f"https://{name}.example/"
    text = SUBJECTS[subject]
    doc = FeedDoc(title=f"{name.title()} blog", site=site)
    for i in range(n):
        doc.entries.append(Entry(
            title=f"{subject.title()} notes {i}",
            link=f"{site}post-{i}/",
            published=end - timedelta(days=i, hours=i % 5),
            html=f"<p>{text}</p><p>{text} Post number {i} of {name}.</p>" * 3,
        ))
    return doc


# The words of each subject, and sentence frames: blogs on one subject share words, and
# write posts of their own with them (never the same sentences twice, as real blogs do).
SUBJECT_WORDS = {
    "phonics": ("phonics", "blending", "decodable books", "phonemes", "digraphs", "segmenting",
                "letter sounds", "early readers", "graphemes", "spelling", "reception class",
                "sound buttons"),
    "maths": ("fractions", "times tables", "place value", "bar models", "arithmetic",
              "number lines", "multiplication", "division", "manipulatives", "algebra",
              "reasoning problems", "denominators"),
    "library": ("the library", "novels", "graphic novels", "our librarian", "book club",
                "borrowing", "library shelves", "picture books", "fiction", "authors",
                "reading for pleasure", "the catalogue"),
}
_FRAMES = ("This week {a} and {b} took most of our {when}.",
           "I keep coming back to {a}, because {b} only works when {a} is secure.",
           "A colleague asked how {a} fits with {b}; my answer took the whole {when}.",
           "We tried {a} again, then {b}, and the {who} noticed the difference.",
           "Nobody warned me that {a} would matter more than {b} for the {who}.",
           "After the {when} we rewrote our plans for {a} and {b}.")
_WHEN = ("morning", "afternoon", "staff meeting", "half term", "week", "lunchtime")
_WHO = ("pupils", "children", "parents", "teaching assistants", "new staff", "class")


def _sentence(subject: str, rng: random.Random) -> str:
    a, b = rng.sample(SUBJECT_WORDS[subject], 2)
    text = rng.choice(_FRAMES).format(a=a, b=b, when=rng.choice(_WHEN), who=rng.choice(_WHO))
    return text[0].upper() + text[1:]


def voiced_blog(name: str, subject: str, *, n: int, end: datetime, seed: int = 0) -> FeedDoc:
    """Return a blog of ``n`` posts on ``subject`` in a voice of its own, one a day to ``end``.

    Real blogs on one subject write different posts, each with the blog's own name and
    sign-off: several of these make a topic (a topic needs 3 blogs, #12).
    """
    rng = random.Random(f"{name}-{seed}")
    site = f"https://{name}.example/"
    doc = FeedDoc(title=f"{name.title()} blog", site=site)
    for i in range(n):
        paragraphs = "".join(f"<p>{' '.join(_sentence(subject, rng) for _ in range(3))}</p>"
                             for _ in range(4))  # 150 words or so: a diamond's length
        doc.entries.append(Entry(
            title=f"{subject.title()} notes {i} from {name.title()}",
            link=f"{site}post-{i}/",
            published=end - timedelta(days=i, hours=i % 5),
            html=f"<p>{name.title()} here.</p>{paragraphs}<p>Back soon, {name.title()}.</p>",
        ))
    return doc


def subject_blogs(end: datetime, *, n: int = 6) -> dict[str, FeedDoc]:
    """Return nine blogs, three on each subject of SUBJECT_WORDS, by feed path."""
    names = {"phonics": ("quill", "sprout", "acorn"), "maths": ("abacus", "tally", "slate"),
             "library": ("shelf", "atlas", "folio")}
    return {f"/{name}.xml": voiced_blog(name, subject, n=n, end=end)
            for subject, blogs in names.items() for name in blogs}


def feeds_yaml(urls: Sequence[str], **extra: str) -> str:
    """Return a feeds.yaml listing ``urls``."""
    lines = ["feeds:"]
    for url in urls:
        lines.append(f"  - url: {url}")
        for key, value in extra.items():
            lines.append(f"    {key}: {value}")
    return "\n".join(lines) + "\n"
