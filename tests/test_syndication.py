"""syndication.py: what feed readers get for text that looks like markup."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser

from aggregator.syndication import Channel, Item, atom, rss

CHANNEL = Channel(title="Edublogs", description="All posts", self_url="https://x.example/feed.xml",
                  site_url="https://x.example/", updated=datetime(2026, 11, 20, tzinfo=UTC))


def item(title: str, summary: str) -> Item:
    return Item(id="urn:uuid:00000000-0000-0000-0000-000000000001", title=title,
                link="https://blog.example/1/", published=datetime(2026, 11, 19, tzinfo=UTC),
                summary=summary, author="Ada")


def test_rss_descriptions_are_html_that_shows_the_text() -> None:
    # A post about HTML: its text mentions tags. RSS readers take a description as HTML,
    # so it must arrive escaped, and read back as the same characters.
    body = rss(CHANNEL, [item("Teaching <script> safely", "Use <b>bold</b> & <script>.")])
    assert b"<b>" not in body and b"&lt;b&gt;" not in body  # escaped twice: &amp;lt;b&amp;gt;
    entry = feedparser.parse(body).entries[0]
    assert entry.summary == "Use &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;."  # HTML of the text
    assert "<script" not in entry.title  # a tag-like title is escaped too


def test_plain_titles_are_not_escaped_twice() -> None:
    body = rss(CHANNEL, [item("Q&A: fractions < decimals?", "x")])
    assert b"<title>Q&amp;A: fractions &lt; decimals?</title>" in body
    assert feedparser.parse(body).entries[0].title == "Q&A: fractions < decimals?"


def test_atom_text_constructs_are_declared_text() -> None:
    body = atom(CHANNEL, [item("Teaching <script> safely", "Use <b>bold</b>.")])
    assert b'<summary type="text">Use &lt;b&gt;bold&lt;/b&gt;.</summary>' in body
    entry = feedparser.parse(body).entries[0]
    assert entry.title_detail.type == "text/plain"
