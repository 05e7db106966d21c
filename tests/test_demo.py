"""`aggregator demo`: the bundled sample, served on 127.0.0.1, through the real pipeline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.demo import load_sample

from .test_build import OUR_SCRIPT


def test_sample_is_big_and_varied_enough() -> None:
    blogs = load_sample()
    assert len(blogs) >= 12
    assert sum(len(b.posts) for b in blogs) >= 150
    assert {b.format for b in blogs} == {"rss", "atom"}
    assert {b.language for b in blogs} >= {"en", "es", "fr"}
    for blog in blogs:
        slugs = [p["slug"] for p in blog.posts]
        assert len(slugs) == len(set(slugs)), blog.id


def test_demo_builds_the_full_site_offline(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert main(["demo", "--out", str(out), "--date", "2026-11-23"]) == 0

    data = json.loads((out / "data" / "build.json").read_text())
    assert len(data["feeds"]) >= 12
    assert {f["outcome"] for f in data["feeds"]} == {"ok"}
    assert data["summary"]["posts"] >= 150
    assert len(data["topics"]) >= 6
    assert len(data["diamonds"]) == 5
    assert (out / "index.html").is_file() and (out / "feed.xml").is_file()

    stdout = capsys.readouterr().out
    assert "0 failed" in stdout
    assert "index.html" in stdout and "aggregator serve" in stdout  # where it is, how to open it
    # The hostile sample post is in the store, but nothing of its markup reaches a page.
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert set(re.findall(r"<script[^>]*>", text)) <= {OUR_SCRIPT}, page
        assert "javascript:" not in text and "onerror" not in text, page
