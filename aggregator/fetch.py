"""Download feeds over HTTP with httpx, many at once, politely and safely.

Each feed is one :func:`fetch_feed` call that always returns a :class:`FetchResult`
(a body, a 304, a skip, or a :class:`FetchError` value) and never raises, so one sick
feed cannot stop a run. Guarantees per feed:

* conditional GET with the stored ETag / Last-Modified (a 304 downloads no body);
* connect and read timeouts, plus a hard total deadline;
* a maximum body size, counted on the decoded stream while it arrives;
* redirects followed by hand: bounded, loop-detected, and address-checked at every hop;
* only http/https, and never loopback, private, link-local, multicast or reserved
  addresses (checked after DNS resolution and on the connected socket) unless
  ``allow_private_hosts`` is set, for tests and local development.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import httpx

from . import __version__
from .errors import FetchError
from .models import Feed, FeedState, FetchedFeed, FetchResult, NotModified, Skipped

PROJECT_URL = "https://github.com/edublogs/edublog-aggregator"
USER_AGENT = f"edublog-aggregator/{__version__} (+{PROJECT_URL})"
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """Limits for fetching; the defaults suit a scheduled build over many small blogs."""

    concurrency: int = 32  # feeds in flight at once
    per_host: int = 8  # feeds in flight per host name
    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    deadline: float = 30.0  # hard limit for one feed, retries and redirects included
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    min_interval: timedelta = timedelta(hours=1)  # never poll one feed more often
    allow_private_hosts: bool = False
    user_agent: str = USER_AGENT


def make_client(options: FetchOptions) -> httpx.AsyncClient:
    """Return the HTTP client used for feeds: no automatic redirects, our timeouts and UA."""
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
        limits=httpx.Limits(max_connections=options.concurrency,
                            max_keepalive_connections=options.concurrency),
        headers={"User-Agent": options.user_agent, "Accept": ACCEPT},
        trust_env=False,
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
    """Bound the requests in flight: globally, and per host name."""

    def __init__(self, total: int, per_host: int) -> None:
        self._total = asyncio.Semaphore(max(1, total))
        self._per_host = max(1, per_host)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def host(self, url: str) -> asyncio.Semaphore:
        """Return the semaphore of ``url``'s host."""
        name = (urlsplit(url).hostname or "").lower()
        if name not in self._hosts:
            self._hosts[name] = asyncio.Semaphore(self._per_host)
        return self._hosts[name]

    @property
    def total(self) -> asyncio.Semaphore:
        """Return the global semaphore."""
        return self._total


async def fetch_feed(
    client: httpx.AsyncClient,
    feed: Feed,
    state: FeedState | None,
    options: FetchOptions,
    *,
    now: datetime,
    limiter: HostLimiter | None = None,
) -> FetchResult:
    """Fetch one feed; return its body, a 304, a skip, or the error, never raise."""
    if state and state.last_fetched and options.min_interval > timedelta(0):
        since = now - state.last_fetched
        if timedelta(0) <= since < options.min_interval:
            minutes = int(since.total_seconds() // 60)
            return FetchResult(feed, Skipped(feed.url, f"polled {minutes} min ago; polling at "
                                                       "most once per "
                                                       f"{_human(options.min_interval)}"))
    limiter = limiter or HostLimiter(options.concurrency, options.per_host)
    started = time.monotonic()
    async with limiter.total, limiter.host(feed.url):
        try:
            async with asyncio.timeout(options.deadline):
                value: FetchedFeed | NotModified | FetchError = await _get(
                    client, feed.url, state, options)
        except TimeoutError:
            value = FetchError("timeout", f"no complete answer within {options.deadline:g} s")
        except FetchError as e:
            value = e
    return FetchResult(feed, value, seconds=time.monotonic() - started)


async def _get(
    client: httpx.AsyncClient, url: str, state: FeedState | None, options: FetchOptions
) -> FetchedFeed | NotModified:
    headers: dict[str, str] = {}
    if state and state.etag:
        headers["If-None-Match"] = state.etag
    if state and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    seen = [url]
    current = url
    for _ in range(options.max_redirects + 1):
        await check_url_allowed(current, allow_private=options.allow_private_hosts)
        try:
            request = client.build_request("GET", current, headers=headers)
            response = await client.send(request, stream=True)
        except httpx.TimeoutException as e:
            raise FetchError("timeout", f"{type(e).__name__} talking to "
                                        f"{urlsplit(current).hostname}") from e
        except httpx.HTTPError as e:
            raise FetchError("connection", _describe_http_error(e)) from e
        try:
            if not options.allow_private_hosts:
                _check_peer(response, current)
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError("http", f"HTTP {response.status_code} redirect without a "
                                             "Location header", status=response.status_code)
                target = urljoin(current, location)
                if target in seen:
                    raise FetchError("redirect_loop", "redirect loop: " + " -> ".join(
                        [*seen, target]), status=response.status_code)
                seen.append(target)
                current = target
                if response.status_code in (302, 303, 307):
                    headers = {}  # validators belong to the original resource
                continue
            if response.status_code == 304:
                return NotModified(url)
            if response.status_code >= 400:
                raise FetchError("http", f"HTTP {response.status_code} "
                                         f"{response.reason_phrase}".strip(),
                                 status=response.status_code)
            body = await _read_capped(response, options.max_bytes)
            return FetchedFeed(
                url=url, final_url=current, status=response.status_code, body=body,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
        finally:
            await response.aclose()
    raise FetchError("too_many_redirects", f"more than {options.max_redirects} redirects: "
                     + " -> ".join(seen))


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


async def check_url_allowed(url: str, *, allow_private: bool) -> None:
    """Raise :class:`FetchError` unless ``url`` is http(s) on a public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("refused", f"only http and https are fetched, not {parts.scheme!r}")
    host = parts.hostname
    if not host:
        raise FetchError("refused", f"no host name in {url!r}")
    if allow_private:
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, parts.port or (443 if parts.scheme == "https"
                                                                else 80),
                                           type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise FetchError("dns", f"cannot resolve {host}: {e.strerror}") from e
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not is_public_address(address):
            raise FetchError("refused", f"{host} resolves to {address}, a non-public address; "
                                        "use --allow-private-hosts for local testing")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Return whether ``address`` is a public unicast address we may fetch from."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return bool(address.is_global) and not (address.is_multicast or address.is_reserved
                                            or address.is_link_local or address.is_private
                                            or address.is_loopback or address.is_unspecified)


def _check_peer(response: httpx.Response, url: str) -> None:
    """Re-check the address actually connected to (defeats DNS rebinding between checks)."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return
    peer = stream.get_extra_info("server_addr")
    if not peer:
        return
    try:
        address = ipaddress.ip_address(peer[0])
    except ValueError:
        return
    if not is_public_address(address):
        raise FetchError("refused", f"{urlsplit(url).hostname} connected to {address}, a "
                                    "non-public address")


def _describe_http_error(error: httpx.HTTPError) -> str:
    cause = error.__cause__ or error.__context__
    text = str(error) or (str(cause) if cause else "") or type(error).__name__
    return f"{type(error).__name__}: {text}"


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"
