"""feedparser's internals that aggregator.saxdriver relies on are all there (#13).

saxdriver.read_feed does what ``feedparser.parse`` does, with entity declarations never
expanded: it calls feedparser's own encoding detection, DOCTYPE handling and parser
classes, which are not feedparser's public API. pyproject.toml pins feedparser to the
range where they exist; this test fails, naming what is gone, on a release that drops or
changes one, so the pin is widened only with saxdriver checked against the new release.
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import version

import pytest

# (module, name, the parameters saxdriver passes, in order)
CALLED = [
    ("feedparser.encodings", "convert_to_utf8", ["http_headers", "data", "result"]),
    ("feedparser.sanitizer", "replace_doctype", ["data"]),
    ("feedparser.urls", "make_safe_absolute_uri", ["base"]),
    ("feedparser.util", "FeedParserDict", []),
    ("feedparser.api", "StrictFeedParser", ["baseuri", "baselang", "encoding"]),
    ("feedparser.api", "LooseFeedParser", ["baseuri", "baselang", "encoding", "entities"]),
]
# What saxdriver calls on or reads from a parser object.
HANDLER_ATTRIBUTES = ["resolve_uri", "feeddata", "entries", "version", "namespaces_in_use"]
# The switches saxdriver turns off on a parser object: feedparser's parsers must read them
# (as feedparser.parse sets them), or its own sanitiser and link resolver would run.
SWITCHES = ["resolve_relative_uris", "sanitize_html"]


def _missing(module: str, name: str, parameters: list[str]) -> str | None:
    """Return what is wrong with one internal of feedparser, or None."""
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return f"{module}.{name} is gone"
    if not parameters:
        return None
    try:
        signature = inspect.signature(found)
    except (TypeError, ValueError):
        return None  # a builtin without a signature: nothing to compare
    have = [p for p in signature.parameters if p != "self"][:len(parameters)]
    if have != parameters:
        return f"{module}.{name} takes ({', '.join(have)}), not ({', '.join(parameters)})"
    return None


def test_feedparser_has_every_internal_the_sax_driver_uses() -> None:
    problems = [p for p in (_missing(*called) for called in CALLED) if p]
    if not problems:
        from feedparser.api import LooseFeedParser, StrictFeedParser

        parsers = [StrictFeedParser("", None, "utf-8"), LooseFeedParser("", None, "utf-8", {})]
        problems += [f"{type(parser).__name__} has no {attribute!r}" for parser in parsers
                     for attribute in HANDLER_ATTRIBUTES if not hasattr(parser, attribute)]
        if not callable(getattr(parsers[1], "feed", None)):
            problems.append("LooseFeedParser has no feed()")
        try:
            mixin = inspect.getsource(importlib.import_module("feedparser.mixin"))
        except (ImportError, OSError):
            mixin = ""
        problems += [f"feedparser.mixin does not read self.{switch}" for switch in SWITCHES
                     if f"self.{switch}" not in mixin]
    if problems:
        pytest.fail(f"feedparser {version('feedparser')} lacks what aggregator/saxdriver.py "
                    "uses: " + "; ".join(problems) + ". Keep pyproject.toml's feedparser "
                    "range to releases that have them, or change saxdriver.read_feed.")


def test_the_sax_driver_still_reads_a_feed_with_them() -> None:
    """The internals exist and behave: encoding detected, version read, entries parsed."""
    from aggregator.saxdriver import read_feed

    body = ('<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
            "<title>Caf\xe9</title><item><title>One</title><guid>g1</guid></item>"
            "</channel></rss>").encode("iso-8859-1")
    read = read_feed(body, {"content-location": "https://blog.example/feed/"})
    assert read.data["encoding"] == "iso-8859-1" and read.data["version"] == "rss20"
    assert read.data["feed"]["title"] == "Caf\xe9"
    assert [e["title"] for e in read.data["entries"]] == ["One"]
    assert read.made_absolute == {"https://blog.example/feed/g1"}  # resolve_uri is still called
