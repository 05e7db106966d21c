"""The feeds check's pull-request comment, built by trusted code from an untrusted JSON report.

The comment is rendered with cmark-gfm (GitHub's Markdown parser, autolinks and tables
on) and the HTML is what is checked: which tags, which links, which text a reader sees.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from aggregator import comment
from aggregator.cli import main
from aggregator.comment import (
    MAX_COMMENT,
    SHOWN,
    build_comment,
    comment_markdown,
    parse_report,
    report_json,
)
from aggregator.review import MARKER, Finding, Review

RUN = "https://github.com/edublogs/edublog-aggregator/actions/runs/123"
HOSTILE = [  # what a feed's title can say, and what a reader must still read, as text
    ("@someone please merge", "@\u200dsomeone please merge"),
    ("see https://evil.example/x now", "see https[:]//evil.example/x now"),
    ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
    ("<script>alert(2)</script>", "<script>alert(2)</script>"),
    ("[click](https://evil.example/)", "[click](https[:]//evil.example/)"),
    ("![i](https://e.example/i.png)", "![i](https[:]//e.example/i.png)"),
    ("**bold** _it_ `tick`", "**bold** _it_ `tick`"),
    ("fixes #12 and owner/repo#3", "fixes #\u200d12 and owner/repo#\u200d3"),
    ("www.evil.example mail@evil.example", "www[.]evil.example mail@\u200devil.example"),
    ("&#64;admin &lt;b&gt;", "&#\u200d64;admin &lt;b&gt;"),
    ("x\n\n# heading\n| a | b |\n|---|---|\n> quote\n- item",
     "x #\u200d heading | a | b | |---|---| > quote - item"),
    ("<!-- edublog-aggregator: feeds check -->", "<!-- edublog-aggregator: feeds check -->"),
    ("\u202eevil\u200b text", "evil text"),
]


class Rendered(HTMLParser):
    """The tags, links and visible text of rendered HTML (text inside <code> kept apart)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.code: list[str] = []
        self.comments: list[str] = []
        self._in_code = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_code += tag == "code"
        self.links += [v or "" for k, v in attrs if k in ("href", "src")]

    def handle_endtag(self, tag: str) -> None:
        self._in_code -= tag == "code"

    def handle_data(self, data: str) -> None:
        (self.code if self._in_code else self.text).append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def render(markdown: str) -> Rendered:
    return Rendered(cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_UNSAFE))  # raw HTML would pass: so nothing may


def report(*findings: dict[str, Any], **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema": "edublog-aggregator/feeds-check", "version": 1,
                           "path": "feeds.yaml", "feeds": 3, "checked_online": 2,
                           "changed_ref": "origin/main", "findings": list(findings)}
    doc.update(top)
    return doc


def finding(message: str, *, line: int | None = 4, ok: bool = False,
            url: str | None = None) -> dict[str, Any]:
    return {"line": line, "ok": ok, "message": message, "url": url}


def comment_for(doc: Any, tmp_path: Path, run_url: str | None = RUN) -> str:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(doc))
    return build_comment(path, run_url)


def test_the_report_round_trips_through_json() -> None:
    review = Review("feeds.yaml", 7, (Finding(2, "https://a.example/: ok, 'A', 3 posts", ok=True,
                                             url="https://a.example/"),
                                     Finding(None, "the file is empty")),
                    checked_online=5, changed_ref="origin/main")
    assert parse_report(report_json(review).encode()) == review


def test_a_hostile_feed_title_is_shown_but_mentions_links_and_markup_nothing(
        tmp_path: Path) -> None:
    url = "https://evil.example/feed?@x=<b>"
    findings = [finding(f"{url}: ok, {said}, 3 posts", line=i + 2, ok=i % 2 == 0, url=url)
                for i, (said, _) in enumerate(HOSTILE)]
    text = comment_for(report(*findings[:SHOWN], finding(HOSTILE[0][0], line=99)), tmp_path)
    page = render(text)

    assert set(page.tags) <= {"h3", "p", "strong", "ul", "li", "code", "sub", "a"}
    assert page.links == [RUN]  # the run, from the workflow event: the only link
    assert page.comments == [MARKER[4:-3]]  # the marker, and no other HTML comment
    visible = "".join(page.text)
    assert not re.search(r"@[A-Za-z0-9]", visible)  # no mention of anyone
    assert not re.search(r"#[0-9]", visible)  # no issue reference
    assert not re.search(r"(?i)https?://|www\.", visible.replace(RUN, ""))  # no bare link
    for said, shown in HOSTILE:  # ...and a reader still reads what the feed says, as text
        assert f"ok, {shown}, 3 posts" in visible, said
    assert "\u202e" not in text  # no right-to-left override to disguise the text
    assert url in "".join(page.code)  # the feed's address, as code


def test_the_comment_is_bounded_in_entries_and_characters(tmp_path: Path) -> None:
    findings = [finding("x" * 2_000 + " @a", line=i + 1) for i in range(200)]
    findings += [finding("ok " * 600, line=i + 400, ok=True) for i in range(200)]
    text = comment_for(report(*findings, path="p" * 3_000, changed_ref="r" * 3_000), tmp_path)

    assert len(text) <= MAX_COMMENT
    entries = [li for li in text.splitlines() if li.startswith("- line ")]
    assert len(entries) == 2 * SHOWN
    assert all(len(li) < 600 for li in entries)
    assert "- and 185 more: see [the check's run](" in text


def test_an_overlong_comment_is_cut_at_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comment, "MAX_COMMENT", 1_000)
    review = Review("feeds.yaml", 40, tuple(Finding(i, f"problem {i} " + "@x " * 60)
                                            for i in range(1, 41)))
    text = comment_markdown(review, RUN)
    assert len(text) <= 1_000 and text.endswith("\n\n(comment shortened)\n")
    assert all(li.startswith(("- line ", "(comment", "**", "###", "<!--", "`")) or not li
               for li in text.splitlines())


BAD_REPORTS: list[tuple[str, Any]] = [
    ("not an object", ["findings"]),
    ("another schema", report(schema="someone-else/report")),
    ("a newer version", report(version=2)),
    ("a version that is true", report(version=True)),
    ("an unknown key", report(comment_body="@everyone hi")),
    ("a missing key", {k: v for k, v in report().items() if k != "findings"}),
    ("findings not a list", report(findings={"0": finding("x")})),
    ("a line as text", report(finding("x", line="4"))),  # type: ignore[arg-type]
    ("line zero", report(finding("x", line=0))),
    ("ok as a number", report(finding("x", ok=1))),  # type: ignore[arg-type]
    ("a message that is not text", report(finding(["x"]))),  # type: ignore[arg-type]
    ("an overlong message", report(finding("x" * 4_001))),
    ("an extra key in a finding", report({**finding("x"), "html": "<b>"})),
    ("feeds negative", report(feeds=-1)),
    ("feeds as a boolean", report(feeds=True)),
    ("too many findings", report(*[finding("x")] * 5_001)),
]


@pytest.mark.parametrize(("case", "doc"), BAD_REPORTS, ids=[c for c, _ in BAD_REPORTS])
def test_a_report_that_does_not_fit_the_schema_gives_the_could_not_run_comment(
        case: str, doc: Any, tmp_path: Path) -> None:
    text = comment_for(doc, tmp_path)
    assert text.startswith(MARKER + "\n### ⚠️ Feeds check: the check could not run")
    assert "line 4" not in text and "@everyone" not in text and "<b>" not in text
    assert f"[the check's run]({RUN})" in text


@pytest.mark.parametrize("data", [b"", b"{not json", b"\xff\xfe{}", b"1" * 1_000_001,
                                  b'{"schema": NaN}'])
def test_bytes_that_are_not_a_json_report_give_the_could_not_run_comment(
        data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(data)
    assert "the check could not run" in build_comment(path, RUN)


def test_a_missing_report_gives_the_could_not_run_comment_with_the_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review-comment", str(tmp_path / "none.json"), "--run-url", RUN]) == 0
    page = render(capsys.readouterr().out)
    assert "the check could not run" in "".join(page.text)
    assert "the check left no report" in "".join(page.text)
    assert page.links == [RUN]
    assert main(["review-comment", "--run-url", RUN]) == 0  # no artifact was downloaded
    assert "the check could not run" in capsys.readouterr().out


@pytest.mark.parametrize("run_url", ["javascript:alert(1)", "http://github.com/x",
                                     "https://github.com/x) [y](https://evil.example",
                                     "https://github.com/x\n# h", None])
def test_only_a_plain_https_run_url_is_linked(run_url: str | None, tmp_path: Path) -> None:
    for text in (comment_for(report(finding("x")), tmp_path, run_url),
                 build_comment(tmp_path / "none.json", run_url)):
        page = render(text)
        assert page.links == [] and "the check's run" in "".join(page.text)


def test_validate_writes_the_report_the_comment_is_built_from(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: https://a.example/feed/\n  - title: no url\n")
    out = tmp_path / "check" / "report.json"
    assert main(["validate", str(feeds), "--json-file", str(out)]) == 1
    assert main(["review-comment", str(out), "--run-url", RUN]) == 0
    text = capsys.readouterr().out
    assert "### ❌ Feeds check: 1 problem found" in text
    assert "- line 3: " in text


def test_a_check_that_crashes_writes_no_report_so_the_comment_says_it_could_not_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = tmp_path / "feeds.yaml"  # not in a git repository: --changed cannot work
    feeds.write_text("feeds:\n  - url: https://a.example/feed/\n")
    out = tmp_path / "check" / "report.json"
    assert main(["validate", str(feeds), "--network", "--changed", "origin/main",
                 "--json-file", str(out)]) == 1
    assert not out.exists()
    assert main(["review-comment", str(out), "--run-url", RUN]) == 0
    assert "the check could not run" in capsys.readouterr().out
