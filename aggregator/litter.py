"""Recognise what feeds wrap around a post's words: trackers, share buttons, media lines.

Real feeds carry more than the post: FeedBurner's "flares" and 1x1 pixels, ad links
(``feedads.g.doubleclick.net``), share buttons, "Tweet", "Share this:", a podcast's
"Duration: 8:03" and "23:42 minutes (21.7 MB)", ``utm_*`` parameters on every link, and
often one paragraph (a plea for a survey, a greeting) opening every post. The site
promises no trackers and calm excerpts, so :mod:`aggregator.sanitize` drops all of it
using the recognisers here. Pure functions on addresses and lines of text.

The lists are short on purpose: hosts and paths that only ever serve ads, pixels and
redirects that count clicks (:data:`TRACKER_HOSTS`, :data:`TRACKER_PATHS`), the pages a
share button opens (:data:`SHARE_PAGES`), and parameters that identify a click or a
campaign, never a page (:data:`TRACKING_PARAMS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from .textclean import text_lines

# Hosts (and their subdomains) whose every link is an ad, a pixel or a counted redirect.
TRACKER_HOSTS = frozenset({
    "doubleclick.net",  # feedads.g.doubleclick.net: FeedBurner's ads; ad.doubleclick.net
    "googlesyndication.com", "googleadservices.com", "google-analytics.com",
    "pixel.wp.com", "stats.wordpress.com",  # WordPress.com's view counters
    "scorecardresearch.com", "quantserve.com", "feedsportal.com",
})
# (host, path prefix): trackers on hosts that also serve real pages.
TRACKER_PATHS = (
    ("feeds.feedburner.com", "/~ff/"),  # "flares": share and e-mail buttons, as images
    ("feeds.feedburner.com", "/~r/"),  # the 1x1 pixel counting each reader
    ("feeds.feedburner.com", "/~a/"),  # ads
    ("feedproxy.google.com", "/~r/"),  # a click-counting redirect to the post
    ("feedproxy.google.com", "/~ff/"),
    ("blogger.googleusercontent.com", "/tracker/"),  # Blogger's 1x1 pixel
    ("feeds.wordpress.com", "/1.0/"),  # WordPress.com's comment and share buttons
)
# (host, path prefix) of the page a share button opens: the button, not a page to read.
SHARE_PAGES = (
    ("twitter.com", "/share"), ("twitter.com", "/intent/"), ("x.com", "/intent/"),
    ("facebook.com", "/sharer"), ("facebook.com", "/share.php"),
    ("linkedin.com", "/sharearticle"), ("linkedin.com", "/shareArticle"),
    ("pinterest.com", "/pin/create"), ("reddit.com", "/submit"), ("tumblr.com", "/share"),
    ("addthis.com", "/bookmark"), ("addtoany.com", "/share"), ("getpocket.com", "/save"),
)
# WordPress's share buttons link the post itself with ?share=twitter (and so on).
_SHARE_QUERY = re.compile(r"(?:^|&)share=(?:twitter|facebook|linkedin|pinterest|reddit|"
                          r"tumblr|pocket|telegram|jetpack-whatsapp|whatsapp|email|print|x)\b")
# Parameters that name a campaign or a click, never a page: removed from every link.
TRACKING_PARAMS = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|igshid|twclid|"
    r"mc_cid|mc_eid|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|_ga|__s)$",
    re.IGNORECASE)


def _matches(host: str, path: str, table: Iterable[tuple[str, str]]) -> bool:
    return any((host == h or host.endswith("." + h)) and path.startswith(p) for h, p in table)


def _parts(url: str) -> tuple[str, str, str] | None:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    return host, parts.path or "/", parts.query


def is_tracker(url: str) -> bool:
    """Return whether ``url`` is an ad, a tracking pixel or a click-counting redirect."""
    parts = _parts(url)
    if parts is None:
        return False
    host, path, _ = parts
    return (any(host == h or host.endswith("." + h) for h in TRACKER_HOSTS)
            or _matches(host, path, TRACKER_PATHS))


def is_share_button(url: str) -> bool:
    """Return whether ``url`` is what a share button opens (a tweet form, ?share=facebook)."""
    parts = _parts(url)
    if parts is None:
        return False
    host, path, query = parts
    return _matches(host, path, SHARE_PAGES) or bool(_SHARE_QUERY.search(query))


def untracked(url: str) -> str:
    """Return ``url`` without tracking parameters (``utm_*``, ``fbclid``...); else as it is."""
    if "?" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    # The other parameters are kept exactly as written: decoding and encoding them again
    # could change what the link asks for.
    pairs = parts.query.split("&")
    kept = [p for p in pairs if not TRACKING_PARAMS.match(unquote_plus(p.split("=", 1)[0]))]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query="&".join(kept)))


# A whole line that is a player's or a share widget's, never the post's words.
_LITTER_LINE = re.compile(
    r"""^\W*(?:
        (?:audio|video|podcast|mp3)(?:\s+(?:only|file|version|episode))?
      | (?:podcast\s*:\s*)?(?:play|listen|download)(?:\s+(?:now|here|it|the\s+episode|
            this\s+episode|episode|audio|mp3|in\s+(?:a\s+)?new\s+window))*
        (?:\s*[|·•]\s*(?:play|listen|download|embed|subscribe)(?:\s+\w+){0,3})*
        (?:\s*\(\s*duration\b[^)]*\))?
      | (?:(?:episode|ep\.?)\s*\#?\s*\d+\s*[|·•,:–—-]\s*)?
        (?:duration|length|running\s+time|run\s+time)\s*:?\s*
        \d{1,3}(?::\d{2}){1,2}(?:\s*(?:minutes|mins?|min\.|hours?|hrs?))?
        (?:\s*[-–—,(]*\s*[\d.,]+\s*[kmg]i?b\W*)?
      | the\s+post\s+.{1,150}?\s+appeared\s+first\s+on\s+\S+(?:\s+\S+){0,5}
      | \d{1,3}(?::\d{2}){1,2}\s*(?:minutes|mins?|min\.)?
        (?:\s*\(?\s*[\d.,]+\s*[kmg]i?b\s*\)?)?
      | \d{1,3}\s*(?:minutes|mins?)\s*\(\s*[\d.,]+\s*[kmg]i?b\s*\)
      | \(?\s*[\d.,]+\s*[kmg]i?b\s*\)?
      | (?:tweet|share|email|e-mail|print|pin|like|save)(?:\s+(?:this|it))?
        (?:\s+(?:post|article|page|episode|story))?\s*[:!]?
      | (?:tweet|share|pin|like|email|print)(?:\s+(?:tweet|share|pin|like|email|print))+
      | like\s+loading\W*
      | (?:click\s+to\s+)?(?:share|email|print|tweet|pin)\b.{0,40}\(opens\s+in\s+new\s+window\)
      | share\s+(?:on|via|with)\s+\w+(?:\s+\w+)?
      | (?:subscribe|follow\s+us)\s*:?(?:\s*(?:apple\s+podcasts|itunes|android|rss|
            google\s+podcasts|spotify|stitcher|email|by\s+email|[|·•]))*
      | (?:twitter|facebook|linkedin|pinterest|reddit|tumblr|pocket|telegram|whatsapp|
            e-?mail|print|x)
        (?:\s*[|·•,]?\s*(?:twitter|facebook|linkedin|pinterest|reddit|tumblr|pocket|
            telegram|whatsapp|e-?mail|print|more))*
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)


def is_litter_line(line: str) -> bool:
    """Return whether a whole line of text is a media player's or share widget's litter.

    "AUDIO", "Duration: 8:03", "Episode 40 · Duration: 20:00", "23:42 minutes (21.7 MB)",
    "Tweet", "Share this:", "Like Loading...", "Facebook | Twitter", WordPress's "The post
    X appeared first on Y.": lines a feed adds around a post.
    """
    line = line.strip()
    return bool(line) and len(line) <= 200 and _LITTER_LINE.match(line) is not None


def line_key(text: str) -> str:
    """Return how a line is compared across posts: lowercase, single spaces, no URLs."""
    return " ".join(" ".join(text_lines(text)).split())


def without_litter(text: str, drop: frozenset[str] = frozenset()) -> str:
    """Return plain ``text`` without its litter lines and the lines (keys) in ``drop``."""
    lines = text.split("\n")
    kept = [line for line in lines
            if not is_litter_line(line) and not (drop and line_key(line) in drop)]
    return text if len(kept) == len(lines) else "\n".join(kept)
