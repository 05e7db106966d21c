"""Load and validate feeds.yaml into typed :class:`~aggregator.models.Feed` records.

feeds.yaml arrives by pull request from anyone, so it is treated as untrusted input:
the file size, YAML aliases and nesting depth are limited *before* any Python object
is built, and every problem is reported at once as ``PATH:LINE: what is wrong and how
to fix it``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from .errors import ConfigError
from .models import Config, Feed, Notice, Post
from .tags import find_tags
from .urls import has_user_info, unsafe_char, url_problem

MAX_BYTES = 1_000_000  # a list of many thousands of blogs still fits
MAX_DEPTH = 8  # feeds: [ {key: [value]} ] needs 4

# libyaml's parser when PyYAML has it (the PyPI wheels do): a 1 MB file takes about 0.7 s
# instead of 3.5 s. Only events and nodes come from it; values are built one scalar at a time.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

REQUIRED_KEYS = ("url",)
OPTIONAL_KEYS = ("title", "site", "author", "tags", "language", "added", "disabled", "include",
                 "exclude", "hide")
KNOWN_KEYS = REQUIRED_KEYS + OPTIONAL_KEYS
LIST_KEYS = {  # key -> an example for the message when it is not a list of text
    "tags": "tags: [literacy, primary]",
    "include": "include: [classroom, teaching]",
    "exclude": "exclude: [holiday, recipe]",
    "hide": "hide: [https://example.org/2026/01/spam-post/]",
}

LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
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
    _find_duplicate_keys(root, problems)
    tag_lines: dict[tuple[str, str], int] = {}
    feeds = _read_feeds(root, problems, tag_lines)
    if problems:
        raise FeedsFileError(path, sorted(problems, key=lambda p: p.line or 0))
    return Config(path=path, feeds=tuple(feeds), warnings=tag_warnings(feeds, tag_lines))


def tag_warnings(feeds: Sequence[Feed],
                 tag_lines: Mapping[tuple[str, str], int]) -> tuple[Notice, ...]:
    """Return a warning for each tag only one blog has, at the line of the tag.

    ``tag_lines`` maps (feed URL, tag as written) to the tag's line in feeds.yaml.

    A tag's page gathers the blogs that share it; a tag given once is most often a
    spelling no one else uses ("Maths" where the others wrote "numeracy"), so it is
    worth a look, but never a reason to refuse the file.
    """
    warnings = []
    for tag in find_tags([(f.url, f.tags) for f in feeds]):
        if len(tag.blogs) == 1:
            url = tag.blogs[0]
            line = min((tag_lines[url, s] for s in tag.spellings if (url, s) in tag_lines),
                       default=None)
            warnings.append(Notice(line, (
                f"tag {tag.name!r} is used by this blog only; a tag's page gathers the blogs "
                "that share it, so check its spelling or use a tag other blogs have"), url))
    return tuple(sorted(warnings, key=lambda w: w.line or 0))


def _compose_safely(text: str, path: str) -> yaml.Node | None:
    """Check the YAML event stream for aliases and depth, then compose nodes (not objects)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
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
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        if e.context_mark and "end of stream" in (e.problem or ""):
            mark = e.context_mark  # where the unclosed quote or bracket began
        line = mark.line + 1 if mark else None
        what = "; ".join(filter(None, (e.context, e.problem))) or "invalid YAML"
        raise FeedsFileError(path, [Problem(line, f"invalid YAML: {what} (check indentation and "
                                                  "quote values containing ': ' or '#')")]) from e
    except yaml.YAMLError as e:
        raise FeedsFileError(path, [Problem(None, f"invalid YAML: {e}")]) from e


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _scalar(node: yaml.Node) -> Any:
    """Build the Python value of a scalar node (str, int, date, ...); its text if that fails."""
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except (ValueError, OverflowError, yaml.YAMLError):  # 2026-13-01, unknown !tags...
        return node.value


def _find_duplicate_keys(node: yaml.Node | None, problems: list[Problem]) -> None:
    """Report every key that appears twice in one mapping, at any level.

    YAML loaders keep the last value silently: two top-level ``feeds:`` lists would drop
    the first one, and with it (from the state) every blog and post it listed.
    """
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _find_duplicate_keys(item, problems)
    elif isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in first:
                    problems.append(Problem(_line(key_node), (
                        f"key {key_node.value!r} appears twice (first at line "
                        f"{first[key_node.value]}); the first would be silently dropped: "
                        "keep one" + (" list and merge the entries into it"
                                      if key_node.value == "feeds" else ""))))
                else:
                    first[key_node.value] = _line(key_node)
            _find_duplicate_keys(value_node, problems)


def _key(key_node: yaml.Node, problems: list[Problem]) -> str | None:
    """Return a mapping key's text; report a key that is a list or mapping (``? [a]: b``)."""
    if isinstance(key_node, yaml.ScalarNode):
        return str(key_node.value)
    problems.append(Problem(_line(key_node), "a key must be a plain word such as 'url', not a "
                                             "list or mapping"))
    return None


def _read_feeds(root: yaml.Node | None, problems: list[Problem],
                tag_lines: dict[tuple[str, str], int]) -> list[Feed]:
    if root is None:
        problems.append(Problem(1, "the file is empty; it needs a top-level 'feeds:' list"))
        return []
    if not isinstance(root, yaml.MappingNode):
        problems.append(Problem(_line(root), "the top level must be a mapping with a 'feeds:' "
                                             "list, e.g. 'feeds:' then '  - url: https://...'"))
        return []
    lists: list[yaml.Node] = []  # more than one is a reported duplicate; all are checked
    for key_node, value_node in root.value:
        key = _key(key_node, problems)
        if key == "feeds":
            lists.append(value_node)
        elif key is not None:
            problems.append(Problem(_line(key_node), f"unknown top-level key {key!r}; the only "
                                                     "top-level key is 'feeds'"))
    if not lists:
        problems.append(Problem(_line(root), "missing the top-level 'feeds:' list"))
        return []
    entries: list[yaml.Node] = []
    for feeds_node in lists:
        if isinstance(feeds_node, yaml.SequenceNode):
            entries += feeds_node.value
        else:
            problems.append(Problem(_line(feeds_node), "'feeds' must be a list of entries, each "
                                                       "starting with '- url: https://...'"))

    feeds: list[Feed] = []
    first_seen: dict[str, int] = {}
    for entry in entries:
        feed = _read_entry(entry, problems, tag_lines)
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


def _read_entry(node: yaml.Node, problems: list[Problem],
                tag_lines: dict[tuple[str, str], int]) -> Feed | None:
    line = _line(node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(line, "each entry must be a mapping like '- url: https://...'"))
        return None
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    item_lines: list[int] = []  # the line of each tag
    ok = True
    for key_node, value_node in node.value:
        key = _key(key_node, problems)
        if key is None:
            ok = False
            continue
        if key not in KNOWN_KEYS:
            problems.append(Problem(_line(key_node), f"unknown key {key!r}; known keys are "
                                                     f"{', '.join(KNOWN_KEYS)}"))
            ok = False
            continue
        if key in lines:  # reported by _find_duplicate_keys
            ok = False
            continue
        lines[key] = _line(value_node)
        if key in LIST_KEYS:
            if not isinstance(value_node, yaml.SequenceNode) or not all(
                isinstance(v, yaml.ScalarNode) for v in value_node.value
            ):
                problems.append(Problem(lines[key], f"{key!r} must be a list of text, e.g. "
                                                    f"{LIST_KEYS[key]}"))
                ok = False
                continue
            values[key] = [_scalar(v) for v in value_node.value]
            if key == "tags":
                item_lines = [_line(v) for v in value_node.value]
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
    for key in ("title", "author", *LIST_KEYS):
        value = values.get(key)
        texts = value if isinstance(value, list) else [value]
        bad = next((c for t in texts if isinstance(t, str) for c in t if unsafe_char(c)), None)
        if bad is not None:
            problems.append(Problem(lines[key], f"{key!r} contains the invisible character "
                                                f"U+{ord(bad):04X}; remove it (it would break "
                                                "the site's XML files or reorder the text)"))
            ok = False
    for key in LIST_KEYS:
        if key in values and any(not isinstance(t, str) or not t.strip() for t in values[key]):
            what = "a link or guid" if key == "hide" else "a word or short phrase"
            problems.append(Problem(lines[key], f"every item of {key!r} must be {what}; quote "
                                                "numbers and dates, e.g. '2026'"))
            ok = False
    if "disabled" in values and not isinstance(values["disabled"], bool):
        problems.append(Problem(lines["disabled"], "'disabled' must be true or false (without "
                                                   "quotes)"))
        ok = False
    if "language" in values and (
        not isinstance(values["language"], str) or not LANGUAGE_CODE.match(values["language"])
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
    for value_line, tag in zip(item_lines, values.get("tags", ()), strict=True):
        tag_lines.setdefault((values["url"].strip(), tag.strip()), value_line)
    return Feed(
        url=values["url"].strip(),
        title=values.get("title", "").strip() or None,
        site=(values.get("site") or "").strip() or None,
        author=values.get("author", "").strip() or None,
        tags=tuple(t.strip() for t in values.get("tags", [])),
        language=values.get("language"),
        added=values.get("added"),
        line=line,
        disabled=values.get("disabled", False),
        include=tuple(t.strip() for t in values.get("include", [])),
        exclude=tuple(t.strip() for t in values.get("exclude", [])),
        hide=tuple(t.strip() for t in values.get("hide", [])),
    )


def _check_http_url(value: Any, key: str) -> str | None:
    """Return what is wrong with a feed or site address, or None (the fetcher's own rules)."""
    if not isinstance(value, str) or not value.strip():
        return f"{key!r} must be a web address starting with https:// or http://"
    problem = url_problem(value.strip())
    if problem and has_user_info(value):
        problem += ": remove them, or ask the blog for a feed that needs no login"
    return f"{key!r} {problem}" if problem else None


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


def post_filter(feed: Feed) -> Callable[[Post], bool]:
    """Return a test of whether a post of ``feed`` may be shown, from its include/exclude/hide.

    Keywords match whole words (or phrases) of the post's title and text, ignoring case:
    ``include: [maths]`` keeps "Maths week" but not "aftermath". ``hide`` names single
    posts by link (compared like feed URLs) or by guid.
    """
    include = _words_pattern(feed.include)
    exclude = _words_pattern(feed.exclude)
    hidden = set(feed.hide) | {n for h in feed.hide if (n := _normalized_or_none(h))}

    if not hidden and include is None and exclude is None:
        return lambda post: True  # the common case: no rules, nothing to compute per post

    def accepts(post: Post) -> bool:
        if hidden and (post.guid in hidden or post.link in hidden
                       or _normalized_or_none(post.link) in hidden):
            return False
        if include is None and exclude is None:
            return True
        text = f"{post.title}\n{post.text}"
        if include is not None and not include.search(text):
            return False
        return exclude is None or not exclude.search(text)

    return accepts


def _normalized_or_none(link: str) -> str | None:
    try:
        return normalize_url(link) if "://" in link else None
    except ValueError:  # a malformed port in a post's link
        return None


def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def find_listed(config: Config, url: str) -> Feed | None:
    """Return the entry of ``config`` that is ``url`` once normalised, if any."""
    try:
        key = normalize_url(url)
    except ValueError:
        return None
    return next((f for f in config.feeds if normalize_url(f.url) == key), None)


def append_entry(path: str | Path, fields: dict[str, str | date]) -> str:
    """Append one entry to the feeds.yaml at ``path`` and return the text appended.

    Everything already in the file (comments, order, formatting) is kept byte for byte:
    the entry is added as text at the end, indented like the existing entries, with each
    value written plain when YAML would read it back unchanged and double-quoted
    otherwise. The result is validated before it is written (atomically).
    """
    shown = str(path)
    raw = Path(path).read_bytes()
    config = parse_config(raw, shown)
    text = raw.decode("utf-8-sig")
    root = yaml.compose(text, Loader=_Loader)  # safe: parse_config accepted it
    indent = "  "
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if key_node.value == "feeds" and isinstance(value_node, yaml.SequenceNode):
                if value_node.flow_style:
                    raise FeedsFileError(shown, [Problem(_line(value_node), "the 'feeds' list "
                                         "is written in [brackets]; write it as one '- url:' "
                                         "entry per line so entries can be appended")])
                if value_node.value:
                    indent = " " * value_node.start_mark.column
    if "url" not in fields:
        raise ValueError("an entry needs a url")
    lines = []
    for i, (key, value) in enumerate(fields.items()):
        lead = f"{indent}- " if i == 0 else f"{indent}  "
        written = value.isoformat() if isinstance(value, date) else yaml_scalar(value)
        lines.append(f"{lead}{key}: {written}")
    addition = ("" if not text or text.endswith("\n") else "\n") + "\n".join(lines) + "\n"
    new_raw = raw + addition.encode("utf-8")
    updated = parse_config(new_raw, shown)
    if len(updated.feeds) != len(config.feeds) + 1:
        raise FeedsFileError(shown, [Problem(None, "the new entry could not be appended "
                                                   "cleanly; add it by hand")])
    tmp = Path(f"{path}.tmp")
    tmp.write_bytes(new_raw)
    tmp.replace(path)
    return addition


_PLAIN = re.compile(r"^[\w][\w .,/:?=&%~+'()@!-]*$")


def yaml_scalar(value: str) -> str:
    """Return ``value`` as a YAML scalar: plain when that reads back unchanged, else quoted."""
    value = " ".join(value.split())  # no newlines or control whitespace in one-line values
    value = "".join(c for c in value if c.isprintable())
    if (_PLAIN.match(value) and ": " not in value and " #" not in value
            and not value.endswith(":") and yaml.safe_load(value) == value):
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one
