"""Check a feeds.yaml the way a pull request needs it: ``aggregator validate``.

Offline, it is :func:`aggregator.config.load_config`'s schema check. With ``network``
it also fetches the entries (only those added or changed since a git ref with
``changed_ref``) and checks each is a real feed with at least one post and a title. The
result is a :class:`Review`, printed as plain ``PATH:LINE: message`` lines or as a
Markdown report for a pull-request comment or a job summary.
"""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from .config import FeedsFileError, load_config, normalize_url, parse_config
from .discover import FeedCheck, check_feed, parse_pool
from .errors import ConfigError
from .fetch import FetchOptions, make_client
from .models import Config, Feed

MARKER = "<!-- edublog-aggregator: feeds check -->"  # lets a bot find and update its comment
MAX_MARKDOWN = 60_000  # GitHub comments hold 65,536 characters


@dataclass(frozen=True, slots=True)
class Finding:
    """One checked entry, or one problem with the file."""

    line: int | None
    message: str
    ok: bool = False
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """Everything ``aggregator validate`` found."""

    path: str
    feeds: int  # entries in the file (0 when it could not be read)
    findings: tuple[Finding, ...]
    checked_online: int = 0
    changed_ref: str | None = None
    warnings: tuple[Finding, ...] = ()  # worth a look, never a failure (a tag used once)

    @property
    def ok(self) -> bool:
        """Return whether nothing is wrong."""
        return all(f.ok for f in self.findings)


def review(path: str, *, network: bool = False, changed_ref: str | None = None,
           options: FetchOptions | None = None) -> Review:
    """Validate feeds.yaml at ``path``; with ``network``, fetch and check its entries."""
    try:
        config = load_config(path)
    except FeedsFileError as e:
        return Review(path, 0, tuple(Finding(p.line, p.message) for p in e.problems),
                      changed_ref=changed_ref)
    warnings = tuple(Finding(w.line, f"warning: {w.message}", ok=True, url=w.url)
                     for w in config.warnings)
    if not network:
        return Review(path, len(config.feeds), (), warnings=warnings)
    feeds = [f for f in config.feeds if not f.disabled]
    if changed_ref is not None:
        feeds = changed_entries(config, base_config(path, changed_ref))
        # A pull request hears about its own entries' tags, not the whole file's.
        warnings = tuple(w for w in warnings if w.url in {f.url for f in feeds})
    findings = asyncio.run(_check_all(feeds, options or FetchOptions()))
    return Review(path, len(config.feeds), tuple(findings), checked_online=len(feeds),
                  changed_ref=changed_ref, warnings=warnings)


def base_config(path: str, ref: str) -> Config | None:
    """Return feeds.yaml as it was at git ``ref``, or None if it did not exist or was invalid.

    Raise :class:`ConfigError` if ``ref`` is not a commit of the repository.
    """
    where = Path(path).resolve().parent
    name = Path(path).name
    verify = subprocess.run(["git", "-C", str(where), "rev-parse", "--verify", "--quiet",
                             f"{ref}^{{commit}}"], capture_output=True, check=False)
    if verify.returncode != 0:
        raise ConfigError(f"--changed {ref}: no such git commit or branch here (in a shallow "
                          "clone, fetch it first: actions/checkout with fetch-depth: 0)")
    shown = subprocess.run(["git", "-C", str(where), "show", f"{ref}:./{name}"],
                           capture_output=True, check=False)
    if shown.returncode != 0:
        return None  # the file is new since ref: every entry is new
    try:
        return parse_config(shown.stdout, f"{ref}:{name}")
    except FeedsFileError:
        return None  # the base was broken: check every entry


def changed_entries(config: Config, base: Config | None) -> list[Feed]:
    """Return the enabled entries of ``config`` that are new or different from ``base``."""
    if base is None:
        return [f for f in config.feeds if not f.disabled]
    before = {normalize_url(f.url): replace(f, line=None) for f in base.feeds}
    return [f for f in config.feeds if not f.disabled
            and before.get(normalize_url(f.url)) != replace(f, line=None)]


async def _check_all(feeds: list[Feed], options: FetchOptions) -> list[Finding]:
    with parse_pool(len(feeds)) as pool:  # each body parsed as a build parses it: bounded
        async with make_client(options) as client:
            checks = await asyncio.gather(*(check_feed(client, f.url, options, pool)
                                            for f in feeds))
    return [_finding(feed, check) for feed, check in zip(feeds, checks, strict=True)]


def _finding(feed: Feed, check: FeedCheck) -> Finding:
    if not check.ok:
        return Finding(feed.line, f"{feed.url}: {check.problem}; check the address opens in a "
                                  "feed reader (it often ends in /feed/ or .xml)", url=feed.url)
    assert check.feed is not None
    title = check.feed.title or feed.title
    if not title:
        return Finding(feed.line, f"{feed.url}: the feed has no title; add 'title:' to the "
                                  "entry", url=feed.url)
    return Finding(feed.line, f"{feed.url}: ok, {title!r}, {len(check.feed.posts)} posts",
                   ok=True, url=feed.url)


def as_text(result: Review) -> str:
    """Return the review as ``PATH:LINE: message`` lines and a closing line."""
    lines = [_where(result.path, f) + f.message for f in (*result.findings, *result.warnings)]
    lines.append(_closing(result))
    return "\n".join(lines)


def as_markdown(result: Review) -> str:
    """Return the review as a Markdown report (for a pull-request comment or job summary)."""
    icon = "✅" if result.ok else "❌"
    lines = [MARKER, f"### {icon} Feeds check: `{_code(result.path)}`", "", _closing(result), ""]
    problems = [f for f in result.findings if not f.ok]
    good = [f for f in result.findings if f.ok]
    if problems:
        lines += ["**Please fix:**", ""]
        lines += [f"- line {f.line or '?'}: {_md(f.message)}" for f in problems]
        lines.append("")
    if result.warnings:
        lines += ["**Worth a look** (not errors):", ""]
        lines += [f"- line {f.line or '?'}: {_md(f.message)}" for f in result.warnings]
        lines.append("")
    if good:
        lines += ["**Working feeds:**", ""]
        lines += [f"- line {f.line or '?'}: {_md(f.message)}" for f in good]
        lines.append("")
    if not result.ok:
        lines.append("See CONTRIBUTING.md for the keys feeds.yaml accepts and how to find a "
                     "blog's feed address.")
    text = "\n".join(lines).rstrip() + "\n"
    if len(text) > MAX_MARKDOWN:
        text = text[:MAX_MARKDOWN].rsplit("\n", 1)[0] + "\n\n(report truncated)\n"
    return text


def _closing(result: Review) -> str:
    bad = sum(1 for f in result.findings if not f.ok)
    online = ""
    if result.checked_online or result.changed_ref:
        scope = (f"new or changed since {result.changed_ref}" if result.changed_ref
                 else "listed")
        online = f"; fetched {result.checked_online} {scope}"
    if not result.feeds and bad:
        return f"{result.path}: {bad} problem{'s' * (bad != 1)} found"
    verdict = "no problems found" if bad == 0 else f"{bad} problem{'s' * (bad != 1)} found"
    return f"{result.path}: {result.feeds} feeds{online}, {verdict}"


def _where(path: str, finding: Finding) -> str:
    return f"{path}:{finding.line}: " if finding.line else f"{path}: "


def _md(text: str) -> str:
    """Escape text from feeds and pull requests so it cannot inject Markdown or HTML."""
    out = text.replace("\\", "\\\\")
    for c in "`*_[]<>|#!~":
        out = out.replace(c, "\\" + c)
    return " ".join(out.split())


def _code(text: str) -> str:
    return text.replace("`", "'")
