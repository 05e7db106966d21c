"""State export/restore, run the way .github/workflows/build.yml runs it.

The workflow: restore the state from the live site, build, export the state into the
site, publish. Here the "live site" is the exported site served on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import feedparser
import pytest

from aggregator.cli import main
from aggregator.statefile import EXPORT_NAME

from .conftest import FeedServer, serve_dir
from .fakes import feeds_yaml
from .test_build import serve_three_blogs


def workflow_build(work: Path, day: str, state_url: str | None) -> int:
    """Run build.yml's steps: restore, build, export (each a fresh "runner": no local state)."""
    state = work / f"state-{day}.db"  # a new runner each time: nothing local
    if state_url is not None:
        assert main(["state", "restore", state_url, "--state", str(state),
                     "--allow-private-hosts"]) == 0
    code = main(["build", "--feeds", str(work / "feeds.yaml"), "--out", str(work / "site"),
                 "--state", str(state), "--date", day, "--allow-private-hosts",
                 "--min-interval", "0", "--base-url", "https://example.github.io/edublogs/",
                 "--summary-file", str(work / "summary.md")])
    assert code == 0
    assert main(["state", "export", str(work / "site" / EXPORT_NAME),
                 "--state", str(state)]) == 0
    return code


def post_links(site: Path) -> list[str]:
    return [e.link for e in feedparser.parse((site / "feed.xml").read_bytes()).entries]


def diamond_days(state: Path) -> set[str]:
    with sqlite3.connect(state) as db:
        return {r[0] for r in db.execute("SELECT DISTINCT date FROM diamonds")}


def test_state_survives_between_runs_through_the_published_site(
        tmp_path: Path, feed_server: FeedServer) -> None:
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_three_blogs(feed_server)))
    workflow_build(tmp_path, "2026-11-20", None)  # the very first run: nothing published yet
    first = post_links(tmp_path / "site")
    assert (tmp_path / "site" / EXPORT_NAME).is_file()
    assert "### Built the site for 2026-11-20" in (tmp_path / "summary.md").read_text()

    # The published copy of the site is what the next run sees.
    published = tmp_path / "published"
    (tmp_path / "site").rename(published)
    with serve_dir(published) as base:
        workflow_build(tmp_path, "2026-11-21", base + EXPORT_NAME)

    second = post_links(tmp_path / "site")
    assert len(second) == len(set(second)) == len(first)  # no post shown twice
    state = tmp_path / "state-2026-11-21.db"
    assert diamond_days(state) == {"2026-11-20", "2026-11-21"}  # exposure history carried over
    with sqlite3.connect(state) as db:
        first_seen = db.execute("SELECT MIN(first_seen) FROM posts").fetchone()[0]
    assert first_seen.startswith("2026-11-20")  # the posts are the same rows, not refetched


def test_lost_state_means_a_cold_build_without_duplicates(
        tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_three_blogs(feed_server)))
    workflow_build(tmp_path, "2026-11-20", None)
    first = post_links(tmp_path / "site")
    empty = tmp_path / "empty"
    empty.mkdir()
    with serve_dir(empty) as base:  # the site was never published, or the export is gone
        workflow_build(tmp_path, "2026-11-21", base + EXPORT_NAME)
    assert "state not restored" in capsys.readouterr().err
    second = post_links(tmp_path / "site")
    assert sorted(second) == sorted(first) and len(set(second)) == len(second)


@pytest.mark.parametrize(("name", "content", "words"), [
    ("garbage", b"<html>not found</html>", "not a gzipped state export"),
    ("truncated", None, "truncated"),
    ("not sqlite", gzip.compress(b"hello, world" * 100), "not a SQLite database"),
    ("damaged", "damaged", "not a usable SQLite database"),
    ("wrong tables", "wrong", "not a state export this version can read"),
])
def test_a_bad_download_never_replaces_a_good_state(
        tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str],
        name: str, content: bytes | str | None, words: str) -> None:
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_three_blogs(feed_server)))
    workflow_build(tmp_path, "2026-11-20", None)
    export = (tmp_path / "site" / EXPORT_NAME).read_bytes()
    if content is None:
        content = export[: len(export) // 2]
    elif content == "damaged":
        raw = bytearray(gzip.decompress(export))
        raw[100:4096] = b"\xff" * (4096 - 100)  # clobber the schema page
        content = gzip.compress(bytes(raw))
    elif content == "wrong":
        other = tmp_path / "other.db"
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE things (x)")
        db.close()
        content = gzip.compress(other.read_bytes())
    assert isinstance(content, bytes)
    bad = tmp_path / "bad.sqlite.gz"
    bad.write_bytes(content)
    good = tmp_path / "state-2026-11-20.db"
    before = good.read_bytes()

    assert main(["state", "restore", str(bad), "--state", str(good)]) == 0
    assert words in capsys.readouterr().err
    assert good.read_bytes() == before
    assert main(["state", "restore", str(bad), "--state", str(good), "--strict"]) == 1


def test_restore_over_http_follows_the_address_rules(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.gz").write_bytes(b"")
    with serve_dir(tmp_path) as base:
        assert main(["state", "restore", base + "x.gz", "--state", str(tmp_path / "s.db"),
                     "--strict"]) == 1
    assert "non-public address" in capsys.readouterr().err
    assert not (tmp_path / "s.db").exists()


def test_export_is_reproducible_and_restores_to_the_same_data(
        tmp_path: Path, feed_server: FeedServer) -> None:
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_three_blogs(feed_server)))
    workflow_build(tmp_path, "2026-11-20", None)
    state = tmp_path / "state-2026-11-20.db"
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    assert main(["state", "export", str(a), "--state", str(state)]) == 0
    assert main(["state", "export", str(b), "--state", str(state)]) == 0
    assert a.read_bytes() == b.read_bytes()
    copy = tmp_path / "copy.db"
    assert main(["state", "restore", str(a), "--state", str(copy), "--strict"]) == 0

    def dump(path: Path) -> list[str]:
        with sqlite3.connect(path) as db:
            return list(db.iterdump())
    published = tmp_path / "published.db"
    with sqlite3.connect(state) as db:
        db.execute("VACUUM INTO ?", (str(published),))
    with sqlite3.connect(copy) as db:
        counted = db.execute("SELECT * FROM revision").fetchall()
    db.close()
    with sqlite3.connect(published) as db:  # all but the posts' full text (#16)
        db.execute("UPDATE posts SET text = ''")
        # ...and what the last build was made of (aggregator.unchanged): a restored state
        # counts its own changes, and its first build does the work (#14).
        db.execute("DELETE FROM meta WHERE key = 'build.unchanged'")
        db.execute("DELETE FROM revision")
        db.executemany("INSERT INTO revision VALUES (?, ?)", counted)
    db.close()
    assert dump(copy) == dump(published)
