"""Let feeds reach only public addresses, and connect to exactly the address checked.

Two checks, both before a byte is sent:

* :func:`check_url_allowed`, before every request (the feeds.yaml URL, a stored new
  address, every redirect hop): http(s) only, a URL that can exist
  (:func:`aggregator.urls.url_problem`; else the feed fails with ``bad_url``), and no
  non-public address literal;
* :class:`GuardedBackend`, the client's network backend: it resolves each host name
  once (:func:`resolve`, the seam tests replace), refuses the host if any address is
  loopback, private, link-local, multicast or reserved, and connects to one of exactly
  those checked IPs. httpx alone would resolve the name again when connecting, so a name
  could answer a public address to the check and 127.0.0.1 to the connection (DNS
  rebinding).

``allow_private`` (``--allow-private-hosts``) lifts the address rules, for tests and
local development; the URL rules always hold.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from .errors import FetchError
from .urls import host_problem, split_url, url_problem


def check_url_allowed(url: str, *, allow_private: bool, what: str = "the address") -> None:
    """Raise :class:`FetchError` unless ``url`` may be requested: checked before each hop.

    A URL that is not http(s) or names a non-public address literal is ``refused``; one
    that cannot be a web address (an impossible host name, credentials, invisible
    characters) is ``bad_url``; ``what`` names the URL in the message. Host names are
    resolved and checked at connect time, by :class:`GuardedBackend`.
    """
    parts = split_url(url)
    if parts is not None and parts.scheme not in ("http", "https"):
        raise FetchError("refused", f"only http and https are fetched, not {parts.scheme!r}")
    problem = url_problem(url, allow_single_label=allow_private)
    if problem or parts is None or parts.hostname is None:
        raise FetchError("bad_url", f"{what} {problem or 'cannot be parsed'}")
    if allow_private:
        return
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    if not is_public_address(address):
        raise FetchError("refused", f"{address} is a non-public address; use "
                                    "--allow-private-hosts for local testing")


async def checked_addresses(host: str, port: int, *, allow_private: bool,
                            timeout: float | None = None) -> list[str]:
    """Return the addresses to connect to for ``host``, each checked; resolve only once.

    Raise :class:`FetchError` when the name does not resolve or any of its addresses is
    not public (one private answer is enough to refuse: the connection could pick it).
    """
    try:
        found = [str(ipaddress.ip_address(host.strip("[]")))]
        what = "is"  # an address literal
    except ValueError:
        problem = host_problem(host, allow_single_label=allow_private)
        if problem:  # whoever sent the request, the name is checked before any lookup
            raise FetchError("bad_url", f"the host name cannot exist: {problem}") from None
        found = await _resolve_once(host, port, timeout)
        what = "resolves to {},"
    if not allow_private:
        for address in found:
            try:
                public = is_public_address(ipaddress.ip_address(address))
            except ValueError:  # not an address at all: nothing to connect to
                public = False
            if not public:
                raise FetchError("refused", f"{host} {what.format(address)} a non-public "
                                            "address; use --allow-private-hosts for local "
                                            "testing")
    return found


async def _resolve_once(host: str, port: int, timeout: float | None) -> list[str]:
    """Return the distinct addresses of ``host``, as :class:`FetchError` when it has none."""
    try:
        async with asyncio.timeout(timeout):
            found = list(dict.fromkeys(await resolve(host, port)))
    except TimeoutError as e:
        raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout:g} s") from e
    except socket.gaierror as e:
        raise FetchError("dns", f"cannot resolve {host}: {e.strerror}") from e
    except UnicodeError as e:  # a name DNS cannot encode: never reaches here after url_problem
        raise FetchError("bad_url", f"the host name {host!r} cannot exist: {e}") from e
    if not found:
        raise FetchError("dns", f"cannot resolve {host}: no addresses")
    return found


async def resolve(host: str, port: int) -> list[str]:
    """Return the addresses ``host`` resolves to (a seam: tests replace it)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Return whether ``address`` is a public unicast address we may fetch from."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return bool(address.is_global) and not (address.is_multicast or address.is_reserved
                                            or address.is_link_local or address.is_private
                                            or address.is_loopback or address.is_unspecified)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Open TCP connections only to addresses that were checked, resolving each host once.

    httpcore still sends the original Host header and uses the host name for TLS (SNI
    and certificate verification): only the lookup moves here.
    """

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve ``host``, refuse any non-public address, connect to a checked one."""
        addresses = await checked_addresses(host, port, allow_private=self._allow_private,
                                            timeout=timeout)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        # In the resolver's order (which puts an unreachable family last); an address that
        # refuses or times out moves on to the next, within the feed's deadline.
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                failure = e
        raise failure or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refuse: feeds are fetched over TCP only."""
        raise FetchError("refused", "feeds are not fetched over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the wrapped backend does."""
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool built on :class:`GuardedBackend`."""

    def __init__(self, limits: httpx.Limits, *, allow_private: bool,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx takes no network backend, so its pool is replaced by one with the same
        # settings (trust_env=False: no proxy, which would do its own DNS). ``ssl_context``
        # defaults to httpx's (certifi's CAs, host name verified).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private),
        )
