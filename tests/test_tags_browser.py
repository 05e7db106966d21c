"""Tag pages, the blogs directory and the status page of the litter site in a real Chromium.

Built from the litter feeds (tests/litter.py: a dormant blog, shared links, an untitled
feed, messy authors), not the tidy sample: axe-core in light and dark schemes, and a
360 px phone. Skipped (failed in CI) where Chromium or axe-playwright-python is missing.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import axe_report

PAGES = ("tags/index.html", "tags/edtech/index.html", "tags/podcasts/index.html",
         "blogs/index.html", "blogs/the-quiet-classroom/index.html",
         "blogs/edtechnotes-example/index.html", "status/index.html")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_blog_and_tag_pages_pass_axe_and_fit_a_phone(browser: Any, litter_served: str,
                                                    scheme: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    page = context.new_page()
    failures = {}
    for path in PAGES:
        assert page.goto(litter_served + path).ok, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide at a 360px viewport"
        if report := axe_report(page):
            failures[path] = report
    context.close()
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())


def test_a_blog_page_leads_to_its_tag_and_back(browser: Any, litter_served: str) -> None:
    page = browser.new_page()
    page.goto(litter_served + "blogs/teachers-podcast/index.html")
    page.locator(".blog-about a", has_text="podcasts").click()
    page.wait_for_load_state()
    assert page.url.endswith("tags/podcasts/index.html")
    assert page.locator("h1").inner_text() == "Tag: podcasts"
    page.locator("main a", has_text="Teachers Podcast").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("blogs/teachers-podcast/index.html")
