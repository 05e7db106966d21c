"""The offline demo: serve the bundled sample blogs on 127.0.0.1 and build a site from them.

The sample (``aggregator/sample/blogs.yaml``) is fictional and written for this project.
Its post dates are relative ("3 days ago"), so the demo looks fresh on any date. The
feeds are rendered as real RSS 2.0 and Atom documents and served over HTTP, so the demo
runs exactly the code a real build runs: config, fetch, parse, store, topics, diamonds,
render.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import yaml

from .build import BuildOptions, build_clock, build_site
from .models import BuildReport

PREFERRED_PORT = 8573  # a fixed port keeps demo builds byte-for-byte reproducible


@dataclass(frozen=True)
class SampleBlog:
    """One fictional blog of the demo."""

    id: str
    format: str
    title: str
    site: str
    author: str
    language: str
    tags: tuple[str, ...]
    description: str
    added_days_ago: int
    posts: tuple[dict[str, Any], ...]


def load_sample() -> list[SampleBlog]:
    """Read the bundled sample blogs."""
    text = resources.files("aggregator").joinpath("sample/blogs.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return [
        SampleBlog(id=b["id"], format=b["format"], title=b["title"], site=b["site"],
                   author=b["author"], language=b.get("language", "en"),
                   tags=tuple(b.get("tags", ())), description=b.get("description", ""),
                   added_days_ago=int(b.get("added_days_ago", 365)), posts=tuple(b["posts"]))
        for b in data["blogs"]
    ]


def _published(post: Mapping[str, Any], now: datetime) -> datetime:
    day = now.date() - timedelta(days=int(post["days_ago"]))
    return datetime(day.year, day.month, day.day, int(post.get("hour", 9)), tzinfo=UTC)


def render_sample_feed(blog: SampleBlog, now: datetime) -> bytes:
    """Return ``blog`` as an RSS 2.0 or Atom document, dated relative to ``now``."""
    posts = sorted(blog.posts, key=lambda p: (int(p["days_ago"]), -int(p.get("hour", 9))))
    if blog.format == "atom":
        return _atom(blog, posts, now)
    return _rss(blog, posts, now)


def _rss(blog: SampleBlog, posts: list[dict[str, Any]], now: datetime) -> bytes:
    content = "http://purl.org/rss/1.0/modules/content/"
    dc = "http://purl.org/dc/elements/1.1/"
    # Literal prefixes, never ET.register_namespace: that registry is global to the process.
    rss = ET.Element("rss", {"version": "2.0", "xmlns:content": content, "xmlns:dc": dc})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = blog.title
    ET.SubElement(channel, "link").text = blog.site
    ET.SubElement(channel, "description").text = blog.description
    ET.SubElement(channel, "language").text = blog.language
    for post in posts:
        item = ET.SubElement(channel, "item")
        link = f"{blog.site}{post['slug']}/"
        ET.SubElement(item, "title").text = post["title"]
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = link
        ET.SubElement(item, "pubDate").text = format_datetime(_published(post, now), usegmt=True)
        ET.SubElement(item, "dc:creator").text = blog.author
        for category in post.get("categories", ()):
            ET.SubElement(item, "category").text = category
        ET.SubElement(item, "content:encoded").text = post["html"]
    return bytes(ET.tostring(rss, encoding="utf-8", xml_declaration=True))


def _atom(blog: SampleBlog, posts: list[dict[str, Any]], now: datetime) -> bytes:
    ns = "http://www.w3.org/2005/Atom"
    feed = ET.Element("feed", {"xmlns": ns, "xml:lang": blog.language})
    ET.SubElement(feed, "title").text = blog.title
    ET.SubElement(feed, "subtitle").text = blog.description
    ET.SubElement(feed, "link", {"rel": "alternate", "href": blog.site})
    ET.SubElement(feed, "id").text = blog.site
    newest = max((_published(p, now) for p in posts), default=now)
    ET.SubElement(feed, "updated").text = newest.isoformat()
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = blog.author
    for post in posts:
        entry = ET.SubElement(feed, "entry")
        link = f"{blog.site}{post['slug']}/"
        ET.SubElement(entry, "title").text = post["title"]
        ET.SubElement(entry, "link", {"rel": "alternate", "href": link})
        ET.SubElement(entry, "id").text = link
        when = _published(post, now).isoformat()
        ET.SubElement(entry, "published").text = when
        ET.SubElement(entry, "updated").text = when
        for category in post.get("categories", ()):
            ET.SubElement(entry, "category", {"term": category})
        ET.SubElement(entry, "content", {"type": "html"}).text = post["html"]
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


@contextmanager
def serve_files(files: Mapping[str, bytes], port: int = 0) -> Iterator[str]:
    """Serve ``files`` (path -> body) on 127.0.0.1; yield the base URL. Unknown paths: 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            kind = "application/atom+xml" if b"<feed" in body[:300] else "application/rss+xml"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the build reports each feed; no access log in the terminal

    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def sample_feeds_yaml(blogs: list[SampleBlog], base: str, now: datetime) -> str:
    """Return a feeds.yaml listing the sample blogs served at ``base``."""
    entries = []
    for blog in blogs:
        added = now.date() - timedelta(days=blog.added_days_ago)
        entries.append({
            "url": f"{base}/{blog.id}.xml", "title": blog.title, "site": blog.site,
            "author": blog.author, "tags": list(blog.tags), "language": blog.language,
            "added": added,
        })
    header = "# Generated by `aggregator demo`: the bundled sample blogs, served locally.\n"
    return header + yaml.safe_dump({"feeds": entries}, sort_keys=False, allow_unicode=True)


def run_demo(options: BuildOptions, *, keep_state: bool = False,
             **build_kwargs: Any) -> BuildReport:
    """Serve the sample blogs locally and build the site from them.

    Unless ``keep_state`` is set, the state lives in a temporary folder, so every demo
    is a fresh first build.
    """
    now = build_clock(options.day)
    blogs = load_sample()
    files = {f"/{blog.id}.xml": render_sample_feed(blog, now) for blog in blogs}
    with tempfile.TemporaryDirectory(prefix="aggregator-demo-") as tmp, \
            serve_files(files, PREFERRED_PORT) as base:
        feeds_path = Path(tmp) / "feeds.yaml"
        feeds_path.write_text(sample_feeds_yaml(blogs, base, now), encoding="utf-8")
        demo_options = replace(
            options,
            feeds_path=str(feeds_path),
            state_path=options.state_path if keep_state else str(Path(tmp) / "demo.db"),
            fetch=replace(options.fetch, allow_private_hosts=True,
                          min_interval=timedelta(0)),
        )
        return build_site(demo_options, **build_kwargs)
