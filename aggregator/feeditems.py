"""Posts as feed items, and the RSS, Atom and OPML files of a page (the site's feeds)."""

from __future__ import annotations

from collections.abc import Sequence

from . import syndication
from .models import Blog, Post
from .pages import Files, Site
from .syndication import Channel, Item, Outline, stable_id

FEED_ITEMS = 100  # items in the combined feed


def post_item(site: Site, post: Post) -> Item:
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


def write_feeds(site: Site, path: str, title: str, description: str, page: str,
                posts: Sequence[Post], files: Files, extra: Sequence[Item] = ()) -> None:
    """Write ``path``feed.xml (RSS 2.0) and ``path``atom.xml (Atom 1.0) for ``posts``."""
    items = [*extra, *(post_item(site, p) for p in posts[:FEED_ITEMS])]
    updated = max((i.published for i in items), default=site.content.generated)
    for name, writer in (("feed.xml", syndication.rss), ("atom.xml", syndication.atom)):
        channel = Channel(title=title, description=description,
                          self_url=site.absolute(path + name), site_url=site.absolute(page),
                          updated=updated)
        files.write_bytes(path + name, writer(channel, items))


def blog_outlines(blogs: Sequence[Blog]) -> list[Outline]:
    """Return ``blogs`` as OPML outlines."""
    return [Outline(title=b.title, xml_url=b.url, html_url=b.site, language=b.language,
                    description=b.description) for b in blogs]
