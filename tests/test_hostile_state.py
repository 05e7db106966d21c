"""A state file is data, not code (#13): hostile exports are refused, the build goes on.

Each export here starts as a real one (a real build's state, exported by the CLI), is
changed with sqlite3 the way an attacker who controls the download would, and is then
restored with ``aggregator state restore`` exactly as build.yml runs it.
"""

from __future__ import annotations

import gzip
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.statefile import EXPORT_NAME
from aggregator.store import MIGRATIONS, migrate

from .conftest import FeedServer, _start_server
from .fakes import feeds_yaml
from .test_build import serve_three_blogs
from .test_state_export import workflow_build

Tamper = Callable[[sqlite3.Connection], None]


def _sql(*statements: str) -> Tamper:
    def tamper(db: sqlite3.Connection) -> None:
        for statement in statements:
            db.execute(statement)
    return tamper


TRIGGER = ("CREATE TRIGGER evil AFTER INSERT ON posts BEGIN UPDATE posts SET "
           "link = 'javascript:alert(1)' WHERE uid = NEW.uid; END")
TOPIC = ("INSERT INTO topics (slug, label, terms, first_seen, last_seen, active) "
         "VALUES ('t', 'T', '{terms}', '2026-11-20T00:00:00+00:00', "
         "'2026-11-20T00:00:00+00:00', 1)")
ONE_POST = "(SELECT uid FROM posts ORDER BY uid LIMIT 1)"

CASES: dict[str, tuple[Tamper, str]] = {
    "trigger": (_sql(TRIGGER), "trigger 'evil'"),
    "view": (_sql("CREATE VIEW v AS SELECT * FROM posts"), "view 'v'"),
    "extra table": (_sql("CREATE TABLE notes (x TEXT)"), "table 'notes'"),
    "extra index": (_sql("CREATE INDEX posts_title ON posts(title)"), "index 'posts_title'"),
    "virtual table": (_sql("CREATE VIRTUAL TABLE words USING fts5(x)"), "'words'"),
    "extra column": (_sql("ALTER TABLE posts ADD COLUMN evil TEXT"),
                     "a different definition of table 'posts'"),
    "missing index": (_sql("DROP INDEX posts_feed"), "lacks the index 'posts_feed'"),
    "javascript link": (_sql(f"UPDATE posts SET link = 'javascript:alert(1)' "
                             f"WHERE uid = {ONE_POST}"), "posts.link"),
    "javascript site": (_sql("UPDATE feeds SET site = 'javascript:alert(1)'"), "feeds.site"),
    "pick link": (_sql("UPDATE diamonds SET link = 'data:text/html,x'"), "diamonds.link"),
    "malformed date": (_sql(f"UPDATE posts SET published = '2026-13-45' "
                            f"WHERE uid = {ONE_POST}"), "posts.published"),
    "date without zone": (_sql("UPDATE feeds SET first_seen = '2026-11-20T10:00:00'"),
                          "feeds.first_seen"),
    "text for an integer": (_sql(f"UPDATE posts SET dated = 'yes' WHERE uid = {ONE_POST}"),
                            "posts.dated"),
    "slug escaping the site": (_sql("UPDATE feeds SET slug = '../../escape' "
                                    "WHERE rowid = 1"), "feeds.slug"),
    "bad JSON": (_sql(TOPIC.format(terms="[1, 2")), "topics.terms"),
    "JSON of another shape": (_sql(TOPIC.format(terms='{"a": 1}')), "topics.terms"),
    "topic model with a bad slug": (_sql(
        "INSERT INTO model_topics (slug, position, label, terms) VALUES ('../x', 99, 'x', '[]')"),
        "model_topics.slug"),
    "topic member with a bad slug": (_sql(
        "INSERT INTO topic_members (slug, position, uid) VALUES ('../x', 0, 'u')"),
        "topic_members.slug"),
    "vocabulary of another shape": (_sql("UPDATE topic_model SET vocabulary = '[\"a\"]'"),
                                    "topic_model.vocabulary"),
    "orphan post": (_sql("PRAGMA foreign_keys = OFF",
                         "UPDATE posts SET feed_url = 'https://nowhere.example/feed'"),
                    "refers to a missing"),
}


def _export(tmp_path: Path, feed_server: FeedServer) -> Path:
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_three_blogs(feed_server)))
    workflow_build(tmp_path, "2026-11-20", None)
    return tmp_path / "site" / EXPORT_NAME


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """Return a real build's export and its state file: one build for the whole module."""
    work = tmp_path_factory.mktemp("built")
    with _start_server() as server:
        export = _export(work, server)
    return export.read_bytes(), (work / "state-2026-11-20.db").read_bytes()


def _tampered(export: Path, tamper: Tamper, out: Path) -> Path:
    raw = out.with_suffix(".db")
    raw.write_bytes(gzip.decompress(export.read_bytes()))
    db = sqlite3.connect(raw, isolation_level=None)
    try:
        tamper(db)
    finally:
        db.close()
    out.write_bytes(gzip.compress(raw.read_bytes()))
    raw.unlink()
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_state_is_refused_and_the_local_state_kept(
        tmp_path: Path, built: tuple[bytes, bytes], capsys: pytest.CaptureFixture[str],
        case: str) -> None:
    tamper, named = CASES[case]
    export, before = built
    (tmp_path / "export.sqlite.gz").write_bytes(export)
    bad = _tampered(tmp_path / "export.sqlite.gz", tamper, tmp_path / "bad.sqlite.gz")
    good = tmp_path / "state-2026-11-20.db"
    good.write_bytes(before)

    assert main(["state", "restore", str(bad), "--state", str(good), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "state not restored" in err and named in err and "is kept as it was" in err
    assert "Traceback" not in err
    assert good.read_bytes() == before
    # Without --strict (build.yml) the refusal is a warning: the build goes on from the
    # state it has, or cold without one.
    fresh = tmp_path / "fresh" / "state.db"
    assert main(["state", "restore", str(bad), "--state", str(fresh)]) == 0
    assert "starts cold" in capsys.readouterr().err
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_trigger_never_reaches_a_page_nor_the_next_export(
        tmp_path: Path, feed_server: FeedServer) -> None:
    """The issue's attack: a trigger rewriting every later post to a javascript: link."""
    export = _export(tmp_path, feed_server)
    bad = _tampered(export, _sql(TRIGGER, "DELETE FROM posts WHERE title LIKE '%notes 0'"),
                    tmp_path / "bad.sqlite.gz")
    # The next run, as build.yml runs it: restore (refused: a cold build), build, export.
    workflow_build(tmp_path, "2026-11-21", str(bad))
    site = tmp_path / "site"
    for page in site.rglob("*"):
        if page.is_file() and page.suffix in (".html", ".xml", ".opml", ".json"):
            assert "javascript:" not in page.read_text(), page
    raw = gzip.decompress((site / EXPORT_NAME).read_bytes())
    assert b"CREATE TRIGGER evil" not in raw and b"javascript:" not in raw


def test_an_export_of_an_older_schema_is_still_restored(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    db = sqlite3.connect(old, isolation_level=None)
    migrate(db, 0, 1)  # the first schema, as a build of that version wrote it
    db.execute("INSERT INTO feeds (url, slug, first_seen, last_fetched) VALUES "
               "('https://a.example/feed', 'a', '2026-11-01T00:00:00+00:00', "
               "'2026-11-01T00:00:00+00:00')")
    db.execute("INSERT INTO posts (uid, feed_url, guid, link, title, published, dated, "
               "first_seen, excerpt, text) VALUES ('u1', 'https://a.example/feed', 'g', "
               "'https://a.example/1', 'One', '2026-11-01T00:00:00+00:00', 1, "
               "'2026-11-01T00:00:00+00:00', 'One.', 'One two three.')")
    db.close()
    export = tmp_path / "old.sqlite.gz"
    export.write_bytes(gzip.compress(old.read_bytes()))
    state = tmp_path / "state" / "aggregator.db"
    assert main(["state", "restore", str(export), "--state", str(state), "--strict"]) == 0
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == max(MIGRATIONS)
        assert db.execute("SELECT words FROM posts").fetchone()[0] == 3
    db.close()


def test_a_restore_leaves_nothing_beside_the_state(tmp_path: Path,
                                                   built: tuple[bytes, bytes]) -> None:
    export = tmp_path / "state.sqlite.gz"
    export.write_bytes(built[0])
    folder = tmp_path / "runner"
    folder.mkdir()
    state = folder / "aggregator.db"
    assert main(["state", "restore", str(export), "--state", str(state), "--strict"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["aggregator.db"]
    # ... and again over an existing state, which is replaced, after a restore killed
    # half way (its temporary file and the SQLite files beside it are left)
    for name in (".aggregator.db.restore-k2j3h4l5.db", ".aggregator.db.restore-k2j3h4l5.db-wal"):
        (folder / name).write_bytes(b"half")
    assert main(["state", "restore", str(export), "--state", str(state), "--strict"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["aggregator.db"]


ODD_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Odd \xe2\x80\xae blog</title>
<link>http://odd.example:8080/</link><description>Odd but real</description>
<language>English (UK), fr</language>
<item><title>No date, no author</title><link>http://odd.example:8080/a?b=1#c</link>
<guid>g1</guid><description>Short.</description></item>
<item><title>Guid only</title><guid isPermaLink="true">https://odd.example/guid/</guid>
<pubDate>Fri, 20 Nov 2026 08:00:00 +0900</pubDate></item>
</channel></rss>
"""


def test_whatever_a_build_writes_is_accepted_back(tmp_path: Path,
                                                  feed_server: FeedServer) -> None:
    """The checks refuse what this version never writes, never what real feeds give it."""
    urls = [*serve_three_blogs(feed_server), feed_server.serve("/odd.xml", ODD_FEED)]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    workflow_build(tmp_path, "2026-11-20", None)
    feed_server.serve("/odd.xml", b"<html>gone</html>", status=500)  # a failing feed too
    state = tmp_path / "state-2026-11-21.db"
    assert main(["state", "restore", str(tmp_path / "site" / EXPORT_NAME), "--state",
                 str(state), "--strict"]) == 0
    workflow_build(tmp_path, "2026-11-21", str(tmp_path / "site" / EXPORT_NAME))
    again = tmp_path / "again.db"
    assert main(["state", "restore", str(tmp_path / "site" / EXPORT_NAME), "--state",
                 str(again), "--strict"]) == 0
    with sqlite3.connect(again) as db:
        assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 26
        assert db.execute("SELECT consecutive_failures FROM feeds WHERE url LIKE '%odd%'"
                          ).fetchone()[0] == 1
    db.close()


def test_a_poisoned_local_state_is_not_published_on(
        tmp_path: Path, built: tuple[bytes, bytes], caplog: pytest.LogCaptureFixture) -> None:
    """A state restored by a version before the checks: its trigger goes no further."""
    state = tmp_path / "state.db"
    state.write_bytes(built[1])
    _sql(TRIGGER, "CREATE VIEW v AS SELECT 1", "CREATE TABLE notes (x)",
         "CREATE INDEX posts_title ON posts(title)")(db := sqlite3.connect(state))
    db.commit()
    db.close()
    export = tmp_path / "state.sqlite.gz"
    assert main(["state", "export", str(export), "--state", str(state)]) == 0
    restored = tmp_path / "restored.db"
    assert main(["state", "restore", str(export), "--state", str(restored), "--strict"]) == 0
    with sqlite3.connect(state) as db:
        db.execute("DROP TRIGGER evil")
        db.execute("UPDATE posts SET link = 'javascript:alert(1)' WHERE rowid = 1")
    db.close()
    # A value the restore refuses: still exported (the build goes on), and said so.
    assert main(["state", "export", str(export), "--state", str(state)]) == 0
    assert "the next restore will refuse this export" in caplog.text
    assert "posts.link" in caplog.text
