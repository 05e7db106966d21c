"""Exceptions raised by the aggregator.

One root, so the CLI can turn any of them into a clear message and an exit code::

    AggregatorError
    ├── ConfigError      feeds.yaml is missing, malformed or invalid (names file and line)
    ├── FetchError       one feed could not be downloaded (kept as a value, never fails a build)
    ├── ParseError       one feed's body is not a usable RSS/Atom document
    ├── StoreError       the SQLite state could not be read or written
    └── ReportError      a feeds-check report (JSON from a pull request's run) is refused
"""

from __future__ import annotations


class AggregatorError(Exception):
    """Base class for every error the aggregator raises on purpose."""


class ConfigError(AggregatorError):
    """feeds.yaml (or a command-line option) is wrong; the message says where and how to fix it."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = path or ""
        if path and line:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class FetchError(AggregatorError):
    """A feed could not be downloaded. ``kind`` is a short machine-readable cause.

    The kinds: ``timeout``, ``connection``, ``dns``, ``http`` (with ``status``), ``gone``,
    ``rate_limited``, ``too_large``, ``decoding``, ``redirect_loop``,
    ``too_many_redirects``, ``refused`` (not http(s), or a non-public address) and
    ``bad_url`` (an address that cannot exist or carries credentials). The message never
    contains a URL's user info: it is shown on the status page and stored in the state.
    """

    def __init__(self, kind: str, message: str, *, status: int | None = None) -> None:
        self.kind = kind
        self.message = message
        self.status = status
        super().__init__(f"{kind}: {message}")


class ParseError(AggregatorError):
    """A downloaded body is not a feed we can read.

    ``kind`` is a short machine-readable cause: ``parse`` (not a feed), or what stopped
    the parse: ``parse_timeout``, ``too_large``, ``parse_crash``.
    """

    def __init__(self, message: str, kind: str = "parse") -> None:
        self.kind = kind  # kept when pickled back from a parse worker (in __dict__)
        super().__init__(message)


class StoreError(AggregatorError):
    """The state database could not be opened, read or written."""


class ReportError(AggregatorError):
    """A feeds-check report is missing or does not fit its schema; the message says why."""
