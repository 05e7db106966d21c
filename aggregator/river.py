"""The "Latest" river: every post, newest first, as a planet shows it (#17).

For readers who want exactly that and nothing cleverer: no topics, no picks. Its front
page, ``latest/``, shows the newest posts with their excerpts; every post is also on the
compact page of its day (``latest/2026/11/20/``), each day linked to the days before and
after with ``rel="prev"`` and ``rel="next"``. A day that is over keeps its page, byte for
byte, whatever arrives later (#14). A cross-post copy appears once, as its original (with
"also on"), as in the combined feed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .models import Post
from .pages import Pages, write_archive
from .periods import Period, periods

RIVER_PAGE_POSTS = 50  # posts on the river's front page, with their excerpts
RIVER_DAYS_LISTED = 10  # days of the archive the front page links to
RIVER_PATH = "latest/index.html"


def river_days(posts: Sequence[Post], copies: Collection[str] = ()) -> list[Period]:
    """Return ``posts`` without the ``copies``, by day, the newest day first."""
    return periods((p for p in posts if p.uid not in copies), "day", "latest/")


def write_river(page: Pages, posts: Sequence[Post],
                copies: Collection[str] = ()) -> None:
    """Write the river's front page and its archive of days with ``page``."""
    shown = [p for p in posts if p.uid not in copies]
    days = river_days(shown)
    page(RIVER_PATH, "latest.html", posts=shown[:RIVER_PAGE_POSTS], total=len(shown),
         days=days[:RIVER_DAYS_LISTED], older=days[0] if days else None)
    write_archive(page, days, title="Latest", front=RIVER_PATH,
                  front_label="the river's front page",
                  nav_label="Other days of the latest posts", searchable=False)
