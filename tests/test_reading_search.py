"""Search opened from disk says how to serve the site; results name each post once (#17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import serve_dir


def test_from_disk_search_says_it_needs_the_site_served(browser: Any,
                                                         demo_site_dir: Path) -> None:
    page = browser.new_page()
    page.goto((demo_site_dir / "search" / "index.html").as_uri())
    page.wait_for_load_state("load")
    disk = page.locator("#search-disk")
    assert disk.is_visible()
    assert "aggregator serve" in disk.inner_text()
    assert disk.get_by_role("link", name="all topics").count() == 1  # and browsing still works
    assert not page.locator("#search-status").is_visible()  # not "needs JavaScript"
    page.close()


def test_served_search_does_not_show_the_disk_message(browser: Any,
                                                       demo_site_dir: Path) -> None:
    with serve_dir(demo_site_dir) as base:
        page = browser.new_page()
        page.goto(base + "search/index.html")
        page.wait_for_function("!document.getElementById('search-status')"
                               ".textContent.includes('JavaScript')")
        assert not page.locator("#search-disk").is_visible()
        page.close()


@pytest.mark.parametrize("query", ["fractions", "library", "phonics"])
def test_each_result_names_its_post_once(browser: Any, demo_site_dir: Path,
                                         query: str) -> None:
    with serve_dir(demo_site_dir) as base:
        page = browser.new_page()
        page.goto(f"{base}search/index.html?q={query}")
        page.wait_for_selector("#search-results li")
        results = page.locator("#search-results li").all()
        titles = [r.locator("a").inner_text() for r in results]
        # The case that repeated the title: a post whose title holds the query, so
        # the excerpt Pagefind cuts around the match starts at its heading.
        assert any(query in t.lower() for t in titles), titles
        for result, title in zip(results, titles, strict=True):
            if "#post-" not in (result.locator("a").get_attribute("href") or ""):
                continue  # a topic's page, found by its name
            excerpt = result.locator(".excerpt").inner_text()
            assert not excerpt.startswith(title), (title, excerpt)
            assert "·" not in excerpt, excerpt  # no byline (blog · day · age) in the excerpt
        assert len(titles) == len(set(titles)), titles
        page.close()
