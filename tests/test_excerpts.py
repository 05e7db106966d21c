"""Clean excerpts from messy real-world feeds (issue 17), on the litter fixture feeds."""

from __future__ import annotations

from datetime import datetime

import feedparser
import pytest

from .litter import LITTER, litter_fixtures


@pytest.mark.parametrize("fixture", litter_fixtures(), ids=lambda f: f["file"])
def test_the_litter_manifest_says_what_each_feed_holds(fixture: dict[str, str]) -> None:
    data = feedparser.parse((LITTER / fixture["file"]).read_bytes())
    assert not data.bozo, data.get("bozo_exception")
    assert data.feed.get("title", "") == fixture["title"]
    assert len(data.entries) == fixture["items"]
    newest = max(datetime(*e.published_parsed[:6]) for e in data.entries)
    assert newest.isoformat() + "+00:00" == fixture["newest"]
