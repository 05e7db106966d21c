""""Surprise me": one post at random, tilted toward the blogs that get least attention (#17).

Static, like the rest of the site. The build writes a small index (``data/surprise.json``:
each blog's weight and its posts' links, nothing more) and a page of picks drawn with the
build's seed (``surprise/``), which is where the "Surprise me" link goes. A few lines of
script (``assets/surprise.js``) make the link fetch that index from the same site and open
one post; without script, or where the index cannot be read (a copy opened from disk),
the link opens the page of picks. Nothing is ever sent anywhere.

A blog's weight is the diamonds' (:meth:`aggregator.diamonds.Exposure.weight`), read as of
the day after the build, so today's diamonds count as exposure: they already have the home
page. As in the draw, a blog is chosen first and then one of its posts, so a blog that
posts ten times a day has no more chances than one that posts monthly.
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from .diamonds import DiamondSettings, exposures
from .models import Blog, Feature, Post

if TYPE_CHECKING:
    from .render import SiteContent

SURPRISE_POSTS_PER_BLOG = 10  # a blog's newest posts in the index: it stays small
SURPRISE_PAGE_PICKS = 10  # posts on the no-script page of picks
INDEX_PATH = "data/surprise.json"
PAGE_PATH = "surprise/index.html"
DRAW = DiamondSettings()  # the diamonds' own settings: the same weights


def blog_weights(blogs: Iterable[Blog], history: Iterable[Feature], *, today: date,
                 settings: DiamondSettings = DRAW) -> dict[str, float]:
    """Return each blog's weight (by feed URL): the diamonds' weight, today's picks counted."""
    blogs = list(blogs)
    joined = {b.url: b.added for b in blogs if b.added is not None}
    tomorrow = today + timedelta(days=1)
    seen = exposures(history, feeds=[b.url for b in blogs], today=tomorrow, joined=joined,
                     settings=settings)
    return {url: exposure.weight(tomorrow, settings) for url, exposure in seen.items()}


def pool(posts: Sequence[Post], copies: Collection[str] = (),
         per_blog: int = SURPRISE_POSTS_PER_BLOG) -> dict[str, list[Post]]:
    """Return each blog's newest ``per_blog`` posts (``posts`` newest first), copies left out."""
    chosen: dict[str, list[Post]] = {}
    for post in posts:
        if post.uid in copies:
            continue  # a cross-post copy: its original stands for it
        mine = chosen.setdefault(post.feed_url, [])
        if len(mine) < per_blog:
            mine.append(post)
    return chosen


def draw(candidates: Mapping[str, Sequence[Post]], weights: Mapping[str, float],
         rng: random.Random, count: int) -> list[Post]:
    """Draw up to ``count`` posts, each from another blog: a blog by weight, then a post."""
    left = sorted(url for url, posts in candidates.items() if posts and weights.get(url, 0) > 0)
    picks: list[Post] = []
    while left and len(picks) < count:
        (url,) = rng.choices(left, weights=[weights[u] for u in left])
        left.remove(url)
        picks.append(rng.choice(list(candidates[url])))
    return picks


def index_json(candidates: Mapping[str, Sequence[Post]], weights: Mapping[str, float]) -> str:
    """Return the index the script reads: per blog, its weight and its posts' links."""
    blogs = [{"weight": float(f"{weights[url]:.4g}"), "posts": [p.link for p in posts]}
             for url, posts in sorted(candidates.items())
             if posts and weights.get(url, 0) > 0]
    return json.dumps({"blogs": blogs}, separators=(",", ":"), ensure_ascii=False) + "\n"


class Pages(Protocol):
    """What writes the site's files (:class:`aggregator.render._Pages`)."""

    def __call__(self, path: str, template: str, **context: Any) -> None: ...

    def write(self, path: str, text: str) -> None: ...


def write_surprise(page: Pages, content: SiteContent) -> None:
    """Write the index the "Surprise me" script reads and the no-script page of picks.

    The page's draw is seeded with the build's seed (the date unless ``--seed``): the same
    build gives the same picks, the next day's build new ones.
    """
    weights = blog_weights(content.blogs, content.history, today=content.today)
    candidates = pool(content.posts, content.copies)
    page.write(INDEX_PATH, index_json(candidates, weights))
    rng = random.Random(f"surprise:{content.seed}")
    page(PAGE_PATH, "surprise.html",
         picks=draw(candidates, weights, rng, SURPRISE_PAGE_PICKS))
