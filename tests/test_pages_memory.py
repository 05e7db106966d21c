"""What the page stage holds grows as little as it can with the history (#14).

build.json lists every post's link and is written as it is encoded, never held whole; an
archive page's key is made of a digest of each post it shows, and the build keeps that
digest, not the line it digests; while the pages are written, the build holds none of
the draw's lookups of every post.
"""

from __future__ import annotations

import json
import os
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator import build as build_module
from aggregator.buildjson import build_json
from aggregator.models import Blog, BuildReport, Post, Topic
from aggregator.pageplan import write_status
from aggregator.pages import Files, Pages
from aggregator.render import SiteContent

from .conftest import FeedServer
from .fakes import feeds_yaml
from .test_build import build, serve_subjects

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _blog(n: int) -> Blog:
    return Blog(url=f"https://b{n}.example/feed", slug=f"b{n}", title=f"Blog {n}",
                site=f"https://b{n}.example/", author=None, description=None, tags=(),
                language="en", added=None, last_success=NOW, last_error=None,
                consecutive_failures=0)


def _posts(count: int, title: str = "Post") -> list[Post]:
    return [Post(feed_url=f"https://b{i % 3}.example/feed", guid=f"g{i}",
                 link=f"https://b{i % 3}.example/2026/a-post-of-some-length-{i}/",
                 title=f"{title} {i}", published=NOW - timedelta(minutes=i), excerpt="",
                 text="")
            for i in range(count)]


def _pages(out: Path, posts: list[Post]) -> tuple[Pages, BuildReport]:
    topic = Topic(slug="phonics", label="Phonics", terms=("phonics",),
                  post_uids=tuple(p.uid for p in posts))
    content = SiteContent(today=NOW.date(), generated=NOW, seed=1,
                          base_url="https://example.org/", blogs=[_blog(i) for i in range(3)],
                          posts=posts, topics=[topic], misc=[], diamonds=[])
    report = BuildReport(date=NOW.date(), seed=1, feeds=(), topics=(topic,), diamonds=(),
                         new_posts=0, total_posts=len(posts), seconds=0.0, out_dir=str(out))
    return Pages(content, out), report


def test_build_json_is_written_as_it_is_encoded(tmp_path: Path) -> None:
    page, report = _pages(tmp_path, _posts(50_000))
    tracemalloc.start()
    try:
        write_status(page, report, "key")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    written = (tmp_path / "data" / "build.json").read_bytes()
    assert written == build_json(report, page.site, pages_key="key").encode()
    assert len(json.loads(written)["topics"][0]["posts"]) == 50_000
    # json.dumps held the encoder's pieces of the whole text, then the text, then its
    # bytes: several times the file's size at once.
    assert peak < len(written) / 2, (peak, len(written))
    assert not list(tmp_path.rglob("*.partial"))


def test_a_streamed_file_with_the_same_bytes_is_kept_and_a_changed_one_is_not_written_through(
        tmp_path: Path) -> None:
    published, staging = tmp_path / "site", tmp_path / "staging"
    for folder in (published, staging):
        (folder / "data").mkdir(parents=True)
    (published / "data" / "same.json").write_text("[1, 2]\n")
    (published / "data" / "other.json").write_text("[1, 2]\n")
    for name in ("same.json", "other.json"):  # the staging folder starts as hard links
        os.link(published / "data" / name, staging / "data" / name)
    files = Files(staging)

    files.write_parts("data/same.json", ["[1", ", 2]", "\n"])
    files.write_parts("data/other.json", ["[1", ", 3]", "\n"])
    files.write_parts("data/new.json", ["é", "\n"])

    assert files.written == {"data/same.json", "data/other.json", "data/new.json"}
    assert files.changed == {"data/other.json", "data/new.json"}
    same = staging / "data" / "same.json"
    assert same.stat().st_ino == (published / "data" / "same.json").stat().st_ino
    assert (staging / "data" / "other.json").read_text() == "[1, 3]\n"
    assert (published / "data" / "other.json").read_text() == "[1, 2]\n"  # not through
    assert (staging / "data" / "new.json").read_bytes() == "é\n".encode()
    assert not list(tmp_path.rglob("*.partial"))


def test_an_archive_keeps_a_digest_of_each_post_not_what_it_shows(tmp_path: Path) -> None:
    posts = _posts(5_000, title="A title as long as a paragraph " * 8)
    page, _ = _pages(tmp_path, posts)
    tracemalloc.start()
    try:
        shown = [page.fingerprint(p) for p in posts]
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert {len(s) for s in shown} == {32}
    assert len(set(shown)) == len(posts)
    assert held / len(posts) < 200, held / len(posts)  # each line was over 400 bytes
    # Whatever an archive shows of a post still changes its digest.
    other, _ = _pages(tmp_path, [Post(**{**{f: getattr(posts[0], f) for f in (
        "feed_url", "guid", "link", "published", "excerpt", "text")}, "title": "Changed"})])
    assert other.fingerprint(other.content.posts[0]) != shown[0]


def test_the_pages_are_written_without_the_draws_lookups_of_every_post(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = serve_subjects(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    held: list[int] = []
    write_site = build_module.write_site

    def looking(content: SiteContent, *args: object, **kwargs: object) -> object:
        uids = {p.uid for p in content.posts}
        # The build's own variables (a dict of strings only is not one the gc tracks).
        build_locals = sys._getframe(1).f_locals.values()
        held.extend(len(o) for o in build_locals  # each post's topic or feed, by uid
                    if isinstance(o, dict) and len(o) >= len(uids) // 2
                    and set(o) <= uids and all(isinstance(v, str) for v in o.values()))
        return write_site(content, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "write_site", looking)
    assert build(tmp_path) == 0
    assert held == []
