"""disabled / include / exclude / hide from feeds.yaml, end to end through real builds."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import feedparser

from .conftest import FeedServer
from .fakes import SUBJECTS, Entry, FeedDoc
from .test_build import END, build, build_json


def mixed_blog() -> FeedDoc:
    """A teacher's blog mixing classroom posts with personal ones."""
    doc = FeedDoc(title="Mixed blog", site="https://mixed.example/")
    titles = ["Maths in year 5", "Our holiday in Spain", "Fractions with bar models",
              "Sourdough recipe", "Aftermath of the inspection", "Buy cheap pills now"]
    for i, title in enumerate(titles):
        doc.entries.append(Entry(title=title, link=f"https://mixed.example/{i}/",
                                 published=END - timedelta(days=i),
                                 html=f"<p>{SUBJECTS['maths'] if i % 2 == 0 else 'Life.'}</p>"))
    return doc


def all_links(site: Path) -> str:
    """Return every page and feed of the site as one string, to search for links."""
    return "\n".join(p.read_text(errors="replace") for p in site.rglob("*")
                     if p.is_file() and p.suffix in (".html", ".xml", ".json", ".opml"))


def write_feeds(tmp_path: Path, url: str, extra: str) -> None:
    (tmp_path / "feeds.yaml").write_text(f"feeds:\n  - url: {url}\n    title: Mixed\n{extra}")


def test_include_exclude_and_hide_filter_posts_everywhere(tmp_path: Path,
                                                          feed_server: FeedServer) -> None:
    url = feed_server.serve("/mixed.xml", mixed_blog().rss())
    write_feeds(tmp_path, url, "    include: [maths, fractions, inspection, pills]\n"
                               "    exclude: [cheap]\n")
    assert build(tmp_path) == 0
    site = tmp_path / "site"
    text = all_links(site)
    for kept in (0, 2):
        assert f"https://mixed.example/{kept}/" in text
    for dropped in (1, 3, 5):  # holiday, recipe: not included; pills: excluded
        assert f"https://mixed.example/{dropped}/" not in text
    assert "https://mixed.example/4/" in text  # "inspection" is listed

    # Hiding a post that is already stored takes it off every page and feed at once.
    write_feeds(tmp_path, url, "    include: [maths, fractions, inspection]\n"
                               "    hide: [http://www.mixed.example/4]\n")
    assert build(tmp_path, day="2026-11-21") == 0
    text = all_links(site)
    assert "https://mixed.example/4/" not in text
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert sorted(e.link for e in feed.entries) == ["https://mixed.example/0/",
                                                    "https://mixed.example/2/"]
    data = build_json(tmp_path)
    posts_in_topics = {p for t in data["topics"] for p in t["posts"]}
    assert "https://mixed.example/4/" not in posts_in_topics
    with sqlite3.connect(tmp_path / "state.db") as db:  # gone from the state (and its export)
        links = {r[0] for r in db.execute("SELECT link FROM posts")}
    assert links == {"https://mixed.example/0/", "https://mixed.example/2/"}


def test_hidden_post_is_never_a_diamond(tmp_path: Path, feed_server: FeedServer) -> None:
    doc = FeedDoc(title="Spammed", site="https://spam.example/")
    long_text = "<p>" + (SUBJECTS["library"] + " ") * 6 + "</p>"
    doc.entries.append(Entry("Hacked: casino bonus", "https://spam.example/hacked/",
                             END, html=long_text, guid="spam-1"))
    url = feed_server.serve("/spam.xml", doc.rss())
    write_feeds(tmp_path, url, "    hide: [spam-1]\n")  # by guid
    assert build(tmp_path) == 0
    data = build_json(tmp_path)
    assert data["diamonds"] == []
    assert "https://spam.example/hacked/" not in all_links(tmp_path / "site")


def test_disabled_feed_is_not_fetched_but_keeps_its_posts(tmp_path: Path,
                                                          feed_server: FeedServer) -> None:
    url = feed_server.serve("/mixed.xml", mixed_blog().rss())
    write_feeds(tmp_path, url, "")
    assert build(tmp_path) == 0
    slug = build_json(tmp_path)["feeds"][0]["slug"]
    fetched = len(feed_server.hits("/mixed.xml"))

    feed_server.serve("/mixed.xml", b"gone", status=500)  # the blog died
    write_feeds(tmp_path, url, "    disabled: true\n")
    assert build(tmp_path, day="2026-11-22") == 0

    assert len(feed_server.hits("/mixed.xml")) == fetched  # not fetched at all
    data = build_json(tmp_path)
    assert data["feeds"][0]["outcome"] != "failed"
    assert "disabled" in data["feeds"][0]["reason"]
    site = tmp_path / "site"
    assert (site / "blogs" / slug / "index.html").is_file()
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert len(feed.entries) == 6  # every past post is still there
    assert json.loads((site / "data" / "build.json").read_text())["feeds"][0]["url"] == url


def test_a_rule_added_later_reads_the_whole_stored_text(tmp_path: Path,
                                                        feed_server: FeedServer) -> None:
    # A build loads only the start of long texts; an exclude rule added after a post was
    # stored must still see a keyword far into it.
    doc = FeedDoc(title="Long", site="https://long.example/")
    filler = (SUBJECTS["maths"] + " ") * 60  # well past the first 4,000 characters
    doc.entries.append(Entry("Long read", "https://long.example/1/", END,
                             html=f"<p>{filler}</p><p>Sponsored by a casino.</p>"))
    doc.entries.append(Entry("Short read", "https://long.example/2/", END - timedelta(days=1),
                             html=f"<p>{SUBJECTS['maths']}</p>"))
    url = feed_server.serve("/long.xml", doc.rss())
    write_feeds(tmp_path, url, "")
    assert build(tmp_path) == 0
    assert "https://long.example/1/" in all_links(tmp_path / "site")
    write_feeds(tmp_path, url, "    exclude: [casino]\n")
    assert build(tmp_path, day="2026-11-21") == 0
    links = [e.link for e in feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
             .entries]
    assert links == ["https://long.example/2/"]
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert {r[0] for r in db.execute("SELECT link FROM posts")} == {links[0]}


def test_a_post_hidden_after_it_was_featured_leaves_the_archive(tmp_path: Path,
                                                                feed_server: FeedServer) -> None:
    # The blog's only post is featured on day 1; on day 2 it turns out to be spam from a
    # hacked blog and is hidden: it must leave every page and feed, diamonds included.
    doc = FeedDoc(title="Hacked", site="https://hacked.example/")
    doc.entries.append(Entry("Looks like an essay", "https://hacked.example/spam/", END,
                             html="<p>" + (SUBJECTS["library"] + " ") * 6 + "</p>",
                             guid="spam-1"))
    url = feed_server.serve("/hacked.xml", doc.rss())
    write_feeds(tmp_path, url, "")
    assert build(tmp_path) == 0
    assert [d["link"] for d in build_json(tmp_path)["diamonds"]] == [
        "https://hacked.example/spam/"]
    write_feeds(tmp_path, url, "    hide: [spam-1]\n")
    assert build(tmp_path, day="2026-11-21") == 0
    site = tmp_path / "site"
    assert "https://hacked.example/spam/" not in all_links(site)
    assert feedparser.parse((site / "diamonds.xml").read_bytes()).entries == []
