"""The page writer: the Jinja environment, the lookups templates need, and writing files.

All page links are relative (``../topics/x/index.html``), so the site works opened from
disk, at a domain root, or under a sub-path such as ``https://user.github.io/repo/``;
absolute URLs (feed links, ``atom:link rel=self``) use the content's ``base_url``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from . import ages, blogpages
from .models import Post, Topic
from .sanitize import clean_html
from .sitecontent import SiteContent
from .text import excerpt

GIST_CHARS = 140  # a compact list's excerpt: about one line (CSS cuts it to one)

PageWriter = Callable[..., None]


def templates_dir() -> Path:
    """Return the templates folder: inside the installed package, or at the repo's top."""
    installed = Path(__file__).parent / "templates"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


class Site:
    """Lookups the templates need, computed once per build."""

    def __init__(self, content: SiteContent) -> None:
        self.content = content
        self.base_url = content.base_url if content.base_url.endswith("/") else (
            content.base_url + "/")
        self.blogs = {b.url: b for b in content.blogs}
        self.posts = {p.uid: p for p in content.posts}
        self.topic_of: dict[str, Topic] = {}
        for topic in content.topics:
            for uid in topic.post_uids:
                self.topic_of[uid] = topic

    def posts_of(self, uids: Sequence[str], limit: int | None = None) -> list[Post]:
        """Return the stored posts of ``uids``, newest first, at most ``limit``."""
        posts = sorted((self.posts[u] for u in uids if u in self.posts),
                       key=lambda p: (p.published, p.uid), reverse=True)
        return posts[:limit] if limit else posts

    def absolute(self, path: str) -> str:
        """Return the absolute URL of ``path`` (relative to the site's root)."""
        return self.base_url + path


class Pages:
    """Render templates into files under ``out``, with what every template needs."""

    def __init__(self, content: SiteContent, out: Path) -> None:
        self.site = site = Site(content)
        self.content = content
        self.out = out
        env = Environment(
            loader=FileSystemLoader(templates_dir()),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        # A post shows on its blog's page and its topic's: compute its card's pieces once.
        env.filters["datetime"] = ages.stamp
        env.filters["day"] = functools.lru_cache(maxsize=65_536)(ages.day)
        env.filters["age"] = functools.lru_cache(maxsize=65_536)(  # by the build's clock
            lambda when: ages.age(when, content.generated))
        env.filters["gist"] = lambda text, chars=GIST_CHARS: excerpt(text, max_chars=chars)
        env.filters["safe_html"] = functools.lru_cache(maxsize=65_536)(  # sanitised again
            lambda value: Markup(clean_html(value)))
        env.filters["isodate"] = lambda d: d.astimezone(UTC).isoformat(timespec="seconds")
        env.filters["tag_slug"] = blogpages.tag_slugs(content.blogs).__getitem__  # tag links
        env.filters["also_on"] = lambda post: [  # cross-posts (#4)
            site.blogs[url] for url in content.also_on.get(post.uid, ()) if url in site.blogs]
        self.env = env

    def __call__(self, path: str, template: str, *, root: str | None = None,
                 **context: Any) -> None:
        if root is None:
            root = "../" * path.count("/")  # relative links: any host, any sub-path, file://
        site = self.site
        html = self.env.get_template(template).render(
            root=root, site=site, content=self.content, path=path,
            blog_of=lambda post: site.blogs[post.feed_url],
            topic_of=lambda post: site.topic_of.get(post.uid),
            **context,
        )
        self.write(path, html)

    def write(self, path: str, text: str) -> None:
        """Write ``text`` to ``path``, never through a link shared with the previous site."""
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        target.write_text(text, encoding="utf-8")
