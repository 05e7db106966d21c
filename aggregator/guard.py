"""Check what is about to be written to a page or feed, whatever the state says (#13).

The state is restored from a download and feeds come from anyone, so render does not
trust the records it is given: a link that is not http(s) is never written (a post with
one is left out of every page and feed; a blog's site link, a past pick without a good
link are dropped), and bidirectional control characters are removed from every text,
so ``RTL \\u202egnp.exe`` cannot read as "RTL exe.png" nor reorder what follows it.
Pure functions from records to records.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .models import Blog, BuildReport, Diamond, Feature, FeedHealth, Post, StoredTopic, Topic
from .text import BIDI_CONTROL, strip_bidi

if TYPE_CHECKING:  # render imports this module
    from .render import SiteContent

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,119}")


def is_web_link(url: str | None) -> bool:
    """Return whether ``url`` is an absolute http(s) link to a host: safe as an ``href``."""
    if not url or url != url.strip():
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and (
        not any(c in url for c in "\\\x00\t\r\n"))


def is_slug(slug: str) -> bool:
    """Return whether ``slug`` is safe as a folder name (store.slugify's alphabet)."""
    return _SLUG.fullmatch(slug) is not None


def plain(text: str) -> str:
    """Return ``text`` without the bidirectional control characters that reorder text.

    The parse removes them already (:func:`aggregator.text.strip_bidi`); this holds
    whatever reached the state another way (an older version, a restored export).
    """
    return strip_bidi(text) if text else text


def _plain_or_none(text: str | None) -> str | None:
    return None if text is None else plain(text)


# A link of this plain shape (ASCII, no space nor backslash) is a web link: is_web_link
# need not parse it. Most links are; a build of 100,000 posts spent 4.8 s on urlsplit
# and on copying every post.
_PLAIN_WEB_LINK = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][!-\[\]-~]*)?",
                             re.ASCII)


def post(p: Post) -> Post | None:
    """Return ``p`` fit to show, or None if its link is not http(s) (then it is left out).

    A post that is fit already (the parse strips bidi controls: nearly every post) is
    returned itself, not a copy: the build holds one record per post, not two.
    """
    if _PLAIN_WEB_LINK.fullmatch(p.link) and not any(
            BIDI_CONTROL.search(t) for t in (p.title, p.author or "", p.excerpt,
                                             p.excerpt_html)):
        return p
    if not is_web_link(p.link):
        return None
    return replace(p, title=plain(p.title), author=_plain_or_none(p.author),
                   excerpt=plain(p.excerpt), excerpt_html=plain(p.excerpt_html))


def blog(b: Blog) -> Blog | None:
    """Return ``b`` fit to show (no site link unless http(s)); None if its feed is not.

    None too if its slug could not be a folder name (``../``): its page would be written
    outside the site.
    """
    if not is_web_link(b.url) or not is_slug(b.slug):
        return None
    return replace(b, title=plain(b.title), author=_plain_or_none(b.author),
                   description=_plain_or_none(b.description),
                   site=b.site if is_web_link(b.site) else None,
                   tags=tuple(plain(t) for t in b.tags))


def feature(f: Feature) -> Feature | None:
    """Return a past pick fit to show, or None if its links are not http(s)."""
    if not is_web_link(f.feed_url) or (f.link and not is_web_link(f.link)):
        return None
    return replace(f, title=plain(f.title), blog_title=plain(f.blog_title),
                   reason=plain(f.reason))


def topic(t: Topic) -> Topic:
    """Return ``t`` with plain label and terms."""
    return replace(t, label=plain(t.label), terms=tuple(plain(x) for x in t.terms))


def stored_topic(t: StoredTopic) -> StoredTopic:
    """Return a dissolved topic with a plain label."""
    return replace(t, label=plain(t.label), terms=tuple(plain(x) for x in t.terms))


def diamond(d: Diamond) -> Diamond:
    """Return today's pick with a plain reason."""
    return replace(d, reason=plain(d.reason))


def health(h: FeedHealth) -> FeedHealth:
    """Return a feed's health with plain title and error (they come from feeds and servers)."""
    return replace(h, title=plain(h.title), last_error=_plain_or_none(h.last_error))


def guarded(content: SiteContent,
            report: BuildReport) -> tuple[SiteContent, BuildReport]:
    """Return ``content`` and ``report`` as they may be written to pages and feeds.

    A post whose link is not http(s) is left out of every page and feed (a post is only
    shown as a link to the original); so is a blog whose feed URL is not, and a past
    pick whose links are not. A blog's site link that is not http(s) is not shown. A
    blog or topic whose slug is not a plain folder name is left out: its pages would be
    written outside the site.
    """
    blogs = [b for b in map(blog, content.blogs) if b is not None]
    listed = {b.url for b in blogs}
    posts = [p for p in map(post, content.posts) if p is not None and p.feed_url in listed]
    shown = {p.uid for p in posts}
    ledger = content.ledger and replace(content.ledger, rows=tuple(
        replace(row, blog=b) for row in content.ledger.rows
        if (b := blog(row.blog)) is not None))
    content = replace(
        content, blogs=blogs, posts=posts,
        topics=[topic(t) for t in content.topics if is_slug(t.slug)],
        diamonds=[diamond(d) for d in content.diamonds if d.post_uid in shown],
        history=[f for f in map(feature, content.history) if f is not None],
        dissolved=[stored_topic(t) for t in content.dissolved if is_slug(t.slug)],
        ledger=ledger)
    report = replace(
        report, topics=tuple(topic(t) for t in report.topics if is_slug(t.slug)),
        diamonds=tuple(diamond(d) for d in report.diamonds if d.post_uid in shown),
        feeds=tuple(replace(f, reason=plain(f.reason)) for f in report.feeds),
        health=tuple(health(h) for h in report.health))
    return content, report
