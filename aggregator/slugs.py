"""Slugs: the ASCII names of blogs' and topics' folders, assigned once and never reused."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from .models import Feed


def slugify(text: str, *, max_length: int = 60) -> str:
    """Return a lowercase ASCII slug of ``text`` ("Ms. Café's Blog" -> "ms-cafe-s-blog")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


_FEED_PATH_NOISE = frozenset({"feed", "feeds", "rss", "atom", "posts", "default", "xml", "index",
                              "blog", "rss2", "atom.xml", "rss.xml", "feed.xml", "index.xml"})


def blog_slug_base(feed: Feed) -> str:
    """Return the preferred slug of a blog: from its title, else from its feed URL."""
    if feed.title:
        slug = slugify(feed.title)
        if slug:
            return slug
    parts = urlsplit(feed.url)
    host = (parts.hostname or "blog").removeprefix("www.")
    path = [p for p in parts.path.split("/") if p and p.lower() not in _FEED_PATH_NOISE]
    return slugify("-".join([host, *path])) or "blog"


def unique_slug(base: str, taken: set[str]) -> str:
    """Return ``base``, or ``base-2``, ``base-3``... whichever is not in ``taken``."""
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug
