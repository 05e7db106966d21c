"""The page writer: the Jinja environment, the lookups templates need, and writing files.

All page links are relative (``../topics/x/index.html``), so the site works opened from
disk, at a domain root, or under a sub-path such as ``https://user.github.io/repo/``;
absolute URLs (feed links, ``atom:link rel=self``) use the content's ``base_url``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
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


class Files:
    """Write a site's files into its staging folder, keeping those whose bytes are unchanged.

    The staging folder starts as a linked copy of the published site
    (:func:`aggregator.staging.link_tree`): a file written with the bytes it already has
    stays the very file (its bytes and its mtime, so a deploy diff is small); any other is
    unlinked first and written anew, never through a link shared with the published site.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: set[str] = set()  # every path written this build
        self.changed: set[str] = set()  # ...of which these have new bytes

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write ``data`` to ``path`` (relative to the site) unless it holds them already."""
        target = self.out / path
        self.written.add(path)
        try:
            info = target.lstat()
            if (stat.S_ISREG(info.st_mode) and info.st_size == len(data)
                    and target.read_bytes() == data):
                return
        except OSError:
            pass  # not there yet (or unreadable): written below
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        target.write_bytes(data)
        self.changed.add(path)

    def prune(self, keep: Callable[[str], bool]) -> int:
        """Remove the files this build did not write, but those ``keep`` says; return how many.

        What is left of the published site in the staging folder is what it no longer has
        (a page of a dissolved period, a blog that left).
        """
        removed = 0
        for folder, dirs, names in os.walk(self.out, topdown=False):
            for name in names:
                path = Path(folder, name).relative_to(self.out).as_posix()
                if path not in self.written and not keep(path):
                    Path(folder, name).unlink()
                    removed += 1
            for name in dirs:
                with contextlib.suppress(OSError):  # not empty: it holds a page
                    Path(folder, name).rmdir()
        return removed


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
        self.files = Files(out)
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
        """Write ``text`` to ``path`` (:meth:`Files.write_bytes`)."""
        self.files.write_bytes(path, text.encode("utf-8"))
