"""Shared fixtures: a real HTTP server on 127.0.0.1 and paths for a build."""

from __future__ import annotations

import functools
import hashlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


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
def _start_server() -> Iterator[FeedServer]:
    server = FeedServer(base="", routes={}, requests=[])
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(server))
    httpd.daemon_threads = True
    server.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


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


@pytest.fixture
def shared() -> Path:
    """Return ../shared, or skip the test where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared (the team's test corpora) is not present")
    return SHARED
