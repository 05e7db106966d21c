"""feeds.yaml validation: every error kind with its line, duplicates, hostile input."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.config import FeedsFileError, load_config, parse_config, post_filter
from aggregator.models import Feed, Post

from .conftest import FeedServer
from .fakes import feeds_yaml, subject_blog

GOOD = "  - url: https://good.example/feed/\n"


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(FeedsFileError) as info:
        parse_config(textwrap.dedent(text).encode(), "feeds.yaml")
    return [(p.line, p.message) for p in info.value.problems]


@pytest.mark.parametrize(("body", "line", "words"), [
    # each entry's problem sits on line 3: line 1 is "feeds:", line 2 a good entry
    ("  - title: No url\n", 3, "missing 'url'"),
    ("  - url: ftp://x.example/feed\n", 3, "https:// or http://"),
    ("  - url: https:///feed\n", 3, "no host name"),
    ("  - url: https://x.example:99999/feed\n", 3, "invalid port"),
    ("  - url: https://x.example/my feed\n", 3, "contains spaces"),
    ("  - url: 12\n", 3, "web address"),  # a number as url
    ("  - url: [https://x.example/]\n", 3, "single value, not a list"),
    ("  - url: https://x.example/\n    title: [a, b]\n", 4, "'title' must be a single value"),
    ("  - url: https://x.example/\n    title: 12\n", 4, "'title' must be non-empty text"),
    ("  - url: https://x.example/\n    author: ''\n", 4, "'author' must be non-empty text"),
    ("  - url: https://x.example/\n    site: javascript:alert(1)\n", 4, "'site' must start"),
    ("  - url: https://x.example/\n    tags: true\n", 4, "'tags' must be a list"),  # a bool
    ("  - url: https://x.example/\n    tags: [ok, 3]\n", 4, "every item of 'tags'"),
    ("  - url: https://x.example/\n    tags: [[nested]]\n", 4, "'tags' must be a list"),
    ("  - url: https://x.example/\n    language: english\n", 4, "language code"),
    ("  - url: https://x.example/\n    added: yesterday\n", 4, "YYYY-MM-DD"),
    ("  - url: https://x.example/\n    added: 2026-13-01\n", 4, "YYYY-MM-DD"),
    ("  - url: https://x.example/\n    disabled: 'yes'\n", 4, "'disabled' must be true"),
    ("  - url: https://x.example/\n    disabled: [true]\n", 4, "single value"),
    ("  - url: https://x.example/\n    include: classroom\n", 4, "'include' must be a list"),
    ("  - url: https://x.example/\n    exclude: {a: b}\n", 4, "'exclude' must be a list"),
    ("  - url: https://x.example/\n    exclude: ['']\n", 4, "every item of 'exclude'"),
    ("  - url: https://x.example/\n    hide: [2026]\n", 4, "every item of 'hide'"),
    ("  - url: https://x.example/\n    colour: red\n", 4, "unknown key 'colour'"),
    ("  - url: https://x.example/\n    url: https://y.example/\n", 4, "appears twice"),
    ("  - just a string\n", 3, "must be a mapping"),
    ("  - url: https://good.example/feed\n", 3, "duplicate feed"),
    ("  - url: 'unterminated\n", 3, "invalid YAML"),
    # host names that cannot exist: today they pass, then crash or mislead the build (#13)
    ("  - url: http://a..example/feed\n", 3, "empty part between dots"),
    ("  - url: https://" + "a" * 64 + ".example/\n", 3, "between two dots is 63"),
    ("  - url: https://" + ("a" * 60 + ".") * 5 + "example/\n", 3, "the limit is 253"),
    ("  - url: https://exa$mple.org/feed\n", 3, "characters no host name has"),
    ("  - url: https://xn--zz.example/\n", 3, "invalid international part"),
    ("  - url: https://intranet/feed/\n", 3, "has no dot"),
    ("  - url: https://127.1/feed/\n", 3, "ends in a number"),
    ("  - url: https://x.example:0/feed/\n", 3, "port 0"),
    ("  - url: 'https://x.example\\\\@y.example/'\n", 3, "user name or password"),
    ("  - url: \"https://x.example/fe\\x01ed\"\n", 3, "U+0001"),
    ("  - url: \"https://x.example/\\u202egpj.exe\"\n", 3, "U+202E"),
    # credentials would be sent to the server and published on every page
    ("  - url: https://user:s3cret@x.example/feed\n", 3, "'url' contains a user name or"),
    ("  - url: https://x.example/\n    site: http://me@x.example/\n", 4, "'site' contains a"),
    # control and direction characters break the OPML or reorder what follows
    ("  - url: https://x.example/\n    title: \"Hi \\x1b[31m\"\n", 4, "U+001B"),
    ("  - url: https://x.example/\n    author: \"\\u202eevil\"\n", 4, "U+202E"),
    ("  - url: https://x.example/\n    tags: [\"ok\", \"a\\x00b\"]\n", 4, "U+0000"),
    ("  - url: https://x.example/\n    ? [a, b]\n    : c\n", 4, "plain word"),
    ("  - url: https://x.example/\n    title: A\n    title: B\n", 5, "first at line 4"),
])
def test_every_error_kind_names_its_line(body: str, line: int, words: str) -> None:
    found = problems("feeds:\n" + GOOD + body)
    assert len(found) == 1, found
    assert found[0][0] == line
    assert words in found[0][1]


@pytest.mark.parametrize(("text", "line", "words"), [
    ("", 1, "the file is empty"),
    ("- url: https://x.example/\n", 1, "top level must be a mapping"),
    ("feeds: https://x.example/\n", 1, "'feeds' must be a list"),
    ("other: 1\n", 1, "unknown top-level key 'other'"),
    ("feeds:\n  - url: https://x.example/\n  bad indent: here\n", 3, "invalid YAML"),
    ("feeds:\n  - url: https://a.example/\nfeeds:\n  - url: https://b.example/\n", 3,
     "'feeds' appears twice (first at line 1)"),
    ("feeds: []\nother: 1\nother: 2\n", 2, "unknown top-level key 'other'"),
])
def test_file_level_errors_name_their_line(text: str, line: int, words: str) -> None:
    found = problems(text)
    assert (found[0][0], words in found[0][1]) == (line, True), found


def test_credentials_are_not_repeated_in_the_message() -> None:
    found = problems("feeds:\n  - url: https://user:s3cret@x.example/feed\n")
    assert found and "s3cret" not in found[0][1]


@pytest.mark.parametrize("url", [
    "https://b\u00fccher.example/feed/",  # an international name, as typed
    "https://xn--bcher-kva.example/feed/",  # the same, encoded
    "https://-foo-.blogspot.com/feeds/posts/default",  # Blogger serves such names
    "https://my_blog.example.org/feed/",
    "https://example.org./feed/",  # fully qualified
    "http://[2001:db8::1]/feed",
    "http://93.184.216.34:8080/feed",
    "https://" + ("a" * 63 + ".") * 3 + "example/",  # 63 per label, 199 in all
])
def test_real_host_names_pass(url: str) -> None:
    assert parse_config(f"feeds:\n  - url: {url}\n".encode()).feeds[0].url == url


def test_all_problems_are_reported_at_once_in_line_order() -> None:
    found = problems("""\
        feeds:
          - url: ftp://a.example/
          - url: https://b.example/
            tags: yes
          - title: no url
        """)
    assert [line for line, _ in found] == [2, 4, 5]


@pytest.mark.parametrize("variant", [
    "http://blog.example/feed/",  # scheme
    "https://www.blog.example/feed/",  # www.
    "https://blog.example/feed",  # trailing slash
    "https://blog.example/feed/?utm_source=twitter&utm_medium=social",  # tracking parameters
    "https://BLOG.Example/feed/",  # host case
    "https://blog.example:443/feed/#top",  # default port, fragment
])
def test_duplicates_are_found_after_normalising(variant: str) -> None:
    found = problems(f"feeds:\n  - url: https://blog.example/feed/\n\n  - url: {variant}\n")
    assert found == [(4, f"duplicate feed: {variant} is already listed at line 2; "
                         "remove this entry")]


def test_different_paths_queries_and_hosts_are_not_duplicates() -> None:
    config = parse_config(b"""feeds:
  - url: https://blog.example/feed/
  - url: https://blog.example/category/maths/feed/
  - url: https://blog.example/feed/?cat=3
  - url: https://other.blog.example/feed/
""")
    assert len(config.feeds) == 4


def test_new_keys_are_read() -> None:
    config = parse_config(b"""feeds:
  - url: https://blog.example/feed/
    disabled: true
    include: [classroom, "school trip"]
    exclude: [recipe]
    hide: [https://blog.example/2026/spam/, "tag:blog.example,2026:42"]
""")
    feed = config.feeds[0]
    assert feed.disabled is True
    assert feed.include == ("classroom", "school trip")
    assert feed.exclude == ("recipe",)
    assert feed.hide == ("https://blog.example/2026/spam/", "tag:blog.example,2026:42")


def post(title: str, text: str = "", link: str = "https://blog.example/p/",
         guid: str = "g1") -> Post:
    return Post(feed_url="https://blog.example/feed/", guid=guid, link=link, title=title,
                published=datetime(2026, 11, 1, tzinfo=UTC), excerpt=text, text=text)


def test_include_and_exclude_match_whole_words_ignoring_case() -> None:
    keep = post_filter(Feed(url="u", include=("maths", "school trip"), exclude=("recipe",)))
    assert keep(post("MATHS week"))
    assert keep(post("Notes", "We went on a School\n trip today."))
    assert not keep(post("The aftermath"))  # not a whole word
    assert not keep(post("Holiday photos"))  # includes nothing listed
    assert not keep(post("Maths and a recipe"))  # exclude wins
    assert keep(post("Maths and recipes"))  # "recipes" is not the word "recipe"


def test_hide_matches_link_variants_and_guid() -> None:
    keep = post_filter(Feed(url="u", hide=("http://www.blog.example/spam", "tag:x,2026:9")))
    assert not keep(post("Spam", link="https://blog.example/spam/"))
    assert not keep(post("Also spam", link="https://blog.example/other/", guid="tag:x,2026:9"))
    assert keep(post("Fine", link="https://blog.example/fine/", guid="tag:x,2026:10"))
    everything = post_filter(Feed(url="u"))
    assert everything(post("Anything", link="not a url"))


def test_validate_command_prints_path_as_given_and_exits_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sub").mkdir()
    Path("sub/feeds.yaml").write_text("feeds:\n  - url: https://a.example/\n"
                                      "  - url: http://www.a.example\n"
                                      "  - url: https://b.example/\n    tags: 3\n")
    assert main(["validate", "sub/../sub/feeds.yaml"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("sub/../sub/feeds.yaml:3: duplicate feed: http://www.a.example is "
                      "already listed at line 2; remove this entry")
    assert err[1].startswith("sub/../sub/feeds.yaml:5: 'tags' must be a list")
    assert main(["validate", "nope.yaml"]) == 1
    assert capsys.readouterr().err.startswith("nope.yaml: file not found")


def test_validate_command_accepts_a_good_file(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n" + GOOD)
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: 1 feeds, no problems found"


def test_the_repository_feeds_yaml_is_valid() -> None:
    config = load_config(Path(__file__).parents[1] / "feeds.yaml")
    assert config.feeds


# Hostile files: each is rejected in a subprocess that must finish well within 5 s (the
# limits apply before Python objects are built, so rejection takes milliseconds; the
# generous timeout only guards against a hang, it is not a benchmark).
BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
       for i in range(8)]
    + ["feeds: [*i]"]
)
# What is asserted is behaviour: the exit code, a `PATH:LINE:` (or `PATH:`) message, never
# the wording, which for some files comes from PyYAML (its own limits differ by release).
HOSTILE = {
    "alias bomb": (BILLION_LAUGHS, True),
    "deep nesting": ("feeds: " + "[" * 50_000 + "]" * 50_000, True),
    "deep block nesting": ("feeds:\n" + "".join(" " * i + "- \n" for i in range(200)), True),
    "huge file": ("feeds:\n" + "  - url: https://x.example/feed/\n" * 200_000, False),
    "not utf-8": ("\udcff", False),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_rejected_quickly(tmp_path: Path, name: str) -> None:
    text, has_line = HOSTILE[name]
    path = tmp_path / "feeds.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    done = subprocess.run([sys.executable, "-m", "aggregator", "validate", str(path)],
                          capture_output=True, text=True, timeout=5)
    assert done.returncode == 1
    first = done.stderr.splitlines()[0]
    where = re.escape(str(path)) + (r":\d+: \S" if has_line else r": \S")
    assert re.match(where, first), done.stderr
    assert list(tmp_path.iterdir()) == [path]  # nothing written beside it


def test_a_second_feeds_list_stops_the_build_before_anything_is_written(
        tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    # Today the first list is silently dropped: its blogs and their posts leave the state.
    now = datetime(2026, 11, 20, tzinfo=UTC)
    first = feed_server.serve("/a.xml", subject_blog("phonics", "phonics", n=2, end=now).rss())
    second = feed_server.serve("/b.xml", subject_blog("maths", "maths", n=2, end=now).rss())
    feeds = tmp_path / "feeds.yaml"
    args = ["build", "--feeds", str(feeds), "--out", str(tmp_path / "site"), "--state",
            str(tmp_path / "state.db"), "--date", "2026-11-20", "--allow-private-hosts",
            "--min-interval", "0"]
    feeds.write_text(feeds_yaml([first, second]))
    assert main(args) == 0
    site = {p: p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    state = (tmp_path / "state.db").read_bytes()
    capsys.readouterr()

    feeds.write_text(feeds_yaml([first]) + feeds_yaml([second]))
    assert main(args) == 1
    assert f"{feeds}:3: key 'feeds' appears twice" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()} == site
    assert (tmp_path / "state.db").read_bytes() == state
    assert main(["validate", str(feeds)]) == 1
