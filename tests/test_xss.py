"""Hostile feeds, served and built into a site: nothing dangerous reaches a page or a feed.

Two corpora go through the real pipeline from a real HTTP server on 127.0.0.1: the repo's
own fixtures (tests/data/feeds, every field of them hostile; they run everywhere) and,
where ../shared is present, feedparser's 165 XSS samples (with a <link> added to their
entries so they become posts: the hostile content is untouched). Every page is read with
html.parser and every feed with ElementTree, and the pages are also opened in Chromium,
where any script that ran would open a dialog.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest

from aggregator.cli import main

from .conftest import FixtureSite, chromium, serve_dir
from .fakes import feeds_yaml

ATOM = "{http://www.w3.org/2005/Atom}"
# Elements the templates write (plus the sanitiser's allow-list, which is a subset): any
# other element on a page came from a feed.
PAGE_TAGS = frozenset({
    "html", "head", "body", "title", "meta", "link", "style", "script", "header", "nav",
    "main", "footer", "section", "article", "div", "span", "h1", "h2", "h3", "h4", "p", "a",
    "ul", "ol", "li", "em", "strong", "b", "i", "code", "blockquote", "q", "cite", "abbr",
    "sub", "sup", "br", "time", "form", "input", "label", "button", "table", "caption",
    "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "details", "summary", "var",
})
CHART_TAGS = frozenset({"svg", "g", "circle", "line", "text", "desc", "title"})
SEARCH_TAGS = frozenset({"form", "input", "label", "button"})
# Attributes whose value a browser follows or loads as a URL.
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "cite", "poster",
                            "background", "xlink:href", "data", "srcset", "dynsrc", "lowsrc",
                            "ping", "codebase", "manifest", "icon", "longdesc", "usemap"})
PAGE_SCHEMES = frozenset({"", "http", "https", "mailto"})  # "": relative, inside the site
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")  # what browsers strip before the scheme
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


# The site's own scripts: search (a module), its from-disk notice and "Surprise me".
OUR_SCRIPTS = {"search.js": {"type": "module"}, "search-disk.js": {"defer": ""},
               "surprise.js": {"defer": ""}}


def _our_script(a: dict[str, str]) -> bool:
    name = a.get("src", "").rpartition("assets/")[2]
    return (a.get("src", "").endswith(f"assets/{name}") and name in OUR_SCRIPTS
            and a == {**OUR_SCRIPTS[name], "src": a["src"]})


def url_scheme(value: str) -> str:
    """Return the scheme a browser would read in ``value`` ("" for a relative URL)."""
    found = _SCHEME.match(_IGNORED_IN_URLS.sub("", value).lower())
    return found.group(1) if found else ""


def test_url_scheme_sees_through_obfuscation() -> None:
    assert url_scheme(" java\tscript:alert(1)") == "javascript"
    assert url_scheme("\x01JaVa\nScRiPt:x") == "javascript"
    assert url_scheme("https://ok.example/") == "https"
    assert url_scheme("../topics/") == url_scheme("index.html?q=a:b") == ""


class _PageScan(HTMLParser):
    """Collect what is dangerous on one page: unexpected elements, handlers, URLs."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        allowed = PAGE_TAGS | (CHART_TAGS if self.page == "fairness/index.html" else set())
        if tag not in allowed:
            self.problems.append(f"<{tag}>")
        if tag == "script" and not _our_script(a):
            self.problems.append(f"a script that is not ours: {a}")
        if tag in SEARCH_TAGS and not self._search_form(tag, a):
            self.problems.append(f"a form element that is not our search box: <{tag} {a}>")
        if tag == "meta" and "http-equiv" in a:
            self.problems.append(f"<meta http-equiv>: {a}")
        if tag == "style" and self.page != "404.html":  # the 404 page inlines our CSS
            self.problems.append("<style>")
        for name, value in a.items():
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and url_scheme(value) not in PAGE_SCHEMES:
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def _search_form(self, tag: str, a: dict[str, str]) -> bool:
        if tag == "form":
            return a.get("action") == "index.html" and a.get("role") == "search"
        if tag == "input":
            return a.get("type") == "search" or a.get("name") == "q"
        return tag == "label" or a.get("type") == "submit"


def _markup_in(text: str) -> list[str]:
    """Return the elements an HTML parser would find in ``text``."""
    found: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append(tag)

    parser = Tags()
    parser.feed(text)
    parser.close()
    return found


def _feed_problems(root: ET.Element) -> list[str]:
    """Return what is dangerous in one of our feeds (RSS 2.0, Atom 1.0 or OPML)."""
    problems = []
    for node in root.iter():
        tag = node.tag.rsplit("}", 1)[-1]
        for name, value in node.attrib.items():
            if url_scheme(value) in ("javascript", "vbscript", "data", "livescript"):
                problems.append(f"<{tag} {name}={value!r}>")
        if root.tag == "rss":
            # A reader decodes an RSS text once and may take it as HTML: no markup then.
            if markup := _markup_in(node.text or ""):
                problems.append(f"<{tag}> holds markup {markup}")
            links = ([node.text or ""] if node.tag in ("link", "comments") else []) + [
                node.get(k, "") for k in ("href", "url") if k in node.attrib]
        elif root.tag == f"{ATOM}feed":
            if tag in ("title", "subtitle", "summary", "content", "rights"):
                if node.get("type", "text") != "text":  # text: shown as characters
                    problems.append(f"<{tag} type={node.get('type')!r}>")
            links = [node.get("href", "")] if tag == "link" else []
            links += [node.text or ""] if tag in ("uri", "icon", "logo") else []
        else:  # OPML
            links = [node.get(k, "") for k in ("xmlUrl", "htmlUrl") if k in node.attrib]
        problems += [f"<{tag}> links to {link!r}" for link in links
                     if urlsplit(link.strip()).scheme not in ("http", "https")]
    return problems


def assert_nothing_dangerous(site: Path) -> int:
    """Scan every page and feed of ``site``; return how many files were read."""
    problems: dict[str, list[str]] = {}
    scanned = 0
    for path in sorted(site.rglob("*")):
        name = path.relative_to(site).as_posix()
        if "pagefind" in path.parts or path.suffix not in (".html", ".xml", ".opml"):
            continue
        if path.suffix == ".html":
            scan = _PageScan(name)
            scan.feed(path.read_text("utf-8"))
            scan.close()
            found = scan.problems
        else:
            found = _feed_problems(ET.parse(path).getroot())  # strict: not well-formed fails
        if found:
            problems[name] = found
        scanned += 1
    assert not problems, json.dumps(problems, indent=1)[:5000]
    return scanned


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
def shared_xss_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build feedparser's XSS samples (from ../shared, an optional extra) into a site."""
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


@pytest.fixture(params=["own", "shared"])
def xss_site(request: pytest.FixtureRequest) -> Path:
    """The site built from the repo's fixtures, then the one from ../shared's samples."""
    if request.param == "own":
        fixtures: FixtureSite = request.getfixturevalue("fixture_site")
        return fixtures.site
    site: Path = request.getfixturevalue("shared_xss_site")
    return site


def test_hostile_feeds_became_posts(xss_site: Path) -> None:
    # The scans below would pass on an empty site: the hostile posts must be on it.
    data = json.loads((xss_site / "data" / "build.json").read_text())
    ok = sum(f["outcome"] == "ok" for f in data["feeds"])
    expected = (150, 150) if xss_site.parent.name.startswith("xss") else (19, 50)
    assert (ok, data["summary"]["posts"]) >= expected, data["summary"]


def test_no_page_or_feed_carries_anything_dangerous(xss_site: Path) -> None:
    assert assert_nothing_dangerous(xss_site) > 20


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """Each kind of danger, planted in a copy of a clean page or feed, is reported."""
    planted = {
        "index.html": ['<script>alert(1)</script>', '<p onclick="x()">', '<img src=x>',
                       '<a href="java&#x09;script:alert(1)">', '<iframe src=https://e.x/>',
                       '<meta http-equiv="refresh" content="0">', '<p style="color:red">',
                       '<form action="https://evil.example/">', '<svg><circle/></svg>',
                       '<a href="&#x01;vbscript:x">'],
    }
    for snippet in planted["index.html"]:
        (tmp_path / "index.html").write_text(f"<!doctype html><html><body><main>{snippet}"
                                             "</main></body></html>")
        with pytest.raises(AssertionError):
            assert_nothing_dangerous(tmp_path)
    for feed in ('<rss version="2.0"><channel><item><description>&lt;b&gt;x&lt;/b&gt;'
                 "</description></item></channel></rss>",
                 '<rss version="2.0"><channel><item><link>javascript:x</link></item>'
                 "</channel></rss>",
                 '<feed xmlns="http://www.w3.org/2005/Atom"><entry><summary type="html">x'
                 "</summary></entry></feed>"):
        (tmp_path / "index.html").unlink(missing_ok=True)
        (tmp_path / "feed.xml").write_text(feed)
        with pytest.raises(AssertionError):
            assert_nothing_dangerous(tmp_path)
    (tmp_path / "feed.xml").write_text('<rss version="2.0"><channel><item><title>Q&amp;A: '
                                       "&lt; 3</title><link>https://ok.example/</link>"
                                       "</item></channel></rss>")
    assert assert_nothing_dangerous(tmp_path) == 1  # text that only looks odd is fine


def test_no_script_runs_in_a_browser(xss_site: Path) -> None:
    pages = ["index.html", "status/index.html", *(
        p.relative_to(xss_site).as_posix()
        for p in sorted([*xss_site.glob("blogs/*/index.html"),
                         *xss_site.glob("topics/*/index.html")]))]
    dialogs: list[str] = []
    outside: list[str] = []
    with serve_dir(xss_site) as base, chromium() as browser:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        for path in pages:
            page.goto(base + path)
    assert len(pages) > 10
    assert dialogs == []
    assert outside == []  # no hostile image, style or frame made the browser call out
