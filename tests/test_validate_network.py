"""``aggregator validate --network [--changed REF]`` against a local server and a real git repo."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.cli import main

from .conftest import FeedServer, declare_public, redirect_to, require
from .fakes import Entry, FeedDoc


@pytest.fixture(autouse=True)
def _needs_git() -> None:
    require("git", "git is not installed")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    *args], check=True, capture_output=True)


def feed(title: str, posts: int = 1) -> bytes:
    doc = FeedDoc(title=title, site="https://blog.example/")
    doc.entries = [Entry(f"Post {i}", f"https://blog.example/{i}/",
                         datetime(2026, 11, 1, tzinfo=UTC)) for i in range(posts)]
    return doc.rss()


@pytest.fixture
def repo(tmp_path: Path, feed_server: FeedServer) -> Path:
    """A git repository whose main branch lists one working blog."""
    feed_server.serve("/old.xml", feed("Old blog"))
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "feeds.yaml").write_text(
        f"feeds:\n  - url: {feed_server.url('/old.xml')}\n    title: Old\n")
    git(tmp_path, "add", "feeds.yaml")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_changed_checks_only_new_and_edited_entries(
        repo: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    feed_server.serve("/good.xml", feed("A good blog", posts=3))
    feed_server.serve("/empty.xml", feed("Nothing yet", posts=0))
    feed_server.serve("/page.html", b"<!DOCTYPE html><html><head><title>Hi</title></head>"
                                    b"</html>", content_type="text/html")
    feed_server.serve("/untitled.xml", feed("", posts=1))
    old = feed_server.url("/old.xml")
    (repo / "feeds.yaml").write_text(
        "feeds:\n"
        f"  - url: {feed_server.url('/good.xml')}\n"
        f"  - url: {old}\n"  # unchanged, only moved: not fetched
        "    title: Old\n"
        f"  - url: {feed_server.url('/empty.xml')}\n"
        f"  - url: {feed_server.url('/page.html')}\n"
        f"  - url: {feed_server.url('/missing.xml')}\n"
        f"  - url: {feed_server.url('/untitled.xml')}\n"
        f"  - url: {feed_server.url('/off.xml')}\n"
        "    disabled: true\n")
    monkeypatch.chdir(repo)
    report = repo / "out" / "report.md"

    code = main(["validate", "feeds.yaml", "--network", "--changed", "main",
                 "--allow-private-hosts", "--summary-file", str(report)])

    assert code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"feeds.yaml:2: {feed_server.url('/good.xml')}: ok, 'A good blog', "
                      "3 posts")
    assert err[1].startswith("feeds.yaml:5:") and "the feed has no posts" in err[1]
    assert err[2].startswith("feeds.yaml:6:") and "a web page, not a feed" in err[2]
    assert err[3].startswith("feeds.yaml:7:") and "HTTP 404" in err[3]
    assert err[4].startswith("feeds.yaml:8:") and "no title" in err[4]
    assert err[5] == ("feeds.yaml: 7 feeds; fetched 5 new or changed since main, "
                      "4 problems found")
    fetched = {path for path, _ in feed_server.requests}
    assert "/old.xml" not in fetched and "/off.xml" not in fetched
    markdown = report.read_text()
    assert markdown.startswith("<!-- edublog-aggregator: feeds check -->\n### ❌ Feeds check")
    assert "- line 7: " in markdown and "A good blog" in markdown


def test_a_respelled_url_counts_as_changed(repo: Path, feed_server: FeedServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = repo / "feeds.yaml"  # a respelled address may break a working feed: check it
    path.write_text(path.read_text().replace("/old.xml", "/old.xml/"))
    assert main(["validate", str(path), "--network", "--changed", "main",
                 "--allow-private-hosts"]) == 1
    assert "HTTP 404" in capsys.readouterr().err


def test_an_edited_entry_is_checked_again(repo: Path, feed_server: FeedServer,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = repo / "feeds.yaml"
    path.write_text(path.read_text().replace("title: Old", "title: Renamed"))
    assert main(["validate", str(path), "--network", "--changed", "HEAD",
                 "--allow-private-hosts"]) == 0
    out = capsys.readouterr().out
    assert "ok, 'Old blog', 1 posts" in out
    assert "fetched 1 new or changed since HEAD, no problems found" in out


def test_an_unchanged_file_fetches_nothing(repo: Path, feed_server: FeedServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(repo / "feeds.yaml"), "--network", "--changed", "main",
                 "--format", "markdown"]) == 0
    assert feed_server.requests == []
    assert "### ✅ Feeds check" in capsys.readouterr().out


def test_network_follows_the_address_rules(repo: Path, feed_server: FeedServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(repo / "feeds.yaml"), "--network"]) == 1
    assert "non-public address" in capsys.readouterr().err
    assert feed_server.requests == []


def test_unknown_ref_and_changed_without_network_are_usage_errors(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(repo / "feeds.yaml"), "--network", "--changed", "nope"]) == 1
    assert "no such git commit" in capsys.readouterr().err
    assert main(["validate", str(repo / "feeds.yaml"), "--changed", "main"]) == 1
    assert "--changed needs --network" in capsys.readouterr().err


def test_a_file_new_since_the_ref_checks_every_entry(
        tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "README").write_text("x")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-q", "-m", "base")
    (tmp_path / "feeds.yaml").write_text(
        f"feeds:\n  - url: {feed_server.serve('/a.xml', feed('A'))}\n")
    assert main(["validate", str(tmp_path / "feeds.yaml"), "--network", "--changed", "main",
                 "--allow-private-hosts"]) == 0
    assert "fetched 1 new or changed since main" in capsys.readouterr().out


# -- hostile redirects (#13): the same checks as the build, at every hop ---------------------

def test_a_redirect_to_an_impossible_host_is_that_entrys_problem(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    declare_public(monkeypatch, "127.0.0.1")  # the local server stands for a public blog
    feed_server.serve("/good.xml", feed("Good", posts=2))
    feed_server.routes["/hostile.xml"] = redirect_to("http://" + "a" * 64 + ".example/")
    path = tmp_path / "feeds.yaml"
    path.write_text(f"feeds:\n  - url: {feed_server.url('/good.xml')}\n"
                    f"  - url: {feed_server.url('/hostile.xml')}\n")
    assert main(["validate", str(path), "--network"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}:2: ") and "ok, 'Good', 2 posts" in err[0]
    assert err[1].startswith(f"{path}:3: ") and "bad_url" in err[1]


def test_a_redirect_to_a_url_with_credentials_is_never_followed(
        tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    feed_server.serve("/real.xml", feed("Real"))
    host = feed_server.base.removeprefix("http://")
    feed_server.routes["/feed.xml"] = redirect_to(f"http://me:s3cr3t@{host}/real.xml")
    path = tmp_path / "feeds.yaml"
    path.write_text(f"feeds:\n  - url: {feed_server.url('/feed.xml')}\n")
    assert main(["validate", str(path), "--network", "--allow-private-hosts"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: " in err and "bad_url" in err and "s3cr3t" not in err
    assert feed_server.hits("/real.xml") == []
    assert not any("authorization" in headers for _, headers in feed_server.requests)
