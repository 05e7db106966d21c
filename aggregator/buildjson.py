"""build.json, the machine-readable record of a build, and the digest of what pages show."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from .health import health_record, steady
from .models import BuildReport
from .pages import Site, templates_digest
from .sitecontent import SiteContent


def pages_key(content: SiteContent) -> str:
    """Return a digest of everything the pages show, except feed health and the build time.

    Two builds with the same key write the same pages, so the second keeps the first's.
    The templates and the code's version are part of it: an upgrade re-renders everything.
    """
    digest = hashlib.sha256(templates_digest().encode())
    blogs = [steady(b) for b in content.blogs]
    ledger = content.ledger and replace(content.ledger, rows=tuple(
        replace(row, blog=steady(row.blog)) for row in content.ledger.rows))
    for head in (content.today, content.seed, content.base_url, content.repo_url, blogs):
        digest.update(repr(head).encode())
    # The posts as repr() would write their list, a post at a time: at 200,000 posts the
    # whole list's text was 200 MB held at once, and as much again encoded.
    digest.update(b"[")
    for i, p in enumerate(content.posts):
        digest.update((", " if i else "").encode() + repr((
            p.uid, p.title, p.link, p.author, p.published, p.dated, p.excerpt,
            p.excerpt_html, p.language)).encode())
    digest.update(b"]")
    for part in (content.topics, content.misc, content.diamonds,
                 sorted(content.related.items()), sorted(content.also_on.items()),
                 sorted(content.copies), content.history, ledger, content.dissolved):
        digest.update(repr(part).encode())
    return digest.hexdigest()


LISTING = ("topics", "misc", "diamonds")  # what build.json lists of the pages' posts


def _previous(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / "data" / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def previous_listing(out: Path) -> dict[str, Any] | None:
    """Return the topics, misc and diamonds the build.json in ``out`` lists, if it has them."""
    data = _previous(out)
    return {k: data[k] for k in LISTING} if all(k in data for k in LISTING) else None


def previous_pages_key(out: Path) -> str | None:
    """Return the pages key the site in ``out`` was written with, if it is whole."""
    key = _previous(out).get("pages_key")
    if not isinstance(key, str) or not (out / "index.html").is_file():
        return None
    return key


def build_json(report: BuildReport, site: Site, *, pages_key: str = "",
               listing: Mapping[str, Any] | None = None) -> str:
    """Return the machine-readable record of the build (:func:`build_json_parts`, joined)."""
    return "".join(build_json_parts(report, site, pages_key=pages_key, listing=listing))


def build_json_parts(report: BuildReport, site: Site, *, pages_key: str = "",
                     listing: Mapping[str, Any] | None = None) -> Iterator[str]:
    """Yield the machine-readable record of the build, a piece at a time, as it is encoded.

    It lists every post's link: at 300,000 posts the encoder's pieces of the whole text
    were 50 MB held at once, the build's highest memory (#14), so it is written as it
    is encoded. ``listing``: the topics, misc and diamonds sections as the previous
    build.json of the same pages has them (a build that kept the pages has not read the
    posts they list).
    """
    data: dict[str, Any] = {
        "pages_key": pages_key,  # what the pages show; see pages_key()
        "date": report.date.isoformat(),
        "seed": report.seed,
        "generated": site.content.generated.astimezone(UTC).isoformat(timespec="seconds"),
        "feeds": [
            {"url": f.url, "outcome": f.outcome, "reason": f.reason, "new_posts": f.new_posts,
             "slug": site.blogs[f.url].slug if f.url in site.blogs else None,
             "cause": f.cause}
            for f in report.feeds
        ],
        "topics": [
            {"slug": t.slug, "label": t.label, "terms": list(t.terms),
             "posts": [p.link for p in site.posts_of(t.post_uids)]}
            for t in report.topics
        ],
        "misc": [p.link for p in site.posts_of(site.content.misc)],
        "diamonds": [
            {"link": site.posts[d.post_uid].link, "title": site.posts[d.post_uid].title,
             "feed_url": d.feed_url, "topic": d.topic, "reason": d.reason}
            for d in report.diamonds if d.post_uid in site.posts
        ],
        **(listing or {}),
        "summary": {
            "feeds_ok": report.count("ok"), "feeds_not_modified": report.count("not_modified"),
            "feeds_failed": report.count("failed"), "new_posts": report.new_posts,
            "posts": report.total_posts, "topics": len(report.topics),
            "diamonds": len(report.diamonds),
        },
        "health": [health_record(h) for h in report.health],  # sickest first
    }
    if listing:  # what it lists, as the report of a build that read no post cannot know
        data["summary"].update(topics=len(listing["topics"]), diamonds=len(listing["diamonds"]))
    # The bytes json.dumps(data, indent=2, ensure_ascii=False) gives, in pieces.
    yield from json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(data)
    yield "\n"
