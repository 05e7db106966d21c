"""feedparser's 165 XSS samples, served as feeds and built into a site: nothing dangerous out.

Each sample is served from a real HTTP server on 127.0.0.1 (with a <link> added to its
entries so they become posts: the hostile content is untouched), built by the real
pipeline, and every page and feed is scanned; the pages are also opened in Chromium,
where any script that ran would open a dialog.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from aggregator.cli import main

from .conftest import serve_dir
from .fakes import feeds_yaml

DANGEROUS_HTML = re.compile(
    r"<\s*(iframe|object|embed|applet|frame|meta\s+http-equiv|base|img)\b"
    r"|<[^>]+\son\w+\s*=|(href|src)\s*=\s*[\"']?\s*(javascript|vbscript|data):|style\s*=",
    re.IGNORECASE,
)
OUR_SCRIPT = '<script type="module" src="../assets/search.js"></script>'


def _with_links(body: bytes, n: int) -> bytes:
    """Give every entry a link (the samples have none), leaving the hostile content alone."""
    text = body.decode("utf-8", "replace")
    count = 0

    def item(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"{match.group(0)}<link>https://xss.example/{n}/{count}/</link>"

    text = re.sub(r"<item(\s[^>]*)?>", item, text)
    text = re.sub(r"<entry(\s[^>]*)?>",
                  lambda m: f'{m.group(0)}<link rel="alternate" '
                            f'href="https://xss.example/{n}/e/"/>', text)
    return text.encode()


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import SHARED, _start_server

    root = SHARED / "corpora" / "feedparser-samples" / "wellformed" / "sanitize"
    if not root.is_dir():
        pytest.skip("../shared (the team's test corpora) is not present")
    tmp = tmp_path_factory.mktemp("xss")
    with _start_server() as server:
        urls = [server.serve(f"/{i}.xml", _with_links(path.read_bytes(), i),
                             content_type="application/xml")
                for i, path in enumerate(sorted(root.glob("*.xml")))]
        (tmp / "feeds.yaml").write_text(feeds_yaml(urls))
        assert main(["build", "--feeds", str(tmp / "feeds.yaml"), "--out", str(tmp / "site"),
                     "--state", str(tmp / "state.db"), "--date", "2026-11-20",
                     "--allow-private-hosts"]) == 0
    return tmp / "site"


def test_hostile_samples_became_posts(xss_site: Path) -> None:
    import json

    data = json.loads((xss_site / "data" / "build.json").read_text())
    assert sum(f["outcome"] == "ok" for f in data["feeds"]) > 150
    assert data["summary"]["posts"] > 150


def test_no_page_or_feed_carries_anything_dangerous(xss_site: Path) -> None:
    for path in xss_site.rglob("*"):
        if path.suffix not in (".html", ".xml", ".opml", ".json") or "pagefind" in path.parts:
            continue
        text = path.read_text()
        scripts = set(re.findall(r"<script\b[^>]*>.*?</script>", text, re.I | re.S))
        assert scripts <= {OUR_SCRIPT}, (path, scripts)
        if path.suffix == ".html":
            forms = re.findall(r"<form\b[^>]*>", text)
            assert forms in ([], ['<form class="search-form" role="search" action="index.html"'
                                  ' method="get">']), (path, forms)  # only our search box
            if path.relative_to(xss_site).as_posix() != "fairness/index.html":
                assert "<svg" not in text, path  # our own chart is the only inline SVG
            found = DANGEROUS_HTML.search(text)
            assert not found, (path, found and text[max(0, found.start() - 80):found.end() + 80])
        elif path.suffix == ".xml" and "<feed " in text[:200]:
            # Atom: every text construct is declared plain text, which readers must show
            # as characters (a post about HTML may well mention "<script>").
            root = ET.fromstring(text)
            for node in root.iter():
                if node.tag.rsplit("}", 1)[-1] in ("title", "subtitle", "summary", "content",
                                                    "rights"):
                    assert node.get("type", "text") == "text", (path, node.tag)
            assert not re.search(r"javascript:|\son\w+\s*=", text, re.I), path
        else:  # RSS readers decode a description once and take it as HTML: no markup then
            unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            assert not re.search(r"<\s*script|javascript:|\son\w+\s*=", unescaped, re.I), path


@pytest.mark.skipif(shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists(),
                    reason="Debian's chromium is not installed")
def test_no_script_runs_in_a_browser(xss_site: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    pages = ["index.html", *(p.relative_to(xss_site).as_posix()
                             for p in sorted(xss_site.glob("blogs/*/index.html")))]
    dialogs: list[str] = []
    outside: list[str] = []
    with serve_dir(xss_site) as base, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        for path in pages:
            page.goto(base + path)
        browser.close()
    assert dialogs == []
    assert outside == []  # no hostile image, style or frame made the browser call out
