"""Tags from feeds.yaml: merged spellings, a warning for a tag used once, pages and feeds (#17)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest

from aggregator.cli import main
from aggregator.tags import find_tags

from .conftest import FeedServer, newsboat_items, serve_dir
from .test_build import END, build
from .test_site import RFC822, RFC3339


def names(tagged: list[tuple[str, list[str]]]) -> dict[str, tuple[str, ...]]:
    return {t.name: t.blogs for t in find_tags(tagged)}


def test_case_space_and_a_plural_s_merge_only_when_both_forms_occur() -> None:
    tags = names([("a", ["Maths", "Early  Years"]), ("b", ["math", "early years"]),
                  ("c", ["maths", "physics"]), ("d", ["libraries"]), ("e", ["library"]),
                  ("f", ["maths"])])
    # "maths" (2 blogs) and "Maths" and "math" are one tag, shown as most blogs write it.
    assert tags["maths"] == ("a", "b", "c", "f")
    assert tags["Early Years"] == ("a", "b")  # the first spelling wins a tie
    assert tags["physics"] == ("c",)  # no "physic": the "s" is part of the word
    assert tags["libraries"] == ("d",) and tags["library"] == ("e",)  # not a plain "s"
    assert len(tags) == 5


def test_a_plural_alone_keeps_its_s() -> None:
    assert names([("a", ["Maths"]), ("b", ["maths"])]) == {"Maths": ("a", "b")}


def test_slugs_are_distinct_and_never_empty() -> None:
    tags = find_tags([("a", ["café", "数学"]), ("b", ["cafe", "K-12"])])
    slugs = [t.slug for t in tags]
    assert len(set(slugs)) == 4 and all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs)
    assert "k-12" in slugs


FEEDS = """\
feeds:
  - url: https://a.example/feed/
    tags: [Maths, primary]
  - url: https://b.example/feed/
    tags:
      - math
      - Secondary
  - url: https://c.example/feed/
    tags: [primary]
"""


def test_validate_warns_at_the_line_of_a_tag_used_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS)
    assert main(["validate", str(path)]) == 0  # a warning, not an error
    out = capsys.readouterr().out.splitlines()
    warnings = [line for line in out if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{path}:7: warning: tag 'Secondary'")
    assert out[-1] == f"{path}: 3 feeds, no problems found"


def test_validate_markdown_lists_the_warning_apart(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS)
    assert main(["validate", str(path), "--format", "markdown"]) == 0
    report = capsys.readouterr().out
    assert "line 7:" in report and "Secondary" in report and "Please fix" not in report


def serve_tagged(feed_server: FeedServer) -> list[str]:
    from .fakes import subject_blog

    return [
        feed_server.serve("/one.xml", subject_blog("one", "maths", n=4, end=END).rss()),
        feed_server.serve("/two.xml", subject_blog("two", "maths", n=3,
                                                   end=END - timedelta(days=1)).atom()),
        feed_server.serve("/three.xml", subject_blog("three", "library", n=2, end=END).rss()),
    ]


@pytest.fixture
def tagged_site(tmp_path: Path, feed_server: FeedServer) -> Path:
    one, two, three = serve_tagged(feed_server)
    (tmp_path / "feeds.yaml").write_text(
        f"feeds:\n  - url: {one}\n    title: One\n    tags: [Maths, Primary]\n"
        f"  - url: {two}\n    title: Two\n    tags: [math]\n"
        f"  - url: {three}\n    title: Three\n    tags: [primary]\n")
    assert build(tmp_path, "--base-url", "https://user.github.io/edublogs/") == 0
    return tmp_path / "site"


def test_tag_pages_list_the_blogs_and_their_latest_posts(tagged_site: Path) -> None:
    index = (tagged_site / "tags" / "index.html").read_text()
    assert 'href="../tags/math/index.html">Maths</a>' in index
    assert 'href="../tags/primary/index.html">Primary</a>' in index
    maths = (tagged_site / "tags" / "math" / "index.html").read_text()
    assert 'href="../../blogs/one/index.html">One</a>' in maths
    assert 'href="../../blogs/two/index.html">Two</a>' in maths
    assert "Three" not in maths
    assert maths.count('class="post-title"') == 7  # both blogs' posts
    assert 'href="https://one.example/post-0/"' in maths
    # Linked from each blog's page and from the topics index.
    blog = (tagged_site / "blogs" / "two" / "index.html").read_text()
    assert 'href="../../tags/math/index.html">math</a>' in blog
    assert 'href="../tags/index.html"' in (tagged_site / "topics" / "index.html").read_text()


def test_tag_feeds_are_valid_and_read_by_a_real_feed_reader(tagged_site: Path,
                                                            tmp_path: Path) -> None:
    base = "https://user.github.io/edublogs/"
    for name in ("feed.xml", "atom.xml"):
        body = (tagged_site / "tags" / "math" / name).read_bytes()
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.get("bozo_exception")
        assert len(feed.entries) == 7
        assert [link.href for link in feed.feed.links if link.rel == "self"] == [
            f"{base}tags/math/{name}"]
        assert all(e.id.startswith("urn:uuid:") and e.link.startswith("https://")
                   for e in feed.entries)
        root = ET.fromstring(body)
        if name == "feed.xml":
            assert all(RFC822.match(i.findtext("pubDate") or "") for i in root.iter("item"))
        else:
            ns = {"a": "http://www.w3.org/2005/Atom"}
            assert all(RFC3339.match(e.findtext("a:published", namespaces=ns) or "")
                       for e in root.findall("a:entry", ns))
    page = (tagged_site / "tags" / "math" / "index.html").read_text()
    assert f'href="{base}tags/math/feed.xml"' in page
    opml = ET.fromstring((tagged_site / "tags" / "math" / "blogs.opml").read_bytes())
    assert opml.get("version") == "2.0"
    assert [o.get("text") for o in opml.findall("body/outline")] == ["One", "Two"]
    assert all(o.get("xmlUrl", "").startswith("http://127.0.0.1")
               for o in opml.findall("body/outline"))
    with serve_dir(tagged_site) as served:
        for i, name in enumerate(("tags/math/feed.xml", "tags/primary/atom.xml")):
            expected = len(feedparser.parse((tagged_site / name).read_bytes()).entries)
            assert expected and newsboat_items(served + name, tmp_path / str(i)) == expected


def test_a_pull_request_hears_only_about_its_own_entries_tags(
        tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import require
    from .test_validate_network import feed, git

    require("git", "git is not installed")
    old, new = (feed_server.serve(f"/{n}.xml", feed(f"{n} blog")) for n in ("old", "new"))
    path = tmp_path / "feeds.yaml"
    path.write_text(f"feeds:\n  - url: {old}\n    tags: [lonely]\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "feeds.yaml")
    git(tmp_path, "commit", "-q", "-m", "base")
    path.write_text(path.read_text() + f"  - url: {new}\n    tags: [solo]\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "feeds.yaml", "--network", "--changed", "main",
                 "--allow-private-hosts"]) == 0
    out = capsys.readouterr().out
    assert "feeds.yaml:5: warning: tag 'solo'" in out and "lonely" not in out
    assert main(["validate", "feeds.yaml"]) == 0  # the whole file: both
    out = capsys.readouterr().out
    assert "feeds.yaml:3: warning: tag 'lonely'" in out and "'solo'" in out


def test_the_pull_request_comment_lists_tag_warnings_apart(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, report = tmp_path / "feeds.yaml", tmp_path / "report.json"
    path.write_text(FEEDS)
    assert main(["validate", str(path), "--json-file", str(report)]) == 0
    capsys.readouterr()
    assert main(["review-comment", str(report)]) == 0
    comment = capsys.readouterr().out
    assert "✅" in comment and "Please fix" not in comment
    worth = comment.split("**Worth a look** (not errors):", 1)[1]
    assert "line 7:" in worth and "Secondary" in worth
