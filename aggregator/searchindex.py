"""Build the site's static search index with Pagefind (a program of its own)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def index_search(site: Path) -> bool:
    """Build the static search index (Pagefind) into ``site/pagefind/``; False if it failed.

    Search is an enhancement: if the index cannot be built the site is still complete,
    and the search page says search is unavailable.
    """
    try:
        result = subprocess.run(
            [*_pagefind_command(), "--site", str(site), "--output-subdir", "pagefind",
             "--silent"],
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
