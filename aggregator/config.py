"""Load and validate feeds.yaml into typed :class:`~aggregator.models.Feed` records.

feeds.yaml arrives by pull request from anyone, so it is treated as untrusted input:
the file size, YAML aliases and nesting depth are limited *before* any Python object
is built, and every problem is reported at once as ``PATH:LINE: what is wrong and how
to fix it``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from .errors import ConfigError
from .models import Config, Feed

MAX_BYTES = 1_000_000  # a list of many thousands of blogs still fits
MAX_DEPTH = 8  # feeds: [ {key: [value]} ] needs 4

REQUIRED_KEYS = ("url",)
OPTIONAL_KEYS = ("title", "site", "author", "tags", "language", "added")
KNOWN_KEYS = REQUIRED_KEYS + OPTIONAL_KEYS

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_TRACKING_PARAMS = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|source)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with feeds.yaml."""

    line: int | None
    message: str


class FeedsFileError(ConfigError):
    """feeds.yaml has one or more problems; ``str()`` lists them all, one per line."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        first = problems[0]
        super().__init__(first.message, path=path, line=first.line)
        self.args = (
            "\n".join(f"{path}:{p.line}: {p.message}" if p.line else f"{path}: {p.message}"
                      for p in problems),
        )

    def __str__(self) -> str:
        return str(self.args[0])


def load_config(path: str | Path) -> Config:
    """Read and validate feeds.yaml at ``path``; raise :class:`FeedsFileError` on problems."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise FeedsFileError(shown, [Problem(None, "file not found; pass --feeds PATH or "
                                                   "create feeds.yaml (see README)")]) from None
    except OSError as e:
        raise FeedsFileError(shown, [Problem(None, f"cannot read the file: {e.strerror}")]) from e
    return parse_config(raw, shown)


def parse_config(raw: bytes, path: str = "feeds.yaml") -> Config:
    """Validate the bytes of a feeds.yaml file; ``path`` is only used in messages."""
    if len(raw) > MAX_BYTES:
        raise FeedsFileError(path, [Problem(None, f"the file is {len(raw):,} bytes; the limit "
                                                  f"is {MAX_BYTES:,}. Is it a list of feeds?")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FeedsFileError(path, [Problem(None, f"not UTF-8 text (byte {e.start}); save the file "
                                                  "as UTF-8")]) from e
    root = _compose_safely(text, path)
    problems: list[Problem] = []
    feeds = _read_feeds(root, problems)
    if problems:
        raise FeedsFileError(path, sorted(problems, key=lambda p: p.line or 0))
    return Config(path=path, feeds=tuple(feeds))


def _compose_safely(text: str, path: str) -> yaml.Node | None:
    """Check the YAML event stream for aliases and depth, then compose nodes (not objects)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                raise FeedsFileError(path, [Problem(line, "YAML aliases (*name) are not allowed; "
                                                          "write each value out in full")])
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else None
                    raise FeedsFileError(path, [Problem(line, f"nested more than {MAX_DEPTH} "
                                                              "levels deep; feeds.yaml is a flat "
                                                              "list of entries")])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = e.problem or e.context or "invalid YAML"
        raise FeedsFileError(path, [Problem(line, f"invalid YAML: {what} (check indentation and "
                                                  "quote values containing ': ' or '#')")]) from e
    except yaml.YAMLError as e:
        raise FeedsFileError(path, [Problem(None, f"invalid YAML: {e}")]) from e


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _scalar(node: yaml.Node) -> Any:
    """Build the Python value of a scalar node (str, int, date, ...)."""
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _read_feeds(root: yaml.Node | None, problems: list[Problem]) -> list[Feed]:
    if root is None:
        problems.append(Problem(1, "the file is empty; it needs a top-level 'feeds:' list"))
        return []
    if not isinstance(root, yaml.MappingNode):
        problems.append(Problem(_line(root), "the top level must be a mapping with a 'feeds:' "
                                             "list, e.g. 'feeds:' then '  - url: https://...'"))
        return []
    feeds_node: yaml.Node | None = None
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key == "feeds":
            feeds_node = value_node
        else:
            problems.append(Problem(_line(key_node), f"unknown top-level key {key!r}; the only "
                                                     "top-level key is 'feeds'"))
    if feeds_node is None:
        problems.append(Problem(_line(root), "missing the top-level 'feeds:' list"))
        return []
    if not isinstance(feeds_node, yaml.SequenceNode):
        problems.append(Problem(_line(feeds_node), "'feeds' must be a list of entries, each "
                                                   "starting with '- url: https://...'"))
        return []

    feeds: list[Feed] = []
    first_seen: dict[str, int] = {}
    for entry in feeds_node.value:
        feed = _read_entry(entry, problems)
        if feed is None:
            continue
        key = normalize_url(feed.url)
        if key in first_seen:
            problems.append(Problem(feed.line, f"duplicate feed: {feed.url} is already listed at "
                                               f"line {first_seen[key]}; remove this entry"))
            continue
        first_seen[key] = feed.line or 0
        feeds.append(feed)
    return feeds


def _read_entry(node: yaml.Node, problems: list[Problem]) -> Feed | None:
    line = _line(node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(line, "each entry must be a mapping like '- url: https://...'"))
        return None
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    ok = True
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in KNOWN_KEYS:
            problems.append(Problem(_line(key_node), f"unknown key {key!r}; known keys are "
                                                     f"{', '.join(KNOWN_KEYS)}"))
            ok = False
            continue
        if key in values:
            problems.append(Problem(_line(key_node), f"key {key!r} appears twice in this entry"))
            ok = False
            continue
        lines[key] = _line(value_node)
        if key == "tags":
            if not isinstance(value_node, yaml.SequenceNode) or not all(
                isinstance(v, yaml.ScalarNode) for v in value_node.value
            ):
                problems.append(Problem(lines[key], "'tags' must be a list of words, e.g. "
                                                    "tags: [literacy, primary]"))
                ok = False
                continue
            values[key] = [_scalar(v) for v in value_node.value]
        elif not isinstance(value_node, yaml.ScalarNode):
            kind = "list" if isinstance(value_node, yaml.SequenceNode) else "mapping"
            problems.append(Problem(lines[key], f"{key!r} must be a single value, not a {kind}"))
            ok = False
        else:
            values[key] = _scalar(value_node)

    if "url" not in lines:
        problems.append(Problem(line, "missing 'url': every entry needs the blog's RSS or Atom "
                                      "feed address, e.g. url: https://example.org/feed/"))
        ok = False
    for key in ("url", "site"):
        if key in values:
            error = _check_http_url(values[key], key)
            if error:
                problems.append(Problem(lines[key], error))
                ok = False
    for key in ("title", "author"):
        if key in values and (not isinstance(values[key], str) or not values[key].strip()):
            problems.append(Problem(lines[key], f"{key!r} must be non-empty text"))
            ok = False
    if "tags" in values:
        bad = [t for t in values["tags"] if not isinstance(t, str) or not t.strip()]
        if bad:
            problems.append(Problem(lines["tags"], "every tag must be a word or short phrase"))
            ok = False
    if "language" in values and (
        not isinstance(values["language"], str) or not _LANGUAGE.match(values["language"])
    ):
        problems.append(Problem(lines["language"], "'language' must be a language code such "
                                                   "as en, es, fr or pt-BR"))
        ok = False
    if "added" in values:
        added = values["added"]
        if isinstance(added, datetime):
            added = added.date()
        elif isinstance(added, str):
            try:
                added = date.fromisoformat(added.strip())
            except ValueError:
                pass
        if not isinstance(added, date):
            problems.append(Problem(lines["added"], "'added' must be a date written YYYY-MM-DD"))
            ok = False
        values["added"] = added
    if not ok or "url" not in values:
        return None
    return Feed(
        url=values["url"].strip(),
        title=values.get("title", "").strip() or None,
        site=(values.get("site") or "").strip() or None,
        author=values.get("author", "").strip() or None,
        tags=tuple(t.strip() for t in values.get("tags", [])),
        language=values.get("language"),
        added=values.get("added"),
        line=line,
    )


def _check_http_url(value: Any, key: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"{key!r} must be a web address starting with https:// or http://"
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https"):
        return (f"{key!r} must start with https:// or http:// (got {value!r}); other schemes "
                "are not fetched")
    if not parts.hostname:
        return f"{key!r} has no host name: {value!r}"
    if any(c.isspace() for c in value.strip()):
        return f"{key!r} contains spaces: {value!r}; encode them as %20"
    return None


def normalize_url(url: str) -> str:
    """Return a form of ``url`` under which trivially different spellings compare equal.

    Scheme and host case, ``www.``, default ports, trailing slashes, fragments and
    tracking parameters (utm_*, fbclid, ...) are ignored.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not _TRACKING_PARAMS.match(k)))
    return urlunsplit(("", netloc, path, query, ""))
