"""Download feeds over HTTP with httpx, many at once, politely and safely.

Each feed is one :func:`fetch_feed` call that always returns a :class:`FetchResult`
(a body, a 304, a skip, or a :class:`FetchError` value) and never raises, so one sick
feed cannot stop a run. Guarantees per feed:

* conditional GET with the stored ETag / Last-Modified (a 304 downloads no body);
* connect and read timeouts, plus a hard total deadline that covers every retry,
  back-off and redirect, so no feed costs the run more than ``deadline`` seconds;
* transient failures (connection errors, 5xx, 429) retried with exponential back-off
  while the deadline allows; ``Retry-After`` honoured when it fits, else the feed is
  skipped this run; a timeout and any other 4xx are not retried;
* a maximum body size, counted on the decoded (gzip / deflate / brotli) stream;
* redirects followed by hand: bounded, loop-detected, and checked at every hop
  (:func:`aggregator.urls.url_problem`: a host name that cannot exist or a URL with
  credentials is the feed's ``bad_url`` failure, never an exception, and credentials are
  never sent); where 301/308 hops lead is reported, so the store can learn a feed's new
  address;
* only http/https, and never loopback, private, link-local, multicast or reserved
  addresses unless ``allow_private_hosts`` is set, for tests and local development; the
  address checked is the address connected to (:mod:`aggregator.netguard`);
* polite polling: at most once per ``min_interval`` (longer when the feed's
  ``Cache-Control: max-age`` asks, up to a day), and a feed that answered 410 Gone is
  left alone for ``gone_retry``.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from . import __version__
from .errors import FetchError
from .models import Feed, FeedState, FetchedFeed, FetchResult, NotModified, Skipped
from .netguard import GuardedTransport, check_url_allowed
from .urls import redact, split_url

PROJECT_URL = "https://github.com/edublogs/edublog-aggregator"
USER_AGENT = f"edublog-aggregator/{__version__} (+{PROJECT_URL})"
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")
PERMANENT_REDIRECTS = frozenset({301, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})  # worth another try in a moment


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """Limits for fetching; the defaults suit a scheduled build over many small blogs."""

    concurrency: int = 64  # feeds in flight at once
    per_host: int = 8  # feeds in flight per host name
    connect_timeout: float = 10.0
    read_timeout: float = 15.0  # longest silence while waiting for bytes
    deadline: float = 30.0  # hard limit for one feed, retries and redirects included
    retries: int = 2  # further attempts after a transient failure
    backoff: float = 0.5  # seconds before the first retry; doubled for each further one
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    min_interval: timedelta = timedelta(hours=1)  # never poll one feed more often; 0: off
    max_age_cap: timedelta = timedelta(hours=24)  # Cache-Control: max-age honoured up to this
    gone_retry: timedelta = timedelta(days=30)  # a 410 Gone feed is asked again after this
    allow_private_hosts: bool = False
    user_agent: str = USER_AGENT


def make_client(options: FetchOptions) -> httpx.AsyncClient:
    """Return the HTTP client used for feeds: no automatic redirects, our timeouts and UA.

    httpx asks for and decodes gzip and deflate, and brotli because the ``brotli``
    package is a dependency. Connections go through :class:`GuardedBackend`.
    """
    limits = httpx.Limits(max_connections=options.concurrency,
                          max_keepalive_connections=options.concurrency)
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
        limits=limits,
        headers={"User-Agent": options.user_agent, "Accept": ACCEPT},
        trust_env=False,
        transport=GuardedTransport(limits, allow_private=options.allow_private_hosts),
    )


async def fetch_feeds(
    feeds: Sequence[Feed],
    states: Mapping[str, FeedState],
    options: FetchOptions,
    *,
    now: datetime,
    client: httpx.AsyncClient | None = None,
) -> list[FetchResult]:
    """Fetch every feed concurrently and return one result per feed, in input order."""
    limiter = HostLimiter(options.concurrency, options.per_host)
    own_client = client is None
    client = client or make_client(options)
    try:
        return list(await asyncio.gather(*(
            fetch_feed(client, feed, states.get(feed.url), options, now=now, limiter=limiter)
            for feed in feeds
        )))
    finally:
        if own_client:
            await client.aclose()


class HostLimiter:
    """Bound the requests in flight: globally, and per host name.

    With ``bodies``, also the feeds between taking their turn and :meth:`body_done`:
    downloading, or downloaded and waiting for a parse worker. Downloads outrun parsing
    (at 10,000 feeds, thousands of bodies would wait in memory at once), so a feed does
    not start while ``bodies`` others hold theirs; the caller that parses calls
    :meth:`body_done` after each parse of a :class:`FetchedFeed`.
    """

    def __init__(self, total: int, per_host: int, *, bodies: int | None = None) -> None:
        self._total = asyncio.Semaphore(max(1, total))
        self._per_host = max(1, per_host)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._bodies = asyncio.Semaphore(max(1, bodies)) if bodies is not None else None

    def host(self, url: str) -> asyncio.Semaphore:
        """Return the semaphore of ``url``'s host."""
        parts = split_url(url)  # None for a malformed URL: it fails as bad_url, unlimited
        name = (parts.hostname or "") if parts else ""
        if name not in self._hosts:
            self._hosts[name] = asyncio.Semaphore(self._per_host)
        return self._hosts[name]

    @property
    def total(self) -> asyncio.Semaphore:
        """Return the global semaphore."""
        return self._total

    async def hold_body(self) -> None:
        """Wait until a body may be fetched (no-op without a ``bodies`` bound)."""
        if self._bodies is not None:
            await self._bodies.acquire()

    def body_done(self) -> None:
        """Let another feed fetch: this one's body is parsed, or there is none."""
        if self._bodies is not None:
            self._bodies.release()


def skip_reason(state: FeedState | None, options: FetchOptions, now: datetime) -> str | None:
    """Return why ``state``'s feed must not be polled at ``now``, or None to poll it.

    The interval is ``min_interval``, or the feed's own ``Cache-Control: max-age`` when
    that is longer (capped at ``max_age_cap``); ``min_interval == 0`` turns both off.
    """
    if state is None or state.last_fetched is None or options.min_interval <= timedelta(0):
        return None
    since = now - state.last_fetched
    if since < timedelta(0):
        return None  # the build clock went backwards (--date): poll
    interval = options.min_interval
    if state.max_age:
        interval = max(interval, min(timedelta(seconds=state.max_age), options.max_age_cap))
    if since < interval:
        minutes = int(since.total_seconds() // 60)
        return f"polled {minutes} min ago; polling at most once per {_human(interval)}"
    return None


def fetch_priority(state: FeedState | None) -> int:
    """Return a sort key that starts slow feeds first (lower starts earlier).

    A feed that timed out last run will likely use its whole deadline again; started
    first, that deadline overlaps everyone else's work instead of ending the run.
    """
    if state is None or state.last_success is None:
        return 1  # unknown: may be slow
    return 0 if state.error_kind == "timeout" else 2


async def fetch_feed(
    client: httpx.AsyncClient,
    feed: Feed,
    state: FeedState | None,
    options: FetchOptions,
    *,
    now: datetime,
    limiter: HostLimiter | None = None,
) -> FetchResult:
    """Fetch one feed; return its body, a 304, a skip, or the error, never raise.

    A feed whose permanent redirect the store trusts (``state.moved_to``) is fetched at
    its new address directly.
    """
    if state and state.gone_since and state.last_fetched:
        if timedelta(0) <= now - state.last_fetched < options.gone_retry:
            return FetchResult(feed, Skipped(feed.url, (
                f"gone: HTTP 410 since {state.gone_since:%Y-%m-%d}; asked again after "
                f"{state.last_fetched + options.gone_retry:%Y-%m-%d}"), gone=True))
    reason = skip_reason(state, options, now)
    if reason:
        return FetchResult(feed, Skipped(feed.url, reason))
    url = state.moved_to if state and state.moved_to else feed.url
    limiter = limiter or HostLimiter(options.concurrency, options.per_host)
    started = time.monotonic()
    # The host's turn first, then a slot of the run's: a feed queued behind others of its
    # host holds no slot while it waits, so feeds on idle hosts are not held back.
    async with limiter.host(url):
        await limiter.hold_body()
        try:
            async with limiter.total:
                try:
                    async with asyncio.timeout(options.deadline):
                        value: FetchedFeed | NotModified | FetchError = (
                            await _get_with_retries(client, feed.url, url, state, options))
                except TimeoutError:
                    value = FetchError("timeout",
                                       f"no complete answer within {options.deadline:g} s")
                except FetchError as e:
                    value = e
        except BaseException:
            limiter.body_done()
            raise
    if not isinstance(value, FetchedFeed):
        limiter.body_done()  # nothing to parse
    return FetchResult(feed, value, seconds=time.monotonic() - started)


class _StatusError(FetchError):
    """An HTTP error answer, with the server's ``Retry-After`` (seconds) if it sent one."""

    def __init__(self, response: httpx.Response) -> None:
        status = response.status_code
        super().__init__("http", f"HTTP {status} {response.reason_phrase}".strip(),
                         status=status)
        self.retry_after = retry_after_seconds(response.headers.get("retry-after"))


async def _get_with_retries(
    client: httpx.AsyncClient, feed_url: str, url: str, state: FeedState | None,
    options: FetchOptions,
) -> FetchedFeed | NotModified:
    """Run :func:`_get`, retrying transient failures while the feed's deadline allows.

    Runs inside ``asyncio.timeout(options.deadline)``; the clock here only decides
    whether a back-off is worth starting, the timeout enforces the deadline.
    """
    loop = asyncio.get_running_loop()
    ends = loop.time() + options.deadline
    attempt = 0
    while True:
        try:
            return await _get(client, feed_url, url, state, options)
        except FetchError as e:
            if attempt >= options.retries or not _transient(e):
                if attempt:
                    e.message += f" (after {attempt + 1} attempts)"
                    e.args = (f"{e.kind}: {e.message}",)
                raise
            # Retry-After is honoured on 429 and 503, the answers that define it for this.
            retry_after = (e.retry_after if isinstance(e, _StatusError) and e.status in (429, 503)
                           else None)
            if retry_after is not None:
                wait = retry_after
            else:
                wait = options.backoff * 2 ** attempt * random.uniform(0.75, 1.25)
            left = ends - loop.time()
            if wait >= left:
                if retry_after is not None:
                    raise FetchError("rate_limited", (
                        f"HTTP {e.status}: the server asks us to wait {retry_after:g} s, "
                        f"longer than the {options.deadline:g} s deadline; skipped this run"),
                        status=e.status) from e
                raise
            await asyncio.sleep(wait)
            attempt += 1


def _transient(error: FetchError) -> bool:
    """Return whether a failure may pass by itself (a timeout is not retried: it is slow)."""
    return error.kind == "connection" or (error.kind == "http" and error.status in RETRY_STATUSES)


async def _get(
    client: httpx.AsyncClient, feed_url: str, url: str, state: FeedState | None,
    options: FetchOptions,
) -> FetchedFeed | NotModified:
    headers: dict[str, str] = {}
    # Validators come from the state, which is downloaded: one that is not a plain header
    # value (non-ASCII, a newline) is not sent, and the feed is simply fetched in full.
    if state and state.etag and _header_safe(state.etag):
        headers["If-None-Match"] = state.etag
    if state and state.last_modified and _header_safe(state.last_modified):
        headers["If-Modified-Since"] = state.last_modified
    seen = [url]
    current = url
    moved_to: str | None = None  # where the leading run of 301/308 hops leads
    permanent_so_far = True
    for _ in range(options.max_redirects + 1):
        check_url_allowed(current, allow_private=options.allow_private_hosts,
                          what="the address" if current == url else "the redirect target")
        try:
            request = client.build_request("GET", current, headers=headers)
        except (httpx.InvalidURL, ValueError) as e:  # what urlsplit accepts, httpx may not
            raise FetchError("bad_url", f"the address cannot be requested: {e}") from e
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException as e:
            raise FetchError("timeout", f"{type(e).__name__} talking to "
                                        f"{urlsplit(current).hostname}") from e
        except httpx.RemoteProtocolError as e:
            if "location" in str(e).lower():  # httpx parses a redirect's target itself
                raise FetchError("bad_url", "the redirect's Location is not a usable "
                                            "address") from e
            raise FetchError("connection", _describe_http_error(e)) from e
        except httpx.HTTPError as e:
            raise FetchError("connection", _describe_http_error(e)) from e
        try:
            status = response.status_code
            if status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError("http", f"HTTP {status} redirect without a "
                                             "Location header", status=status)
                try:
                    target = urljoin(current, location.strip())
                except ValueError as e:  # "http://[::1" and the like
                    raise FetchError("bad_url", "the redirect's Location is not a usable "
                                                "address", status=status) from e
                if target in seen:
                    raise FetchError("redirect_loop", "redirect loop: " + " -> ".join(
                        map(redact, [*seen, target])), status=status)
                seen.append(target)
                current = target
                permanent_so_far = permanent_so_far and status in PERMANENT_REDIRECTS
                if permanent_so_far:
                    moved_to = target
                else:
                    headers = {}  # validators belong to the original resource
                continue
            max_age = max_age_seconds(response.headers.get("cache-control"))
            if status == 304:
                return NotModified(feed_url, max_age=max_age, moved_to=moved_to)
            if status == 410:
                raise FetchError("gone", "HTTP 410 Gone: the blog removed this feed",
                                 status=status)
            if status >= 400:
                raise _StatusError(response)
            body = await _read_capped(response, options.max_bytes)
            return FetchedFeed(
                url=feed_url, final_url=current, status=status, body=body,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                max_age=max_age, moved_to=moved_to,
            )
        finally:
            await response.aclose()
    raise FetchError("too_many_redirects", f"more than {options.max_redirects} redirects: "
                     + " -> ".join(map(redact, seen)))


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable() and len(value) <= 1024


_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def max_age_seconds(cache_control: str | None) -> int | None:
    """Return the ``max-age`` of a Cache-Control header, unless it forbids caching."""
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return None
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the wait a ``Retry-After`` header asks for (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", f"the body is {int(declared):,} bytes; the limit is "
                                      f"{max_bytes:,}", status=response.status_code)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FetchError("too_large", f"the body is over the {max_bytes:,}-byte limit",
                                 status=response.status_code)
            chunks.append(chunk)
    except httpx.TimeoutException as e:
        raise FetchError("timeout", "the server stopped sending the body") from e
    except httpx.DecodingError as e:
        raise FetchError("decoding", f"the body could not be decompressed: {e}") from e
    except httpx.HTTPError as e:
        raise FetchError("connection", _describe_http_error(e)) from e
    return b"".join(chunks)


def _describe_http_error(error: httpx.HTTPError) -> str:
    cause = error.__cause__ or error.__context__
    text = str(error) or (str(cause) if cause else "") or type(error).__name__
    return f"{type(error).__name__}: {text}"


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"
