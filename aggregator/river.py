"""The "Latest" river: every post, newest first, as a planet shows it (#17).

For readers who want exactly that and nothing cleverer: no topics, no picks, one list
paginated ``latest/``, ``latest/2/``..., each page linked to its neighbours with
``rel="prev"`` and ``rel="next"``. A cross-post copy appears once, as its original (with
"also on"), as in the combined feed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from .models import Post

RIVER_PAGE_POSTS = 50  # posts on each page of the river


def river_page_path(number: int) -> str:
    """Return the path of page ``number`` (from 1) of the river."""
    return "latest/index.html" if number == 1 else f"latest/{number}/index.html"


def river_pages(posts: Sequence[Post], copies: Collection[str] = (),
                per_page: int = RIVER_PAGE_POSTS) -> list[list[Post]]:
    """Return ``posts`` (newest first) without the ``copies``, cut into pages.

    There is always a first page, empty on a site with no posts yet.
    """
    shown = [p for p in posts if p.uid not in copies]
    return [shown[i:i + per_page] for i in range(0, len(shown), per_page)] or [[]]


def write_river(page: Callable[..., None], posts: Sequence[Post],
                copies: Collection[str] = ()) -> None:
    """Write every page of the river with ``page`` (the site's page writer)."""
    pages = river_pages(posts, copies)
    total = sum(len(chunk) for chunk in pages)
    for number, chunk in enumerate(pages, start=1):
        page(river_page_path(number), "latest.html", posts=chunk, number=number,
             pages=len(pages), total=total, page_path=river_page_path)
