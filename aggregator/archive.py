"""Write the diamonds archive, diamonds.xml and the fairness ledger (from render.py, #14).

Every past day's picks, with what is still known of each: a pick outlives its post and
even its blog (the history keeps the title, link and blog name it had when featured).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import TYPE_CHECKING

from . import syndication
from .fairness import chart as fairness_chart
from .models import Post, Topic
from .syndication import Channel, Item, stable_id

if TYPE_CHECKING:
    from .pages import Files
    from .pages import Site as _Site

DIAMOND_FEED_DAYS = 30  # days of picks in diamonds.xml


@dataclass(frozen=True, slots=True)
class PastPick:
    """One past diamond as the archive and diamonds.xml show it."""

    date: date
    post_uid: str
    feed_url: str
    title: str
    link: str
    blog_title: str
    blog_slug: str | None  # None: the blog has left the site
    topic: Topic | None  # None: misc, or a topic since dissolved
    reason: str
    post: Post | None  # None: no longer stored


def past_picks(site: _Site) -> list[tuple[date, list[PastPick]]]:
    """Return every day's picks, newest day first, each with what is still known of it."""
    days: dict[date, list[PastPick]] = {}
    topics = {t.slug: t for t in site.content.topics}
    for f in site.content.history:
        post = site.posts.get(f.post_uid)
        blog = site.blogs.get(f.feed_url)
        link = f.link or (post.link if post else "")
        if not link:
            continue  # recorded before titles were kept, and gone since: nothing to link to
        days.setdefault(f.date, []).append(PastPick(
            date=f.date, post_uid=f.post_uid, feed_url=f.feed_url,
            title=f.title or (post.title if post else link),
            link=link, blog_title=f.blog_title or (blog.title if blog else f.feed_url),
            blog_slug=blog.slug if blog else None,
            topic=topics.get(f.topic) if f.topic else None, reason=f.reason, post=post))
    return sorted(days.items(), key=lambda kv: kv[0], reverse=True)


def write_diamond_pages(site: _Site, page: Callable[..., None], files: Files) -> None:
    """Write the diamonds archive, diamonds.xml and the fairness ledger."""
    days = past_picks(site)
    page("diamonds/index.html", "diamonds.html", days=days)
    items = [diamond_item(pick) for _, picks in days[:DIAMOND_FEED_DAYS] for pick in picks]
    channel = Channel(
        title="Diamonds in the rough · Edublogs by topic",
        description="Each day's posts drawn at random from blogs that get little attention, "
                    "with the reason for each pick.",
        self_url=site.absolute("diamonds.xml"), site_url=site.absolute("diamonds/index.html"),
        updated=max((i.published for i in items), default=site.content.generated))
    files.write_bytes("diamonds.xml", syndication.rss(channel, items))
    if site.content.ledger is not None:
        page("fairness/index.html", "fairness.html", ledger=site.content.ledger,
             chart=fairness_chart(site.content.ledger))


def diamond_item(pick: PastPick) -> Item:
    """Return a past pick as a feed item: a stable GUID per (date, post), the reason in it."""
    excerpt = f"{pick.post.excerpt} " if pick.post and pick.post.excerpt else ""
    return Item(
        id=stable_id("diamond", pick.date.isoformat(), pick.post_uid), title=pick.title,
        link=pick.link, published=datetime.combine(pick.date, dtime(0), tzinfo=UTC),
        summary=f"{excerpt}(From {pick.blog_title}.) Why this pick: {pick.reason}",
        author=(pick.post.author if pick.post and pick.post.author else pick.blog_title),
        source_title=pick.blog_title, source_url=pick.feed_url,
    )
