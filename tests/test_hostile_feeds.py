"""One hostile feed never takes the build down: real builds against a local server (#13)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator import build as build_module
from aggregator.cli import main
from aggregator.sanitize import bound_markup, excerpt_html
from aggregator.text import markup_events
from aggregator.workers import ParseLimits, parse_job

from .conftest import FeedServer
from .fakes import feeds_yaml, subject_blog

DAY = "2026-11-20"
END = datetime(2026, 11, 20, 9, tzinfo=UTC)
# A bidi control as a character, a character reference, or a JSON escape.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]"
                  r"|&#(?:x0*202[a-e]|x0*206[6-9]|0*823[4-8]|0*829[4-7]);|\\u202[a-e]|\\u206[6-9]",
                  re.I)


def build(tmp_path: Path, *extra: str) -> int:
    return main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                 str(tmp_path / "site"), "--state", str(tmp_path / "state.db"), "--date", DAY,
                 "--allow-private-hosts", "--min-interval", "0", *extra])


def outcomes(tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    data = json.loads((tmp_path / "site" / "data" / "build.json").read_text())
    return {f["url"]: (f["outcome"], f["cause"]) for f in data["feeds"]}


def serve_blogs(feed_server: FeedServer, *names: str) -> list[str]:
    return [feed_server.serve(f"/{name}.xml", subject_blog(name, "maths", n=3, end=END).rss())
            for name in names]


# Parse jobs the build runs in its workers instead of parse_job (module-level: a spawned
# worker imports them from here). Each misbehaves for the feeds whose URL names it.

def raising_parse(*args: object) -> object:
    if "raises" in str(args[1]):
        raise RuntimeError("a bug hit by this feed")
    return parse_job(*args)  # type: ignore[arg-type]


def runaway_parse(*args: object) -> object:
    if "runaway" in str(args[1]):
        while True:
            pass
    if "hog" in str(args[1]):
        return len(bytearray(4 << 30))  # 4 GB at once
    return parse_job(*args)  # type: ignore[arg-type]


def slow_parse(*args: object) -> object:
    (Path(os.environ["SLOW_PARSE_PIDS"]) / str(os.getpid())).touch()
    time.sleep(600)
    return parse_job(*args)  # type: ignore[arg-type]


def test_an_exception_fetching_or_parsing_one_feed_fails_that_feed_only(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    good, bad_host, raises = serve_blogs(feed_server, "good", "badhost", "raises")
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([good, bad_host, raises]))
    real_fetch = build_module.fetch_feed

    async def fetch(client: object, feed: object, *args: object, **kwargs: object) -> object:
        if "badhost" in feed.url:  # type: ignore[attr-defined]
            "a..example".encode("idna")  # what a redirect to http://a..example/ raised
        return await real_fetch(client, feed, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "fetch_feed", fetch)
    monkeypatch.setattr(build_module, "_parse_job", raising_parse)

    assert build(tmp_path) == 0

    assert outcomes(tmp_path) == {good: ("ok", None), bad_host: ("failed", "bad_url"),
                                  raises: ("failed", "parse_crash")}
    assert (tmp_path / "site" / "index.html").is_file()
    out = capsys.readouterr().out
    assert "1 ok, 0 unchanged, 2 failed (1 bad_url, 1 parse_crash)" in out


def test_a_runaway_parse_is_killed_and_reported(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over its CPU time or its memory, a worker is killed, replaced and its feed failed."""
    urls = serve_blogs(feed_server, "runaway", "hog", "good", "fine")
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    monkeypatch.setattr(build_module, "_parse_job", runaway_parse)
    monkeypatch.setattr(build_module, "PARSE_LIMITS",
                        ParseLimits(cpu_seconds=2, memory_bytes=1 << 30))

    assert build(tmp_path) == 0

    assert outcomes(tmp_path) == {urls[0]: ("failed", "parse_timeout"),
                                  urls[1]: ("failed", "too_large"),
                                  urls[2]: ("ok", None), urls[3]: ("ok", None)}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_parse_workers_die_with_the_build(tmp_path: Path, feed_server: FeedServer) -> None:
    """After a kill -9 of the build, its parse workers (stuck in a parse) exit too."""
    urls = serve_blogs(feed_server, *(f"slow{i}" for i in range(16)))  # the parallel path
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))
    pids = tmp_path / "pids"
    pids.mkdir()
    code = ("import sys\nfrom aggregator import build\nfrom aggregator.cli import main\n"
            "from tests.test_hostile_feeds import slow_parse\n"
            "build._parse_job = slow_parse\nsys.exit(main(sys.argv[1:]))\n")
    args = ["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out", str(tmp_path / "site"),
            "--state", str(tmp_path / "state.db"), "--allow-private-hosts"]
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=root,
                               env={**os.environ, "SLOW_PARSE_PIDS": str(pids)})
    try:
        for _ in range(600):
            if any(pids.iterdir()):
                break
            time.sleep(0.1)
        workers = [int(p.name) for p in pids.iterdir()]
        assert workers and process.pid not in workers and all(map(_alive, workers))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        for _ in range(50):
            if not any(map(_alive, workers)):
                break
            time.sleep(0.1)
        assert not any(map(_alive, workers)), "a parse worker outlived the build"
    finally:
        if process.poll() is None:
            process.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_bidi_controls_reach_no_page_or_feed(tmp_path: Path, feed_server: FeedServer) -> None:
    rlo, lri = "\u202e", "\u2066"
    doc = subject_blog("bidi", "maths", n=3, end=END)
    doc.title = f"Maths {rlo}golb"
    doc.entries[0].title = f"RTL {rlo}gnp.exe"
    doc.entries[0].author = f"Ann {lri}Smith"
    doc.entries[0].html = f"<p>Numbers {rlo}321 and {lri}more</p>" + doc.entries[0].html
    body = doc.rss().replace(b"A test blog", f"About {rlo}stnuoc".encode())
    urls = [feed_server.serve("/bidi.xml", body), *serve_blogs(feed_server, "a", "b")]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))

    assert build(tmp_path) == 0

    site = tmp_path / "site"
    checked = 0
    for path in site.rglob("*"):
        if path.suffix in (".html", ".xml", ".json", ".opml") and path.is_file():
            assert not BIDI.search(path.read_text("utf-8")), path
            checked += 1
    assert checked > 5
    assert "RTL gnp.exe" in (site / "feed.xml").read_text()


def _depth(markup: str) -> int:
    depth = deepest = 0
    for kind, _, source in markup_events(markup):
        if kind == "start":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "end" and source:
            depth -= 1
    return deepest


@pytest.mark.parametrize("unit", ["<div>", "<div/>", "<b><i>", "<ul><li>", "<p><span>",
                                  "<table><tr><td>"])
def test_markup_is_bounded_before_it_is_sanitised(unit: str) -> None:
    """250 KB of unclosed tags took the sanitiser 12 s (quadratic): now bounded, linear."""
    markup = "<p>Hello</p>" + unit * 60_000 + "<p>End</p>"
    bounded = bound_markup(markup)
    assert _depth(bounded) <= 32
    assert len(bounded) <= 3 * 100_000
    assert excerpt_html(markup).startswith("<p>Hello</p>")


def test_a_base_the_url_parser_refuses_drops_relative_links() -> None:
    markup = '<p>See <a href="notes.html">notes</a> and <a href="https://a.example/">a</a></p>'
    assert excerpt_html(markup, base="http://rs<div>w.example/") == (
        '<p>See notes and <a href="https://a.example/" rel="noopener ugc">a</a></p>')


def test_bounding_keeps_ordinary_markup() -> None:
    markup = ("<div><p>One <b>two</b><p>three <a href='x'>four</a></div>"
              "<ul><li>a<li>b</ul><script>x</script>end<br>")
    assert bound_markup(markup, max_depth=4) == (
        "<div><p>One <b>two</b></p><p>three <a href='x'>four</a></p></div>"
        "<ul><li>a</li><li>b</li></ul>end<br>")


def _nested(depth: int) -> bytes:
    """Return an Atom feed whose one entry's XHTML content nests ``depth`` elements."""
    xhtml = "<span>" * depth + "deep" + "</span>" * depth
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>Nested</title><id>urn:x</id><updated>2026-11-19T08:00:00Z</updated>"
            '<entry><title>One</title><link href="https://nested.example/1/"/><id>urn:1</id>'
            '<updated>2026-11-19T08:00:00Z</updated><content type="xhtml">'
            f'<div xmlns="http://www.w3.org/1999/xhtml">{xhtml}</div></content></entry>'
            "</feed>").encode()


def test_xml_nested_deeper_than_any_feed_is_refused_at_once(
        tmp_path: Path, feed_server: FeedServer) -> None:
    """50,000 nested elements cost a worker seconds and tens of MB, 200,000 unclosed its
    whole CPU limit: the XML reader now stops at 1,000, and the build goes on."""
    deep = feed_server.serve("/deep.xml", _nested(50_000))
    unclosed = feed_server.serve("/unclosed.xml", _nested(200_000).split(b"deep")[0])
    fine = feed_server.serve("/fine.xml", _nested(200))
    urls = [deep, unclosed, fine, *serve_blogs(feed_server, "good")]
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(urls))

    assert build(tmp_path) == 0

    assert outcomes(tmp_path) == {deep: ("failed", "parse"), unclosed: ("failed", "parse"),
                                  fine: ("ok", None), urls[3]: ("ok", None)}
    health = json.loads((tmp_path / "site" / "data" / "build.json").read_text())["health"]
    errors = {h["url"]: h["last_error"] for h in health}
    assert "nested over 1,000 deep" in errors[deep]
