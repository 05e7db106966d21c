"""Write the static site: HTML pages (Jinja2), the combined RSS feed and build.json.

Everything is rendered into a temporary directory next to the output and swapped in at
the end, so a failed build leaves the previous site untouched. All page links are
relative (``../topics/x/index.html``), so the site works opened from disk, at a domain
root, or under a sub-path such as ``https://user.github.io/repo/``; absolute URLs (feed
links, ``atom:link rel=self``) use ``base_url``.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from . import __version__, ages, archive, blogpages, guard, river, surprise, syndication
from .fairness import Ledger
from .health import for_how_long, health_record
from .models import MISC_LABEL, MISC_SLUG, Blog, BuildReport, Diamond, Post, Topic
from .overview import QUIET_AFTER_DAYS, by_newest, preview
from .repo import suggest_form
from .sanitize import clean_html
from .store import Feature, StoredTopic
from .syndication import Channel, Item, Outline, stable_id
from .text import excerpt

log = logging.getLogger(__name__)

FEED_ITEMS = 100  # items in the combined feed
TOPIC_PAGE_POSTS = 30  # posts on each page of a topic
HOME_TOPIC_POSTS = 3  # posts per topic on the home page (its newest, one per blog)
HOME_TOPICS = 10  # topics previewed on the home page: it stays about ten phone screens
GIST_CHARS = 140  # a compact list's excerpt: about one line (CSS cuts it to one)
BLOG_PAGE_POSTS = 30
DEFAULT_BASE_URL = "http://localhost:8000/"  # where `aggregator serve` previews the site


def templates_dir() -> Path:
    """Return the templates folder: inside the installed package, or at the repo's top."""
    installed = Path(__file__).parent / "templates"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class SiteContent:
    """Everything the site shows, gathered by the build."""

    today: date
    generated: datetime
    seed: int
    base_url: str
    blogs: Sequence[Blog]
    posts: Sequence[Post]  # newest first
    topics: Sequence[Topic]
    misc: Sequence[str]
    diamonds: Sequence[Diamond]
    related: Mapping[str, Sequence[str]] = field(default_factory=dict)
    also_on: Mapping[str, Sequence[str]] = field(default_factory=dict)  # uid -> copies' feeds
    copies: frozenset[str] = frozenset()  # cross-post copies: on their blog's page, no feed
    dissolved: Sequence[StoredTopic] = ()  # earlier topics that no longer exist
    history: Sequence[Feature] = ()  # every diamond so far, today's included, oldest first
    ledger: Ledger | None = None  # the fairness ledger (issue 5)
    repo_url: str | None = None  # the project's repository (aggregator.repo), on About


def render_site(content: SiteContent, report: BuildReport, out_dir: str | Path) -> None:
    """Render ``content`` into ``out_dir``, replacing it only once everything is written."""
    write_site(content, report, out_dir).publish()


@dataclass
class StagedSite:
    """A site written beside ``out``, not yet indexed for search nor swapped in.

    The build lets go of its posts before :meth:`publish`, so the search indexer (a
    separate process) does not run beside a process still holding every post.
    """

    tmp: Path
    out: Path
    needs_index: bool

    def publish(self) -> None:
        """Build the search index if the pages are new, then replace ``out`` atomically."""
        try:
            if self.needs_index:
                index_search(self.tmp)
            _swap_in(self.tmp, self.out)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Remove the staged site; ``out`` stays as it was."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def write_site(content: SiteContent, report: BuildReport, out_dir: str | Path) -> StagedSite:
    """Write every page and feed of ``content`` into a new folder beside ``out_dir``.

    Whatever the records say, only http(s) links and text without bidi controls are
    written (:func:`aggregator.guard.guarded`).
    """
    content, report = guard.guarded(content, report)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    key = pages_key(content)
    # The build's process id in the name: a later build knows a folder left by one killed.
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-{os.getpid()}-", dir=out.parent))
    try:
        if _previous_pages_key(out) == key:
            # Nothing a page shows has changed since the site in `out` was written (a
            # re-run on the same day with no new posts): keep its pages and search index,
            # and write again only what follows each fetch, the status page and build.json.
            log.info("Nothing the pages show has changed: kept them, rewrote the status page")
            shutil.copytree(out, tmp, dirs_exist_ok=True, copy_function=os.link)
            _write_status(_Pages(content, tmp), report, key)
            return StagedSite(tmp, out, needs_index=False)
        _write_all(content, report, tmp, key)
        return StagedSite(tmp, out, needs_index=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# After ".site-": "PID-" and mkdtemp's 8 characters, "old-PID" (_swap_in), or, from
# versions before the pid was in the name, the 8 characters alone.
_STAGING = re.compile(r"(?P<pid>\d+)-[a-z0-9_]{8}|old-(?P<old>\d+)|[a-z0-9_]{8}")


def remove_stale_staging(out: Path) -> None:
    """Remove the staging folders (``.site-PID-*``, ``.site-old-PID``) of dead builds.

    A build killed before its swap leaves its folder beside ``out``; a build still
    running (its process alive) keeps its own.
    """
    prefix = f".{out.name}-"
    for entry in out.parent.glob(f"{glob.escape(prefix)}*"):
        name = _STAGING.fullmatch(entry.name[len(prefix):])
        if name is None or not entry.is_dir() or entry.is_symlink():
            continue  # not a staging folder of this site (another site's: .site-2-...)
        pid = name.group("pid") or name.group("old")
        # No pid: left by a version before this one. This process's own "old-": it is made
        # only while swapping in, so it is a killed build's whose pid was given again.
        if (pid is None or not _alive(int(pid))
                or name.group("old") == str(os.getpid())):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


PageWriter = Callable[..., None]


def topic_page_path(slug: str, number: int) -> str:
    """Return the path of page ``number`` (from 1) of a topic."""
    return f"topics/{slug}/index.html" if number == 1 else f"topics/{slug}/page/{number}/index.html"


def _write_topic_pages(page: PageWriter, site: _Site, topic: Topic) -> None:
    """Write a topic's pages, newest posts first, :data:`TOPIC_PAGE_POSTS` to a page."""
    posts = site.posts_of(topic.post_uids)
    chunks = [posts[i:i + TOPIC_PAGE_POSTS] for i in range(0, len(posts), TOPIC_PAGE_POSTS)]
    for number, chunk in enumerate(chunks or [[]], start=1):
        page(topic_page_path(topic.slug, number), "topic.html", topic=topic, posts=chunk,
             total=len(posts), number=number, pages=max(1, len(chunks)),
             page_path=topic_page_path)


def successors(old: StoredTopic, topics: Sequence[Topic]) -> list[tuple[Topic, int]]:
    """Return the current topics holding ``old``'s posts, with how many, most first."""
    members = set(old.post_uids)
    shares = [(t, len(members.intersection(t.post_uids))) for t in topics]
    return sorted(((t, n) for t, n in shares if n), key=lambda s: (-s[1], s[0].slug))


def _write_dissolved_topic(page: PageWriter, site: _Site, old: StoredTopic, out: Path) -> None:
    """Keep a dissolved topic's URL: a notice page, and a feed whose last item says so.

    Topic URLs are promises to subscribers: a reader subscribed to the topic's feed
    learns where its posts went instead of meeting a dead feed.
    """
    moved = successors(old, site.content.topics)
    path = f"topics/{old.slug}/"
    page(path + "index.html", "dissolved.html", old=old, moved=moved)
    where = ", ".join(t.label for t, _ in moved[:3]) or "the other topics"
    when = old.last_seen or site.content.generated
    notice = Item(
        id=stable_id("dissolved", old.slug), title=f"The topic “{old.label}” has ended",
        link=site.absolute(path + "index.html"), published=when,
        summary=f"Posts like these now appear under {where}. Subscribe there to keep "
                "following them; this feed will not change again.",
        author="Edublogs by topic",
    )
    _write_feeds(site, path, f"{old.label} · Edublogs by topic (ended)",
                 f"This topic has ended; its posts moved to {where}.", path + "index.html",
                 [], out, extra=[notice])


def index_search(site: Path) -> bool:
    """Build the static search index (Pagefind) into ``site/pagefind/``; False if it failed.

    Search is an enhancement: if the index cannot be built the site is still complete,
    and the search page says search is unavailable.
    """
    try:
        result = subprocess.run(
            [*_pagefind_command(), "--site", str(site), "--output-subdir", "pagefind",
             "--silent"],
            capture_output=True, text=True, timeout=300, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        log.warning("search index not built: %s", e)
        return False
    if result.returncode != 0:
        log.warning("search index not built: %s", (result.stderr or result.stdout).strip())
        return False
    return True


def _pagefind_command() -> list[str]:
    """Return how to run Pagefind: its binary itself, else through its Python wrapper.

    The wrapper (``python -m pagefind``) is one more Python process for the whole run.
    """
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]

        return [str(get_executable())]
    except (ImportError, OSError, FileNotFoundError):
        return [sys.executable, "-m", "pagefind"]


def _swap_in(new: Path, out: Path) -> None:
    os.chmod(new, 0o755)
    if out.exists():
        old = out.with_name(f".{out.name}-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)  # a killed build's, whose pid this one has
        os.replace(out, old)
        os.replace(new, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, out)


class _Site:
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
        posts = sorted((self.posts[u] for u in uids if u in self.posts),
                       key=lambda p: (p.published, p.uid), reverse=True)
        return posts[:limit] if limit else posts

    def absolute(self, path: str) -> str:
        return self.base_url + path


class _Pages:
    """Render templates into files under ``out``, with what every template needs."""

    def __init__(self, content: SiteContent, out: Path) -> None:
        self.site = site = _Site(content)
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


def _write_status(page: _Pages, report: BuildReport, key: str) -> None:
    """Write what changes with every fetch: the feed status page and build.json."""
    page("status/index.html", "status.html", health=report.health, report=report,
         for_how_long=lambda since: for_how_long(since, page.content.generated),
         dormant_days=blogpages.DORMANT_DAYS)
    page.write("data/build.json", build_json(report, page.site, pages_key=key))


def pages_key(content: SiteContent) -> str:
    """Return a digest of everything the pages show, except feed health and the build time.

    Two builds with the same key write the same pages, so the second keeps the first's.
    The templates and the code's version are part of it: an upgrade re-renders everything.
    """
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(templates_dir().rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    def steady(blog: Blog) -> Blog:  # without what changes at every fetch
        return replace(blog, last_success=None, consecutive_failures=0)

    blogs = [steady(b) for b in content.blogs]
    ledger = content.ledger and replace(content.ledger, rows=tuple(
        replace(row, blog=steady(row.blog)) for row in content.ledger.rows))
    shown = [(p.uid, p.title, p.link, p.author, p.published, p.dated, p.excerpt,
              p.excerpt_html, p.language) for p in content.posts]
    for part in (content.today, content.seed, content.base_url, content.repo_url, blogs,
                 shown, content.topics, content.misc, content.diamonds,
                 sorted(content.related.items()), sorted(content.also_on.items()),
                 sorted(content.copies), content.history, ledger, content.dissolved):
        digest.update(repr(part).encode())
    return digest.hexdigest()


def _previous_pages_key(out: Path) -> str | None:
    try:
        data = json.loads((out / "data" / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    key = data.get("pages_key") if isinstance(data, dict) else None
    if not isinstance(key, str) or not (out / "index.html").is_file():
        return None
    return key


def _write_all(content: SiteContent, report: BuildReport, out: Path, key: str) -> None:
    page = _Pages(content, out)
    site = page.site

    diamond_posts = [(d, site.posts[d.post_uid]) for d in content.diamonds
                     if d.post_uid in site.posts]
    topics = by_newest(content.topics, site.posts, today=content.today, count=HOME_TOPIC_POSTS)
    active = [o for o in topics if o.active]  # past HOME_TOPICS, listed in a line each
    page("index.html", "index.html", diamonds=diamond_posts, topics=active[:HOME_TOPICS],
         more=active[HOME_TOPICS:], quieter=[o for o in topics if not o.active],
         misc=preview(site.posts_of(content.misc), HOME_TOPIC_POSTS), misc_label=MISC_LABEL,
         misc_count=len(content.misc), quiet_days=QUIET_AFTER_DAYS)
    archive.write_diamond_pages(site, page, out)
    river.write_river(page, content.posts, content.copies)
    surprise.write_surprise(page, content)

    for topic in content.topics:
        _write_topic_pages(page, site, topic)
    if content.misc:
        _write_topic_pages(page, site, Topic(slug=MISC_SLUG, label=MISC_LABEL, terms=(),
                                             post_uids=tuple(content.misc)))
    for old in content.dissolved:
        _write_dissolved_topic(page, site, old, out)
    page("topics/index.html", "topics.html", misc_count=len(content.misc),
         topics=sorted(topics, key=lambda o: (o.topic.label.casefold(), o.topic.slug)))

    posts_by_blog: dict[str, list[Post]] = {}
    for post in content.posts:
        posts_by_blog.setdefault(post.feed_url, []).append(post)
    blogs = sorted(content.blogs, key=lambda b: (b.title.casefold(), b.slug))
    for blog in blogs:
        posts = posts_by_blog.get(blog.url, [])
        related = {p.uid: [site.posts[u] for u in content.related.get(p.uid, ())
                           if u in site.posts] for p in posts[:BLOG_PAGE_POSTS]}
        page(f"blogs/{blog.slug}/index.html", "blog.html", blog=blog,
             posts=posts[:BLOG_PAGE_POSTS], total=len(posts), related=related)
    page("blogs/index.html", "blogs.html", **blogpages.directory_page(
        blogs, content.posts, site.topic_of, content.generated))
    blogpages.write_tag_pages(page, site, out, write_feeds=_write_feeds)
    page("about/index.html", "about.html", repo=content.repo_url,
         suggest=suggest_form(content.repo_url))
    # Served for any missing path at any depth, so its links must be absolute.
    page("404.html", "404.html", root=site.base_url,
         inline_css=Markup(_stylesheet().read_text(encoding="utf-8")))
    page("search/index.html", "search.html")

    style = templates_dir() / "static" / "style.css"
    (out / "assets").mkdir(exist_ok=True)
    shutil.copyfile(style, out / "assets" / "style.css")
    for script in ("search.js", "search-disk.js", "surprise.js"):
        shutil.copyfile(templates_dir() / "static" / script, out / "assets" / script)
    _write_feeds(site, "", "Edublogs by topic: all posts",
                 "Every post from the community's education blogs, newest first.",
                 "index.html", [p for p in content.posts if p.uid not in content.copies], out)
    (out / "blogs.opml").write_bytes(syndication.opml(
        "Edublogs by topic: every blog", _blog_outlines(blogs), created=content.generated))
    for topic in content.topics:
        topic_posts = site.posts_of(topic.post_uids)
        _write_feeds(site, f"topics/{topic.slug}/", f"{topic.label} · Edublogs by topic",
                     f"Posts about {topic.label}, newest first.",
                     f"topics/{topic.slug}/index.html", topic_posts, out)
        writers = sorted({p.feed_url for p in topic_posts})
        (out / "topics" / topic.slug / "blogs.opml").write_bytes(syndication.opml(
            f"Blogs writing about {topic.label}",
            _blog_outlines(sorted((site.blogs[u] for u in writers),
                                  key=lambda b: (b.title.casefold(), b.slug))),
            created=content.generated))
    _write_status(page, report, key)


def _stylesheet() -> Path:
    return templates_dir() / "static" / "style.css"


def post_item(site: _Site, post: Post) -> Item:
    """Return ``post`` as a feed item crediting its blog and author."""
    blog = site.blogs[post.feed_url]
    others = [site.blogs[u].title for u in site.content.also_on.get(post.uid, ())
              if u in site.blogs]
    credit = f"From {blog.title}" + (f"; also on {', '.join(others)}" if others else "")
    return Item(
        id=stable_id("post", post.feed_url, post.guid), title=post.title, link=post.link,
        published=post.published, summary=f"{post.excerpt} ({credit}.)",
        author=post.author or blog.author or blog.title, source_title=blog.title,
        source_url=blog.url,
    )


def _write_feeds(site: _Site, path: str, title: str, description: str, page: str,
                 posts: Sequence[Post], out: Path, extra: Sequence[Item] = ()) -> None:
    """Write ``path``feed.xml (RSS 2.0) and ``path``atom.xml (Atom 1.0) for ``posts``."""
    items = [*extra, *(post_item(site, p) for p in posts[:FEED_ITEMS])]
    updated = max((i.published for i in items), default=site.content.generated)
    for name, writer in (("feed.xml", syndication.rss), ("atom.xml", syndication.atom)):
        channel = Channel(title=title, description=description,
                          self_url=site.absolute(path + name), site_url=site.absolute(page),
                          updated=updated)
        target = out / path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(writer(channel, items))


def _blog_outlines(blogs: Sequence[Blog]) -> list[Outline]:
    return [Outline(title=b.title, xml_url=b.url, html_url=b.site, language=b.language,
                    description=b.description) for b in blogs]


def build_json(report: BuildReport, site: _Site, *, pages_key: str = "") -> str:
    """Return the machine-readable record of the build."""
    data = {
        "pages_key": pages_key,  # what the pages show; see pages_key()
        "date": report.date.isoformat(),
        "seed": report.seed,
        "generated": site.content.generated.astimezone(UTC).isoformat(timespec="seconds"),
        "feeds": [
            {"url": f.url, "outcome": f.outcome, "reason": f.reason, "new_posts": f.new_posts,
             "slug": site.blogs[f.url].slug if f.url in site.blogs else None,
             "cause": f.cause}
            for f in report.feeds
        ],
        "topics": [
            {"slug": t.slug, "label": t.label, "terms": list(t.terms),
             "posts": [p.link for p in site.posts_of(t.post_uids)]}
            for t in report.topics
        ],
        "misc": [p.link for p in site.posts_of(site.content.misc)],
        "diamonds": [
            {"link": site.posts[d.post_uid].link, "title": site.posts[d.post_uid].title,
             "feed_url": d.feed_url, "topic": d.topic, "reason": d.reason}
            for d in report.diamonds if d.post_uid in site.posts
        ],
        "summary": {
            "feeds_ok": report.count("ok"), "feeds_not_modified": report.count("not_modified"),
            "feeds_failed": report.count("failed"), "new_posts": report.new_posts,
            "posts": report.total_posts, "topics": len(report.topics),
            "diamonds": len(report.diamonds),
        },
        "health": [health_record(h) for h in report.health],  # sickest first
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
