"""About links the repository and the "suggest a blog" form: --repo-url, git, or none (#17)."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.repo import repository, suggest_form, web_address

from .conftest import FeedServer, require
from .fakes import subject_blog

FORM = "/issues/new?template=suggest-a-blog.yml"


@pytest.mark.parametrize(("remote", "address"), [
    ("git@github.com:Edublogs/edublog-aggregator.git",
     "https://github.com/Edublogs/edublog-aggregator"),
    ("ssh://git@github.com/o/r.git", "https://github.com/o/r"),
    ("https://x-access-token:ghs_secret@github.com/o/r.git", "https://github.com/o/r"),
    ("http://user@GitLab.Example/group/sub/project/", "https://gitlab.example/group/sub/project"),
    ("git://forge.example/r", "https://forge.example/r"),
    ("ssh://git@forge.example:2222/o/r", "https://forge.example/o/r"),  # not the web's port
    ("/srv/git/r.git", None),
    ("file:///srv/git/r.git", None),
    ("../sibling", None),
    ("", None),
])
def test_a_remote_becomes_a_web_address_without_credentials(remote: str,
                                                            address: str | None) -> None:
    assert web_address(remote) == address


def test_the_form_is_github_only() -> None:
    assert suggest_form("https://github.com/o/r") == "https://github.com/o/r" + FORM
    assert suggest_form("https://gitlab.example/o/r") is None
    assert suggest_form(None) is None


def _git_checkout(folder: Path, remote: str | None) -> Path:
    git = require("git", "git is not installed")
    folder.mkdir()
    subprocess.run([git, "init", "-q", str(folder)], check=True)
    if remote:
        subprocess.run([git, "-C", str(folder), "config", "remote.origin.url", remote],
                       check=True)
    return folder


def test_repository_comes_from_the_option_then_git(tmp_path: Path) -> None:
    checkout = _git_checkout(tmp_path / "checkout", "https://bot:tok@github.com/o/r.git")
    assert repository(None, checkout) == "https://github.com/o/r"
    assert repository("https://github.com/me/fork/", checkout) == "https://github.com/me/fork"
    assert repository(None, _git_checkout(tmp_path / "no-remote", None)) is None
    assert repository(None, tmp_path) is None  # not a checkout at all


@pytest.mark.parametrize("bad", ["ftp://github.com/o/r", "github.com/o/r",
                                 "https://me:secret@github.com/o/r"])
def test_a_bad_repo_url_is_refused_plainly(bad: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                 str(tmp_path / "site"), "--repo-url", bad])
    assert code != 0
    err = capsys.readouterr().err
    assert "--repo-url" in err and "secret" not in err
    assert not (tmp_path / "site").exists()


def _about(tmp_path: Path, server: FeedServer, cwd: Path, monkeypatch: pytest.MonkeyPatch,
           *extra: str) -> str:
    url = server.serve("/b.xml", subject_blog("b", "maths", n=2,
                                              end=datetime(2026, 11, 20, tzinfo=UTC)).rss())
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: {url}\n")
    monkeypatch.chdir(cwd)
    out = tmp_path / f"site-{len(list(tmp_path.glob('site-*')))}"
    assert main(["build", "--feeds", str(feeds), "--out", str(out), "--state",
                 str(tmp_path / "state.db"), "--date", "2026-11-20", "--allow-private-hosts",
                 "--min-interval", "0", *extra]) == 0
    return (out / "about" / "index.html").read_text()


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="(https://[^"]+)"', html))


def test_about_links_the_repository_and_the_form(tmp_path: Path, feed_server: FeedServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    checkout = _git_checkout(tmp_path / "checkout", "git@github.com:o/from-git.git")
    from_git = _about(tmp_path, feed_server, checkout, monkeypatch)
    assert {"https://github.com/o/from-git",
            "https://github.com/o/from-git" + FORM.replace("&", "&amp;")} <= _links(from_git)
    given = _about(tmp_path, feed_server, checkout, monkeypatch,
                   "--repo-url", "https://github.com/o/given")
    assert "https://github.com/o/given" in _links(given)
    assert not any("from-git" in link for link in _links(given))  # the option wins


def test_about_without_a_repository_links_none(tmp_path: Path, feed_server: FeedServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "not-a-checkout"
    elsewhere.mkdir()
    html = _about(tmp_path, feed_server, elsewhere, monkeypatch)
    assert not any("github.com" in link or FORM in link for link in _links(html))
    assert "feeds.yaml" in html  # still says how to add a blog
