"""Write the static site: HTML pages (Jinja2), the feeds and build.json.

The entry point of the render stage. Everything is rendered into a folder next to the
output and swapped in at the end (:mod:`aggregator.staging`), so a failed build leaves
the previous site untouched. The jobs live in their own modules: the page writer
(:mod:`aggregator.pages`), the page plan (:mod:`aggregator.pageplan`), feed items and
feeds (:mod:`aggregator.feeditems`), build.json (:mod:`aggregator.buildjson`) and the
search index (:mod:`aggregator.searchindex`).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from . import guard
from .buildjson import build_json, pages_key, previous_pages_key
from .feeditems import FEED_ITEMS, post_item
from .models import BuildReport
from .pageplan import (
    BLOG_PAGE_POSTS,
    HOME_TOPIC_POSTS,
    HOME_TOPICS,
    TOPIC_PAGE_POSTS,
    successors,
    write_all,
    write_status,
)
from .pages import GIST_CHARS, Pages, templates_dir
from .searchindex import index_search
from .sitecontent import DEFAULT_BASE_URL, SiteContent
from .staging import StagedSite, link_tree, remove_stale_staging

log = logging.getLogger(__name__)

__all__ = [
    "BLOG_PAGE_POSTS", "DEFAULT_BASE_URL", "FEED_ITEMS", "GIST_CHARS", "HOME_TOPICS",
    "HOME_TOPIC_POSTS", "TOPIC_PAGE_POSTS", "SiteContent", "StagedSite", "build_json",
    "index_search", "pages_key", "post_item", "remove_stale_staging", "render_site",
    "successors", "templates_dir", "write_site",
]


def render_site(content: SiteContent, report: BuildReport, out_dir: str | Path) -> None:
    """Render ``content`` into ``out_dir``, replacing it only once everything is written."""
    write_site(content, report, out_dir).publish()


def write_site(content: SiteContent, report: BuildReport, out_dir: str | Path, *,
               key: str | None = None) -> StagedSite:
    """Write every page and feed of ``content`` into a new folder beside ``out_dir``.

    Whatever the records say, only http(s) links and text without bidi controls are
    written (:func:`aggregator.guard.guarded`). ``key``: the pages key of ``content``
    when the build knows it already (aggregator.unchanged: the site in ``out_dir``'s).
    """
    content, report = guard.guarded(content, report)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    key = key or pages_key(content)
    # The build's process id in the name: a later build knows a folder left by one killed.
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-{os.getpid()}-", dir=out.parent))
    try:
        if out.is_dir():
            # Pages written again with the bytes they have keep their file (and mtime).
            link_tree(out, tmp)
        if previous_pages_key(out) == key:
            # Nothing a page shows has changed since the site in `out` was written (a
            # re-run on the same day with no new posts): keep its pages and search index,
            # and write again only what follows each fetch, the status page and build.json.
            log.info("Nothing the pages show has changed: kept them, rewrote the status page")
            write_status(Pages(content, tmp), report, key, kept=True)
            return StagedSite(tmp, out, needs_index=False)
        plan = write_all(content, report, tmp, key)
        return StagedSite(tmp, out, needs_index=True, search=plan)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
