"""The cheaper parse makes exactly what the old one made (#14): real feeds, hostile markup.

The reference is the sanitiser as it was (tests/sanitize_reference.py). Each feed is parsed
twice with the real parse_feed: as it is, and with the reference's excerpts and repeated
lines in place of sanitize.py's; the records must be equal, field for field.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from aggregator import parse, sanitize
from aggregator.errors import ParseError
from aggregator.models import ParsedFeed

from . import sanitize_reference as reference

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
DATA_FEEDS = Path(__file__).parent / "data" / "feeds"
FEED_SUFFIXES = (".xml", ".rss", ".rdf", ".atom", ".txt", ".html")


def _feed_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in FEED_SUFFIXES)


def _parsed(body: bytes, name: str) -> ParsedFeed | str:
    try:
        return parse.parse_feed(body, feed_url=f"https://feeds.example/{name}", now=NOW)
    except ParseError as e:
        return f"ParseError: {e}"


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """Return parse_feed's result for the file, with today's sanitiser and the old one."""
    body = path.read_bytes()
    new = _parsed(body, path.name)
    with monkeypatch.context() as m:
        m.setattr(parse, "post_excerpts", reference.post_excerpts)
        m.setattr(parse, "feed_repeats", reference.feed_repeats)
        old = _parsed(body, path.name)
    return new, old


def _assert_same_parse(files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    posts = 0
    for path in files:
        new, old = _both(path, monkeypatch)
        assert new == old, path
        posts += len(new.posts) if isinstance(new, ParsedFeed) else 0
    assert posts > 0


def test_the_repo_feeds_parse_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Litter, encodings, malformed XML: tests/data/feeds."""
    _assert_same_parse(_feed_files(DATA_FEEDS), monkeypatch)


@pytest.mark.parametrize("corpus", ["real-feeds/podsearch-2012", "real-feeds/feed-rs-fixtures",
                                    "real-feeds/broken-responses", "feedparser-samples"])
def test_the_shared_feeds_parse_as_before(shared: Path, corpus: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    files = _feed_files(shared / "corpora" / corpus)
    assert files
    if corpus == "real-feeds/broken-responses":  # no posts: only the same refusals
        for path in files:
            new, old = _both(path, monkeypatch)
            assert new == old, path
        return
    _assert_same_parse(files, monkeypatch)


def _markups(files: list[Path]) -> Iterator[tuple[list[str], list[str]]]:
    """Yield each feed's summaries and contents, as parse.py reads them (unsanitised)."""
    for path in files:
        data = feedparser.parse(path.read_bytes(), sanitize_html=False)
        entries = data.get("entries", [])
        yield ([e.get("summary", "") for e in entries],
               [c.get("value", "") for e in entries for c in e.get("content", [])])


def _assert_same_excerpts(markup: str, drop: frozenset[str]) -> None:
    # parse_feed's own sizes (400 and 320, a base) are the parse tests'; these others
    # move where the excerpts stop reading.
    for max_chars, plain_chars, base in ((100, 80, None), (400, 320, None),
                                         (1000, 700, "https://blog.example/posts/1/")):
        new = sanitize.post_excerpts(markup, "", base=base, drop=drop, max_chars=max_chars,
                                     plain_chars=plain_chars)
        old = reference.post_excerpts(markup, "", base=base, drop=drop, max_chars=max_chars,
                                      plain_chars=plain_chars)
        assert new == old, (markup[:300], max_chars, base)
    assert sanitize.clean_html(markup, drop=drop) == reference.clean_html(markup, drop=drop)


def test_every_real_post_gets_the_excerpts_it_got(shared: Path) -> None:
    """Each post alone, at three excerpt sizes, with and without the feed's repeated lines."""
    corpora = shared / "corpora" / "real-feeds"
    checked = 0
    for summaries, contents in _markups(_feed_files(corpora) + _feed_files(DATA_FEEDS)):
        for markups in (summaries, contents):
            drop = reference.feed_repeats(markups)
            assert sanitize.feed_repeats(markups) == drop
            for markup in filter(None, markups):
                _assert_same_excerpts(markup, drop)
                checked += 1
    assert checked > 1000


_WORDS = ("teaching pupils reading maths the a of and Tweet Share Duration: 8:03 Facebook "
          "| Twitter AUDIO Listen now … ... &amp; &nbsp; &lt; \u00a0 \u200b").split(" ")
_LITTER = ["Tweet", "Share this:", "Duration: 8:03", "Facebook | Twitter", "AUDIO", "   ",
           "&nbsp;", "Dear listener, take our survey", "\u200b"]
_HREFS = ["https://x.example/?utm_source=y&a=1", "/relative", "https://twitter.com/share?url=x",
          "https://feeds.feedburner.com/~r/x", "javascript:x", "https://ok.example/a"]


def _random_markup(rng: random.Random) -> str:
    """Return messy feed HTML: litter lines, lists, links, blocks, blank space, raw text."""
    def words(most: int) -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, most)))

    def piece(depth: int) -> str:
        r = rng.random()
        if r < 0.2:
            return f"<p>{words(30)}</p>"
        if r < 0.3:
            return f"{words(12)}<br>"
        if r < 0.4:
            return rng.choice(_LITTER) + rng.choice(["<br>", "</p><p>", "\n", ""])
        if r < 0.5:
            return f'<a href="{rng.choice(_HREFS)}">{words(4)}</a>'
        if r < 0.58 and depth < 4:
            items = "".join(f"<li>{piece(depth + 1)}" for _ in range(rng.randint(1, 4)))
            return f"<ul>{items}" + ("</ul>" if rng.random() < 0.7 else "")  # some unclosed
        if r < 0.64:
            return f"<div>{words(20)}</div>"
        if r < 0.7 and depth < 6:
            return f"<blockquote>{piece(depth + 1)}{piece(depth + 1)}</blockquote>"
        if r < 0.74:
            return "<em>" + words(6) + rng.choice(["</em>", "", "<br>"])
        if r < 0.78:
            return "<script>alert(1)</script><style>p{}</style><!-- a comment -->"
        if r < 0.82:
            return "<p>" + " " * rng.randint(0, 900) + "\n" * rng.randint(0, 5) + "</p>"
        if r < 0.86:
            return f"<h2>{words(8)}</h2><table><tr><td>{words(5)}<td>x</table>"
        return words(40)

    markup = "".join(piece(0) for _ in range(rng.randint(1, 120)))
    if rng.random() < 0.1:
        markup = "<span>" * rng.randint(30, 80) + markup  # deeper than MAX_DEPTH
    return markup


def test_messy_generated_posts_get_the_excerpts_they_got() -> None:
    """Long posts (most of them past what an excerpt reads) of litter, lists and blanks."""
    rng = random.Random(14)
    drops = [frozenset(), frozenset({"tweet", "teaching pupils"}),
             frozenset({"dear listener, take our survey", "share this:"})]
    for _ in range(150):
        _assert_same_excerpts(_random_markup(rng), rng.choice(drops))


@pytest.mark.parametrize("markup", [
    "<p>Hello</p>" + "<div>" * 60_000 + "<p>End</p>",  # unclosed, deep
    "<p>Hello</p>" + "<ul><li>" * 20_000,
    "<p>Hi</p>" + "<b><i>" * 30_000 + "deep" + "</i></b>" * 30_000,
    "<p>" + "A long paragraph of teaching notes. " * 10_000 + "</p>",  # 360 KB, one block
    "<p>x</p>" * 40_000,  # many small blocks
    "Line of words<br>" * 20_000,
    "<script>" + "alert(1);" * 10_000 + "</script><p>After the script</p><style>p{}</style>",
    "<p>Open <em>never closed <a href='/x'>link <strong>words " * 2_000,
    " " * 50_000 + "<p>Words after blanks</p>" + "\u00a0\n" * 5_000 + "<p>and more</p>",
    "<p>" + "&nbsp;" * 3_000 + "</p><p>" + "word " * 500 + "</p>",
    "<table><tr><td>" + "cell " * 20_000 + "</td></tr></table>",
], ids=["divs", "lists", "inline", "one-block", "blocks", "brs", "script", "unclosed",
        "blanks", "nbsp", "table"])
def test_hostile_markup_gets_the_excerpts_it_got(markup: str) -> None:
    _assert_same_excerpts(markup, frozenset())


def test_a_long_post_excerpt_reads_only_its_first_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """The litter pass stops once the excerpts are settled: a post of 40 paragraphs has
    a few looked at for litter, not the 35 or so the head of its markup holds (#14)."""
    looked: list[str] = []

    def is_litter_line(line: str) -> bool:
        looked.append(line)
        return False

    monkeypatch.setattr(sanitize, "is_litter_line", is_litter_line)
    markup = "".join(f"<p>Paragraph {i}: " + "pupils read a novel together. " * 4 + "</p>"
                     for i in range(40))
    plain, html = sanitize.post_excerpts(markup, "")
    assert plain.startswith("Paragraph 0:") and html.startswith("<p>Paragraph 0:")
    paragraphs = {line.split(":")[0] for line in looked}
    assert len(paragraphs) <= 15, sorted(paragraphs)


def test_a_summary_cut_from_the_content_is_not_excerpted(monkeypatch: pytest.MonkeyPatch) -> None:
    """WordPress's summary is the content's start, cut: its excerpts were made, then
    thrown away for the content's (#14). Now only the content's are made."""
    excerpted: list[str] = []
    excerpts = sanitize._excerpts

    def recorded(markup: str, *args: Any) -> tuple[str, str]:
        excerpted.append(markup)
        return excerpts(markup, *args)

    monkeypatch.setattr(sanitize, "_excerpts", recorded)
    content = "<p>" + "Professional development on teaching reading to older pupils. " * 8 + "</p>"
    summary = "<p>Professional development on teaching reading to older [&hellip;]</p>"
    assert sanitize.post_excerpts(summary, content) == reference.post_excerpts(summary, content)
    assert excerpted == [content]
    excerpted.clear()
    own = "<p>A summary of its own, saying what the post is about in other words.</p>"
    assert sanitize.post_excerpts(own, content) == reference.post_excerpts(own, content)
    assert excerpted == [own]
