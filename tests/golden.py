"""The golden site: a pinned fixture built at a pinned date, compared with a checked-in copy.

Every change to what the build writes shows up as a reviewable diff of
``tests/data/golden/site/`` (issue 14). After a change that is meant to alter the output,
regenerate the copy and commit it with the change::

    .venv/bin/python -m tests.golden

The feeds (``tests/data/golden/feeds/``) are served by a real local HTTP server on a fixed
port (a post's identity is a hash of its feed's address, so the address must not change
from run to run; written ``http://feeds.golden.test`` in the copy). Left out is only what
cannot be pinned: Pagefind's binary index (its bytes are its own version's).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from aggregator.cli import main
from aggregator.demo import serve_files

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
FEEDS = GOLDEN / "feeds"
EXPECTED = GOLDEN / "site"
DATE = "2026-11-20"
PORT = 48213
HOST = "http://feeds.golden.test"
# Written by tools whose own versions decide the bytes, or not text at all.
LEFT_OUT = ("pagefind/", "pagefind-archive/")
TAGS = {"/acorn.xml": "literacy, primary", "/quill.xml": "Literacy", "/sprout.xml": "primary",
        "/abacus.xml": "maths", "/tally.xml": "Maths, primary", "/shelf.xml": "libraries"}
TEXT_SUFFIXES = (".html", ".xml", ".json", ".opml", ".css", ".js", ".txt")


def build_golden(workdir: Path) -> dict[str, str]:
    """Build the fixture in ``workdir`` and return its site: relative path -> text."""
    files = {f"/{path.name}": path.read_bytes() for path in sorted(FEEDS.glob("*.xml"))}
    site = workdir / "site"
    with serve_files(files, port=PORT) as base:
        if not base.endswith(f":{PORT}"):
            raise RuntimeError(f"port {PORT} is taken: the golden build needs that one")
        feeds = workdir / "feeds.yaml"
        feeds.write_text("feeds:\n" + "".join(
            f"  - url: {base}{name}\n" + (f"    tags: [{TAGS[name]}]\n" if name in TAGS else "")
            for name in files), encoding="utf-8")
        code = main(["build", "--feeds", str(feeds), "--state", str(workdir / "state.db"),
                     "--out", str(site), "--date", DATE, "--allow-private-hosts"])
        if code != 0:
            raise RuntimeError(f"the golden build exited {code}")
        return {name: normalise(name, text, base) for name, text in read_site(site).items()}


def read_site(site: Path) -> dict[str, str]:
    """Return every text file of ``site`` but those LEFT_OUT, by path relative to it."""
    out = {}
    for path in sorted(site.rglob("*")):
        name = path.relative_to(site).as_posix()
        if path.is_file() and name.endswith(TEXT_SUFFIXES) and not name.startswith(LEFT_OUT):
            out[name] = path.read_text(encoding="utf-8")
    return out


def normalise(name: str, text: str, base: str) -> str:
    """Return ``text`` with the local server's address written as HOST."""
    text = text.replace(base, HOST).replace(re.sub(r"^https?://", "", base),
                                            HOST.removeprefix("http://"))
    if name == "data/build.json":  # one line per value: a change is a one-line diff
        text = json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return text


def write_expected(site: dict[str, str], expected: Path = EXPECTED) -> None:
    """Replace the checked-in copy with ``site``."""
    if expected.exists():
        for path in sorted(expected.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    for name, text in site.items():
        target = expected / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def main_regenerate(argv: Sequence[str] | None = None) -> int:
    """Rebuild the golden site and write it over the checked-in copy."""
    del argv
    with tempfile.TemporaryDirectory() as workdir:
        site = build_golden(Path(workdir))
    write_expected(site)
    print(f"wrote {len(site)} files to {EXPECTED.relative_to(Path.cwd())}/; review with git diff")
    return 0


if __name__ == "__main__":
    sys.exit(main_regenerate(sys.argv[1:]))
