"""Carry the feeds check to its pull-request comment: a JSON report, and the comment built from it.

The check of a pull request (``aggregator validate --json-file``) runs the pull request's
own code with a read-only token, so whatever it uploads is untrusted: a pull request can
change the check, or add a workflow of the same name, and upload any file. The comment
job runs the base branch's code (``aggregator review-comment``), which accepts only a
report that fits :data:`SCHEMA` exactly and writes the comment itself:

- every string from the report is shown as plain text or as a code span: Markdown and
  HTML are escaped, ``@`` and ``#`` cannot mention anyone or link an issue, URLs are
  defanged so nothing is a live link;
- the comment is bounded: at most :data:`SHOWN` entries per section, each cut to
  :data:`MAX_MESSAGE` characters, the whole under :data:`MAX_COMMENT`;
- a missing or invalid report gives a comment saying the check could not run, with a
  link to the run, so the contributor always hears back.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from .errors import ReportError
from .review import MARKER, Finding, Review

SCHEMA = "edublog-aggregator/feeds-check"
VERSION = 1
MAX_REPORT_BYTES = 1_000_000
MAX_FINDINGS = 5_000  # a feeds.yaml holds at most a few thousand entries (1 MB)
MAX_STRING = 4_000
SHOWN = 15  # entries shown per section; the rest are counted
MAX_MESSAGE = 200  # characters of one message shown
MAX_CODE = 120  # characters of a URL, path or ref shown
MAX_COMMENT = 20_000  # GitHub allows 65,536

_KEYS = {"schema", "version", "path", "feeds", "checked_online", "changed_ref", "findings"}
_FINDING_KEYS = {"line", "ok", "message", "url"}
_ZWJ = "\u200d"  # after @ and #: no mention, no issue link, and it reads the same
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
_RUN_URL = re.compile(r"https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/-]*)?")


def report_json(result: Review) -> str:
    """Return ``result`` as the JSON report the comment job reads."""
    return json.dumps({
        "schema": SCHEMA, "version": VERSION, "path": result.path, "feeds": result.feeds,
        "checked_online": result.checked_online, "changed_ref": result.changed_ref,
        # Warnings travel as ok findings ("warning: ..."), so the schema stays as it is.
        "findings": [{"line": f.line, "ok": f.ok, "message": f.message, "url": f.url}
                     for f in (*result.findings, *result.warnings)],
    }, ensure_ascii=False, indent=1) + "\n"


def parse_report(data: bytes) -> Review:
    """Return the :class:`Review` in a JSON report; raise :class:`ReportError` unless it fits.

    Only the exact schema is accepted: no missing or unknown key, no other type, no
    string over :data:`MAX_STRING` characters, at most :data:`MAX_FINDINGS` findings.
    """
    if len(data) > MAX_REPORT_BYTES:
        raise ReportError(f"the report is over {MAX_REPORT_BYTES:,} bytes")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ReportError("the report is not JSON") from e
    _keys(doc, _KEYS, "the report")
    if doc["schema"] != SCHEMA or type(doc["version"]) is not int or doc["version"] != VERSION:
        raise ReportError(f"the report is not a {SCHEMA} report, version {VERSION}")
    findings = doc["findings"]
    if not isinstance(findings, list) or len(findings) > MAX_FINDINGS:
        raise ReportError(f"findings must be a list of at most {MAX_FINDINGS} entries")
    parsed = []
    for i, item in enumerate(findings):
        where = f"findings[{i}]"
        _keys(item, _FINDING_KEYS, where)
        line = item["line"]
        if line is not None and (type(line) is not int or line < 1):
            raise ReportError(f"{where}.line must be a line number or null")
        if type(item["ok"]) is not bool:
            raise ReportError(f"{where}.ok must be true or false")
        parsed.append(Finding(line, _string(item["message"], f"{where}.message"), ok=item["ok"],
                              url=_string(item["url"], f"{where}.url", optional=True)))
    for key in ("feeds", "checked_online"):
        if type(doc[key]) is not int or doc[key] < 0:
            raise ReportError(f"{key} must be a whole number")
    return Review(_string(doc["path"], "path"), doc["feeds"], tuple(parsed),
                  checked_online=doc["checked_online"],
                  changed_ref=_string(doc["changed_ref"], "changed_ref", optional=True))


def _keys(obj: Any, expected: set[str], where: str) -> None:
    if not isinstance(obj, dict):
        raise ReportError(f"{where} must be an object")
    if set(obj) != expected:  # never echo a key the report made up
        raise ReportError(f"{where} must have exactly the keys {', '.join(sorted(expected))}")


def _string(value: Any, where: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > MAX_STRING:
        raise ReportError(f"{where} must be a string of at most {MAX_STRING} characters")
    return value


def read_report(path: str | Path) -> Review:
    """Read and check the report at ``path`` (never more than the size limit)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_REPORT_BYTES + 1)
    except FileNotFoundError as e:
        raise ReportError("the check left no report") from e
    except OSError as e:
        raise ReportError(f"the report could not be read ({e.strerror or e})") from e
    return parse_report(data)


def build_comment(report: str | Path | None, run_url: str | None) -> str:
    """Return the comment for the report at ``report``: its findings, or "could not run"."""
    if report is None:
        return could_not_run("the check left no report", run_url)
    try:
        result = read_report(report)
    except ReportError as e:
        return could_not_run(str(e), run_url)
    return comment_markdown(result, run_url)


def comment_markdown(result: Review, run_url: str | None) -> str:
    """Return the pull-request comment for a checked report: bounded, every string escaped."""
    problems = [f for f in result.findings if not f.ok]
    warnings = [f for f in result.findings if f.ok and f.message.startswith("warning: ")]
    good = [f for f in result.findings if f.ok and f not in warnings]
    verdict = ("no problems found" if not problems
               else f"{len(problems)} problem{'s' * (len(problems) != 1)} found")
    scope = ""
    if result.checked_online or result.changed_ref:
        since = (f"new or changed since {code(result.changed_ref)}" if result.changed_ref
                 else "listed")
        scope = f"; fetched {result.checked_online} {since}"
    lines = [MARKER, f"### {'❌' if problems else '✅'} Feeds check: {verdict}", "",
             f"{code(result.path)}: {result.feeds} feeds{scope}.", ""]
    if problems:
        lines += ["**Please fix:**", "", *_entries(problems, run_url), ""]
    if warnings:
        lines += ["**Worth a look** (not errors):", "", *_entries(warnings, run_url), ""]
    if good:
        lines += ["**Working feeds:**", "", *_entries(good, run_url), ""]
    if problems:
        lines += ["See CONTRIBUTING.md for the keys feeds.yaml accepts and how to find a "
                  "blog's feed address. Push a fix and the check runs again.", ""]
    lines.append(_footer(run_url))
    return _bounded(lines)


def could_not_run(reason: str, run_url: str | None) -> str:
    """Return the comment saying the check could not run (``reason``: our own words)."""
    return _bounded([
        MARKER, "### ⚠️ Feeds check: the check could not run", "",
        f"The feeds check stopped before it could report on this pull request "
        f"({text(reason, MAX_MESSAGE)}). This is often not caused by your change; the "
        "run's log says what happened, and a maintainer will have a look. Pushing a new "
        "commit runs the check again.", "",
        f"<sub>See {_run_link(run_url)}.</sub>"])


def _entries(findings: list[Finding], run_url: str | None) -> list[str]:
    shown = [f"- line {f.line or '?'}: {_message(f)}" for f in findings[:SHOWN]]
    if len(findings) > SHOWN:
        more = len(findings) - SHOWN
        shown.append(f"- and {more} more: see {_run_link(run_url)}")
    return shown


def _message(finding: Finding) -> str:
    if finding.url and finding.message.startswith(f"{finding.url}: "):
        rest = finding.message[len(finding.url) + 2:]
        return f"{code(finding.url)}: {text(rest, MAX_MESSAGE)}"
    return text(finding.message, MAX_MESSAGE)


def _footer(run_url: str | None) -> str:
    return f"<sub>Written by the base branch's code from the report of {_run_link(run_url)}.</sub>"


def _run_link(run_url: str | None) -> str:
    return f"[the check's run]({run_url})" if _safe_url(run_url) else "the check's run"


def _safe_url(url: str | None) -> bool:
    """Return whether ``url`` (from the workflow event, not the report) is safe as a link."""
    return url is not None and _RUN_URL.fullmatch(url) is not None


def _bounded(lines: list[str]) -> str:
    out = "\n".join(lines).rstrip() + "\n"
    if len(out) <= MAX_COMMENT:
        return out
    cut = out[:MAX_COMMENT - 40].rsplit("\n", 1)[0]  # whole lines: never half an escape
    return cut + "\n\n(comment shortened)\n"


def _plain(value: str, limit: int) -> str:
    """Return ``value`` on one line without control or format characters, cut to ``limit``."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs")
                   else c for c in value)
    one_line = " ".join(kept.split())
    return one_line if len(one_line) <= limit else one_line[:limit - 1].rstrip() + "…"


def text(value: str, limit: int = MAX_MESSAGE) -> str:
    """Return ``value`` as inert Markdown text: it renders as written and links nothing.

    Whitespace and control characters become single spaces (no new block can start),
    URLs are defanged (``https[:]//``, ``www[.]``), ``@`` and ``#`` get a zero-width
    joiner so they mention and link nothing, and every ASCII punctuation character is
    backslash-escaped, so no Markdown, HTML or entity is recognised.
    """
    out = _plain(value, limit)
    out = _WWW.sub(r"\1[.]", _SCHEME.sub(r"\1[:]", out))
    out = _PUNCTUATION.sub(r"\\\1", out)
    return out.replace("@", "@" + _ZWJ).replace("#", "#" + _ZWJ)


def code(value: str, limit: int = MAX_CODE) -> str:
    """Return ``value`` as a one-line code span (nothing in it is a link or a mention)."""
    out = _plain(value, limit).replace("`", "'")
    return f"`{out}`" if out else "(empty)"
