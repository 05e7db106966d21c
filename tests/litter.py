"""The litter fixture feeds (tests/data/feeds/litter/): serve them on loopback, build a site.

Feeds written for this project that carry what real education blogs and podcasts put in
their feeds (show-note lines, tracker links and pixels, tracking parameters, empty links,
a repeated intro, shared links, a dormant blog, a feed with no title...); the manifest
says what each exercises. Use::

    from .litter import LITTER_DAY, build_litter_site, litter_fixtures

    def test_x(tmp_path, feed_server):
        site = build_litter_site(tmp_path, feed_server)

or the session-wide ``litter_site`` fixture (tests/conftest.py) for a site built once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aggregator.cli import main

from .conftest import DATA, FeedServer

LITTER = DATA / "feeds" / "litter"
LITTER_DAY = "2026-11-20"  # the build date the manifest's facts (dormancy, ages) assume


def litter_fixtures() -> list[dict[str, Any]]:
    """Return the manifest's entries: each feed's file, title, items, tags and litter."""
    manifest = json.loads((LITTER / "manifest.json").read_text("utf-8"))
    return list(manifest["fixtures"])


def serve_litter(server: FeedServer) -> dict[str, str]:
    """Serve every litter feed from ``server``; return each file's URL."""
    return {f["file"]: server.serve("/litter/" + f["file"], (LITTER / f["file"]).read_bytes(),
                                    content_type=f["content_type"])
            for f in litter_fixtures()}


def litter_feeds_yaml(urls: dict[str, str]) -> str:
    """Return a feeds.yaml of the served litter feeds, with each one's manifest tags.

    No entry has a title: the blogs are named by their feeds (one has none).
    """
    tags = {f["file"]: f["tags"] for f in litter_fixtures()}
    lines = ["feeds:"]
    for file, url in urls.items():
        lines += [f"  - url: {url}", f"    tags: [{', '.join(tags[file])}]"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LitterSite:
    """A site built from the litter feeds, and where they were served."""

    site: Path
    state: Path
    urls: dict[str, str]  # fixture file name -> the URL it was served at


def build_litter(tmp_path: Path, server: FeedServer, *extra: str,
                 day: str = LITTER_DAY) -> LitterSite:
    """Serve the litter feeds from ``server`` and build a site in ``tmp_path`` at ``day``.

    ``extra`` are more ``aggregator build`` options. The build must succeed.
    """
    urls = serve_litter(server)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(litter_feeds_yaml(urls), "utf-8")
    site, state = tmp_path / "site", tmp_path / "state.db"
    code = main(["build", "--feeds", str(feeds), "--out", str(site), "--state", str(state),
                 "--date", day, "--allow-private-hosts", "--min-interval", "0", *extra])
    assert code == 0, f"the litter build failed with exit code {code}"
    return LitterSite(site=site, state=state, urls=urls)


def build_litter_site(tmp_path: Path, server: FeedServer, *extra: str,
                      day: str = LITTER_DAY) -> Path:
    """Build a site from the litter feeds (see :func:`build_litter`); return its folder."""
    return build_litter(tmp_path, server, *extra, day=day).site
