"""Build the site's static search index with Pagefind (a program of its own), by period.

Search must find every post, by its title and its blog, at a cost that does not grow
with the whole history (#14). Every post is on its blog's compact archive page of its
year (:mod:`aggregator.periods`), so the index is cut the same way: one Pagefind bundle
per year that is over (``pagefind-archive/2024/``), built once and kept while its pages
keep their bytes, and the current bundle (``pagefind/``: the front pages of blogs and
topics, the blogs directory and this year's archive pages), built again each build. The
search page merges them in the browser (Pagefind's ``mergeIndex``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CURRENT = "pagefind"
ARCHIVE = "pagefind-archive"
SOURCES = "sources.sha256"  # in a bundle: the digest of the pages it was built from


@dataclass(frozen=True, slots=True)
class Bundle:
    """One Pagefind bundle: where it goes, and the pages it indexes."""

    folder: str  # from the site's root
    pages: tuple[str, ...]  # globs from the site's root; "*" stays within one folder

    def sources(self, site: Path) -> list[Path]:
        """Return the pages of ``site`` this bundle indexes, in a stable order."""
        return sorted({path for pattern in self.pages for path in site.glob(pattern)
                       if path.is_file()})


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """Which bundles a site's search has: the years its blogs' archive pages hold."""

    years: tuple[int, ...] = ()
    this_year: int = 0  # the build's: years before it are over, each a bundle of its own

    def bundles(self) -> list[Bundle]:
        """Return the current bundle, then one per year that is over."""
        years = sorted(set(self.years))
        current = ("blogs/index.html", "blogs/*/index.html", "topics/*/index.html",
                   *(f"blogs/*/{y}/index.html" for y in years if y >= self.this_year))
        return [Bundle(CURRENT, current), *(
            Bundle(f"{ARCHIVE}/{y}", (f"blogs/*/{y}/index.html",))
            for y in years if y < self.this_year)]

    def archives(self) -> list[str]:
        """Return the folders of the year bundles the search page merges, from the root."""
        return [b.folder for b in self.bundles()[1:]]


def is_index(path: str) -> bool:
    """Tell whether ``path`` (from the site's root) is part of a search bundle."""
    return path.startswith((f"{CURRENT}/", f"{ARCHIVE}/"))


def index_search(site: Path, plan: SearchPlan | None = None) -> bool:
    """Build the search bundles of ``site`` whose pages have changed; False if one failed.

    Search is an enhancement: if the index cannot be built the site is still complete,
    and the search page says search is unavailable.
    """
    wanted = (plan or SearchPlan()).bundles()
    archive = site / ARCHIVE
    if archive.is_dir():  # a year no page holds any more
        for old in archive.iterdir():
            if f"{ARCHIVE}/{old.name}" not in {b.folder for b in wanted}:
                shutil.rmtree(old, ignore_errors=True)
    results = [_build(site, bundle) for bundle in wanted]
    return all(results)


def _build(site: Path, bundle: Bundle) -> bool:
    """Build ``bundle`` unless it was last built from pages with the very same bytes."""
    digest = hashlib.sha256(" ".join(_pagefind_command()).encode())
    for path in bundle.sources(site):
        digest.update(path.relative_to(site).as_posix().encode() + b"\0" + path.read_bytes())
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
        glob = bundle.pages[0] if len(bundle.pages) == 1 else "{" + ",".join(bundle.pages) + "}"
        if not _pagefind(site, bundle.folder, glob):
            return False
        _keep_unchanged(before, folder)
        stamp.write_text(digest.hexdigest() + "\n", encoding="utf-8")
        return True
    finally:
        shutil.rmtree(before, ignore_errors=True)


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
