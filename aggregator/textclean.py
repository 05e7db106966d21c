"""Prepare post text for the topic model: strip markup and blog boilerplate.

Pure functions, light enough for the parse workers (no NumPy, no scikit-learn).
:func:`clean_text` removes what every blog repeats and what says nothing about a post's
subject (HTML, URLs, "Posted by", "Leave a reply", "Share this", "The post X appeared
first on Y", comment counts); :func:`repeated_lines` finds a blog's own footers and
signatures from the data. The words of each language are :mod:`aggregator.vocabulary`'s.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from .models import Post
from .text import html_to_text

TOPIC_WORDS = 250  # the words of each (cleaned) post the topic model reads
# Bump when a change here changes what the topic model reads: texts cleaned by an older
# version (stored with their posts) are then cleaned again.
CLEAN_VERSION = "1"

_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_APPEARED_FIRST = re.compile(r"\bthe post\b.{0,300}?\bappeared first on\b[^\n]{0,150}",
                             re.IGNORECASE | re.DOTALL)
# A whole line of boilerplate: sharing widgets, bylines, comment counts, "read more".
_BOILERPLATE_LINE = re.compile(
    r"""^\W*(?:
        posted\s+(?:by|in|on|at|under)\b.*
      | (?:filed|categori[sz]ed)\s+(?:under|in)\b.*
      | (?:tags?|tagged|categories|category)\s*(?::|with\b).*
      | leave\s+a\s+(?:reply|comment).*
      | (?:\d+|no|one)\s+(?:comments?|responses?|replies)\b.{0,40}
      | comments?\s*(?:\(\d+\)|off|closed).*
      | share\s+(?:this|on)\b.*
      | (?:like|liked)\s+this\s*:?.*
      | like\s+loading.*
      | (?:click\s+to\s+)?(?:share|email|print|tweet|pin)\b.{0,40}\(opens\s+in\s+new\s+window\).*
      | (?:continue|keep)\s+reading\b.*
      | read\s+(?:more|the\s+rest)\b.{0,60}
      | related(?:\s+posts?)?\s*:?
      | subscribe\b.{0,80}
      | (?:thanks|thank\s+you)\s+for\s+reading\b.{0,60}
      | (?:cheers|regards|best\s+regards|best\s+wishes|warmly|until\s+next\s+time)\s*,?\s*\w*\s*
      | best\s*,\s*\w*\s*
      | --+\s*\w+(?:\s+\w+)?\s*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_INLINE_BOILERPLATE = re.compile(
    r"\b(?:leave\s+a\s+(?:reply|comment)(?:\s+cancel\s+reply)?|share\s+this\s*:|"
    r"like\s+this\s*:|like\s+loading\.*|"
    # "Continue reading" and "read more" only as links do: with an arrow, or ending a line.
    r"(?:continue\s+reading|read\s+more)\b[^\n.]{0,80}?(?:→|»|\.\.\.|…|$)|"
    r"\[(?:…|\.\.\.)\])",
    re.IGNORECASE,
)
_INLINE_MARKERS = ("leave a", "share this", "like this", "loading", "continue reading",
                   "read more", "[…]", "[...]")


def clean_text(text: str, *, drop_lines: frozenset[str] = frozenset()) -> str:
    """Return ``text`` (HTML or plain) without markup, URLs and blog boilerplate, lowercased.

    ``drop_lines`` holds lines (as :func:`text_lines` gives them) to remove as well: a
    blog's own signature or footer, found by :func:`repeated_lines`.
    """
    return clean_lines(text_lines(text), drop_lines=drop_lines)


def text_lines(text: str) -> list[str]:
    """Return the lines of ``text`` (HTML or plain) without markup, URLs and e-mail addresses.

    Each line lowercase with single spaces, so a repeated line is recognised whatever its
    case and spacing; blank ones too: what :func:`repeated_lines` counts and
    :func:`clean_lines` filters.
    """
    if "<" in text or ("&" in text and _ENTITY.search(text)):
        text = html_to_text(text)
    text = text.lower()
    # Substring tests first: the regular expressions are slow to scan, and rarely match.
    if "appeared first on" in text:
        text = _APPEARED_FIRST.sub(" ", text)
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    # str.split is several times faster than a regular expression over the same text.
    return [" ".join(line.split()) for line in text.split("\n")]


def clean_lines(lines: Sequence[str], *, drop_lines: frozenset[str] = frozenset()) -> str:
    """Join :func:`text_lines` ``lines`` without boilerplate lines and ``drop_lines``."""
    kept = [line for line in lines
            if line and line not in drop_lines and not _BOILERPLATE_LINE.match(line)]
    text = "\n".join(kept)
    if any(marker in text for marker in _INLINE_MARKERS):
        text = "\n".join(" ".join(_INLINE_BOILERPLATE.sub(" ", line).split()) for line in kept)
    return text


def repeated_lines(posts: Sequence[Sequence[str]], *, min_posts: int = 3,
                   share: float = 0.5) -> frozenset[str]:
    """Return lines found in at least ``share`` of ``posts`` (and ``min_posts`` of them).

    ``posts`` are one blog's posts, each as its :func:`text_lines`: a line most of them
    repeat is a signature, a footer or a call to subscribe, never what a post is about.
    """
    if len(posts) < min_posts:
        return frozenset()
    counts: Counter[str] = Counter()
    for lines in posts:
        counts.update(set(lines))
    counts.pop("", None)
    needed = max(min_posts, share * len(posts))
    return frozenset(line for line, n in counts.items() if n >= needed)


def clean_posts(texts: Sequence[str], *, max_words: int = TOPIC_WORDS,
                footers: bool = True) -> list[str]:
    """Return what the topic model reads of each of one blog's posts: the first words.

    Each text (HTML or plain; a post's title and text) is cleaned by :func:`clean_text`,
    without the lines most of the posts repeat (``footers``: the posts are one blog's).
    """
    # The first words are what the model reads: cut the rest before the (costly)
    # cleaning, leaving room for markup and the boilerplate lines it drops.
    lines = [text_lines(t[: max_words * (40 if "<" in t else 12)]) for t in texts]
    drop = repeated_lines(lines) if footers else frozenset()
    return [" ".join(clean_lines(post, drop_lines=drop).split(maxsplit=max_words)[:max_words])
            for post in lines]


def topic_texts(posts: Sequence[Post]) -> list[str]:
    """Return :func:`clean_posts` of one blog's posts, each read as its title and text."""
    return clean_posts([f"{post.title}\n{post.text}" for post in posts])
