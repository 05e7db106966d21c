"""The XML reader feedparser parses with: Python's expat driver, its text buffered.

Expat hands text over in a new piece at every character reference, so the escaped
HTML of a post (``&lt;p&gt;Hello&lt;/p&gt;``) reached feedparser's Python handler in
thousands of pieces per feed: half of feedparser's time on a 140 KB feed. Buffered
(pyexpat's ``buffer_text``), the same text arrives in one piece, with the same result.

A SAX driver module, as :func:`xml.sax.make_parser` expects one: :mod:`aggregator.parse`
puts it first in feedparser's list of parsers. It also spares feedparser's first choice,
``drv_libxml2`` (not installed), a failed import per feed.
"""

from __future__ import annotations

from typing import Any
from xml.sax.expatreader import ExpatParser

BUFFER_CHARS = 1 << 16  # text longer than this still comes in pieces (feedparser joins them)


class BufferedExpatParser(ExpatParser):
    """The standard expat SAX driver, with character data buffered."""

    def reset(self) -> None:
        super().reset()
        parser: Any = self._parser  # type: ignore[attr-defined]  # set by reset()
        parser.buffer_text = True
        parser.buffer_size = BUFFER_CHARS


def create_parser(*args: Any, **kwargs: Any) -> BufferedExpatParser:
    """Return a new parser (the SAX driver module protocol)."""
    return BufferedExpatParser(*args, **kwargs)
