"""Show how a build's fetch is going: a live line on a terminal, log lines elsewhere.

On a terminal one line is redrawn in place ("fetching 230/1000 · 12 failed · 4.1 s");
log messages (such as each failing feed) are printed above it. Without a terminal
(CI, cron, a pipe) nothing is redrawn: each failing feed is already logged by the build,
and a plain "fetched 200/1000 feeds (3 failed)" line appears every 10% or so.

A small hand-written display rather than a library such as rich: one line of output
does not justify a dependency that the rest of the tool would not use.
"""

from __future__ import annotations

import logging
import time
from typing import TextIO

from .models import FeedReport, FetchResult

log = logging.getLogger("aggregator")

REDRAW_EVERY = 0.1  # seconds between redraws of the live line
LOG_STEPS = 10  # plain mode: about this many "fetched N/M" lines per build


class FetchProgress:
    """Count finished feeds and show progress; pass ``on_start`` and ``on_feed`` to the build."""

    def __init__(self, stream: TextIO, *, live: bool | None = None) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.total = 0
        self.done = 0
        self.failed = 0
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._next_log = 0
        self._shown = False

    def on_start(self, total: int) -> None:
        """Begin counting ``total`` feeds."""
        self.total = total
        self._started = time.monotonic()
        self._next_log = self._log_step()
        if self.live:
            self._draw()

    def on_feed(self, result: FetchResult, report: FeedReport) -> None:
        """Count one finished feed and update the display."""
        self.done += 1
        if report.outcome == "failed":
            self.failed += 1
        if self.live:
            now = time.monotonic()
            if now - self._drawn_at >= REDRAW_EVERY or self.done == self.total:
                self._draw()
        elif self.done >= self._next_log and self.done < self.total:
            log.info("fetched %d/%d feeds (%d failed)", self.done, self.total, self.failed)
            self._next_log += self._log_step()

    def finish(self) -> None:
        """Remove the live line, leaving the terminal clean for the summary."""
        if self.live and self._shown:
            self.clear()
            self._shown = False

    def line(self) -> str:
        """Return the current progress line."""
        seconds = time.monotonic() - self._started
        failed = f" · {self.failed} failed" if self.failed else ""
        return f"fetching {self.done}/{self.total} feeds{failed} · {seconds:.1f} s"

    def clear(self) -> None:
        """Erase the live line (before something else is printed)."""
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def redraw(self) -> None:
        """Draw the live line again after something else was printed."""
        if self._shown:
            self._draw()

    def _draw(self) -> None:
        self.stream.write("\r\x1b[2K" + self.line())
        self.stream.flush()
        self._shown = True
        self._drawn_at = time.monotonic()

    def _log_step(self) -> int:
        return max(1, self.total // LOG_STEPS)


class ProgressLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A log handler that prints above a live progress line instead of through it."""

    def __init__(self, progress: FetchProgress) -> None:
        super().__init__(progress.stream)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        """Clear the progress line, print the record, draw the line again."""
        self.progress.clear()
        super().emit(record)
        self.progress.redraw()
