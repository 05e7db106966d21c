"""The demo site in a real headless Chromium: rendering, navigation, phone width, axe-core.

Needs a Chromium (``$CHROMIUM``, /usr/bin/chromium, or one on PATH) and the playwright +
axe-playwright-python packages; skipped with a reason where they are absent, and failed
instead in CI (``CI`` set), where they must be installed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from .conftest import axe_report, serve_dir


@pytest.fixture(scope="module")
def demo_site(demo_site_dir: Path) -> Iterator[str]:
    """Serve the demo site on 127.0.0.1; yield its base URL."""
    with serve_dir(demo_site_dir) as base:
        yield base


def _page_types(base: str, page: Any) -> dict[str, str]:
    """Return one URL per page type, found by following the site's own links."""
    page.goto(base + "index.html")
    topic = page.locator("#topics-heading ~ section h3 a").first.get_attribute("href")
    blog = page.locator(".post .meta a").first.get_attribute("href")
    urls = {
        "home": base + "index.html",
        "topic": base + topic,
        "topics": base + "topics/index.html",
        "blog": base + blog,
        "blogs": base + "blogs/index.html",
        "about": base + "about/index.html",
        "search": base + "search/index.html?q=library",
        "latest": base + "latest/index.html",
        "surprise": base + "surprise/index.html",
    }
    # The compact archive pages (#14): a river's day, a topic's month, a blog's year (of a
    # blog with more posts than its page shows: only such a blog has year pages).
    fronts = {"latest-day": urls["latest"], "topic-month": urls["topic"]}
    page.goto(urls["blogs"])
    for href in page.locator("main a[href*='blogs/']").evaluate_all(
            "links => links.map(a => a.href)"):
        page.goto(href)
        if page.locator(".archive-index a").count():
            fronts["blog-year"] = href
            break
    assert "blog-year" in fronts, "no blog of the demo has year pages"
    for name, front in fronts.items():
        page.goto(front)
        urls[name] = urljoin(front, page.locator(".archive-index a").first.get_attribute("href"))
    for name, path in (("status", "status/index.html"), ("diamonds", "diamonds/index.html"),
                       ("fairness", "fairness/index.html"), ("404", "404.html")):
        if page.request.get(base + path).ok:
            urls[name] = base + path
    return urls


def test_home_renders_diamonds_and_topics(browser: Any, demo_site: str,
                                          demo_site_dir: Path) -> None:
    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(demo_site) else outside.append(r.url))
    page.goto(demo_site + "index.html")
    assert "education blogs" in page.locator("h1").inner_text()  # what the site is
    assert page.locator("#diamonds-heading").inner_text() == "Diamonds in the rough"
    assert page.locator(".diamond-list > li").count() == 5
    topics = json.loads((demo_site_dir / "data" / "build.json").read_text())["topics"]
    assert len(topics) >= 5
    for topic in topics:  # each with its own section, or listed among the quieter ones
        href = f"topics/{topic['slug']}/index.html"
        assert page.locator(f'#topics-heading ~ section a[href="{href}"]').count(), href
    assert outside == [], "the site must make no third-party requests"


def test_topic_navigation(browser: Any, demo_site: str) -> None:
    page = browser.new_page()
    page.goto(demo_site + "index.html")
    link = page.locator("#topics-heading ~ section h3 a").first
    label = link.inner_text()
    link.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == label
    assert page.locator(".post").count() > 0
    page.locator("nav >> text=Topics").click()
    page.wait_for_load_state()
    assert page.url.endswith("topics/index.html")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_has_no_horizontal_scroll(browser: Any, demo_site: str,
                                              scheme: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    page = context.new_page()
    for url in _page_types(demo_site, page).values():
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{url} is {width}px wide at a 360px viewport"
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_type_passes_axe(browser: Any, demo_site: str, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    failures = {}
    for name, url in _page_types(demo_site, page).items():
        page.goto(url)
        if report := axe_report(page):
            failures[name] = report
    context.close()
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())


def test_search_finds_posts_and_links_to_them(browser: Any, demo_site: str) -> None:
    page = browser.new_page()
    page.goto(demo_site + "search/index.html")
    page.fill("#search-input", "fractions")
    page.click(".search-form button")
    page.wait_for_selector("#search-results li")
    results = page.locator("#search-results li a")
    assert results.count() >= 3
    titles = results.all_inner_texts()
    assert len(titles) == len(set(titles)), titles  # each post once (on its blog's page)
    assert "result" in page.locator("#search-status").inner_text()
    href = results.first.get_attribute("href")
    assert href and href.startswith("/")  # resolved against the site's own root
    results.first.click()
    page.wait_for_load_state()
    assert "fraction" in page.content().lower()


def test_search_page_without_javascript_points_to_browsing(browser: Any, demo_site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(demo_site + "search/index.html")
    status = page.locator("#search-status")
    assert "needs JavaScript" in status.inner_text()
    assert status.locator("a").count() == 2
    context.close()
