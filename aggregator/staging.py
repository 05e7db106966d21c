"""Stage a site beside its folder and publish it whole: a failed build leaves the old one.

A build writes into ``.site-PID-xxxxxxxx`` next to ``site/``, indexes it for search and
swaps it in with two renames; the folders of builds killed half way are removed by the
next one.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import searchindex
from .searchindex import SearchPlan


@dataclass
class StagedSite:
    """A site written beside ``out``, not yet indexed for search nor swapped in.

    The build lets go of its posts before :meth:`publish`, so the search indexer (a
    separate process) does not run beside a process still holding every post.
    """

    tmp: Path
    out: Path
    needs_index: bool
    search: SearchPlan = field(default_factory=SearchPlan)

    def publish(self) -> None:
        """Build the search index if the pages are new, then replace ``out`` atomically."""
        try:
            if self.needs_index:
                searchindex.index_search(self.tmp, self.search)
            swap_in(self.tmp, self.out)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Remove the staged site; ``out`` stays as it was."""
        shutil.rmtree(self.tmp, ignore_errors=True)


# After ".site-": "PID-" and mkdtemp's 8 characters, "old-PID" (swap_in), or, from
# versions before the pid was in the name, the 8 characters alone.
_STAGING = re.compile(r"(?P<pid>\d+)-[a-z0-9_]{8}|old-(?P<old>\d+)|[a-z0-9_]{8}")


def remove_stale_staging(out: Path) -> None:
    """Remove the staging folders (``.site-PID-*``, ``.site-old-PID``) of dead builds.

    A build killed before its swap leaves its folder beside ``out``; a build still
    running (its process alive) keeps its own.
    """
    prefix = f".{out.name}-"
    for entry in out.parent.glob(f"{glob.escape(prefix)}*"):
        name = _STAGING.fullmatch(entry.name[len(prefix):])
        if name is None or not entry.is_dir() or entry.is_symlink():
            continue  # not a staging folder of this site (another site's: .site-2-...)
        pid = name.group("pid") or name.group("old")
        # No pid: left by a version before this one. This process's own "old-": it is made
        # only while swapping in, so it is a killed build's whose pid was given again.
        if (pid is None or not _alive(int(pid))
                or name.group("old") == str(os.getpid())):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def link_tree(site: Path, staging: Path) -> int:
    """Fill the empty folder ``staging`` with links to the files of ``site``; return how many.

    A page the build writes again with the same bytes then stays that very file, mtime
    and all. Only regular files and folders come along, never a symbolic link, so nothing
    written into ``staging`` can land outside it; on a file system without hard links the
    files are copied (their mtimes with them).
    """
    linked = 0
    folders = [(os.fspath(site), os.fspath(staging))]
    while folders:  # plain strings and scandir: thousands of files, once a build
        source, into = folders.pop()
        with os.scandir(source) as entries:
            for entry in entries:
                target = os.path.join(into, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    os.mkdir(target)
                    folders.append((entry.path, target))
                elif entry.is_file(follow_symlinks=False):
                    try:
                        os.link(entry.path, target)
                    except OSError:
                        shutil.copy2(entry.path, target)
                    linked += 1
    return linked


def swap_in(new: Path, out: Path) -> None:
    """Put the staged ``new`` in the place of ``out``, with two renames."""
    os.chmod(new, 0o755)
    if out.exists():
        old = out.with_name(f".{out.name}-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)  # a killed build's, whose pid this one has
        os.replace(out, old)
        os.replace(new, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, out)
