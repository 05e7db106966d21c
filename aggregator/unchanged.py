"""Tell a build with nothing new to show from one that must do the work (#14).

A warm build (every feed answered 304) of a large list used to load every stored post,
check the topic model against them and digest them all, only to find the pages the same
and keep them. Instead, each build that writes the site remembers, in the state, a digest
of everything the pages are made of *besides* the posts (feeds.yaml, what the feeds said
about themselves, the date, the seed, the code's versions) together with the state's
revision (:meth:`aggregator.poststore.PostsTable.revision`: SQLite counts every change to
a post), and the pages key it wrote. A later build whose digest is the same, on a site
written with that key, has nothing a page could show differently: it keeps the pages,
the topics and the day's diamonds as they are, and rewrites only what follows each fetch
(the status page and build.json) without reading a post.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from .diamonds import DiamondSettings
from .health import steady
from .models import Blog, Feed
from .pages import templates_digest
from .poststore import UNCHANGED_KEY
from .textclean import CLEAN_VERSION

META_KEY = UNCHANGED_KEY  # meta: JSON {"inputs": digest, "pages_key": key}


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a build's pages are made of, but the posts: compared by :meth:`digest`."""

    feeds: Sequence[Feed]
    blogs: Sequence[Blog]
    dead: frozenset[str]  # blogs left out of the draw
    today: date
    seed: int
    base_url: str
    repo_url: str | None
    diamonds: DiamondSettings

    def digest(self, revision: int) -> str:
        """Return a digest of these inputs and the state's ``revision``."""
        from .topics import MODEL_VERSION  # the model: posts are assigned or fitted by it

        digest = hashlib.sha256(f"{revision}\n{MODEL_VERSION}\n{CLEAN_VERSION}\n".encode())
        digest.update(templates_digest().encode())
        feeds = [replace(f, line=None) for f in self.feeds]  # moving an entry changes nothing
        blogs = [steady(b) for b in self.blogs]
        for part in (feeds, blogs, sorted(self.dead), self.today, self.seed,
                     self.base_url, self.repo_url, self.diamonds):
            digest.update(repr(part).encode() + b"\n")
        return digest.hexdigest()


class Meta(Protocol):
    """What :func:`remembered` needs of the store: its meta table."""

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


def remembered(store: Meta, inputs: str) -> str | None:
    """Return the pages key the last build wrote from the same ``inputs``, or None."""
    try:
        last = json.loads(store.get_meta(META_KEY) or "{}")
    except ValueError:
        return None
    if not isinstance(last, dict) or last.get("inputs") != inputs:
        return None
    key = last.get("pages_key")
    return key if isinstance(key, str) else None


def remember(store: Meta, inputs: str, pages_key: str | None) -> None:
    """Note that the site with ``pages_key`` was written from ``inputs`` (None: forget)."""
    store.set_meta(META_KEY, json.dumps({"inputs": inputs, "pages_key": pages_key}))
