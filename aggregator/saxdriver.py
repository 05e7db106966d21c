"""How feedparser reads a body here: expat with text buffered, and no entity declarations.

:func:`read_feed` does what ``feedparser.parse`` does for a body already downloaded (detect
the encoding, try the strict XML parser, fall back to the loose one), with three changes:

- **The XML reader is ours**, passed to feedparser per call: the standard expat driver
  with its text buffered. Expat hands text over in a new piece at every character
  reference, so the escaped HTML of a post (``&lt;p&gt;Hello&lt;/p&gt;``) reached
  feedparser's Python handler in thousands of pieces per feed: half of feedparser's time
  on a 140 KB feed. Nothing global of feedparser's is changed for other users.
- **Entity declarations are never expanded**, by either parser: a feed declaring a 1 MB
  entity and using it 200 times made a 200 MB string of a 1 MB body. The internal
  subset of the DOCTYPE is removed before parsing, the reader refuses any declaration
  left, and the loose parser is given no entities. The five XML entities, character
  references and HTML's named entities (``&nbsp;``, read by the loose parser) still work.
- **Nesting is bounded**: a document whose elements nest over :data:`MAX_DEPTH` deep is
  refused by the XML reader as soon as it gets there (no feed nests more than a few
  dozen deep). Every open element costs feedparser's handlers memory and time: 200,000
  unclosed elements took a worker ~100 MB and its whole 10 s of CPU, and the loose
  parser then read them all again.
- **Links feedparser made absolute are noted**, so a ``<guid>g1</guid>`` turned into
  ``https://host/g1`` is not taken for the post's address (:mod:`aggregator.parse`).
"""

from __future__ import annotations

import io
import re
import xml.sax
from dataclasses import dataclass
from typing import Any
from xml.sax.expatreader import ExpatParser

# Not feedparser's public API: what feedparser.parse itself calls, in 6.0.x (pyproject pins
# feedparser below 6.1; tests/test_hostile_saxdriver.py fails if any of these goes, or if
# the parser objects stop having resolve_uri, feeddata, entries, version, namespaces_in_use
# or reading resolve_relative_uris and sanitize_html).
from feedparser.api import LooseFeedParser, StrictFeedParser
from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype
from feedparser.urls import make_safe_absolute_uri
from feedparser.util import FeedParserDict

BUFFER_CHARS = 1 << 16  # text longer than this still comes in pieces (feedparser joins them)
MAX_DEPTH = 1_000  # elements open at once: an RSS item's fields are 4 deep, XHTML a few dozen


class EntityDeclared(xml.sax.SAXParseException):
    """The document declares an entity: refused, so the loose parser reads it instead."""


class TooDeep(ValueError):
    """The document nests elements deeper than :data:`MAX_DEPTH`: refused, not read loosely.

    Not a SAX error, so read_feed does not hand the document to the loose parser, which
    would open every element again.
    """


class BufferedExpatParser(ExpatParser):
    """The standard expat SAX driver: text buffered, no entity declarations, bounded depth."""

    def reset(self) -> None:
        super().reset()
        parser: Any = self._parser  # type: ignore[attr-defined]  # set by reset()
        parser.buffer_text = True
        parser.buffer_size = BUFFER_CHARS
        parser.EntityDeclHandler = self._refuse_entity
        start, end = parser.StartElementHandler, parser.EndElementHandler
        depth = 0

        def start_element(*args: Any) -> None:
            nonlocal depth
            depth += 1
            if depth > MAX_DEPTH:
                raise TooDeep(f"elements nested over {MAX_DEPTH:,} deep")
            start(*args)

        def end_element(*args: Any) -> None:
            nonlocal depth
            depth -= 1
            end(*args)

        parser.StartElementHandler = start_element
        parser.EndElementHandler = end_element

    def _refuse_entity(self, name: str, *_: object) -> None:
        raise EntityDeclared(f"entity {name!r} declared; entities are never expanded",
                             None, self)


def create_parser(*args: Any, **kwargs: Any) -> BufferedExpatParser:
    """Return a new parser (the SAX driver module protocol)."""
    return BufferedExpatParser(*args, **kwargs)


# The declarations before a document's first element. A DOCTYPE's internal subset is the
# bracketed part; quoted strings in it may hold any of "[]<>". Possessive, so linear.
_PROLOG_ITEM = re.compile(rb"""
    \s++
  | <\?.*?\?>
  | <!--.*?-->
  | (?P<doctype><!DOCTYPE(?:[^\["'>]++|"[^"]*+"|'[^']*+')*+)
    (?P<subset>\[(?:[^\]"'<]++|"[^"]*+"|'[^']*+'|<!--.*?-->|<(?:[^<>"']++|"[^"]*+"|'[^']*+')*+>)*+\])?
    \s*+>
  | (?P<entity><!ENTITY(?:[^>"']++|"[^"]*+"|'[^']*+')*+>)
""", re.S | re.X)


def strip_declarations(data: bytes) -> bytes:
    """Return ``data`` without the DOCTYPE's internal subset or any ENTITY declaration.

    Only the prolog (before the first element) is looked at: that is the only place
    either parser reads declarations from. The DOCTYPE itself stays (feedparser tells
    RSS 0.91 by it).
    """
    at, out, changed = 0, [], False
    while (item := _PROLOG_ITEM.match(data, at)) is not None and item.end() > at:
        if item.group("entity"):
            changed = True
        elif item.group("doctype") is not None and item.group("subset") is not None:
            out.append(item.group("doctype").rstrip() + b">")
            changed = True
        else:
            out.append(item.group(0))
        at = item.end()
    if not changed:
        return data
    return b"".join(out) + data[at:]


@dataclass(frozen=True)
class FeedRead:
    """feedparser's result, and the values it resolved from relative links."""

    data: Any  # a FeedParserDict
    made_absolute: frozenset[str]


def read_feed(body: bytes, headers: dict[str, str]) -> FeedRead:
    """Parse ``body`` as ``feedparser.parse`` would, with the changes the module describes.

    ``headers`` are the response's (``content-type``, ``content-location``: the base of
    relative links). feedparser's own HTML sanitiser and link resolver are off: this
    project sanitises what it shows itself.
    """
    result = FeedParserDict(bozo=False, entries=[], feed=FeedParserDict(), headers={})
    if not body:
        return FeedRead(result, frozenset())
    result["headers"].update(headers)
    data = convert_to_utf8(result["headers"], body, result)
    strict = bool(result["encoding"])
    result["version"], data, _ = replace_doctype(strip_declarations(data))
    location = headers.get("content-location", "")
    base = make_safe_absolute_uri(location) or location
    language = headers.get("content-language")
    made_absolute: set[str] = set()
    handler: Any = None
    if strict:
        handler = _noting_absolute(StrictFeedParser(base, language, "utf-8"), made_absolute)
        reader = BufferedExpatParser()
        reader.setFeature(xml.sax.handler.feature_namespaces, 1)
        reader.setFeature(xml.sax.handler.feature_external_ges, 0)
        reader.setContentHandler(handler)
        reader.setErrorHandler(handler)
        source = xml.sax.xmlreader.InputSource()
        source.setByteStream(io.BytesIO(data))
        try:
            reader.parse(source)
        except xml.sax.SAXException as e:
            result["bozo"] = 1
            result["bozo_exception"] = handler.exc or e
            strict = False
    if not strict:
        made_absolute.clear()
        handler = _noting_absolute(LooseFeedParser(base, language, "utf-8", {}), made_absolute)
        handler.feed(data.decode("utf-8", "replace"))
    result["feed"] = handler.feeddata
    result["entries"] = handler.entries
    result["version"] = result["version"] or handler.version
    result["namespaces"] = handler.namespaces_in_use
    return FeedRead(result, frozenset(made_absolute))


_ABSOLUTE = re.compile(r"\s*[a-zA-Z][a-zA-Z0-9+.-]*:")  # a URI with a scheme


def _noting_absolute(handler: Any, made_absolute: set[str]) -> Any:
    """Set ``handler`` up as feedparser's defaults would, noting the links it resolves."""
    handler.resolve_relative_uris = False
    handler.sanitize_html = False
    resolve = handler.resolve_uri

    def resolve_uri(uri: str) -> str:
        resolved: str = resolve(uri)
        if resolved != uri and not _ABSOLUTE.match(uri):
            made_absolute.add(resolved)
        return resolved

    handler.resolve_uri = resolve_uri
    return handler
