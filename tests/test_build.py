"""End-to-end builds: feeds.yaml + a real HTTP server on 127.0.0.1 -> a site on disk."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from aggregator.cli import main

from .conftest import FeedServer
from .fakes import Entry, FeedDoc, feeds_yaml, subject_blog, subject_blogs

DAY = "2026-11-20"
# The site's own scripts, at any depth: search (and its from-disk notice) on its own page,
# "Surprise me" on every page.
OUR_SCRIPT = re.compile(r'<script (?:type="module" src="(?:\.\./)+assets/search\.js"'
                        r'|defer src="(?:\.\./)*assets/(?:search-disk|surprise)\.js")>')
END = datetime(2026, 11, 20, 9, tzinfo=UTC)


def serve_three_blogs(feed_server: FeedServer, n: int = 8) -> list[str]:
    return [
        feed_server.serve("/phonics.xml", subject_blog("phonics", "phonics", n=n, end=END).rss()),
        feed_server.serve("/maths.xml", subject_blog("maths", "maths", n=n, end=END).atom()),
        feed_server.serve("/library.xml", subject_blog("library", "library", n=n, end=END).rss()),
    ]


def serve_subjects(feed_server: FeedServer) -> list[str]:
    """Serve nine blogs, three on each of three subjects: enough to make topics (#12)."""
    return [feed_server.serve(path, doc.rss() if i % 2 else doc.atom())
            for i, (path, doc) in enumerate(subject_blogs(END).items())]


def build(tmp_path: Path, *extra: str, day: str = DAY, out: str = "site") -> int:
    return main([
        "build", "--feeds", str(tmp_path / "feeds.yaml"), "--out", str(tmp_path / out),
        "--state", str(tmp_path / "state.db"), "--date", day, "--allow-private-hosts",
        "--min-interval", "0", *extra,
    ])


def build_json(tmp_path: Path, out: str = "site") -> dict:
    return json.loads((tmp_path / out / "data" / "build.json").read_text())


def test_build_writes_the_site(tmp_path: Path, feed_server: FeedServer,
                               capsys: pytest.CaptureFixture[str]) -> None:
    urls = serve_subjects(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))

    assert build(tmp_path) == 0

    site = tmp_path / "site"
    data = build_json(tmp_path)
    assert data["date"] == DAY and isinstance(data["seed"], int)
    assert [f["url"] for f in data["feeds"]] == urls
    assert {f["outcome"] for f in data["feeds"]} == {"ok"}
    assert data["topics"], "posts are grouped into topics"
    for topic in data["topics"]:
        assert {"slug", "label", "posts"} <= topic.keys()
        assert (site / "topics" / topic["slug"] / "index.html").is_file()
    assert 1 <= len(data["diamonds"]) <= 5  # at most one per blog
    assert len({d["feed_url"] for d in data["diamonds"]}) == len(data["diamonds"])
    for diamond in data["diamonds"]:
        assert {"link", "feed_url", "topic", "reason"} <= diamond.keys()
        assert diamond["feed_url"] in urls

    home = (site / "index.html").read_text()
    assert "Diamonds in the rough" in home
    assert re.search(r'href="https://\w+\.example/post-0/"', home)  # links to the original
    slugs = [f["slug"] for f in data["feeds"]]
    assert len(set(slugs)) == 9  # unique per blog, though all nine share one host
    for slug in slugs:
        assert (site / "blogs" / slug / "index.html").is_file()

    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo
    assert len(feed.entries) == 54
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)  # newest first

    out = capsys.readouterr().out
    assert "9 ok, 0 unchanged, 0 failed" in out
    assert "54 new" in out


def test_rerun_never_duplicates_posts(tmp_path: Path, feed_server: FeedServer) -> None:
    urls = serve_three_blogs(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    assert build(tmp_path) == 0
    # The next day: one blog adds a post, the others change nothing.
    doc = subject_blog("phonics", "phonics", n=8, end=END)
    doc.entries.insert(0, Entry("Brand new", "https://phonics.example/new/",
                                END + timedelta(days=1), html="<p>News.</p>"))
    feed_server.serve("/phonics.xml", doc.rss())
    assert build(tmp_path, day="2026-11-21") == 0

    data = build_json(tmp_path)
    outcomes = {f["url"]: f["outcome"] for f in data["feeds"]}
    assert outcomes[urls[0]] == "ok"
    assert outcomes[urls[1]] == outcomes[urls[2]] == "not_modified"  # conditional GET
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 25
        assert db.execute("SELECT COUNT(DISTINCT link) FROM posts").fetchone()[0] == 25


def test_failing_feed_keeps_its_posts(tmp_path: Path, feed_server: FeedServer,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    urls = serve_three_blogs(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    assert build(tmp_path) == 0
    feed_server.serve("/maths.xml", b"<html>oops</html>", status=500)
    feed_server.serve("/library.xml", b"<rss><channel><item><title>broken", etag=False,
                      content_type="text/html")

    assert build(tmp_path, day="2026-11-21") == 0

    data = build_json(tmp_path)
    outcomes = {f["url"]: (f["outcome"], f["reason"]) for f in data["feeds"]}
    assert outcomes[urls[1]][0] == "failed" and "500" in outcomes[urls[1]][1]
    assert outcomes[urls[2]][0] == "failed"
    slug = {f["url"]: f["slug"] for f in data["feeds"]}[urls[1]]
    maths_page = (tmp_path / "site" / "blogs" / slug / "index.html").read_text()
    assert "https://maths.example/post-0/" in maths_page
    assert "https://maths.example/post-0/" in (tmp_path / "site" / "feed.xml").read_text()
    out = capsys.readouterr()
    assert "1 failed" in out.out or "2 failed" in out.out
    assert urls[1] in out.out and "500" in out.out


def test_unreachable_feed_is_reported_not_fatal(tmp_path: Path, feed_server: FeedServer) -> None:
    urls = serve_three_blogs(feed_server)
    dead = "http://127.0.0.1:9/feed.xml"  # nothing listens on the discard port
    missing = feed_server.url("/nowhere.xml")
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([*urls, dead, missing]))
    assert build(tmp_path) == 0
    data = build_json(tmp_path)
    reasons = {f["url"]: f for f in data["feeds"]}
    assert reasons[dead]["outcome"] == "failed" and "connection" in reasons[dead]["reason"]
    assert reasons[missing]["outcome"] == "failed" and "404" in reasons[missing]["reason"]


def test_bad_feeds_yaml_stops_before_writing(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - url: https://a.example/feed\n"
                                         "  - title: no url here\n")
    assert build(tmp_path) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'feeds.yaml'}:3:" in err and "missing 'url'" in err
    assert not (tmp_path / "site").exists()
    assert not (tmp_path / "state.db").exists()


def test_same_date_builds_are_identical(tmp_path: Path, feed_server: FeedServer) -> None:
    urls = serve_three_blogs(feed_server)
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        (tmp_path / run / "feeds.yaml").write_text(feeds_yaml(urls))
        assert build(tmp_path / run) == 0
    files_a = sorted(p.relative_to(tmp_path / "a" / "site")
                     for p in (tmp_path / "a" / "site").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b" / "site")
                     for p in (tmp_path / "b" / "site").rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / "site" / rel).read_bytes() == \
            (tmp_path / "b" / "site" / rel).read_bytes(), rel


def test_seed_changes_the_draw_only(tmp_path: Path, feed_server: FeedServer) -> None:
    urls = [feed_server.serve(f"/b{i}.xml", subject_blog(f"b{i}", "phonics", n=3, end=END).rss())
            for i in range(8)]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    picks = set()
    for seed in range(4):
        assert build(tmp_path, "--seed", str(seed), out=f"site{seed}") == 0
        data = build_json(tmp_path, f"site{seed}")
        assert data["seed"] == seed
        picks.add(tuple(d["link"] for d in data["diamonds"]))
    assert len(picks) > 1


def test_a_joining_blog_brings_only_its_latest_posts(tmp_path: Path,
                                                     feed_server: FeedServer) -> None:
    first = feed_server.serve("/a.xml", subject_blog("a", "maths", n=12, end=END).rss())
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([first]))
    assert build(tmp_path) == 0  # the site's first build takes everything
    late = feed_server.serve("/b.xml", subject_blog("b", "library", n=12, end=END).rss())
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([first, late]))
    assert build(tmp_path, day="2026-11-21") == 0
    with sqlite3.connect(tmp_path / "state.db") as db:
        counts = dict(db.execute("SELECT feed_url, COUNT(*) FROM posts GROUP BY feed_url"))
        newest = db.execute("SELECT MAX(published) FROM posts WHERE feed_url = ?",
                            (late,)).fetchone()[0]
    assert counts == {first: 12, late: 5}
    assert newest.startswith("2026-11-20")


def test_removed_blog_disappears(tmp_path: Path, feed_server: FeedServer) -> None:
    urls = serve_three_blogs(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    assert build(tmp_path) == 0
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls[:2]))
    assert build(tmp_path, day="2026-11-21") == 0
    site = tmp_path / "site"
    assert len(list((site / "blogs").glob("*/index.html"))) == 2
    assert "library.example" not in (site / "feed.xml").read_text()
    assert "library.example" not in (site / "index.html").read_text()


def test_python_dash_m_runs_the_cli(tmp_path: Path, feed_server: FeedServer) -> None:
    urls = serve_three_blogs(feed_server, n=3)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "build", "--feeds", str(tmp_path / "feeds.yaml"),
         "--out", str(tmp_path / "site"), "--state", str(tmp_path / "s.db"),
         "--allow-private-hosts", "--date", DAY],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "3 ok" in result.stdout
    assert (tmp_path / "site" / "index.html").is_file()


def test_hostile_html_never_reaches_a_page(tmp_path: Path, feed_server: FeedServer) -> None:
    doc = FeedDoc("Evil <b>blog</b>", "https://evil.example/", [Entry(
        title="<script>alert(1)</script>Nice title",
        link="https://evil.example/1/", published=END,
        html='<p onclick="x()">Text</p><script>alert("x")</script>'
             '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">link</a>',
    )])
    url = feed_server.serve("/evil.xml", doc.rss())
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([url]))
    assert build(tmp_path) == 0
    for page in (tmp_path / "site").rglob("*.html"):
        html = page.read_text()
        scripts = re.findall(r"<script[^>]*>", html.lower())
        assert all(OUR_SCRIPT.fullmatch(tag) for tag in scripts), (page, scripts)
        assert "onerror" not in html and "onclick" not in html, page
        assert "javascript:" not in html, page
    feed = (tmp_path / "site" / "feed.xml").read_text()
    assert "<script" not in feed and "&lt;script" not in feed


def test_a_cross_post_appears_once_in_the_feeds_crediting_both(tmp_path: Path,
                                                                feed_server: FeedServer) -> None:
    guest = ("<p>Our guest writes about attendance: every morning a tutor greets each pupil "
             "at the gate, notes who is missing and phones home before nine. Over a term "
             "persistent absence fell by a third, and families told us the call felt like "
             "care rather than checking.</p>") * 3
    a = subject_blog("alpha", "phonics", n=6, end=END)
    b = subject_blog("beta", "maths", n=6, end=END)
    a.entries.append(Entry("Guest post: the morning call", "https://alpha.example/guest/",
                           END - timedelta(days=2), html=guest))
    b.entries.append(Entry("Guest post: the morning call", "https://beta.example/guest/",
                           END - timedelta(days=1), html=guest))
    urls = [feed_server.serve("/a.xml", a.rss()), feed_server.serve("/b.xml", b.rss())]
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n"
        f"  - url: {urls[0]}\n    title: Alpha Blog\n"
        f"  - url: {urls[1]}\n    title: Beta Blog\n")
    assert build(tmp_path) == 0

    feed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
    guests = [e for e in feed.entries if e.title == "Guest post: the morning call"]
    assert [e.link for e in guests] == ["https://alpha.example/guest/"]  # the earliest copy
    assert "From Alpha Blog; also on Beta Blog." in guests[0].summary
    home = (tmp_path / "site" / "index.html").read_text()
    assert home.count("https://beta.example/guest/") == 0


def test_when_every_feed_fails_to_connect_the_summary_suggests_offline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead = ["http://127.0.0.1:9/a.xml", "http://127.0.0.1:9/b.xml"]  # nothing listens there
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(dead))
    assert build(tmp_path) == 0
    out = capsys.readouterr().out
    assert "2 failed" in out and "is this machine offline?" in out
    assert (tmp_path / "site" / "index.html").is_file()  # still a complete, empty site


def test_a_rerun_with_nothing_new_keeps_the_pages_and_refreshes_the_status(
        tmp_path: Path, feed_server: FeedServer) -> None:
    urls = serve_three_blogs(feed_server)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    assert build(tmp_path) == 0
    site = tmp_path / "site"
    home = (site / "index.html").stat().st_ino

    assert build(tmp_path) == 0  # same day, every feed answers 304: no page can differ
    assert (site / "index.html").stat().st_ino == home  # kept, not rendered again
    assert json.loads((site / "data" / "build.json").read_text())["feeds"][0]["outcome"] == \
        "not_modified"  # but build.json says what this run did

    slug = {f["url"]: f["slug"] for f in build_json(tmp_path)["feeds"]}[urls[1]]
    blog = (site / "blogs" / slug / "index.html").stat().st_ino
    feed_server.serve("/maths.xml", b"oops", status=500)
    assert build(tmp_path) == 0  # a blog page now shows a fetch problem: render again
    assert (site / "blogs" / slug / "index.html").stat().st_ino != blog  # written anew
    assert (site / "index.html").stat().st_ino == home  # the same bytes: the same file (#14)
    assert "could not fetch" in (site / "blogs" / slug / "index.html").read_text()
    assert "HTTP 500" in (site / "status" / "index.html").read_text()


def test_the_topic_model_reads_posts_without_their_blogs_footer(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A signature under every post of a blog is dropped: it says nothing of the subject."""
    import aggregator.topics as topics

    signed = subject_blog("phonics", "phonics", n=8, end=END)
    for entry in signed.entries:
        entry.html += "<p>Mrs Ada Okafor teaches Year 5 at Oakwood Primary.</p>"
    urls = serve_three_blogs(feed_server)
    urls[0] = feed_server.serve("/signed.xml", signed.rss())
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    read: list[str] = []
    clean_all = topics._clean_all

    def spy(docs: list[topics.Document], max_words: int) -> list[str]:
        read.extend(clean_all(docs, max_words))
        return read[-len(docs):]

    monkeypatch.setattr(topics, "_clean_all", spy)
    assert build(tmp_path) == 0
    assert len(read) == 24 and all("phonics" in text or "maths" in text or "library" in text
                                   for text in read)
    assert not [text for text in read if "oakwood" in text]


def test_the_topic_model_is_imported_once_the_last_feeds_are_in_flight() -> None:
    """Not while feeds still wait for a slot: the import would hold up starting them."""
    import threading

    from aggregator.build import _ImportAhead

    name = "json.tool"  # any module not imported yet
    sys.modules.pop(name, None)
    ahead = _ImportAhead(name, after=2)
    ahead.feed_done()
    assert name not in sys.modules
    ahead.feed_done()
    for thread in threading.enumerate():
        if thread.name == f"import-{name}":
            thread.join(timeout=30)
    assert name in sys.modules
    _ImportAhead("no.such.module", after=0)  # a failure is left to the real import


def test_posts_are_cleaned_for_the_topic_model_once(tmp_path: Path,
                                                    feed_server: FeedServer) -> None:
    """When read; and again by a build only when stored before, or by an older cleaning."""
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(serve_three_blogs(feed_server)))
    assert build(tmp_path) == 0

    def topic_texts() -> dict[str, str]:
        with sqlite3.connect(tmp_path / "state.db") as db:
            return dict(db.execute("SELECT uid, words FROM topic_texts").fetchall())

    cleaned = topic_texts()
    assert len(cleaned) == 24 and all(cleaned.values())
    assert all(text == text.lower() and "<" not in text for text in cleaned.values())
    with sqlite3.connect(tmp_path / "state.db") as db:  # as an older version left them
        db.execute("DELETE FROM topic_texts WHERE uid IN "
                   "(SELECT uid FROM posts WHERE feed_url LIKE '%maths%')")
    assert build(tmp_path, day="2026-11-21") == 0
    assert topic_texts() == cleaned
    with sqlite3.connect(tmp_path / "state.db") as db:  # cleaned by an older cleaning
        db.execute("UPDATE topic_texts SET words = 'stale', version = '0'")
    assert build(tmp_path, day="2026-11-22") == 0
    assert topic_texts() == cleaned
