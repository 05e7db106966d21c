"""``aggregator add``: feed discovery on a real local server, and a byte-exact append."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.config import load_config, yaml_scalar

from .conftest import FeedServer, declare_public
from .fakes import Entry, FeedDoc

EXISTING = (
    "# Our blogs. Keep this comment!\n"
    "feeds:\n"
    "    - url: https://first.example/feed/   # four-space indent, kept as is\n"
    "      title: First\n"
    "\n"
    "    # a comment between entries\n"
    "    - url: https://second.example/rss.xml\n"
    "      site: https://second.example/\n"
    "      tags: [maths]\n"
    "# trailing comment, no newline at the end"
)


def blog(title: str = "Ms. Rivera's Class: Notes #1") -> FeedDoc:
    doc = FeedDoc(title=title, site="https://rivera.example/")
    doc.entries.append(Entry("Hello", "https://rivera.example/1/",
                             datetime(2026, 11, 1, tzinfo=UTC)))
    return doc


def html(head: str = "") -> bytes:
    return (f"<!DOCTYPE html><html><head><title>Home</title>{head}</head>"
            "<body><p>Welcome</p></body></html>").encode()


def add(feeds: Path, url: str) -> int:
    return main(["add", url, "--feeds", str(feeds), "--allow-private-hosts"])


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_bytes(EXISTING.encode())
    return path


def appended(feeds: Path) -> str:
    raw = feeds.read_bytes()
    assert raw.startswith(EXISTING.encode()), "the existing file is kept byte for byte"
    return raw[len(EXISTING):].decode()


def test_add_finds_the_feed_by_autodiscovery(feeds: Path, feed_server: FeedServer) -> None:
    feed_server.serve("/feeds/main.atom", blog().atom(), content_type="application/atom+xml")
    feed_server.serve("/comments.xml", b"<rss/>")  # not announced as alternate: ignored
    page = feed_server.serve("/home/", html(
        '<link rel="stylesheet" href="/style.css">'
        '<link rel="alternate" type="application/json" href="/feed.json">'
        '<link rel="alternate" type="application/atom+xml" title="Posts" '
        'href="../feeds/main.atom">'), content_type="text/html; charset=utf-8")

    assert add(feeds, page) == 0

    new = appended(feeds)
    feed_url = feed_server.url("/feeds/main.atom")
    lines = new.splitlines()
    assert lines[0] == ""  # the file had no final newline: one is added first
    assert lines[1] == f"    - url: {feed_url}"  # indented like the existing entries
    assert lines[2] == '      title: "Ms. Rivera\'s Class: Notes #1"'  # quoted: ': ' and '#'
    assert lines[3] == "      site: https://rivera.example/"
    assert lines[4].startswith("      added: 20")
    config = load_config(feeds)
    assert [f.url for f in config.feeds][-1] == feed_url
    assert config.feeds[-1].title == "Ms. Rivera's Class: Notes #1"
    assert len(config.feeds) == 3


def test_autodiscovery_reads_a_hostile_page_in_one_pass(feeds: Path,
                                                        feed_server: FeedServer) -> None:
    """Thousands of unclosed quotes (html.parser: minutes) before the page's feed link."""
    feed_server.serve("/feed.atom", blog().atom(), content_type="application/atom+xml")
    page = feed_server.serve("/home/", html(
        '<a "' * 50_000 + "<base href='/'><script>'<link rel=alternate href=/x>'</script>"
        "<LINK REL='Alternate Home' TYPE=application/atom+xml HREF=feed.atom>"),
        content_type="text/html")

    assert add(feeds, page) == 0
    assert f"- url: {feed_server.url('/feed.atom')}" in appended(feeds)


def test_add_tries_common_paths_without_autodiscovery(feeds: Path,
                                                      feed_server: FeedServer) -> None:
    feed_server.serve("/blog/feed/", blog("Plain Title").rss())
    page = feed_server.serve("/blog/", html(), content_type="text/html")

    assert add(feeds, page) == 0

    assert appended(feeds).splitlines()[1:3] == [
        f"    - url: {feed_server.url('/blog/feed/')}", "      title: Plain Title"]
    tried = [path for path, _ in feed_server.requests]
    assert tried[0] == "/blog/" and "/blog/feed/" in tried


def test_add_accepts_the_feed_itself_and_refuses_duplicates(
        feeds: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = feed_server.serve("/rss.xml", blog("Direct").rss())
    assert add(feeds, url) == 0
    after_first = feeds.read_bytes()

    # the same feed spelled differently is refused before any download
    requests = len(feed_server.requests)
    variant = url.replace("/rss.xml", "/rss.xml/?utm_source=newsletter")
    assert add(feeds, variant) == 1
    assert "already listed" in capsys.readouterr().err
    assert len(feed_server.requests) == requests
    # a home page whose feed is already listed is refused after discovery
    home = feed_server.serve("/", html('<link rel="alternate" type="application/rss+xml" '
                                       'href="rss.xml">'), content_type="text/html")
    assert add(feeds, home) == 1
    assert feeds.read_bytes() == after_first


def test_add_reports_what_it_tried_when_no_feed_exists(
        feeds: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    page = feed_server.serve("/nothing/", html(), content_type="text/html")
    assert add(feeds, page) == 1
    err = capsys.readouterr().err
    assert "no feed found" in err and "/nothing/feed/" in err and "/rss.xml" in err
    assert feeds.read_bytes() == EXISTING.encode()


def test_add_honours_the_address_rules(feeds: Path, feed_server: FeedServer,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    url = feed_server.serve("/rss.xml", blog().rss())
    assert main(["add", url, "--feeds", str(feeds)]) == 1  # no --allow-private-hosts
    assert "non-public address" in capsys.readouterr().err
    assert feed_server.requests == []


@pytest.mark.parametrize("value", [
    "Plain", "Ms. Rivera's class", "a: b", "#hashtag", "yes", "2026-01-01", "123", "null",
    "[brackets]", "Café & Co", 'He said "hi"', "back\\slash", "- dash", "ends with:",
    "tab\there", "*star", "&amp", "!tag", "%percent", "@at", "`tick`", "{brace}",
])
def test_yaml_scalar_round_trips(value: str) -> None:
    import yaml

    text = f"key: {yaml_scalar(value)}\n"
    assert yaml.safe_load(text) == {"key": " ".join(value.split())}


# -- hostile addresses (#13) ----------------------------------------------------------------

SECRET = "s3cr3t-Pa55"


def test_add_refuses_credentials_before_any_request(
        feeds: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = feed_server.serve("/feed.xml", blog().rss()).replace("http://", f"http://me:{SECRET}@")
    assert add(feeds, url) == 1
    assert "user name or password" in capsys.readouterr().err
    assert feed_server.requests == []
    assert feeds.read_bytes() == EXISTING.encode()


def test_add_never_follows_an_announced_feed_with_credentials(
        feeds: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    host = feed_server.base.removeprefix("http://")
    feed_server.serve("/members/feed.rss", blog().rss())  # not one of the usual paths
    home = feed_server.serve("/", html(
        '<link rel="alternate" type="application/rss+xml" '
        f'href="http://me:{SECRET}@{host}/members/feed.rss">'), content_type="text/html")
    assert add(feeds, home) == 1
    err = capsys.readouterr().err
    assert "no feed found" in err and SECRET not in err
    assert feed_server.hits("/members/feed.rss") == []
    assert not any("authorization" in headers for _, headers in feed_server.requests)
    assert feeds.read_bytes() == EXISTING.encode()


@pytest.mark.parametrize("url", ["http://a..example/", "http://" + "a" * 64 + ".example/"])
def test_add_reports_an_impossible_host_name(feeds: Path, url: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", url, "--feeds", str(feeds)]) == 1
    assert "host name that cannot exist" in capsys.readouterr().err
    assert feeds.read_bytes() == EXISTING.encode()


def test_add_survives_a_page_announcing_an_impossible_host(
        feeds: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    declare_public(monkeypatch, "127.0.0.1")  # the local server stands for a public blog
    home = feed_server.serve("/", html(
        '<link rel="alternate" type="application/rss+xml" href="http://a..example/feed">'),
        content_type="text/html")
    assert main(["add", home, "--feeds", str(feeds)]) == 1
    err = capsys.readouterr().err
    assert "no feed found" in err and "http://a..example/feed: cannot fetch it: bad_url" in err
    assert feeds.read_bytes() == EXISTING.encode()


def test_add_leaves_out_a_site_link_with_credentials(feeds: Path,
                                                     feed_server: FeedServer) -> None:
    doc = blog("Rivera")
    doc.site = f"https://me:{SECRET}@rivera.example/"
    url = feed_server.serve("/feed.xml", doc.rss())
    assert add(feeds, url) == 0
    text = appended(feeds)
    assert "title: Rivera" in text and SECRET not in text and "site:" not in text


def test_add_skips_announced_links_that_are_not_addresses(feeds: Path,
                                                         feed_server: FeedServer) -> None:
    url = feed_server.serve("/members/feed.rss", blog().rss())
    home = feed_server.serve("/", html(
        '<base href="http://[::1"><link rel="alternate" type="application/rss+xml" '
        'href="http://[broken"><link rel="alternate" type="application/rss+xml" '
        f'href="{url}">'), content_type="text/html")
    assert add(feeds, home) == 0
    assert f"url: {url}" in appended(feeds)
