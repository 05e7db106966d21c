"""What fuzz_feeds.py checks in every file a fuzzed build wrote (a benchmark helper).

No bidi control, no link that is not http(s) (in HTML, in feeds and in the HTML a reader
makes of their descriptions, in ``build.json``), and every feed well-formed XML.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

# A bidi control as a character, or as a JSON escape.
BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]|\\u202[a-e]|\\u206[6-9]", re.I)
LINK_KEYS = {"link", "url", "site", "feed_url", "moved_to", "redirect_target", "href"}


def check_output(path: Path) -> list[str]:
    """Return what is wrong with one written file: a bidi control, a non-http(s) link,
    XML that is not well-formed."""
    text = path.read_text("utf-8", "replace")
    problems = ["bidi control"] if BIDI.search(text) else []
    links: list[str] = []
    if path.suffix == ".html":
        links = html_links(text)
    elif path.suffix == ".json":
        links = json_links(json.loads(text))
    else:  # a feed: its links, and those of the HTML a reader makes of its descriptions
        try:
            root = ET.fromstring(text)
        except ET.ParseError as e:
            return [*problems, f"not well-formed XML ({e})"]
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            links += [v for k, v in element.attrib.items() if k in ("href", "xmlUrl", "htmlUrl")]
            if tag in ("link", "guid") and element.text and not element.attrib.get("href"):
                if element.attrib.get("isPermaLink") != "false":
                    links.append(element.text)
            if tag in ("description", "content") and element.attrib.get("type") != "text":
                links += html_links(element.text or "")
    bad = [link for link in links if not link.strip().lower().startswith(
        ("http://", "https://", "mailto:", "#", "/", "../", "./")) and ":" in link.split("/")[0]]
    return problems + [f"link {link[:60]!r}" for link in bad]


def html_links(markup: str) -> list[str]:
    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend(v or "" for k, v in attrs if k in ("href", "src", "action"))

    Links().feed(markup)
    return found


def json_links(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [link for k, v in value.items() for link in json_links(v, k)]
    if isinstance(value, list):
        return [link for v in value for link in json_links(v, key)]
    return [value] if key in LINK_KEYS and isinstance(value, str) else []
