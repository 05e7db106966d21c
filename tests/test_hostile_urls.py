"""Hostile addresses in whole builds (#13): impossible hosts, DNS rebinding, credentials.

Each test runs a real build against real HTTP servers on loopback. Where a test needs a
"public" server, it declares some loopback address public through the address policy
seam (``netguard.is_public_address``), and where it needs DNS, it answers for the system
resolver (``socket.getaddrinfo``), which is what a real lookup goes through.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from aggregator import netguard
from aggregator.cli import main
from aggregator.errors import FetchError
from aggregator.fetch import FetchOptions, fetch_feed, make_client
from aggregator.models import Feed, FetchedFeed

from .conftest import FeedServer, _make_handler, declare_public, redirect_to
from .fakes import Entry, FeedDoc, feeds_yaml, subject_blog

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
SECRET = "s3cr3t-Pa55"


def build(tmp_path: Path, *extra: str) -> int:
    return main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                 str(tmp_path / "site"), "--state", str(tmp_path / "state.db"),
                 "--date", "2026-11-20", "--min-interval", "0", "--deadline", "5", *extra])


def outcomes(tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    data = json.loads((tmp_path / "site" / "data" / "build.json").read_text())
    return {f["url"]: (f["outcome"], f.get("cause")) for f in data["feeds"]}


def good_blog(feed_server: FeedServer) -> str:
    return feed_server.serve("/good.xml", subject_blog("phonics", "phonics", n=2, end=NOW).rss())


# -- a redirect to a host name that cannot exist -------------------------------------------

@pytest.mark.parametrize("target", [
    "http://a..example/feed",  # an empty label: idna raised UnicodeError deep in the lookup
    "http://" + "a" * 64 + ".example/feed",  # a label over 63 characters: the same
    "http://" + ("b" * 60 + ".") * 5 + "example/feed",  # over 253 in all
    "http://xn--zz.example/feed",  # invalid IDNA
])
def test_a_redirect_to_an_impossible_host_fails_only_that_feed(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        target: str) -> None:
    declare_public(monkeypatch, "127.0.0.1")  # no --allow-private-hosts: the real checks
    good = good_blog(feed_server)
    feed_server.routes["/hostile.xml"] = redirect_to(target)
    hostile = feed_server.url("/hostile.xml")
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([good, hostile]))
    assert build(tmp_path) == 0
    assert (tmp_path / "site" / "index.html").is_file()
    assert outcomes(tmp_path) == {good: ("ok", None), hostile: ("failed", "bad_url")}


# -- DNS rebinding ------------------------------------------------------------------------

@contextmanager
def serving(address: tuple[str, int], base: str,
            context: ssl.SSLContext | None = None) -> Iterator[FeedServer]:
    """Run a FeedServer on ``address`` (over TLS with ``context``); ``base`` names its URLs."""
    server = FeedServer(base=base, routes={}, requests=[])
    httpd = ThreadingHTTPServer(address, _make_handler(server))
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    server.base = base.format(port=httpd.server_address[1])
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def public_server(feed_server: FeedServer) -> Iterator[FeedServer]:
    """A second server on 127.0.0.2, same port as ``feed_server`` (on 127.0.0.1)."""
    port = int(feed_server.base.rsplit(":", 1)[1])
    with serving(("127.0.0.2", port), "http://127.0.0.2:{port}") as server:
        yield server


def test_dns_rebinding_never_reaches_the_internal_address(
        tmp_path: Path, feed_server: FeedServer, public_server: FeedServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The name answers the public 127.0.0.2 to its first lookup and the internal 127.0.0.1
    # to every later one: a check that resolves, then a connection that resolves again,
    # reach the internal server. The connection must go to the address checked.
    declare_public(monkeypatch, "127.0.0.2")
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(name)
        address = "127.0.0.2" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    body = subject_blog("maths", "maths", n=2, end=NOW).rss()
    public_server.serve("/feed.xml", body)
    feed_server.serve("/feed.xml", b"internal: must never be asked")
    port = feed_server.base.rsplit(":", 1)[1]
    url = f"http://rebind.example:{port}/feed.xml"
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([url]))
    assert build(tmp_path) == 0
    assert feed_server.requests == []
    assert lookups == ["rebind.example"]  # resolved once, connected to that answer
    [(_, headers)] = public_server.requests
    assert headers["host"] == f"rebind.example:{port}"  # the name is still what is asked
    assert outcomes(tmp_path) == {url: ("ok", None)}


# -- credentials --------------------------------------------------------------------------

def site_and_state_text(tmp_path: Path) -> str:
    files = [p for p in (tmp_path / "site").rglob("*") if p.is_file()]
    files += [p for p in tmp_path.glob("state.db*") if p.is_file()]
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files)


@pytest.mark.parametrize("status", [301, 302])
def test_a_redirect_to_a_url_with_credentials_is_refused_and_never_published(
        tmp_path: Path, feed_server: FeedServer, status: int) -> None:
    doc = FeedDoc(title="Credentialed", site="/")  # relative links resolve against the URL
    doc.entries = [Entry(f"Post {i}", f"/post-{i}/", NOW) for i in range(2)]
    feed_server.serve("/real.xml", doc.rss())
    host = feed_server.base.removeprefix("http://")

    def moved(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        request.send_header("Location", f"http://reader:{SECRET}@{host}/real.xml")
        request.send_header("Content-Length", "0")
        request.end_headers()
    feed_server.routes["/feed.xml"] = moved
    url = feed_server.url("/feed.xml")
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([url]))
    assert build(tmp_path, "--allow-private-hosts") == 0
    assert outcomes(tmp_path) == {url: ("failed", "bad_url")}
    assert feed_server.hits("/real.xml") == []
    assert not any("authorization" in headers for _, headers in feed_server.requests)
    assert SECRET not in site_and_state_text(tmp_path)


def test_credentials_in_feeds_yaml_stop_the_build_before_any_request(
        tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = good_blog(feed_server).replace("http://", f"http://reader:{SECRET}@")
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([url]))
    assert build(tmp_path, "--allow-private-hosts") == 1
    assert f"{tmp_path / 'feeds.yaml'}:2: 'url' contains a user name or password" in (
        capsys.readouterr().err)
    assert feed_server.requests == []
    assert not (tmp_path / "site").exists()
    assert main(["validate", str(tmp_path / "feeds.yaml")]) == 1
    assert SECRET not in capsys.readouterr().err


# -- TLS through the guarded connection -----------------------------------------------------

def certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """Make a self-signed certificate for ``name`` with the openssl command."""
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}"], check=True, capture_output=True)
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize(("certified", "works"), [("feeds.test", True), ("other.test", False)])
def test_tls_verifies_the_host_name_while_connecting_to_the_checked_address(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certified: str, works: bool) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "feeds.test" else []
    monkeypatch.setattr(netguard, "resolve", resolve)
    cert, key = certificate(tmp_path, certified)
    opts = FetchOptions(allow_private_hosts=True, min_interval=timedelta(0), retries=0)
    body = subject_blog("maths", "maths", n=1, end=NOW).rss()

    async def fetch(url: str) -> object:
        transport = netguard.GuardedTransport(httpx.Limits(), allow_private=True,
                                              ssl_context=ssl.create_default_context(
                                                  cafile=str(cert)))
        async with httpx.AsyncClient(transport=transport) as client:
            return (await fetch_feed(client, Feed(url), None, opts, now=NOW)).value
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with serving(("127.0.0.1", 0), "https://feeds.test:{port}", context) as server:
        value = asyncio.run(fetch(server.serve("/feed.xml", body)))
        if works:  # SNI and the certificate check used the name, not 127.0.0.1
            assert isinstance(value, FetchedFeed) and value.body == body
            assert server.requests[0][1]["host"] == server.base.removeprefix("https://")
        else:
            assert isinstance(value, FetchError) and value.kind == "connection", value
            assert server.requests == []


# -- several addresses for one name ---------------------------------------------------------

def fetch_named(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
                addresses: list[str], *, allow_private: bool) -> object:
    async def resolve(host: str, port: int) -> list[str]:
        return addresses if host == "multi.example" else []
    monkeypatch.setattr(netguard, "resolve", resolve)
    feed_server.serve("/feed.xml", subject_blog("maths", "maths", n=1, end=NOW).rss())
    port = feed_server.base.rsplit(":", 1)[1]
    opts = FetchOptions(allow_private_hosts=allow_private, min_interval=timedelta(0),
                        retries=0)

    async def go() -> object:
        async with make_client(opts) as client:
            feed = Feed(f"http://multi.example:{port}/feed.xml")
            return (await fetch_feed(client, feed, None, opts, now=NOW)).value
    return asyncio.run(go())


def test_an_address_that_refuses_moves_on_to_the_next_checked_one(
        feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on 127.0.0.2 at the server's port: the connection goes to the next.
    value = fetch_named(feed_server, monkeypatch, ["127.0.0.2", "127.0.0.1"],
                        allow_private=True)
    assert isinstance(value, FetchedFeed)
    assert len(feed_server.requests) == 1


def test_one_private_address_among_public_ones_refuses_the_name(
        feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    declare_public(monkeypatch, "127.0.0.2")
    value = fetch_named(feed_server, monkeypatch, ["127.0.0.2", "127.0.0.1"],
                        allow_private=False)
    assert isinstance(value, FetchError) and value.kind == "refused"
    assert "127.0.0.1" in value.message
    assert feed_server.requests == []


def test_the_client_itself_refuses_an_impossible_name_before_any_lookup(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Defence in depth: code that uses the client directly, without fetch_feed's hop check.
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]
    monkeypatch.setattr(netguard, "resolve", resolve)
    opts = FetchOptions(allow_private_hosts=True)

    async def go() -> None:
        async with make_client(opts) as client:
            await client.get("http://" + "a" * 64 + ".example/feed")
    with pytest.raises(FetchError) as info:
        asyncio.run(go())
    assert info.value.kind == "bad_url" and lookups == []
