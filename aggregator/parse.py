"""Turn a downloaded feed body into a :class:`ParsedFeed` of :class:`Post` records.

feedparser does the reading (RSS 0.9x/1.0/2.0, Atom, broken XML, odd encodings); this
module is the boundary where its dict-like result becomes typed records, so nothing
downstream depends on feedparser's shapes.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import feedparser

from .authors import authors
from .errors import ParseError
from .litter import is_tracker, untracked
from .models import ParsedFeed, Post
from .sanitize import feed_repeats, post_excerpts
from .saxdriver import read_feed
from .text import (
    BIDI_CONTROL,
    NOT_XML,
    excerpt,
    html_to_text,
    markup_events,
    strip_bidi,
    xml_safe,
)
from .textclean import topic_texts

EXCERPT_CHARS = 400  # text characters of the HTML excerpt shown on pages
MAX_POSTS_PER_FEED = 500  # a feed with more is a dump, not a blog; keep the newest


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    now: datetime,
    content_type: str | None = None,
    final_url: str | None = None,
    language: str | None = None,
) -> ParsedFeed:
    """Parse ``body`` (the bytes served at ``feed_url``) into posts.

    ``now`` is the build's clock: posts without a date, dated in the future or before the
    web (a placeholder such as 1 January 1970), get it
    as their publication time (marked ``dated=False``). ``language`` (from feeds.yaml)
    wins over the feed's own declaration. Raise :class:`ParseError` if the body is not
    a feed at all.
    """
    headers = {"content-location": final_url or feed_url}
    if content_type:
        headers["content-type"] = content_type
    try:
        read = read_feed(body, headers)
    except Exception as e:  # noqa: BLE001 - feedparser promises not to raise, but guard the run
        raise ParseError(f"the feed could not be read: {e}") from e
    data = read.data

    feed_info: Any = data.get("feed", {})
    entries = data.get("entries", [])
    if not entries and not feed_info.get("title"):
        raise ParseError(_not_a_feed_reason(body, data))

    site = _http_url(feed_info.get("link"), final_url or feed_url)
    site = untracked(site) if site else None  # the blog's address, shown: no campaign tags
    feed_language = language or _language(feed_info.get("language"))
    # The lines most of the feed's posts repeat (an intro, a plea for a survey) are the
    # feed's, not the post's: no excerpt shows them (#17).
    repeats = _repeats(entries[:MAX_POSTS_PER_FEED])
    posts: list[Post] = []
    seen: set[str] = set()
    unlinked = 0
    # Newest first, and only as many as are kept: a dump of 20,000 entries cost seconds
    # of sanitising for posts that were then dropped.
    ordered = sorted(entries, key=lambda e: _entry_date(e, now)[0], reverse=True)
    sharing = _Sharing.of(ordered, site or feed_url, read.made_absolute)
    shared_links = 0
    merged: set[str] = set()
    for entry in ordered:
        post = _make_post(entry, feed_url=feed_url, site=site, now=now, language=feed_language,
                          made_absolute=read.made_absolute, repeats=repeats)
        if post is None:
            unlinked += 1
            continue
        post, link_shared, merged_id = sharing.tell_apart(entry, post, site or feed_url)
        shared_links += link_shared
        if merged_id is not None:
            merged.add(merged_id)
        if post.guid in seen:
            continue
        seen.add(post.guid)
        posts.append(post)
        if len(posts) == MAX_POSTS_PER_FEED:
            break
    if not posts and _is_broken(data):
        # Broken XML that yields nothing usable is a failure, not an empty blog.
        raise ParseError(_not_a_feed_reason(body, data))
    # What the topic model will read, cleaned here in the parse workers: the feed's posts
    # are the blog's, so the lines most of them repeat (a signature) are dropped.
    posts = [replace(p, topic_text=t) for p, t in zip(posts, topic_texts(posts), strict=True)]

    title = strip_bidi(html_to_text(_clean(feed_info.get("title")))) or None
    # A podcast's itunes:subtitle replaces the channel's description in feedparser's
    # "subtitle", and is often cut mid-word by the publisher ("The objective o"): the
    # fuller of it and itunes:summary is the blog's description, cut at a word if long.
    subtitle = max((strip_bidi(html_to_text(_clean(feed_info.get(key))))
                    for key in ("subtitle", "summary")), key=len) or None
    return ParsedFeed(
        title=title,
        site=site,
        description=excerpt(subtitle, max_chars=280) if subtitle else None,
        language=feed_language,
        posts=tuple(posts),
        unlinked=unlinked,
        shared_links=shared_links,
        merged_guids=tuple(sorted(merged)),
    )


@dataclass(frozen=True, slots=True)
class _Sharing:
    """How many entries of one feed have each link, id and enclosure (#17).

    Some feeds give many entries one link (a podcast's 127 episodes share 5 show pages):
    each post should still open its own episode, and posts should never be merged
    because their ids fell back to the same link.
    """

    links: Counter[str]
    ids: Counter[str]
    enclosures: Counter[str]

    @classmethod
    def of(cls, entries: list[Any], base: str, made_absolute: frozenset[str]) -> _Sharing:
        links: Counter[str] = Counter()
        ids: Counter[str] = Counter()
        enclosures: Counter[str] = Counter()
        for entry in entries:
            link = _entry_link(entry, base, made_absolute)
            if link is None:
                continue  # skipped: not a post
            links[link] += 1
            ids[_entry_id(entry)] += 1
            enclosures.update(set(_enclosures(entry, base)))
        return cls(links, ids, enclosures)

    def tell_apart(self, entry: Any, post: Post, base: str) -> tuple[Post, bool, str | None]:
        """Return ``post`` told apart from the entries it shares a link or id with.

        A shared link gives way to the entry's own address: its guid when that is an
        http(s) URL no other entry has, else its enclosure when no other entry has that.
        Entries sharing an id (none given, and a shared link) each get one of their own,
        the id plus a digest of the enclosure (or title and date), stable across runs.
        Also return whether the link was shared, and the id such entries were stored
        under before (they were merged into one post then).
        """
        ident = _entry_id(entry)
        guid, merged = post.guid, None
        own = [e for e in _enclosures(entry, base) if self.enclosures[e] == 1]
        if ident and self.ids[ident] > 1:
            tail = own[0] if own else f"{post.title}\n{entry.get('published', '')}"
            guid = f"{ident}#{hashlib.sha1(tail.encode()).hexdigest()[:12]}"[:2000]
            merged = ident[:2000]
        shared = self.links[post.link] > 1
        link = post.link
        if shared:
            # Held to the rules of any post link: no tracker, no tracking parameters.
            raw_id = _clean(entry.get("id"))
            by_id = (_http_url(raw_id, None) if urlsplit(raw_id).scheme in ("http", "https")
                     and self.ids[raw_id] == 1 else None)
            audio = next((e for e in own if not is_tracker(e)), None)
            if by_id and not is_tracker(by_id) and untracked(by_id) != post.link:
                link = untracked(by_id)
            elif audio:
                link = untracked(audio)
        if guid == post.guid and link == post.link:
            return post, shared, merged
        return replace(post, guid=guid, link=link), shared, merged


def _entry_id(entry: Any) -> str:
    """Return what identifies an entry in its feed: its id, else its link (as written)."""
    return _clean(entry.get("id")) or _clean(entry.get("link"))


def _enclosures(entry: Any, base: str) -> list[str]:
    """Return the http(s) addresses of the entry's enclosures (a podcast's audio)."""
    found = []
    for enclosure in entry.get("enclosures", []) or []:
        url = _http_url(enclosure.get("href"), base) if hasattr(enclosure, "get") else None
        if url and url not in found:
            found.append(url)
    return found


# feedparser flags these as "bozo", but they do not stop it reading the feed.
_BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


def _is_broken(data: Any) -> bool:
    return bool(data.get("bozo")) and not isinstance(data.get("bozo_exception"), _BENIGN_BOZO)


def _not_a_feed_reason(body: bytes, data: Any) -> str:
    head = body[:512].lstrip().lower()
    if not head:
        return "the response was empty"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "the address serves an HTML page, not an RSS or Atom feed"
    if not data.get("version"):
        start = body[:40].decode("utf-8", "replace").strip()
        return f"not an RSS or Atom feed (it starts with {start!r})"
    if _is_broken(data):
        error = data.get("bozo_exception")
        return f"broken XML, no usable posts ({type(error).__name__}: {error})"
    return "no feed title and no entries found; is this an RSS or Atom feed?"


def _make_post(
    entry: Any, *, feed_url: str, site: str | None, now: datetime, language: str | None,
    made_absolute: frozenset[str] = frozenset(), repeats: frozenset[str] = frozenset(),
) -> Post | None:
    """Return the entry as a post, or None if it has no address a reader could follow."""
    link = _entry_link(entry, site or feed_url, made_absolute)
    if link is None:
        return None
    content_html = _best_content(entry)
    summary_html = _clean(entry.get("summary"))
    text = strip_bidi(html_to_text(content_html or summary_html))

    title = strip_bidi(html_to_text(_clean(entry.get("title"))))
    if not title:
        words = text.split()
        title = " ".join(words[:10]) + ("…" if len(words) > 10 else "") if words else "(untitled)"

    published, dated = _entry_date(entry, now)
    guid = _entry_id(entry) or hashlib.sha1(
        f"{title}\n{entry.get('published', '')}".encode()
    ).hexdigest()
    author = authors(entry)

    # Both excerpts without the feed's litter: trackers, share buttons, player lines.
    plain, markup = post_excerpts(summary_html, content_html, base=link, drop=repeats,
                                  max_chars=EXCERPT_CHARS)
    return Post(
        feed_url=feed_url,
        guid=guid[:2000],
        link=link,
        title=title[:500],
        published=published,
        dated=dated,
        excerpt=strip_bidi(plain),
        excerpt_html=strip_bidi(xml_safe(markup)),
        text=text[:100_000],
        author=author,
        language=_language(entry.get("language")) or language,
        link_words=link_words(content_html or summary_html),
    )


def _entry_link(entry: Any, base: str, made_absolute: frozenset[str]) -> str | None:
    """Return the post's address: its link, or a guid that is an absolute http(s) URL.

    feedparser copies a guid without ``isPermaLink="false"`` into the entry's link when
    it has none, resolved against the feed's address: ``g1`` became ``https://host/g1``,
    a page that was never the post. Such a guid counts only if it was absolute.
    """
    value = entry.get("link")
    if entry.get("guidislink") and value in made_absolute:
        return None
    url = _http_url(value, base)
    if url and is_tracker(url):  # FeedBurner's click-counting redirect: the post's own address
        url = _http_url(entry.get("feedburner_origlink"), base) or url
    return untracked(url) if url else None


def _repeats(entries: list[Any]) -> frozenset[str]:
    """Return the lines most of the entries' summaries (or contents) repeat."""
    return (feed_repeats([_clean(e.get("summary")) for e in entries])
            | feed_repeats([_best_content(e) for e in entries]))


def _best_content(entry: Any) -> str:
    """Return the fullest HTML body the entry offers (content:encoded / atom:content)."""
    best = ""
    for part in entry.get("content", []) or []:
        value = _clean(part.get("value"))
        if len(value) > len(best):
            best = value
    return best


# No blog posted before the web: an earlier date is a placeholder, most often a CMS's
# Unix time 0 for "no date" (1 January 1970, seen on real feeds), and is not believed.
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def _entry_date(entry: Any, now: datetime) -> tuple[datetime, bool]:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # "in" first: feedparser answers a missing updated_parsed with published_parsed
        # and a DeprecationWarning (its issue 310), which is an error under -W error.
        parsed = entry.get(key) if key in entry else None
        if parsed:
            try:
                when = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
            if when > now:
                return now, False  # a date in the future: trust when we first saw it
            if when < _EARLIEST:
                continue  # a placeholder: another of the entry's dates, or none
            return when, True
    return now, False


# Characters no host name holds (a feed's link with markup in its host was a crash later).
_NOT_IN_HOST = re.compile(r"[\x00-\x20<>\"'\\^`{|}\u202a-\u202e\u2066-\u2069]")


def _http_url(value: Any, base: str | None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        url = urljoin(base or "", value.strip())
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[::1": not a URL
        return None
    if (parts.scheme not in ("http", "https") or not host or _NOT_IN_HOST.search(host)
            or NOT_XML.search(url)):
        return None
    # A browser sends them percent-encoded anyway; raw, they reorder a link shown as text.
    return BIDI_CONTROL.sub(lambda m: quote(m.group()), url)


_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")


def _language(value: Any) -> str | None:
    """Return the feed's language code, or None if it is not one (it becomes an attribute)."""
    code = _clean(value)
    return code if _LANGUAGE.fullmatch(code) else None


def _clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def link_words(markup: str) -> int:
    """Return how many words of ``markup`` are link text or in list items holding a link.

    A "weekly links" roundup is mostly these words, an essay only a few: the diamonds
    draw uses the share to skip roundups (issue 5).
    """
    if "<a" not in markup.lower():
        return 0
    counter = _LinkWords()
    for kind, value, _ in markup_events(markup):
        if kind == "text":
            counter.text(value)
        elif kind == "start":
            counter.start(value)
        else:
            counter.end(value)
    counter.flush()
    return counter.count


class _LinkWords:
    """Count the words inside ``<a>``, plus the other words of ``<li>`` items holding a link."""

    _SKIP = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        self.count = 0
        self.in_link = 0
        self.skipping = 0
        self.lists = 0  # depth of open <ul>/<ol>
        self.items: list[list[int]] = []  # open <li>: [list depth, other words, holds a link]

    def start(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag == "a":
            self.in_link += 1
        elif tag in ("ul", "ol"):
            self.lists += 1
        elif tag == "li":
            self._close_items(self.lists)  # an unclosed <li> ends at the next one
            self.items.append([self.lists, 0, 0])

    def end(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "a":
            self.in_link = max(0, self.in_link - 1)
        elif tag == "li":
            self._close_items(self.lists)
        elif tag in ("ul", "ol"):
            self._close_items(self.lists)
            self.lists = max(0, self.lists - 1)

    def text(self, data: str) -> None:
        if self.skipping:
            return
        words = len(html.unescape(data).split())
        if self.in_link:
            self.count += words
            if self.items:
                self.items[-1][2] = 1
        elif self.items:
            self.items[-1][1] += words

    def _close_items(self, depth: int) -> None:
        while self.items and self.items[-1][0] >= depth:
            _, words, linked = self.items.pop()
            if linked:
                self.count += words
            elif self.items:
                self.items[-1][1] += words  # a nested item without a link is its parent's text

    def flush(self) -> None:
        """Close the list items left open at the end of the markup."""
        self._close_items(0)
