"""The home page and topics index, built for real: fresh, mixed, quiet topics apart (#12)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from aggregator.cli import main

from .conftest import _start_server
from .fakes import Entry, FeedDoc, feeds_yaml

DAY = "2026-11-20"
END = datetime(2026, 11, 20, 9, tzinfo=UTC)
SENTENCES = {
    "phonics": ["We practised blending sounds with decodable books in reception.",
                "Segmenting phonemes helps early readers spell new words.",
                "Children who guess words from pictures need more phonics practice.",
                "Our phonics screening showed which digraphs need reteaching.",
                "Pure sounds make blending much easier for beginning readers.",
                "Decodable readers let children practise the phonics code they know."],
    "fractions": ["Fraction strips show why a larger denominator means smaller parts.",
                  "Pupils compared equivalent fractions on a number line.",
                  "Adding fractions with unlike denominators still confuses my class.",
                  "Bar models make fraction word problems easier to reason about.",
                  "We folded paper into halves and quarters to see equivalent fractions.",
                  "Dividing fractions by a whole number needs a concrete model first."],
    "library": ["The school library lends novels and graphic novels every week.",
                "Our librarian runs a reading for pleasure club in the library.",
                "Pupils borrow picture books from the library shelves at lunchtime.",
                "The library catalogue now lists every novel by genre.",
                "A library book swap brought new fiction onto our shelves.",
                "The librarian recommends authors to reluctant readers."],
}
# (blog, subject, posts, days before END of its newest post): library went quiet.
BLOGS = [("quill", "phonics", 12, 0), ("sprout", "phonics", 5, 2), ("acorn", "phonics", 5, 4),
         ("abacus", "fractions", 5, 1), ("tally", "fractions", 5, 3), ("slate", "fractions", 5, 5),
         ("shelf", "library", 5, 120), ("atlas", "library", 5, 130), ("folio", "library", 5, 140)]


def voiced_blog(name: str, subject: str, n: int, newest: int, rng: random.Random) -> FeedDoc:
    """Return a blog of ``n`` posts on ``subject``, in its own voice."""
    site = f"https://{name}.example/"
    doc = FeedDoc(title=f"The {name.title()} Diaries", site=site)
    for i in range(n):
        body = " ".join(rng.sample(SENTENCES[subject], 3))
        doc.entries.append(Entry(
            title=f"{name.title()} Diaries {i}: {subject}", link=f"{site}post-{i}/",
            published=END - timedelta(days=newest + 2 * i, hours=i),
            html=f"<p>{name.title()} here from {name.title()}ville School. {body}</p>"
                 f"<p>See you soon from the {name.title()} Diaries.</p>"))
    return doc


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("home")
    rng = random.Random(4)
    with _start_server() as server:
        urls = [server.serve(f"/{name}.xml", voiced_blog(name, subject, n, newest, rng).rss())
                for name, subject, n, newest in BLOGS]
        (tmp / "feeds.yaml").write_text(feeds_yaml(urls))
        assert main(["build", "--feeds", str(tmp / "feeds.yaml"), "--out", str(tmp / "site"),
                     "--state", str(tmp / "state.db"), "--date", DAY,
                     "--allow-private-hosts"]) == 0
    return tmp / "site"


class _Sections(HTMLParser):
    """Collect, per <section>, the links it holds (nested sections apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, list[str] | str]] = []
        self.sections: list[dict[str, list[str] | str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            entry: dict[str, list[str] | str] = {"class": a.get("class") or "", "links": []}
            self.stack.append(entry)
            self.sections.append(entry)
        elif tag == "a" and self.stack and a.get("href"):
            links = self.stack[-1]["links"]
            assert isinstance(links, list)
            links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.stack:
            self.stack.pop()


def _topic_of_blog(site: Path) -> dict[str, str]:
    data = json.loads((site / "data" / "build.json").read_text())
    return {link.split("/")[2].split(".")[0]: t["slug"] for t in data["topics"]
            for link in t["posts"]}


def test_the_quiet_subject_sits_under_quieter_topics(site: Path) -> None:
    topic_of = _topic_of_blog(site)
    quiet = {topic_of[name] for name in ("shelf", "atlas", "folio") if name in topic_of}
    assert len(quiet) == 1, topic_of  # the library posts make one topic
    (slug,) = quiet
    parser = _Sections()
    parser.feed((site / "index.html").read_text())
    active = [s for s in parser.sections if s["class"] == "topic"]
    quieter = [s for s in parser.sections if s["class"] == "quieter"]
    assert quieter and any(f"topics/{slug}/" in link for link in quieter[0]["links"])
    assert not any(f"topics/{slug}/" in link for s in active for link in s["links"])
    # The active topics come newest first: phonics (today) before fractions (yesterday).
    order = [link for s in active for link in s["links"] if link.startswith("topics/")]
    assert order.index(f"topics/{topic_of['quill']}/index.html") < \
        order.index(f"topics/{topic_of['abacus']}/index.html")


def test_each_preview_shows_at_most_one_post_per_blog(site: Path) -> None:
    parser = _Sections()
    parser.feed((site / "index.html").read_text())
    previews = [s for s in parser.sections if s["class"] == "topic"]
    assert previews
    for section in previews:
        blogs = [link for link in section["links"] if link.startswith("blogs/")]
        assert blogs and len(blogs) == len(set(blogs)), blogs
    # The busy blog posted most lately, yet its topic shows the other two blogs as well.
    busy = next(s for s in previews if any("quill" in link for link in s["links"]))
    assert len({link for link in busy["links"] if link.startswith("blogs/")}) == 3


def test_the_topics_index_says_how_many_blogs_write_on_each(site: Path) -> None:
    text = (site / "topics" / "index.html").read_text()
    assert text.count("3 blogs") >= 3
    assert "latest <time" in text
    assert text.count('class="age"') >= 3  # the latest post's day, and how old it is (#17)
