"""Generate a long history of many blogs: who posted what, when, in which voice.

history.py serves the newest posts of each blog as its feed and writes the older ones
straight into a state; both come from here, so a post is the same bytes wherever it is
read. Everything is a function of (seed, blog, post number): the farm process and the
process seeding the state agree without sharing anything.

The structure is that of real blogs, as benchmarks/topics_blogs.py builds it: each blog
writes mostly on one or two subjects (the labels of the BBC News corpus in
``../shared``, paragraphs resampled; without it, the word lists of feed_farm.py), in its
own voice (a name, favourite phrases, a sign-off line). Posting rates are log-uniform
(a few blogs write most of the posts), a quarter of the blogs join part way through, and
dates spread over ``years`` before the history's last day.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

BBC = Path(__file__).resolve().parents[2] / "shared/corpora/labeled/bbc-news/bbc.jsonl"
HOSTS = 20  # loopback addresses the blogs are spread over (127.0.0.2 ...)
FEED_ENTRIES = 20  # what a feed carries: its newest posts

FIRST = ("Jeff Marisol Kathy Dmitri Aoife Tunde Priya Gareth Ingrid Rosalind Yusuf Henrike "
         "Lorcan Ximena Odalys Fergus Wilhelmina Cosmo Tamsin Bartholomew").split()
LAST = ("Marlow Quintero Abernathy Volkov Gallagher Okonkwo Raghunathan Pritchard Lindqvist "
        "Featherstone Pemberton Haddad Brauer Mulcahy Zamora Castellanos McTavish Ashdown "
        "Kowalczyk Trelawney").split()
PLACES = ("West Ridge|Maple Hollow|Cedar Falls|Kingsbridge|Harrowgate|Port Ellery|Stonecross|"
          "Willowmere|Fernhill|Ashby Vale|Brackenridge|Lakeshore|Oakhampton|Redcliffe").split("|")
PHRASES = ("at the end of the day|food for thought|here is the thing|long story short|"
           "in a nutshell|for what it is worth|believe it or not|as always|mark my words|"
           "let that sink in|without further ado|take it from me").split("|")
SIGN_OFFS = ("Until next time, keep teaching! {first}|Stay curious. {first} {last}|"
             "Cheers from {place}, {first}|Onwards and upwards! {first}|"
             "See you in the staffroom. {first}|Keep the faith, {first} {last}").split("|")


@dataclass(frozen=True)
class Blog:
    """One generated blog: its address, its voice and its posting dates (oldest first)."""

    index: int
    host: str
    port: int
    title: str
    subjects: tuple[str, ...]
    first: str
    last: str
    place: str
    phrases: tuple[str, ...]
    sign_off: str
    dates: tuple[datetime, ...]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/feed/{self.index}.xml"


@lru_cache(maxsize=1)
def paragraphs() -> dict[str, tuple[str, ...]]:
    """Return paragraphs by subject: BBC News's by label, else feed_farm's word salad."""
    if BBC.is_file():
        pools: dict[str, list[str]] = {}
        seen = set()
        for line in BBC.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["text"] in seen:
                continue
            seen.add(row["text"])
            pools.setdefault(row["label"], []).extend(
                p.strip() for p in row["text"].split("\n") if len(p.split()) >= 8)
        return {label: tuple(pool) for label, pool in sorted(pools.items())}
    from feed_farm import COMMON, SUBJECTS  # a sibling script
    rng = random.Random(0)
    salad: dict[str, tuple[str, ...]] = {}
    for subject, words in SUBJECTS.items():
        vocab = words.split()
        salad[subject] = tuple(
            " ".join(rng.choice(vocab) if rng.random() < 0.35 else rng.choice(COMMON)
                     for _ in range(rng.randint(15, 45))).capitalize() + "."
            for _ in range(400))
    return salad


def make_blogs(posts: int, *, blogs: int = 1000, end: date, years: float = 4.0,
               seed: int = 1, port: int = 8767) -> list[Blog]:
    """Return ``blogs`` blogs sharing ``posts`` posts, dated up to the end of ``end``."""
    rng = np.random.default_rng(seed)
    subjects = sorted(paragraphs())
    rates = np.exp(rng.uniform(np.log(1), np.log(100), blogs))  # posts a year, log-uniform
    span = years * 365.25 * 86400
    # A quarter of the blogs join part way through: their share of the posts is smaller.
    joined = np.where(rng.random(blogs) < 0.25, rng.uniform(0, 0.9, blogs), 0.0)
    weights = rates * (1 - joined)
    counts = rng.multinomial(posts, weights / weights.sum())
    last = datetime.combine(end, time(20), UTC).timestamp()
    out = []
    for i in range(blogs):
        start = last - span * (1 - joined[i])
        stamps = np.sort(rng.uniform(start, last, counts[i])).astype(np.int64)
        first, last_name = FIRST[rng.integers(len(FIRST))], LAST[rng.integers(len(LAST))]
        primary = subjects[i % len(subjects)]
        second = subjects[int(rng.integers(len(subjects)))]
        out.append(Blog(
            index=i, host=f"127.0.0.{2 + i % HOSTS}", port=port,
            title=f"{first} {last_name} on {primary} ({i})",
            subjects=(primary,) if rng.random() < 0.4 or second == primary else (primary, second),
            first=first, last=last_name, place=PLACES[int(rng.integers(len(PLACES)))],
            phrases=tuple(rng.choice(PHRASES, 2, replace=False).tolist()),
            sign_off=SIGN_OFFS[int(rng.integers(len(SIGN_OFFS)))],
            dates=tuple(datetime.fromtimestamp(int(s), UTC) for s in stamps)))
    return out


def item_xml(blog: Blog, number: int, published: datetime, *, seed: int = 1) -> str:
    """Return the RSS ``<item>`` of ``blog``'s post ``number``: the same bytes every time."""
    title, parts = post_parts(blog, number, seed=seed)
    html = "".join(f"<p>{escape(p)}</p>" for p in parts)
    link = f"https://blog{blog.index}.example/{published:%Y/%m}/{number}/"
    return (f"<item><title>{escape(title)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">blog{blog.index}-{number}</guid>'
            f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
            f"<author>{blog.first.lower()}@blog{blog.index}.example ({blog.first} "
            f"{blog.last})</author><description>{escape(html)}</description></item>")


def post_parts(blog: Blog, number: int, *, seed: int = 1) -> tuple[str, list[str]]:
    """Return the title and the paragraphs of ``blog``'s post ``number``, the same each time."""
    rng = random.Random(f"{seed}-{blog.index}-{number}")
    subject = blog.subjects[0] if len(blog.subjects) == 1 or rng.random() < 0.7 \
        else blog.subjects[1]
    pool = paragraphs()[subject]
    target = rng.randint(200, 900)
    parts: list[str] = []
    words = 0
    while words < target:
        paragraph = pool[rng.randrange(len(pool))]
        if rng.random() < 0.15:
            paragraph = f"{rng.choice(blog.phrases).capitalize()}, {paragraph[0].lower()}" \
                        f"{paragraph[1:]}"
        parts.append(paragraph)
        words += len(paragraph.split())
    parts.append(blog.sign_off.format(first=blog.first, last=blog.last, place=blog.place))
    title = " ".join(parts[0].split()[:rng.randint(5, 10)]).rstrip(",.;:")
    return title, parts


def feed_xml(blog: Blog, items: list[str]) -> bytes:
    """Return an RSS feed of ``blog`` carrying ``items`` (newest first)."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(blog.title)}</title><link>https://blog{blog.index}.example/</link>"
            f"<description>{blog.first} {blog.last} writes from {blog.place}</description>"
            "<language>en</language>" + "".join(items) + "</channel></rss>").encode()


def posts_on(blog: Blog, day: int, end: date, new: frozenset[int]) -> list[datetime]:
    """Return the dates of ``blog``'s posts as of ``day`` days after ``end`` (oldest first).

    ``new``: the blogs that write one more post on each day after ``end``.
    """
    dates = list(blog.dates)
    if blog.index in new:
        for d in range(1, day + 1):
            dates.append(datetime.combine(end + timedelta(d), time(8), UTC)
                         + timedelta(minutes=blog.index % 600))
    return dates


def new_posters(blogs: list[Blog], count: int = 100, seed: int = 1) -> frozenset[int]:
    """Return the ``count`` blogs that write a post on the next day."""
    return frozenset(random.Random(seed).sample(range(len(blogs)), min(count, len(blogs))))


def feed_body(blog: Blog, day: int, end: date, new: frozenset[int]) -> tuple[bytes, str]:
    """Return ``blog``'s feed as served ``day`` days after ``end``, and its Last-Modified."""
    dates = posts_on(blog, day, end, new)
    newest = list(enumerate(dates))[-FEED_ENTRIES:][::-1]
    items = [item_xml(blog, n, when) for n, when in newest]
    modified = format_datetime(newest[0][1] if newest else datetime(2020, 1, 1, tzinfo=UTC),
                               usegmt=True)
    return feed_xml(blog, items), modified
