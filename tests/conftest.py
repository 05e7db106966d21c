"""Shared fixtures: a real HTTP server on 127.0.0.1, paths for a build, the tools tests need."""

from __future__ import annotations

import functools
import hashlib
import importlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from .litter import LitterSite

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = Path(__file__).resolve().parent / "data"
# Launch flags for a headless Chromium in a container or CI runner: no sandbox (it needs
# privileges those lack), no GPU, and no calls home (updates, safe browsing...).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def in_ci() -> bool:
    """Return whether the tests run in CI (``CI`` set, as GitHub Actions and .ci/run do)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason: str) -> NoReturn:
    """Skip the test because a tool it needs is missing; in CI, fail it instead.

    A skipped test is a green test: in CI, where every tool is meant to be installed, a
    missing one must turn the run red rather than quietly test less.
    """
    if in_ci():
        pytest.fail(f"{reason} (CI is set: a test that needs a missing tool fails)",
                    pytrace=False)
    pytest.skip(reason)


def require(tool: str | bool | None, reason: str) -> str:
    """Return the path of the program ``tool``, or :func:`missing` where it is not found.

    ``tool`` may also be a condition already checked: True passes, False or None is missing.
    """
    if tool is True:
        return ""
    found = shutil.which(tool) if isinstance(tool, str) else None
    if found is None:
        missing(reason)
    return found


def require_module(name: str, reason: str) -> ModuleType:
    """Import and return the module ``name``; where it cannot be imported, :func:`missing`."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(reason)


def find_chromium() -> str | None:
    """Return a Chromium to test with: ``$CHROMIUM``, /usr/bin/chromium, or one on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """Yield a headless Chromium driven by playwright; :func:`missing` without either."""
    sync_api = require_module("playwright.sync_api", "playwright is not installed")
    executable = require(find_chromium(),
                         "no Chromium found (set CHROMIUM, or apt install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: bool = True  # answer If-None-Match with 304
    delay: float = 0.0  # seconds before answering
    trickle: float | None = None  # seconds between single bytes of the body


@dataclass
class FeedServer:
    """A real HTTP server on 127.0.0.1 whose answers the test sets per path."""

    base: str
    routes: dict[str, Route | Callable[[BaseHTTPRequestHandler], None]]
    requests: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(self, path: str, body: bytes = b"", **kwargs: Any) -> str:
        self.routes[path] = Route(body=body, **kwargs)
        return self.url(path)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


def redirect_to(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    """Return a FeedServer route that answers 302 to ``location``."""
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()
    return handler


def declare_public(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    """Let the address policy treat ``addresses`` as if they were on the public internet."""
    from aggregator import netguard

    real = netguard.is_public_address
    chosen = {ipaddress.ip_address(a) for a in addresses}
    monkeypatch.setattr(netguard, "is_public_address", lambda a: a in chosen or real(a))


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = server.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if callable(route):
                route(self)
                return
            if route.delay:
                time.sleep(route.delay)
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:12] + '"'
            if route.etag and route.status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.etag and route.status == 200:
                self.send_header("ETag", etag)
            for key, value in route.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                if route.trickle is None:
                    self.wfile.write(route.body)
                else:
                    for i in range(len(route.body)):
                        self.wfile.write(route.body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(route.trickle)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """Start a real HTTP server on 127.0.0.1 for the test; stop it afterwards."""
    with _start_server() as server:
        yield server


@contextmanager
def _start_server(host: str = "127.0.0.1") -> Iterator[FeedServer]:
    """Start a FeedServer on ``host`` (another loopback address is another host name)."""
    server = FeedServer(base="", routes={}, requests=[])
    httpd = ThreadingHTTPServer((host, 0), _make_handler(server))
    httpd.daemon_threads = True
    server.base = f"http://{host}:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


def newsboat_items(url: str, workdir: Path) -> int:
    """Return how many items newsboat, a real feed reader, reads from the feed at ``url``."""
    newsboat = require("newsboat", "newsboat (a real feed reader, apt install newsboat) "
                                   "is not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    urls = workdir / "urls"
    urls.write_text(url + "\n")
    result = subprocess.run(
        [newsboat, "-u", str(urls), "-c", str(workdir / "cache.db"), "-C", "/dev/null",
         "-x", "reload", "print-unread"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    count = re.match(r"\s*(\d+)\b", result.stdout)
    assert count, result.stdout
    return int(count.group(1))


@contextmanager
def serve_dir(root: Path) -> Iterator[str]:
    """Serve the folder ``root`` on 127.0.0.1, as GitHub Pages would; yield the base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def demo_site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the demo site once per test session (in a subprocess, as a user runs it)."""
    out = tmp_path_factory.mktemp("demo") / "site"
    subprocess.run([sys.executable, "-m", "aggregator", "demo", "--out", str(out),
                    "--date", "2026-11-23"], check=True, capture_output=True, timeout=300)
    return out


def serve_sample(server: FeedServer, day: str) -> str:
    """Serve the demo's sample blogs from ``server`` as of ``day``; return their feeds.yaml.

    Blogs in three languages whose subjects overlap, as real ones do: enough for the topic
    model to find subjects several blogs share.
    """
    from aggregator.build import build_clock
    from aggregator.demo import load_sample, render_sample_feed, sample_feeds_yaml

    now = build_clock(datetime.fromisoformat(day).date())
    blogs = load_sample()
    for blog in blogs:
        server.serve(f"/{blog.id}.xml", render_sample_feed(blog, now))
    return sample_feeds_yaml(blogs, server.base, now)


FEED_FIXTURES = DATA / "feeds"
FIXTURE_DAY = "2026-11-20"  # the build date the fixtures' expectations assume


def feed_fixtures() -> list[dict[str, Any]]:
    """Return the entries of tests/data/feeds/manifest.json: each fixture and what it asserts."""
    manifest = json.loads((FEED_FIXTURES / "manifest.json").read_text("utf-8"))
    return list(manifest["fixtures"])


@dataclass(frozen=True)
class FixtureSite:
    """A site built from the repo's own fixture feeds, served as they were at build time."""

    site: Path
    base: str  # the fixture server's base URL, for links relative to a feed's address
    urls: dict[str, str]  # fixture file name -> the URL it was served at


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> FixtureSite:
    """Build one site from every fixture in tests/data/feeds, served from 127.0.0.1."""
    from aggregator.cli import main

    from .fakes import feeds_yaml

    tmp = tmp_path_factory.mktemp("fixtures")
    with _start_server() as server:
        urls = {f["file"]: server.serve("/" + f["file"], (FEED_FIXTURES / f["file"]).read_bytes(),
                                        content_type=f["content_type"])
                for f in feed_fixtures()}
        (tmp / "feeds.yaml").write_text(feeds_yaml(list(urls.values())))
        assert main(["build", "--feeds", str(tmp / "feeds.yaml"), "--out", str(tmp / "site"),
                     "--state", str(tmp / "state.db"), "--date", FIXTURE_DAY,
                     "--allow-private-hosts"]) == 0
    return FixtureSite(site=tmp / "site", base=server.base, urls=urls)


@pytest.fixture
def shared() -> Path:
    """Return ../shared, or skip the test where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared (the team's test corpora) is not present")
    return SHARED


@pytest.fixture(scope="session")
def litter_site(tmp_path_factory: pytest.TempPathFactory) -> LitterSite:
    """Build one site from the litter feeds (tests/litter.py) for the session: a LitterSite."""
    from .litter import build_litter

    with _start_server() as server:
        return build_litter(tmp_path_factory.mktemp("litter"), server)


@pytest.fixture(scope="session")
def litter_served(litter_site: LitterSite) -> Iterator[str]:
    """Serve the litter site on 127.0.0.1 for the session; yield its base URL."""
    with serve_dir(litter_site.site) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a test module (:func:`chromium`)."""
    with chromium() as instance:
        yield instance


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # the rules axe-core checks


@functools.cache
def _axe() -> Any:
    return require_module("axe_playwright_python.sync_playwright",
                          "axe-playwright-python is not installed").Axe()


def axe_report(page: Any) -> str | None:
    """Run axe-core's WCAG 2.1 A and AA rules on ``page``; return its report, None if clean."""
    result = _axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return str(result.generate_report()) if result.violations_count else None
