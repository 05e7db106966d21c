"""Preview a built site locally, the way GitHub Pages will serve it."""

from __future__ import annotations

import functools
import http.server
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import AggregatorError


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serve files from the site; answer missing paths with the site's own 404 page."""

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the terminal is for the address and errors


def serve_site(root: str | Path, *, bind: str = "127.0.0.1", port: int = 8000,
               on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``root`` until interrupted; call ``on_ready(url)`` once listening."""
    root = Path(root)
    if not (root / "index.html").is_file():
        raise AggregatorError(f"{root}/index.html not found; build the site first "
                              "(aggregator demo, or aggregator build)")
    handler = functools.partial(SiteHandler, directory=str(root))
    try:
        server = http.server.ThreadingHTTPServer((bind, port), handler)
    except OSError as e:
        raise AggregatorError(f"cannot listen on {bind}:{port}: {e.strerror}; "
                              "try another --port") from e
    with server:
        if on_ready is not None:
            on_ready(f"http://{bind}:{server.server_address[1]}/")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
