"""Parse feed bodies in worker processes, so feedparser's CPU work overlaps the downloads.

feedparser needs ~30 ms of CPU for a 140 KB feed, so a build over a thousand feeds has
seconds of parsing to do. The build hands each downloaded body to a pool of "spawn"
workers while other feeds are still in flight. A worker imports only this module and
:mod:`aggregator.parse`, not the topic model or the renderer that :mod:`aggregator.build`
pulls in (scikit-learn alone costs seconds of start-up CPU per worker).
"""

from __future__ import annotations

import os
from datetime import datetime

from .errors import ParseError
from .models import ParsedFeed
from .parse import parse_feed

WORKER_NICENESS = 10


def lower_priority() -> None:
    """Run a worker below the build's own process (a pool initializer).

    The build's event loop drives every download; when parsing takes every core, a
    loop waiting for CPU delays each response, and the feeds queued behind them (slow
    ones among them, whose deadline only starts then) start later.
    """
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass  # not POSIX, or not allowed: the same work at the same priority


def parse_job(body: bytes, feed_url: str, now: datetime, content_type: str | None,
              final_url: str, language: str | None) -> ParsedFeed | ParseError:
    """Parse one body; runs in a worker process, so errors come back as values."""
    try:
        return parse_feed(body, feed_url=feed_url, now=now, content_type=content_type,
                          final_url=final_url, language=language)
    except ParseError as e:
        return e
