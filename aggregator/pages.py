"""The page writer: the Jinja environment, the lookups templates need, and writing files.

All page links are relative (``../topics/x/index.html``), so the site works opened from
disk, at a domain root, or under a sub-path such as ``https://user.github.io/repo/``;
absolute URLs (feed links, ``atom:link rel=self``) use the content's ``base_url``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import operator
import os
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from . import __version__, ages, blogpages, periods
from .models import Post, Topic
from .periods import Period, archive_pages
from .sanitize import clean_html
from .sitecontent import SiteContent
from .text import excerpt

GIST_CHARS = 140  # a compact list's excerpt: about one line (CSS cuts it to one)

PageWriter = Callable[..., None]
_UID, _PUBLISHED = operator.attrgetter("uid"), operator.attrgetter("published")
_WRITE_BATCH = 1 << 16  # characters of a streamed file written at once (Files.write_parts)


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

    def write_parts(self, path: str, parts: Iterable[str]) -> None:
        """Write the text made of ``parts`` to ``path`` as :meth:`write_bytes` would.

        The text is never held whole: it is written as it comes (beside ``path``), then
        kept in its place if its bytes differ from the file there, or dropped if not.
        """
        target = self.out / path
        self.written.add(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as out:
                batch: list[str] = []
                size = 0
                for part in parts:
                    batch.append(part)
                    size += len(part)
                    if size >= _WRITE_BATCH:
                        out.write("".join(batch))
                        batch, size = [], 0
                out.write("".join(batch))
            try:
                info = target.lstat()
                same = (stat.S_ISREG(info.st_mode) and info.st_size == partial.stat().st_size
                        and _same_bytes(target, partial))
            except OSError:
                same = False  # not there yet (or unreadable)
            if same:
                return
            # A new entry in the folder: never written through a link to the published site.
            os.replace(partial, target)
            self.changed.add(path)
        finally:
            partial.unlink(missing_ok=True)

    def keep(self, path: str) -> bool:
        """Keep the file at ``path`` as the previous site had it; False if there is none."""
        target = self.out / path
        if not target.is_file() or target.is_symlink():
            return False
        self.written.add(path)
        return True

    def prune(self, keep: Callable[[str], bool]) -> int:
        """Remove the files this build did not write, but those ``keep`` says; return how many.

        What is left of the published site in the staging folder is what it no longer has
        (a page of a dissolved period, a blog that left).
        """
        removed = 0
        root = os.fspath(self.out)
        for folder, dirs, names in os.walk(root, topdown=False):
            prefix = os.path.relpath(folder, root).replace(os.sep, "/") + "/"
            prefix = "" if prefix == "./" else prefix
            for name in names:
                if prefix + name not in self.written and not keep(prefix + name):
                    os.unlink(os.path.join(folder, name))
                    removed += 1
            for name in dirs:
                with contextlib.suppress(OSError):  # not empty: it holds a page
                    os.rmdir(os.path.join(folder, name))
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
        posts = [self.posts[u] for u in uids if u in self.posts]
        # By (published, uid), in two stable sorts: a key tuple for each post was 19 MB
        # at once for a topic of 300,000 posts (#14).
        posts.sort(key=_UID, reverse=True)
        posts.sort(key=_PUBLISHED, reverse=True)
        return posts[:limit] if limit else posts

    def absolute(self, path: str) -> str:
        """Return the absolute URL of ``path`` (relative to the site's root)."""
        return self.base_url + path


def templates_digest() -> str:
    """Return a digest of the code's version and every template: what a page is made with."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(templates_dir().rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _code_digest() -> str:
    """Return a digest of the code that shapes an archive page besides its template.

    A page kept by its key must be what this code would write: a changed date format or
    period name (between releases, under one version number) renders the pages again.
    """
    digest = hashlib.sha256()
    for module in (ages, periods, sys.modules[__name__]):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


KEYS_PATH = "data/page-keys.json"  # what each archive page was last rendered from


class Pages:
    """Render templates into files under ``out``, with what every template needs."""

    def __init__(self, content: SiteContent, out: Path) -> None:
        self.site = site = Site(content)
        self.content = content
        self.out = out
        self.files = Files(out)
        self.keys: dict[str, str] = {}  # this build's page keys (:meth:`unless_unchanged`)
        self._salt = f"{templates_digest()}\n{_code_digest()}\n{site.base_url}\n"
        self._previous_keys: dict[str, str] | None = None
        self._shown: dict[str, str] = {}  # a digest of a post as an archive shows it
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

    def unless_unchanged(self, path: str, template: str, data: str, **context: Any) -> bool:
        """Render ``path`` unless it was last rendered from the same ``data``; True if kept.

        ``data`` is everything the page shows, as text: the templates, the code's version
        and the site's address are added to it. An archive page of a period that is over
        is then neither rendered nor written again (#14).
        """
        key = hashlib.sha256((self._salt + data).encode()).hexdigest()[:32]
        self.keys[path] = key
        if self._previous_keys is None:
            self._previous_keys = _read_keys(self.out / KEYS_PATH)
        if self._previous_keys.get(path) == key and self.files.keep(path):
            return True
        self(path, template, **context)
        return False

    def fingerprint(self, post: Post) -> str:
        """Return a digest of what an archive page shows of ``post`` (32 hex digits).

        A post is on three archives (its topic's, its blog's, the river's), so each one's
        is kept for the build: as a digest, not the line it digests, since the build
        keeps one for every post (at 300,000 posts the lines were 60 MB, #14).
        """
        found = self._shown.get(post.uid)
        if found is None:
            blog = self.site.blogs[post.feed_url]
            found = self._shown[post.uid] = hashlib.blake2b("\x1f".join((
                post.uid, post.title, post.link, post.published.isoformat(), str(post.dated),
                post.language or "", blog.title, blog.slug)).encode(),
                digest_size=16).hexdigest()
        return found

    def save_keys(self) -> None:
        """Write this build's page keys, for the next build to compare with."""
        self.write(KEYS_PATH, json.dumps(self.keys, indent=0, sort_keys=True) + "\n")

    def write(self, path: str, text: str) -> None:
        """Write ``text`` to ``path`` (:meth:`Files.write_bytes`)."""
        self.files.write_bytes(path, text.encode("utf-8"))


def _same_bytes(one: Path, other: Path) -> bool:
    """Return whether the files ``one`` and ``other`` hold the same bytes."""
    with one.open("rb") as a, other.open("rb") as b:
        while True:
            chunk = a.read(1 << 20)
            if chunk != b.read(1 << 20):
                return False
            if not chunk:
                return True


def _read_keys(path: Path) -> dict[str, str]:
    try:
        keys = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(keys, dict):
        return {}
    return {k: v for k, v in keys.items() if isinstance(k, str) and isinstance(v, str)}


def write_archive(page: Pages, found: Sequence[Period], **context: Any) -> int:
    """Write the compact archive page (archive.html) of each of ``found``; return how many.

    A page whose posts, neighbours and wording are as the last build rendered them is
    kept without rendering: most are of periods that are over.
    """
    written = 0
    wording = repr(sorted(context.items()))
    for archived in archive_pages(found):
        around = [(p.path, p.label) if p else None for p in (archived.newer, archived.older)]
        data = "\x1e".join((repr((archived.period.key, archived.period.label, around)), wording,
                            *map(page.fingerprint, archived.period.posts)))
        if not page.unless_unchanged(archived.period.path, "archive.html", data,
                                     archived=archived, **context):
            written += 1
    return written
