"""Check that a state file is data this version wrote, not code: before it is restored.

A state export is downloaded from the web at the start of every build, so it is read as
an attacker's file. SQLite stores code too (triggers, views, virtual tables, default
expressions, CHECK constraints): an export whose ``posts`` table carries a trigger would
rewrite every later post and hand the trigger on to every later export. So a candidate
must have exactly the schema a fresh store of its version has (compared with
:func:`fresh_schema`, never a hand-kept list), and every value must
have the type and shape the aggregator writes: timestamps with a time zone, integers,
http(s) links, slugs safe as folder names, JSON of the right shape. Anything else is
refused with the table, column and row at fault.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import AggregatorError
from .store import SCHEMA_VERSION, migrate

SchemaObject = tuple[str, str, str, str]  # type, name, table, SQL (whitespace collapsed)


def schema_objects(db: sqlite3.Connection) -> frozenset[SchemaObject]:
    """Return every table, index, view and trigger of ``db``, as ``sqlite_master`` has it."""
    return frozenset(
        (str(kind), str(name), str(table), " ".join(str(sql or "").split()))
        for kind, name, table, sql in db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"))


def fresh_schema(version: int = SCHEMA_VERSION) -> frozenset[SchemaObject]:
    """Return the schema a new store has at ``version``: what a state file may hold, exactly.

    Built the way :class:`aggregator.store.Store` builds it (:func:`migrate` in a fresh in-memory
    database), so it can never drift from the schema the aggregator really creates.
    """
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(db, 0, version)
        return schema_objects(db)
    finally:
        db.close()


class StateFileError(AggregatorError):
    """A state export could not be read, or is not a usable aggregator database."""


Check = Callable[[Any], str | None]  # a problem with a value, or None if it is fine

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,119}")  # store.slugify's alphabet: a safe folder name


def _optional(check: Check) -> Check:
    return lambda v: None if v is None else check(v)


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) else f"is {_kind(v)}, not text"


def _integer(v: Any) -> str | None:
    return None if isinstance(v, int) else f"is {_kind(v)}, not an integer"


def _flag(v: Any) -> str | None:
    return None if v in (0, 1) and isinstance(v, int) else "is not 0 or 1"


def _timestamp(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"is {_kind(v)}, not a timestamp"
    try:
        when = datetime.fromisoformat(v)
    except ValueError:
        return "is not an ISO timestamp"
    return None if when.tzinfo is not None else "is a timestamp without a time zone"


def _day(v: Any) -> str | None:
    try:
        date.fromisoformat(v)
    except (TypeError, ValueError):
        return "is not a date (YYYY-MM-DD)"
    return None if len(v) == 10 else "is not a date (YYYY-MM-DD)"


def _link(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"is {_kind(v)}, not a link"
    try:
        parts = urlsplit(v)
    except ValueError:
        return "is not a link"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:  # as parse.py
        return "is not an http(s) link"
    return None


def _link_or_empty(v: Any) -> str | None:
    return None if v == "" else _link(v)


def _pattern(regex: re.Pattern[str], what: str) -> Check:
    return lambda v: (None if isinstance(v, str) and regex.fullmatch(v) else f"is not {what}")


_slug = _pattern(_SLUG, "a slug (a-z, 0-9, -)")


def _json(shape: Check) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return f"is {_kind(v)}, not JSON"
        try:
            data = json.loads(v)
        except ValueError:
            return "is not valid JSON"
        return shape(data)
    return check


def _strings(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
    return None if ok else "is not a list of strings"


def _string_lists(v: Any) -> str | None:
    ok = isinstance(v, dict) and all(_strings(x) is None for x in v.values())
    return None if ok else "is not an object of lists of strings"


def _day_counts(v: Any) -> str | None:
    """Check the shape of a count per day (store.WITHDRAWN, store.RUNNING)."""
    ok = isinstance(v, dict) and all(
        _day(k) is None and isinstance(n, int) and not isinstance(n, bool) and n > 0
        for k, n in v.items())
    return None if ok else "is not an object of dates and counts"


def _topic_model(v: Any) -> str | None:
    """Check the topic model blob of schema 4 and older (derived.model_from_json reads it)."""
    if not isinstance(v, dict) or not isinstance(v.get("topics"), list):
        return "is not a stored topic model"
    for topic in v["topics"]:
        if not isinstance(topic, dict) or _slug(topic.get("slug")) is not None:
            return "holds a topic without a valid slug"
        if (_text(topic.get("label")) or _strings(topic.get("terms"))
                or _strings(topic.get("posts"))):
            return f"holds a malformed topic {topic['slug']!r}"
    return (_strings(v.get("misc")) or _string_lists(v.get("related"))
            or _string_lists(v.get("duplicates")))


def _number(v: Any) -> str | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    return None if ok else f"is {_kind(v)}, not a number"


def _term_weights(v: Any) -> str | None:
    ok = isinstance(v, dict) and all(_number(w) is None for w in v.values())
    return None if ok else "is not an object of terms and weights"


def _term_weights_by_language(v: Any) -> str | None:
    ok = isinstance(v, dict) and all(_term_weights(x) is None for x in v.values())
    return None if ok else "is not an object of languages and term weights"


_text_or_none = _optional(_text)
_int_or_none = _optional(_integer)
_timestamp_or_none = _optional(_timestamp)
_link_or_none = _optional(_link)

# What each column may hold; a column of the schema missing here is refused (a newer
# schema must say what its new columns hold). The first column names a row in messages.
COLUMNS: Mapping[str, Mapping[str, Check]] = {
    "feeds": {
        "url": _link, "slug": _slug, "title": _text_or_none, "site": _link_or_none,
        "description": _text_or_none, "etag": _text_or_none, "last_modified": _text_or_none,
        "last_fetched": _timestamp_or_none, "last_success": _timestamp_or_none,
        "last_status": _int_or_none, "last_error": _text_or_none,
        "consecutive_failures": _integer, "first_seen": _timestamp,
        "error_kind": _text_or_none, "failing_since": _timestamp_or_none,
        "max_age": _int_or_none, "redirect_target": _link_or_none, "redirect_count": _integer,
        "redirect_first_seen": _timestamp_or_none, "moved_to": _link_or_none,
        "gone_since": _timestamp_or_none, "shared_links": _integer,
    },
    "posts": {
        "uid": _text, "feed_url": _link, "guid": _text, "link": _link, "title": _text,
        "author": _text_or_none, "published": _timestamp, "dated": _flag,
        "first_seen": _timestamp, "excerpt": _text, "excerpt_html": _text,
        "link_words": _integer, "text": _text,
        "language": _text_or_none,  # as the feed declares it: "en-GB", "English (UK)"
        "words": _int_or_none,
        "topic_text": _text_or_none,  # schema 3 and 4: topic_texts since
    },
    "topics": {
        "slug": _slug, "label": _text, "terms": _json(_strings),
        "post_uids": _json(_strings),  # schema 4 and older: topic_members since
        "first_seen": _timestamp, "last_seen": _timestamp, "active": _flag,
    },
    # Derived data (derived.py, schema 5): slugs become folder names, uids are text.
    "topic_texts": {"uid": _text, "version": _text, "words": _text},
    "topic_members": {"slug": _slug, "position": _integer, "uid": _text},
    "topic_model": {"id": _integer, "fingerprint": _text, "fit_day": _optional(_day),
                    "fit_posts": _int_or_none, "vocabulary": _json(_term_weights_by_language)},
    "model_topics": {"slug": _slug, "position": _integer, "label": _text,
                     "terms": _json(_strings), "language": _text_or_none,
                     "floor": _optional(_number), "profile": _optional(_json(_term_weights))},
    "model_posts": {"slug": _slug, "position": _integer, "uid": _text},
    "model_copies": {"kept": _text, "position": _integer, "copy": _text},
    "model_related": {"uid": _text, "position": _integer, "other": _text},
    "diamonds": {
        "date": _day, "feed_url": _link, "post_uid": _text, "topic": _text_or_none,
        "reason": _text, "position": _integer, "title": _text, "link": _link_or_empty,
        "blog_title": _text,
    },
    "meta": {"key": _text, "value": _text},
}
# The checks of a type alone, as SQLite tests them (``{0}``: the column).
_SQL_TYPE: Mapping[Check, str] = {
    _text: "typeof({0}) = 'text'", _integer: "typeof({0}) = 'integer'",
    _text_or_none: "typeof({0}) IN ('text', 'null')",
    _int_or_none: "typeof({0}) IN ('integer', 'null')",
    _flag: "(typeof({0}) = 'integer' AND {0} IN (0, 1))",
}
# Meta values with a shape of their own (others are plain text).
META: Mapping[str, Check] = {"topics.model": _json(_topic_model),
                             "diamonds.withdrawn": _json(_day_counts),
                             "diamonds.running": _json(_day_counts)}


def check_state(path: Path, source: str) -> int:
    """Check the candidate state file at ``path``; return its schema version.

    Raise :class:`StateFileError`, naming the problem, if it is not exactly what this
    version (or an older one) writes. The file is opened read-only and immutable, so
    checking it runs none of its code and leaves no ``-wal``/``-shm`` file beside it.
    """
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            db.execute("PRAGMA trusted_schema = OFF")
            check = db.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise StateFileError(f"{source}: the database is damaged: {check}")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if not 1 <= version <= SCHEMA_VERSION:
                raise StateFileError(
                    f"{source}: not a state export this version can read (schema {version}; "
                    f"this aggregator knows 1 to {SCHEMA_VERSION})")
            _check_schema(db, version, source)
            _check_values(db, source)
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        raise StateFileError(f"{source}: not a usable SQLite database: {e}") from e
    return version


def _check_schema(db: sqlite3.Connection, version: int, source: str) -> None:
    expected = fresh_schema(version)
    found = schema_objects(db)
    extra = sorted(found - expected)
    missing = sorted(expected - found)
    if extra:
        kind, name, table, _ = extra[0]
        known = any(e[:3] == (kind, name, table) for e in expected)
        what = "a different definition of" if known else "an unexpected"
        on = "" if table == name else f" (on {table!r})"
        raise StateFileError(f"{source}: not a state export this version can read: it has "
                             f"{what} {kind} {name!r}{on}; a state file holds only the "
                             "tables and indexes the aggregator creates")
    if missing:
        kind, name, table, _ = missing[0]
        raise StateFileError(f"{source}: not a state export this version can read: it lacks "
                             f"the {kind} {name!r} (schema {version})")


def _check_values(db: sqlite3.Connection, source: str) -> None:
    for table, checks in COLUMNS.items():
        columns = [str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")]
        if not columns:  # a table of a later schema than the file's
            continue
        unknown = [c for c in columns if c not in checks]
        if unknown:  # the schema matched, so only a newer version's column can be here
            raise StateFileError(f"{source}: {table}.{unknown[0]}: no check for this column")
        # A check of type alone runs in SQLite, on every row at once; Python reads the
        # columns whose values have a shape (links, times, slugs, JSON), and the first
        # row SQLite finds at fault, to name its problem as Python would.
        typed = [c for c in columns if checks[c] in _SQL_TYPE and table != "meta"]
        if typed:
            ok = " AND ".join(_SQL_TYPE[checks[c]].format(c) for c in typed)
            bad = db.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE NOT ({ok}) "
                             "LIMIT 1").fetchone()
            if bad is not None:
                _check_row(table, columns, [checks[c] for c in columns], bad, source)
        shaped = [columns[0], *(c for c in columns[1:] if c not in typed)]
        row_checks = [checks[c] for c in shaped]
        for row in db.execute(f"SELECT {', '.join(shaped)} FROM {table}"):
            _check_row(table, shaped, row_checks, row, source)
    broken = db.execute("PRAGMA foreign_key_check").fetchone()
    if broken is not None:
        raise StateFileError(f"{source}: {broken[0]} row {broken[1]} refers to a missing "
                             f"{broken[2]} row")


def _check_row(table: str, columns: Sequence[str], checks: Sequence[Check],
               row: Sequence[Any], source: str) -> None:
    """Raise :class:`StateFileError` naming the first of ``row``'s values at fault."""
    for column, check, value in zip(columns, checks, row, strict=True):
        problem = check(value)
        if problem is None and table == "meta" and column == "value":
            meta_check = META.get(row[0])
            problem = meta_check(value) if meta_check else None
        if problem is not None:
            raise StateFileError(f"{source}: {table}.{column} of {_name(row[0])} "
                                 f"{problem}: {_shown(value)}")


def _kind(v: Any) -> str:
    return {type(None): "NULL", int: "an integer", float: "a real number", str: "text",
            bytes: "a blob"}.get(type(v), type(v).__name__)


def _name(key: Any) -> str:
    return repr(key) if isinstance(key, str | int) else "a row"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
