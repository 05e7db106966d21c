"""Read who wrote a feed entry into one list for people: "Dr. Kathy King, Mark Gura" (#17).

Feeds write author lists as they like, repeat a name in brackets and give it in several
elements; feedparser reads e-mail addresses with a fault that eats names. This module
turns what feedparser made of an entry's authors into one de-duplicated list.
"""

from __future__ import annotations

import re
from typing import Any

from .text import html_to_text, strip_bidi


def _clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


_NAME_LIST = re.compile(r"\s*[;|]\s*")
_REPEATED = re.compile(r"^(?P<name>.+?)\s*\((?P<again>[^()]+)\)$")


def authors(entry: Any) -> str | None:
    """Return the entry's authors as one list for people: "Dr. Kathy King, Mark Gura".

    Feeds write lists as they like ("Dr. Kathy King;Mark Gura;"), repeat a name in
    brackets ("Michael Britt (Michael Britt)") and give it in several elements (author,
    dc:creator, itunes:author). Names are split at ";" and "|", and at commas only when
    every piece is two words or more, so "Smith, John" and "Jane Doe, PhD" stay whole.
    A bare e-mail address is no name. Each name is listed once, ignoring case.
    """
    detail = entry.get("author_detail")
    raw = [_mended(a) for a in entry.get("authors", []) or [] if hasattr(a, "get")]
    if not any(raw):
        raw = [_mended(detail) if detail else "", _clean(entry.get("author"))]
    names: dict[str, str] = {}
    for value in raw:
        text = strip_bidi(html_to_text(value))
        for name in _split_names(text):
            names.setdefault(name.casefold(), name)
    return ", ".join(names.values())[:200] or None


_TLD_TAIL = re.compile(r"^[A-Za-z]+(?=\s*\(|$)")


def _mended(author: Any) -> str:
    """Return the name of a feedparser author record, with what its e-mail match left.

    feedparser reads e-mail addresses with top-level domains of 2-4 letters, so
    "jane@school.academy (Jane Doe)" becomes the address "jane@school.acad" and the name
    "emy (Jane Doe": letters just after a cut 4-letter domain are no part of the name.
    """
    name, email = _clean(author.get("name")), _clean(author.get("email"))
    tld = email.rsplit(".", 1)[-1] if "@" in email else ""
    if len(tld) == 4 and tld.isalpha() and (tail := _TLD_TAIL.match(name)):
        name = name[tail.end():]
    return name


def _split_names(text: str) -> list[str]:
    names = []
    for part in _NAME_LIST.split(text):
        pieces = [p.strip() for p in part.split(",")]
        for name in (pieces if all(len(p.split()) >= 2 for p in pieces) else [part]):
            name = " ".join(_unbracketed(name).split())
            repeated = _REPEATED.match(name)
            if repeated and repeated["name"].casefold() == repeated["again"].strip().casefold():
                name = repeated["name"]
            if name and not ("@" in name and " " not in name):
                names.append(name)
    return names


def _unbracketed(name: str) -> str:
    """Return ``name`` without a bracket left open or closed alone.

    feedparser cuts "jane@example.org (Jane Doe)" into "ple (Jane Doe" when a
    dc:creator follows it: the name is what the open bracket holds.
    """
    if name.count("(") > name.count(")"):
        return name.rsplit("(", 1)[1]
    if name.count(")") > name.count("("):
        return name.split(")", 1)[0]
    return name
