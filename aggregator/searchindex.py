"""Build the site's static search index with Pagefind (a program of its own), by period.

Search must find every post, by its title and its blog, at a cost that does not grow
with the whole history (#14). Every post is on its blog's compact archive page of its
year (:mod:`aggregator.periods`), so the index is cut the same way: the pages of each
year that is over (``pagefind-archive/2024/``), built once and kept while its pages
keep their bytes, and the current pages (``pagefind/``: the front pages of blogs and
topics, the blogs directory and this year's archive pages), built again each build.

Pagefind holds everything one run indexes in memory, about 13 bytes for each byte of
HTML it reads (450 MB for 1,000 blogs' front pages at 100,000 posts), beside the build's
own memory. So each group of pages is cut into bundles of at most :data:`BUNDLE_BYTES`
of HTML, in the order of their paths, each one a run of its own, one after another:
``pagefind/`` and ``pagefind-archive/current-2/``..., ``pagefind-archive/2024/`` and
``pagefind-archive/2024-2/``... The search page merges them in the browser (Pagefind's
``mergeIndex``), reading the list of bundles this build made from :data:`MANIFEST`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .pages import Files

log = logging.getLogger(__name__)

CURRENT = "pagefind"
ARCHIVE = "pagefind-archive"
SOURCES = "sources.sha256"  # in a bundle: the digest of the pages it was built from
MANIFEST = f"{ARCHIVE}/bundles.json"  # the bundles the search page merges with CURRENT's
# The most HTML one Pagefind run reads: ~100-150 MB of memory for the indexer (measured
# in benchmarks/README.md, render_pages.py), so the whole build stays under 500 MB.
BUNDLE_BYTES = 8_000_000
# What Pagefind writes for its own search interfaces, ~420 KB a bundle: the search page
# runs its own script on pagefind.js (templates/static/search.js), so these are removed.
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js",
          "pagefind-component-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-highlight.js")


@dataclass(frozen=True, slots=True)
class Bundle:
    """One Pagefind bundle: where it goes, and the pages it indexes."""

    folder: str  # from the site's root
    pages: tuple[str, ...]  # paths from the site's root


@dataclass(frozen=True, slots=True)
class Group:
    """Pages indexed together, in one or more bundles: the current ones or a year's."""

    folder: str  # its first bundle's; the others add "-2", "-3"...
    patterns: tuple[str, ...]  # globs from the site's root; "*" stays within one folder

    def sources(self, site: Path) -> list[str]:
        """Return the pages of ``site`` this group indexes, by path."""
        return sorted({path.relative_to(site).as_posix() for pattern in self.patterns
                       for path in site.glob(pattern) if path.is_file()})


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """Which bundles a site's search has: the years its blogs' archive pages hold."""

    years: tuple[int, ...] = ()
    this_year: int = 0  # the build's: years before it are over, each a group of its own

    def groups(self) -> list[Group]:
        """Return the current group, then one per year that is over."""
        years = sorted(set(self.years))
        current = ("blogs/index.html", "blogs/*/index.html", "topics/*/index.html",
                   *(f"blogs/*/{y}/index.html" for y in years if y >= self.this_year))
        return [Group(CURRENT, current), *(
            Group(f"{ARCHIVE}/{y}", (f"blogs/*/{y}/index.html",))
            for y in years if y < self.this_year)]

    def bundles(self, site: Path, budget: int | None = None) -> list[Bundle]:
        """Return the bundles of ``site``: each group's pages, cut at ``budget`` bytes."""
        limit = BUNDLE_BYTES if budget is None else budget
        found: list[Bundle] = []
        for group in self.groups():
            parts = split(group.sources(site), lambda page: (site / page).stat().st_size,
                          limit)
            base = f"{ARCHIVE}/current" if group.folder == CURRENT else group.folder
            found += [Bundle(group.folder if i == 0 else f"{base}-{i + 1}", tuple(pages))
                      for i, pages in enumerate(parts)]
        return found


def split(pages: Sequence[str], size: Callable[[str], int], budget: int) -> list[list[str]]:
    """Cut ``pages`` (in order) into runs of at most ``budget`` bytes; a larger page alone.

    The cut depends only on the pages and their sizes (``size(page)``), so a year whose
    pages keep their bytes keeps its bundles, and each one its stamp.
    """
    parts: list[list[str]] = []
    used = budget + 1  # no part yet
    for page in pages:
        bytes_ = size(page)
        if used + bytes_ > budget:
            parts.append([])
            used = 0
        parts[-1].append(page)
        used += bytes_
    return parts


def is_index(path: str) -> bool:
    """Tell whether ``path`` (from the site's root) is part of a search bundle."""
    return path.startswith((f"{CURRENT}/", f"{ARCHIVE}/"))


def index_search(site: Path, plan: SearchPlan | None = None, *,
                 budget: int | None = None) -> bool:
    """Build the search bundles of ``site`` whose pages have changed; False if one failed.

    One bundle after another, each of at most ``budget`` bytes of pages
    (:data:`BUNDLE_BYTES`). Search is an enhancement: if the index cannot be built the
    site is still complete, and the search page says search is unavailable.
    """
    wanted = (plan or SearchPlan()).bundles(site, budget)
    folders = {b.folder for b in wanted}
    archive = site / ARCHIVE
    if archive.is_dir():  # a year no page holds any more, or a bundle a group no longer needs
        for old in archive.iterdir():
            if old.is_dir() and f"{ARCHIVE}/{old.name}" not in folders:
                shutil.rmtree(old, ignore_errors=True)
    results = [_build(site, bundle) for bundle in wanted]
    listed = json.dumps([b.folder for b in wanted if b.folder != CURRENT]) + "\n"
    Files(site).write_bytes(MANIFEST, listed.encode("utf-8"))  # kept while the list is
    return all(results)


def _build(site: Path, bundle: Bundle) -> bool:
    """Build ``bundle`` unless it was last built from pages with the very same bytes."""
    digest = hashlib.sha256(" ".join(_pagefind_command()).encode())
    for page in bundle.pages:
        digest.update(page.encode() + b"\0" + (site / page).read_bytes())
    folder = site / bundle.folder
    stamp = folder / SOURCES
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest.hexdigest():
        return True  # kept: its files are the published site's, linked
    # Moved aside, never overwritten: its files are linked with the published site's.
    before = folder.with_name(folder.name + ".before")
    shutil.rmtree(before, ignore_errors=True)
    if folder.is_dir():
        folder.rename(before)
    try:
        if not _pagefind(site, bundle.folder, _glob(bundle.pages)):
            return False
        for name in UNUSED:  # written just now, linked with nothing
            (folder / name).unlink(missing_ok=True)
        _keep_unchanged(before, folder)
        stamp.write_text(digest.hexdigest() + "\n", encoding="utf-8")
        return True
    finally:
        shutil.rmtree(before, ignore_errors=True)


def _glob(pages: Sequence[str]) -> str:
    """Return a Pagefind glob matching exactly ``pages``: "{a,b,...}", specials escaped."""
    escaped = [re.sub(r"([\\*?\[\]{},!])", r"\\\1", page) for page in pages]
    return escaped[0] if len(escaped) == 1 else "{" + ",".join(escaped) + "}"


def _keep_unchanged(before: Path, after: Path) -> None:
    """Put back the files of ``before`` that ``after`` has again with the same bytes.

    Pagefind names most of its files by their content; one it writes again unchanged is
    then the published site's own file, mtime and all, and not part of a deploy's diff.
    """
    if not before.is_dir():
        return
    for new in after.rglob("*"):
        old = before / new.relative_to(after)
        if new.is_file() and old.is_file() and new.stat().st_size == old.stat().st_size \
                and new.read_bytes() == old.read_bytes():
            os.replace(old, new)


def _pagefind(site: Path, folder: str, glob: str) -> bool:
    try:
        result = subprocess.run(
            [*_pagefind_command(), "--site", str(site), "--output-subdir", folder,
             "--glob", glob, "--silent"],
            capture_output=True, text=True, timeout=300, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        log.warning("search index not built: %s", e)
        return False
    if result.returncode != 0:
        log.warning("search index not built: %s", (result.stderr or result.stdout).strip())
        return False
    return True


def _pagefind_command() -> list[str]:
    """Return how to run Pagefind: its binary itself, else through its Python wrapper.

    The wrapper (``python -m pagefind``) is one more Python process for the whole run.
    """
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]

        return [str(get_executable())]
    except (ImportError, OSError, FileNotFoundError):
        return [sys.executable, "-m", "pagefind"]
