"""The built site as readers and feed readers see it: links, feeds, OPML, sub-paths."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from xml.etree import ElementTree as ET

import feedparser
import pytest

from aggregator.cli import main
from aggregator.demo import load_sample
from aggregator.render import FEED_ITEMS

from .conftest import FeedServer, newsboat_items, serve_dir, serve_sample
from .fakes import feeds_yaml, subject_blog
from .test_build import DAY, END

BASE = "https://user.github.io/edublogs/"
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
                    r"Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build one site under a sub-path base URL from the sample blogs, on a local server."""
    from .conftest import _start_server

    tmp = tmp_path_factory.mktemp("site")
    with _start_server() as server:
        # Blogs whose subjects overlap: a topic is a subject several blogs share.
        (tmp / "feeds.yaml").write_text(serve_sample(server, DAY))
        assert main(["build", "--feeds", str(tmp / "feeds.yaml"), "--out", str(tmp / "site"),
                     "--state", str(tmp / "state.db"), "--date", DAY, "--base-url", BASE,
                     "--allow-private-hosts"]) == 0
    return tmp / "site"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        for key in ("href", "src"):
            if a.get(key):
                self.links.append(a[key] or "")


def test_no_broken_internal_links(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > 8
    checked = 0
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text())
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https"):
                if link.startswith(BASE):  # an absolute link into our own site
                    target = site / unquote(link[len(BASE):].split("#")[0])
                else:
                    continue  # outbound: the original posts and blogs
            elif parts.scheme:
                pytest.fail(f"{page}: unexpected link scheme {link!r}")
            else:
                rel = unquote(urljoin(page.relative_to(site).as_posix(), parts.path))
                target = site / rel if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(site)} links to missing {link}"
            checked += 1
    assert checked > 50


def test_pages_work_under_a_sub_path(site: Path) -> None:
    home = (site / "index.html").read_text()
    # Internal links are relative, so they resolve under /edublogs/ as on GitHub Pages...
    assert 'href="/' not in home and 'src="/' not in home
    # ...and absolute URLs (feeds) carry the sub-path.
    assert f'href="{BASE}feed.xml"' in home
    assert f'href="{BASE}atom.xml"' in home


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_combined_feeds_are_valid(site: Path, name: str) -> None:
    body = (site / name).read_bytes()
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == FEED_ITEMS  # the sample has more posts than that
    assert [e.published_parsed for e in feed.entries] == sorted(
        (e.published_parsed for e in feed.entries), reverse=True)
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [BASE + name]
    for entry in feed.entries:
        assert entry.id.startswith("urn:uuid:")
        assert urlsplit(entry.link).scheme == "https"
        assert entry.get("author")
        assert "<" not in entry.summary
    root = ET.fromstring(body)
    if name == "feed.xml":
        for item in root.iter("item"):
            assert len(item.findall("link")) == 1
            assert RFC822.match(item.findtext("pubDate") or ""), item.findtext("pubDate")
        assert RFC822.match(root.findtext("channel/lastBuildDate") or "")
    else:
        ns = {"a": "http://www.w3.org/2005/Atom"}
        assert RFC3339.match(root.findtext("a:updated", namespaces=ns) or "")
        for entry in root.findall("a:entry", ns):
            assert len(entry.findall("a:link", ns)) == 1
            for tag in ("a:published", "a:updated"):
                assert RFC3339.match(entry.findtext(tag, namespaces=ns) or "")
            for tag in ("a:title", "a:summary"):
                assert entry.find(tag, ns).get("type") == "text"  # type: ignore[union-attr]


def test_guids_are_stable_across_builds(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.serve("/p.xml", subject_blog("p", "phonics", n=6, end=END).rss())
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([url]))
    ids = []
    for day in ("2026-11-20", "2026-11-21"):
        assert main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                     str(tmp_path / "site"), "--state", str(tmp_path / "s.db"), "--date", day,
                     "--allow-private-hosts", "--min-interval", "0"]) == 0
        feed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
        ids.append({e.link: e.id for e in feed.entries})
    assert ids[0] == ids[1]
    assert len(set(ids[0].values())) == 6


def test_topic_feeds_and_opml(site: Path) -> None:
    topics = [p for p in (site / "topics").iterdir() if p.is_dir() and p.name != "misc"]
    assert topics
    for topic in topics:
        feed = feedparser.parse((topic / "feed.xml").read_bytes())
        assert not feed.bozo and feed.entries
        page = (topic / "index.html").read_text()
        assert f'href="{BASE}topics/{topic.name}/feed.xml"' in page
        opml = ET.fromstring((topic / "blogs.opml").read_bytes())
        assert opml.get("version") == "2.0"
        outlines = opml.findall("body/outline")
        assert outlines and all(o.get("xmlUrl", "").startswith("http") for o in outlines)
    everything = ET.fromstring((site / "blogs.opml").read_bytes())
    assert len(everything.findall("body/outline")) == len(load_sample())


def test_a_real_feed_reader_lists_every_item(site: Path, tmp_path: Path) -> None:
    with serve_dir(site) as base:
        feeds = ["feed.xml", "atom.xml", "diamonds.xml", *(p.relative_to(site).as_posix()
                                           for p in sorted(site.glob("topics/*/feed.xml")))]
        for i, name in enumerate(feeds):
            expected = len(feedparser.parse((site / name).read_bytes()).entries)
            assert newsboat_items(base + name, tmp_path / str(i)) == expected, name


def test_diamonds_feed_is_valid(site: Path) -> None:
    body = (site / "diamonds.xml").read_bytes()
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.entries
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [BASE + "diamonds.xml"]
    root = ET.fromstring(body)
    for item in root.iter("item"):
        assert len(item.findall("link")) == 1
        assert RFC822.match(item.findtext("pubDate") or "")
        assert urlsplit(item.findtext("link") or "").scheme == "https"
        assert item.findtext("guid")
