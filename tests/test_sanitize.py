"""sanitize.py: hostile feed HTML never reaches a page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import feedparser
import nh3
import pytest

from aggregator import sanitize
from aggregator.sanitize import clean_html, excerpt_html

DANGEROUS = re.compile(
    r"<\s*(script|iframe|object|embed|applet|frame|meta|link|style|form|img|svg|base)\b"
    r"|\son\w+\s*=|javascript:|vbscript:|data:|style\s*=",
    re.IGNORECASE,
)


def test_clean_html_keeps_the_harmless_and_drops_the_rest() -> None:
    dirty = ('<p onclick="steal()" style="color:red">Read <em>this</em> '
             '<a href="javascript:alert(1)">bad</a> <a href="https://ok.example/">good</a>'
             '<img src="https://tracker.example/p.gif"><script>alert(1)</script>'
             '<iframe src="https://evil.example/"></iframe><a href="data:text/html,x">d</a></p>')
    clean = clean_html(dirty)
    assert not DANGEROUS.search(clean), clean
    assert "<em>this</em>" in clean
    assert '<a href="https://ok.example/" rel="noopener ugc">good</a>' in clean
    assert "alert" not in clean


def test_excerpt_html_is_short_and_balanced() -> None:
    markup = "<p>" + "Teaching is a craft. " * 40 + "</p><ul><li>one</li></ul>"
    short = excerpt_html(markup, max_chars=100)
    assert short.startswith("<p>") and short.endswith("…</p>")
    assert len(re.sub(r"<[^>]+>", "", short)) <= 101
    assert excerpt_html("<p>Hi <strong>there</strong></p>") == "<p>Hi <strong>there</strong></p>"


def test_feedparser_xss_samples_never_survive(shared: Path) -> None:
    """Our sanitiser alone (feedparser's own turned off) defuses every XSS sample."""
    root = shared / "corpora" / "feedparser-samples"
    manifest = json.loads((root / "MANIFEST.json").read_text())
    checked = 0
    for item in manifest:
        if not item["path"].startswith("wellformed/sanitize/"):
            continue
        raw = feedparser.parse((root / item["path"]).read_bytes(), sanitize_html=False)
        bodies = [raw.feed.get("title", ""), raw.feed.get("subtitle", "")]
        for entry in raw.entries:
            bodies += [entry.get("title", ""), entry.get("summary", "")]
            bodies += [c.get("value", "") for c in entry.get("content", [])]
        for body in filter(None, bodies):
            for out in (clean_html(body), excerpt_html(body)):
                assert not DANGEROUS.search(out), (item["path"], out)
            checked += 1
    assert checked > 150


def test_a_link_whose_address_was_unsafe_keeps_only_its_words() -> None:
    # nh3 drops a javascript: href but keeps the <a>, and an <a rel> without href is
    # invalid HTML: the excerpt keeps the words alone.
    out = excerpt_html('<p>Get <a href="javascript:alert(1)">the template</a> or '
                       '<a href="/x">this</a>.</p>', base="https://b.example/p/")
    assert out == ('<p>Get the template or <a href="https://b.example/x" rel="noopener ugc">'
                   "this</a>.</p>")


def test_the_sanitiser_is_built_once_for_many_excerpts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building nh3's sanitiser was most of the cost of cleaning a short excerpt (#14)."""
    built: list[object] = []
    cleaner = nh3.Cleaner

    def counted(**options: Any) -> nh3.Cleaner:
        built.append(options.get("url_relative"))
        return cleaner(**options)

    monkeypatch.setattr(sanitize.nh3, "Cleaner", counted)
    sanitize._cleaner.cache_clear()
    try:
        for i in range(50):
            assert clean_html(f"<p>Post {i} <a href='/x'>link</a></p>") == (
                f'<p>Post {i} <a href="/x" rel="noopener ugc">link</a></p>')
            excerpt_html(f"<p>Post {i} <a href='/x'>link</a></p>", base="https://b.example/p/")
            # Without a link there is nothing to resolve against each post's own address.
            assert excerpt_html(f"<p>Post {i}, no link</p>", base=f"https://b.example/{i}/") == (
                f"<p>Post {i}, no link</p>")
    finally:
        sanitize._cleaner.cache_clear()
    assert built == [None, ("rewrite_with_base", "https://b.example/p/")]
