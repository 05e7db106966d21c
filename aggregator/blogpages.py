"""The pages about blogs: the directory's rows, and the tag pages with their feeds.

The blogs directory gives each blog its number of posts, its last post, the topics most
of its posts are in, and whether it is dormant (:func:`aggregator.health.is_dormant`).

A tag (a subject or phase from feeds.yaml, spellings merged by :mod:`aggregator.tags`)
lists the blogs that carry it, each with its newest post, then the newest posts of all
of them, with an OPML of its blogs. Its feeds hold the same posts; cross-post copies are
left out, as in the combined feed, so a subscriber never gets one text twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from . import syndication
from .health import DORMANT_AFTER, is_dormant
from .models import MISC_SLUG, Blog, Post, Tag, Topic
from .tags import find_tags, slugs_by_spelling

if TYPE_CHECKING:
    from .pages import Files
    from .pages import Site as _Site

TAG_PAGE_POSTS = 30  # newest posts on a tag's page (its feeds hold up to render.FEED_ITEMS)
DIRECTORY_TOPICS = 3  # topics named beside each blog in the directory
DORMANT_DAYS = DORMANT_AFTER.days  # as the directory and the status page say it


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One blog as the blogs directory lists it."""

    blog: Blog
    posts: int
    last_post: Post | None  # its newest post
    topics: tuple[Topic, ...]  # where most of its posts are, most first
    dormant: bool  # no post for health.DORMANT_AFTER


def directory(blogs: Sequence[Blog], posts: Sequence[Post], topic_of: Mapping[str, Topic],
              now: datetime) -> list[DirectoryEntry]:
    """Return the directory's row of each of ``blogs`` (kept in their order).

    ``posts`` are newest first; ``topic_of`` maps a post's uid to its topic.
    """
    posts_of: dict[str, list[Post]] = {}
    for post in posts:
        posts_of.setdefault(post.feed_url, []).append(post)
    rows = []
    for blog in blogs:
        own = posts_of.get(blog.url, [])
        counts = Counter(topic_of[p.uid].slug for p in own
                         if p.uid in topic_of and topic_of[p.uid].slug != MISC_SLUG)
        by_slug = {topic_of[p.uid].slug: topic_of[p.uid] for p in own if p.uid in topic_of}
        main = sorted(counts, key=lambda slug: (-counts[slug], by_slug[slug].label.casefold()))
        newest = _newest(own)
        rows.append(DirectoryEntry(
            blog=blog, posts=len(own), last_post=newest,
            topics=tuple(by_slug[s] for s in main[:DIRECTORY_TOPICS]),
            dormant=is_dormant(newest.published if newest else None, now)))
    return rows


def directory_page(blogs: Sequence[Blog], posts: Sequence[Post],
                   topic_of: Mapping[str, Topic], now: datetime) -> dict[str, Any]:
    """Return what blogs.html needs: the directory's rows and the dormancy threshold."""
    return {"directory": directory(blogs, posts, topic_of, now),
            "dormant_days": DORMANT_DAYS}


def tag_slugs(blogs: Sequence[Blog]) -> dict[str, str]:
    """Return the tag page slug of every tag spelling of ``blogs`` (for their pages' links)."""
    return slugs_by_spelling(tags_of(blogs))


class FeedWriter(Protocol):
    """Write a page's RSS and Atom feeds (feeditems.write_feeds)."""

    def __call__(self, site: _Site, path: str, title: str, description: str, page: str,
                 posts: Sequence[Post], files: Files) -> None: ...


@dataclass(frozen=True, slots=True)
class TagSummary:
    """What the tags index and a tag's page show of one tag."""

    tag: Tag
    blogs: tuple[tuple[Blog, Post | None], ...]  # each blog and its newest post, by title
    posts: tuple[Post, ...]  # the blogs' posts, newest first (copies left out)
    latest: datetime | None


def tags_of(blogs: Sequence[Blog]) -> list[Tag]:
    """Return the merged tags of ``blogs`` (in their order: feeds.yaml's)."""
    return find_tags([(b.url, b.tags) for b in blogs])


def summarise(tags: Sequence[Tag], blogs: Sequence[Blog], posts: Sequence[Post],
              copies: frozenset[str] = frozenset()) -> list[TagSummary]:
    """Return each tag with its blogs and their posts; ``posts`` are newest first."""
    by_url = {b.url: b for b in blogs}
    posts_of: dict[str, list[Post]] = {}
    for post in posts:
        if post.uid not in copies:
            posts_of.setdefault(post.feed_url, []).append(post)
    summaries = []
    for tag in tags:
        members = sorted((by_url[u] for u in tag.blogs if u in by_url),
                         key=lambda b: (b.title.casefold(), b.slug))
        tagged = sorted((p for b in members for p in posts_of.get(b.url, ())),
                        key=lambda p: (p.published, p.uid), reverse=True)
        summaries.append(TagSummary(
            tag=tag,
            blogs=tuple((b, _newest(posts_of.get(b.url, []))) for b in members),
            posts=tuple(tagged), latest=tagged[0].published if tagged else None))
    return summaries


def _newest(posts: Sequence[Post]) -> Post | None:
    return posts[0] if posts else None


def write_tag_pages(page: Callable[..., None], site: _Site, files: Files, *,
                    write_feeds: FeedWriter) -> None:
    """Write the tags index and every tag's page and feeds with ``page`` and ``files``.

    ``page`` renders a template to a path; ``write_feeds`` writes RSS and Atom.
    """
    content = site.content
    summaries = summarise(tags_of(content.blogs), content.blogs, content.posts,
                          content.copies)
    page("tags/index.html", "tags.html", tags=summaries)
    for summary in summaries:
        tag = summary.tag
        path = f"tags/{tag.slug}/"
        page(path + "index.html", "tag.html", summary=summary,
             posts=summary.posts[:TAG_PAGE_POSTS])
        write_feeds(site, path, f"{tag.name} · Edublogs by topic",
                    f"Posts from the blogs tagged “{tag.name}”, newest first.",
                    path + "index.html", summary.posts, files)
        files.write_bytes(path + "blogs.opml", syndication.opml(
            f"Blogs tagged {tag.name}",
            [syndication.Outline(title=b.title, xml_url=b.url, html_url=b.site,
                                 language=b.language, description=b.description)
             for b, _ in summary.blogs],
            created=content.generated))
