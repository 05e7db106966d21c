"""Prepare post text for the topic model: strip markup and blog boilerplate, know the language.

Pure functions. :func:`clean_text` removes what every blog repeats and what says nothing
about a post's subject (HTML, URLs, "Posted by", "Leave a reply", "Share this", "The post
X appeared first on Y", comment counts); :func:`repeated_lines` finds a blog's own
footers and signatures from the data; :func:`stop_words` gives a language's function
words (the ``stop-words`` package for languages other than English) and
:func:`detect_language` guesses the language of an undeclared post from them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from stop_words import LANGUAGE_MAPPING, StopWordError, get_stop_words

from .text import html_to_text

# Words every blog uses that say nothing about what a post is about (issue #4).
DOMAIN_STOP_WORDS = frozenset("""
post posts posted posting blog blogs blogger blogging read comment
comments reply replies share shared sharing click link links subscribe follow tweet retweet
like likes loading cancel continue via http https www com org net html amp nbsp
week weeks today yesterday tomorrow year years day days month months time times
just really actually think thing things way ways lot lots make makes made going get gets
got know want wants need needs new good great better best use used uses using also one two
three four five first second last next back still even much many well may might could would
should will can let lets say says said see seen look looking come comes came take takes
monday tuesday wednesday thursday friday saturday sunday january february march april june
july august september october november december
""".split())

# English function words beyond scikit-learn's list, from the stop-words package: used to
# keep them out of labels, where one looks worse than in a model's features.
ENGLISH_LABEL_STOP = frozenset(ENGLISH_STOP_WORDS) | frozenset(get_stop_words("en"))

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
_WORD = re.compile(r"[^\W\d_]+")


def clean_text(text: str, *, drop_lines: frozenset[str] = frozenset()) -> str:
    """Return ``text`` (HTML or plain) without markup, URLs and blog boilerplate, lowercased.

    ``drop_lines`` holds lines (as :func:`line_key` gives them) to remove as well: a
    blog's own signature or footer, found by :func:`repeated_lines`.
    """
    return clean_lines(text_lines(text), drop_lines=drop_lines)


def text_lines(text: str) -> list[str]:
    """Return the lines of ``text`` (HTML or plain) without markup, URLs and e-mail addresses.

    Each line as :func:`line_key` gives it (lowercase, single spaces), blank ones too: what
    :func:`repeated_lines` counts and :func:`clean_lines` filters.
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


def line_key(line: str) -> str:
    """Return the form of a line used to recognise it when repeated (case, spacing ignored)."""
    return " ".join(line.lower().split())


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


def base_language(code: str | None) -> str | None:
    """Return the primary subtag of a language code: ``pt-BR`` -> ``pt``; None if unknown."""
    if not code:
        return None
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return base if re.fullmatch(r"[a-z]{2,3}", base) else None


@cache
def stop_words(language: str) -> frozenset[str]:
    """Return the function words of ``language`` (a base code), plus the domain's.

    English uses scikit-learn's list; other languages the ``stop-words`` package; a
    language it does not know gets only the domain's words (and English ones, which
    show up in every language's posts as quotes and titles).
    """
    english = frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOP_WORDS
    if language == "en":
        return english
    try:
        own = frozenset(w.lower() for w in get_stop_words(language))
    except StopWordError:
        own = frozenset()
    return own | english


@cache
def label_stop_words(language: str) -> frozenset[str]:
    """Return words never to show in a label of a topic in ``language``."""
    return stop_words(language) | ENGLISH_LABEL_STOP


@cache
def _detection_words() -> tuple[tuple[str, ...], dict[str, tuple[int, ...]]]:
    """Return the languages, and for each stop word the languages (by index) that have it."""
    codes = ["en"] + sorted(c for c in LANGUAGE_MAPPING if c != "en" and len(c) == 2)
    owners: dict[str, list[int]] = {}
    for index, code in enumerate(codes):
        vocab = ENGLISH_STOP_WORDS if code == "en" else get_stop_words(code)
        for word in {w.lower() for w in vocab}:
            owners.setdefault(word, []).append(index)
    return tuple(codes), {w: tuple(langs) for w, langs in owners.items()}


def detect_language(text: str, *, min_words: int = 20) -> str:
    """Guess the base language code of ``text`` from the share of each language's stop words.

    English (the site's default) unless another language's function words are clearly
    more common; texts too short to tell are English.
    """
    words = _WORD.findall(text[:1000].lower())[:100]
    if len(words) < min_words:
        return "en"
    if sum(1 for w in words if w in ENGLISH_STOP_WORDS) >= 0.3 * len(words):
        return "en"  # the common case, decided without the other 30 languages
    codes, owners = _detection_words()
    hits = [0] * len(codes)
    for word in words:
        for index in owners.get(word, ()):
            hits[index] += 1
    best = max(range(len(codes)), key=lambda i: (hits[i], -i))
    share, english = hits[best] / len(words), hits[0] / len(words)
    # Long lists (French, Spanish: 600+ words) catch some English words too; ask for a margin.
    if best != 0 and share >= 0.25 and share > english + 0.1:
        return codes[best]
    return "en"


_STEM_SUFFIXES = ("ational", "ization", "ations", "ation", "ings", "ing", "ers", "ies", "ied",
                  "es", "ed", "er", "ly", "s")


def _stem(word: str) -> str:
    """Return a crude stem, enough to tell "teacher" and "teachers" are one word."""
    for suffix in _STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def pick_terms(weights: np.ndarray, terms: Sequence[str], language: str,
                count: int) -> list[str]:
    """Return up to ``count`` of the heaviest terms, no function word, no stem twice."""
    banned = label_stop_words(language)
    chosen: list[str] = []
    stems: set[str] = set()
    for i in np.argsort(-weights, kind="stable")[: 50 * count]:
        if weights[i] <= 0 or len(chosen) == count:
            break
        words = str(terms[i]).split()
        if not words or any(w in banned or len(w) < 3 for w in words):
            continue
        term_stems = {_stem(w) for w in words}
        if any(a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)))
               for a in term_stems for b in stems):
            continue
        chosen.append(" ".join(words))
        stems |= term_stems
    return chosen


def display_case(term: str, texts: Iterable[str]) -> str:
    """Return ``term`` as ``texts`` write it: "Blair", "SATs", "iPad"; else lowercase.

    A form other than lowercase is used only when it is at least 4 uses in 5 (a word
    that begins sentences is still a common word).
    """
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, term.split())) + r"(?!\w)",
                         re.IGNORECASE)
    forms: Counter[str] = Counter()
    for text in texts:
        forms.update(" ".join(m.split()) for m in pattern.findall(text))
    total = sum(forms.values())
    if total:
        form, uses = max(sorted(forms.items()), key=lambda item: item[1])
        if form != term and uses >= 0.8 * total:
            return form
    return term


def join_terms(terms: Sequence[str]) -> str:
    """Return terms as a label: "Phonics, early reading & decoding"."""
    text = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " & " + terms[-1]
    return text[:1].upper() + text[1:]


LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian",
    "vi": "Vietnamese", "zh": "Chinese",
}


def language_name(code: str) -> str:
    """Return the English name of a base language code, or the code itself."""
    return LANGUAGE_NAMES.get(code, code)
