"""A failing feed's blog page names the kind of trouble, never the error's text (#14).

The error's text changes from build to build (a byte count, a server's own words); the
page, and the key that decides whether pages are written again, hold only its kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from aggregator.health import fetch_trouble
from aggregator.models import FeedState

from .conftest import FeedServer
from .fakes import feeds_yaml
from .test_build import build, build_json, serve_three_blogs

NOTICE = "We could not fetch this blog's feed recently: "


def answer(status: int, reason: str) -> Callable[[BaseHTTPRequestHandler], None]:
    """Answer with ``status`` and the server's own ``reason`` phrase (in the error's text)."""
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status, reason)
        request.send_header("Content-Length", "0")
        request.end_headers()
    return handler


def first_build(tmp_path: Path, feed_server: FeedServer) -> tuple[str, Path]:
    """Build three working blogs; return the maths feed's URL and its blog page."""
    urls = serve_three_blogs(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    assert build(tmp_path) == 0
    slug = {f["url"]: f["slug"] for f in build_json(tmp_path)["feeds"]}[urls[1]]
    return urls[1], tmp_path / "site" / "blogs" / slug / "index.html"


def failed_with(tmp_path: Path) -> str:
    """Return the error text build.json records for the failing feed of the last build."""
    [error] = [h["last_error"] for h in build_json(tmp_path)["health"] if h["last_error"]]
    return str(error)


def test_a_feed_too_large_by_another_count_leaves_its_blog_page_as_it_was(
        tmp_path: Path, feed_server: FeedServer) -> None:
    _, page = first_build(tmp_path, feed_server)
    feed_server.serve("/maths.xml", b"x" * (6 * 1024 * 1024))  # over the 5 MiB limit
    assert build(tmp_path) == 0
    first_error = failed_with(tmp_path)
    text, stat = page.read_bytes(), page.stat()

    feed_server.serve("/maths.xml", b"x" * (7 * 1024 * 1024))
    assert build(tmp_path) == 0
    assert failed_with(tmp_path) != first_error  # the text changed: another byte count
    assert page.read_bytes() == text
    assert (page.stat().st_ino, page.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    shown = text.decode()
    assert NOTICE + "the feed was too large." in shown
    assert "bytes" not in shown and "limit" not in shown  # nothing of the error's text


def test_a_server_error_in_other_words_leaves_its_blog_page_as_it_was(
        tmp_path: Path, feed_server: FeedServer) -> None:
    _, page = first_build(tmp_path, feed_server)
    feed_server.routes["/maths.xml"] = answer(501, "Database down")
    assert build(tmp_path) == 0
    assert "Database down" in failed_with(tmp_path)
    text = page.read_bytes()

    feed_server.routes["/maths.xml"] = answer(501, "Disk full")
    assert build(tmp_path) == 0
    assert "Disk full" in failed_with(tmp_path)
    assert page.read_bytes() == text
    shown = text.decode()
    assert NOTICE + "something went wrong on the way." in shown
    assert "Database down" not in shown
    # "501" as a word: a post's hashed anchor id may hold those digits by chance
    assert not re.search(r"\b501\b", shown)
    assert "Disk full" in (tmp_path / "site" / "status" / "index.html").read_text()


def test_a_feed_no_longer_there_says_so(tmp_path: Path, feed_server: FeedServer) -> None:
    _, page = first_build(tmp_path, feed_server)
    del feed_server.routes["/maths.xml"]  # the server answers 404
    assert build(tmp_path) == 0
    shown = page.read_text()
    assert NOTICE + "the feed is no longer at its address." in shown
    assert "Not Found" not in shown


def test_a_slow_server_is_named_as_slow(tmp_path: Path, feed_server: FeedServer) -> None:
    _, page = first_build(tmp_path, feed_server)
    feed_server.serve("/maths.xml", b"<rss/>", delay=2.0)
    assert build(tmp_path, "--timeout", "0.5", "--deadline", "1") == 0
    shown = page.read_text()
    assert NOTICE + "the server took too long to answer." in shown
    assert "ReadTimeout" not in shown and "talking to" not in shown


NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "status", "trouble"), [
    ("timeout", None, "timeout"), ("http", 404, "missing"), ("gone", 410, "missing"),
    ("too_large", 200, "too_large"), ("parse", 200, "unreadable"),
    ("parse_timeout", 200, "unreadable"), ("http", 500, "other"), ("connection", None, "other"),
    (None, None, "other"),
])
def test_the_trouble_is_named_by_the_errors_kind(kind: str | None, status: int | None,
                                                 trouble: str) -> None:
    state = FeedState(url="https://e.org/feed", slug="e", consecutive_failures=1,
                      error_kind=kind, last_status=status, last_error=f"{kind}: any words",
                      failing_since=NOW)
    assert fetch_trouble(state) == trouble


def test_a_working_feed_has_no_trouble() -> None:
    assert fetch_trouble(FeedState(url="https://e.org/feed", slug="e", last_status=200)) is None
