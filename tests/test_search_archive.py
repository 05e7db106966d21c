"""Search finds every post, old ones included, at a cost that follows change (#14).

Each year that is over has a search bundle of its own, built from its blogs' compact
archive pages and kept while they keep their bytes; the search page merges the bundles.
Tested in a real Chromium on a site served over loopback HTTP (Pagefind needs a server).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator import searchindex
from aggregator.models import Blog, BuildReport, Post, Topic
from aggregator.render import SiteContent, render_site

from .conftest import serve_dir

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
OLD = datetime(2001, 1, 1, tzinfo=UTC).timestamp()
NAMES = ("Quill notes", "Wombat Gazette", "Slate and chalk")


def _blog(n: int) -> Blog:
    return Blog(url=f"https://b{n}.example/feed", slug=f"b{n}", title=NAMES[n],
                site=f"https://b{n}.example/", author=None, description=None, tags=(),
                language="en", added=None, last_success=NOW, last_error=None,
                consecutive_failures=0)


def _posts() -> list[Post]:
    """Return 120 posts a week apart (back into 2024), newest first; one old one to find."""
    posts = [Post(feed_url=f"https://b{i % 3}.example/feed", guid=f"g{i}",
                  link=f"https://b{i % 3}.example/{i}/", title=f"Weekly notes {i}",
                  published=NOW - timedelta(weeks=i), excerpt=f"Notes of week {i}.",
                  text="words") for i in range(120)]
    # Gone from every front page long ago, its excerpt gone with its text (#14).
    posts[100] = Post(feed_url="https://b1.example/feed", guid="old",
                      link="https://b1.example/marsupial/", title="Marsupial arithmetic",
                      published=NOW - timedelta(weeks=100), excerpt="", text="")
    return posts


def _build(out: Path, posts: list[Post]) -> Path:
    topic = Topic(slug="notes", label="Notes", terms=("notes",),
                  post_uids=tuple(p.uid for p in posts))
    content = SiteContent(today=NOW.date(), generated=NOW, seed=1,
                          base_url="http://localhost:8000/", blogs=[_blog(i) for i in range(3)],
                          posts=posts, topics=[topic], misc=[], diamonds=[])
    report = BuildReport(date=NOW.date(), seed=1, feeds=(), topics=(topic,), diamonds=(),
                         new_posts=0, total_posts=len(posts), seconds=0.0, out_dir=str(out))
    render_site(content, report, out)
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("search") / "site", _posts())


def test_each_year_that_is_over_has_a_bundle_of_its_own(site: Path) -> None:
    assert (NOW - timedelta(weeks=100)).year == 2024
    assert sorted(p.name for p in (site / "pagefind-archive").iterdir()
                  if p.is_dir()) == ["2024", "2025"]
    assert (site / "pagefind" / "pagefind.js").is_file()
    listed = json.loads((site / "pagefind-archive" / "bundles.json").read_text())
    assert listed == ["pagefind-archive/2024", "pagefind-archive/2025"]  # what search merges


def _results(browser: Any, base: str, query: str) -> list[tuple[str, str, str]]:
    page = browser.new_page()
    try:
        page.goto(f"{base}search/index.html?q={query}")
        page.wait_for_selector("#search-results li")
        return [(r.locator("a").inner_text(), r.locator("a").get_attribute("href") or "",
                 r.locator(".excerpt").inner_text())
                for r in page.locator("#search-results li").all()]
    finally:
        page.close()


def test_an_old_post_is_found_by_its_title_and_by_its_blog(browser: Any, site: Path) -> None:
    with serve_dir(site) as base:
        by_title = _results(browser, base, "marsupial")
        assert [t for t, _, _ in by_title] == ["Marsupial arithmetic"]
        _, href, excerpt = by_title[0]
        assert href.endswith("blogs/b1/2024/#post-" + _posts()[100].uid)  # its year's page
        assert "·" not in excerpt  # no byline: the day is not indexed
        by_blog = _results(browser, base, "wombat")
        titles = [t for t, _, _ in by_blog]
        assert len(titles) == len(set(titles)), titles  # each post once
        assert "Marsupial arithmetic" in titles  # an old post, found by its blog's name
        recent = _results(browser, base, "weekly notes 3")  # this year's: on two pages
        links = [h.rsplit("#", 1)[-1] for _, h, _ in recent if "#post-" in h]
        assert len(links) == len(set(links)), recent


def test_a_closed_years_bundle_is_not_built_again(site: Path, tmp_path: Path) -> None:
    # A copy of the site, as the next build finds it; one new post today.
    out = tmp_path / "site"
    out.mkdir()
    for path in site.rglob("*"):
        target = out / path.relative_to(site)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
            os.utime(target, (OLD, OLD))
    new = Post(feed_url="https://b0.example/feed", guid="new", link="https://b0.example/new/",
               title="A new post", published=NOW - timedelta(hours=1), excerpt="New.",
               text="words")
    _build(out, [new, *_posts()])
    closed = [p for p in (out / "pagefind-archive").rglob("*") if p.is_file()]
    assert closed and all(p.stat().st_mtime == OLD for p in closed)  # kept as they were
    current = [p for p in (out / "pagefind").rglob("*") if p.is_file()]
    assert any(p.stat().st_mtime != OLD for p in current)  # the current one is built again


SMALL = 6_000  # bytes of pages a run may read: several bundles for each year here


def test_each_run_of_the_indexer_reads_at_most_one_bundle_of_pages(
        browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pagefind holds all it indexes in one run in memory: the pages are cut into bundles
    # of at most BUNDLE_BYTES, indexed one after another; search merges them all.
    runs: list[list[str]] = []
    run = searchindex._pagefind

    def spy(site: Path, folder: str, glob: str) -> bool:
        runs.append([folder, *(glob[1:-1].split(",") if glob.startswith("{") else [glob])])
        return run(site, folder, glob)

    monkeypatch.setattr(searchindex, "BUNDLE_BYTES", SMALL)
    monkeypatch.setattr(searchindex, "_pagefind", spy)
    site = _build(tmp_path / "site", _posts())
    assert len(runs) > 4  # the current pages and each closed year, in several bundles
    for folder, *pages in runs:
        assert pages, folder
        size = sum((site / p).stat().st_size for p in pages)
        assert size <= SMALL or len(pages) == 1, (folder, size, pages)
        assert not list((site / folder).glob("pagefind-*ui*"))  # its own UI: not used
        entry = json.loads((site / folder / "pagefind-entry.json").read_text())
        assert entry["languages"]["en"]["page_count"] == len(pages)  # what it read
    indexed = [p for _, *pages in runs for p in pages]
    assert len(indexed) == len(set(indexed))  # each page in one bundle
    assert {f"blogs/b{n}/{y}/index.html" for n in range(3) for y in (2024, 2025)} <= set(indexed)
    folders = [folder for folder, *_ in runs]
    listed = json.loads((site / "pagefind-archive" / "bundles.json").read_text())
    assert listed == [f for f in folders if f != "pagefind"]
    with serve_dir(site) as base:  # every bundle searched as one
        assert [t for t, _, _ in _results(browser, base, "marsupial")] == [
            "Marsupial arithmetic"]
        assert "Marsupial arithmetic" in [t for t, _, _ in _results(browser, base, "wombat")]

    # The next day: a closed year's bundles are all kept, however many it has.
    runs.clear()
    new = Post(feed_url="https://b0.example/feed", guid="new", link="https://b0.example/new/",
               title="A new post", published=NOW - timedelta(hours=1), excerpt="New.",
               text="words")
    _build(site, [new, *_posts()])
    assert runs and not [f for f, *_ in runs if f.startswith(("pagefind-archive/2024",
                                                               "pagefind-archive/2025"))]
