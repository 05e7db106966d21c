"""Carry the SQLite state from one build to the next: ``aggregator state export|restore``.

On GitHub Actions every run starts on a fresh machine, and actions/cache evicts entries
unused for 7 days, so the state travels with the site instead: the build exports a
gzipped, compacted copy of the database to ``site/data/state.sqlite.gz``, Pages publishes
it with the site, and the next run downloads it from the live site before building.

The export is a SQLite database of the same schema (the published rows copied, in one
read, into a fresh file), so it is versioned by SQLite's ``user_version`` (the schema
version) and a newer aggregator migrates an older export exactly as it migrates a local
file.

The export is what is published, so it holds only what the site shows plus what the
next build needs (#16): no post's full text, and no diamond pick of a blog that has left
``feeds.yaml``. Past the text window (topiccache.text_window, #14) a post keeps only what
lists it: no excerpt and no topic words either, so the export grows with the window, not
with the site's history. Within it, the topic model's cleaned first words stay.

Restoring never makes things worse: a download that fails, is not gzip, is not a SQLite
database, fails ``PRAGMA integrity_check``, comes from a newer schema, or is not exactly
data this version writes (:mod:`aggregator.statecheck`: no trigger, view or other extra
object, every value of the right type) is refused and the local state is left as it
was. With no state at all the build is a cold one, which is safe: posts are keyed by
feed and entry id, so none is shown twice.
"""

from __future__ import annotations

import asyncio
import glob
import gzip
import logging
import os
import sqlite3
import tempfile
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from .errors import FetchError, StoreError
from .fetch import FetchOptions, make_client
from .models import TextWindow
from .poststore import UNCHANGED_KEY, past_window, window_args
from .statecheck import StateFileError, check_state
from .store import Store, migrate

__all__ = ["EXPORT_NAME", "Restored", "StateFileError", "export_state", "restore_state"]

log = logging.getLogger(__name__)

EXPORT_NAME = "data/state.sqlite.gz"  # where the build workflow puts it inside site/
EXPORT_LEVEL = 4  # gzip level of the export (benchmarks/state_restore.py)
MAX_DOWNLOAD = 256 * 1024 * 1024  # compressed
MAX_DATABASE = 1024 * 1024 * 1024  # uncompressed: refuses a gzip bomb
DOWNLOAD_DEADLINE = 120.0  # seconds
_SQLITE_MAGIC = b"SQLite format 3\x00"
# What the export leaves out of the copy it publishes (#16): posts' full text (the topic
# model's cleaned words stay: the next build needs them) and the picks of blogs no
# longer listed (sync_feeds removes those; this is for a state from an older version).
# What the export leaves out of each table (#16, #14): a column's value in the copy, and
# which rows are copied. ``past``: the posts past the text window (a temporary table).
_PUBLISHED_VALUES: dict[str, dict[str, str]] = {
    "posts": {"text": "''",
              "excerpt": "CASE WHEN uid IN past THEN '' ELSE excerpt END",
              "excerpt_html": "CASE WHEN uid IN past THEN '' ELSE excerpt_html END"},
}
_PUBLISHED_ROWS: dict[str, str] = {
    "topic_texts": "uid NOT IN past",
    # Picks of blogs no longer listed (sync_feeds removes those; this is for a state
    # from an older version).
    "diamonds": "feed_url IN (SELECT url FROM src.feeds)",
    # What the last build on this state wrote (aggregator.unchanged) is about this state and
    # its site: a restored copy is a state of its own, whose first build does the work.
    "revision": "0",
    "meta": f"key != '{UNCHANGED_KEY}'",
}


@dataclass(frozen=True, slots=True)
class Restored:
    """What ``state restore`` did."""

    source: str
    restored: bool  # False: the local state was kept as it was
    message: str
    feeds: int = 0
    posts: int = 0


def export_state(state_path: str | Path, out_path: str | Path) -> int:
    """Write a gzipped, compacted copy of the state at ``state_path`` to ``out_path``.

    Return the size of the written file in bytes. The copy is consistent even while
    another connection writes, and the file appears atomically. It is the published
    state: only what the site shows plus what the next build needs, copied into a fresh
    database (:func:`_published_copy`), so nothing left out lingers in free pages and
    the time it takes follows what is published, not the local file's size.
    """
    from .topiccache import text_window  # the topic model's window: its library loads late

    if not Path(state_path).is_file():
        raise StoreError(f"{state_path}: no state to export (run a build first)")
    with Store(state_path):  # migrates and checks it is an aggregator database
        pass
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        copy = Path(tmp) / "state.sqlite"
        try:
            _published_copy(Path(state_path), copy, text_window())
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{state_path}: cannot export the state: {e}") from e
        try:  # what the next restore will say of it (a local state restored by an old version)
            check_state(copy, str(out))
        except StateFileError as e:  # still written: the next build is then a cold one
            log.warning("the next restore will refuse this export: %s", e)
        packed = Path(tmp) / "state.sqlite.gz"
        with copy.open("rb") as src, packed.open("wb") as raw:
            # mtime=0 and no file name: the same state gives the same bytes. Level 4: on
            # 71 MB of state, 6.8 s for 21.8 MB, where 9 took 77 s for 20.2 MB.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=EXPORT_LEVEL) as gz:
                while chunk := src.read(1 << 20):
                    gz.write(chunk)
        packed.replace(out)
    return out.stat().st_size


def _published_copy(source: Path, copy: Path, window: TextWindow) -> None:
    """Write into ``copy`` (a new file) what the export publishes of the state at ``source``.

    The copy gets the schema a fresh store of the source's version has, and only the
    columns and rows it holds are copied, in one read of the source: what no version of
    the aggregator creates (a trigger a local state restored by a version before the
    checks may carry, #13) is never published on. Past ``window``, dated by the source's
    own clock (its last fetch), a post keeps no excerpt and no topic words.
    """
    now = _newest_fetch_or_none(source) or datetime.now(UTC)
    db = sqlite3.connect(str(copy), isolation_level=None)
    try:
        # A scratch file: no journal, no syncing (a crash loses only the copy).
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
        version = int(db.execute("PRAGMA src.user_version").fetchone()[0])
        migrate(db, 0, version)
        db.execute("BEGIN")  # one read of the source: a consistent copy
        db.execute("CREATE TEMP TABLE past (uid TEXT PRIMARY KEY)")
        db.execute(f"INSERT INTO past {past_window('src.')}", window_args(window, now))
        tables = [name for (name,) in db.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY rowid")]
        for table in tables:
            columns = [str(r[1]) for r in db.execute(f"PRAGMA main.table_info({table})")]
            values = _PUBLISHED_VALUES.get(table, {})
            where = _PUBLISHED_ROWS.get(table)
            db.execute(f"INSERT INTO main.{table} ({', '.join(columns)}) "
                       f"SELECT {', '.join(values.get(c, c) for c in columns)} "
                       f"FROM src.{table} {f'WHERE {where}' if where else ''} ORDER BY rowid")
        db.execute("COMMIT")
        db.execute("DETACH DATABASE src")
    finally:
        db.close()


def restore_state(source: str, state_path: str | Path, *,
                  options: FetchOptions | None = None) -> Restored:
    """Replace the state at ``state_path`` with the export at ``source`` (a URL or a path).

    The export is checked completely before anything is replaced. If it cannot be
    downloaded or is unusable, raise :class:`StateFileError` and leave the local state as
    it was. A local state that is newer than the export (it saw a later fetch) is kept.
    """
    data = _read_source(source, options or FetchOptions())
    state = Path(state_path)
    state.parent.mkdir(parents=True, exist_ok=True)
    for stale in state.parent.glob(f".{glob.escape(state.name)}.restore-*"):
        stale.unlink(missing_ok=True)  # a restore killed half way left it (they never run two)
    fd, tmp_name = tempfile.mkstemp(dir=state.parent, prefix=f".{state.name}.restore-",
                                    suffix=".db")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            _gunzip_into(data, f, source)
        feeds, posts, newest = _check_database(tmp, source)
        if state.is_file():
            local = _newest_fetch_or_none(state)
            if local is not None and newest is not None and local > newest:
                return Restored(source, False, f"kept {state}: it is newer than the export "
                                               f"({local.isoformat()} > {newest.isoformat()})")
        for suffix in ("-wal", "-shm", "-journal"):  # they belong to the old file
            Path(f"{state}{suffix}").unlink(missing_ok=True)
        tmp.replace(state)
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
    return Restored(source, True, f"restored {feeds} feeds and {posts} posts into {state}",
                    feeds=feeds, posts=posts)


def _read_source(source: str, options: FetchOptions) -> bytes:
    if urlsplit(source).scheme in ("http", "https"):
        return asyncio.run(_download(source, options))
    try:
        path = Path(source)
        if path.stat().st_size > MAX_DOWNLOAD:
            raise StateFileError(f"{source}: larger than {MAX_DOWNLOAD:,} bytes")
        return path.read_bytes()
    except OSError as e:
        raise StateFileError(f"{source}: cannot read it: {e.strerror or e}") from e


async def _download(url: str, options: FetchOptions) -> bytes:
    from .discover import download  # the build's fetch rules: address checks, caps, timeouts

    options = replace(options, max_bytes=MAX_DOWNLOAD, deadline=DOWNLOAD_DEADLINE)
    async with make_client(options) as client:
        try:
            page = await download(client, url, options)
        except FetchError as e:
            raise StateFileError(f"cannot download {url}: {e}") from e
    return page.body


def _gunzip_into(data: bytes, out: BinaryIO, source: str) -> None:
    """Write the database in ``data`` (gzipped, or already plain) to ``out``, capped."""
    write = out.write
    if data.startswith(_SQLITE_MAGIC):  # served with Content-Encoding: gzip and decoded
        write(data)
        return
    if not data.startswith(b"\x1f\x8b"):
        raise StateFileError(f"{source}: not a gzipped state export")
    inflater = zlib.decompressobj(wbits=31)
    size = 0
    try:
        chunk = inflater.decompress(data, 1 << 20)
        while chunk:
            size += len(chunk)
            if size > MAX_DATABASE:
                raise StateFileError(f"{source}: unpacks to more than {MAX_DATABASE:,} bytes")
            write(chunk)
            chunk = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
    except zlib.error as e:
        raise StateFileError(f"{source}: corrupt gzip data: {e}") from e
    if not inflater.eof:
        raise StateFileError(f"{source}: the gzip data is truncated")


def _check_database(path: Path, source: str) -> tuple[int, int, datetime | None]:
    """Check a candidate state file; return its feed and post counts and newest fetch."""
    with path.open("rb") as f:
        if f.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            raise StateFileError(f"{source}: not a SQLite database")
    check_state(path, source)  # data, not code: before any connection may run it
    newest = _newest_fetch_or_none(path, immutable=True)
    try:
        with Store(path) as store:  # applies any pending migrations
            feeds = len(store.feed_states())
            posts = store.post_count()
            store.leave_wal()  # the file is then whole: no -wal beside it to carry
    except (StoreError, sqlite3.DatabaseError) as e:
        raise StateFileError(f"{source}: the state cannot be opened: {e}") from e
    return feeds, posts, newest


def _newest_fetch_or_none(path: Path, *, immutable: bool = False) -> datetime | None:
    """Return the latest fetch time recorded in a state file, or None if unreadable/empty.

    ``immutable``: a file no one else writes, read without creating ``-wal``/``-shm``.
    """
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro{'&immutable=1' if immutable else ''}",
                             uri=True)
        try:
            row = db.execute("SELECT MAX(last_fetched) FROM feeds").fetchone()
        finally:
            db.close()
        value = datetime.fromisoformat(row[0]) if row and row[0] else None
    except (sqlite3.DatabaseError, ValueError, TypeError):
        return None
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
