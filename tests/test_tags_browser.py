"""Tag pages, the blogs directory and the status page of the litter site in a real Chromium.

Built from the litter feeds (tests/litter.py: a dormant blog, shared links, an untitled
feed, messy authors), not the tidy sample: axe-core in light and dark schemes, and a
360 px phone. Skipped (failed in CI) where Chromium or axe-playwright-python is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import chromium, require_module, serve_dir
from .litter import LitterSite
from .test_browser import WCAG

PAGES = ("tags/index.html", "tags/edtech/index.html", "tags/podcasts/index.html",
         "blogs/index.html", "blogs/the-quiet-classroom/index.html",
         "blogs/edtechnotes-example/index.html", "status/index.html")


@pytest.fixture(scope="module")
def served(litter_site: LitterSite) -> Iterator[str]:
    with serve_dir(litter_site.site) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_blog_and_tag_pages_pass_axe_and_fit_a_phone(browser: Any, served: str,
                                                    scheme: str) -> None:
    axe = require_module("axe_playwright_python.sync_playwright",
                         "axe-playwright-python is not installed").Axe()
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    page = context.new_page()
    failures = {}
    for path in PAGES:
        assert page.goto(served + path).ok, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide at a 360px viewport"
        result = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
        if result.violations_count:
            failures[path] = result.generate_report()
    context.close()
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())


def test_a_blog_page_leads_to_its_tag_and_back(browser: Any, served: str) -> None:
    page = browser.new_page()
    page.goto(served + "blogs/teachers-podcast/index.html")
    page.locator(".blog-about a", has_text="podcasts").click()
    page.wait_for_load_state()
    assert page.url.endswith("tags/podcasts/index.html")
    assert page.locator("h1").inner_text() == "Tag: podcasts"
    page.locator("main a", has_text="Teachers Podcast").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("blogs/teachers-podcast/index.html")
