"""Write the site's feeds: RSS 2.0, Atom 1.0 and OPML 2.0 documents.

Pure functions from typed records to bytes, built with ElementTree so every value is
escaped. What feed readers and validators insist on is done here once: RFC 822 dates
in RSS and RFC 3339 in Atom, absolute links, stable GUIDs (``urn:uuid:`` derived from
the post's identity, the same in every build), one link per item, an
``atom:link rel="self"`` equal to the feed's own URL, and plain-text (never HTML)
Atom text constructs.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from .guard import is_web_link

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
# Prefixes are written literally ("atom:link", with its xmlns declared on the root) rather
# than in ElementTree's {uri}name form: that form takes its prefixes from a registry global
# to the process, which any other code (or an earlier call) may have changed.

_GUID_NAMESPACE = uuid.UUID("6f1c2d8e-4a59-4f6b-9a53-0d2e8f1c7b10")  # this project's


def stable_id(*parts: str) -> str:
    """Return a ``urn:uuid:`` that is the same for the same ``parts`` in every build."""
    return uuid.uuid5(_GUID_NAMESPACE, "\n".join(parts)).urn


@dataclass(frozen=True, slots=True)
class Channel:
    """What a feed says about itself."""

    title: str
    description: str
    self_url: str  # absolute URL of this feed
    site_url: str  # absolute URL of the page it belongs to
    updated: datetime
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a feed."""

    id: str  # absolute and stable, e.g. from stable_id()
    title: str
    link: str  # absolute
    published: datetime
    summary: str  # plain text
    author: str
    source_title: str | None = None
    source_url: str | None = None  # the original blog's feed


@dataclass(frozen=True, slots=True)
class Outline:
    """One blog in an OPML subscription list."""

    title: str
    xml_url: str
    html_url: str | None = None
    language: str | None = None
    description: str | None = None


def rss(channel: Channel, items: Sequence[Item]) -> bytes:
    """Return an RSS 2.0 document."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM, "xmlns:dc": DC})
    ch = ET.SubElement(root, "channel")
    ET.SubElement(ch, "title").text = channel.title
    ET.SubElement(ch, "link").text = channel.site_url
    ET.SubElement(ch, "description").text = channel.description
    ET.SubElement(ch, "language").text = channel.language
    ET.SubElement(ch, "atom:link", {"href": channel.self_url, "rel": "self",
                                           "type": "application/rss+xml"})
    ET.SubElement(ch, "lastBuildDate").text = _rfc822(channel.updated)
    ET.SubElement(ch, "generator").text = "edublog-aggregator"
    for item in _web_items(items):
        node = ET.SubElement(ch, "item")
        ET.SubElement(node, "title").text = _rss_title(item.title)
        ET.SubElement(node, "link").text = item.link
        ET.SubElement(node, "guid", {"isPermaLink": "false"}).text = item.id
        ET.SubElement(node, "pubDate").text = _rfc822(item.published)
        ET.SubElement(node, "dc:creator").text = item.author
        if item.source_title and item.source_url and is_web_link(item.source_url):
            ET.SubElement(node, "source", {"url": item.source_url}).text = item.source_title
        # RSS readers take a description as HTML: escape the text so "<b>" in a post
        # about HTML reads as the characters, never as markup.
        ET.SubElement(node, "description").text = html.escape(item.summary, quote=False)
    return _serialize(root)


# "<" then a letter, "/", "!" or "?": what an HTML parser would start a tag with.
_TAG_START = re.compile(r"<[A-Za-z/!?]")


def _rss_title(title: str) -> str:
    """Return ``title`` (plain text) for an RSS ``<title>``.

    RSS never said whether a title is text or HTML, and some readers render it as HTML.
    A title that would read as a tag there (a post about "<script>", or a hostile one)
    is escaped, so those readers show the characters; any other title is left alone,
    so "Q&A" does not become "Q&amp;A" in the readers that take titles as text.
    """
    return html.escape(title, quote=False) if _TAG_START.search(title) else title


def atom(channel: Channel, items: Sequence[Item]) -> bytes:
    """Return an Atom 1.0 document."""
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": channel.language})
    ET.SubElement(root, "title", {"type": "text"}).text = channel.title
    ET.SubElement(root, "subtitle", {"type": "text"}).text = channel.description
    ET.SubElement(root, "id").text = channel.self_url
    ET.SubElement(root, "link", {"rel": "self", "href": channel.self_url,
                                 "type": "application/atom+xml"})
    ET.SubElement(root, "link", {"rel": "alternate", "href": channel.site_url,
                                 "type": "text/html"})
    ET.SubElement(root, "updated").text = _rfc3339(channel.updated)
    author = ET.SubElement(root, "author")
    ET.SubElement(author, "name").text = "Edublogs by topic"
    ET.SubElement(root, "generator").text = "edublog-aggregator"
    for item in _web_items(items):
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "title", {"type": "text"}).text = item.title
        ET.SubElement(entry, "link", {"rel": "alternate", "href": item.link,
                                      "type": "text/html"})
        ET.SubElement(entry, "id").text = item.id
        ET.SubElement(entry, "published").text = _rfc3339(item.published)
        ET.SubElement(entry, "updated").text = _rfc3339(item.published)
        who = ET.SubElement(entry, "author")
        ET.SubElement(who, "name").text = item.author
        if item.source_title and item.source_url and is_web_link(item.source_url):
            source = ET.SubElement(entry, "source")
            ET.SubElement(source, "title").text = item.source_title
            ET.SubElement(source, "link", {"rel": "self", "href": item.source_url})
        ET.SubElement(entry, "summary", {"type": "text"}).text = item.summary
    return _serialize(root)


def opml(title: str, outlines: Sequence[Outline], *, created: datetime) -> bytes:
    """Return an OPML 2.0 subscription list."""
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = _rfc822(created)
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    for o in outlines:
        if not is_web_link(o.xml_url):
            continue  # a subscription list of feeds: one that is not http(s) is no entry
        attrs = {"type": "rss", "text": o.title, "title": o.title, "xmlUrl": o.xml_url}
        if o.html_url and is_web_link(o.html_url):
            attrs["htmlUrl"] = o.html_url
        if o.language:
            attrs["language"] = o.language
        if o.description:
            attrs["description"] = o.description
        ET.SubElement(body, "outline", attrs)
    return _serialize(root)


def _web_items(items: Sequence[Item]) -> list[Item]:
    """Return the items whose link is http(s): the others are left out, whatever made them."""
    return [item for item in items if is_web_link(item.link)]


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def _rfc822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
