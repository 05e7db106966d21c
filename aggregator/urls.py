"""Check web addresses from untrusted places: feeds.yaml, redirects, pages, the state.

Pure functions shared by ``validate`` (:mod:`aggregator.config`), the fetcher (every
redirect hop) and ``add`` (:mod:`aggregator.discover`), so a URL that passes one passes
all of them. The host name is checked before anything resolves or encodes it: a name
that cannot exist (an empty label as in ``a..example``, a label over 63 characters, over
253 in all, characters no host name has, invalid IDNA) is a problem to report, never an
exception deep inside DNS or httpx. Credentials (``user:secret@``) are refused outright:
they would be sent to the server and published wherever the address is shown.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna

MAX_HOST = 253  # characters of a whole host name, without a trailing dot (RFC 1035)
MAX_LABEL = 63  # characters of one label between dots
# Letters, digits and hyphens, plus the underscore some real blog hosts use. A label may
# start or end with a hyphen: Blogger has such subdomains, and DNS serves them.
_LABEL = re.compile(r"^[a-z0-9_-]+$")
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")


def split_url(url: str) -> SplitResult | None:
    """Return ``url`` split into parts, or None when it cannot even be split (``http://[x``)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return None
    return parts


def url_problem(url: str, *, allow_single_label: bool = False) -> str | None:
    """Return what makes ``url`` unusable as an http(s) address to fetch, or None.

    The message follows the name of the value ("'url' has no host name") and never
    repeats the URL's user info, so it can be shown and stored.
    ``allow_single_label`` accepts names without a dot (``localhost``), for local testing.
    """
    if has_user_info(url):
        return ("contains a user name or password (user:secret@...); credentials are never "
                "sent or published")
    bad = next((c for c in url if unsafe_char(c) or c.isspace()), None)
    if bad is not None:
        if bad.isspace():
            return "contains spaces; encode them as %20"
        return f"contains the invisible character U+{ord(bad):04X}; remove it"
    parts = split_url(url)
    if parts is None:
        return "has an invalid port or brackets; write it as https://host:port/path"
    if parts.scheme.lower() not in ("http", "https"):
        return (f"must start with https:// or http:// (not {parts.scheme or 'nothing'}:); "
                "other schemes are not fetched")
    if "\\" in parts.netloc:
        return "has a backslash before its path; use '/' between host and path"
    if not parts.hostname:
        return "has no host name"
    if parts.port == 0:
        return "has port 0, where no server listens"
    problem = host_problem(parts.hostname, allow_single_label=allow_single_label)
    return f"has a host name that cannot exist: {problem}" if problem else None


def host_problem(host: str, *, allow_single_label: bool = False) -> str | None:
    """Return why ``host`` cannot be the name or address of a web server, or None.

    A bare name without a dot (``intranet``) cannot be a public blog: it is only looked up
    in the local network's search domains, so it is refused unless ``allow_single_label``.
    """
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    name = host.lower()
    if name.endswith("."):
        name = name[:-1]  # "example.org." is the same fully qualified name
    if not name.isascii():
        try:
            # As httpx encodes it, so that what passes here is what will be connected to.
            name = idna.encode(name).decode("ascii")
        except idna.IDNAError as e:
            return f"{host!r} is not a valid international name ({e})"
    if len(name) > MAX_HOST:
        return f"it is {len(name)} characters long; the limit is {MAX_HOST}"
    labels = name.split(".")
    for label in labels:
        if not label:
            return f"{host!r} has an empty part between dots"
        if len(label) > MAX_LABEL:
            return (f"one part of it is {len(label)} characters long; the limit between "
                    f"two dots is {MAX_LABEL}")
        if not _LABEL.match(label):
            return (f"{host!r} has characters no host name has (only letters, digits, "
                    "'-' and '.')")
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except idna.IDNAError:
                return f"{host!r} has an invalid international part {label!r}"
    if labels[-1].isdigit():
        return (f"{host!r} ends in a number but is not an IP address; write an "
                "address as four numbers (93.184.216.34)")
    if len(labels) == 1 and not allow_single_label:
        return (f"{host!r} has no dot, so it is not a name on the public web; give "
                "the full name, e.g. blog.example.org")
    return None


def has_user_info(url: str) -> bool:
    """Return whether ``url`` carries a user name or password before its host."""
    authority = url.partition("://")[2]
    for end in "/?#":
        authority = authority.split(end, 1)[0]
    return "@" in authority


def redact(url: str) -> str:
    """Return ``url`` without any user info, for messages and logs."""
    if not has_user_info(url):
        return url
    parts = split_url(url)
    if parts is None:
        return "(an address with credentials)"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def unsafe_char(char: str) -> bool:
    """Return whether ``char`` must not appear in a value shown on a page or in a feed.

    Control characters (except tab and newlines) make the XML files invalid, noncharacters
    and surrogates cannot be encoded, and bidi controls reorder the text that follows.
    """
    if char in "\t\n\r":
        return False
    category = unicodedata.category(char)
    return (category in ("Cc", "Cs") or char in _BIDI_CONTROLS
            or (category == "Cn" and (0xFDD0 <= ord(char) <= 0xFDEF
                                      or ord(char) & 0xFFFE == 0xFFFE)))
