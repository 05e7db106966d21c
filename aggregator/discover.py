"""Find a blog's feed from its home page, and check that a feed URL really is a feed.

Used by ``aggregator add`` (find the feed, read its title) and ``aggregator validate
--network`` (is each new entry a real feed with posts and a title?). Every download goes
through :func:`aggregator.fetch.fetch_feed`, so the same address rules (no loopback or
private hosts unless allowed), size cap, timeouts and redirect checks apply as in a build.

Discovery, in order: the URL itself if it is a feed; the page's
``<link rel="alternate" type="application/rss+xml|atom+xml" href="...">`` tags (relative
``href`` resolved against ``<base href>`` or the page's final URL); then the usual
paths (:data:`COMMON_PATHS`) next to the page and at the root of its host.

A body is parsed as a build parses it: in a worker process of a
:class:`~aggregator.workers.ParsePool`, under the same CPU-time and memory limits. A
pull request's check runs exactly these commands on a stranger's feed, so a parse that
runs away is killed there too, and reported as that feed's problem.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .config import LANGUAGE_CODE, append_entry, find_listed, load_config
from .errors import AggregatorError, FetchError, ParseError
from .fetch import FetchOptions, fetch_feed, make_client
from .models import Config, Feed, FetchedFeed, ParsedFeed
from .text import markup_events
from .urls import redact, url_problem
from .workers import ParseLimits, ParsePool
from .workers import parse_job as _parse_job  # module-level: tests may replace it

FEED_TYPES = ("application/rss+xml", "application/atom+xml")
COMMON_PATHS = ("feed/", "rss.xml", "atom.xml", "index.xml", "feed.xml", "rss/",
                "feeds/posts/default")
PARSE_LIMITS = ParseLimits()  # the build's limits (module-level: tests lower them)


class DiscoveryError(AggregatorError):
    """No feed could be found at or from a URL; the message says what was tried."""


@dataclass(frozen=True, slots=True)
class FeedCheck:
    """What fetching one feed URL showed: the parsed feed, or why it is not usable."""

    url: str
    final_url: str | None = None
    feed: ParsedFeed | None = None
    problem: str | None = None  # None: a real feed with at least one post

    @property
    def ok(self) -> bool:
        """Return whether the URL is a parseable feed with at least one post."""
        return self.problem is None


@dataclass(frozen=True, slots=True)
class Page:
    """A downloaded page or feed body."""

    url: str
    final_url: str
    body: bytes
    content_type: str | None


async def download(client: httpx.AsyncClient, url: str, options: FetchOptions) -> Page:
    """Download ``url`` with the build's fetch rules; raise :class:`FetchError` on failure."""
    result = await fetch_feed(client, Feed(url=url), None, options, now=datetime.now(UTC))
    value = result.value
    if isinstance(value, FetchError):
        raise value
    if not isinstance(value, FetchedFeed):  # no stored state, so never 304 or skipped
        raise FetchError("http", f"unexpected answer: {value}")
    return Page(url, value.final_url, value.body, value.content_type)


@contextmanager
def parse_pool(feeds: int) -> Iterator[ParsePool]:
    """Yield a pool of bounded parse workers for checking up to ``feeds`` feeds at once.

    Use it inside the event loop that awaits its parses; its workers end on exit.
    """
    pool = ParsePool(min(max(feeds, 1), os.cpu_count() or 1), PARSE_LIMITS)
    try:
        yield pool
    finally:
        pool.close()


async def read_feed(page: Page, pool: ParsePool) -> FeedCheck:
    """Parse a downloaded body as a feed in a worker of ``pool``; say whether it is usable."""
    if looks_like_html(page):
        return FeedCheck(page.url, page.final_url, problem="this is a web page, not a feed")
    parsed = await pool.parse(_parse_job, page.body, page.url, datetime.now(UTC),
                              page.content_type, page.final_url, None)
    if isinstance(parsed, ParseError):
        # What stopped the parse (parse_timeout, too_large...) is named as a build names it.
        cause = "" if parsed.kind == "parse" else f" ({parsed.kind})"
        return FeedCheck(page.url, page.final_url,
                         problem=f"not a readable feed{cause}: {parsed}")
    if not parsed.posts:
        return FeedCheck(page.url, page.final_url, parsed, problem="the feed has no posts")
    return FeedCheck(page.url, page.final_url, parsed)


async def check_feed(client: httpx.AsyncClient, url: str, options: FetchOptions,
                     pool: ParsePool) -> FeedCheck:
    """Fetch ``url`` and check it is a real feed with posts; never raise for a bad feed."""
    try:
        page = await download(client, url, options)
    except FetchError as e:
        return FeedCheck(url, problem=f"cannot fetch it: {e}")
    return await read_feed(page, pool)


async def discover_feed(client: httpx.AsyncClient, url: str, options: FetchOptions,
                        pool: ParsePool) -> FeedCheck:
    """Return the first usable feed found at or from ``url`` (a home page or a feed).

    Raise :class:`DiscoveryError` naming every candidate tried when none works.
    """
    try:
        page = await download(client, url, options)
    except FetchError as e:
        raise DiscoveryError(f"cannot fetch {redact(url)}: {e}") from e
    first = await read_feed(page, pool)
    if first.ok:
        return first
    tried = [f"{redact(url)}: {first.problem}"]
    candidates = autodiscovered(page) if looks_like_html(page) else []
    candidates += [c for c in common_candidates(page.final_url) if c not in candidates]
    for candidate in candidates:
        if candidate in (url, page.final_url):
            continue
        check = await check_feed(client, candidate, options, pool)
        if check.ok:
            return check
        tried.append(f"{redact(candidate)}: {check.problem}")
    raise DiscoveryError("no feed found. Tried:\n  " + "\n  ".join(tried)
                         + "\nPass the feed's own address (often ending in /feed/ or .xml).")


def looks_like_html(page: Page) -> bool:
    """Return whether a body is an HTML page rather than an XML feed."""
    if page.content_type and "html" in page.content_type.lower():
        return True
    head = page.body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def autodiscovered(page: Page) -> list[str]:
    """Return the feed URLs a page announces with ``<link rel="alternate">``, in page order."""
    # A linear scan (text.markup_events): html.parser takes minutes over a hostile page.
    markup = page.body[:2_000_000].decode("utf-8", "replace")
    base_href: str | None = None
    hrefs: list[str] = []
    for kind, tag, source in markup_events(markup):
        if kind != "start" or tag not in ("link", "base"):
            continue
        values = _attributes(source)
        if tag == "base" and base_href is None and values.get("href"):
            base_href = values["href"]
        if tag != "link" or not values.get("href"):
            continue
        rels = values.get("rel", "").lower().split()
        media = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and media in FEED_TYPES:
            hrefs.append(values["href"])
    base = _join(page.final_url, base_href) if base_href else page.final_url
    found: list[str] = []
    for href in hrefs:
        url = _join(base or page.final_url, href.strip())
        if url and urlsplit(url).scheme in ("http", "https") and url not in found:
            found.append(url)
    return found


def _join(base: str, href: str) -> str | None:
    """Return ``href`` resolved against ``base``, or None when it is not a URL (``http://[x``)."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def common_candidates(page_url: str) -> list[str]:
    """Return the usual feed paths next to ``page_url`` and at the root of its host."""
    parts = urlsplit(page_url)
    here = page_url.split("#")[0].split("?")[0]
    if not here.endswith("/"):
        here = here.rsplit("/", 1)[0] + "/"
    root = f"{parts.scheme}://{parts.netloc}/"
    found: list[str] = []
    for base in dict.fromkeys((here, root)):
        for path in COMMON_PATHS:
            url = urljoin(base, path)
            if url not in found:
                found.append(url)
    return found


# One attribute of a tag: name, and its value quoted, unquoted or absent.
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def _attributes(tag_source: str) -> dict[str, str]:
    """Return the attributes of a start tag's source (``<link rel=alternate ...>``)."""
    inside = tag_source[1:-1]
    name_end = next((i for i, c in enumerate(inside) if c in " \t\n\r\f/"), len(inside))
    values: dict[str, str] = {}
    for found in _ATTRIBUTE.finditer(inside, name_end):
        name = found.group(1).lower()
        if name not in values:  # the first of a repeated attribute wins, as in browsers
            value = next((v for v in found.group(2, 3, 4) if v is not None), "")
            values[name] = html.unescape(value)
    return values


@dataclass(frozen=True, slots=True)
class Added:
    """The entry ``aggregator add`` appended to feeds.yaml."""

    feed_url: str
    title: str | None
    text: str  # exactly what was appended


async def add_blog(feeds_path: str, url: str, options: FetchOptions, *,
                   today: date | None = None,
                   client: httpx.AsyncClient | None = None) -> Added:
    """Find the feed of ``url`` and append it to feeds.yaml; refuse blogs already listed."""
    config = load_config(feeds_path)  # an invalid file is reported before any download
    problem = url_problem(url.strip())
    if problem:  # the rules of feeds.yaml, checked before anything is sent
        raise DiscoveryError(f"{redact(url)} {problem}; nothing was added")
    _refuse_listed(config, url, feeds_path)
    with parse_pool(1) as pool:
        async with (client or make_client(options)) as http:
            check = await discover_feed(http, url, options, pool)
    assert check.feed is not None
    _refuse_listed(config, check.url, feeds_path)
    feed = check.feed
    fields: dict[str, str | date] = {"url": check.url}
    if feed.title:
        fields["title"] = feed.title
    if feed.site and feed.site != check.url and not url_problem(feed.site):
        fields["site"] = feed.site  # a feed's <link> with credentials or junk is left out
    if feed.language and LANGUAGE_CODE.match(feed.language):
        fields["language"] = feed.language
    fields["added"] = today or datetime.now(UTC).date()
    text = append_entry(feeds_path, fields)
    return Added(check.url, feed.title, text)


def _refuse_listed(config: Config, url: str, path: str) -> None:
    """Raise if ``url`` is a listed feed, or the home page of a listed blog."""
    by_site = [Feed(url=f.site, line=f.line) for f in config.feeds if f.site]
    listed = find_listed(config, url) or find_listed(Config(path, tuple(by_site)), url)
    if listed is not None:
        raise DiscoveryError(f"{url} is already listed in {path} at line {listed.line}; "
                             "nothing was added")
